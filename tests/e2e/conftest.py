"""The worlds of the end-to-end tests: `net`, a district served by a real `district serve`
subprocess with two workers; `quick`, a district and two workers driven through the
CLI by file; and the helpers that check what a refusal left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import Result

from tests.conftest import PASSPHRASE
from tests.world import UNIT, WORKERS, Fieldkit, World, cli_world, file_sync, use_fast_kdf


@pytest.fixture
def net(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    use_fast_kdf(monkeypatch)
    if "district_backend" in request.fixturenames:  # the district's database first
        request.getfixturevalue("district_backend")
    world = Net(tmp_path, Fieldkit())
    world.server.start()
    try:
        for who in WORKERS:
            world.enrol(who)
        yield world
    finally:
        world.server.stop()


@pytest.fixture
def quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The world with cheap key derivation and a session per worker.

    With a session, opening a worker's store writes nothing (opening with the
    passphrase records an unlock event), so its files can be compared byte for byte.
    """
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    return Cli(fk, cli_world(tmp_path, fk, sessions=True))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m fieldkit --home HOME district serve` in a subprocess; stop() kills it."""

    def __init__(
        self,
        home: Path,
        port: int,
        *,
        tls: bool = True,
        log: Path | None = None,
        args: Sequence[str] = (),
        open_files: int | None = None,
    ):
        self.home, self.port, self.tls = home, port, tls
        self.log = log or home.parent / "server.log"
        self.args = list(args)  # more options of `district serve` (limits)
        self.open_files = open_files  # a lower RLIMIT_NOFILE for the server process
        self.proc: subprocess.Popen | None = None
        self.passphrase = PASSPHRASE  # the district's, which the server is started with
        self.stderr = ""  # what the last server process wrote there, once stopped

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> Server:
        command = [sys.executable, "-m", "fieldkit", "--home", str(self.home), "district"]
        command += ["serve", "--port", str(self.port), "--log-file", str(self.log), *self.args]
        if not self.tls:
            command.append("--insecure-http")
        env = dict(os.environ, FIELDKIT_PASSPHRASE=self.passphrase)
        env.pop("FIELDKIT_SESSION", None)
        self.proc = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=self._limit_files if self.open_files else None,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()}")
            try:
                answer = httpx.get(self.url + "/v1/health", verify=False, timeout=1.0)
                if answer.status_code == 200 and answer.json()["status"] == "ok":
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not answer /v1/health")

    def _limit_files(self) -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, self.open_files))

    def memory_mib(self) -> tuple[float, float]:
        """The server process's resident memory now and at its peak (VmRSS, VmHWM)."""
        assert self.proc is not None
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
        return fields["VmRSS"], fields["VmHWM"]

    def stop(self, *, hard: bool = False) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = None
            return
        if hard:
            self.proc.send_signal(signal.SIGKILL)
        else:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.proc.stderr is not None:
            self.stderr = self.proc.stderr.read().decode(errors="replace")
            self.proc.stderr.close()
        self.proc = None


class Net:
    """A district (self-signed TLS) served by a real server, and its workers over the CLI."""

    def __init__(
        self, root: Path, fk: Fieldkit, *, tls: bool = True, server_args: Sequence[str] = ()
    ) -> None:
        self.root, self.fk = root, fk
        self.district_home = root / "district"
        self.homes = {who: root / who for who in WORKERS}
        self.worker_ids: dict[str, str] = {}
        self.codes: dict[str, str] = {}
        port = free_port()
        self.server = Server(self.district_home, port, tls=tls, args=server_args)
        args = ["district", "init", "--name", "District réseau", "--url", self.server.url]
        created = fk.json(self.district_home, *args, *(["--self-signed"] if tls else []))
        self.district_fingerprint = created["fingerprint"]
        self.tls_fingerprint = created.get("tls_fingerprint")
        # The district identity file of each code (what the stick would carry).
        self.identity_files: dict[str, Path] = {}
        for who, name in WORKERS.items():
            identity = root / f"{who}-district.json"
            args = ["--name", name, "--unit", UNIT, "--to-file", str(identity)]
            added = self.district("worker", "add", *args)
            self.worker_ids[who], self.codes[who] = added["id"], added["enrolment_code"]
            self.identity_files[who] = identity
            fk.json(self.homes[who], "init")

    def district(self, *args: str):
        return self.fk.json(self.district_home, "district", *args)

    def run(self, who: str, *args: str):
        return self.fk.run(self.homes[who], *args)

    def json(self, who: str, *args: str):
        return self.fk.json(self.homes[who], *args)

    def enrol(self, who: str) -> dict:
        done = self.json(who, "enrol", self.codes[who], "--server", self.server.url)
        assert done["status"] == "enrolled" and done["worker_id"] == self.worker_ids[who]
        assert done["district_fingerprint"] == self.district_fingerprint
        return done

    def new_case(self, name: str, *assignees: str) -> str:
        case = self.district("case", "add", "--name", name, "--unit", UNIT, "--reason", "Test")
        for i, who in enumerate(assignees):
            lead = ["--lead"] if i == 0 else []
            args = ["case", "assign", case["reference"], self.worker_ids[who], *lead]
            self.fk.ok(self.district_home, "district", *args)
        return case["reference"]

    def note(self, who: str, reference: str, summary: str) -> str:
        args = ["followup", "add", reference, "--kind", "phone-call", "--summary", summary]
        return self.json(who, *args)["id"]

    def sync(self, who: str) -> dict:
        report = self.json(who, "sync")
        assert report["status"] == "ok", report
        return report

    def district_followups(self, reference: str) -> list[str]:
        return sorted(f["id"] for f in self.district("case", "show", reference)["followups"])

    def followups(self, who: str, reference: str) -> list[str]:
        return sorted(f["id"] for f in self.json(who, "followup", "list", reference))


# Attacks in the background (tests/e2e/test_hostile_server.py, test_nginx_front.py)


class Background:
    """An attack running in a thread of the test; join() gives its counts."""

    def __init__(self, attack: Callable[..., dict], *args, **kwargs) -> None:
        self.result: dict = {}
        self.thread = threading.Thread(target=self._run, args=(attack, args, kwargs))
        self.thread.start()

    def _run(self, attack, args, kwargs) -> None:
        self.result = attack(*args, **kwargs)

    def join(self) -> dict:
        self.thread.join(timeout=120)
        assert not self.thread.is_alive()
        return self.result


def still_syncs(net: Net, reference: str, n: int) -> None:
    """The worker records a follow-up and syncs it, while the attack goes on."""
    net.note("a", reference, f"Appel pendant l'attaque {n}.")
    assert net.sync("a")["sent"] == 1


# A world driven through the CLI, bundles carried as files


@dataclass
class Cli:
    """The world's three stores driven through `fieldkit`."""

    fk: Fieldkit
    world: World

    def run(self, who: str, *args: str) -> Result:
        """In worker `who`'s store (its session if it has one), whatever the outcome."""
        home = self.world.homes[who]
        return self.fk.run(home, *args, session=self.world.sessions.get(who))

    def ok(self, who: str, *args: str) -> Result:
        return self.fk.ok(self.world.homes[who], *args, session=self.world.sessions.get(who))

    def json(self, who: str, *args: str) -> Any:
        return self.fk.json(self.world.homes[who], *args, session=self.world.sessions.get(who))

    def district_run(self, *args: str) -> Result:
        return self.fk.run(self.world.district_home, "district", *args)

    def district(self, *args: str) -> Any:
        return self.fk.json(self.world.district_home, "district", *args)

    def note(self, who: str, kind: str, summary: str, *extra: str) -> str:
        """A follow-up recorded on the world's case; returns its id."""
        args = ["followup", "add", self.world.reference, "--kind", kind, "--summary", summary]
        return self.json(who, *args, *extra)["id"]

    def sync(self, *order: str, tag: str) -> None:
        for who in order:
            file_sync(self.fk, self.world, who, f"{tag}-{who}")

    # What each side shows

    def followups(self, who: str) -> list[str]:
        return sorted(f["id"] for f in self.json(who, "followup", "list", self.world.reference))

    def district_followups(self) -> list[str]:
        return sorted(
            f["id"] for f in self.district("case", "show", self.world.reference)["followups"]
        )

    def conflicts(self, who: str) -> list[str]:
        return sorted(c["id"] for c in self.json(who, "conflicts", "list"))

    def district_conflicts(self) -> list[str]:
        return sorted(
            c["id"] for c in self.district("case", "show", self.world.reference)["conflicts"]
        )

    def case(self, who: str) -> dict:
        return self.json(who, "case", "show", self.world.reference)

    def district_case(self) -> dict:
        return self.district("case", "show", self.world.reference)


# What a refusal leaves


def snapshot(home: Path) -> dict[str, bytes]:
    """Every file of a store's home, byte for byte."""
    files = sorted(p for p in home.rglob("*") if p.is_file())
    return {str(p.relative_to(home)): p.read_bytes() for p in files}


def refused(result: Result, code: int) -> str:
    """The refusal's one line on stderr, after checking the exit code and that nothing crashed."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def flipped(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]
