"""The person's whole file for a right-of-access request (GDPR art. 15), assembled once.

One document, whoever holds the data: the district (`district case export CASE
--subject-access`, the team's sealed texts opened with the recovery sheet) or a worker's
device (`case summary CASE --full`). It holds every field of the case record, every
follow-up as first written and each of its amendments (a rectification keeps the
original, art. 16), the group's decisions, the concurrent values of its conflicts, and
who accessed the file and when, from the holder's audit trail. The words are decided
here, in the language of the request; access_pdf.py lays them out and the JSON form is
this model as it stands (docs/summaries.md, "Subject access").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fieldkit.crypto.casekeys import is_sealed
from fieldkit.i18n import t
from fieldkit.model import (
    WITHDRAWAL_FIELD,
    AuditEvent,
    Case,
    Conflict,
    Decision,
    FollowUp,
    FollowUpKind,
    KnownWorker,
)
from fieldkit.names import Names
from fieldkit.summary.assemble import (
    DecisionEntry,
    day,
    decision_entries,
    format_value,
    hlc_day,
    referral_source_words,
)

# The version of the JSON form (docs/summaries.md): raised when a field changes meaning.
FORMAT_VERSION = 1


class Holder(StrEnum):
    """Who produced the file: the district's full record, or one device's copy."""

    DISTRICT = "district"
    DEVICE = "device"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldValue(_Data):
    """One field: its name as the data knows it, its label and its value, in words."""

    field: str
    label: str
    value: str
    sealed: bool = False  # a team text the holder could not open


class AmendmentEntry(_Data):
    """One amendment of a follow-up: who, which day, and the fields it wrote."""

    id: str
    on: date | None = None
    by: str  # a display name
    withdrawal: bool = False  # the amendment withdrew the follow-up
    changes: list[FieldValue] = Field(default_factory=list)


class FollowUpRecord(_Data):
    """A follow-up as first recorded, then each of its amendments in order."""

    id: str
    occurred_on: date
    kind: FollowUpKind
    recorded_by: str  # a display name
    for_cell: bool = False
    original: list[FieldValue] = Field(default_factory=list)
    amendments: list[AmendmentEntry] = Field(default_factory=list)


class ConflictRecord(_Data):
    """Two values written concurrently on a case field, both kept."""

    field: str
    label: str
    kept_value: str
    other_value: str
    kept_by: str
    other_by: str
    resolved: bool = False


class AccessEntry(_Data):
    """One event of the holder's audit trail on the case: who, when, what."""

    at: datetime
    by: str  # a display name
    action: str  # the audit action (docs/security.md, "Audit")
    what: str  # the action in words
    detail: str = ""


class SubjectAccess(_Data):
    format_version: int = FORMAT_VERSION
    holder: Holder
    reference: str
    display_name: str
    fields: list[FieldValue] = Field(default_factory=list)
    followups: list[FollowUpRecord] = Field(default_factory=list)  # oldest first
    decisions: list[DecisionEntry] = Field(default_factory=list)  # oldest first
    conflicts: list[ConflictRecord] = Field(default_factory=list)
    accesses: list[AccessEntry] = Field(default_factory=list)  # oldest first
    # Team texts the holder could not open (a key not granted to it): named, never shown.
    sealed: int = 0
    printed_by: str
    printed_at: datetime


# The case record's fields, in the order the file lists them.
CASE_FIELDS = (
    "display_name",
    "birth_year",
    "unit",
    "referral_date",
    "referral_source",
    "referral_detail",
    "reason",
    "status",
    "status_reason",
    "closure_reason",
    "priority",
    "assignees",
    "participation",
    "next_review",
    "situation",
    "goals",
    "related",
    "cell_note",
)

# A follow-up's fields, in the order the file lists them.
FOLLOWUP_FIELDS = (
    "occurred_on",
    "kind",
    "attendance",
    "summary",
    "partners",
    "referral_to",
    "next_steps",
    "next_contact",
    "concern_level",
    WITHDRAWAL_FIELD,
)

# The message prefix of a follow-up field's enum values.
_ENUM_WORDS = {
    "kind": "kind",
    "attendance": "attendance",
    "referral_to": "referral",
    "concern_level": "concern",
}
_DAYS = ("occurred_on", "next_contact")


def assemble_access(
    case: Case,
    followups: list[FollowUp],
    conflicts: list[Conflict],
    events: Iterable[AuditEvent],
    *,
    holder: Holder,
    printed_by: str,
    printed_at: datetime,
    worker_names: Iterable[KnownWorker] | Mapping[str, str] | None = None,
    decisions: list[Decision] | None = None,
) -> SubjectAccess:
    """The file of `case` as its holder has it, every team text as the holder opened it
    (`unreadable` fields are named as sealed). `events` is the holder's audit trail: the
    events on the case and on its follow-ups are kept."""
    names = Names(worker_names or {}).with_case(case)
    tz = printed_at.tzinfo
    mine = [fu for fu in followups if fu.case_id == case.id]
    mine.sort(key=lambda fu: (fu.occurred_on, fu.hlc, fu.id))
    records = [_record(fu, names, tz) for fu in mine]
    sealed = len(case.unreadable) + sum(1 for fu in mine if fu.unreadable)
    return SubjectAccess(
        holder=holder,
        reference=case.reference,
        display_name=case.display_name,
        fields=case_fields(case, names),
        followups=records,
        decisions=decision_entries(decisions or [], names),
        conflicts=[
            _conflict(c, names)
            for c in sorted(conflicts, key=lambda c: (c.field, c.id))
            if c.case_id == case.id
        ],
        accesses=accesses(events, case.id, {fu.id for fu in mine}, names, tz),
        sealed=sealed,
        printed_by=printed_by,
        printed_at=printed_at,
    )


def case_fields(case: Case, names: Names) -> list[FieldValue]:
    """Every field of the case record, in words; a sealed one named, not shown."""
    data = case.model_dump(mode="json")
    shown = []
    for name in CASE_FIELDS:
        value = data.get(name)
        if name in case.unreadable:
            shown.append(FieldValue(field=name, label=_field(name), value=_sealed(), sealed=True))
            continue
        if name == "assignees":
            words = "; ".join(
                names.of(a.id) + (f" ({t('access.lead')})" if a.lead else "")
                for a in case.assignees
            )
            text = words or t("summary.none")
        elif name == "referral_source":
            text = referral_source_words(value, None) or t("summary.none")
        elif name == "birth_year":
            text = str(value) if value else t("summary.none")
        else:
            text = format_value(name, value)
        shown.append(FieldValue(field=name, label=_field(name), value=text))
    return shown


def _record(fu: FollowUp, names: Names, tz: tzinfo | None) -> FollowUpRecord:
    data = fu.model_dump(mode="json")
    original = [
        _followup_field(name, data.get(name), name in fu.unreadable)
        for name in FOLLOWUP_FIELDS
        if name != WITHDRAWAL_FIELD
    ]
    amendments = []
    for amendment in sorted(fu.amendments, key=lambda a: (a.hlc, a.id)):
        # A text the reader could not open reads as empty (fieldkit/replica/sealing.py).
        changes = [
            _followup_field(
                name,
                amendment.fields[name],
                name in fu.unreadable and amendment.fields[name] in (None, "", []),
            )
            for name in FOLLOWUP_FIELDS
            if name in amendment.fields
        ]
        amendments.append(
            AmendmentEntry(
                id=amendment.id,
                on=hlc_day(amendment.hlc, tz),
                by=names.of(amendment.author),
                withdrawal=WITHDRAWAL_FIELD in amendment.fields,
                changes=changes,
            )
        )
    return FollowUpRecord(
        id=fu.id,
        occurred_on=fu.occurred_on,
        kind=fu.kind,
        recorded_by=names.of(fu.recorded_by),
        for_cell=fu.for_cell,
        original=original,
        amendments=amendments,
    )


def _is_sealed(value: Any) -> bool:
    """A value still as the store keeps a sealed text, not opened by the reader."""
    return isinstance(value, str) and is_sealed(value)


def _followup_field(name: str, value: Any, sealed: bool) -> FieldValue:
    if sealed or _is_sealed(value):
        return FieldValue(field=name, label=_field(name), value=_sealed(), sealed=True)
    return FieldValue(field=name, label=_field(name), value=followup_value(name, value))


def followup_value(name: str, value: Any) -> str:
    """A follow-up field's value in words."""
    if value is None or value == "" or value == []:
        return t("summary.none")
    if name in _ENUM_WORDS:
        return _word(_ENUM_WORDS[name], value)
    if name in _DAYS:
        try:
            return day(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _conflict(conflict: Conflict, names: Names) -> ConflictRecord:
    sealed = _is_sealed(conflict.winner_value) or _is_sealed(conflict.loser_value)
    return ConflictRecord(
        field=conflict.field,
        label=_field(conflict.field),
        kept_value=_sealed() if sealed else format_value(conflict.field, conflict.winner_value),
        other_value=_sealed() if sealed else format_value(conflict.field, conflict.loser_value),
        kept_by=names.of(conflict.winner_author) if conflict.winner_author else "",
        other_by=names.of(conflict.loser_author) if conflict.loser_author else "",
        resolved=conflict.resolved,
    )


def accesses(
    events: Iterable[AuditEvent],
    case_id: str,
    followup_ids: set[str],
    names: Names,
    tz: tzinfo | None,
) -> list[AccessEntry]:
    """The audit events on the case and on its follow-ups, oldest first, in words."""
    found = []
    for event in events:
        on_case = event.object_type == "case" and event.object_id == case_id
        on_followup = event.object_type == "followup" and event.object_id in followup_ids
        if not (on_case or on_followup):
            continue
        found.append(
            AccessEntry(
                at=event.at.astimezone(tz) if tz else event.at,
                by=names.of(event.actor),
                action=event.action,
                what=_word("action", event.action),
                detail=_detail(event, names),
            )
        )
    found.sort(key=lambda e: e.at)
    return found


# Audit actions whose detail is a worker id (fieldkit/district/cases.py).
_WORKER_DETAILS = ("case-assign", "case-unassign")
# Audit actions whose detail lists the fields written (fieldkit/store/writing.py).
_FIELD_DETAILS = ("update", "followup-amend", "case-update")


def _detail(event: AuditEvent, names: Names) -> str:
    """An event's detail for the person: the worker it names, the fields it wrote, a
    kind; else as recorded (formats and counts, never content: DESIGN §2)."""
    detail = event.detail or ""
    if event.action in _WORKER_DETAILS and detail:
        return names.of(detail)
    if event.action in _FIELD_DETAILS and detail:
        return ", ".join(_field(name) for name in detail.split(","))
    if event.action == "followup-add" and detail:
        return _word("kind", detail)
    return detail_words(detail)


def detail_words(detail: str) -> str:
    """ "generation=1 keys=2 subject-access pdf file" in words where the catalogue has
    them (`detail.<name>` counted, `detail.word.<word>`), as `audit show` says them."""
    from fieldkit.i18n import catalogue, t_n

    known = catalogue()
    counted, words = [], []
    for part in detail.split():
        name, _, value = part.partition("=")
        if value.isdigit() and f"detail.{name}" in known:
            counted.append(t_n(f"detail.{name}", int(value)))
        elif not value and f"detail.word.{name}" in known:
            words.append(t(f"detail.word.{name}"))
        else:
            (counted if value else words).append(part)
    return ", ".join([*counted, *([" ".join(words)] if words else [])])


def _word(prefix: str, value: Any) -> str:
    """The words of an enum value or an audit action, or the value itself when unknown."""
    raw = str(getattr(value, "value", value))
    key = f"{prefix}.{raw}"
    words = t(key)
    return raw if words == key else words


def _field(name: str) -> str:
    key = f"field.{name}"
    words = t(key)
    return name if words == key else words


def _sealed() -> str:
    return t("access.sealed_text")


# The words the renderers share.


def access_json(document: SubjectAccess) -> bytes:
    """The JSON form of the file (docs/summaries.md, "Subject access"): UTF-8, keys sorted."""
    import json

    data = document.model_dump(mode="json")
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def title(document: SubjectAccess) -> str:
    return t("access.title", ref=document.reference)


def holder_line(document: SubjectAccess) -> str:
    """What the file is made of: the district's record, or this device's copy."""
    return t(f"access.holder.{document.holder}")


def printed_line(document: SubjectAccess) -> str:
    from fieldkit.dates import show_moment

    at = show_moment(document.printed_at, local=False)
    return t("summary.printed", by=document.printed_by, at=at)


def amendment_heading(entry: AmendmentEntry) -> str:
    if entry.withdrawal:
        if entry.on is None:
            return t("access.withdrawal_by", name=entry.by)
        return t("access.withdrawal_by_on", name=entry.by, date=day(entry.on))
    if entry.on is None:
        return t("access.amendment_by", name=entry.by)
    return t("access.amendment_by_on", name=entry.by, date=day(entry.on))
