"""The district server for real: a `fieldkit district serve` subprocess on a free port.

Workers are driven through the CLI (typer's CliRunner, in process) against the
server over HTTPS with the self-signed certificate pinned from the enrolment code:
online enrolment, sync both ways, offline (exit 5, nothing touched) while the server
is down and success once it is back, a revoked worker refused (exit 6, case data
wiped), a wrong certificate pin refused (exit 7). Stores use the cheapest Argon2id
(`use_fast_kdf`); the key file records it, so the server subprocess opens fast too.
The district is on each backend in turn: its SQLCipher file, then PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldkit.errors import INTEGRITY, OFFLINE, REFUSED
from fieldkit.sync.enrolment import decode_code, encode_code
from tests.conftest import PASSPHRASE
from tests.e2e.conftest import Net
from tests.world import UNIT, WORKERS


def tree_names(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())


@pytest.mark.usefixtures("district_backend")  # on SQLCipher and on PostgreSQL
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


@pytest.mark.usefixtures("district_backend")  # on SQLCipher and on PostgreSQL
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


@pytest.mark.usefixtures("district_backend")  # on SQLCipher and on PostgreSQL
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


@pytest.mark.usefixtures("district_backend")  # on SQLCipher and on PostgreSQL
def test_wrong_tls_pin_is_refused(net: Net, monkeypatch: pytest.MonkeyPatch) -> None:
    # A long code of format 1 (FK1-…), as a district issued them before issue 17: it still
    # works until it expires, and its pin is still checked.
    from fieldkit.district.store import DistrictStore
    from fieldkit.store.access import Credentials

    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    with DistrictStore.open(net.district_home, Credentials()) as district:
        added, long_code = district.add_worker("Chloé Petit", UNIT)
    code = decode_code(long_code)
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
    enrolments = net.server.log.read_text(encoding="utf-8").count(" enrol client=")
    assert enrolments == len(WORKERS)  # the two of the fixture, none from the forged attempt
    done = net.fk.json(home, "enrol", long_code)
    assert done["status"] == "enrolled" and done["worker_id"] == added.id
