"""`district seal-team-texts` on a district served over pinned HTTPS by a real server, on
both district backends: the workers' next syncs take the sealed copy, and every reading
of the team stays the same."""

from __future__ import annotations

import pytest

from fieldkit.store import team
from tests.e2e.conftest import Net

pytestmark = pytest.mark.usefixtures("district_backend")

MARKER = "MARQUEUR-RESEAU-6T2"
SITUATION = "MARQUEUR-SITUATION-RESEAU-3J8"


def _readings(net: Net, who: str, reference: str) -> dict:
    return {
        "case": net.json(who, "case", "show", reference),
        "followups": net.json(who, "followup", "list", reference),
    }


def test_sealing_a_served_district_keeps_what_the_team_reads(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = net.new_case("Amélie Durand", "a", "b")
    for who in ("a", "b"):
        net.sync(who)
    with monkeypatch.context() as m:  # written as a version before sealing did
        m.setattr(team, "seal", lambda store, entity, entity_id, case_id, fields: fields)
        net.note("a", reference, MARKER)
        net.fk.ok(net.homes["a"], "case", "update", reference, "--situation", SITUATION)
        net.sync("a")
        net.sync("b")
    assert MARKER in str(net.district("case", "show", reference))
    before = {who: _readings(net, who, reference) for who in ("a", "b")}

    net.server.stop()
    done = net.district("seal-team-texts", "--yes")
    assert done["changes"] == 2 and done["grants"] == 3  # two members, the recovery key
    net.server.start()

    for who in ("a", "b"):
        assert net.sync(who)["retaken"] == 1
    assert {who: _readings(net, who, reference) for who in ("a", "b")} == before
    shown = str(net.district("case", "show", reference))
    assert MARKER not in shown and SITUATION not in shown
    # A colleague's new note after the migration still reaches the other, sealed.
    net.note("b", reference, "Après le scellement.")
    net.sync("b")
    net.sync("a")
    assert "Après le scellement." in str(net.json("a", "followup", "list", reference))
    net.server.stop()
    assert MARKER not in net.server.log.read_text(errors="replace")
