"""The prevention group's meetings (issue 17): sessions, the agenda proposed from the data,
the attendees by institution with their charter, closing and amending, and the minutes
assembled once (rendered in fieldkit/summary/minutes.py).

Owns the tables `meetings`, `meeting_items`, `meeting_attendees`, `meeting_events` and
`institutions` (fieldkit/district/schema.py). Attendee names are personal data: sealed on
PostgreSQL like the workers' names (fieldkit/replica/columns.py), so compared here, not in
SQL. The decisions themselves are fieldkit/district/decisions.py's.

The agenda of a meeting proposes every open case (active or suspended) that has, up to
the meeting's date:
- its next review on or before the meeting's date;
- been opened since the last meeting;
- a high concern since the last meeting;
- a change of the person's participation since the last meeting (from the case's
  replicated change log);
- no contact with the person (interview, home visit, phone call, family contact, not
  missed or excused) for `no_contact_days` days before the meeting.
"Since the last meeting" is after the date of the latest meeting before this one; for a
district's first meeting, the `no_contact_days` days before it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from difflib import get_close_matches

from pydantic import BaseModel, ConfigDict, Field

from fieldkit.choices import fold
from fieldkit.dates import now_stamp
from fieldkit.district import archive, charter, decisions, workers
from fieldkit.district import cases as district_cases
from fieldkit.errors import InvalidValue, NotFound, Refused, UsageError
from fieldkit.model import (
    AgendaReason,
    Attendance,
    Attendee,
    Case,
    CaseStatus,
    Decision,
    FollowUpKind,
    Meeting,
    MeetingEvent,
    MeetingItem,
    MeetingKind,
    MeetingReason,
)
from fieldkit.replica import cases as stored_cases
from fieldkit.replica import changelog, followups, meta
from fieldkit.replica.clock import parse_hlc
from fieldkit.replica.columns import seal, unseal
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction

DEFAULT_NO_CONTACT_DAYS = 42
OPEN_STATUSES = (CaseStatus.ACTIVE, CaseStatus.SUSPENDED)
# The follow-ups that are a contact with the person (a partner meeting or a review is not).
CONTACT_KINDS = (
    FollowUpKind.INTERVIEW,
    FollowUpKind.HOME_VISIT,
    FollowUpKind.PHONE_CALL,
    FollowUpKind.FAMILY_CONTACT,
)
# The institutions the cell's members usually come from (DOMAIN.md); a district adds its own.
DEFAULT_INSTITUTIONS = (
    "préfecture",
    "parquet",
    "PJJ",
    "ARS",
    "Éducation nationale",
    "conseil départemental",
    "police / gendarmerie",
    "administration pénitentiaire",
    "mission locale",
    "CAF",
    "France Travail",
    "mairie",
    "association",
    "autre",
)
MAX_TITLE = 200
MAX_NAME = 120
MAX_INSTITUTION = 80

OPEN, CLOSED = "open", "closed"
ADDED, REMOVED = "added", "removed"


# Sessions ---------------------------------------------------------------------------


def new(
    conn: Connection, meeting_date: date, kind: MeetingKind, title: str | None = None
) -> Meeting:
    title = (title or "").strip() or None
    if title is not None and len(title) > MAX_TITLE:
        raise InvalidValue("value.too_long", field="title", limit=MAX_TITLE)
    meeting_id = uuid.uuid4().hex
    with transaction(conn):
        reference = _next_reference(conn, meeting_date.year)
        conn.execute(
            "INSERT INTO meetings (id, reference, meeting_date, kind, title, no_contact_days,"
            " status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                meeting_id,
                reference,
                meeting_date.isoformat(),
                kind.value,
                seal(conn, "meetings", "title", meeting_id, title) if title else None,
                DEFAULT_NO_CONTACT_DAYS,
                OPEN,
                now_stamp(),
            ),
        )
        audit.record(conn, "district", "meeting-new", "meeting", meeting_id, reference)
    return _load(conn, meeting_id)


def _next_reference(conn: Connection, year: int) -> str:
    prefix = f"R-{year}-"
    rows = conn.execute(
        "SELECT reference FROM meetings WHERE reference LIKE ?", (prefix + "%",)
    ).fetchall()
    numbers = [int(r[0][len(prefix) :]) for r in rows if r[0][len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:02d}"


_COLUMNS = "id, reference, meeting_date, kind, title, no_contact_days, status"


def _meeting(conn: Connection, row: tuple) -> Meeting:
    meeting_id = row[0]
    closing = conn.execute(
        "SELECT sha256 FROM meeting_events WHERE meeting_id = ? AND what = 'close'"
        " ORDER BY id DESC LIMIT 1",
        (meeting_id,),
    ).fetchone()
    amended = conn.execute(
        "SELECT count(*) FROM meeting_events WHERE meeting_id = ? AND what = 'amend'",
        (meeting_id,),
    ).fetchone()[0]
    return Meeting(
        id=meeting_id,
        reference=row[1],
        meeting_date=date.fromisoformat(row[2]),
        kind=MeetingKind(row[3]),
        title=unseal(conn, "meetings", "title", meeting_id, row[4]) if row[4] else None,
        no_contact_days=row[5],
        status=row[6],
        closed_sha256=closing[0] if closing else None,
        amendments=int(amended),
    )


def _load(conn: Connection, meeting_id: str) -> Meeting:
    row = conn.execute(f"SELECT {_COLUMNS} FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
    if row is None:
        raise NotFound("meeting.not_found", ref=meeting_id)
    return _meeting(conn, row)


def listing(conn: Connection) -> list[Meeting]:
    """Every meeting, by date."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM meetings ORDER BY meeting_date, reference"
    ).fetchall()
    return [_meeting(conn, r) for r in rows]


def get(conn: Connection, ref: str) -> Meeting:
    """A meeting by its reference (R-2026-03, any case), its date (ISO or 15/03/2026) when
    one meeting has it, or its id. Several meetings that day: UsageError listing them."""
    wanted = ref.strip()
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM meetings WHERE id = ? OR upper(reference) = ?",
        (wanted, wanted.upper()),
    ).fetchone()
    if row is not None:
        return _meeting(conn, row)
    day = _as_day(wanted)
    if day is not None:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM meetings WHERE meeting_date = ? ORDER BY reference",
            (day.isoformat(),),
        ).fetchall()
        if len(rows) == 1:
            return _meeting(conn, rows[0])
        if len(rows) > 1:
            raise UsageError("meeting.ambiguous", ref=ref, candidates=", ".join(r[1] for r in rows))
    raise NotFound("meeting.not_found", ref=ref)


def _as_day(text: str) -> date | None:
    from fieldkit.dates import parse_day

    if not any(c.isdigit() for c in text):
        return None  # a word such as "today" is not a meeting's name
    try:
        return parse_day(text, "meeting")
    except InvalidValue:
        return None


def previous(conn: Connection, meeting: Meeting) -> Meeting | None:
    """The latest meeting held before this one's date."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM meetings WHERE meeting_date < ? AND id != ?"
        " ORDER BY meeting_date DESC, reference DESC LIMIT 1",
        (meeting.meeting_date.isoformat(), meeting.id),
    ).fetchone()
    return _meeting(conn, row) if row else None


def next_meeting(conn: Connection, today: date) -> Meeting | None:
    """The first meeting on or after `today` (for the report)."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM meetings WHERE meeting_date >= ?"
        " ORDER BY meeting_date, reference LIMIT 1",
        (today.isoformat(),),
    ).fetchone()
    return _meeting(conn, row) if row else None


def check_open(meeting: Meeting) -> None:
    """Refuse a change to a closed meeting: `meeting amend` reopens it first."""
    if meeting.closed:
        raise Refused("meeting.is_closed", ref=meeting.reference)


# The agenda -------------------------------------------------------------------------


def window(conn: Connection, meeting: Meeting) -> tuple[date, date]:
    """(since, until): the days after `since` up to the meeting's day `until`."""
    before = previous(conn, meeting)
    since = (
        before.meeting_date
        if before is not None
        else meeting.meeting_date - timedelta(days=meeting.no_contact_days)
    )
    return since, meeting.meeting_date


def propose(conn: Connection, meeting: Meeting) -> dict[str, list[MeetingReason]]:
    """Per open case, the reasons the data gives to discuss it at this meeting."""
    since, until = window(conn, meeting)
    proposed: dict[str, list[MeetingReason]] = {}
    for case in stored_cases.list_cases(conn, hidden=archive.ids(conn)):
        if case.status not in OPEN_STATUSES:
            continue
        reasons = case_reasons(conn, case, since, until, meeting.no_contact_days)
        if reasons:
            proposed[case.id] = reasons
    return proposed


def case_reasons(
    conn: Connection, case: Case, since: date, until: date, no_contact_days: int
) -> list[MeetingReason]:
    """Why this case is to be discussed at a meeting on `until`, the last one being `since`."""
    reasons: list[MeetingReason] = []
    if case.next_review is not None and case.next_review <= until:
        reasons.append(MeetingReason(code=AgendaReason.REVIEW_DUE, day=case.next_review))
    case_changes = sorted(changelog.of_case(conn, case.id, "case"), key=lambda c: c.hlc)
    opened = next((_day_of(c.hlc) for c in case_changes if c.op == "open"), None)
    if opened is not None and since < opened <= until:
        reasons.append(MeetingReason(code=AgendaReason.OPENED, day=opened))
    history = [fu.current() for fu in followups.for_case(conn, case.id) if not fu.withdrawn]
    history = [fu for fu in history if fu.occurred_on <= until]
    concerns = [
        fu.occurred_on
        for fu in history
        if fu.concern_level is not None
        and fu.concern_level.value == "high"
        and fu.occurred_on > since
    ]
    if concerns:
        reasons.append(MeetingReason(code=AgendaReason.HIGH_CONCERN, day=max(concerns)))
    changed = _participation_changed(case_changes, since, until)
    if changed is not None:
        reasons.append(MeetingReason(code=AgendaReason.PARTICIPATION, day=changed))
    contacts = [
        fu.occurred_on
        for fu in history
        if fu.kind in CONTACT_KINDS and fu.attendance not in (Attendance.MISSED, Attendance.EXCUSED)
    ]
    cutoff = until - timedelta(days=no_contact_days)
    if contacts:
        last = max(contacts)
        if last <= cutoff:
            reasons.append(
                MeetingReason(code=AgendaReason.NO_CONTACT, day=last, days=(until - last).days)
            )
    elif opened is None or opened <= cutoff:
        reasons.append(MeetingReason(code=AgendaReason.NO_CONTACT))
    return reasons


def _day_of(hlc: str) -> date:
    return datetime.fromtimestamp(parse_hlc(hlc)[0] / 1000, UTC).date()


def _participation_changed(changes: list, since: date, until: date) -> date | None:
    """The day of the latest change of participation in (since, until], if any: a write
    that sets the value it already had is not a change."""
    value, found = None, None
    for change in changes:
        if "participation" not in change.fields:
            continue
        new_value = change.fields["participation"]
        day = _day_of(change.hlc)
        if new_value != value and since < day <= until:
            found = day
        value = new_value
    return found


def agenda(
    conn: Connection,
    ref: str,
    *,
    add: list[str] | None = None,
    remove: list[str] | None = None,
    no_contact_days: int | None = None,
) -> tuple[Meeting, list[MeetingItem]]:
    """A meeting's agenda: proposed afresh while the meeting is open (keeping the District
    Officer's additions and removals), as frozen once closed. Adds and removes are cases
    (reference, id or name); a removed case is not proposed again for this meeting."""
    meeting = get(conn, ref)
    changing = bool(add or remove or no_contact_days is not None)
    if meeting.closed:
        if changing:
            check_open(meeting)
        with transaction(conn):
            audit.record(conn, "district", "view", "meeting", meeting.id, "agenda")
        return meeting, items(conn, meeting)
    added = [_open_case(conn, case) for case in add or []]
    removed = [district_cases.resolve(conn, case) for case in remove or []]
    with transaction(conn):
        if no_contact_days is not None:
            if not 1 <= no_contact_days <= 3650:
                raise InvalidValue("meeting.bad_days", value=no_contact_days)
            conn.execute(
                "UPDATE meetings SET no_contact_days = ? WHERE id = ?",
                (no_contact_days, meeting.id),
            )
            meeting = _load(conn, meeting.id)
        for case_id in added:
            _set_manual(conn, meeting.id, case_id, ADDED)
        for case_id in removed:
            _set_manual(conn, meeting.id, case_id, REMOVED)
        _refresh(conn, meeting)
        if changing:
            detail = f"added {len(added)} removed {len(removed)}"
            audit.record(conn, "district", "meeting-agenda", "meeting", meeting.id, detail)
        else:
            # The agenda shows cases with their concerns: a view, audited as the report is.
            audit.record(conn, "district", "view", "meeting", meeting.id, "agenda")
    return meeting, items(conn, meeting)


def _open_case(conn: Connection, ref: str) -> str:
    case_id = district_cases.resolve(conn, ref)
    case = stored_cases.load(conn, case_id)
    if case.status not in OPEN_STATUSES:
        raise UsageError("meeting.case_not_open", ref=case.reference)
    return case_id


def _set_manual(conn: Connection, meeting_id: str, case_id: str, manual: str) -> None:
    conn.execute(
        "INSERT INTO meeting_items (meeting_id, case_id, reasons, manual) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (meeting_id, case_id) DO UPDATE SET manual = excluded.manual",
        (meeting_id, case_id, "[]", manual),
    )


def _refresh(conn: Connection, meeting: Meeting) -> None:
    """Store the proposals of now beside the manual choices (inside a transaction)."""
    proposed = propose(conn, meeting)
    stored = {
        r[0]: r[1]
        for r in conn.execute(
            "SELECT case_id, manual FROM meeting_items WHERE meeting_id = ?", (meeting.id,)
        )
    }
    for case_id, manual in stored.items():
        if case_id not in proposed and manual is None:
            conn.execute(
                "DELETE FROM meeting_items WHERE meeting_id = ? AND case_id = ?",
                (meeting.id, case_id),
            )
    for case_id in stored:
        if case_id not in proposed:
            _write_reasons(conn, meeting.id, case_id, [])
    for case_id, reasons in proposed.items():
        text = _reasons_json(reasons)
        conn.execute(
            "INSERT INTO meeting_items (meeting_id, case_id, reasons, manual)"
            " VALUES (?, ?, ?, NULL)"
            " ON CONFLICT (meeting_id, case_id) DO UPDATE SET reasons = excluded.reasons",
            (meeting.id, case_id, text),
        )


def _write_reasons(conn: Connection, meeting_id: str, case_id: str, reasons: list) -> None:
    conn.execute(
        "UPDATE meeting_items SET reasons = ? WHERE meeting_id = ? AND case_id = ?",
        (_reasons_json(reasons), meeting_id, case_id),
    )


def _reasons_json(reasons: list[MeetingReason]) -> str:
    return json.dumps([r.model_dump(mode="json", exclude_none=True) for r in reasons])


def items(conn: Connection, meeting: Meeting, *, with_removed: bool = False) -> list[MeetingItem]:
    """The cases on the agenda as stored, by reference; removed ones only when asked."""
    found = []
    rows = conn.execute(
        "SELECT case_id, reasons, manual FROM meeting_items WHERE meeting_id = ?", (meeting.id,)
    ).fetchall()
    for case_id, reasons_text, manual in rows:
        if manual == REMOVED and not with_removed:
            continue
        if not stored_cases.exists(conn, case_id):
            continue  # purged since
        case = stored_cases.load(conn, case_id)
        reasons = [MeetingReason.model_validate(r) for r in json.loads(reasons_text)]
        if manual == ADDED:
            reasons.append(MeetingReason(code=AgendaReason.ADDED))
        found.append(
            MeetingItem(
                case_id=case_id,
                reference=case.reference,
                initials=initials(case.display_name),
                unit=case.unit,
                status=case.status,
                reasons=reasons,
                manual=manual,
            )
        )
    return sorted(found, key=lambda item: item.reference)


def include(conn: Connection, meeting: Meeting, case_id: str) -> None:
    """A case decided on at the meeting is on its agenda (added, unless proposed)."""
    row = conn.execute(
        "SELECT manual FROM meeting_items WHERE meeting_id = ? AND case_id = ?",
        (meeting.id, case_id),
    ).fetchone()
    if row is None or row[0] == REMOVED:
        with transaction(conn):
            _set_manual(conn, meeting.id, case_id, ADDED)


def delete_case(conn: Connection, case_id: str) -> None:
    """A purged case leaves the agendas (inside the purge's transaction). Minutes frozen at
    a closing keep its reference and initials: they are the record of the meeting."""
    conn.execute("DELETE FROM meeting_items WHERE case_id = ?", (case_id,))


def initials(name: str) -> str:
    """ "Amélie Durand" -> "A. D."; "Jean-Pierre Martin" -> "J.-P. M."."""
    words = []
    for word in name.split():
        parts = [p for p in word.split("-") if p]
        if parts:
            words.append("-".join(f"{p[0].upper()}." for p in parts))
    return " ".join(words) or "?"


# Attendees and institutions ---------------------------------------------------------


def attendees(conn: Connection, meeting_id: str) -> list[Attendee]:
    rows = conn.execute(
        "SELECT id, name, institution, charter_signed FROM meeting_attendees"
        " WHERE meeting_id = ? ORDER BY added_at, id",
        (meeting_id,),
    ).fetchall()
    return [
        Attendee(
            id=r[0],
            name=unseal(conn, "meeting_attendees", "name", r[0], r[1]),
            institution=r[2],
            charter_signed=date.fromisoformat(r[3]) if r[3] else None,
        )
        for r in rows
    ]


def add_attendee(
    conn: Connection, ref: str, name: str, institution: str, charter_signed: date | None
) -> Attendee:
    meeting = get(conn, ref)
    check_open(meeting)
    name = " ".join(name.split())
    if not name:
        raise InvalidValue("value.missing", field="name")
    if len(name) > MAX_NAME:
        raise InvalidValue("value.too_long", field="name", limit=MAX_NAME)
    known = institution_named(conn, institution)
    from fieldkit.choices import fold

    if any(fold(a.name) == fold(name) for a in attendees(conn, meeting.id)):
        raise UsageError("meeting.attendee_twice", name=name, meeting=meeting.reference)
    attendee_id = "at-" + uuid.uuid4().hex[:12]
    with transaction(conn):
        conn.execute(
            "INSERT INTO meeting_attendees (id, meeting_id, name, institution, charter_signed,"
            " added_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                attendee_id,
                meeting.id,
                seal(conn, "meeting_attendees", "name", attendee_id, name),
                known,
                charter_signed.isoformat() if charter_signed else None,
                now_stamp(),
            ),
        )
        audit.record(conn, "district", "meeting-attendee-add", "meeting", meeting.id, attendee_id)
    return next(a for a in attendees(conn, meeting.id) if a.id == attendee_id)


def remove_attendee(conn: Connection, ref: str, who: str) -> Attendee:
    """Remove an attendee given by id or by name (ignoring accents and case)."""
    meeting = get(conn, ref)
    check_open(meeting)
    present = attendees(conn, meeting.id)
    matching = [a for a in present if a.id == who.strip()] or [
        a for a in present if fold(a.name) == fold(who)
    ]
    if not matching:
        raise NotFound("meeting.attendee_not_found", ref=meeting.reference)
    if len(matching) > 1:
        raise UsageError("meeting.attendee_ambiguous", candidates=", ".join(a.id for a in matching))
    gone = matching[0]
    with transaction(conn):
        conn.execute("DELETE FROM meeting_attendees WHERE id = ?", (gone.id,))
        audit.record(conn, "district", "meeting-attendee-remove", "meeting", meeting.id, gone.id)
    return gone


def institutions(conn: Connection) -> list[tuple[str, bool]]:
    """(name, whether it is one of the defaults), in alphabetical order: the defaults and
    those the district added (the table holds only these, so that a move between
    backends copies it as it is)."""
    added = [r[0] for r in conn.execute("SELECT name FROM institutions").fetchall()]
    found = [(name, True) for name in DEFAULT_INSTITUTIONS]
    found += [(name, False) for name in added]
    return sorted(found, key=lambda r: fold(r[0]))


def institution_named(conn: Connection, text: str) -> str:
    """The institution as the list spells it (accents and case ignored); else InvalidValue
    with the closest one on the list."""
    names = [name for name, _ in institutions(conn)]
    by_fold = {fold(name): name for name in names}
    wanted = fold(text)
    if wanted in by_fold:
        return by_fold[wanted]
    close = get_close_matches(wanted, list(by_fold), n=1, cutoff=0.6)
    if close:
        raise InvalidValue(
            "meeting.unknown_institution_close", value=text, suggestion=by_fold[close[0]]
        )
    raise InvalidValue("meeting.unknown_institution", value=text)


def add_institution(conn: Connection, name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidValue("value.missing", field="institution")
    if len(name) > MAX_INSTITUTION:
        raise InvalidValue("value.too_long", field="institution", limit=MAX_INSTITUTION)
    existing = {fold(n): n for n, _ in institutions(conn)}
    if fold(name) in existing:
        raise UsageError("meeting.institution_exists", name=existing[fold(name)])
    with transaction(conn):
        conn.execute(
            "INSERT INTO institutions (name, added_at) VALUES (?, ?)",
            (name, now_stamp()),
        )
        audit.record(conn, "district", "institution-add", "institution", name)
    return name


# Closing and amending ---------------------------------------------------------------


def events(conn: Connection, meeting_id: str) -> list[MeetingEvent]:
    rows = conn.execute(
        "SELECT id, what, at, sha256, reason FROM meeting_events WHERE meeting_id = ? ORDER BY id",
        (meeting_id,),
    ).fetchall()
    return [
        MeetingEvent(
            what=r[1],
            at=datetime.fromisoformat(r[2]),
            sha256=r[3],
            reason=unseal(conn, "meeting_events", "reason", str(r[0]), r[4]) if r[4] else None,
        )
        for r in rows
    ]


def close(conn: Connection, ref: str, *, today: date | None = None) -> tuple[Meeting, str]:
    """Freeze a meeting: its minutes' canonical content is kept and its SHA-256 goes into
    the audit chain. Returns the meeting and the hash."""
    meeting = get(conn, ref)
    if meeting.closed:
        raise UsageError("meeting.already_closed", ref=meeting.reference)
    with transaction(conn):
        _refresh(conn, meeting)
    content = canonical(minutes(conn, meeting.id, printed_at=datetime.now(UTC)))
    digest = hashlib.sha256(content.encode()).hexdigest()
    with transaction(conn):
        cursor = conn.execute(
            "INSERT INTO meeting_events (meeting_id, what, at, sha256) VALUES (?, 'close', ?, ?)"
            " RETURNING id",
            (meeting.id, now_stamp(), digest),
        )
        event_id = cursor.fetchone()[0]
        conn.execute(
            "UPDATE meeting_events SET content = ? WHERE id = ?",
            (seal(conn, "meeting_events", "content", str(event_id), content), event_id),
        )
        conn.execute("UPDATE meetings SET status = ? WHERE id = ?", (CLOSED, meeting.id))
        audit.record(conn, "district", "meeting-close", "meeting", meeting.id, digest)
    return _load(conn, meeting.id), digest


def check_closed(meeting: Meeting) -> None:
    """Only a closed meeting is amended (reopened for changes)."""
    if not meeting.closed:
        raise UsageError("meeting.not_closed", ref=meeting.reference)


def amend(conn: Connection, ref: str, reason: str) -> Meeting:
    """Reopen a closed meeting for changes, with the reason (kept, counted, shown)."""
    meeting = get(conn, ref)
    check_closed(meeting)
    reason = reason.strip()
    if not reason:
        raise InvalidValue("value.missing", field="reason")
    if len(reason) > 2000:
        raise InvalidValue("value.too_long", field="reason", limit=2000)
    with transaction(conn):
        cursor = conn.execute(
            "INSERT INTO meeting_events (meeting_id, what, at) VALUES (?, 'amend', ?) RETURNING id",
            (meeting.id, now_stamp()),
        )
        event_id = cursor.fetchone()[0]
        conn.execute(
            "UPDATE meeting_events SET reason = ? WHERE id = ?",
            (seal(conn, "meeting_events", "reason", str(event_id), reason), event_id),
        )
        conn.execute("UPDATE meetings SET status = ? WHERE id = ?", (OPEN, meeting.id))
        number = meeting.amendments + 1
        audit.record(
            conn, "district", "meeting-amend", "meeting", meeting.id, f"amendment {number}"
        )
    return _load(conn, meeting.id)


def frozen_content(conn: Connection, meeting_id: str) -> str | None:
    """The canonical minutes kept at the latest closing, if the meeting is closed."""
    row = conn.execute(
        "SELECT id, content FROM meeting_events WHERE meeting_id = ? AND what = 'close'"
        " ORDER BY id DESC LIMIT 1",
        (meeting_id,),
    ).fetchone()
    if row is None or row[1] is None:
        return None
    return unseal(conn, "meeting_events", "content", str(row[0]), row[1])


# The minutes ------------------------------------------------------------------------


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MinutesCase(_Data):
    case_id: str
    reference: str
    initials: str
    name: str | None = None  # only with --with-names
    unit: str = ""
    reasons: list[MeetingReason] = Field(default_factory=list)


class MinutesMeasure(_Data):
    number: int  # the measure's number on its case (1, 2, 3 ... over its decisions)
    text: str


class MinutesDecision(_Data):
    case_id: str
    reference: str
    initials: str
    name: str | None = None
    measures: list[MinutesMeasure] = Field(default_factory=list)
    referent: str | None = None
    next_review: date | None = None
    status: CaseStatus | None = None


class MinutesWorker(_Data):
    """A worker whose acceptance of the current confidentiality charter is pending."""

    name: str
    unit: str


class MinutesCounts(_Data):
    attendees: int = 0
    charters_missing: int = 0
    workers_charter_pending: int = 0
    cases: int = 0
    decisions: int = 0
    measures: int = 0
    suspended: int = 0
    closed: int = 0
    amendments: int = 0


class MinutesAmendment(_Data):
    at: datetime
    reason: str


class Minutes(_Data):
    """The compte rendu of a meeting, assembled once; fieldkit/summary/minutes.py renders it.

    Names of the persons followed appear only with `with_names`; the canonical content
    (`canonical`) is the minutes without them and without the printing's details.
    """

    district: str
    reference: str
    meeting_date: date
    kind: MeetingKind
    title: str | None = None
    attendees: list[Attendee] = Field(default_factory=list)
    workers_charter_pending: list[MinutesWorker] = Field(default_factory=list)
    cases: list[MinutesCase] = Field(default_factory=list)
    decisions: list[MinutesDecision] = Field(default_factory=list)
    counts: MinutesCounts = Field(default_factory=MinutesCounts)
    amendments: list[MinutesAmendment] = Field(default_factory=list)
    # Not part of the canonical content:
    printed_by: str = ""
    printed_at: datetime | None = None
    status: str = OPEN
    closed_sha256: str | None = None
    with_names: bool = False


_NOT_CANONICAL = {"printed_by", "printed_at", "status", "closed_sha256", "with_names"}


def canonical(document: Minutes) -> str:
    """The minutes' content as the hash covers it: JSON, keys sorted, without names of the
    persons followed and without when or by whom it was printed."""
    data = document.model_dump(mode="json", exclude=_NOT_CANONICAL)
    for item in data["cases"] + data["decisions"]:
        item["name"] = None
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def minutes(
    conn: Connection, ref: str, *, printed_at: datetime, with_names: bool = False
) -> Minutes:
    """The minutes of a meeting: as frozen at its closing when closed, else as of now."""
    meeting = get(conn, ref)
    district = meta.get(conn, "district_name") or ""
    frozen = frozen_content(conn, meeting.id) if meeting.closed else None
    if frozen is not None:
        document = Minutes.model_validate(json.loads(frozen))
    else:
        document = _assemble(conn, meeting, district)
    document.printed_by = district or "district"
    document.printed_at = printed_at
    document.status = meeting.status
    document.closed_sha256 = meeting.closed_sha256 if meeting.closed else None
    if with_names:
        document.with_names = True
        for item in [*document.cases, *document.decisions]:
            if stored_cases.exists(conn, item.case_id):
                item.name = stored_cases.load(conn, item.case_id).display_name
    return document


def _assemble(conn: Connection, meeting: Meeting, district: str) -> Minutes:
    people = attendees(conn, meeting.id)
    on_agenda = items(conn, meeting)
    cases = [
        MinutesCase(
            case_id=i.case_id,
            reference=i.reference,
            initials=i.initials,
            unit=i.unit,
            reasons=i.reasons,
        )
        for i in on_agenda
    ]
    decided = []
    for decision in decisions_of(conn, meeting.id):
        if not stored_cases.exists(conn, decision.case_id):
            continue
        case = stored_cases.load(conn, decision.case_id)
        decided.append(
            MinutesDecision(
                case_id=case.id,
                reference=case.reference,
                initials=initials(case.display_name),
                measures=[MinutesMeasure(number=m.number, text=m.text) for m in decision.measures],
                referent=decision.referent,
                next_review=decision.next_review,
                status=decision.status,
            )
        )
    amendments = [
        MinutesAmendment(at=e.at, reason=e.reason or "")
        for e in events(conn, meeting.id)
        if e.what == "amend"
    ]
    pending = charter_pending(conn)
    counts = MinutesCounts(
        attendees=len(people),
        charters_missing=sum(1 for a in people if a.charter_missing),
        workers_charter_pending=len(pending),
        cases=len(cases),
        decisions=len(decided),
        measures=sum(len(d.measures) for d in decided),
        suspended=sum(1 for d in decided if d.status == CaseStatus.SUSPENDED),
        closed=sum(1 for d in decided if d.status == CaseStatus.CLOSED),
        amendments=len(amendments),
    )
    return Minutes(
        district=district,
        reference=meeting.reference,
        meeting_date=meeting.meeting_date,
        kind=meeting.kind,
        title=meeting.title,
        attendees=people,
        workers_charter_pending=pending,
        cases=cases,
        decisions=decided,
        counts=counts,
        amendments=amendments,
    )


def charter_pending(conn: Connection) -> list[MinutesWorker]:
    """The workers who have not accepted the current confidentiality charter (none while
    the district has set no charter), by name (fieldkit/district/charter.py)."""
    pending = [wid for wid, state in charter.worker_states(conn).items() if state.pending]
    found = [workers.get(conn, wid).worker for wid in pending]
    return sorted(
        (MinutesWorker(name=w.name, unit=w.unit) for w in found),
        key=lambda w: (fold(w.name), w.unit),
    )


def decisions_of(conn: Connection, meeting_id: str) -> list[Decision]:
    """The decisions recorded at this meeting, oldest first (fieldkit/district/decisions.py)."""
    return decisions.for_meeting(conn, meeting_id)


def decide(
    conn: Connection,
    ref: str,
    case_ref: str,
    *,
    measures: list[str],
    referent: str | None,
    next_review: date | None,
    status: CaseStatus | None,
    reason: str | None,
    note_for_team: str | None,
) -> tuple[Meeting, Decision, str]:
    """The group's decision on a case at this (open) meeting, and the case's reference;
    the case goes on the meeting's agenda."""
    meeting = get(conn, ref)
    check_open(meeting)
    if next_review is not None and next_review <= meeting.meeting_date:
        # A review the group sets comes after the meeting that sets it.
        from fieldkit.dates import show_day

        raise InvalidValue(
            "meeting.review_before_meeting",
            field="--next-review",
            meeting=meeting.reference,
            day=show_day(meeting.meeting_date),
        )
    decision = decisions.record(
        conn,
        case_ref,
        meeting_id=meeting.id,
        meeting_date=meeting.meeting_date,
        measures=measures,
        referent=referent,
        next_review=next_review,
        status=status,
        reason=reason,
        note_for_team=note_for_team,
    )
    include(conn, meeting, decision.case_id)
    return meeting, decision, stored_cases.reference_of(conn, decision.case_id) or ""


def record_output(
    conn: Connection, meeting_id: str, with_names: bool, action: str, detail: str
) -> None:
    """Audit the minutes shown ("view") or sent out ("export"); `detail` says the format,
    the kind of destination and whether names were printed, never a name or a path."""
    if action not in ("view", "export"):
        raise ValueError(action)
    scope = f"{detail} with-names" if with_names else detail
    with transaction(conn):
        audit.record(conn, "district", action, "minutes", meeting_id, scope)
