"""The district server's certificate files, pinned by workers at enrolment.

The certificate and its encrypted key are made by fieldkit/crypto/tls.py; this module
writes them, owner-only, into the district's home. The private key is stored encrypted
(PKCS#8, with a password derived from the district's data key), so the key file alone
is useless to whoever copies the disk; a new data key (`district passphrase change`)
re-encrypts it (`follow_data_key`).
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


def follow_data_key(home: Path, old_key: bytes, new_key: bytes) -> None:
    """Re-encrypt the private key for a new data key (`district passphrase change` on the
    SQLCipher file, fieldkit/store/rotation.py): called after the rekey and before the new
    key file goes in, again by the command that completes a change a kill interrupted, so
    it does nothing to a key already under the new data key. A key under neither (damaged,
    or put there by hand) is left as it is: `district serve` says it cannot read it."""
    path = home / KEY_NAME
    try:
        key_pem = path.read_bytes()
    except FileNotFoundError:
        return
    try:
        renewed = tls_crypto.reencrypt_key(key_pem, old_key, new_key)
    except ValueError:
        return
    if renewed is not None:
        write_private_file(path, renewed)


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
