"""Shared renderings of the models for commands: JSON shapes and labels of enum values."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fieldkit.i18n import t

if TYPE_CHECKING:
    from fieldkit.model import Case, Conflict, FollowUp


def followup_json(item: FollowUp) -> dict[str, Any]:
    """A follow-up as it reads now, with its original and its amendments (stable shape)."""
    current = item.current().model_dump(mode="json", exclude={"amendments"})
    current["amended"] = item.amended
    current["withdrawn"] = current["withdrawn_reason"] is not None
    current["original"] = item.model_dump(mode="json", exclude={"amendments"})
    current["amendments"] = [a.model_dump(mode="json") for a in item.amendments]
    return current


def case_json(
    case: Case,
    history: list[FollowUp] | None = None,
    conflicts: list[Conflict] | None = None,
) -> dict[str, Any]:
    """`case list` / `case show --json`: the case, with its history and open conflicts."""
    data = case.model_dump(mode="json")
    if history is not None:
        data["followups"] = [followup_json(f) for f in history]
    if conflicts is not None:
        data["conflicts"] = [c.model_dump(mode="json") for c in conflicts]
    return data


def label(prefix: str, value: Any) -> str:
    """The translated label of an enum value (e.g. kind.home-visit), or the value itself."""
    if value is None:
        return ""
    raw = getattr(value, "value", value)
    text = t(f"{prefix}.{raw}")
    return raw if text == f"{prefix}.{raw}" else text


def labeller() -> Callable[[str, Any], str]:
    """`label`, remembering its answers: a listing of thousands of rows shows a handful of
    statuses and priorities, and each lookup reads the language from the environment."""
    known: dict[tuple[str, Any], str] = {}

    def cached(prefix: str, value: Any) -> str:
        key = (prefix, value)
        if key not in known:
            known[key] = label(prefix, value)
        return known[key]

    return cached


def short(identifier: str) -> str:
    from fieldkit.display import short_id

    return short_id(identifier)


def amendment_text(amendment: Any, names: dict[str, str]) -> str:
    """Who made an amendment and when, in the person's words: "by Léa Martin on
    2026-11-03 14:05" (03/11/2026 14:05 in French). The time is the amendment's HLC,
    shown in local time."""
    from datetime import datetime

    from fieldkit.dates import show_moment
    from fieldkit.replica.clock import parse_hlc

    who = names.get(amendment.author) or amendment.author
    try:
        when = show_moment(datetime.fromtimestamp(parse_hlc(amendment.hlc)[0] / 1000))
    except (ValueError, OverflowError, OSError):
        return t("followup.amended_by", name=who)
    return t("followup.amended_by_on", name=who, when=when)


def withdrawn_text(followup: Any, names: dict[str, str]) -> str:
    """ "withdrawn by Léa Martin on 2026-11-03 14:05: wrong case", for a withdrawn follow-up."""
    withdrawal = followup.withdrawal()
    reason = followup.current().withdrawn_reason or ""
    if withdrawal is None:
        return t("followup.withdrawn_mark", who="", reason=reason)
    return t("followup.withdrawn_mark", who=amendment_text(withdrawal, names), reason=reason)
