"""fieldkit district serve: the district server over HTTPS (or plain HTTP on loopback)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fieldkit.commands.common import environment, err_console, state
from fieldkit.errors import Busy, FieldkitError, UsageError
from fieldkit.i18n import t, t_n

if TYPE_CHECKING:
    import socket

LOOPBACK_NAMES = {"localhost"}
# Requests one process handles at once on PostgreSQL (one at a time on the SQLite file).
SERVER_POOL = 4
# The access log file: rotated at this size (and weekly), at most this many old files
# kept, each deleted once older than the audit retention (fieldkit/district/accesslog.py):
# a year of weekly files and some, (60 + 1) × 10 MiB at most under a flood.
LOG_MAX_BYTES = 10 * 1024 * 1024
LOG_BACKUPS = 60
# Connections the kernel queues before the server accepts them; the server accepts up to
# this many at once before it closes those over its limits, so they need file descriptors
# (at most a quarter of those the process may open).
BACKLOG = 1024
# File descriptors kept for the store, the log, the worker threads and the rest.
FILE_RESERVE = 128


class DEFAULTS:
    """The server's bounds by default: those of fieldkit.district.limits.Limits, written
    out so that `--help` does not import the server (tests/test_cli_imports.py)."""

    max_connections = 512
    max_per_address = 64
    header_timeout = 10.0
    body_min_rate = 4096
    body_timeout = 600.0
    keep_alive = 5
    max_uploads = 4
    enrol_per_address = 20
    enrol_per_code = 5


def is_loopback(host: str) -> bool:
    import ipaddress  # here, not at the top: every command start-up would pay for it

    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def register(district_app: typer.Typer) -> None:
    @district_app.command("serve", help=t("help.district_serve"))
    def serve(
        ctx: typer.Context,
        host: str = typer.Option("127.0.0.1", "--host", help=t("help.opt.host")),
        port: int = typer.Option(8443, "--port", min=1, max=65535, help=t("help.opt.port")),
        tls_cert: Path | None = typer.Option(None, "--tls-cert", help=t("help.opt.tls_cert")),
        tls_key: Path | None = typer.Option(None, "--tls-key", help=t("help.opt.tls_key")),
        insecure_http: bool = typer.Option(
            False, "--insecure-http", help=t("help.opt.insecure_http")
        ),
        log_file: Path | None = typer.Option(None, "--log-file", help=t("help.opt.log_file")),
        log_max_bytes: int = typer.Option(
            LOG_MAX_BYTES, "--log-max-bytes", min=4096, help=t("help.opt.log_max_bytes")
        ),
        log_backups: int = typer.Option(
            LOG_BACKUPS, "--log-backups", min=1, help=t("help.opt.log_backups")
        ),
        log_max_age: int | None = typer.Option(
            None,
            "--log-max-age",
            metavar=t("metavar.days"),
            min=1,
            max=1095,
            help=t("help.opt.log_max_age"),
        ),
        max_connections: int = typer.Option(
            DEFAULTS.max_connections, "--max-connections", min=1, help=t("help.opt.max_connections")
        ),
        max_per_address: int = typer.Option(
            DEFAULTS.max_per_address, "--max-per-address", min=1, help=t("help.opt.max_per_address")
        ),
        header_timeout: float = typer.Option(
            DEFAULTS.header_timeout, "--header-timeout", min=0.1, help=t("help.opt.header_timeout")
        ),
        body_min_rate: int = typer.Option(
            DEFAULTS.body_min_rate, "--body-min-rate", min=1, help=t("help.opt.body_min_rate")
        ),
        body_timeout: float = typer.Option(
            DEFAULTS.body_timeout, "--body-timeout", min=1.0, help=t("help.opt.body_timeout")
        ),
        keep_alive: int = typer.Option(
            DEFAULTS.keep_alive, "--keep-alive", min=1, help=t("help.opt.keep_alive")
        ),
        max_uploads: int = typer.Option(
            DEFAULTS.max_uploads, "--max-uploads", min=1, help=t("help.opt.max_uploads")
        ),
        enrol_per_minute: int = typer.Option(
            DEFAULTS.enrol_per_address,
            "--enrol-per-minute",
            min=1,
            help=t("help.opt.enrol_per_minute"),
        ),
        enrol_code_per_minute: int = typer.Option(
            DEFAULTS.enrol_per_code,
            "--enrol-code-per-minute",
            min=1,
            help=t("help.opt.enrol_code_per_minute"),
        ),
        openapi: bool = typer.Option(False, "--openapi", help=t("help.opt.openapi")),
    ) -> None:
        import contextlib

        import uvicorn

        from fieldkit.crypto.tls import key_password
        from fieldkit.district import tls
        from fieldkit.district.limits import (
            MAX_HEAD_BYTES,
            Gate,
            Limits,
            Tally,
            guarded,
            tune_malloc,
        )
        from fieldkit.district.server import create_app
        from fieldkit.district.store import DistrictStore

        st = state(ctx)
        store = DistrictStore.open(st.home, st.credentials(), pool_size=SERVER_POOL)
        ssl_context = None
        try:
            if insecure_http:
                if not is_loopback(host):
                    raise UsageError("serve.insecure_not_loopback", host=host)
            else:
                cert = tls_cert or st.home / tls.CERT_NAME
                key = tls_key or st.home / tls.KEY_NAME
                if not cert.exists() or not key.exists():
                    raise UsageError("serve.no_tls")
                password = key_password(store.data_key).decode() if tls_key is None else None
                ssl_context = tls.server_context(cert, key, password)
        except BaseException:
            store.close()
            raise
        files = raise_file_limit()
        backlog = BACKLOG if files is None else max(min(BACKLOG, files // 4), 8)
        if files is not None and max_connections > files - FILE_RESERVE - backlog:
            # Never more connections than file descriptors: EMFILE stays out of reach.
            max_connections = max(files - FILE_RESERVE - backlog, 1)
            err_console().print(t("serve.connections_capped", limit=max_connections, files=files))
        limits = Limits(
            max_connections=max_connections,
            max_per_address=max_per_address,
            header_timeout=header_timeout,
            body_min_rate=body_min_rate,
            body_timeout=body_timeout,
            keep_alive=keep_alive,
            max_uploads=max_uploads,
            enrol_per_address=enrol_per_minute,
            enrol_per_code=enrol_code_per_minute,
        )
        try:
            # Bound here, not by uvicorn: a busy port is one line in the user's language
            # (uvicorn would log its own English error and exit 3, the "locked" code).
            sock = listen(host, port)
        except BaseException:
            store.close()
            raise
        tally = Tally()
        if log_max_age is None:
            log_max_age = store.audit_retention().days
        deleted = _setup_logging(log_file, log_max_bytes, log_backups, log_max_age, tally)
        if deleted:
            err_console().print(t_n("serve.log_pruned", deleted, days=log_max_age))
        gate = Gate(limits, tally, ssl_context)
        scheme = "http" if insecure_http else "https"
        err_console().print(t("serve.listening", url=f"{scheme}://{host}:{port}"))
        try:
            # TLS is started by the gate (fieldkit/district/limits.py), not by uvicorn, so
            # that connections are counted and timed from their accept.
            config = uvicorn.Config(
                create_app(store, limits=limits, gate=gate, openapi=openapi),
                host=host,
                port=port,
                http=guarded(gate),
                log_config=None,
                log_level="warning",
                access_log=False,
                proxy_headers=False,  # the client address is the peer's, as the gate counts
                server_header=False,
                limit_concurrency=limits.max_connections + 1,  # uvicorn's own bound, a spare
                timeout_keep_alive=limits.keep_alive,
                h11_max_incomplete_event_size=MAX_HEAD_BYTES,
                backlog=backlog,
                timeout_graceful_shutdown=30,
            )
            server = uvicorn.Server(config)

            tune_malloc()
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stopped, as asked
                server.run(sockets=[sock])
            if not server.started:
                raise FieldkitError("serve.not_started")
        finally:
            sock.close()
            store.close()


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port), or the reason it cannot be, as a FieldkitError."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise UsageError("serve.bad_host", host=host) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise Busy("serve.port_busy", host=host, port=port) from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise FieldkitError("serve.port_denied", port=port) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise UsageError("serve.bad_host", host=host) from None
        raise
    sock.set_inheritable(True)
    return sock


def raise_file_limit() -> int | None:
    """Raise this process's soft limit of open files to its hard limit; the limit, or
    None where there is none to read (the connection limit is kept below it)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (OSError, ValueError):
            pass
    return None if soft == resource.RLIM_INFINITY else soft


def _setup_logging(
    log_file: Path | None, max_bytes: int, backups: int, max_age_days: int, tally
) -> int:
    """Where the access log goes; returns how many old log files were deleted for their age."""
    import logging

    from fieldkit.district.accesslog import RetainedLogHandler
    from fieldkit.district.limits import Quiet

    handler: logging.Handler = (
        RetainedLogHandler(
            log_file, max_bytes=max_bytes, backups=backups, max_age_days=max_age_days
        )
        if log_file
        else logging.StreamHandler(environment().stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger = logging.getLogger("fieldkit.server")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    # uvicorn's and asyncio's own lines go to the same log, each at most once a minute and
    # without a traceback; the rest of their kind is counted in the tally's summary.
    for name in ("uvicorn.error", "asyncio"):
        other = logging.getLogger(name)
        other.handlers[:] = [handler]
        other.filters[:] = [Quiet(tally)]
        other.propagate = False
    return handler.deleted if isinstance(handler, RetainedLogHandler) else 0
