"""The district keeps the rules of the record whatever a device sends (issue 12), for real.

One district served by a real `district serve` subprocess (self-signed TLS), three
workers enrolled online and driven through the CLI; each test works on a case of its
own. A change a device's own checks would never write (a colleague's amendment, a
follow-up breaking a rule) is crafted with the project's modules, straight into the
device's change log, and synced: the district refuses it, keeps it, lists it, and a
coordinator's decision on it travels back. A change stamped a year ahead stays queued
until the device's clock is right. A colleague's hostile text is shown escaped everywhere.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from fieldkit.district.store import DistrictStore
from fieldkit.errors import REFUSED, USAGE
from fieldkit.replica import clock, merge
from fieldkit.store import audit, writing
from fieldkit.store.db import transaction
from fieldkit.store.worker import WorkerStore
from tests.conftest import NOTE, TITLE_AND_CLEAR
from tests.e2e.conftest import Net
from tests.world import UNIT, WORKERS, Fieldkit, credentials, use_fast_kdf

DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    """The district served for the whole module; workers a and b, and c for the clock."""
    with pytest.MonkeyPatch.context() as patch:
        use_fast_kdf(patch)
        world = Net(tmp_path_factory.mktemp("integrity"), Fieldkit())
        added = world.district("worker", "add", "--name", "Chloé Petit", "--unit", UNIT)
        world.homes["c"] = world.root / "c"
        world.worker_ids["c"], world.codes["c"] = added["id"], added["enrolment_code"]
        world.fk.json(world.homes["c"], "init")
    world.server.start()
    try:
        for who in (*WORKERS, "c"):
            world.enrol(who)
        yield world
    finally:
        world.server.stop()


def case_id(net: Net, reference: str) -> str:
    return net.district("case", "show", reference)["id"]


def craft(net: Net, who: str, op: str, followup_id: str, case: str, fields: dict[str, Any]) -> str:
    """A follow-up change written into `who`'s change log past the device's own checks,
    the way its store writes one; returns the change id."""
    with WorkerStore.open(net.homes[who], credentials()) as store, transaction(store.conn):
        change = writing.new_change(store, "followup", followup_id, case, op, fields)
        merge.apply(store.conn, change)
    return change.id


def only(items: list[dict], change_id: str) -> dict:
    """The one listed refusal of `change_id` (the module's other tests leave theirs)."""
    [item] = [i for i in items if i["change_id"] == change_id]
    return item


def district_refusal(net: Net, change_id: str) -> dict:
    return only(net.district("refusals", "list"), change_id)


def district_actions(net: Net) -> list[tuple[str, str]]:
    """(action, object id) of the district's audit trail; no command shows it."""
    with DistrictStore.open(net.district_home, credentials()) as store:
        return [(e.action, e.object_id) for e in audit.events(store.conn)]


def in_french(net: Net, monkeypatch: pytest.MonkeyPatch, who: str, *args: str):
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    try:
        return net.run(who, *args)
    finally:
        monkeypatch.delenv("FIELDKIT_LANG")


def test_a_coworkers_amendment_is_refused_and_listed_on_both_sides(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = net.new_case("Amélie Durand", "a", "b")
    net.sync("a")
    original = "Entretien avec la mère au collège."
    followup = net.json(
        "a", "followup", "add", reference, "--kind", "interview", "--summary", original
    )["id"]
    net.sync("a")
    net.sync("b")
    assert followup in net.followups("b", reference)

    # On B's device the command refuses: B did not record it. Nothing is queued.
    tried = net.run("b", "followup", "amend", followup, "--summary", "Réécrit par B")
    assert tried.exit_code == REFUSED, (tried.stdout, tried.stderr)
    assert "recorded by a colleague" in tried.stderr and followup[:8] in tried.stderr
    french = in_french(net, monkeypatch, "b", "followup", "amend", followup, "--summary", "B")
    assert french.exit_code == REFUSED
    assert "seul son auteur peut le rectifier" in french.stderr
    assert net.json("b", "status")["unsynced_changes"] == 0

    # Crafted past that check, the amendment reaches the district: refused, and kept.
    forged = "Résumé réécrit par un collègue"
    change_id = craft(net, "b", "amend", followup, case_id(net, reference), {"summary": forged})
    told = only(net.sync("b")["refused"], change_id)
    assert (told["reason"], told["entity"], told["op"]) == ("not-author", "followup", "amend")
    assert told["case_reference"] == reference and told["summary_preview"] == forged

    kept = district_refusal(net, change_id)
    assert (kept["worker_id"], kept["reason"]) == (net.worker_ids["b"], "not-author")
    assert (kept["status"], kept["case_reference"]) == ("pending", reference)
    # The amended summary is the team's: the district keeps it sealed and shows none of it.
    assert (kept["entity"], kept["op"], kept["summary_preview"]) == ("followup", "amend", "")
    assert forged not in json.dumps(kept, ensure_ascii=False)
    on_device = only(net.json("b", "followup", "list", "--refused"), change_id)
    assert (on_device["reason"], on_device["status"]) == ("not-author", "pending")
    assert on_device["change"]["fields"] == {"summary": forged}
    assert net.json("b", "status")["unsynced_changes"] == 0  # answered, not stuck in the queue

    # The follow-up reads as its author wrote it, at the district and on A's device.
    [at_district] = net.district("case", "show", reference)["followups"]
    assert (at_district["summary"], at_district["amended"]) == ("", False)
    net.sync("a")
    shown = net.json("a", "followup", "show", followup)
    assert (shown["summary"], shown["amended"]) == (original, False)
    # And on B's device too: the refused amendment waits as a copy, not in the case.
    on_b = net.json("b", "followup", "show", followup)
    assert (on_b["summary"], on_b["amended"]) == (original, False)


ACTIVE = ("\x1b", "\x07")


def shown_safely(result, *pieces: str) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    for active in ACTIVE:
        assert active not in result.stdout and active not in result.stderr, repr(active)
    for piece in pieces:
        assert piece in result.stdout, (piece, result.stdout)
    return result.stdout


def test_hostile_text_from_a_colleague_is_shown_escaped_everywhere(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "3000")  # a table cell is never folded
    reference = net.new_case("Bruno Lefèvre", "a", "b")
    net.sync("a")
    summary = f"{NOTE}\n{TITLE_AND_CLEAR} fin"
    followup = net.json(
        "a", "followup", "add", reference, "--kind", "interview", "--summary", summary
    )["id"]
    net.sync("a")
    net.sync("b")
    assert net.json("b", "followup", "show", followup)["summary"] == summary  # exact text kept

    pieces = ("\\x1b]0;X\\x07\\x1b[2J", "[/]", "[urgent]", NOTE)
    for args in (
        ("case", "show", reference),
        ("followup", "list", reference),
        ("followup", "show", followup),
    ):
        shown_safely(net.run("b", *args), *pieces)
    # The district holds the summary sealed: it shows none of it, hostile or not.
    district = net.fk.run(net.district_home, "district", "case", "show", reference)
    assert district.exit_code == 0 and NOTE not in district.stdout
    assert "\x1b" not in district.stdout
    # The report counts follow-ups and names cases; no summary is in it to escape.
    report = net.fk.run(net.district_home, "district", "report", "--with-cases")
    shown_safely(report, reference)


def refused_offline_followup(
    net: Net, monkeypatch: pytest.MonkeyPatch, name: str, summary: str
) -> tuple[str, str, dict]:
    """A's follow-up, written offline on a case of A and B that is taken from A before it
    arrives. Returns the case reference, the follow-up id and the district's refusal."""
    reference = net.new_case(name, "a", "b")
    net.sync("a")
    net.sync("b")
    followup = net.json(
        "a", "followup", "add", reference, "--kind", "interview", "--summary", summary
    )["id"]
    net.fk.ok(net.district_home, "district", "case", "unassign", reference, net.worker_ids["a"])

    synced = in_french(net, monkeypatch, "a", "sync")
    assert synced.exit_code == 0, (synced.stdout, synced.stderr)
    line = f"  {reference} : suivi du {date.today():%d/%m/%Y} (entretien) : "
    line += "le dossier ne vous est pas (ou plus) confié"
    # The kind's label is capitalised, as in a table's column ("Entretien").
    assert line.lower() in synced.stderr.lower() and reference in synced.stderr, synced.stderr
    assert "followup list --refused" in synced.stderr

    # The case left the device; A's copy of the follow-up stays.
    assert reference not in [c["reference"] for c in net.json("a", "case", "list")]
    [kept] = [
        r
        for r in net.json("a", "followup", "list", "--refused")
        if r["case_reference"] == reference
    ]
    assert (kept["reason"], kept["status"]) == ("not-assigned", "pending")
    assert kept["change"]["entity_id"] == followup
    assert kept["change"]["fields"]["summary"] == summary

    refusal = district_refusal(net, kept["change_id"])
    assert (refusal["worker_id"], refusal["reason"]) == (net.worker_ids["a"], "not-assigned")
    assert (refusal["status"], refusal["case_reference"]) == ("pending", reference)
    assert (refusal["entity"], refusal["op"]) == ("followup", "add")
    assert followup not in net.district_followups(reference)
    return reference, followup, refusal


def test_a_refused_followup_is_accepted_after_reassignment_and_reaches_the_team(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = "Entretien au domicile, noté hors ligne."
    reference, followup, refusal = refused_offline_followup(
        net, monkeypatch, "Chloé Garnier", summary
    )
    number = str(refusal["id"])
    shown = net.fk.ok(net.district_home, "district", "refusals", "show", number)
    # The refused follow-up's summary is the team's: sealed at the district, never shown.
    assert summary not in shown.stdout
    as_json = net.district("refusals", "show", number)
    assert as_json["change_id"] == refusal["change_id"]
    assert as_json["case_reference"] == reference

    # While the rules still refuse it, it cannot be accepted.
    early = net.fk.run(net.district_home, "district", "refusals", "accept", number)
    assert early.exit_code == REFUSED, (early.stdout, early.stderr)
    assert district_refusal(net, refusal["change_id"])["status"] == "pending"
    assert followup not in net.district_followups(reference)

    net.fk.ok(net.district_home, "district", "case", "assign", reference, net.worker_ids["a"])
    accepted = net.district("refusals", "accept", number)
    assert accepted["status"] == "accepted"
    assert followup in net.district_followups(reference)
    assert ("refusal-accept", number) in district_actions(net)

    # The team receives it: B, and A with the case back.
    net.sync("b")
    assert followup in net.followups("b", reference)
    assert net.json("b", "followup", "show", followup)["summary"] == summary
    report = net.sync("a")
    assert report["decisions"] == 1
    assert followup in net.followups("a", reference)
    held = net.json("a", "followup", "list", "--refused")
    assert refusal["change_id"] not in [r["change_id"] for r in held]
    decided = only(net.json("a", "followup", "list", "--refused", "--all"), refusal["change_id"])
    assert decided["status"] == "accepted"

    # Once the district knows the device holds the decision, the device lets its copy go.
    net.sync("a")
    everything = net.json("a", "followup", "list", "--refused", "--all")
    assert refusal["change_id"] not in [r["change_id"] for r in everything]


def test_a_dismissed_refusal_travels_back_to_the_worker(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = "Entretien en doublon, noté hors ligne."
    reference, followup, refusal = refused_offline_followup(
        net, monkeypatch, "Damien Perrin", summary
    )
    number = str(refusal["id"])
    blank = net.fk.run(
        net.district_home, "district", "refusals", "dismiss", number, "--reason", " "
    )
    assert blank.exit_code == USAGE, (blank.stdout, blank.stderr)
    assert district_refusal(net, refusal["change_id"])["status"] == "pending"

    why = "Doublon du suivi de Karim du même jour"
    dismissed = net.district("refusals", "dismiss", number, "--reason", why)
    assert (dismissed["status"], dismissed["decision_reason"]) == ("dismissed", why)
    assert ("refusal-dismiss", number) in district_actions(net)
    again = net.fk.run(net.district_home, "district", "refusals", "accept", number)
    assert again.exit_code == USAGE, (again.stdout, again.stderr)

    report = net.sync("a")
    assert report["decisions"] == 1
    held = net.json("a", "followup", "list", "--refused")
    assert refusal["change_id"] not in [r["change_id"] for r in held]
    decided = only(net.json("a", "followup", "list", "--refused", "--all"), refusal["change_id"])
    assert (decided["status"], decided["decision_reason"]) == ("dismissed", why)
    assert followup not in net.district_followups(reference)
    net.sync("b")
    assert followup not in net.followups("b", reference)


def test_a_change_stamped_a_year_ahead_stays_queued_until_the_clock_is_right(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = net.new_case("Élise Moreau", "c")
    net.sync("c")
    right = clock.wall_clock_ms
    monkeypatch.setattr(clock, "wall_clock_ms", lambda: right() + 365 * DAY_MS)
    followup = net.note("c", reference, "Appel au foyer, rendez-vous pris.")

    synced = in_french(net, monkeypatch, "c", "sync")
    assert synced.exit_code == 0, (synced.stdout, synced.stderr)
    said = re.search(r"L'horloge de cet ordinateur est en avance de (\d+) jours", synced.stderr)
    assert said is not None, synced.stderr
    # Measured against the district's reply, a few milliseconds after the stamp, in whole
    assert said.group(1) == "365", synced.stderr
    assert "1 modification reste en attente ici ; rien n'est perdu" in synced.stderr
    assert net.json("c", "status")["unsynced_changes"] == 1
    again = net.json("c", "sync")
    assert (again["sent"], again["held_back"], again["refused"]) == (1, 1, [])
    assert again["clock_ahead_days"] == 365.0
    assert followup not in net.district_followups(reference)
    assert net.json("c", "status")["unsynced_changes"] == 1
    # Not a refusal for a coordinator: the device sends it again itself.
    assert all(r["worker_id"] != net.worker_ids["c"] for r in net.district("refusals", "list"))

    monkeypatch.setattr(clock, "wall_clock_ms", right)
    assert net.sync("c")["sent"] == 1
    assert net.json("c", "status")["unsynced_changes"] == 0
    [arrived] = net.district("case", "show", reference)["followups"]
    assert arrived["id"] == followup
    stamped, _ = clock.parse_hlc(arrived["hlc"])
    assert stamped <= right() + clock.MAX_SKEW_MS  # stamped again by the right clock
    assert net.json("c", "followup", "show", followup)["hlc"] == arrived["hlc"]


# What each crafted follow-up changes of a valid interview, and the rule the district names.
BROKEN: dict[str, tuple[Callable[[date], dict[str, Any]], str]] = {
    "an interview carrying a concern level": (
        lambda today: {"concern_level": "high"},
        "rule:followup.level_only_for_concern:concern_level",
    ),
    "a referral destination on a phone call": (
        lambda today: {"kind": "phone-call", "referral_to": "housing"},
        "rule:followup.referral_only_for_referral:referral_to",
    ),
    # A team text is sealed: the district checks what it can read, so these two are texts
    # addressed to the cell (in clear). The team's own are checked by each opening device.
    "a blank summary": (
        lambda today: {"summary": "  \n\t ", "for_cell": True},
        "rule:followup.summary_empty:summary",
    ),
    "a next contact before the follow-up": (
        lambda today: {"next_contact": (today - timedelta(days=1)).isoformat()},
        "rule:followup.next_contact_before:next_contact",
    ),
    "a 20,001-character summary": (
        lambda today: {"summary": "x" * 20_001, "for_cell": True},
        "rule:value.too_long:summary",
    ),
}


@pytest.mark.parametrize("broken", BROKEN)
def test_a_crafted_followup_breaking_a_rule_is_refused_by_the_district(
    net: Net, broken: str
) -> None:
    reference = net.new_case("Farid Colin", "a", "b")
    net.sync("a")
    net.sync("b")
    changed, reason = BROKEN[broken]
    today = date.today()
    fields: dict[str, Any] = {
        "occurred_on": today.isoformat(),
        "recorded_by": net.worker_ids["a"],
        "kind": "interview",
        "summary": "Entretien au local.",
        "partners": [],
        "referral_to": None,
        "next_steps": None,
        "next_contact": None,
        "concern_level": None,
        **changed(today),
    }
    followup = uuid.uuid4().hex
    change_id = craft(net, "a", "add", followup, case_id(net, reference), fields)

    told = only(net.sync("a")["refused"], change_id)
    assert told["reason"] == reason and told["reason"].startswith("rule:")
    assert (told["entity"], told["op"], told["case_reference"]) == ("followup", "add", reference)
    kept = district_refusal(net, change_id)
    assert (kept["reason"], kept["status"]) == (reason, "pending")
    assert kept["change"]["entity_id"] == followup
    assert followup not in net.district_followups(reference)
    assert net.json("a", "status")["unsynced_changes"] == 0
    net.sync("b")
    assert followup not in net.followups("b", reference)
