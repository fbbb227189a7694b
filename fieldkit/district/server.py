"""The district server: a small FastAPI app that carries bundles in and out (DESIGN §4).

Endpoints (versioned under /v1): health, enrolment, sync. The bundle bytes are the
same as over files; all protocol work is fieldkit.district.exchange.handle. Bundles
are handled each in one transaction on `store.lease()`: one at a time on the SQLite
file (one writer), side by side on PostgreSQL up to the pool's size, their writes
serialised by the database's write lock; so concurrent workers (and several server
processes on one PostgreSQL database) never lose or duplicate a change, and an
interrupted request commits whole or not at all.

A sync bundle is refused from its first bytes (docs/server.md, "Limits"): its fixed
header is read, its sender must be an enrolled worker and its declared length within
the limit before the body is read, and at most `max_uploads` bodies are read at once.
Enrolment attempts are throttled per client address and per code. The access log
carries the time, the client address, the worker id, counts or the refusal's key and
the status, never personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from fieldkit.district.exchange import admit, handle
from fieldkit.district.limits import (
    THROTTLE_DELAY,
    UPLOAD_WAIT,
    BodyDeadlines,
    Gate,
    Limits,
    Tally,
    Throttle,
)
from fieldkit.district.store import DistrictStore
from fieldkit.errors import BundleRejected, FieldkitError, Refused
from fieldkit.i18n import t
from fieldkit.sync import wire
from fieldkit.sync.bundle import MAX_BUNDLE_BYTES, PREFIX_BYTES, head_length, read_head
from fieldkit.sync.enrolment import MAX_ENROL_BYTES
from fieldkit.sync.enrolment import named_worker as enrolment_worker

log = logging.getLogger("fieldkit.server")

# What the access log may show of a worker id an enrolment request names: the district's
# own form of id (fieldkit/district/workers.py), never free text a caller chose.
WORKER_ID = re.compile(r"^wk-[0-9a-f]{1,32}$")
# The lookup value of a short enrolment code (fieldkit/crypto/enrolment.py, `lookup`).
LOOKUP = re.compile(r"^[0-9a-f]{32}$")
# Asks the client to close the connection: its body was refused unread.
CLOSE = {"connection": "close"}
# Seconds the early check remembers what it found of a sender id, so that an upload
# repeated under one id does not wait for the store each time (an enrolment forgets).
SENDER_TTL = 5.0
SENDERS_KEPT = 4096


class _Body:
    """A request body read exactly as far as asked (a bundle's head, then the rest)."""

    def __init__(self, stream: AsyncIterator[bytes]) -> None:
        self.stream = stream
        self.rest = b""

    async def exactly(self, size: int) -> bytes:
        parts, have = [], 0
        while have < size:
            if self.rest:
                chunk, self.rest = self.rest, b""
            else:
                chunk = await anext(self.stream, None)
                if chunk is None:
                    raise BundleRejected("bundle.malformed")
            take = min(len(chunk), size - have)
            parts.append(chunk[:take] if take < len(chunk) else chunk)
            self.rest = chunk[take:]
            have += take
        return b"".join(parts)

    async def end(self) -> None:
        """Nothing after the bundle."""
        if self.rest:
            raise BundleRejected("bundle.malformed")
        async for chunk in self.stream:
            if chunk:
                raise BundleRejected("bundle.malformed")


def create_app(
    store: DistrictStore,
    *,
    limits: Limits | None = None,
    gate: Gate | None = None,
    tally: Tally | None = None,
    openapi: bool = False,
) -> FastAPI:
    """The app on `store`. `gate` is the connection layer's (fieldkit/district/limits.py)
    when a real server runs it; in process there is none. `/openapi.json` only if asked."""
    limits = limits or Limits()
    tally = tally or (gate.tally if gate is not None else Tally())

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Summary lines once a minute and at shutdown (uvicorn ends the process soon after).
        if gate is not None:
            tally.start(asyncio.get_running_loop())
        try:
            yield
        finally:
            tally.stop()

    app = FastAPI(
        title="fieldkit district",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if openapi else None,
        lifespan=lifespan,
    )
    app.add_middleware(BodyDeadlines, gate=gate, limits=limits, tally=tally)
    uploads = asyncio.Semaphore(limits.max_uploads)
    by_address = Throttle(limits.enrol_per_address)
    by_code = Throttle(limits.enrol_per_code)
    senders: dict[str, tuple[float, str | None]] = {}  # sender id -> (when, worker id)

    async def sender_of(header) -> str:
        """The worker id of an enrolled sender (the early check), or Refused."""
        now = time.monotonic()
        when, worker = senders.get(header.sender, (0.0, None))
        if now - when > SENDER_TTL:
            try:
                worker = await sender_of(header)
            except Refused:
                worker = None
            if len(senders) >= SENDERS_KEPT:
                senders.clear()
            senders[header.sender] = (now, worker)
        if worker is None:
            raise Refused("sync.unknown_worker")
        return worker

    def access(endpoint: str, client: str, worker: str, status: int, detail: str, started: float):
        elapsed = (time.monotonic() - started) * 1000
        log.info(
            "%s client=%s worker=%s status=%d %s ms=%.0f",
            endpoint,
            client,
            worker,
            status,
            detail,
            elapsed,
        )

    def refuse(endpoint, client, worker, started, status, key, body, *, close=True) -> Response:
        access(endpoint, client, worker, status, f"reason={key}", started)
        return JSONResponse(body, status_code=status, headers=CLOSE if close else None)

    def refuse_error(endpoint, client, worker, started, exc: FieldkitError) -> Response:
        if exc.key == "bundle.too_large":
            body: dict = wire.TOO_LARGE_BODY
            status = wire.TOO_LARGE
        else:
            status, body = wire.answer(exc)
        return refuse(endpoint, client, worker, started, status, exc.key, body)

    def exchange(data: bytes, endpoint: str, client: str, worker: str, started: float) -> Response:
        status, detail = wire.OK, ""
        try:
            with store.lease() as leased:
                outcome = handle(leased, data)
            worker = outcome.worker_id
            detail = (
                f"in={outcome.received} applied={outcome.applied}"
                f" refused={outcome.refused} out={outcome.sent}"
            )
            # A revoked worker's refusal carries a signed wipe notice, not JSON.
            status = wire.REFUSED if outcome.refused_worker else wire.OK
            return Response(outcome.reply, status_code=status, media_type=wire.BUNDLE_MEDIA_TYPE)
        except FieldkitError as exc:
            status, body = wire.answer(exc)
            detail = f"reason={exc.key}"
            return JSONResponse(body, status_code=status)
        except Exception as exc:
            # The bundle's transaction was rolled back; the worker keeps its changes queued
            # and sends them again. Never the exception's text: it could quote case data.
            status, body = wire.fault(exc)
            detail = f"reason={type(exc).__name__}"
            log.error("%s failed: %s", endpoint, type(exc).__name__)
            return JSONResponse(body, status_code=status)
        finally:
            access(endpoint, client, worker, status, detail, started)

    def client_of(request: Request) -> str:
        return request.client.host if request.client is not None else "-"

    def declared_length(request: Request) -> int | None:
        """The Content-Length, None without one, -1 when it is not a number."""
        declared = request.headers.get("content-length")
        if declared is None:
            return None
        return int(declared) if declared.isdigit() and len(declared) < 20 else -1

    def abandoned() -> Response:
        # The client left, or BodyDeadlines closed its connection (counted there).
        tally.count("requests abandoned mid-body")
        return Response(status_code=wire.BAD_REQUEST, headers=CLOSE)

    @app.get("/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/enrol")
    async def enrol(request: Request) -> Response:
        started, client = time.monotonic(), client_of(request)
        declared = declared_length(request)
        if declared is not None and not 0 <= declared <= MAX_ENROL_BYTES:
            too_large = wire.TOO_LARGE_BODY
            return refuse("enrol", client, "?", started, wire.TOO_LARGE, "too_large", too_large)
        body = _Body(request.stream())
        try:
            chunks, size = [], 0
            async for chunk in body.stream:
                size += len(chunk)
                if size > MAX_ENROL_BYTES:
                    too_large = wire.TOO_LARGE_BODY
                    return refuse(
                        "enrol", client, "?", started, wire.TOO_LARGE, "too_large", too_large
                    )
                chunks.append(chunk)
        except ClientDisconnect:
            return abandoned()
        # Throttled once the (small) body is read, so that the connection stays usable: a
        # new connection each time would cost the server a TLS handshake per attempt.
        data = b"".join(chunks)
        worker = named_worker(data)
        if not by_address.allow(client) or (worker != "?" and not by_code.allow(worker)):
            tally.count("enrolment attempts throttled")
            await asyncio.sleep(THROTTLE_DELAY)
            return throttled("enrol", client, worker, started)
        answer = await run_in_threadpool(exchange, data, "enrol", client, worker, started)
        if answer.status_code == wire.OK:
            senders.clear()  # a new sender id may have been refused a moment ago
        return answer

    @app.post("/v1/enrol/identity")
    async def enrol_identity(request: Request) -> Response:
        """The identity document a short code commits to, found by the lookup value the
        worker derives from the code's secret (docs/protocol.md, "Enrolment")."""
        started, client = time.monotonic(), client_of(request)
        try:
            body = await request.body() if (declared_length(request) or 0) <= 64 else b""
        except ClientDisconnect:
            return abandoned()
        lookup = body.decode("ascii", "replace").strip()
        if not LOOKUP.match(lookup):
            return unknown_code(client, started, Refused("enrol.unknown_code"))
        if not by_address.allow(client) or not by_code.allow("lookup:" + lookup):
            tally.count("enrolment attempts throttled")
            await asyncio.sleep(THROTTLE_DELAY)
            return throttled("enrol-identity", client, "?", started)
        try:
            document = await run_in_threadpool(_document, store, lookup)
        except FieldkitError as exc:
            return unknown_code(client, started, exc)
        access("enrol-identity", client, "?", wire.OK, f"bytes={len(document)}", started)
        return Response(document, status_code=wire.OK, media_type="application/json")

    def unknown_code(client: str, started: float, exc: FieldkitError) -> Response:
        # The connection stays open: the worker's client checks the certificate it saw
        # on the answer, refusal or not, and a close would hide it.
        status, body = wire.answer(exc)
        return refuse("enrol-identity", client, "?", started, status, exc.key, body, close=False)

    def named_worker(data: bytes) -> str:
        """The worker id an enrolment request names, when it parses and has the district's
        form; else `?`. No signature is checked for it: a throttled guess costs no crypto."""
        worker_id = enrolment_worker(data)
        return worker_id if worker_id is not None and WORKER_ID.match(worker_id) else "?"

    def throttled(endpoint: str, client: str, worker: str, started: float) -> Response:
        body = wire.body("serve.throttled", t("serve.throttled"))
        access(endpoint, client, worker, wire.TOO_MANY, "reason=serve.throttled", started)
        return JSONResponse(body, status_code=wire.TOO_MANY, headers={"retry-after": "60"})

    @app.post("/v1/sync")
    async def sync(request: Request) -> Response:
        started, client, worker = time.monotonic(), client_of(request), "?"
        declared = declared_length(request)
        if declared is not None and not 0 <= declared <= MAX_BUNDLE_BYTES:
            too_large = wire.TOO_LARGE_BODY
            return refuse("sync", client, worker, started, wire.TOO_LARGE, "too_large", too_large)
        body = _Body(request.stream())
        try:
            prefix = await body.exactly(PREFIX_BYTES)
            head = prefix + await body.exactly(head_length(prefix) - PREFIX_BYTES)
            header, total = read_head(head)
            if declared is not None and declared != total:
                raise BundleRejected("bundle.malformed")
            worker = await run_in_threadpool(_admit, store, header)
            try:
                await asyncio.wait_for(uploads.acquire(), UPLOAD_WAIT)
            except TimeoutError:
                busy = wire.body("serve.busy", t("serve.busy"))
                return refuse("sync", client, worker, started, wire.UNAVAILABLE, "busy", busy)
            try:  # the slot is held until the bundle is handled: its bytes are in memory
                data = head + await body.exactly(total - len(head))
                await body.end()
                return await run_in_threadpool(exchange, data, "sync", client, worker, started)
            finally:
                uploads.release()
        except ClientDisconnect:
            return abandoned()
        except FieldkitError as exc:
            return refuse_error("sync", client, worker, started, exc)

    return app


def _admit(store: DistrictStore, header) -> str:
    with store.lease() as leased:
        return admit(leased, header)


def _document(store: DistrictStore, lookup: str) -> bytes:
    from fieldkit.district.enrolment import document_for

    with store.lease() as leased:
        return document_for(leased.conn, lookup)
