"""The district server: a small FastAPI app that carries bundles in and out (DESIGN §4).

Endpoints (versioned under /v1): health, enrolment, sync. The bundle bytes are the
same as over files; all protocol work is fieldkit.district.exchange.handle. Bundles
are handled each in one transaction on `store.lease()`: one at a time on the SQLite
file (one writer), side by side on PostgreSQL up to the pool's size, their writes
serialised by the database's write lock; so concurrent workers (and several server
processes on one PostgreSQL database) never lose or duplicate a change, and an
interrupted request commits whole or not at all. The access log carries the time,
the worker id, counts and the status, never personal data.
"""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from fieldkit import __version__
from fieldkit.district.exchange import handle
from fieldkit.district.store import DistrictStore
from fieldkit.errors import FieldkitError
from fieldkit.sync import wire
from fieldkit.sync.bundle import MAX_BUNDLE_BYTES
from fieldkit.sync.enrolment import MAX_ENROL_BYTES

log = logging.getLogger("fieldkit.server")


def create_app(store: DistrictStore) -> FastAPI:
    app = FastAPI(title="fieldkit district", version=__version__, docs_url=None, redoc_url=None)

    async def read_limited(request: Request, limit: int) -> bytes | None:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return None
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    def exchange(data: bytes, endpoint: str) -> Response:
        started = time.monotonic()
        worker, status, counts = "-", wire.OK, ""
        try:
            with store.lease() as leased:
                outcome = handle(leased, data)
            worker = outcome.worker_id
            counts = (
                f"in={outcome.received} applied={outcome.applied}"
                f" refused={outcome.refused} out={outcome.sent}"
            )
            # A revoked worker's refusal carries a signed wipe notice, not JSON.
            status = wire.REFUSED if outcome.refused_worker else wire.OK
            return Response(outcome.reply, status_code=status, media_type=wire.BUNDLE_MEDIA_TYPE)
        except FieldkitError as exc:
            status, body = wire.answer(exc)
            return JSONResponse(body, status_code=status)
        except Exception as exc:
            # The bundle's transaction was rolled back; the worker keeps its changes queued
            # and sends them again. Never the exception's text: it could quote case data.
            status, body = wire.fault(exc)
            log.error("%s failed: %s", endpoint, type(exc).__name__)
            return JSONResponse(body, status_code=status)
        finally:
            elapsed = (time.monotonic() - started) * 1000
            log.info("%s worker=%s status=%d %s ms=%.0f", endpoint, worker, status, counts, elapsed)

    @app.get("/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "district": store.replica_id, "version": __version__}

    async def carry(request: Request, limit: int, endpoint: str) -> Response:
        data = await read_limited(request, limit)
        if data is None:
            return JSONResponse(wire.TOO_LARGE_BODY, status_code=wire.TOO_LARGE)
        return await run_in_threadpool(exchange, data, endpoint)

    @app.post("/v1/enrol")
    async def enrol(request: Request) -> Response:
        return await carry(request, MAX_ENROL_BYTES, "enrol")

    @app.post("/v1/sync")
    async def sync(request: Request) -> Response:
        return await carry(request, MAX_BUNDLE_BYTES, "sync")

    return app
