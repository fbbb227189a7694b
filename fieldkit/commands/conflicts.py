"""fieldkit conflicts list | resolve: concurrent edits are never silent."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

import typer

from fieldkit.commands.common import (
    console,
    is_interactive,
    print_json,
    read_text_option,
    state,
    text_help,
)
from fieldkit.commands.prompts import confirm
from fieldkit.commands.render import field_name, people, short
from fieldkit.dates import show_moment
from fieldkit.display import plain
from fieldkit.errors import InvalidValue, UsageError
from fieldkit.i18n import t

if TYPE_CHECKING:
    from fieldkit.model import Conflict
    from fieldkit.names import Names

app = typer.Typer(invoke_without_command=True)

# What a person may type for --keep, folded (see keep_choice): English or French.
KEEP_WORDS = {
    "mine": "mine",
    "mien": "mine",
    "lemien": "mine",
    "theirs": "theirs",
    "sien": "theirs",
    "lesien": "theirs",
    "autre": "theirs",
    "lautre": "theirs",
}


def keep_choice(word: str) -> str:
    """ "mine" or "theirs" for what was typed: `Mien`, `le mien`, `l'autre`, `L’AUTRE`...

    Case, accents, apostrophes and spaces do not count. Anything else is refused: a new
    text is given with --text, never taken from a mistyped --keep.
    """
    decomposed = unicodedata.normalize("NFKD", word)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    folded = "".join(c for c in folded if c.isalnum())
    choice = KEEP_WORDS.get(folded)
    if choice is None:
        raise InvalidValue("conflict.bad_keep", field="--keep", value=word)
    return choice


@app.callback()
def default(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_conflicts, ctx=ctx, include_resolved=False, as_json=False)


@app.command("list", help=t("help.conflicts_list"))
def list_conflicts(
    ctx: typer.Context,
    include_resolved: bool = typer.Option(False, "--all", help=t("help.opt.all_conflicts")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        items = store.conflicts(include_resolved)
        held = store.list_cases()
        references = {c.id: c.reference for c in held}
        names = people(store, *held)
    if as_json:
        print_json(
            [dict(c.model_dump(mode="json"), reference=references.get(c.case_id)) for c in items]
        )
        return
    if not items:
        console().print(t("conflicts.none"))
        return
    from rich.table import Table

    title = "conflicts.title_all" if include_resolved else "conflicts.title"
    table = Table(title=t(title, count=len(items)))
    columns = ["col.id", "col.reference", "col.field", "col.kept", "col.other"]
    if include_resolved:
        columns.append("col.resolved")
    for column in columns:
        table.add_column(t(column))
    from fieldkit.summary.assemble import format_value

    for c in items:
        row = [
            short(c.id),
            plain(references.get(c.case_id, short(c.case_id))),
            field_name(c.field),
            plain(
                _by(format_value(c.field, c.winner_value), c.winner_author, names), multiline=True
            ),
            plain(_by(format_value(c.field, c.loser_value), c.loser_author, names), multiline=True),
        ]
        if include_resolved:
            row.append(plain(_resolution(c, names)))
        table.add_row(*row)
    console().print(table)
    console().print(t("conflicts.hint"))


def _by(value: str, author: str, names: Names) -> str:
    """A value and who wrote it: "Suivi renforcé (Léa Martin)"."""
    return f"{value} ({names.of(author)})" if author else value


def _resolution(conflict: Conflict, names: Names) -> str:
    if not conflict.resolved:
        return t("conflicts.open")
    when = show_moment(conflict.resolved_at)
    return t("conflicts.resolved_by", who=names.of(conflict.resolved_by), when=when)


@app.command("resolve", help=t("help.conflicts_resolve"))
def resolve(
    ctx: typer.Context,
    conflict_id: str = typer.Argument(..., metavar="ID", help=t("help.arg.conflict")),
    keep: str | None = typer.Option(None, "--keep", help=t("help.opt.keep")),
    text: str | None = typer.Option(None, "--text", help=text_help("help.opt.conflict_text")),
    yes: bool = typer.Option(False, "--yes", "-y", help=t("help.opt.conflict_yes")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync.auto import after_write

    if (keep is None) == (text is None):
        raise UsageError("conflict.keep_or_text")
    choice = keep_choice(keep) if keep is not None else None
    new_text = None
    if text is not None:  # "-": standard input, so that the text stays out of argv
        new_text = read_text_option(text, "--text", "conflicts.confirm_text", required=True)
    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        if new_text is not None and not yes and is_interactive():
            _confirm(store.conflict(conflict_id), new_text, people(store, *store.list_cases()))
        conflict = store.resolve_conflict(conflict_id, choice, new_text)
        after_write(store)
    if as_json:
        print_json(conflict.model_dump(mode="json"))
        return
    console().print(t("conflicts.resolved", id=short(conflict.id)))


def _confirm(conflict: Conflict, new_text: str, names: Names) -> None:
    """At a terminal, a new text replaces both values only once the person has seen them
    (shown as the table shows them, written out)."""
    from fieldkit.summary.assemble import format_value

    out = console()
    if conflict.resolved:
        return  # the store says so, in its own words
    out.print(t("conflicts.confirm_kept", author=names.of(conflict.winner_author)))
    out.print(plain(format_value(conflict.field, conflict.winner_value), multiline=True))
    out.print(t("conflicts.confirm_other", author=names.of(conflict.loser_author)))
    out.print(plain(format_value(conflict.field, conflict.loser_value), multiline=True))
    out.print(t("conflicts.confirm_text"))
    out.print(plain(new_text, multiline=True))
    if not confirm(t("conflicts.confirm"), err=False):
        out.print(t("conflicts.cancelled"))
        raise typer.Exit(1)
