"""The district server for real: a `fieldkit district serve` subprocess on a free port.

Workers are driven through the CLI (typer's CliRunner, in process) against the
server over HTTPS with the self-signed certificate pinned from the enrolment code:
online enrolment, sync both ways, offline (exit 5, nothing touched) while the server
is down and success once it is back, a revoked worker refused (exit 6, case data
wiped), a wrong certificate pin refused (exit 7). Stores use the cheapest Argon2id
(`use_fast_kdf`); the key file records it, so the server subprocess opens fast too.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from fieldkit.errors import INTEGRITY, OFFLINE, REFUSED
from fieldkit.sync.enrolment import decode_code, encode_code
from tests.conftest import PASSPHRASE
from tests.world import UNIT, WORKERS, Fieldkit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m fieldkit --home HOME district serve` in a subprocess; stop() kills it."""

    def __init__(self, home: Path, port: int, *, tls: bool = True, log: Path | None = None):
        self.home, self.port, self.tls = home, port, tls
        self.log = log or home.parent / "server.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> Server:
        command = [sys.executable, "-m", "fieldkit", "--home", str(self.home), "district"]
        command += ["serve", "--port", str(self.port), "--log-file", str(self.log)]
        if not self.tls:
            command.append("--insecure-http")
        env = dict(os.environ, FIELDKIT_PASSPHRASE=PASSPHRASE)
        env.pop("FIELDKIT_SESSION", None)
        self.proc = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
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
            self.proc.stderr.close()
        self.proc = None


def tree_names(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())


class Net:
    """A district (self-signed TLS) served by a real server, and its workers over the CLI."""

    def __init__(self, root: Path, fk: Fieldkit, *, tls: bool = True) -> None:
        self.root, self.fk = root, fk
        self.district_home = root / "district"
        self.homes = {who: root / who for who in WORKERS}
        self.worker_ids: dict[str, str] = {}
        self.codes: dict[str, str] = {}
        port = free_port()
        self.server = Server(self.district_home, port, tls=tls)
        args = ["district", "init", "--name", "District réseau", "--url", self.server.url]
        created = fk.json(self.district_home, *args, *(["--self-signed"] if tls else []))
        self.district_fingerprint = created["fingerprint"]
        self.tls_fingerprint = created.get("tls_fingerprint")
        for who, name in WORKERS.items():
            added = self.district("worker", "add", "--name", name, "--unit", UNIT)
            self.worker_ids[who], self.codes[who] = added["id"], added["enrolment_code"]
            fk.json(self.homes[who], "init")

    def district(self, *args: str):
        return self.fk.json(self.district_home, "district", *args)

    def run(self, who: str, *args: str):
        return self.fk.run(self.homes[who], *args)

    def json(self, who: str, *args: str):
        return self.fk.json(self.homes[who], *args)

    def enrol(self, who: str) -> dict:
        done = self.json(who, "enrol", self.codes[who])
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


def test_enrol_online_and_sync_both_ways_over_pinned_https(net: Net) -> None:
    assert net.server.url.startswith("https://") and net.tls_fingerprint
    reference = net.new_case("Amélie Durand", "a", "b")

    # District -> workers: the assignment reaches both.
    for who in WORKERS:
        assert net.sync(who)["received"] >= 1
        assert [c["reference"] for c in net.json(who, "case", "list")] == [reference]

    # Workers -> district -> the other worker.
    from_a = net.note("a", reference, "Appel à la mère, rendez-vous fixé.")
    from_b = net.note("b", reference, "Échange avec le lycée.")
    assert net.sync("a")["sent"] == 1
    assert net.sync("b")["sent"] == 1
    assert net.district_followups(reference) == sorted([from_a, from_b])
    net.sync("a")
    assert net.followups("a", reference) == net.followups("b", reference)
    assert net.followups("a", reference) == sorted([from_a, from_b])

    # A quiet round trip moves nothing; the access log holds no personal data.
    quiet = net.sync("a")
    assert quiet["sent"] == 0 and quiet["received"] == 0
    log = net.server.log.read_text(encoding="utf-8")
    assert f"worker={net.worker_ids['a']}" in log and "status=200" in log
    for personal in ("Amélie", "Durand", "mère", "lycée", *WORKERS.values()):
        assert personal not in log


def test_offline_exit_5_touches_nothing_then_succeeds_when_back(net: Net) -> None:
    reference = net.new_case("Amélie Durand", "a")
    net.sync("a")
    followup = net.note("a", reference, "Visite à domicile.")
    net.server.stop()
    # "Untouched" is the worker's state: the files (no bundle, no handover left behind),
    # its cases, follow-ups and queue. The database bytes themselves change on any open
    # (even `case list`), so they are not what is compared.
    files = tree_names(net.homes["a"])
    status = net.json("a", "status")
    held = net.json("a", "followup", "list", reference)

    result = net.run("a", "sync")
    assert result.exit_code == OFFLINE, (result.stdout, result.stderr)
    assert "offline" in result.stderr and "1 change" in result.stderr
    assert tree_names(net.homes["a"]) == files
    assert net.json("a", "status") == status and status["unsynced_changes"] == 1
    assert net.json("a", "followup", "list", reference) == held

    net.server.start()
    assert net.sync("a")["sent"] == 1
    assert net.district_followups(reference) == [followup]


def test_revoked_worker_is_refused_and_wiped(net: Net) -> None:
    reference = net.new_case("Amélie Durand", "a", "b")
    net.sync("b")
    assert net.json("b", "case", "list")
    net.fk.ok(net.district_home, "district", "worker", "revoke", net.worker_ids["b"])

    result = net.run("b", "sync")
    assert result.exit_code == REFUSED, (result.stdout, result.stderr)
    assert net.json("b", "case", "list") == []
    again = net.run("b", "sync")
    assert again.exit_code == REFUSED
    # The others carry on.
    assert net.sync("a")["received"] >= 1
    assert [c["reference"] for c in net.json("a", "case", "list")] == [reference]


def test_wrong_tls_pin_is_refused(net: Net) -> None:
    added = net.district("worker", "add", "--name", "Chloé Petit", "--unit", UNIT)
    code = decode_code(added["enrolment_code"])
    assert code.tls_fingerprint == net.tls_fingerprint
    forged = encode_code(code.model_copy(update={"tls_fingerprint": "00" * 32}))
    home = net.root / "c"
    net.fk.json(home, "init")

    result = net.fk.run(home, "enrol", forged)
    assert result.exit_code == INTEGRITY, (result.stdout, result.stderr)
    assert "pin" in result.stderr.lower() or "certificate" in result.stderr.lower()
    assert net.fk.json(home, "status")["enrolled"] is False
    # The certificate is checked in a first handshake, before any request leaves the
    # machine: the one-time code was not spent on the wrong answer and still works.
    enrolments = net.server.log.read_text(encoding="utf-8").count(" enrol worker=")
    assert enrolments == len(WORKERS)  # the two of the fixture, none from the forged attempt
    done = net.fk.json(home, "enrol", added["enrolment_code"])
    assert done["status"] == "enrolled" and done["worker_id"] == added["id"]
