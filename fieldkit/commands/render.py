"""Shared renderings of the models for commands: JSON shapes, labels of enum values, field
names and audit actions in words, and the names of people (fieldkit/names.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from fieldkit.i18n import t

if TYPE_CHECKING:
    from collections.abc import Iterable

    from fieldkit.district.store import DistrictStore
    from fieldkit.model import Case, Conflict, Decision, FollowUp
    from fieldkit.names import Names
    from fieldkit.store.worker import WorkerStore


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
    decisions: list[Decision] | None = None,
) -> dict[str, Any]:
    """`case list` / `case show --json`: the case, with its history, open conflicts and
    the group's decisions (oldest first, each with its measures by number)."""
    data = case.model_dump(mode="json")
    if history is not None:
        data["followups"] = [followup_json(f) for f in history]
    if conflicts is not None:
        data["conflicts"] = [c.model_dump(mode="json") for c in conflicts]
    if decisions is not None:
        data["decisions"] = [d.model_dump(mode="json") for d in decisions]
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


def field_name(name: str) -> str:
    """A record field's name in words (`field.<name>`): "Next review", « Prochaine revue »."""
    return label("field", name)


def field_names(names: Iterable[str]) -> str:
    """Field names in words, in their sorted order, for a sentence: « situation, prochaine
    revue ». Lower case: they go inside a sentence (the words start with a capital in tables)."""
    return ", ".join(_in_sentence(field_name(n)) for n in sorted(names))


def _in_sentence(word: str) -> str:
    return word if word[1:2].isupper() else word[:1].lower() + word[1:]


def action_name(action: str) -> str:
    """An audit action in words (`action.<action>`), or the action itself if new."""
    return label("action", action)


def people(store: WorkerStore, *cases: Case | Mapping[str, str]) -> Names:
    """Who the ids of this device's records stand for on screen (fieldkit/names.py): the
    workers the store knows, then the assignees of `cases` (a case, or its names by id),
    with the ids beside the names under --debug."""
    from fieldkit.commands.common import environment
    from fieldkit.names import Names

    names = Names(store.known_workers(), device=store.replica_id, debug=environment().debug)
    for case in cases:
        if isinstance(case, Mapping):
            names.fill(case)
        else:
            names.with_case(case)
    return names


def district_people(store: DistrictStore) -> Names:
    """Who the ids stand for at the district: every worker it has, revoked ones marked."""
    from fieldkit.commands.common import environment
    from fieldkit.model import KnownWorker, WorkerStatus
    from fieldkit.names import Names

    known = [
        KnownWorker(
            id=r.worker.id, name=r.worker.name, revoked=r.worker.status == WorkerStatus.REVOKED
        )
        for r in store.workers()
    ]
    return Names(known, device=store.replica_id, debug=environment().debug)


def short(identifier: str) -> str:
    from fieldkit.display import short_id

    return short_id(identifier)


def amendment_text(amendment: Any, names: Names) -> str:
    """Who made an amendment and when, in the person's words: "by Léa Martin on
    2026-11-03 14:05" (03/11/2026 14:05 in French). The time is the amendment's HLC,
    shown in local time."""
    from datetime import datetime

    from fieldkit.dates import show_moment
    from fieldkit.replica.clock import parse_hlc

    who = names.of(amendment.author)
    try:
        when = show_moment(datetime.fromtimestamp(parse_hlc(amendment.hlc)[0] / 1000))
    except (ValueError, OverflowError, OSError):
        return t("followup.amended_by", name=who)
    return t("followup.amended_by_on", name=who, when=when)


def withdrawn_text(followup: Any, names: Names) -> str:
    """ "withdrawn by Léa Martin on 2026-11-03 14:05: wrong case", for a withdrawn follow-up."""
    withdrawal = followup.withdrawal()
    reason = followup.current().withdrawn_reason or ""
    if withdrawal is None:
        return t("followup.withdrawn_mark", who="", reason=reason)
    return t("followup.withdrawn_mark", who=amendment_text(withdrawal, names), reason=reason)
