"""The summary's content: what is shown, in which order, under which names."""

from __future__ import annotations

from datetime import UTC, date, timedelta, timezone

import pytest

from fieldkit.i18n import catalogue, text
from fieldkit.model import (
    CASE_FIELDS,
    Amendment,
    CaseOutlook,
    CaseStatus,
    ConcernLevel,
    FollowUpKind,
    GoalState,
    Priority,
    ReferralDomain,
    WorkerStatus,
)
from fieldkit.summary.assemble import hlc_day
from tests.summary.conftest import World, build_world, followup_id, summarise


def test_case_facts_and_names_of_lead_and_co_workers(world: World) -> None:
    summary = summarise(world)
    assert summary.reference == "CO-2026-0042"
    assert summary.display_name == "Émilie Lefèvre-Nguyễn"
    assert summary.lead == "Claire Dubois"  # worker_names wins over the case's own label
    # Without a worker_names entry, the assignee's name on the case; the order is the case's.
    assert summary.co_workers == ["Mehdi Benali", "Agent Sans Nom"]
    assert summary.status == CaseStatus.ACTIVE
    assert summary.priority == Priority.HIGH
    assert summary.referral_date == date(2024, 12, 2)
    assert summary.referral_source == "Éducation nationale (lycée Jean-Moulin)"
    assert [g.state for g in summary.goals] == [
        GoalState.ACHIEVED,
        GoalState.OPEN,
        GoalState.DROPPED,
    ]
    assert summary.related[-1] == "Tante : Ольга Петрова"


def test_names_fall_back_to_the_case_label_then_a_neutral_label(world: World) -> None:
    summary = summarise(world, worker_names={})
    assert summary.lead == "C. Dubois"
    mehdi = next(e for e in summary.history if e.id == followup_id(1))
    assert mehdi.recorded_by == "M. Benali"
    unknown = next(e for e in summary.history if e.id == followup_id(2))
    # Not an assignee and not named by the district: a neutral label, never the id.
    assert unknown.recorded_by == text("names.unknown", "en")


def test_history_is_newest_first_with_the_latest_text(world: World) -> None:
    summary = summarise(world)
    assert summary.followups_total == 230
    assert len(summary.history) == 230
    days = [e.occurred_on for e in summary.history]
    assert days == sorted(days, reverse=True)
    assert summary.history[0].id == followup_id(230)
    amended = next(e for e in summary.history if e.id == followup_id(17))
    assert amended.summary.startswith("Texte corrigé : ")
    assert amended.amendments == 1
    assert amended.last_amended_on == date(2025, 2, 10)


def test_history_order_does_not_depend_on_input_order(world: World) -> None:
    shuffled = World(world.case, list(reversed(world.followups)), world.conflicts)
    assert summarise(shuffled) == summarise(world)


def test_an_amendment_changing_next_steps_is_shown(world: World) -> None:
    summary = summarise(world)
    twice = next(e for e in summary.history if e.id == followup_id(51))
    assert twice.amendments == 2
    assert twice.next_steps == "Orienter vers la Maison des adolescents."
    assert twice.last_amended_on == date(2025, 4, 21)


def test_an_amendment_moving_the_date_moves_the_entry(world: World) -> None:
    world = build_world(10)
    world.followups[0].amendments.append(
        Amendment(id="am-x", hlc="x", author="w-claire", fields={"occurred_on": "2026-01-01"})
    )
    summary = summarise(world)
    assert summary.history[0].id == followup_id(1)
    assert summary.history[0].last_amended_on is None  # an unreadable HLC gives no date


def test_concerns_are_listed_separately_with_their_level(world: World) -> None:
    summary = summarise(world)
    assert summary.concerns
    assert all(e.kind == FollowUpKind.CONCERN for e in summary.concerns)
    assert {e.concern_level for e in summary.concerns} == set(ConcernLevel)
    assert {e.id for e in summary.concerns} <= {e.id for e in summary.history}


def test_partner_referrals_carry_their_domain(world: World) -> None:
    summary = summarise(world)
    referrals = [e for e in summary.history if e.kind == FollowUpKind.PARTNER_REFERRAL]
    assert referrals
    assert all(e.referral_to is not None for e in referrals)


def test_next_contact_and_concern_are_the_stores_outlook(world: World) -> None:
    # The planned contact and the concern now are the store's (the agenda's queries,
    # tests/e2e/test_summary_outlook.py); the summary shows them as it is given them.
    ahead = CaseOutlook(
        next_review=date(2026, 5, 4),
        next_contact=date(2026, 4, 13),
        contact_overdue=True,
        concern_level=ConcernLevel.MEDIUM,
    )
    summary = summarise(world, outlook=ahead)
    assert summary.next_contact == date(2026, 4, 13)
    assert summary.next_contact_overdue is True
    assert summary.concern_level == ConcernLevel.MEDIUM
    assert summary.next_review == date(2026, 5, 4)
    assert summary.next_review_overdue is False


def test_without_an_outlook_no_next_contact_is_made_up(world: World) -> None:
    summary = summarise(world)
    assert summary.next_contact is None
    assert summary.concern_level is None


def test_a_past_review_is_overdue() -> None:
    world = build_world(3)
    world.case.next_review = date(2026, 4, 1)
    assert summarise(world).next_review_overdue is True


def test_only_open_conflicts_of_the_case_with_both_values(world: World) -> None:
    summary = summarise(world)
    assert len(summary.conflicts) == 1
    conflict = summary.conflicts[0]
    assert conflict.field == "situation"
    assert conflict.kept_value == "Situation stable, reprise d'une formation."
    assert conflict.other_value == "Situation fragile : rupture avec la famille élargie."
    assert (conflict.kept_by, conflict.other_by) == ("Claire Dubois", "Mehdi Benali")


def test_conflict_values_are_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    world = build_world(1)
    conflict = world.conflicts[0]
    conflict.field = "goals"
    conflict.winner_value = [{"text": "Trouver un stage", "state": "achieved"}]
    conflict.loser_value = None
    entry = summarise(world).conflicts[0]
    assert entry.kept_value == "Trouver un stage (Atteint)"
    assert entry.other_value == "—"


def test_since_limits_history_and_concerns(world: World) -> None:
    since = date(2026, 3, 1)
    summary = summarise(world, since=since)
    assert summary.since == since
    assert summary.followups_total == 230
    assert summary.history
    assert all(e.occurred_on >= since for e in summary.history)
    assert all(e.occurred_on >= since for e in summary.concerns)
    kept = [fu.id for fu in world.followups if fu.current().occurred_on >= since]
    assert sorted(e.id for e in summary.history) == sorted(kept)
    assert len(kept) == 20  # one every two days, the last on 2026-04-09


@pytest.mark.parametrize(
    ("hlc", "expected"),
    [
        ("001739188800000-000001", date(2025, 2, 10)),  # 12:00 UTC
        ("001739230200000-000000", date(2025, 2, 10)),  # 23:30 UTC
        ("", None),
        ("1739188800000-0001-node", None),  # not the clock's format
        ("opaque", None),
    ],
)
def test_hlc_day(hlc: str, expected: date | None) -> None:
    assert hlc_day(hlc, UTC) == expected


def test_amendment_day_is_taken_in_the_printer_time_zone() -> None:
    paris = timezone(timedelta(hours=1))
    assert hlc_day("001739230200000-000000", paris) == date(2025, 2, 11)  # 00:30 in Paris


@pytest.mark.parametrize(
    ("prefix", "values"),
    [
        ("kind", FollowUpKind),
        ("status", CaseStatus),
        ("priority", Priority),
        ("referral", ReferralDomain),
        ("concern", ConcernLevel),
        ("goal", GoalState),
        ("worker-status", WorkerStatus),
        ("field", CASE_FIELDS),
    ],
)
def test_every_model_value_has_a_label_in_both_languages(prefix: str, values) -> None:
    messages = catalogue()
    for value in values:
        key = f"{prefix}.{value}"
        english, french = messages[key], text(key, "fr")
        assert english.strip()
        assert french.strip()
