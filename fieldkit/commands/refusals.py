"""Refused changes on screen: `district refusals list|show|accept|dismiss`, the lines
`sync` prints, and `followup list --refused` on a device."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

from fieldkit.commands.common import console, environment, print_json, state
from fieldkit.commands.render import district_people, label
from fieldkit.dates import show_iso_day, show_moment
from fieldkit.display import plain
from fieldkit.i18n import t

if TYPE_CHECKING:
    from rich.table import Table

    from fieldkit.district.store import DistrictStore
    from fieldkit.model import Change, RefusedChange
    from fieldkit.names import Names

app = typer.Typer(no_args_is_help=True)


def register(district_app: typer.Typer) -> None:
    district_app.add_typer(app, name="refusals", help=t("help.district_refusals"))


def what(change: Change) -> str:
    """What a change was, in a few words: "follow-up of 2026-11-12 (interview)"."""
    key = f"refused.what.{change.entity}.{change.op}"
    if change.entity == "followup" and change.op == "add":
        kind = label("kind", change.fields.get("kind")).lower()
        return t(key, date=show_iso_day(change.fields.get("occurred_on")), kind=kind)
    if change.entity == "followup" and change.op == "amend":
        return t(key, ref=change.entity_id[:8])
    if change.entity == "case" and change.op == "update":
        fields = ", ".join(label("field", name) for name in sorted(change.fields))
        return t(key, fields=fields)
    if (change.entity, change.op) in (("conflict", "resolve"), ("grant", "add")):
        return t(key)
    if (change.entity, change.op) == ("measure", "state"):
        return t(key, state=label("measure", change.fields.get("state")).lower())
    return t("refused.what.other", op=change.op, entity=change.entity)


def reason_text(reason: str) -> str:
    """A refusal reason in the person's words, naming the flag of a field."""
    from fieldkit.commands.common import FIELD_FLAGS
    from fieldkit.district.authorise import reason_text as described

    return described(reason, FIELD_FLAGS)


def refusal_json(item: RefusedChange, *, district: bool = True) -> dict[str, Any]:
    from fieldkit.store.refusals import preview

    data = item.model_dump(mode="json")
    if not district:
        del data["archived"]  # a district word: a device holds no archive
    data["entity"] = item.change.entity
    data["op"] = item.change.op
    data["case_id"] = item.change.case_id
    data["summary_preview"] = preview(item.change)
    if item.archived:
        # Not named in a listing: `district archive open --refusal ID` reaches the case.
        data["case_id"] = None
        data["change"]["case_id"] = None
    return data


def case_shown(item: RefusedChange, *, whole: bool = False) -> str:
    """The case a refused change is about, as a listing names it: « archived case » for
    one in the intermediate archive (district/archive.py), never its reference."""
    if item.archived:
        return t("refusals.archived_case")
    return item.case_reference or (item.change.case_id if whole else item.change.case_id[:8])


def refusal_table(
    items: list[RefusedChange], *, district: bool, names: Names | None = None
) -> Table:
    """The refused changes; `names` says who sent each (the district's column)."""
    from rich.table import Table

    from fieldkit.store.refusals import preview

    table = Table(title=t("refusals.title", count=len(items)), title_justify="left")
    columns = ["col.number"] if district else []
    columns += ["col.at", "col.case", "col.what", "col.refusal_reason", "col.status"]
    if district:
        columns.insert(2, "col.worker")
    for column in columns:
        table.add_column(t(column))
    for item in items:
        status = t(f"refusal.status.{item.status}")
        if item.decision_reason:
            status += f" ({item.decision_reason})"
        row: list[Any] = [item.id] if district else []
        row += [
            show_moment(item.at),
            plain(case_shown(item)),
            plain(f"{what(item.change)}\n{preview(item.change, 60)}".rstrip(), multiline=True),
            reason_text(item.reason),
            plain(status),
        ]
        if district:
            row.insert(2, plain(names.of(item.worker_id) if names else item.worker_id))
        table.add_row(*row)
    return table


@app.command("list", help=t("help.district_refusals_list"))
def refusals_list(
    ctx: typer.Context,
    status: str | None = typer.Option(None, "--status", help=t("help.opt.refusal_status")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.district.store import DistrictStore

    st = state(ctx)
    with DistrictStore.open(st.home, st.credentials()) as store:
        items = store.refusals(status)
        names = district_people(store)
    if as_json:
        print_json([refusal_json(item) for item in items])
        return
    if not items:
        console().print(t("refusals.none"))
        return
    console().print(refusal_table(items, district=True, names=names))
    archived = [item.id for item in items if item.archived]
    if archived:
        console().print(t("refusals.archived_hint", ref=archived[0]))


@app.command("show", help=t("help.district_refusals_show"))
def refusals_show(
    ctx: typer.Context,
    number: str = typer.Argument(..., metavar="ID", help=t("help.arg.refusal")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    _one(ctx, as_json, lambda store: store.refusal(number), _show)


# The message prefix of the words of each choice a change may carry (`label`).
_CHOICES = {
    "kind": "kind",
    "attendance": "attendance",
    "referral_to": "referral",
    "concern_level": "concern",
    "status": "status",
    "priority": "priority",
    "participation": "participation",
    "referral_source": "referral_source",
    "state": "measure",
}
# The fields in the order the worker's `followup show` gives them; others after, by name.
_ORDER = (
    "occurred_on",
    "kind",
    "recorded_by",
    "concern_level",
    "attendance",
    "referral_to",
    "partners",
    "summary",
    "next_steps",
    "next_contact",
)


def _in_order(field: tuple[str, Any]) -> tuple[int, str]:
    name = field[0]
    return (_ORDER.index(name) if name in _ORDER else len(_ORDER), name)


# The fields a change keeps as ISO days.
_DAYS = frozenset({"occurred_on", "next_contact", "next_review", "referral_date", "changed_on"})


def field_value(name: str, value: Any, names: Names) -> str | None:
    """A refused change's field as the screen reads it: a choice in the screen's words, a
    day as `show_day`, a person by name, a team text the district cannot open said in a
    sentence; None for an empty value (no line)."""
    from fieldkit.crypto.casekeys import is_sealed

    if value is None or value == "" or value == [] or value == {}:
        return None
    if is_sealed(value):
        return t("refusals.sealed_text")
    if isinstance(value, bool):
        return t("refusals.yes" if value else "refusals.no")
    if name == "recorded_by":
        return names.of(str(value))
    if name in _CHOICES:
        return label(_CHOICES[name], value)
    if name in _DAYS:
        return show_iso_day(str(value))
    if isinstance(value, list) and any(is_sealed(v) for v in value):
        return t("refusals.sealed_text")
    if isinstance(value, dict) or (
        isinstance(value, list) and not all(isinstance(v, str) for v in value)
    ):
        from fieldkit.summary.assemble import format_value

        return format_value(name, value)  # goals, assignees: their words
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def _one(
    ctx: typer.Context,
    as_json: bool,
    act: Callable[[DistrictStore], RefusedChange],
    render: Callable[[RefusedChange, Names], None],
) -> None:
    """Open the district, do one thing to one refused change, and show the outcome."""
    from fieldkit.district.store import DistrictStore

    st = state(ctx)
    with DistrictStore.open(st.home, st.credentials()) as store:
        item = act(store)
        names = district_people(store)
    if as_json:
        print_json(refusal_json(item))
        return
    render(item, names)


def _show(item: RefusedChange, names: Names) -> None:
    from rich.panel import Panel
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_row(t("col.at"), show_moment(item.at))
    grid.add_row(t("col.worker"), plain(names.of(item.worker_id)))
    grid.add_row(t("col.case"), plain(case_shown(item, whole=True)))
    grid.add_row(t("col.what"), what(item.change))
    grid.add_row(t("col.refusal_reason"), reason_text(item.reason))
    grid.add_row(t("col.status"), t(f"refusal.status.{item.status}"))
    if item.decided_at:
        grid.add_row(t("col.decided_at"), show_moment(item.decided_at))
    if item.decision_reason:
        grid.add_row(t("col.decision_reason"), plain(item.decision_reason))
    for name, value in sorted(item.change.fields.items(), key=_in_order):
        shown = field_value(name, value, names)
        if shown is not None:
            grid.add_row(label("field", name), plain(shown, multiline=True))
    console().print(Panel(grid, title=f"#{item.id}", expand=False))
    if item.archived:
        console().print(t("refusals.archived_hint", ref=item.id))


@app.command("accept", help=t("help.district_refusals_accept"))
def refusals_accept(
    ctx: typer.Context,
    number: str = typer.Argument(..., metavar="ID", help=t("help.arg.refusal")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    _one(
        ctx,
        as_json,
        lambda store: store.accept_refusal(number),
        lambda item, _names: console().print(t("refusals.accepted", ref=item.id)),
    )


@app.command("dismiss", help=t("help.district_refusals_dismiss"))
def refusals_dismiss(
    ctx: typer.Context,
    number: str = typer.Argument(..., metavar="ID", help=t("help.arg.refusal")),
    reason: str = typer.Option(..., "--reason", help=t("help.opt.dismiss_reason")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    if reason == "-":
        reason = environment().stdin.read()
    _one(
        ctx,
        as_json,
        lambda store: store.dismiss_refusal(number, reason),
        lambda item, _names: console().print(t("refusals.dismissed", ref=item.id)),
    )
