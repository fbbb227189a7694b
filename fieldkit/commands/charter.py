"""The confidentiality charter (issue 17).

District: `district charter set FILE --version V`, `district charter show [--version V]`.
Worker: `fieldkit charter show`, `fieldkit charter accept [--accept-charter SHA256]`: at a
terminal the text is shown and « j'accepte » / "I accept" must be typed; in a script
`--accept-charter` must name the exact text offered (its SHA-256).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import typer

from fieldkit.commands.common import console, environment, is_interactive, print_json, state
from fieldkit.display import plain
from fieldkit.errors import InvalidValue, NotFound, Refused, UsageError
from fieldkit.i18n import t, t_n

# fieldkit.district.charter.MAX_BYTES, without importing the district for --help
# (tests/test_cli_imports.py checks that they agree).
MAX_BYTES = 64 * 1024

app = typer.Typer(no_args_is_help=True)


def read_charter_file(path: Path) -> str:
    """The charter's text from a UTF-8 file (Markdown or plain text), bounded in size."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError:
        raise UsageError("file.not_found", path=str(path)) from None
    if len(data) > MAX_BYTES:
        raise InvalidValue("charter.too_long", limit=MAX_BYTES // 1024)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidValue("charter.not_text") from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    if not text.strip():
        raise InvalidValue("charter.empty")
    return text


# The reasons a district gives for refusing an acceptance (fieldkit/district/charter.py).
REASONS = ("charter.other_worker", "charter.unknown_text", "charter.bad_signature")


def charter_reason(reason: str) -> str:
    """A district's refusal reason in words; one this version does not know, as sent."""
    return t(reason) if reason in REASONS else reason


def _facts(out, version: str, sha256: str, *more: tuple[str, str]) -> None:
    """The version (and `more` rows) as a two-column table, then the SHA-256 on its own
    line, never wrapped, to be copied whole into --accept-charter."""
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    for label, value in ((t("charter.show.version"), version), *more):
        table.add_row(plain(label, style="bold"), plain(value))
    out.print(table)
    out.print(plain(t("charter.show.sha256"), style="bold"))
    out.print(plain(sha256), soft_wrap=True)


def _print_text(text: str) -> None:
    """The charter's text as data: every character shown as it is, no markup read."""
    console().print(plain(text, multiline=True))


# The district's side


def register(district_app: typer.Typer) -> None:
    """Add `charter set|show` to the district's commands."""
    charter_app = typer.Typer(no_args_is_help=True)
    district_app.add_typer(charter_app, name="charter", help=t("help.district_charter"))

    @charter_app.command("set", help=t("help.district_charter_set"))
    def charter_set(
        ctx: typer.Context,
        file: Path = typer.Argument(
            ..., metavar=t("metavar.charter_file"), help=t("help.opt.charter_file")
        ),
        version: str = typer.Option(..., "--version", help=t("help.opt.charter_version")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from fieldkit.district import charter
        from fieldkit.district.store import DistrictStore

        text = read_charter_file(file)
        st = state(ctx)
        with DistrictStore.open(st.home, st.credentials()) as store:
            made = charter.set_charter(store.conn, text, version)
        if as_json:
            print_json({"version": made.version, "sha256": made.sha256, "set_at": made.set_at})
            return
        console().print(t("charter.set_done", version=made.version, sha256=made.sha256))

    @charter_app.command("show", help=t("help.district_charter_show"))
    def charter_show(
        ctx: typer.Context,
        version: str | None = typer.Option(
            None, "--version", help=t("help.opt.charter_show_version")
        ),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from fieldkit.district import charter
        from fieldkit.district.store import DistrictStore

        st = state(ctx)
        with DistrictStore.open(st.home, st.credentials()) as store:
            now = charter.current(store.conn)
            shown = charter.get(store.conn, version) if version is not None else now
            if version is not None and shown is None:
                raise NotFound("charter.no_such_version", version=version)
            states = charter.worker_states(store.conn)
            if shown is not None:
                who = charter.acceptors(store.conn, shown.sha256)
        if shown is None:
            if as_json:
                print_json({"charter": None})
                return
            console().print(t("charter.none"))
            return
        accepted = sum(1 for w in states if w in who)
        pending = sum(1 for w, s in states.items() if s.pending and w not in who)
        is_current = now is not None and now.version == shown.version
        if as_json:
            print_json(
                {
                    "charter": {
                        "version": shown.version,
                        "sha256": shown.sha256,
                        "set_at": shown.set_at,
                        "current": is_current,
                        "text": shown.text,
                        "accepted": accepted,
                        "pending": pending if is_current else 0,
                    }
                }
            )
            return
        from fieldkit.dates import show_iso_day

        out = console()
        mark = f" ({t('charter.show.current')})" if is_current else ""
        set_on = (t("charter.show.set_at"), show_iso_day(shown.set_at[:10]))
        _facts(out, shown.version + mark, shown.sha256, set_on)
        out.print(t_n("charter.show.accepted", accepted))
        if is_current:
            out.print(t_n("charter.show.pending", pending))
        out.print()
        _print_text(shown.text)


# The worker's side


@app.command("show", help=t("help.charter_show"))
def show(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store import charter
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        offer = charter.offered(store.conn)
        waiting = charter.queued(store.conn)
        done = charter.accepted(store.conn)
        refused = charter.refused(store.conn)
    if offer is not None:
        queued = waiting is not None and waiting.sha256 == offer.sha256
        status = "queued" if queued else "pending"
        shown = {"version": offer.version, "sha256": offer.sha256, "text": offer.text}
    elif done is not None:
        status, shown = "accepted", {k: done.get(k, "") for k in ("version", "sha256", "text")}
    else:
        if as_json:
            print_json({"charter": None})
            return
        console().print(t("charter.none_offered"))
        return
    if as_json:
        print_json({"charter": dict(shown, status=status, refused=refused)})
        return
    out = console()
    _facts(out, shown["version"], shown["sha256"])
    if status == "pending":
        out.print(t("charter.status_pending", version=shown["version"]))
    elif status == "queued":
        out.print(t("charter.status_queued", version=shown["version"]))
    if refused and status == "pending":
        out.print(plain(t("charter.refused_at_sync", reason=charter_reason(refused))))
    if shown["text"]:
        out.print()
        _print_text(shown["text"])


def _typed(answer: str) -> str:
    """An answer without case, accents, spaces at its ends, or the apostrophe's form."""
    decomposed = unicodedata.normalize("NFKD", answer.strip().casefold())
    word = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(word.replace("\u2019", "'").replace("`", "'").split())


@app.command("accept", help=t("help.charter_accept"))
def accept(
    ctx: typer.Context,
    accept_charter: str | None = typer.Option(
        None, "--accept-charter", metavar="SHA256", help=t("help.opt.accept_charter")
    ),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.store import charter
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        offer = charter.offered(store.conn)
        if offer is None:
            raise NotFound("charter.none_offered")
        waiting = charter.queued(store.conn)
        if accept_charter is None and waiting is not None and waiting.sha256 == offer.sha256:
            console().print(t("charter.already_accepted", version=offer.version))
            return
        sha256 = accept_charter
        if sha256 is None:
            if not is_interactive():
                raise UsageError("charter.needs_hash")
            from fieldkit.commands.prompts import ask_line

            out = environment().err_console
            _facts(out, offer.version, offer.sha256)
            out.print()
            out.print(plain(offer.text, multiline=True))
            phrase = t("charter.accept_phrase")
            answer = ask_line(t("charter.type_to_accept", phrase=phrase))
            if _typed(answer) != _typed(phrase):
                raise Refused("charter.not_accepted")
            sha256 = offer.sha256
        acceptance = charter.accept_offer(store, sha256)
    if as_json:
        print_json(
            {
                "status": "queued",
                "version": acceptance.version,
                "sha256": acceptance.sha256,
                "at": acceptance.at,
            }
        )
        return
    console().print(t("charter.accepted", version=acceptance.version))
