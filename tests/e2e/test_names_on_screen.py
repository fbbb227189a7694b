"""People are named on screen, never shown as worker ids; fields and actions are words
(issue 14). The district names the teams and authors of a device's cases in each sync
reply, revoked workers marked; `--json` keeps the ids, `--debug` shows them beside names.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Cli
from tests.world import WORKERS

WORKER_ID = re.compile(r"\bwk-[0-9a-f]{12}\b")
REVOKED = {"fr": "(révoqué)", "en": "(revoked)"}


@pytest.fixture(params=["fr", "en"])
def lang(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FIELDKIT_LANG", request.param)
    monkeypatch.setenv("COLUMNS", "200")  # a name stays on one line of a table
    return request.param


@pytest.fixture
def shared(quick: Cli) -> tuple[Cli, str]:
    """Karim (b) records a follow-up and edits the situation while Léa (a) does too; both
    sync, so that Léa's device holds Karim's follow-up and a conflict between them."""
    ref = quick.world.reference
    followup = quick.note("b", "interview", "Entretien avec la famille")
    quick.ok("a", "case", "update", ref, "--situation", "Situation selon Léa")
    quick.ok("b", "case", "update", ref, "--situation", "Situation selon Karim")
    quick.sync("a", "b", "a", tag="shared")
    return quick, followup


def _screens(quick: Cli, followup: str) -> dict[str, str]:
    ref = quick.world.reference
    return {
        "followup show": quick.ok("a", "followup", "show", followup[:8]).stdout,
        "followup list": quick.ok("a", "followup", "list", ref).stdout,
        "case show": quick.ok("a", "case", "show", ref).stdout,
        "conflicts list": quick.ok("a", "conflicts", "list").stdout,
        "audit show": quick.ok("a", "audit", "show").stdout,
    }


def test_every_screen_names_the_workers_and_shows_no_worker_id(shared, lang: str) -> None:
    quick, followup = shared
    screens = _screens(quick, followup)
    for screen in ("followup show", "followup list", "case show", "conflicts list"):
        assert WORKERS["b"] in screens[screen], screen
    assert WORKERS["a"] in screens["conflicts list"]
    assert f"{WORKERS['a']} *, {WORKERS['b']}" in screens["case show"]  # the team, lead first
    assert WORKERS["a"] in screens["audit show"]  # the device's own actions
    for screen, out in screens.items():
        assert not WORKER_ID.search(out), (screen, out)
        assert REVOKED[lang] not in out, screen


def test_a_revoked_co_worker_is_marked_once_the_device_syncs(shared, lang: str) -> None:
    quick, followup = shared
    quick.fk.ok(
        quick.world.district_home, "district", "worker", "revoke", quick.world.worker_ids["b"]
    )
    before = quick.ok("a", "followup", "show", followup[:8]).stdout
    assert REVOKED[lang] not in before  # the device cannot know before it syncs
    quick.sync("a", tag="after-revoke")
    marked = f"{WORKERS['b']} {REVOKED[lang]}"
    for screen, out in _screens(quick, followup).items():
        if screen != "audit show":  # Karim did nothing on Léa's device
            assert marked in out, (screen, out)
        assert f"{WORKERS['a']} {REVOKED[lang]}" not in out
    district_list = quick.fk.ok(quick.world.district_home, "district", "case", "list").stdout
    assert marked in district_list
    # The district's own lines name the worker too: a sync of the revoked device.
    outgoing, reply = quick.world.root / "b-late.fkb", quick.world.root / "b-late-reply.fkb"
    quick.ok("b", "sync", "--to-file", str(outgoing))
    refused = quick.fk.run(
        quick.world.district_home, "district", "sync-file", str(outgoing), str(reply)
    )
    assert WORKERS["b"] in refused.stdout and not WORKER_ID.search(refused.stdout)


def test_json_keeps_the_worker_ids(shared, lang: str) -> None:
    quick, followup = shared
    ids = quick.world.worker_ids
    shown = quick.json("a", "followup", "show", followup[:8])
    assert shown["recorded_by"] == ids["b"]
    conflict = quick.json("a", "conflicts", "list")[0]
    assert {conflict["winner_author"], conflict["loser_author"]} == {ids["a"], ids["b"]}
    events = quick.json("a", "audit", "show")
    actors = {e["actor"] for e in events}
    # Before its enrolment the device acted under its replica id (« ce poste » on screen).
    assert ids["a"] in actors and all(a == ids["a"] or a.startswith("w-") for a in actors)
    assert "update" in {e["action"] for e in events}  # the codes, not the words


def test_debug_shows_each_id_beside_its_name(shared, lang: str) -> None:
    quick, followup = shared
    out = quick.ok("a", "--debug", "followup", "show", followup[:8]).stdout
    assert f"{WORKERS['b']} [{quick.world.worker_ids['b']}]" in out


def test_a_worker_the_device_does_not_know_is_an_unknown_worker_not_an_id(
    quick: Cli, lang: str
) -> None:
    """A follow-up by a worker since taken off the case: the device holds no name for
    them when the district did not name them (a district older than the `workers` list)."""
    from fieldkit.replica import meta
    from fieldkit.store.db import transaction
    from fieldkit.store.known_workers import KEY

    followup = quick.note("b", "phone-call", "Appel à la mère")
    quick.sync("b", "a", tag="unknown")
    quick.fk.ok(
        quick.world.district_home,
        "district",
        "case",
        "unassign",
        quick.world.reference,
        quick.world.worker_ids["b"],
    )
    quick.sync("a", tag="unassigned")
    with quick.world.open_worker("a") as store, transaction(store.conn):
        meta.delete(store.conn, KEY)  # as if the district had never sent names
    out = quick.ok("a", "followup", "show", followup[:8]).stdout
    assert ("intervenant inconnu" if lang == "fr" else "unknown worker") in out
    assert quick.world.worker_ids["b"] not in out


def test_case_update_and_conflicts_say_field_names_in_words(shared, lang: str) -> None:
    quick, _ = shared
    ref = quick.world.reference
    out = quick.ok("a", "case", "update", ref, "--next-review", "2027-03-01", "--goal", "Emploi")
    if lang == "fr":
        assert (
            "Dossier mis à jour : objectifs du projet d'accompagnement, prochaine revue."
            in out.stdout
        )
    else:
        assert "Case updated: support-plan goals, next review." in out.stdout
    assert "next_review" not in out.stdout and ": goals" not in out.stdout
    table = quick.ok("a", "conflicts", "list").stdout
    assert "│ Situation " in table  # the field column says the field's word
    audit = quick.ok("a", "audit", "show").stdout
    assert ("dossier mis à jour" if lang == "fr" else "case updated") in audit
    assert ("prochaine revue" if lang == "fr" else "next review") in audit
    assert "next_review" not in audit and "followup-add" not in audit
    quick.ok("a", "case", "summary", ref)  # to standard output: an export
    audit = quick.ok("a", "audit", "show").stdout
    if lang == "fr":
        assert "exportation" in audit and "texte vers la sortie standard" in audit
    else:
        assert "exported" in audit and "text to standard output" in audit
    assert "text stdout" not in audit


def test_config_set_says_what_the_setting_now_does(quick: Cli, lang: str) -> None:
    on = quick.ok("a", "config", "set", "auto_sync", "on").stdout
    off = quick.ok("a", "config", "set", "auto_sync", "off").stdout
    timeout = quick.ok("a", "config", "set", "auto_sync_timeout", "2").stdout
    if lang == "fr":
        assert on.startswith("Synchronisation automatique activée")
        assert off.startswith("Synchronisation automatique désactivée")
        assert "2 secondes au plus" in timeout
    else:
        assert on.startswith("Automatic sync turned on")
        assert off.startswith("Automatic sync turned off")
        assert "2 seconds at most" in timeout
    for out in (on, off, timeout):
        assert "auto_sync" not in out and "true" not in out and "vaut" not in out


def test_the_audit_detail_counts_with_real_plurals(shared, lang: str) -> None:
    quick, _ = shared
    audit = quick.ok("a", "audit", "show").stdout
    if lang == "fr":  # French counts 0 and 1 in the singular
        assert "1 conflit," in audit and "0 conflit," in audit
        assert re.search(r"\b1 modification reçue,|\b[2-9] modifications reçues,", audit)
    else:
        assert "1 conflict," in audit and "0 conflicts," in audit
        assert re.search(r"\b1 change received,|\b[2-9] changes received,", audit)
    assert "received=" not in audit and "conflicts=" not in audit


def test_the_workers_list_is_optional_both_ways() -> None:
    """A reply from a district that predates the list decodes (the device keeps the names
    it had); a reply without a list, a wipe notice say, leaves the member out."""
    from fieldkit.model import KnownWorker
    from fieldkit.sync.payload import SyncReply, decode, encode

    old = decode(SyncReply, b'{"changes": [], "purge": [], "district_name": "D", "wipe": false}')
    assert old.workers is None
    assert b"workers" not in encode(SyncReply(wipe=True, district_name="D"))
    named = SyncReply(workers=[KnownWorker(id="wk-000000000001", name="Léa", revoked=True)])
    assert decode(SyncReply, encode(named)).workers == named.workers
