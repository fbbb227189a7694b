"""The case team reads its notes; the district relays them blind (issue 16).

Through the real CLI, with a real `district serve` over HTTPS on 127.0.0.1: two workers
share a case, a third joins later, one leaves and comes back. What a worker writes in a
team text reaches every member, and never the district's screens, JSON, files or log.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from tests.e2e.conftest import Net
from tests.helpers import decrypt_sqlcipher_pages, decrypt_sqlcipher_wal
from tests.world import UNIT

# The `net` fixture (tests/e2e/conftest.py): a real server over HTTPS, Léa (a) and Karim
# (b) enrolled. The first test runs on both district backends.

MARKER = "ZQX-equipe-4471 Amélie a parlé de son frère"
SECOND = "ZQX-equipe-9902 après le départ de Karim"


def summaries(net: Net, who: str, reference: str) -> list[str]:
    return [f["summary"] for f in net.json(who, "followup", "list", reference)]


def third_worker(net: Net, name: str = "Sofiane Haddad") -> str:
    added = net.district("worker", "add", "--name", name, "--unit", UNIT)
    net.homes["c"] = net.root / "c"
    net.fk.json(net.homes["c"], "init")
    net.worker_ids["c"] = added["id"]
    net.codes["c"] = added["enrolment_code"]
    net.enrol("c")
    return added["id"]


def district_bytes(net: Net, backend: str, cluster=None) -> bytes:
    """Everything the district holds on disk, its pages decrypted (or a pg_dump of its
    database), and its server log."""
    from fieldkit.store import access
    from fieldkit.store.access import Credentials

    home = net.district_home
    found = b""
    for path in home.rglob("*"):
        if path.is_file():
            found += path.read_bytes()
    found += net.server.log.read_bytes()
    if backend != "sqlcipher":
        return found + cluster.pg_dump(backend).encode()
    key = access.data_key(home, "district", Credentials(prompt=lambda: PASSPHRASE)).data_key
    db = next(home.glob("*.db"))
    found += decrypt_sqlcipher_pages(db, key)
    wal = Path(str(db) + "-wal")
    if wal.exists() and wal.stat().st_size:
        found += decrypt_sqlcipher_wal(wal, key)
    return found


def test_the_team_reads_what_the_district_only_relays(
    net: Net, district_backend: str, request: pytest.FixtureRequest
):
    cluster = request.getfixturevalue("pg_cluster") if district_backend != "sqlcipher" else None
    case = net.new_case("Amélie Durand", "a", "b")
    net.sync("a")
    net.sync("b")
    net.note("a", case, MARKER)
    net.sync("a")
    net.sync("b")

    # The colleague reads it.
    assert MARKER in summaries(net, "b", case)
    # The district does not: not on screen, in JSON, in its summary or report, in its
    # decrypted pages and WAL, nor in the server's log.
    shown = net.fk.run(net.district_home, "district", "case", "show", case)
    assert shown.exit_code == 0 and MARKER not in shown.output
    as_json = net.fk.run(net.district_home, "district", "case", "show", case, "--json")
    assert MARKER not in as_json.output and "sv1." not in as_json.output
    report = net.fk.run(net.district_home, "district", "report", "--with-cases")
    assert MARKER not in report.output
    assert MARKER.encode() not in district_bytes(net, district_backend, cluster)
    # The search sees what the district holds in clear: the case's reference.
    assert case.encode() in district_bytes(net, district_backend, cluster)


def test_a_member_assigned_later_reads_the_history_once_a_colleague_synced(net: Net):
    case = net.new_case("Amélie Durand", "a", "b")
    net.sync("a")
    net.sync("b")
    net.note("a", case, MARKER)
    net.sync("a")
    net.sync("b")
    third_worker(net)
    net.fk.ok(net.district_home, "district", "case", "assign", case, net.worker_ids["c"])
    net.sync("c")
    # The follow-up is there, its text not yet: no colleague has granted the key.
    [pending] = net.json("c", "followup", "list", case)
    assert pending["summary"] == "" and "summary" in pending["unreadable"]
    shown = net.fk.run(net.homes["c"], "case", "show", case)
    assert shown.exit_code == 0
    # One sync of a colleague, and the newcomer reads it.
    report = net.sync("b")
    assert [m["worker_id"] for m in report["new_members"]] == [net.worker_ids["c"]]
    net.sync("c")
    assert summaries(net, "c", case) == [MARKER]
    team = net.json("c", "case", "team", case)
    current = {m["worker_id"]: m for m in team["members"] if m["current"]}
    assert set(current) == {net.worker_ids[w] for w in "abc"}
    assert all(m["fingerprint"] for m in current.values())
    assert [k["epoch"] for k in team["keys"]] == [1]


def test_a_member_who_left_and_came_back_reads_both_epochs(net: Net):
    case = net.new_case("Amélie Durand", "a", "b")
    net.sync("a")
    net.sync("b")
    net.note("a", case, MARKER)
    net.sync("a")
    net.sync("b")
    net.fk.ok(net.district_home, "district", "case", "unassign", case, net.worker_ids["b"])
    net.sync("a")  # learns that Karim left
    net.note("a", case, SECOND)  # under a new key, which Karim never gets while away
    net.sync("a")
    net.sync("b")  # the case leaves Karim's device
    assert net.json("b", "case", "list") == []
    net.fk.ok(net.district_home, "district", "case", "assign", case, net.worker_ids["b"])
    net.sync("b")  # back, the team's notes not yet readable for the new key
    net.sync("a")  # Léa's device grants the keys to Karim again
    net.sync("b")
    assert sorted(summaries(net, "b", case)) == sorted([MARKER, SECOND])
    team = net.json("b", "case", "team", case)
    assert sorted(k["epoch"] for k in team["keys"]) == [1, 2]
