"""The district server's self-signed TLS certificate, and pinning it by fingerprint.

The certificate (ECDSA P-256, SHA-256 signature) names the district's hosts; its
SHA-256 fingerprint over the DER encoding goes into every enrolment code, so workers
trust exactly this certificate (no public CA, no trust on first use). The private key
is PKCS#8, encrypted with a password derived from the district's data key. Where the
files go is fieldkit/district/tls.py; the handshake is fieldkit/sync/transport.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress

VALIDITY_DAYS = 3 * 365
BACKDATE_MINUTES = 5  # tolerance for a client clock a little behind
COMMON_NAME_MAX = 64  # X.509's upper bound for a common name
KEY_PASSWORD_INFO = b"fieldkit/tls-key-password/v1"


def key_password(data_key: bytes) -> bytes:
    """The password of the encrypted private key: hex HMAC-SHA256(data key, label)."""
    return hmac.new(data_key, KEY_PASSWORD_INFO, hashlib.sha256).hexdigest().encode()


def make_self_signed(district_name: str, hosts: list[str], data_key: bytes) -> tuple[bytes, bytes]:
    """A new certificate for `hosts` and its encrypted key: (certificate PEM, key PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    common_name = f"fieldkit {district_name}"[:COMMON_NAME_MAX]
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
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
        .not_valid_before(now - dt.timedelta(minutes=BACKDATE_MINUTES))
        .not_valid_after(now + dt.timedelta(days=VALIDITY_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(key_password(data_key)),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def reencrypt_key(key_pem: bytes, old_key: bytes, new_key: bytes) -> bytes | None:
    """The private key re-encrypted under the password of `new_key` (after a rotation of
    the district's data key), or None when it is under that password already."""
    from cryptography.hazmat.primitives import serialization

    for data_key in (new_key, old_key):
        try:
            key = serialization.load_pem_private_key(key_pem, key_password(data_key))
        except (ValueError, TypeError):
            continue
        if data_key == new_key:
            return None
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(key_password(new_key)),
        )
    raise ValueError("the TLS key is under neither data key")


def cert_fingerprint(der: bytes) -> str:
    """The pin: SHA-256 of the certificate's DER encoding, 64 lowercase hex digits."""
    return hashlib.sha256(der).hexdigest()


def pem_fingerprint(pem: bytes) -> str:
    """The pin of a PEM certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(pem)
    return cert_fingerprint(cert.public_bytes(serialization.Encoding.DER))


def pin_matches(der: bytes | None, pin: str) -> bool:
    """Whether the certificate a server showed (DER, or None if none) is the pinned one."""
    return der is not None and cert_fingerprint(der) == pin.lower()
