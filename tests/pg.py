"""A throw-away PostgreSQL cluster for the tests, and a fresh database per test.

The cluster lives in a temp dir on a free port with its socket beside its data,
`fsync=off` (nothing in it outlives the session). As root (CI runs as root),
initdb and postgres refuse to run, so they run as the unprivileged `postgres` user
(Debian's package creates it) or `nobody`, in a temp dir that user owns.
Binaries come from PATH, else from Debian's `/usr/lib/postgresql/*/bin`.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

SUPERUSER = "fieldkit"
_names = itertools.count()


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        real = Path(os.path.realpath(found)).parent
        if (real / "initdb").exists() and (real / "postgres").exists():
            return real
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    for candidate in reversed(candidates):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    return None


def dbname(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> tuple[list[str], int | None, int | None]:
    """The command prefix to drop root, with that user's uid and gid."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        tool = shutil.which("runuser") or shutil.which("setpriv")
        if tool and tool.endswith("runuser"):
            return [tool, "-u", name, "--"], user.pw_uid, user.pw_gid
        if tool:
            prefix = [tool, f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
            return prefix, user.pw_uid, user.pw_gid
    raise RuntimeError("running as root and no unprivileged user to run PostgreSQL as")


class Cluster:
    """One running PostgreSQL; `create_database()` gives a new empty database's DSN."""

    def __init__(self) -> None:
        self.bin = _binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL binaries not found (Debian package `postgresql`)")
        self.prefix, uid, gid = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="fieldkit-pg-"))
        if uid is not None:
            os.chown(self.root, uid, gid)
        self.data = self.root / "data"
        self.port = _free_port()
        self.host = str(self.root)
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses='' -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w",
            "-t", "60", "start",
        )  # fmt: skip

    def _run(self, tool: str, *args: str) -> None:
        assert self.bin is not None
        subprocess.run(
            [*self.prefix, str(self.bin / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.root,
        )

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@/{dbname}?host={self.host}&port={self.port}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, template: str = "template0") -> str:
        name = f"fk_{os.getpid()}_{next(_names)}"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.dsn(name)

    def drop_database(self, dsn: str) -> None:
        name = dbname(dsn)
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def pg_dump(self, dsn: str) -> str:
        assert self.bin is not None
        return subprocess.run(
            [str(self.bin / "pg_dump"), "--no-owner", dsn],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> tuple[Cluster | None, str]:
    """A running cluster, or None with the reason it could not start."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None, "psycopg is not installed"
    try:
        return Cluster(), ""
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        detail = (getattr(exc, "stderr", b"") or b"").decode(errors="replace")[-300:]
        return None, f"no PostgreSQL server could be started: {exc} {detail}".strip()


def clone_district(cluster: Cluster, source_home: Path, home: Path) -> str:
    """`home` (a copy of `source_home`) now points at its own copy of the source's database."""
    from fieldkit.district import backend

    source = backend.read_config(source_home)
    assert source.dsn
    dsn = cluster.create_database(template=dbname(source.dsn))
    backend.write_config(home, backend.DatabaseConfig(backend.POSTGRESQL, dsn))
    return dsn


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One cluster per test process; the test skips, saying why, when none can start."""
    cluster, reason = start_cluster()
    if cluster is None:
        pytest.skip(reason)
    try:
        yield cluster
    finally:
        cluster.stop()
