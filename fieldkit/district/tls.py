"""The district server's certificate files, pinned by workers at enrolment.

The certificate and its encrypted key are made by fieldkit/crypto/tls.py; this module
writes them, owner-only, into the district's home. The private key is stored encrypted
(PKCS#8, with a password derived from the district's data key), so the key file alone
is useless to whoever copies the disk.
"""

from __future__ import annotations

from pathlib import Path

from fieldkit.crypto import tls as tls_crypto
from fieldkit.paths import write_private_file

CERT_NAME = "tls-cert.pem"
KEY_NAME = "tls-key.pem"


def make_self_signed(home: Path, district_name: str, hosts: list[str], data_key: bytes) -> str:
    """Write the certificate and encrypted key into `home`; returns the fingerprint (hex)."""
    cert_pem, key_pem = tls_crypto.make_self_signed(district_name, hosts, data_key)
    write_private_file(home / CERT_NAME, cert_pem)
    write_private_file(home / KEY_NAME, key_pem)
    return tls_crypto.pem_fingerprint(cert_pem)


def fingerprint_of(cert_path: Path) -> str:
    return tls_crypto.pem_fingerprint(cert_path.read_bytes())


def server_context(cert: Path, key: Path, password: str | None = None):
    """The TLS context `district serve` answers with (TLS 1.2 at least, the standard
    library's server defaults); the server starts TLS on each connection it admits."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key), password=password)
    return context
