"""The district server's self-signed TLS certificate, pinned by workers at enrolment.

The certificate's SHA-256 fingerprint goes into every enrolment code, so workers trust
exactly this certificate (no public CA, no trust on first use). The private key is
stored encrypted (PKCS#8, with a password derived from the district's data key), so
the key file alone is useless to whoever copies the disk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
from pathlib import Path

from fieldkit.store.keys import write_private_file

CERT_NAME = "tls-cert.pem"
KEY_NAME = "tls-key.pem"
VALIDITY_DAYS = 3 * 365


def key_password(data_key: bytes) -> bytes:
    return hmac.new(data_key, b"fieldkit/tls-key-password/v1", hashlib.sha256).hexdigest().encode()


def make_self_signed(home: Path, district_name: str, hosts: list[str], data_key: bytes) -> str:
    """Write the certificate and encrypted key into `home`; returns the fingerprint (hex)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"fieldkit {district_name}"[:64])])
    alt: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALIDITY_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_private_file(home / CERT_NAME, cert.public_bytes(serialization.Encoding.PEM))
    write_private_file(
        home / KEY_NAME,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(key_password(data_key)),
        ),
    )
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def fingerprint_of(cert_path: Path) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
