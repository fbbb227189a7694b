"""fieldkit audit show | verify."""

from __future__ import annotations

import typer

from fieldkit.commands.common import console, print_json, state
from fieldkit.commands.render import action_name, field_names, label, people
from fieldkit.dates import show_moment
from fieldkit.display import plain
from fieldkit.errors import IntegrityError
from fieldkit.i18n import t, t_n

app = typer.Typer(no_args_is_help=True)


@app.command("show", help=t("help.audit_show"))
def show(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", "-n", min=0, help=t("help.opt.limit")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        events = store.audit_events(limit or None)
        names = people(store, *store.list_cases())
    if as_json:
        print_json([e.model_dump(mode="json") for e in events])
        return
    from rich.table import Table

    table = Table(title=t("audit.title"))
    for column in ("col.seq", "col.when", "col.actor", "col.action", "col.object", "col.detail"):
        table.add_column(t(column))
    for e in events:
        table.add_row(
            str(e.seq),
            show_moment(e.at, seconds=True),
            plain(names.of(e.actor) if e.actor else ""),
            plain(action_name(e.action)),
            plain(f"{label('object', e.object_type)} {e.object_id[:8]}".strip()),
            plain(_detail(e.action, e.detail)),
        )
    console().print(table)


# Actions whose detail lists the fields written (fieldkit/store/writing.py).
_FIELD_DETAILS = ("update", "followup-amend")


def _detail(action: str, detail: str) -> str:
    """An event's detail in words where it names fields or a kind; counts as they are."""
    if action in _FIELD_DETAILS and detail:
        return field_names(detail.split(","))
    if action == "followup-add" and detail:
        return label("kind", detail)
    return _counts(detail)


def _counts(detail: str) -> str:
    """ "received=1 conflicts=0" in words, with real plurals: « 1 modification reçue,
    0 conflit »; "pdf file" as « pdf fichier »... A part it has no word for stays as it is."""
    from fieldkit.i18n import catalogue

    known = catalogue()
    words = []
    for part in detail.split():
        name, _, value = part.partition("=")
        if value.isdigit() and f"detail.{name}" in known:
            words.append(t_n(f"detail.{name}", int(value)))
        elif not value and f"detail.word.{name}" in known:
            words.append(t(f"detail.word.{name}"))
        else:
            words.append(part)
    counted = all("=" in part for part in detail.split())
    return ", ".join(words) if counted else " ".join(words)


@app.command("verify", help=t("help.audit_verify"))
def verify(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        checked, broken = store.verify_audit()
    if as_json:
        print_json({"events": checked, "ok": broken is None, "first_broken": broken})
    if broken is not None:
        raise IntegrityError("audit.broken", seq=broken)
    if not as_json:
        console().print(t("audit.ok", count=checked))
