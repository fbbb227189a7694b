"""init, unlock, lock, status, passphrase change: the life of the worker's store."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fieldkit.commands.common import (
    console,
    err_console,
    is_interactive,
    print_json,
    say,
    state,
)
from fieldkit.dates import show_moment
from fieldkit.errors import InvalidValue, Locked, UsageError
from fieldkit.i18n import t, t_n

if TYPE_CHECKING:
    from fieldkit.store.access import Credentials

# fieldkit.store.access.PASSPHRASE_ENV and fieldkit.store.session.DEFAULT_TTL_SECONDS,
# without importing the store for --help (tests/test_cli_imports.py checks they agree).
PASSPHRASE_ENV = "FIELDKIT_PASSPHRASE"
DEFAULT_TTL_SECONDS = 10 * 3600

passphrase_app = typer.Typer(no_args_is_help=True)
NEW_PASSPHRASE_ENV = "FIELDKIT_NEW_PASSPHRASE"


def new_passphrase(credentials: Credentials, prompt_key: str = "prompt.new_passphrase") -> str:
    """A new passphrase: typed twice on a terminal, else from the environment or file."""
    if is_interactive() and not (credentials.passphrase_file or _env_passphrase()):
        return ask_new_passphrase(prompt_key)
    from fieldkit.store.access import Credentials

    value = Credentials(passphrase_file=credentials.passphrase_file).passphrase()
    if value is None:
        raise Locked("passphrase.none_given")
    return value


def ask_new_passphrase(prompt_key: str = "prompt.new_passphrase") -> str:
    """A new passphrase typed twice at the terminal, after a random one is offered."""
    from fieldkit.commands.prompts import ask_secret

    offer_suggestion()
    first = ask_secret(t(prompt_key))
    if ask_secret(t("prompt.repeat_passphrase")) != first:
        raise UsageError("passphrase.mismatch")
    return first


def changed_passphrase(new_passphrase_file: Path | None) -> str:
    """The new passphrase of a `passphrase change` (the worker's or the district's):
    --new-passphrase-file, else FIELDKIT_NEW_PASSPHRASE, else typed twice at a terminal."""
    if new_passphrase_file is not None:
        from fieldkit.store.access import read_passphrase_file

        # Read the file itself: Credentials would prefer FIELDKIT_PASSPHRASE, the old one.
        return read_passphrase_file(new_passphrase_file)
    if os.environ.get(NEW_PASSPHRASE_ENV):
        return os.environ[NEW_PASSPHRASE_ENV]
    if is_interactive():
        # Always ask: FIELDKIT_PASSPHRASE, if set, holds the old passphrase.
        return ask_new_passphrase()
    raise Locked("passphrase.new_none_given")


def offer_suggestion() -> None:
    """Show a passphrase drawn at random (at a terminal, before a new one is asked)."""
    from fieldkit.display import plain
    from fieldkit.store.suggest import suggest

    drawn = suggest()
    err = err_console()
    err.print(t("suggest.offer"))
    err.print(plain(f"  {drawn.passphrase}", style="bold"))
    err.print(t("suggest.offer_bits", bits=f"{drawn.bits:.0f}"))


def _env_passphrase() -> bool:
    return bool(os.environ.get(PASSPHRASE_ENV))


def parse_duration(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*([smhdj]?)\s*", text.lower())
    if not match or int(match.group(1)) <= 0:
        raise InvalidValue("value.bad_duration", field="--ttl", value=text)
    # "j" is French for a day (jour): `--ttl 1j`.
    scale = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "j": 86400}[match.group(2)]
    seconds = int(match.group(1)) * scale
    from fieldkit.store.session import check_ttl

    check_ttl(seconds)
    return seconds


def register(app: typer.Typer) -> None:
    @app.command("init", help=t("help.init"))
    def init(
        ctx: typer.Context,
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from fieldkit.store.keys import check_no_other_kind
        from fieldkit.store.worker import KIND, WorkerStore

        st = state(ctx)
        check_no_other_kind(st.home, KIND)  # said before the passphrase is asked
        passphrase = new_passphrase(st.credentials())
        store = WorkerStore.create(st.home, passphrase)
        with store:
            status = store.status()
        if as_json:
            print_json({"path": status.path, "fingerprint": status.fingerprint})
            return
        console().print(t("init.done", path=status.path))
        console().print(t("init.fingerprint", fingerprint=status.fingerprint))
        console().print(t("init.next"))

    @app.command("unlock", help=t("help.unlock"))
    def unlock_cmd(
        ctx: typer.Context,
        ttl: str = typer.Option(f"{DEFAULT_TTL_SECONDS // 3600}h", "--ttl", help=t("help.opt.ttl")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from fieldkit.store.passphrase import unlock

        st = state(ctx)
        if st.stdout_isatty and not as_json:
            # The token on a terminal is lost to the shell: only `eval "$(fieldkit unlock)"`
            # (stdout a pipe) gives it one. Said before the passphrase is asked.
            raise UsageError("unlock.not_in_eval")
        token, expires = unlock(st.home, st.credentials(), parse_duration(ttl))
        until = show_moment(datetime.fromtimestamp(expires))
        if as_json:
            print_json(
                {"session": token, "expires": datetime.fromtimestamp(expires, UTC).isoformat()}
            )
            return
        say(f"export FIELDKIT_SESSION={token}")
        err_console().print(t("unlock.done", until=until))

    @app.command("lock", help=t("help.lock"))
    def lock_cmd(ctx: typer.Context) -> None:
        from fieldkit.store.keys import read_keyfile
        from fieldkit.store.session import end_sessions
        from fieldkit.store.worker import KIND

        st = state(ctx)
        keyfile = read_keyfile(st.home, KIND)
        ended = end_sessions(st.home, keyfile.store_id)
        say("unset FIELDKIT_SESSION")
        err_console().print(t("lock.done", count=ended))

    @app.command("status", help=t("help.status"))
    def status_cmd(
        ctx: typer.Context,
        pending: bool = typer.Option(False, "--pending", help=t("help.opt.pending")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from rich.table import Table

        from fieldkit.display import plain
        from fieldkit.store.worker import WorkerStore

        st = state(ctx)
        if pending:
            show_pending(st, as_json)
            return
        from fieldkit.store import charter

        with WorkerStore.open(st.home, st.credentials()) as store:
            status = store.status()
            standing = charter.standing(store.conn)
        if as_json:
            print_json(dict(status.model_dump(mode="json"), charter=standing))
            return
        table = Table(show_header=False, box=None)
        rows = [
            (t("status.path"), status.path),
            (
                t("status.worker"),
                status.worker_name or status.worker_id or t("status.not_enrolled"),
            ),
            (t("status.fingerprint"), status.fingerprint),
            (t("status.district"), status.district or t("status.not_enrolled")),
            (t("status.cases"), str(status.cases)),
            (t("status.followups"), str(status.followups)),
            (t("status.unsynced"), str(status.unsynced_changes)),
            (t("status.conflicts"), str(status.open_conflicts)),
            (t("status.last_sync"), _when(status.last_sync) or t("status.never")),
            (t("status.session"), _when(status.session_expires) or t("status.no_session")),
            (t("status.auto_sync"), _auto_sync(st.home)),
            (t("status.charter"), _charter(standing)),
        ]
        for label, value in rows:
            table.add_row(plain(label, style="bold"), plain(value))
        console().print(table)

    @passphrase_app.command("change", help=t("help.passphrase_change"))
    def passphrase_change(
        ctx: typer.Context,
        new_passphrase_file: Path | None = typer.Option(
            None, "--new-passphrase-file", help=t("help.opt.new_passphrase_file")
        ),
    ) -> None:
        from fieldkit.store.passphrase import change_passphrase

        st = state(ctx)
        new = changed_passphrase(new_passphrase_file)
        ended = change_passphrase(st.home, st.credentials(), new)
        console().print(t("passphrase.changed", count=ended))

    @passphrase_app.command("suggest", help=t("help.passphrase_suggest"))
    def passphrase_suggest(
        words: int = typer.Option(6, "--words", help=t("help.opt.suggest_words")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from fieldkit.store.suggest import suggest

        drawn = suggest(words)
        if as_json:
            print_json(
                {
                    "passphrase": drawn.passphrase,
                    "words": drawn.words,
                    "list_size": drawn.list_size,
                    "bits": round(drawn.bits, 1),
                }
            )
            return
        say(drawn.passphrase)
        err_console().print(
            t("suggest.entropy", words=drawn.words, size=drawn.list_size, bits=f"{drawn.bits:.0f}")
        )


def show_pending(st, as_json: bool) -> None:
    """The changes waiting to sync (`status --pending`, `sync --dry-run`): read from the
    change log; nothing is sent, no counter is spent."""
    from fieldkit.store.worker import WorkerStore

    with WorkerStore.open(st.home, st.credentials()) as store:
        items = store.pending_changes()
    if as_json:
        print_json([item.model_dump(mode="json") for item in items])
        return
    if not items:
        console().print(t("pending.none"))
        return
    from fieldkit.commands.listing import print_listing

    columns = ("col.reference", "col.change", "col.written")
    rows = [(item.reference, pending_text(item), _when(item.written_at) or "") for item in items]
    title = t_n("pending.title", len(items))
    print_listing(console(), title, [t(c) for c in columns], rows)


def pending_text(item) -> str:
    """What a waiting change is, in words: "follow-up added (interview)", "amendment"."""
    from fieldkit.commands.render import label

    fields = ", ".join(label("field", name) for name in item.fields)
    if item.what == "followup-add":
        return t("pending.followup_add", kind=label("kind", item.kind))
    if item.what == "amendment":
        return t("pending.amendment", fields=fields)
    if item.what == "case-update":
        return t("pending.case_update", fields=fields)
    if item.what == "withdrawal":
        return t("pending.withdrawal")
    if item.what == "conflict-resolve":
        return t("pending.conflict-resolve")
    if item.what == "measure-state":
        return t("pending.measure_state")
    return f"{item.entity} {item.op}"


def _charter(standing: dict[str, str] | None) -> str:
    """The charter's line of `status` (issue 17)."""
    if standing is None:
        return t("charter.status.none")
    return t(f"charter.status.{standing['status']}", version=standing["version"])


def _auto_sync(home: Path) -> str:
    from fieldkit import config
    from fieldkit.errors import UsageError

    try:
        return t("status.on") if config.load(home).auto_sync else t("status.off")
    except UsageError:
        return t("status.settings_invalid")


def _when(value: datetime | None) -> str | None:
    return show_moment(value) if value else None
