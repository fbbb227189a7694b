"""Enrolment a person can hand over (issue 17), through the real CLI and a real server:
the short code online and by file, a substituted identity file and a man in the middle
refused before anything is sent, the charter accepted at enrolment (and nothing spent
without it), the enrolment sheet whose QR code reads back as the code."""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from fieldkit.errors import INTEGRITY, REFUSED, USAGE
from tests.conftest import PASSPHRASE
from tests.e2e.conftest import Net, free_port
from tests.world import UNIT, Fieldkit, use_fast_kdf

CHARTER = "# Charte de confidentialité\n\nJe garde le secret des dossiers.\n"


def add(fk: Fieldkit, district: Path, name: str, *extra: str) -> dict:
    return fk.json(district, "district", "worker", "add", "--name", name, "--unit", UNIT, *extra)


# Online


@pytest.mark.usefixtures("district_backend")  # on SQLCipher and on PostgreSQL
def test_online_enrolment_fetches_the_identity_in_band_and_checks_it(net: Net) -> None:
    # The fixture's two workers enrolled online with their short codes (--server URL).
    for code in net.codes.values():
        assert len(code) <= 40 and not code.startswith("FK1-")
    log = net.server.log.read_text(encoding="utf-8")
    assert log.count("enrol-identity client=") == 2
    assert net.codes["a"] not in log  # neither the code nor its secret is logged
    # A typed-by-hand code: lower case, no hyphens, O for 0 and l for 1.
    added = net.district("worker", "add", "--name", "Chloé Petit", "--unit", UNIT)
    typed = added["enrolment_code"].replace("-", " ").lower().replace("0", "o").replace("1", "l")
    home = net.root / "c"
    net.fk.json(home, "init")
    done = net.fk.json(home, "enrol", typed, "--server", net.server.url)
    assert done["status"] == "enrolled" and done["worker_id"] == added["id"]
    assert done["district_fingerprint"] == net.district_fingerprint
    # Spent: the server no longer gives the identity for it.
    again = net.fk.json(net.root / "d", "init")
    assert again
    result = net.fk.run(
        net.root / "d", "enrol", added["enrolment_code"], "--server", net.server.url
    )
    assert result.exit_code == REFUSED, (result.stdout, result.stderr)


class Relay:
    """A server with its own self-signed certificate between the worker and the district:
    it relays every request (or, with `document`, answers the identity with another)."""

    def __init__(self, tmp_path: Path, target: str, document: bytes | None = None) -> None:
        from fieldkit.crypto.tls import key_password, make_self_signed

        data_key = bytes(32)
        cert, key = make_self_signed("Pas le district", ["127.0.0.1", "localhost"], data_key)
        (tmp_path / "relay-cert.pem").write_bytes(cert)
        (tmp_path / "relay-key.pem").write_bytes(key)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(
            tmp_path / "relay-cert.pem", tmp_path / "relay-key.pem", key_password(data_key)
        )
        self.paths: list[str] = []
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps the connection, as the real server does

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                relay.paths.append(self.path)
                if document is not None and self.path == "/v1/enrol/identity":
                    status, content = 200, document
                else:
                    answer = httpx.post(target + self.path, content=body, verify=False)
                    status, content = answer.status_code, answer.content
                self.send_response(status)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args) -> None:
                pass

        self.port = free_port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_man_in_the_middle_is_refused_before_anything_is_sent(net: Net, tmp_path: Path) -> None:
    added = net.district("worker", "add", "--name", "Chloé Petit", "--unit", UNIT)
    code = added["enrolment_code"]
    home = net.root / "c"
    net.fk.json(home, "init")
    # Another district's identity, with its own keys, to pass off as this one.
    other = tmp_path / "other"
    net.fk.json(other, "district", "init", "--name", "District réseau")
    other_file = tmp_path / "other-district.json"
    add(net.fk, other, "Chloé Petit", "--to-file", str(other_file))

    cases = ((None, "not the one the code commits to"), (other_file.read_bytes(), "does not match"))
    for document, reason in cases:
        relay = Relay(tmp_path, net.server.url, document)
        try:
            result = net.fk.run(home, "enrol", code, "--server", relay.url)
        finally:
            relay.stop()
        assert result.exit_code == INTEGRITY, (result.stdout, result.stderr)
        assert reason in result.stderr and "nothing was sent" in result.stderr
        # Only the look-up of the identity went through it: no request, no keys.
        assert relay.paths == ["/v1/enrol/identity"]
        assert net.fk.json(home, "status")["enrolled"] is False
    # The code was not spent: the real server still takes it.
    done = net.fk.json(home, "enrol", code, "--server", net.server.url)
    assert done["status"] == "enrolled" and done["worker_id"] == added["id"]


# By file


def test_enrolment_by_file_and_a_substituted_identity_file(tmp_path: Path, monkeypatch) -> None:
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    district, other, worker = tmp_path / "district", tmp_path / "other", tmp_path / "worker"
    created = fk.json(district, "district", "init", "--name", "District Nord")
    fk.json(other, "district", "init", "--name", "District Nord")  # the same name, other keys
    ours, theirs = tmp_path / "district.json", tmp_path / "theirs.json"
    added = add(fk, district, "Léa Martin", "--to-file", str(ours))
    assert added["identity_file"] == str(ours) and added["sheet"] is None
    assert len(added["enrolment_code"]) <= 40
    add(fk, other, "Léa Martin", "--to-file", str(theirs))
    fk.json(worker, "init")
    request = tmp_path / "request.fkb"

    substituted = fk.run(
        worker, "enrol", added["enrolment_code"], "--district-file", str(theirs),
        "--to-file", str(request),
    )  # fmt: skip
    assert substituted.exit_code == INTEGRITY, (substituted.stdout, substituted.stderr)
    assert not request.exists()
    # One byte changed in the real file is refused as well.
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(ours.read_bytes().replace(b"District Nord", b"District Sud!"))
    result = fk.run(
        worker, "enrol", added["enrolment_code"], "--district-file", str(tampered),
        "--to-file", str(request),
    )  # fmt: skip
    assert result.exit_code == INTEGRITY and not request.exists()

    asked = fk.json(
        worker, "enrol", added["enrolment_code"], "--district-file", str(ours),
        "--to-file", str(request),
    )  # fmt: skip
    assert asked["worker_id"] == added["id"]
    assert asked["district_fingerprint"] == created["fingerprint"]
    reply = tmp_path / "reply.fkb"
    fk.json(district, "district", "sync-file", str(request), str(reply))
    done = fk.json(worker, "enrol", "--from-file", str(reply))
    assert done["status"] == "enrolled" and done["worker_id"] == added["id"]


def test_a_short_code_needs_the_server_or_the_identity_file(tmp_path: Path, monkeypatch) -> None:
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    fk.json(tmp_path / "district", "district", "init", "--name", "District Nord")
    added = add(fk, tmp_path / "district", "Léa Martin")
    fk.json(tmp_path / "w", "init")
    result = fk.run(tmp_path / "w", "enrol", added["enrolment_code"])
    assert result.exit_code == USAGE and "--server" in result.stderr
    bad = fk.run(tmp_path / "w", "enrol", "ABCD-EFGH", "--server", "https://127.0.0.1:1")
    assert bad.exit_code == USAGE  # refused before the network


# The charter at enrolment


def _charter_district(fk: Fieldkit, tmp_path: Path) -> tuple[Path, str]:
    district = tmp_path / "district"
    fk.json(district, "district", "init", "--name", "District Nord")
    text = tmp_path / "charte.md"
    text.write_text(CHARTER, encoding="utf-8")
    fk.json(district, "district", "charter", "set", str(text), "--version", "2026-1")
    import hashlib

    return district, hashlib.sha256(CHARTER.encode()).hexdigest()


def test_enrolment_without_the_charter_spends_nothing(tmp_path: Path, monkeypatch) -> None:
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    district, sha256 = _charter_district(fk, tmp_path)
    identity = tmp_path / "district.json"
    added = add(fk, district, "Léa Martin", "--to-file", str(identity))
    assert added["charter_sha256"] == sha256
    assert json.loads(identity.read_text("utf-8"))["charter"]["text"] == CHARTER
    worker, request = tmp_path / "worker", tmp_path / "request.fkb"
    fk.json(worker, "init")
    base = ["enrol", added["enrolment_code"], "--district-file", str(identity)]

    # Not at a terminal and no --accept-charter: refused, nothing written.
    result = fk.run(worker, *base, "--to-file", str(request))
    assert result.exit_code == REFUSED and sha256 in result.stderr
    assert not request.exists()
    # Another text named: refused too.
    result = fk.run(worker, *base, "--to-file", str(request), "--accept-charter", "0" * 64)
    assert result.exit_code == REFUSED and not request.exists()

    # A request without the acceptance, as another implementation could send it: the
    # district refuses it, and the code is not spent.
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync import worker_side
    from fieldkit.sync.enrolment import build_request

    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    with WorkerStore.create(tmp_path / "bare", PASSPHRASE) as bare:
        code = worker_side.enrolment_from(added["enrolment_code"], document=identity.read_bytes())
        (tmp_path / "bare.fkb").write_bytes(build_request(code, bare.identity(), bare.replica_id))
    refused = fk.run(
        district, "district", "sync-file", str(tmp_path / "bare.fkb"), str(tmp_path / "r.fkb")
    )
    assert refused.exit_code == REFUSED, (refused.stdout, refused.stderr)
    assert "charter" in refused.stderr
    listed = {w["id"]: w for w in fk.json(district, "district", "worker", "list", "--json")}
    assert listed[added["id"]]["status"] == "pending"

    # Accepted by its hash: the same code still enrols.
    asked = fk.json(worker, *base, "--to-file", str(request), "--accept-charter", sha256)
    assert asked["charter_sha256"] == sha256
    reply = tmp_path / "reply.fkb"
    fk.json(district, "district", "sync-file", str(request), str(reply))
    done = fk.json(worker, "enrol", "--from-file", str(reply))
    assert done["status"] == "enrolled"

    # The district keeps the signature, and it verifies with the worker's public key.
    from fieldkit.district import charter
    from fieldkit.district.store import DistrictStore
    from fieldkit.store.access import Credentials

    with DistrictStore.open(district, Credentials()) as store:
        record = store.worker(added["id"])
        kept = charter.acceptances(store.conn, added["id"])
        assert [a.sha256 for a in kept] == [sha256]
        assert kept[0].verify(record.public_identity())
        assert charter.worker_states(store.conn)[added["id"]].pending is False


def test_enrolment_asks_for_no_acceptance_without_a_charter(tmp_path: Path, monkeypatch) -> None:
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    district = tmp_path / "district"
    fk.json(district, "district", "init", "--name", "District Nord")
    identity = tmp_path / "district.json"
    added = add(fk, district, "Léa Martin", "--to-file", str(identity))
    assert added["charter_sha256"] is None
    fk.json(tmp_path / "w", "init")
    request = tmp_path / "request.fkb"
    args = ["--district-file", str(identity), "--to-file", str(request)]
    asked = fk.json(tmp_path / "w", "enrol", added["enrolment_code"], *args)
    assert asked["charter_sha256"] is None and request.exists()


# The sheet


def test_the_sheet_shows_the_code_and_its_qr_code_reads_back(tmp_path: Path, monkeypatch) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    district, sha256 = _charter_district(fk, tmp_path)
    sheet = tmp_path / "feuille.pdf"
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    added = add(fk, district, "Léa Martin", "--sheet", str(sheet))
    assert added["sheet"] == str(sheet) and sheet.exists()

    text = subprocess.run(["pdftotext", str(sheet), "-"], capture_output=True, check=True).stdout
    page = " ".join(text.decode().split())
    for group in added["enrolment_code"].split("-"):
        assert group in page
    assert added["district_fingerprint"] in page
    assert sha256 in page and "Léa Martin" in page and "CONFIDENTIEL" in page

    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", str(sheet), str(tmp_path / "page")], check=True
    )
    (png,) = tmp_path.glob("page*.png")
    found = zxingcpp.read_barcodes(Image.open(png))
    assert [b.text for b in found] == [added["enrolment_code"]]


def test_worker_add_explains_what_to_hand_over(tmp_path: Path, monkeypatch) -> None:
    use_fast_kdf(monkeypatch)
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    fk = Fieldkit()
    district = tmp_path / "district"
    url = f"https://127.0.0.1:{free_port()}"
    fk.json(district, "district", "init", "--name", "District Nord", "--url", url)
    identity = tmp_path / "district.json"
    args = ["--name", "Léa Martin", "--unit", UNIT, "--to-file", str(identity)]
    shown = fk.ok(district, "district", "worker", "add", *args).stdout
    flat = " ".join(shown.split())
    assert "main propre" in flat and f"--server {url}" in flat
    assert "clé USB" in flat and "--district-file" in flat
    # The file is not written twice over.
    again = fk.run(district, "district", "worker", "add", *args)
    assert again.exit_code == USAGE


@pytest.mark.parametrize(("answer", "accepted"), [("J'accepte", True), ("non", False)])
def test_the_charter_is_read_and_accepted_at_a_terminal(
    tmp_path: Path, monkeypatch, answer: str, accepted: bool
) -> None:
    import os
    import sys

    import pexpect

    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    district, _ = _charter_district(fk, tmp_path)
    identity = tmp_path / "district.json"
    added = add(fk, district, "Léa Martin", "--to-file", str(identity))
    worker, request = tmp_path / "worker", tmp_path / "request.fkb"
    fk.json(worker, "init")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    env.update(FIELDKIT_PASSPHRASE=PASSPHRASE, FIELDKIT_LANG="fr", NO_COLOR="1", LANG="C.UTF-8")
    args = ["enrol", added["enrolment_code"], "--district-file", str(identity)]
    child = pexpect.spawn(
        sys.executable,
        ["-m", "fieldkit", "--home", str(worker), *args, "--to-file", str(request)],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    child.expect("version 2026-1")
    child.expect("Je garde le secret des dossiers.")
    child.expect("Tapez « j'accepte »")
    child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == (0 if accepted else REFUSED), child.before
    assert request.exists() is accepted
    if not accepted:
        assert "le code reste valable" in child.before
