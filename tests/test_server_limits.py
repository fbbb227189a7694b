"""The connection layer of the district server (fieldkit/district/limits.py), on a real
uvicorn server in a thread of the test with low limits, reached over loopback sockets.

The app behind it is a small ASGI app (the district's own is tested end to end in
tests/e2e/test_hostile_server.py); what is checked is the layer: connections over the
limits closed at once, the header and body deadlines, TLS started after admission, the
summary lines instead of tracebacks, and the token buckets of enrolment.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from fieldkit.crypto import tls as tls_crypto
from fieldkit.district.limits import (
    BODY_DEADLINE,
    BODY_SLOW,
    FULL,
    FULL_ADDRESS,
    HEADER_DEADLINE,
    TLS_FAILED,
    BodyDeadlines,
    Gate,
    Limits,
    Quiet,
    Tally,
    Throttle,
    guarded,
)
from fieldkit.district.tls import server_context
from tests.e2e.conftest import free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# Token buckets, the tally, the quiet filter


def test_a_throttle_allows_its_burst_then_refuses_until_tokens_come_back():
    clock = Clock()
    throttle = Throttle(3, clock=clock)
    assert [throttle.allow("127.0.0.2") for _ in range(4)] == [True, True, True, False]
    assert throttle.allow("127.0.0.3")  # another key has its own bucket
    clock.now += 20  # one token a 20 s at 3 a minute
    assert throttle.allow("127.0.0.2") and not throttle.allow("127.0.0.2")


def test_a_throttle_keeps_a_bounded_table_and_new_keys_share_one_bucket_beyond():
    clock = Clock()
    throttle = Throttle(1, max_keys=10, clock=clock)
    for n in range(10):
        assert throttle.allow(f"k{n}")
    assert throttle.allow("new-1")  # the overflow bucket's one token
    assert not throttle.allow("new-2")  # shares it
    assert len(throttle.buckets) <= 11
    clock.now += 120  # every bucket is full again: pruned for new keys
    assert throttle.allow("new-3") and len(throttle.buckets) <= 11


def test_the_tally_writes_one_line_per_cause_and_interval(caplog):
    clock = Clock()
    logger = logging.getLogger("tests.tally")
    tally = Tally(logger, interval=60, clock=clock)
    with caplog.at_level(logging.WARNING, logger="tests.tally"):
        for _ in range(1234):
            tally.count("connections closed: header deadline")
        tally.count("connections closed: server full")
        assert caplog.records == []  # nothing before the interval is over
        clock.now += 61
        tally.count("connections closed: server full")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "1,234 connections closed: header deadline",
        "2 connections closed: server full",
    ]


def test_the_quiet_filter_passes_a_line_once_without_its_traceback_then_counts(caplog):
    tally = Tally(logging.getLogger("tests.quiet.tally"), interval=3600)
    logger = logging.getLogger("tests.quiet")
    logger.addFilter(Quiet(tally))
    try:
        with caplog.at_level(logging.INFO, logger="tests.quiet"):
            for _ in range(500):
                try:
                    raise OSError(24, "Too many open files")
                except OSError:
                    logger.exception("accept failed")
    finally:
        logger.filters.clear()
    assert len(caplog.records) == 1
    assert caplog.records[0].getMessage() == "accept failed (OSError)"
    assert caplog.records[0].exc_info is None and "Traceback" not in caplog.text
    assert tally.counts == {"log lines like: accept failed (OSError)": 499}


def test_event_loop_errors_are_one_line_then_counted(caplog):
    tally = Tally(logging.getLogger("tests.loop"), interval=3600)
    with caplog.at_level(logging.WARNING, logger="tests.loop"):
        loop = asyncio.new_event_loop()
        try:
            for _ in range(100):
                context = {"message": "socket.accept() out of system resource"}
                tally.loop_error(loop, {**context, "exception": OSError(24, "EMFILE")})
        finally:
            loop.close()
    assert len(caplog.records) == 1 and "Traceback" not in caplog.text
    assert "errno 24" in caplog.records[0].getMessage()
    assert sum(tally.counts.values()) == 99


# A real server with the layer


async def small_app(scope, receive, send):
    """Reads the whole body, answers how many bytes it read."""
    if scope["type"] != "http":
        return
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


class Guarded:
    """`small_app` behind the gate and the middleware, as `district serve` runs them."""

    def __init__(self, limits: Limits, *, tls: ssl.SSLContext | None = None) -> None:
        self.tally = Tally(logging.getLogger("tests.limits"), interval=3600)
        self.gate = Gate(limits, self.tally, tls)
        self.port = free_port()
        app = BodyDeadlines(small_app, self.gate, limits, self.tally)
        config = uvicorn.Config(
            app,
            port=self.port,
            http=guarded(self.gate),
            log_config=None,
            log_level="warning",
            proxy_headers=False,
            timeout_keep_alive=limits.keep_alive,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.scheme = "https" if tls else "http"

    def _run(self) -> None:
        async def main() -> None:
            self.tally.start(asyncio.get_running_loop())
            await self.server.serve()

        asyncio.run(main())

    def __enter__(self) -> Guarded:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def get(self, path: str = "/", **kwargs) -> httpx.Response:
        url = f"{self.scheme}://127.0.0.1:{self.port}{path}"
        return httpx.get(url, verify=False, timeout=5, **kwargs)

    def connect(self, source: str = "127.0.0.1") -> socket.socket:
        sock = socket.socket()
        sock.bind((source, 0))
        sock.settimeout(5)
        sock.connect(("127.0.0.1", self.port))
        return sock

    def closed(self, cause: str) -> int:
        return self.tally.counts.get(f"connections closed: {cause}", 0)


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def is_closed(sock: socket.socket, timeout: float = 5.0) -> bool:
    """True once the server has closed (or reset) the connection, reading what is left."""
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.fixture
def tls_context(tmp_path: Path) -> ssl.SSLContext:
    key = os.urandom(32)
    cert_pem, key_pem = tls_crypto.make_self_signed("District test", ["127.0.0.1"], key)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key_pem)
    password = tls_crypto.key_password(key).decode()
    return server_context(tmp_path / "cert.pem", tmp_path / "key.pem", password)


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    held: list[socket.socket] = []
    yield held
    for sock in held:
        sock.close()


def test_connections_over_the_per_address_limit_are_closed_and_others_still_served(sockets):
    with Guarded(Limits(max_connections=50, max_per_address=5, header_timeout=30)) as server:
        sockets.extend(server.connect("127.0.0.2") for _ in range(40))
        wait_for(lambda: server.closed(FULL_ADDRESS) == 35)
        assert server.gate.by_address["127.0.0.2"] == 5
        assert sum(is_closed(s, 0.2) for s in sockets) == 35  # those 35 are closed, not held
        answer = server.get("/", headers={"connection": "close"})  # from 127.0.0.1
        assert answer.status_code == 200
    assert server.gate.open == 0  # every admitted connection was released


def test_connections_over_the_total_limit_are_closed(sockets):
    with Guarded(Limits(max_connections=8, max_per_address=8, header_timeout=30)) as server:
        for source in ("127.0.0.2", "127.0.0.3"):
            sockets.extend(server.connect(source) for _ in range(6))
        wait_for(lambda: server.closed(FULL) + server.closed(FULL_ADDRESS) == 4)
        assert server.gate.open == 8 and server.closed(FULL) == 4


def test_a_request_dripping_its_headers_is_closed_at_the_header_deadline(sockets):
    with Guarded(Limits(header_timeout=0.5)) as server:
        sock = server.connect("127.0.0.2")
        sockets.append(sock)
        started = time.monotonic()
        for byte in b"GET / HTTP/1.1\r\nHost: x\r\n":
            try:
                sock.send(bytes([byte]))
            except OSError:
                break
            if is_closed_now(sock):
                break
            time.sleep(0.1)
        wait_for(lambda: server.closed(HEADER_DEADLINE) == 1)
        assert time.monotonic() - started < 5
        assert server.get().status_code == 200


def is_closed_now(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)
        sock.settimeout(5)


def test_the_header_deadline_holds_again_for_the_next_request_of_a_kept_alive_connection(
    sockets,
):
    with Guarded(Limits(header_timeout=0.5, keep_alive=30)) as server:
        sock = server.connect()
        sockets.append(sock)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b" 200 " in sock.recv(4096)
        time.sleep(0.8)  # the first request's deadline would have passed by now
        assert server.closed(HEADER_DEADLINE) == 1  # idle or dripping: closed all the same
        assert is_closed(sock)


def test_a_connection_that_never_starts_tls_is_closed_at_the_header_deadline(tls_context, sockets):
    with Guarded(Limits(header_timeout=0.5), tls=tls_context) as server:
        sockets.extend(server.connect("127.0.0.2") for _ in range(3))
        wait_for(lambda: server.closed(HEADER_DEADLINE) + server.closed(TLS_FAILED) == 3)
        assert all(is_closed(s) for s in sockets)
        assert server.get().status_code == 200  # a real TLS client still gets through
        wait_for(lambda: server.gate.open == 0)


def test_tls_connections_over_the_limit_are_closed_before_any_handshake(tls_context, sockets):
    with Guarded(Limits(max_per_address=2, header_timeout=30), tls=tls_context) as server:
        sockets.extend(server.connect("127.0.0.2") for _ in range(6))
        wait_for(lambda: server.closed(FULL_ADDRESS) == 4)
        answer = server.get("/", headers={"connection": "close"})
        assert answer.status_code == 200 and answer.text == "0"


def test_a_body_dripped_below_the_minimum_rate_is_cut(sockets):
    with Guarded(Limits(header_timeout=0.5, body_min_rate=1000, body_timeout=60)) as server:
        sock = server.connect("127.0.0.2")
        sockets.append(sock)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        started = time.monotonic()
        while not is_closed_now(sock) and time.monotonic() - started < 10:
            try:
                sock.send(b"x")
            except OSError:
                break
            time.sleep(0.2)
        wait_for(lambda: server.closed(BODY_SLOW) == 1)
        assert time.monotonic() - started < 5
        big = httpx.post(f"http://127.0.0.1:{server.port}/", content=b"y" * 2_000_000, timeout=10)
        assert big.text == "2000000"  # a body sent at full speed is whole


def test_a_body_past_its_total_deadline_is_cut(sockets):
    with Guarded(Limits(header_timeout=0.2, body_min_rate=1, body_timeout=1.0)) as server:
        sock = server.connect("127.0.0.2")
        sockets.append(sock)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(30):  # fast enough for the rate, not for the deadline
            try:
                sock.send(b"x" * 100)
            except OSError:
                break
            time.sleep(0.1)
        wait_for(lambda: server.closed(BODY_DEADLINE) == 1)


def test_the_middleware_alone_cuts_a_slow_body_in_process():
    tally = Tally(logging.getLogger("tests.limits"), interval=3600)
    app = BodyDeadlines(small_app, None, Limits(header_timeout=0.1, body_min_rate=10**9), tally)

    async def main() -> list[dict]:
        sent: list[dict] = []

        async def receive() -> dict:
            await asyncio.sleep(0.3)
            return {"type": "http.request", "body": b"x", "more_body": True}

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {"type": "http", "client": ("testclient", 1), "method": "POST"}
        await asyncio.wait_for(app(scope, receive, send), 5)
        return sent

    assert asyncio.run(main()) == []  # the app saw a disconnect and answered nothing
    assert tally.counts == {f"connections closed: {BODY_SLOW}": 1}


def test_a_large_body_sent_right_after_the_tls_handshake_is_read_whole(tls_context):
    with Guarded(Limits(header_timeout=5), tls=tls_context) as server:
        url = f"https://127.0.0.1:{server.port}/"
        answer = httpx.post(url, content=b"z" * 3_000_000, verify=False, timeout=20)
        assert answer.text == "3000000"
        assert server.tally.counts == {}
