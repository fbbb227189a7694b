"""The charter over the real server (issue 17): offered at `fieldkit sync`, accepted,
kept by the district with a signature that verifies with the worker's key."""

from __future__ import annotations

from fieldkit.crypto.charter import charter_hash
from fieldkit.crypto.identity import PublicIdentity
from tests.e2e.conftest import Net

TEXT = "Charte de confidentialité du district réseau.\n"


def test_offered_and_accepted_over_the_server(net: Net):
    path = net.root / "charte.md"
    path.write_text(TEXT, encoding="utf-8")
    net.district("charter", "set", str(path), "--version", "2026-1")
    reply = net.sync("a")
    assert reply["charter"] == {"version": "2026-1", "sha256": charter_hash(TEXT)}
    said = net.run("a", "sync")
    assert said.exit_code == 0 and "2026-1" in said.stdout
    net.json("a", "charter", "accept", "--accept-charter", charter_hash(TEXT))
    assert net.sync("a")["charter"] is None
    listed = {w["id"]: w for w in net.district("worker", "list")}
    state = listed[net.worker_ids["a"]]["charter"]
    assert (state["version"], state["pending"]) == ("2026-1", False)
    assert listed[net.worker_ids["b"]]["charter"]["pending"] is True
    # The acceptance the district keeps verifies with the key it pinned for the worker.
    from fieldkit.district import charter, workers
    from fieldkit.district.store import DistrictStore
    from tests.world import credentials

    with DistrictStore.open(net.district_home, credentials()) as district:
        kept = charter.acceptances(district.conn, net.worker_ids["a"])
        public = workers.get(district.conn, net.worker_ids["a"]).public_identity()
        assert isinstance(public, PublicIdentity)
        assert len(kept) == 1 and kept[0].verify(public)
