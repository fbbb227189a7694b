"""Bounds on what anyone who reaches the district server's port can make it hold (issue 15).

uvicorn bounds the idle time between requests (`timeout_keep_alive`) and the size of a
request's head (`h11_max_incomplete_event_size`); Starlette streams bodies. What they
lack is here, in two small layers on uvicorn's public options only:

- `Gate` and the protocol class `guarded(gate)` (given as uvicorn's `http=`): every
  connection is counted when it is accepted, before TLS. Beyond `max_connections` in
  all, or `max_per_address` from one client address, it is aborted at once: no TLS
  handshake, nothing read. An admitted connection then has `header_timeout` seconds,
  from its accept (TLS handshake included) and again from the end of each answer, to
  bring its next request's headers to the app, or it is aborted. TLS is started here
  (asyncio's `start_tls`) so that the count and the deadline cover the handshake.
- `BodyDeadlines`, an ASGI middleware: it tells the gate when a request reaches the app
  and when its answer is sent, and bounds the body. Time spent waiting for body bytes
  is the client's: after `header_timeout` seconds of it, the body must have come at
  `body_min_rate` bytes a second on average, and it may take `body_timeout` seconds in
  all; otherwise the connection is aborted.

Closing is cheap and quiet: `Tally` counts closed connections by cause and writes one
summary line per cause a minute ("1,234 connections closed: header deadline"), never a
traceback; `Quiet` does the same for uvicorn's and asyncio's own log lines. `Throttle`
holds the token buckets of enrolment attempts (per client address and per code).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("fieldkit.server")

# Seconds between two summary lines of the tally.
SUMMARY_INTERVAL = 60.0
# Seconds between two returns of freed memory to the system.
TRIM_INTERVAL = 5.0
# Seconds a bundle waits for an upload slot before the server answers 503.
UPLOAD_WAIT = 60.0
# Seconds a throttled enrolment attempt waits for its 429: a guesser's loop slows down,
# and the server spends nothing meanwhile.
THROTTLE_DELAY = 1.0
# Seconds a refused upload's connection stays open once its answer is sent.
LINGER = 1.0
# The most bytes a TLS connection may bring before its handshake has fully returned
# (a few reads of the socket at most, in practice).
MAX_EARLY_BYTES = 4 * 1024 * 1024
# The most bytes of a request line and headers uvicorn buffers (fieldkit sends ~200).
MAX_HEAD_BYTES = 16 * 1024

# Causes of a closed connection, as the summary line names them.
FULL = "server full"
FULL_ADDRESS = "too many from one address"
HEADER_DEADLINE = "header deadline"
BODY_SLOW = "body too slow"
BODY_DEADLINE = "body deadline"
TLS_FAILED = "TLS handshake failed"


@dataclass(frozen=True)
class Limits:
    """The server's bounds; `district serve` has an option for each (docs/server.md)."""

    max_connections: int = 512
    max_per_address: int = 64
    header_timeout: float = 10.0
    body_min_rate: int = 4096  # bytes a second, on average, after header_timeout
    body_timeout: float = 600.0
    keep_alive: int = 5
    max_uploads: int = 4  # bundle bodies read at once: the memory bound's factor
    enrol_per_address: int = 20  # enrolment attempts a minute
    enrol_per_code: int = 5


class Tally:
    """Counts of what was closed or dropped, written as one line per cause and interval."""

    def __init__(
        self,
        logger: logging.Logger = log,
        interval: float = SUMMARY_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger, self.interval, self.clock = logger, interval, clock
        self.counts: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.since = clock()
        self._timer: asyncio.TimerHandle | None = None
        self._trimmer: asyncio.TimerHandle | None = None
        self.activity = self._seen_activity = 0  # connections closed, for the memory tick

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n
        self.activity += n
        if self.clock() - self.since >= self.interval:
            self.flush()

    def first(self, key: str) -> bool:
        """True the first time `key` is seen in this interval."""
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def flush(self) -> None:
        for what, n in sorted(self.counts.items()):
            self.logger.warning("%s %s", f"{n:,}", what)
        self.counts.clear()
        self.seen.clear()
        self.since = self.clock()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Flush every interval on `loop`, and take over its exception handler."""
        loop.set_exception_handler(self.loop_error)

        def tick() -> None:
            if self.counts:
                self.flush()
            self._timer = loop.call_later(self.interval, tick)

        def memory() -> None:
            # What an attack's connections left behind, back to the system: asyncio's
            # transports and protocols hold each other (cycles the collector frees only
            # at its rare full passes), then the freed heap is trimmed.
            if self.activity != self._seen_activity:
                self._seen_activity = self.activity
                gc.collect()
                trim()
            self._trimmer = loop.call_later(TRIM_INTERVAL, memory)

        self._timer = loop.call_later(self.interval, tick)
        self._trimmer = loop.call_later(TRIM_INTERVAL, memory)

    def stop(self) -> None:
        for timer in (self._timer, self._trimmer):
            if timer is not None:
                timer.cancel()
        self._timer = self._trimmer = None
        if self.counts:
            self.flush()

    def loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """asyncio's errors (an accept failing for want of file descriptors, a transport
        error): one line the first time in an interval, then counted; no traceback."""
        exc = context.get("exception")
        what = type(exc).__name__ if exc is not None else "error"
        errno = getattr(exc, "errno", None)
        message = str(context.get("message", ""))[:120]
        key = f"event loop errors: {message} ({what}{f' errno {errno}' if errno else ''})"
        if self.first(key):
            self.logger.warning("%s", key.replace("event loop errors: ", "event loop error: ", 1))
        else:
            self.count(key)


def tune_malloc() -> None:
    """Make freed connection buffers go back to the system (glibc only; else nothing).

    Each TLS connection holds a 256 KiB read buffer (asyncio's SSLProtocol). glibc's
    default would soon serve such blocks from the heap, which it keeps after an attack;
    a fixed mmap threshold gives each back when its connection closes, two arenas keep
    the worker threads from holding memory of their own, and `trim()` returns the rest.
    """
    libc = _libc()
    if libc is not None:
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD, fixed (no dynamic raise)
        libc.mallopt(-8, 2)  # M_ARENA_MAX


def trim() -> None:
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def _libc() -> Any:
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None


class Quiet(logging.Filter):
    """A log line the first time in an interval (its traceback reduced to the exception's
    type), then only counted in the tally's summary."""

    def __init__(self, tally: Tally) -> None:
        super().__init__()
        self.tally = tally

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.getMessage()} ({record.exc_info[0].__name__})"
            record.args = ()
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        key = str(record.msg)[:120]
        if self.tally.first(key):
            return True
        self.tally.count(f"log lines like: {key}")
        return False


class Throttle:
    """Token buckets: `per_minute` attempts a minute for each key, as a burst or spread.

    At most `max_keys` buckets are kept; beyond, full ones are dropped, and if none is,
    new keys share one bucket (so a flood of addresses cannot grow the table).
    """

    OVERFLOW = "\x00overflow"

    def __init__(
        self, per_minute: int, *, max_keys: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = float(max(per_minute, 1))
        self.rate = self.capacity / 60.0
        self.max_keys, self.clock = max_keys, clock
        self.buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        if key not in self.buckets and len(self.buckets) >= self.max_keys:
            self._prune(now)
            if len(self.buckets) >= self.max_keys:
                key = self.OVERFLOW
        tokens, at = self.buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        allowed = tokens >= 1.0
        self.buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        return allowed

    def _prune(self, now: float) -> None:
        full = [
            key
            for key, (tokens, at) in self.buckets.items()
            if tokens + (now - at) * self.rate >= self.capacity
        ]
        for key in full:
            del self.buckets[key]


class Gate:
    """The connections open, by client address, and the guard of each (by peer)."""

    def __init__(self, limits: Limits, tally: Tally, ssl_context: Any = None) -> None:
        self.limits, self.tally, self.ssl = limits, tally, ssl_context
        self.open = 0
        self.by_address: Counter[str] = Counter()
        self.guards: dict[tuple[str, int], Guard] = {}

    def admit(self, address: str) -> str | None:
        """Count one more connection from `address`, or the cause to refuse it."""
        if self.open >= self.limits.max_connections:
            return FULL
        if self.by_address[address] >= self.limits.max_per_address:
            return FULL_ADDRESS
        self.open += 1
        self.by_address[address] += 1
        return None

    def release(self, address: str) -> None:
        self.open -= 1
        self.tally.activity += 1  # memory may be given back at the next tick
        self.by_address[address] -= 1
        if self.by_address[address] <= 0:
            del self.by_address[address]

    def find(self, client: Any) -> Guard | None:
        """The guard of the connection an ASGI scope's `client` names, if it is ours."""
        if not isinstance(client, list | tuple) or len(client) < 2:
            return None
        try:
            return self.guards.get((str(client[0]), int(client[1])))
        except (TypeError, ValueError):
            return None


def guarded(gate: Gate, inner: type[asyncio.Protocol] | None = None) -> type[asyncio.Protocol]:
    """The protocol class to give uvicorn as `http=`: `Guard` on `gate`, around uvicorn's
    h11 protocol (or `inner`)."""
    if inner is None:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        inner = H11Protocol
    return type("GuardedProtocol", (Guard,), {"gate": gate, "inner_class": inner})


class Guard(asyncio.Protocol):
    """One connection: admitted or aborted by the gate, TLS started, the header deadline
    kept; everything else is uvicorn's protocol's (`inner`), which sees the transport
    as if it had been given it directly."""

    gate: Gate
    inner_class: type[asyncio.Protocol]

    def __init__(self, *args: Any, _loop: asyncio.AbstractEventLoop | None = None, **kwargs):
        self.loop = _loop or asyncio.get_event_loop()
        self._args, self._kwargs = args, {**kwargs, "_loop": _loop}
        self.inner: Any = None
        self.transport: Any = None
        self.address = ""
        self.key: tuple[str, int] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.lost = False
        self.early: list[bytes] = []
        self.early_bytes = 0
        self.eof = False
        self._counted = False

    # asyncio.Protocol

    def connection_made(self, transport: Any) -> None:
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.address = str(peer[0])
            self.key = (self.address, int(peer[1]))
        else:  # a Unix socket: one address for all
            self.address = "local"
        cause = self.gate.admit(self.address)
        if cause is not None:
            self.gate.tally.count(f"connections closed: {cause}")
            self.lost = True
            transport.abort()
            return
        self._counted = True
        self.transport = transport
        if self.key is not None:
            self.gate.guards[self.key] = self
        self.arm()
        if self.gate.ssl is None:
            self._start(transport)
        else:
            transport.pause_reading()  # nothing is read before the handshake starts
            self.loop.create_task(self._handshake(transport))

    def data_received(self, data: bytes) -> None:
        if self.inner is not None:
            self.inner.data_received(data)
        elif not self.lost:
            # Bytes decrypted with the end of the handshake, before `start_tls` returns
            # (a client sends its request, body and all, right after the handshake):
            # kept for uvicorn's protocol, which then applies its own flow control.
            self.early.append(data)
            self.early_bytes += len(data)
            if self.early_bytes > MAX_EARLY_BYTES:
                self.close(TLS_FAILED)

    def eof_received(self) -> bool | None:
        if self.inner is not None:
            return self.inner.eof_received()
        self.eof = True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._release()
        if self.inner is not None:
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()

    # For BodyDeadlines and the deadline

    def arm(self) -> None:
        """Start the header deadline (at accept, and after each answer)."""
        self.disarm()
        if not self.lost:
            self.timer = self.loop.call_later(self.gate.limits.header_timeout, self._expired)

    def linger(self) -> None:
        """Abort the connection LINGER seconds from now, uncounted (the answer was sent)."""
        self.disarm()
        if not self.lost:
            self.timer = self.loop.call_later(LINGER, self._abort)

    def _abort(self) -> None:
        self.timer = None
        transport = self.transport
        self._release()
        if transport is not None:
            transport.abort()

    def disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def close(self, cause: str) -> None:
        """Abort the connection, counted under `cause`."""
        if self.lost:
            return
        self.gate.tally.count(f"connections closed: {cause}")
        self.disarm()
        transport = self.transport
        self._release()
        if transport is not None:
            transport.abort()

    def _expired(self) -> None:
        self.timer = None
        self.close(HEADER_DEADLINE)

    async def _handshake(self, raw: Any) -> None:
        try:
            tls = await self.loop.start_tls(
                raw,
                self,
                self.gate.ssl,
                server_side=True,
                ssl_handshake_timeout=self.gate.limits.header_timeout,
            )
        except Exception:  # a bad or stalled handshake, a client gone: counted, no traceback
            if not self.lost:
                self.gate.tally.count(f"connections closed: {TLS_FAILED}")
                self._release()
            raw.abort()
            return
        if self.lost or tls is None:
            if tls is not None:
                tls.abort()
            return
        self._start(tls)

    def _start(self, transport: Any) -> None:
        self.transport = transport
        self.inner = self.inner_class(*self._args, **self._kwargs)
        self.inner.connection_made(transport)
        early, self.early, self.early_bytes = b"".join(self.early), [], 0
        if early:
            self.inner.data_received(early)
        if self.eof:
            self.inner.eof_received()

    def _release(self) -> None:
        self.lost = True
        self.disarm()
        if self._counted:
            self._counted = False
            self.gate.release(self.address)
            if self.key is not None and self.gate.guards.get(self.key) is self:
                del self.gate.guards[self.key]


class BodyDeadlines:
    """ASGI middleware: the header deadline stops when a request reaches the app and
    starts again once its answer is sent; the body is read within its rate and deadline."""

    def __init__(self, app: Any, gate: Gate | None, limits: Limits, tally: Tally) -> None:
        self.app, self.gate, self.limits, self.tally = app, gate, limits, tally

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guard = self.gate.find(scope.get("client")) if self.gate is not None else None
        if guard is not None:
            guard.disarm()
        limits, loop = self.limits, asyncio.get_running_loop()
        received, waited = 0, 0.0
        finished = False

        def cut(cause: str) -> dict:
            if guard is not None:
                guard.close(cause)
            else:
                self.tally.count(f"connections closed: {cause}")
            return {"type": "http.disconnect"}

        async def timed_receive() -> dict:
            nonlocal received, waited, finished
            if finished:
                return await receive()
            grace = limits.header_timeout
            allowed = min(limits.body_timeout, max(grace, received / limits.body_min_rate))
            left = allowed - waited
            cause = BODY_DEADLINE if allowed >= limits.body_timeout else BODY_SLOW
            if left <= 0:
                return cut(cause)
            started = loop.time()
            try:
                message = await asyncio.wait_for(receive(), left)
            except TimeoutError:
                return cut(cause)
            waited += loop.time() - started
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                finished = not message.get("more_body", False)
            return message

        closing = False

        async def watched_send(message: dict) -> None:
            nonlocal closing
            await send(message)
            if guard is None:
                return
            if message.get("type") == "http.response.start":
                closing = (b"connection", b"close") in [
                    (k.lower(), v.lower()) for k, v in message.get("headers", [])
                ]
            elif message.get("type") == "http.response.body" and not message.get("more_body"):
                # A refusal with its body unread: the client may go on sending, so the
                # connection is aborted soon after the answer rather than closed politely.
                guard.linger() if closing else guard.arm()

        await self.app(scope, timed_receive, watched_send)
