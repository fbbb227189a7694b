"""fieldkit enrol | sync: joining the district and exchanging bundles with it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fieldkit.commands.common import console, err_console, is_interactive, print_json, state
from fieldkit.errors import Offline, Refused, UsageError
from fieldkit.i18n import t, t_n

if TYPE_CHECKING:
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync import worker_side

BACKOFF_START = 2.0
BACKOFF_CAP = 300.0


def register(app: typer.Typer) -> None:
    @app.command("enrol", help=t("help.enrol"))
    def enrol(
        ctx: typer.Context,
        code: str | None = typer.Argument(None, help=t("help.arg.code")),
        server: str | None = typer.Option(None, "--server", help=t("help.opt.enrol_server")),
        district_file: Path | None = typer.Option(
            None, "--district-file", help=t("help.opt.enrol_district_file")
        ),
        accept_charter: str | None = typer.Option(
            None, "--accept-charter", metavar="SHA256", help=t("help.opt.enrol_accept_charter")
        ),
        to_file: Path | None = typer.Option(None, "--to-file", help=t("help.opt.enrol_to_file")),
        from_file: Path | None = typer.Option(
            None, "--from-file", help=t("help.opt.enrol_from_file")
        ),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from fieldkit.store.worker import WorkerStore
        from fieldkit.sync import transport, worker_side
        from fieldkit.sync.enrolment import decode_code, is_long_code

        st = state(ctx)
        text = _code_text(code) if code is not None and from_file is None else None
        if text is not None and not is_long_code(text):
            from fieldkit.sync.enrolment import decode_short

            decode_short(text)  # a mistyped code, before the passphrase is asked
            if district_file is None and not server:
                raise UsageError("enrol.need_server")
        with WorkerStore.open(st.home, st.credentials()) as store:
            if from_file is not None:
                reply = worker_side.enrol_complete(store, transport.read_file(from_file))
                _enrolled(store, reply, as_json)
                return
            if text is None:
                raise UsageError("value.missing", field="CODE")
            if to_file is not None:
                transport.check_destination(to_file)  # before the network or the charter
            if is_long_code(text):
                parsed = decode_code(text)  # format 1: everything is in the code
            else:
                document = None
                if district_file is not None:
                    document = _identity_file(district_file)
                parsed = worker_side.enrolment_from(text, document=document, server=server)
            if time.time() > parsed.expires:
                raise Refused("enrol.code_expired")
            accepted = _charter_accepted(parsed, accept_charter, as_json)
            fingerprint = parsed.district_identity().fingerprint
            if to_file is not None:
                request = worker_side.enrol_request(store, parsed, charter_sha256=accepted)
                transport.write_file(to_file, request)
                if as_json:
                    print_json(
                        {
                            "status": "request-written",
                            "file": str(to_file),
                            "worker_id": parsed.worker_id,
                            "district": parsed.district_name,
                            "district_fingerprint": fingerprint,
                            "fingerprint": store.identity().public.fingerprint,
                            "charter_sha256": accepted,
                        }
                    )
                    return
                console().print(t("enrol.request_written", path=str(to_file)))
                console().print(t("enrol.district_fingerprint", fingerprint=fingerprint))
                console().print(
                    t("init.fingerprint", fingerprint=store.identity().public.fingerprint)
                )
                return
            try:
                reply = worker_side.enrol_online(store, parsed, charter_sha256=accepted)
            except Offline:
                raise Offline("enrol.offline") from None
            _enrolled(store, reply, as_json)

    @app.command("sync", help=t("help.sync"))
    def sync(
        ctx: typer.Context,
        to_file: Path | None = typer.Option(None, "--to-file", help=t("help.opt.sync_to_file")),
        from_file: Path | None = typer.Option(
            None, "--from-file", help=t("help.opt.sync_from_file")
        ),
        watch: bool = typer.Option(False, "--watch", help=t("help.opt.watch")),
        dry_run: bool = typer.Option(False, "--dry-run", help=t("help.opt.sync_dry_run")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
        auto: bool = typer.Option(False, "--auto", hidden=True),
    ) -> None:
        from fieldkit.store.worker import WorkerStore
        from fieldkit.sync import transport, worker_side

        st = state(ctx)
        if auto:
            _auto(st.home)
            return
        if dry_run:
            # What would be sent, from the change log alone: no network, no bundle, no
            # counter spent (the same listing as `status --pending`).
            if to_file is not None or from_file is not None or watch:
                raise UsageError("sync.dry_run_alone")
            from fieldkit.commands.store_admin import show_pending

            show_pending(st, as_json)
            return
        with WorkerStore.open(st.home, st.credentials()) as store, worker_side.sync_lock(st.home):
            if to_file is not None or from_file is not None:
                worker_side.ensure_not_revoked(store)
                if to_file is not None:
                    transport.check_destination(to_file)  # before a counter is spent
                result = worker_side.SyncResult(status="ok")
                if from_file is not None:
                    result = worker_side.apply_reply(store, transport.read_file(from_file))
                if to_file is not None:
                    data, count, more = worker_side.build_request(store)
                    transport.write_file(to_file, data)
                    result.sent, result.more = count, more
                    if result.status == "already-applied" and not as_json:
                        console().print(t("sync.done.already-applied"))
                    if result.status in ("ok", "already-applied"):
                        result.status = "written"
                _report(result, as_json)
                return
            result = _online(store, watch, show_progress=not as_json)
            _report(result, as_json)


def _auto(home: Path) -> None:
    """The background sync that auto_sync starts after a write: quiet, short, never waits."""
    from fieldkit import config
    from fieldkit.errors import FieldkitError
    from fieldkit.store.access import Credentials
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync import worker_side

    try:
        settings = config.load(home)
        with (
            worker_side.sync_lock(home, wait=False),
            WorkerStore.open(home, Credentials()) as store,
        ):
            worker_side.sync_online(store, timeout=settings.auto_sync_timeout)
    except FieldkitError as exc:
        raise typer.Exit(exc.exit_code) from None


def _online(store: WorkerStore, watch: bool, *, show_progress: bool) -> worker_side.SyncResult:
    from fieldkit.sync import worker_side

    delay = BACKOFF_START
    while True:
        try:
            with _progress(show_progress) as progress:
                return worker_side.sync_online(store, progress=progress)
        except Offline as exc:
            queued = worker_side.queued(store)
            if not watch:
                if exc.key == "sync.server_unavailable":
                    raise Offline(
                        "sync.server_unavailable_queued", count=queued, **exc.params
                    ) from None
                raise Offline("sync.offline", count=queued) from None
            wait = random.uniform(delay / 2, delay)
            if exc.key == "sync.server_unavailable":
                from fieldkit.display import escape

                err_console().print(escape(t("sync.server_unavailable", **exc.params)))
            err_console().print(t("sync.retrying", count=queued, seconds=round(wait)))
            try:
                time.sleep(wait)
            except KeyboardInterrupt:
                raise Offline("sync.offline", count=queued) from None
            delay = min(delay * 2, BACKOFF_CAP)


# Below this, a bundle goes out in a blink and a progress bar would only flicker.
PROGRESS_FROM_BYTES = 512 * 1024


@contextmanager
def _progress(wanted: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A transfer bar on the terminal (stderr) for large bundles; nothing in scripts."""
    console = err_console()
    if not wanted or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        console=console,
        transient=True,
    )
    task = None

    def update(sent: int, total: int) -> None:
        nonlocal task
        if total < PROGRESS_FROM_BYTES:
            return
        if task is None:
            bar.start()
            task = bar.add_task(t("sync.progress"), total=total)
        if sent < total:
            bar.update(task, completed=sent)
        else:
            # Sent whole: the district checks and applies it, then the reply is applied
            # here; an indeterminate bar says the work goes on.
            bar.update(task, completed=sent, total=None, description=t("sync.progress_applying"))

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()


def _report(result: worker_side.SyncResult, as_json: bool) -> None:
    if as_json:
        data = result.as_dict()
        if result.handover:
            data["handover"] = result.handover
            data["handover_files"] = result.handover_files
        print_json(data)
    else:
        counts = {
            "sent": t_n(
                "sync.count.changes" if result.status == "written" else "sync.count.sent",
                result.sent,
            ),
            "received": t_n("sync.count.received", result.received),
            "conflicts": t_n("sync.count.conflicts", result.conflicts),
            "purged": t_n(
                "sync.count.wiped" if result.wiped else "sync.count.purged", result.purged
            ),
        }
        console().print(t(f"sync.done.{result.status}", **counts))
        from fieldkit.dates import show_iso_day
        from fieldkit.display import plain

        if not result.wiped:
            for reference in result.purged_cases:
                console().print(plain(t("sync.case_left", reference=reference)), style="bold")
        for member in result.newcomers:
            name = member["name"] or member["worker_id"]
            console().print(plain(t("sync.new_member", reference=member["reference"], name=name)))
        for notice in result.notices:
            line = t(
                f"sync.notice.{notice['action']}",
                reference=notice["reference"],
                date=show_iso_day(notice["at"][:10]) if notice["at"] else "—",
            )
            console().print(plain(line), style="bold")
        for arrived in result.cell_decisions:
            line = t_n("sync.cell_decisions", arrived["count"], reference=arrived["reference"])
            console().print(plain(line), style="bold")
        if result.grants_refused:
            err_console().print(t_n("sync.grants_refused", result.grants_refused))
        _report_refusals(result)
        if result.charter_refused:
            from fieldkit.commands.charter import charter_reason

            reason = charter_reason(result.charter_refused)
            err_console().print(plain(t("charter.refused_at_sync", reason=reason)))
        if result.charter is not None:
            line = t("charter.offered", version=result.charter["version"])
            console().print(plain(line), style="bold")
        if result.more:
            console().print(t("sync.more"))
        if len(result.handover_files) > 1:
            paths = ", ".join(result.handover_files)
            console().print(t("sync.handover_many", count=len(result.handover_files), paths=paths))
        elif result.handover:
            console().print(t("sync.handover", path=result.handover))
    if result.wiped:
        raise Refused("sync.revoked")


def _report_refusals(result: worker_side.SyncResult) -> None:
    """Name each refused change, why, and where its copy waits; and a clock ahead."""
    from fieldkit.commands.refusals import reason_text
    from fieldkit.commands.render import label
    from fieldkit.dates import show_iso_day
    from fieldkit.display import plain
    from fieldkit.errors import duration

    out = err_console()
    if result.refused:
        out.print(t("sync.refused_header", count=len(result.refused)))
        for item in result.refused:
            if item.entity == "followup" and item.op == "add":
                what = t(
                    "refused.what.followup.add",
                    date=show_iso_day(item.occurred_on),
                    kind=label("kind", item.kind),
                )
            else:
                what = t(f"refused.what.{item.entity}.{item.op}", ref="", fields="")
            line = t(
                "sync.refused_item",
                reference=item.case_reference,
                what=what,
                reason=reason_text(item.reason),
            )
            out.print(plain(line))
    if result.held_back:
        out.print(
            t("sync.clock_ahead", duration=duration(result.clock_ahead_ms), count=result.held_back)
        )
    if result.decisions:
        out.print(t("sync.decisions", count=result.decisions))


def _enrolled(store: WorkerStore, reply, as_json: bool) -> None:
    from fieldkit.sync import worker_side

    district = worker_side.district(store)
    if as_json:
        print_json(
            {
                "status": "enrolled",
                "worker_id": reply.worker_id,
                "district": reply.district_name,
                "district_fingerprint": district.keys.fingerprint,
                "fingerprint": store.identity().public.fingerprint,
            }
        )
        return
    from fieldkit.display import escape

    # Both names come from the district.
    names = {"worker": escape(reply.worker_name), "district": escape(reply.district_name)}
    console().print(t("enrol.done", **names))
    console().print(t("enrol.district_fingerprint", fingerprint=district.keys.fingerprint))
    console().print(t("init.fingerprint", fingerprint=store.identity().public.fingerprint))


def _code_text(code: str) -> str:
    if code.startswith("@"):
        try:
            return Path(code[1:]).read_text(encoding="utf-8")
        except OSError:
            raise UsageError("file.not_found", path=code[1:]) from None
    return code


# The largest district identity file read (fieldkit/sync/enrolment.py, MAX_IDENTITY_BYTES).
IDENTITY_FILE_LIMIT = 256 * 1024


def _identity_file(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(IDENTITY_FILE_LIMIT + 1)
    except (FileNotFoundError, IsADirectoryError):
        raise UsageError("file.not_found", path=str(path)) from None


def _charter_accepted(parsed, given: str | None, as_json: bool) -> str | None:
    """The sha256 of the charter the worker accepts, when the district has one: named
    with --accept-charter, or typed « j'accepte » / "I accept" at a terminal after
    reading it. Refused, before anything is written or sent, without an acceptance."""
    offer = parsed.charter
    if offer is None:
        return None
    from fieldkit.display import plain

    if given is not None:
        if given.strip().lower() != offer.sha256:
            raise Refused("enrol.charter_other_text", sha256=offer.sha256)
        return offer.sha256
    if as_json or not is_interactive():
        raise Refused("enrol.charter_not_accepted_script", sha256=offer.sha256)
    out = err_console()
    out.print(t("enrol.charter_intro", version=plain(offer.version), sha256=offer.sha256))
    out.print(plain(offer.text, multiline=True))  # the district's text: data, never markup
    from fieldkit.commands.prompts import ask_line

    answer = ask_line(t("enrol.charter_prompt"))
    if _folded(answer) not in {_folded(t("enrol.charter_phrase")), "j'accepte", "i accept"}:
        raise Refused("enrol.charter_not_accepted")
    return offer.sha256


def _folded(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", text.strip().casefold().replace("’", "'"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())
