"""Carrying bundles: files on removable media, or HTTPS to the district server.

The bytes are the same either way. Over HTTPS the server's certificate is pinned by
its SHA-256 fingerprint from the enrolment code (self-signed certificates need no
public CA; the pin is fieldkit/crypto/tls.py); a mismatch discards the answer.
Timeouts are bounded; an unreachable server is `Offline` (exit 5), never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from fieldkit.crypto.tls import pin_matches
from fieldkit.errors import IntegrityError, Offline, Refused, UsageError
from fieldkit.paths import write_private_file
from fieldkit.sync import wire
from fieldkit.sync.bundle import MAX_BUNDLE_BYTES

API = "/v1"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 120.0


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


def check_destination(path: Path) -> None:
    """Refuse, before anything is prepared, a bundle file that cannot be written: a folder
    that is missing (a USB key not plugged in) or a folder given for the file."""
    if path.is_dir():
        raise UsageError("file.is_folder", path=str(path))
    if not path.parent.is_dir():
        raise UsageError("file.folder_missing", path=str(path.parent))


def write_file(path: Path, data: bytes) -> None:
    check_destination(path)
    try:
        write_private_file(path, data)
    except (FileNotFoundError, NotADirectoryError):  # the medium went away meanwhile
        raise UsageError("file.folder_missing", path=str(path.parent)) from None
    except PermissionError:
        raise UsageError("file.not_writable", path=str(path.parent)) from None


Progress = Callable[[int, int], None]
"""Called as (bytes sent, total) while a bundle goes out."""

CHUNK = 64 * 1024


class Channel:
    """A connection to the district server, checked before anything is sent.

    Over HTTPS with a pinned fingerprint, a first handshake fetches the server's
    certificate and compares its SHA-256 with the pin: a stranger is refused before
    a single byte of a request leaves the machine, and the real requests then trust
    exactly that certificate (and no public CA). Over plain HTTP (loopback tests
    with `--insecure-http`) it checks that the server is reachable. Either way an
    unreachable server is `Offline` before the caller has prepared, or counted,
    anything to send.
    """

    def __init__(self, url: str, tls_fingerprint: str | None, *, timeout: float = READ_TIMEOUT):
        from urllib.parse import urlsplit

        self.url = url.rstrip("/")
        self.timeout = timeout
        self.tls_fingerprint = tls_fingerprint.lower() if tls_fingerprint else None
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError("sync.bad_url")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.verify: object = True
        if self.https and self.tls_fingerprint:
            self.verify = self._pinned_context()
        else:
            self._reach()

    def _reach(self) -> None:
        import socket

        try:
            socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT).close()
        except OSError:
            raise Offline("sync.offline_plain") from None

    def _pinned_context(self):
        import socket
        import ssl

        probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        probe.check_hostname = False
        probe.verify_mode = ssl.CERT_NONE
        try:
            with (
                socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT) as raw,
                probe.wrap_socket(raw, server_hostname=self.host) as tls,
            ):
                der = tls.getpeercert(True)
        except OSError:
            raise Offline("sync.offline_plain") from None
        if not pin_matches(der, self.tls_fingerprint):
            raise IntegrityError("sync.tls_pin_mismatch")
        context = ssl.create_default_context(cadata=der)
        # The pin names the certificate; which host name it was issued for is not the point.
        context.check_hostname = False
        return context

    def post(self, endpoint: str, data: bytes, progress: Progress | None = None) -> bytes:
        """POST a bundle, return the answer's bytes. 403 with a signed body is a refusal."""
        import httpx

        headers = {"content-type": wire.BUNDLE_MEDIA_TYPE, "content-length": str(len(data))}
        content: bytes | Iterator[bytes] = data
        if progress is not None:
            content = _chunks(data, progress)
        pinned = self.https and bool(self.tls_fingerprint)
        checked: list[bool] = []
        extensions = {"trace": _pin_at_handshake(self.tls_fingerprint, checked)} if pinned else {}
        try:
            with httpx.Client(
                verify=self.verify, timeout=httpx.Timeout(self.timeout, connect=CONNECT_TIMEOUT)
            ) as client:
                response = client.post(
                    self.url + API + endpoint,
                    content=content,
                    headers=headers,
                    extensions=extensions,
                )
                if pinned and not checked:
                    _check_pin(response, self.tls_fingerprint or "")  # no handshake seen
                body = response.content
        except (httpx.TransportError, OSError):
            raise Offline("sync.offline_plain") from None
        if response.status_code == wire.REFUSED:
            return _refusal(body)
        if response.status_code >= wire.BAD_REQUEST:
            raise wire.error_for(response.status_code, body)
        return body


def post(
    url: str,
    endpoint: str,
    data: bytes,
    tls_fingerprint: str | None,
    *,
    timeout: float = READ_TIMEOUT,
) -> bytes:
    """One request on a fresh channel (enrolment)."""
    return Channel(url, tls_fingerprint, timeout=timeout).post(endpoint, data)


def fetch_identity(
    url: str, lookup: str, *, timeout: float = READ_TIMEOUT
) -> tuple[bytes, str | None]:
    """The district identity document a short code's lookup value finds on the server at
    `url`, and the fingerprint of the TLS certificate it came over (None over plain HTTP).

    Nothing is trusted yet: the caller checks the document against the code's commitment
    and the fingerprint against the one the document names (fieldkit/sync/enrolment.py,
    `open_code`) before it sends anything else. The document is fetched over a channel
    pinned to the certificate seen in the first handshake, so it comes from that server.
    """
    from urllib.parse import urlsplit

    from fieldkit.crypto.tls import cert_fingerprint

    seen: str | None = None
    parts = urlsplit(url.rstrip("/"))
    if parts.scheme == "https" and parts.hostname:
        seen = cert_fingerprint(_peer_certificate(parts.hostname, parts.port or 443))
    document = Channel(url, seen, timeout=timeout).post("/enrol/identity", lookup.encode())
    return document, seen


def _peer_certificate(host: str, port: int) -> bytes:
    """The certificate a server shows (DER), unverified: only its fingerprint is used."""
    import socket
    import ssl

    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as raw,
            probe.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(True)
    except OSError:
        raise Offline("sync.offline_plain") from None
    if der is None:
        raise Offline("sync.offline_plain")
    return der


def _chunks(data: bytes, progress: Progress) -> Iterator[bytes]:
    total = len(data)
    progress(0, total)
    for start in range(0, total, CHUNK):
        chunk = data[start : start + CHUNK]
        yield chunk
        progress(start + len(chunk), total)


class RefusedReply(Refused):
    """A 403 whose body may be a signed notice (a wipe for a revoked device)."""

    def __init__(self, body: bytes) -> None:
        super().__init__("sync.refused")
        self.body = body


def _refusal(body: bytes) -> bytes:
    from fieldkit.sync.bundle import BUNDLE_MAGIC

    if body.startswith(BUNDLE_MAGIC):
        raise RefusedReply(body)  # a signed notice, e.g. a wipe for a revoked device
    raise wire.error_for(wire.REFUSED, body)


def _pin_at_handshake(expected: str | None, checked: list[bool]) -> Callable[[str, dict], None]:
    """A hook for httpx's `trace` request extension that checks the pinned certificate as
    soon as the TLS handshake completes: before a byte of the request is sent to a server
    that is not the district's, and while the connection is surely open. Checked after
    the answer instead, a server that closed the connection once it had answered (an
    error, a restart) left no certificate to read, and looked like a different server."""

    def trace(event: str, info: dict) -> None:
        if event == "connection.start_tls.complete":
            _check_stream(info.get("return_value"), expected or "")
            checked.append(True)

    return trace


def _check_pin(response, expected: str) -> None:
    _check_stream(response.extensions.get("network_stream"), expected)


def _check_stream(stream, expected: str) -> None:
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    der = ssl_object.getpeercert(True) if ssl_object is not None else None
    if not pin_matches(der, expected):
        raise IntegrityError("sync.tls_pin_mismatch")
