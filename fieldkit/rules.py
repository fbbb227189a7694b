"""The rules of each record, in one place, applied by the worker when it writes and by the
district when a worker's change arrives (DESIGN §1, issue 12 §4).

The rules name the model's fields (`summary`, `concern_level`), never a command-line flag:
the command layer maps a field to the flag the person typed (fieldkit/commands/common.py).
A broken rule raises `InvalidValue` with a message key and the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fieldkit.enums import FollowUpKind
from fieldkit.errors import InvalidValue, Refused, UsageError

# The longest text each field may hold, in characters. A follow-up summary is an account of
# one contact: 20,000 characters is about eight printed pages, far beyond any real note, and
# a bound that keeps a PDF, a bundle and a terminal usable. Names and short labels are
# bounded by what a form would hold.
TEXT_LIMITS: dict[str, int] = {
    "summary": 20_000,
    "next_steps": 5_000,
    "situation": 20_000,
    "partners": 200,  # each partner
    "goals": 1_000,  # each goal
    "related": 200,  # each related person
    "display_name": 200,
    "unit": 100,
    "referral_source": 200,
    "referral_detail": 500,
    "status_reason": 2_000,
    "reason": 2_000,
    "closure_reason": 2_000,
    "withdrawn_reason": 2_000,
    # The point de situation pour la cellule: a few paragraphs the group reads at a meeting.
    "cell_note": 5_000,
    # A Prevention Group's decision (issue 17): each measure, the référent, the note.
    "measure": 1_000,
    "referent": 200,
    "note_for_team": 5_000,
}
# How many items a list field may hold.
LIST_LIMITS: dict[str, int] = {"partners": 50, "goals": 100, "related": 100}

# The follow-ups that are a contact with the person: only these say whether the
# appointment was kept, missed or excused (`attendance`).
CONTACT_KINDS = frozenset(
    {
        FollowUpKind.INTERVIEW,
        FollowUpKind.HOME_VISIT,
        FollowUpKind.PHONE_CALL,
        FollowUpKind.FAMILY_CONTACT,
    }
)

# A follow-up's date may run this far ahead of the receiver's calendar: a worker in another
# time zone (overseas départements) is already "tomorrow" for the district.
FUTURE_DATE_SLACK_DAYS = 1


# A team text travels sealed (fieldkit/crypto/casekeys.py): a replica without its key can
# check only its bound here, and its shape (fieldkit/district/authorise.py). The device
# that wrote it checked the text before sealing; every device that opens it checks again.
SEALED_PREFIX = "sv1."
SEALED_LIMIT = 200_000


def check_text(field: str, value: Any) -> None:
    """The length bounds of one field's value (a text, or a list of texts or goals)."""
    limit = TEXT_LIMITS.get(field)
    if limit is None or value is None:
        return
    if isinstance(value, str) and value.startswith(SEALED_PREFIX):
        _check_length(field, value, SEALED_LIMIT)
        return
    if isinstance(value, list):
        if len(value) > LIST_LIMITS.get(field, len(value)):
            raise InvalidValue("value.too_many", field=field, limit=LIST_LIMITS[field])
        for item in value:
            text = item.get("text", "") if isinstance(item, dict) else getattr(item, "text", item)
            _check_length(field, str(text), limit)
            reason = item.get("reason") if isinstance(item, dict) else getattr(item, "reason", None)
            if reason:
                _check_length(field, str(reason), limit)
        return
    _check_length(field, str(value), limit)


def _check_length(field: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise InvalidValue("value.too_long", field=field, limit=limit)


def check_texts(fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        check_text(name, value)


def check_named(fields: dict[str, Any]) -> None:
    """A case or a worker has a name and a unit, each within its bound."""
    for name in ("display_name", "unit"):
        if not str(fields.get(name) or "").strip():
            raise InvalidValue("value.missing", field=name)
    check_texts(fields)


def check_case(fields: dict[str, Any], today: date) -> None:
    """Every rule the fields of a new case keep, against the district's calendar."""
    check_named(fields)
    birth_year = fields.get("birth_year")
    if birth_year is not None and not 1900 <= birth_year <= today.year:
        raise InvalidValue("value.bad_year", field="birth_year", value=birth_year)
    referral = fields.get("referral_date")
    if referral is not None and referral > today:
        raise InvalidValue("case.referral_in_future", field="referral_date")


def check_followup(followup: Any, today: date | None) -> None:
    """Every rule a follow-up (as it reads after its amendments) must keep.

    `today` is the receiver's date, or None to skip the calendar rule (a replica that
    cannot know the author's calendar).
    """
    if not followup.summary.strip():
        raise InvalidValue("followup.summary_empty", field="summary")
    check_texts(
        {
            "summary": followup.summary,
            "next_steps": followup.next_steps,
            "partners": followup.partners,
            "withdrawn_reason": followup.withdrawn_reason,
        }
    )
    if followup.withdrawn_reason is not None and not followup.withdrawn_reason.strip():
        raise InvalidValue("followup.withdraw_reason_empty", field="withdrawn_reason")
    if today is not None and followup.occurred_on > today:
        raise InvalidValue("followup.date_in_future", field="occurred_on")
    if followup.kind == FollowUpKind.CONCERN and followup.concern_level is None:
        raise InvalidValue("followup.concern_needs_level", field="concern_level")
    if followup.kind != FollowUpKind.CONCERN and followup.concern_level is not None:
        raise InvalidValue("followup.level_only_for_concern", field="concern_level")
    if followup.referral_to is not None and followup.kind != FollowUpKind.PARTNER_REFERRAL:
        raise InvalidValue("followup.referral_only_for_referral", field="referral_to")
    if followup.attendance is not None and followup.kind not in CONTACT_KINDS:
        raise InvalidValue("followup.attendance_only_for_contact", field="attendance")
    if followup.next_contact is not None and followup.next_contact < followup.occurred_on:
        raise InvalidValue("followup.next_contact_before", field="next_contact")


def check_amendment_author(followup: Any, author: str) -> None:
    """Only the worker who recorded a follow-up amends it; anyone else adds their own."""
    if followup.recorded_by != author:
        raise Refused("followup.not_author", ref=followup.id[:8])


def check_withdrawal_author(followup: Any, author: str) -> None:
    """Only the worker who recorded a follow-up withdraws it."""
    if followup.recorded_by != author:
        raise Refused("followup.withdraw_not_author", ref=followup.id[:8])


def check_amendment_fields(followup: Any, fields: dict[str, Any]) -> None:
    """What an amendment may carry, given the follow-up it amends (the model's
    `FollowUp`, with the amendments already applied or not):

    - a withdrawn follow-up takes no more amendments (it stays as it was withdrawn);
    - a withdrawal carries its reason and nothing else.
    """
    from fieldkit.model import WITHDRAWAL_FIELD

    if followup.current().withdrawn_reason is not None:
        raise UsageError("followup.already_withdrawn", ref=followup.id[:8])
    if WITHDRAWAL_FIELD in fields and set(fields) != {WITHDRAWAL_FIELD}:
        raise InvalidValue("followup.withdrawal_alone", field=WITHDRAWAL_FIELD)


def overdue(due: date | None, today: date) -> bool:
    """A review or a planned contact is overdue once its day has passed: the one rule of
    `agenda`, `case list`, `case show` and the summary."""
    return due is not None and due < today
