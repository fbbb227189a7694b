"""Carrying bundles: files on removable media, or HTTPS to the district server.

The bytes are the same either way. Over HTTPS the server's certificate is pinned by
its SHA-256 fingerprint from the enrolment code (self-signed certificates need no
public CA); a mismatch discards the answer. Timeouts are bounded; an unreachable
server is `Offline` (exit 5), never a traceback.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fieldkit.errors import IntegrityError, Offline, Refused, UsageError
from fieldkit.store.keys import write_private_file
from fieldkit.sync.bundle import MAX_BUNDLE_BYTES

API = "/v1"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 120.0
BUNDLE_MEDIA_TYPE = "application/vnd.fieldkit.bundle"


def read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BUNDLE_BYTES:
            from fieldkit.errors import BundleRejected

            raise BundleRejected("bundle.too_large", size=size, limit=MAX_BUNDLE_BYTES)
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageError("file.not_found", path=str(path)) from None
    except IsADirectoryError:
        raise UsageError("file.not_found", path=str(path)) from None


def write_file(path: Path, data: bytes) -> None:
    write_private_file(path, data)


def post(
    url: str,
    endpoint: str,
    data: bytes,
    tls_fingerprint: str | None,
    *,
    timeout: float = READ_TIMEOUT,
) -> bytes:
    """POST a bundle, return the answer's bytes. 403 with a signed body is a refusal."""
    import httpx

    target = url.rstrip("/") + API + endpoint
    verify: object = True
    if target.startswith("https://") and tls_fingerprint:
        import ssl

        context = ssl.create_default_context()
        # Trust comes from the pinned fingerprint, checked below, not from a CA.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        verify = context
    try:
        with httpx.Client(
            verify=verify, timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT)
        ) as client:
            response = client.post(
                target, content=data, headers={"content-type": BUNDLE_MEDIA_TYPE}
            )
            if target.startswith("https://") and tls_fingerprint:
                _check_pin(response, tls_fingerprint)
            body = response.content
    except (httpx.TransportError, OSError):
        raise Offline("sync.offline_plain") from None
    if response.status_code == 403:
        return _refusal(body)
    if response.status_code == 409:
        raise IntegrityError("sync.server_rejected", reason=_reason(body))
    if response.status_code >= 400:
        raise UsageError("sync.server_error", status=response.status_code, reason=_reason(body))
    return body


class RefusedReply(Refused):
    """A 403 whose body may be a signed notice (a wipe for a revoked device)."""

    def __init__(self, body: bytes) -> None:
        super().__init__("sync.refused")
        self.body = body


def _refusal(body: bytes) -> bytes:
    from fieldkit.sync.bundle import BUNDLE_MAGIC

    if body.startswith(BUNDLE_MAGIC):
        raise RefusedReply(body)  # a signed notice, e.g. a wipe for a revoked device
    raise Refused("sync.server_refused", reason=_reason(body))


def _reason(body: bytes) -> str:
    try:
        import json

        return str(json.loads(body).get("error", ""))[:200]
    except ValueError:
        return ""


def _check_pin(response, expected: str) -> None:
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    der = ssl_object.getpeercert(True) if ssl_object is not None else None
    if der is None or cert_fingerprint(der) != expected.lower():
        raise IntegrityError("sync.tls_pin_mismatch")


def cert_fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()
