"""fieldkit audit show | verify | prune | retention (and the parts of `district audit`
that are the same on both sides: fieldkit/commands/district_audit.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fieldkit.commands.common import (
    console,
    err_console,
    is_interactive,
    parse_date,
    print_json,
    state,
)
from fieldkit.commands.render import action_name, field_names, label, people
from fieldkit.dates import show_day, show_moment
from fieldkit.display import escape, plain
from fieldkit.errors import FieldkitError, IntegrityError, UsageError
from fieldkit.i18n import t, t_n

if TYPE_CHECKING:
    from fieldkit.store.base import ReplicaStore

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
    print_events(events, names)


def print_events(events, names) -> None:
    """Audit events as a table in words (the worker's `audit show`, the district's)."""
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
    file: Path | None = typer.Option(None, "--file", help=t("help.opt.audit_file")),
    public_key: Path | None = typer.Option(
        None, "--public-key", help=t("help.opt.audit_public_key")
    ),
    district_file: Path | None = typer.Option(
        None, "--district-file", help=t("help.opt.audit_district_file")
    ),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    if file is not None:
        verify_export_file(file, public_key, district_file, lambda: _pinned_key(ctx), as_json)
        return
    if public_key is not None or district_file is not None:
        raise UsageError("auditlog.key_without_file")
    with WorkerStore.open(st.home, st.credentials()) as store:
        verified = store.check_audit()
    tell_verified(verified, as_json)


def _pinned_key(ctx: typer.Context):
    """The district's public key this device pinned at enrolment."""
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync import worker_side

    st = state(ctx)
    try:
        with WorkerStore.open(st.home, st.credentials()) as store:
            return worker_side.district(store).keys
    except FieldkitError as exc:
        if exc.key in ("store.missing", "sync.not_enrolled"):
            raise UsageError("auditlog.no_key") from None
        raise


def tell_verified(verified: Any, as_json: bool) -> None:
    """`audit verify`'s answer on this store: intact (from the checkpoint, if any), or exit 7."""
    checkpoint = verified.checkpoint
    if as_json:
        print_json(
            {
                "events": verified.count,
                "ok": verified.ok,
                "first_broken": verified.broken,
                "checkpoint": _checkpoint_json(checkpoint, verified.checkpoint_ok),
            }
        )
    if not verified.checkpoint_ok:
        raise IntegrityError("auditlog.checkpoint_forged")
    if verified.broken is not None:
        raise IntegrityError("audit.broken", seq=verified.broken)
    if as_json:
        return
    if checkpoint is None:
        console().print(t("audit.ok", count=verified.count))
        return
    console().print(
        t_n(
            "auditlog.ok_from_checkpoint",
            verified.count,
            made=_moment(checkpoint.get("made_at")),
            pruned=t_n("auditlog.count.pruned", int(checkpoint["pruned"])),
        )
    )


def _checkpoint_json(checkpoint: dict[str, Any] | None, ok: bool) -> dict[str, Any] | None:
    if checkpoint is None:
        return None
    keys = ("made_at", "pruned", "last_seq", "first_at", "last_at", "before")
    return dict({key: checkpoint.get(key) for key in keys}, signature_ok=ok)


def _moment(text: str | None) -> str:
    if not text:
        return "?"
    try:
        return show_moment(datetime.fromisoformat(text))
    except ValueError:
        return plain(text)


def verify_export_file(
    file: Path,
    public_key: Path | None,
    district_file: Path | None,
    pinned: Callable[[], Any],
    as_json: bool,
) -> None:
    """Verify an export (`district audit export`) with the district's public key alone:
    from a key file, a district identity file, or the key this device pinned."""
    from fieldkit.store import auditlog

    if public_key is not None and district_file is not None:
        raise UsageError("auditlog.one_key_file")
    given = public_key or district_file
    key = auditlog.read_public_key(_read(given)) if given is not None else pinned()
    checked = auditlog.verify_export(_read(file), key)
    if as_json:
        print_json(checked.as_json())
        return
    out = console()
    out.print(
        t_n(
            "auditlog.export_ok",
            checked.events,
            name=escape(checked.name or checked.store),
            exported=_moment(checked.exported_at),
        )
    )
    out.print(t("auditlog.export_key", fingerprint=checked.fingerprint))
    if checked.pruned:
        out.print(t_n("auditlog.export_after_prune", checked.pruned))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise UsageError("file.not_found", path=str(path)) from None


# Pruning and retention: the same on a device and at the district


def run_prune(
    open_store: Callable[[], ReplicaStore], before_text: str | None, yes: bool, as_json: bool
) -> None:
    """Remove the audit events before a day (by default today less the retention), behind
    a signed checkpoint; asks first at a terminal, `--yes` in scripts, refused otherwise."""
    if not yes and not is_interactive():
        raise UsageError("auditlog.prune_needs_yes")
    today = datetime.now(UTC).date()
    given = parse_date(before_text, "--before") if before_text is not None else None
    with open_store() as store:
        before = given or store.audit_prune_before(today)
        if before > today + timedelta(days=1):
            raise UsageError("auditlog.before_future", field="--before")
        due = store.audit_to_prune(before)
        if not yes and due.count:
            # On stderr, so that --json output stays one document on stdout.
            err_console().print(_range(due))
            if not confirm_prune(due.count):
                err_console().print(t("auditlog.prune_cancelled"))
                raise typer.Exit(1)
        done = store.prune_audit(before)
    if as_json:
        print_json(done.as_json())
        return
    if not done.count:
        console().print(t("auditlog.prune_none", before=show_day(before)))
        return
    console().print(_range(done))
    console().print(t("auditlog.checkpoint_written"))


def confirm_prune(count: int) -> bool:
    from fieldkit.commands.prompts import confirm

    return confirm(t_n("auditlog.prune_confirm", count))


def _range(due: Any) -> str:
    return t_n(
        "auditlog.prune_range",
        due.count,
        first=_moment(due.first_at),
        last=_moment(due.last_at),
        before=show_day(due.before),
    )


def run_retention(
    open_store: Callable[[], ReplicaStore], days: int | None, reason: str | None, as_json: bool
) -> None:
    """Show the audit retention, or set it (`--days`, beyond a year with `--reason`)."""
    if days is None and reason is not None:
        raise UsageError("auditlog.reason_without_days")
    with open_store() as store:
        kept = store.audit_retention() if days is None else store.set_audit_retention(days, reason)
        before = store.audit_prune_before(datetime.now(UTC).date())
    if as_json:
        print_json(dict(kept.as_json(), prune_before=before.isoformat()))
        return
    out = console()
    key = "auditlog.retention_default" if kept.default else "auditlog.retention_days"
    out.print(t(key, days=kept.days))
    if kept.reason:
        out.print(t("auditlog.retention_reason", reason=plain(kept.reason)))
    out.print(t("auditlog.retention_cnil"))
    out.print(t("auditlog.retention_next", before=show_day(before)))


@app.command("prune", help=t("help.audit_prune"))
def prune(
    ctx: typer.Context,
    before: str | None = typer.Option(
        None, "--before", metavar="DATE", help=t("help.opt.audit_before")
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help=t("help.opt.yes")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    run_prune(lambda: _open_worker(ctx), before, yes, as_json)


@app.command("retention", help=t("help.audit_retention"))
def retention(
    ctx: typer.Context,
    days: int | None = typer.Option(
        None, "--days", metavar=t("metavar.days"), help=t("help.opt.audit_days")
    ),
    reason: str | None = typer.Option(None, "--reason", help=t("help.opt.audit_reason")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    run_retention(lambda: _open_worker(ctx), days, reason, as_json)


def _open_worker(ctx: typer.Context) -> ReplicaStore:
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    return WorkerStore.open(st.home, st.credentials())
