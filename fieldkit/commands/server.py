"""fieldkit district serve: the district server over HTTPS (or plain HTTP on loopback)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fieldkit.commands.common import environment, err_console, state
from fieldkit.errors import Busy, FieldkitError, UsageError
from fieldkit.i18n import t

if TYPE_CHECKING:
    import socket

LOOPBACK_NAMES = {"localhost"}
# Requests one process handles at once on PostgreSQL (one at a time on the SQLite file).
SERVER_POOL = 4


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
    ) -> None:
        import contextlib

        import uvicorn

        from fieldkit.crypto.tls import key_password
        from fieldkit.district import tls
        from fieldkit.district.server import create_app
        from fieldkit.district.store import DistrictStore

        st = state(ctx)
        store = DistrictStore.open(st.home, st.credentials(), pool_size=SERVER_POOL)
        ssl: dict = {}
        if insecure_http:
            if not is_loopback(host):
                raise UsageError("serve.insecure_not_loopback", host=host)
        else:
            cert = tls_cert or st.home / tls.CERT_NAME
            key = tls_key or st.home / tls.KEY_NAME
            if not cert.exists() or not key.exists():
                raise UsageError("serve.no_tls")
            ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
            if tls_key is None:
                ssl["ssl_keyfile_password"] = key_password(store.data_key).decode()
        try:
            # Bound here, not by uvicorn: a busy port is one line in the user's language
            # (uvicorn would log its own English error and exit 3, the "locked" code).
            sock = listen(host, port)
        except BaseException:
            store.close()
            raise
        _setup_logging(log_file)
        scheme = "http" if insecure_http else "https"
        err_console().print(t("serve.listening", url=f"{scheme}://{host}:{port}"))
        try:
            config = uvicorn.Config(
                create_app(store),
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=30,
                **ssl,
            )
            server = uvicorn.Server(config)
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


def _setup_logging(log_file: Path | None) -> None:
    import logging

    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8")
        if log_file
        else logging.StreamHandler(environment().stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger = logging.getLogger("fieldkit.server")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
