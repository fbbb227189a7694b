"""The prevention group's meetings at the district (issue 17): the agenda proposed from the
data with its reasons (every date injected: the cases, follow-ups and participation
changes are written with the stamps of chosen days), the District Officer's additions and
removals, attendees and institutions, decisions, closing and amending, the minutes. On
both district backends."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from fieldkit.district import charter, meetings
from fieldkit.district.store import DistrictStore
from fieldkit.errors import InvalidValue, NotFound, Refused, UsageError
from fieldkit.model import AgendaReason, CaseStatus, Change, MeetingKind
from fieldkit.replica import cases as stored_cases
from fieldkit.replica import merge
from fieldkit.replica.clock import format_hlc
from fieldkit.store.db import transaction
from tests.conftest import PASSPHRASE
from tests.world import use_fast_kdf

PREVIOUS = date(2026, 3, 5)
MEETING = date(2026, 4, 2)
OPENED_LONG_AGO = date(2026, 1, 10)


def stamp(day: date, n: int) -> str:
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return format_hlc(int(noon.timestamp() * 1000), n)


class Writer:
    """Changes of one replica at chosen days, applied as sync applies them."""

    def __init__(self, store: DistrictStore, origin: str = "w-test", author: str = "wk-test"):
        self.store, self.origin, self.author, self.seq = store, origin, author, 0
        self.numbers = 0

    def change(self, day: date, case_id: str, entity: str, entity_id: str, op: str, fields):
        self.seq += 1
        change = Change(
            id=f"{self.origin}:{self.seq}",
            origin=self.origin,
            seq=self.seq,
            hlc=stamp(day, self.seq),
            entity=entity,
            entity_id=entity_id,
            case_id=case_id,
            op=op,
            fields=fields,
            base={},
            author=self.author,
        )
        with transaction(self.store.conn):
            merge.apply(self.store.conn, change)

    def case(self, name: str, opened: date, **fields) -> str:
        self.numbers += 1
        case_id = f"{self.numbers:032x}"
        values = {
            "reference": f"CO-2026-{self.numbers:04d}",
            "display_name": name,
            "birth_year": None,
            "unit": "UT Nord",
            "referral_date": opened.isoformat(),
            "referral_source": None,
            "reason": "Test",
            "status": "active",
            "priority": "normal",
            "assignees": [],
            "situation": "",
            "goals": [],
            "related": [],
            "next_review": None,
        }
        values.update(fields)
        self.change(opened, case_id, "case", case_id, "open", values)
        return case_id

    def update(self, day: date, case_id: str, **fields) -> None:
        self.change(day, case_id, "case", case_id, "update", fields)

    def followup(self, day: date, case_id: str, kind: str = "interview", **extra) -> None:
        fields = {
            "occurred_on": day.isoformat(),
            "recorded_by": self.author,
            "kind": kind,
            "summary": "Texte de l'équipe",
            **extra,
        }
        self.change(day, case_id, "followup", f"{self.origin}-{self.seq + 1}", "add", fields)


@pytest.fixture
def district(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DistrictStore]:
    use_fast_kdf(monkeypatch)
    with DistrictStore.create(tmp_path / "d", PASSPHRASE, "District test", None) as store:
        yield store


@pytest.fixture
def cases(district: DistrictStore) -> dict[str, str]:
    """Cases whose data call for the meeting of MEETING (the previous one: PREVIOUS)."""
    w = Writer(district)
    found = {}
    found["review"] = w.case("Alice Review", OPENED_LONG_AGO, next_review="2026-03-30")
    w.followup(date(2026, 3, 25), found["review"])
    # Events after the meeting's day are not its business.
    w.followup(date(2026, 4, 10), found["review"], "concern", concern_level="high")
    found["new"] = w.case("Bruno Nouveau", date(2026, 3, 20))
    found["concern"] = w.case("Chloé Souci", OPENED_LONG_AGO)
    w.followup(date(2026, 3, 15), found["concern"], "concern", concern_level="high")
    w.followup(date(2026, 3, 15), found["concern"])
    found["old-concern"] = w.case("David Ancien", OPENED_LONG_AGO)
    w.followup(date(2026, 2, 1), found["old-concern"], "concern", concern_level="high")
    w.followup(date(2026, 3, 28), found["old-concern"], "home-visit")
    found["participation"] = w.case("Emma Adhésion", OPENED_LONG_AGO)
    w.update(date(2026, 1, 15), found["participation"], participation="accepted")
    w.update(date(2026, 3, 10), found["participation"], participation="declined")
    w.followup(date(2026, 3, 30), found["participation"], "phone-call")
    found["same"] = w.case("Farid Pareil", OPENED_LONG_AGO)
    w.update(date(2026, 1, 15), found["same"], participation="accepted")
    w.update(date(2026, 3, 10), found["same"], participation="accepted")
    w.followup(date(2026, 3, 30), found["same"], "family-contact")
    found["silent"] = w.case("Gaëlle Silence", OPENED_LONG_AGO)
    w.followup(date(2026, 2, 1), found["silent"])
    # A missed appointment and a partner meeting are no contact with the person.
    w.followup(date(2026, 3, 20), found["silent"], attendance="missed")
    w.followup(date(2026, 3, 21), found["silent"], "partner-meeting")
    found["closed"] = w.case("Hugo Clos", OPENED_LONG_AGO, next_review="2026-03-01")
    w.update(date(2026, 2, 1), found["closed"], status="closed", closure_reason="Fin")
    found["suspended"] = w.case(
        "Inès Pause", OPENED_LONG_AGO, next_review="2026-04-02", status="suspended"
    )
    w.followup(date(2026, 3, 30), found["suspended"])
    return found


def reasons_by_case(items) -> dict[str, list]:
    return {i.case_id: [(r.code, r.day, r.days) for r in i.reasons] for i in items}


def test_the_agenda_proposes_the_cases_the_data_calls_for_with_their_reasons(district, cases):
    meetings.new(district.conn, PREVIOUS, MeetingKind.PLENARY)
    meeting = meetings.new(district.conn, MEETING, MeetingKind.RESTRICTED, "Point mensuel")
    _, items = meetings.agenda(district.conn, meeting.reference)
    assert reasons_by_case(items) == {
        cases["review"]: [(AgendaReason.REVIEW_DUE, date(2026, 3, 30), None)],
        cases["new"]: [(AgendaReason.OPENED, date(2026, 3, 20), None)],
        cases["concern"]: [(AgendaReason.HIGH_CONCERN, date(2026, 3, 15), None)],
        cases["participation"]: [(AgendaReason.PARTICIPATION, date(2026, 3, 10), None)],
        cases["silent"]: [(AgendaReason.NO_CONTACT, date(2026, 2, 1), 60)],
        # Suspended cases are open; a review on the meeting's day is due.
        cases["suspended"]: [(AgendaReason.REVIEW_DUE, MEETING, None)],
    }
    shown = {i.case_id: i for i in items}
    assert shown[cases["concern"]].initials == "C. S."
    assert shown[cases["concern"]].reference.startswith("CO-2026-")


def test_the_first_meeting_looks_back_the_no_contact_days(district, cases):
    meeting = meetings.new(district.conn, MEETING, MeetingKind.PLENARY)
    _, items = meetings.agenda(district.conn, meeting.reference, no_contact_days=30)
    found = reasons_by_case(items)
    # No earlier meeting: "since the last meeting" is the 30 days before this one.
    assert found[cases["new"]] == [(AgendaReason.OPENED, date(2026, 3, 20), None)]
    assert (AgendaReason.HIGH_CONCERN, date(2026, 3, 15), None) in found[cases["concern"]]
    assert cases["old-concern"] not in found
    assert found[cases["silent"]] == [(AgendaReason.NO_CONTACT, date(2026, 2, 1), 60)]
    assert meetings.get(district.conn, meeting.id).no_contact_days == 30


def test_a_case_never_contacted_is_proposed_once_the_days_have_passed(district):
    w = Writer(district)
    never = w.case("Jules Jamais", OPENED_LONG_AGO)
    recent = w.case("Karl Récent", date(2026, 3, 25))
    meetings.new(district.conn, date(2026, 3, 24), MeetingKind.PLENARY)
    meeting = meetings.new(district.conn, MEETING, MeetingKind.PLENARY)
    _, items = meetings.agenda(district.conn, meeting.reference)
    found = reasons_by_case(items)
    assert found[never] == [(AgendaReason.NO_CONTACT, None, None)]
    assert found[recent] == [(AgendaReason.OPENED, date(2026, 3, 25), None)]


def test_additions_and_removals_persist_and_a_removed_case_is_not_proposed_again(district, cases):
    meetings.new(district.conn, PREVIOUS, MeetingKind.PLENARY)
    meeting = meetings.new(district.conn, MEETING, MeetingKind.PLENARY)
    ref = meetings.get(district.conn, meeting.id).reference
    meetings.agenda(district.conn, ref, add=["CO-2026-0004"], remove=["CO-2026-0003"])
    for _ in range(2):  # proposed afresh each time, the choices kept
        _, items = meetings.agenda(district.conn, ref)
        found = reasons_by_case(items)
        assert cases["concern"] not in found
        assert found[cases["old-concern"]] == [(AgendaReason.ADDED, None, None)]
    with pytest.raises(UsageError):
        meetings.agenda(district.conn, ref, add=["CO-2026-0008"])  # closed case
    # The other meeting's agenda is its own: as of its day, without this one's choices.
    _, other = meetings.agenda(district.conn, PREVIOUS.isoformat())
    earlier = reasons_by_case(other)
    assert earlier[cases["old-concern"]] == [
        (AgendaReason.HIGH_CONCERN, date(2026, 2, 1), None),
        (AgendaReason.NO_CONTACT, None, None),
    ]
    assert cases["new"] not in earlier


def test_a_meeting_is_found_by_reference_or_date_and_an_ambiguous_date_lists_them(district):
    first = meetings.new(district.conn, MEETING, MeetingKind.PLENARY)
    assert first.reference == "R-2026-01"
    assert meetings.get(district.conn, "r-2026-01").id == first.id
    assert meetings.get(district.conn, "02/04/2026").id == first.id
    second = meetings.new(district.conn, MEETING, MeetingKind.RESTRICTED)
    assert second.reference == "R-2026-02"
    with pytest.raises(UsageError) as ambiguous:
        meetings.get(district.conn, "2026-04-02")
    assert "R-2026-01" in ambiguous.value.message and "R-2026-02" in ambiguous.value.message
    with pytest.raises(NotFound):
        meetings.get(district.conn, "R-2026-09")


def test_institutions_are_a_managed_list_and_a_near_miss_gets_a_suggestion(district):
    names = [name for name, _ in meetings.institutions(district.conn)]
    assert {"préfecture", "parquet", "PJJ", "Éducation nationale", "CAF"} <= set(names)
    assert meetings.institution_named(district.conn, "EDUCATION NATIONALE") == (
        "Éducation nationale"
    )
    with pytest.raises(InvalidValue) as near:
        meetings.institution_named(district.conn, "prefectur")
    assert near.value.params["suggestion"] == "préfecture"
    with pytest.raises(InvalidValue):
        meetings.institution_named(district.conn, "Club de tennis")
    meetings.add_institution(district.conn, "Maison des adolescents")
    assert meetings.institution_named(district.conn, "maison des adolescents")
    with pytest.raises(UsageError):
        meetings.add_institution(district.conn, "MAISON des Adolescents")


def test_attendees_carry_their_charter_and_their_names_are_sealed(district):
    meeting = meetings.new(district.conn, MEETING, MeetingKind.PLENARY)
    signed = meetings.add_attendee(
        district.conn, meeting.reference, "Sophie Préfète", "préfecture", date(2026, 1, 5)
    )
    unsigned = meetings.add_attendee(district.conn, meeting.reference, "Marc Juge", "parquet", None)
    assert not signed.charter_missing and unsigned.charter_missing
    raw = district.conn.execute(
        "SELECT name FROM meeting_attendees WHERE id = ?", (unsigned.id,)
    ).fetchone()[0]
    if getattr(district.conn, "column_cipher", None) is not None:
        assert "Marc" not in raw
    gone = meetings.remove_attendee(district.conn, meeting.reference, "marc juge")
    assert gone.id == unsigned.id
    assert [a.name for a in meetings.attendees(district.conn, meeting.id)] == ["Sophie Préfète"]


def test_the_minutes_name_cases_by_reference_and_initials_unless_with_names(district, cases):
    meetings.new(district.conn, PREVIOUS, MeetingKind.PLENARY)
    meeting = meetings.new(district.conn, MEETING, MeetingKind.PLENARY)
    meetings.add_attendee(district.conn, meeting.reference, "Marc Juge", "parquet", None)
    meetings.decide(
        district.conn,
        meeting.reference,
        "CO-2026-0003",
        measures=["Consultation au CMP"],
        referent="Maison des adolescents",
        next_review=date(2026, 6, 1),
        status=CaseStatus.SUSPENDED,
        reason="Hospitalisation",
        note_for_team=None,
    )
    at = datetime(2026, 4, 2, 18, tzinfo=UTC)
    document = meetings.minutes(district.conn, meeting.reference, printed_at=at)
    dumped = json.dumps(document.model_dump(mode="json"), ensure_ascii=False)
    assert "Chloé" not in dumped and "Souci" not in dumped
    assert document.counts.decisions == 1 and document.counts.measures == 1
    assert document.counts.suspended == 1 and document.counts.charters_missing == 1
    assert document.decisions[0].measures[0].text == "Consultation au CMP"
    named = meetings.minutes(district.conn, meeting.reference, printed_at=at, with_names=True)
    assert {c.name for c in named.cases} >= {"Chloé Souci"}
    assert meetings.canonical(named) == meetings.canonical(document)


def test_closing_freezes_the_meeting_until_amended_and_audits_the_minutes_hash(district, cases):
    meeting = meetings.new(district.conn, MEETING, MeetingKind.PLENARY)
    ref = meeting.reference
    closed, digest = meetings.close(district.conn, ref)
    assert closed.closed and closed.closed_sha256 == digest
    frozen = meetings.frozen_content(district.conn, meeting.id)
    assert frozen is not None and hashlib.sha256(frozen.encode()).hexdigest() == digest
    audited = [e for e in district.audit_events() if e.action == "meeting-close"]
    assert [(e.object_id, e.detail) for e in audited] == [(meeting.id, digest)]
    decision = {
        "measures": ["x"],
        "referent": None,
        "next_review": None,
        "status": None,
        "reason": None,
        "note_for_team": None,
    }
    with pytest.raises(Refused):
        meetings.decide(district.conn, ref, "CO-2026-0001", **decision)
    with pytest.raises(Refused):
        meetings.add_attendee(district.conn, ref, "Marc Juge", "parquet", None)
    with pytest.raises(Refused):
        meetings.agenda(district.conn, ref, add=["CO-2026-0004"])
    # Data written later does not change the frozen minutes.
    Writer(district, origin="w-late").followup(
        MEETING, cases["review"], "concern", concern_level="high"
    )
    at = datetime(2026, 4, 3, tzinfo=UTC)
    assert meetings.canonical(meetings.minutes(district.conn, ref, printed_at=at)) == frozen
    amended = meetings.amend(district.conn, ref, "Décision oubliée")
    assert not amended.closed and amended.amendments == 1
    meetings.decide(district.conn, ref, "CO-2026-0001", **decision)
    again, second = meetings.close(district.conn, ref)
    assert second != digest and again.amendments == 1
    document = meetings.minutes(district.conn, ref, printed_at=at)
    assert [a.reason for a in document.amendments] == ["Décision oubliée"]
    assert document.counts.amendments == 1 and document.counts.decisions == 1
    audited = [e.detail for e in district.audit_events() if e.action == "meeting-close"]
    assert audited == [digest, second]
    assert any(e.action == "meeting-amend" for e in district.audit_events())


def test_a_decided_case_goes_on_the_agenda(district, cases):
    meeting = meetings.new(district.conn, MEETING, MeetingKind.PLENARY)
    meetings.agenda(district.conn, meeting.reference, remove=["CO-2026-0004"])
    meetings.decide(
        district.conn,
        meeting.reference,
        "CO-2026-0004",
        measures=[],
        referent="Association Horizon",
        next_review=None,
        status=None,
        reason=None,
        note_for_team=None,
    )
    _, items = meetings.agenda(district.conn, meeting.reference)
    assert AgendaReason.ADDED in [
        r.code for r in {i.case_id: i for i in items}[cases["old-concern"]].reasons
    ]
    assert stored_cases.load(district.conn, cases["old-concern"]).status == CaseStatus.ACTIVE


def test_an_attendee_comes_once_and_a_review_comes_after_the_meeting(district, cases):
    meeting = meetings.new(district.conn, MEETING, MeetingKind.PLENARY)
    meetings.add_attendee(district.conn, meeting.reference, "Marc Juge", "parquet", None)
    with pytest.raises(UsageError) as twice:
        meetings.add_attendee(district.conn, meeting.reference, "marc  JUGE", "parquet", None)
    assert twice.value.key == "meeting.attendee_twice"
    assert len(meetings.attendees(district.conn, meeting.id)) == 1
    for day in (MEETING, MEETING - timedelta(days=1)):
        with pytest.raises(InvalidValue) as early:
            meetings.decide(
                district.conn,
                meeting.reference,
                "CO-2026-0004",
                measures=["Bilan"],
                referent=None,
                next_review=day,
                status=None,
                reason=None,
                note_for_team=None,
            )
        assert early.value.key == "meeting.review_before_meeting"
    assert meetings.decisions_of(district.conn, meeting.id) == []


def test_the_minutes_list_the_workers_whose_charter_acceptance_is_pending(district):
    meeting = meetings.new(district.conn, MEETING, MeetingKind.PLENARY)
    district.add_worker("Léa Martin", "UT Nord")
    at = datetime(2026, 4, 2, 18, tzinfo=UTC)
    before = meetings.minutes(district.conn, meeting.reference, printed_at=at)
    assert before.workers_charter_pending == []  # no charter set: nobody is pending
    charter.set_charter(district.conn, "Charte de confidentialité de la cellule.", "1")
    after = meetings.minutes(district.conn, meeting.reference, printed_at=at)
    assert [(w.name, w.unit) for w in after.workers_charter_pending] == [("Léa Martin", "UT Nord")]
    assert after.counts.workers_charter_pending == 1


def test_the_report_names_the_next_meeting(district, cases):
    from fieldkit.district.report import build_report
    from fieldkit.summary.report_render import notes

    meetings.new(district.conn, PREVIOUS, MeetingKind.PLENARY)
    coming = meetings.new(district.conn, MEETING, MeetingKind.PLENARY)
    meetings.agenda(district.conn, coming.reference)
    report = build_report(district, printed_at=datetime(2026, 3, 20, 9, tzinfo=UTC))
    assert report.next_meeting == (coming.reference, MEETING, 6)
    assert any(coming.reference in line for line in notes(report))
    after = build_report(district, printed_at=datetime(2026, 5, 1, 9, tzinfo=UTC))
    assert after.next_meeting is None


def test_a_purged_case_leaves_the_agendas(district):
    case = district.add_case(name="Luc Parti", unit="UT Nord")
    meeting = meetings.new(district.conn, date.today(), MeetingKind.PLENARY)
    meetings.agenda(district.conn, meeting.reference, add=[case.reference])
    district.close_case(case.reference, "Fin de prise en charge")
    purged = district.purge_closed(date.today() + timedelta(days=2))
    assert [p.case_id for p in purged] == [case.id]
    assert meetings.items(district.conn, meeting, with_removed=True) == []
    rows = district.conn.execute("SELECT count(*) FROM meeting_items").fetchone()[0]
    assert rows == 0


def test_an_attendee_s_name_is_shown_as_data_not_as_terminal_control(district):
    import io

    from rich.console import Console

    from fieldkit.summary.minutes import attendee_table, render_minutes_text
    from tests.conftest import LINK, TITLE_AND_CLEAR

    meeting = meetings.new(district.conn, MEETING, MeetingKind.PLENARY)
    person = meetings.add_attendee(
        district.conn, meeting.reference, f"Marc{TITLE_AND_CLEAR} {LINK}", "parquet", None
    )
    out = io.StringIO()
    screen = Console(file=out, width=200, force_terminal=True, color_system=None)
    screen.print(attendee_table([person]))
    at = datetime(2026, 4, 2, tzinfo=UTC)
    render_minutes_text(meetings.minutes(district.conn, meeting.reference, printed_at=at), screen)
    shown = out.getvalue()
    assert "\x1b]0;" not in shown and "\x07" not in shown
    assert LINK in shown  # the markup is text
