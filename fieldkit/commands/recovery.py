"""fieldkit district recovery-key … and district recover: the district's recovery key.

The sheet is written where the person says (`--recovery-sheet FILE`), else in the current
folder, never inside the district's folder: its private half must not sit next to the
data it opens, and fieldkit keeps it nowhere (docs/security.md, "Recovery key"). A file
is never replaced. `district init` writes generation 1 through `write_first_sheet`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fieldkit.commands.common import console, err_console, print_json, state
from fieldkit.display import escape
from fieldkit.errors import FieldkitError, InvalidValue, UsageError
from fieldkit.i18n import t, t_n

if TYPE_CHECKING:
    from fieldkit.crypto.identity import Identity
    from fieldkit.district.recover import CaseFile
    from fieldkit.district.store import DistrictStore

SHEET_OPTION = "--recovery-sheet"


def register(district_app: typer.Typer) -> None:
    """Add `recovery-key new|list` and `recover` to the district's commands."""
    key_app = typer.Typer(no_args_is_help=True)
    district_app.add_typer(key_app, name="recovery-key", help=t("help.district_recovery_key"))

    @key_app.command("new", help=t("help.district_recovery_key_new"))
    def key_new(
        ctx: typer.Context,
        sheet: Path | None = typer.Option(None, SHEET_OPTION, help=t("help.opt.recovery_sheet")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from fieldkit.district.store import DistrictStore

        st = state(ctx)
        with DistrictStore.open(st.home, st.credentials()) as store:
            written = new_sheet(store, sheet)
        if as_json:
            print_json(written)
            return
        tell_written(written)
        console().print(t("recovery.new_grants", generation=written["generation"]))

    @key_app.command("list", help=t("help.district_recovery_key_list"))
    def key_list(
        ctx: typer.Context,
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from fieldkit.district import recovery
        from fieldkit.district.store import DistrictStore

        st = state(ctx)
        with DistrictStore.open(st.home, st.credentials()) as store:
            generations = recovery.all_generations(store)
        if as_json:
            print_json([g.to_json() for g in generations])
            return
        if not generations:
            console().print(t("recovery.none"))
            return
        from rich.table import Table

        from fieldkit.dates import show_day

        table = Table(title=t("recovery.list_title", count=len(generations)))
        for column in ("col.generation", "col.grantee", "col.fingerprint", "col.created"):
            table.add_column(t(column))
        for g in generations:
            made = datetime.fromisoformat(g.created_at)
            table.add_row(str(g.number), g.grantee, g.fingerprint, show_day(made.date()))
        console().print(table)

    @district_app.command("recover", help=t("help.district_recover"))
    def recover(
        ctx: typer.Context,
        case: str = typer.Argument(..., help=t("help.arg.case")),
        sheet_file: Path | None = typer.Option(None, "--sheet-file", help=t("help.opt.sheet_file")),
        sheet: str | None = typer.Option(None, "--sheet", metavar="-", help=t("help.opt.sheet")),
        grant_team: bool = typer.Option(False, "--grant-team", help=t("help.opt.grant_team")),
        subject_access: bool = typer.Option(
            False, "--subject-access", help=t("help.opt.subject_access")
        ),
        output: Path | None = typer.Option(None, "--output", "-o", help=t("help.opt.output")),
        fmt: str | None = typer.Option(None, "--format", "-f", help=t("help.opt.recover_format")),
        force: bool = typer.Option(False, "--force", help=t("help.opt.force")),
        as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
    ) -> None:
        from fieldkit.district import recover as core
        from fieldkit.district.store import DistrictStore

        if grant_team == subject_access:
            raise UsageError("recovery.action_mode")
        kind = _file_format(output, fmt) if subject_access else None
        if subject_access:
            from fieldkit.summary.export import check_target

            assert output is not None
            check_target(output, force=force)
        st = state(ctx)
        with DistrictStore.open(st.home, st.credentials()) as store:
            _, key = read_sheet(sheet_file, sheet)
            if grant_team:
                done = core.grant_team(store, case, key)
                result: dict[str, object] = {
                    "case": done.case_id,
                    "reference": done.reference,
                    "generation": done.generation,
                    "keys": done.keys,
                    "members": done.members,
                    "grants": done.granted,
                }
            else:
                assert output is not None and kind is not None
                opened = core.open_file(store, case, key)
                names = {r.worker.id: r.worker.name for r in store.workers()}
                write_case_file(opened, names, output, kind, force)
                result = {
                    "case": opened.case.id,
                    "reference": opened.case.reference,
                    "generation": opened.generation,
                    "output": str(output),
                    "format": kind,
                    "unreadable": opened.unreadable,
                }
            del key
        if as_json:
            print_json(result)
            return
        if grant_team:
            console().print(
                t(
                    "recovery.granted",
                    ref=escape(str(result["reference"])),
                    keys=result["keys"],
                    members=len(done.members),
                    grants=result["grants"],
                )
            )
        else:
            err = err_console()
            err.print(t("export.written", path=str(output)), markup=False)
            err.print(t("export.reminder_file"), markup=False)
            if result["unreadable"]:
                err.print(t_n("recovery.still_sealed", int(result["unreadable"])), markup=False)
        console().print(t("recovery.told_to_team"))


_FORMATS = {".md": "md", ".markdown": "md", ".pdf": "pdf"}


def _file_format(output: Path | None, fmt: str | None) -> str:
    """md or pdf: --format, else the file's suffix."""
    if output is None or str(output) == "-":
        raise UsageError("recovery.output_needed")
    wanted = (fmt or _FORMATS.get(output.suffix.lower(), "")).strip().lower()
    if wanted not in ("md", "pdf"):
        raise InvalidValue("value.bad_choice", field="--format", value=fmt or "", choices="md, pdf")
    return wanted


def write_case_file(
    opened: CaseFile, names: dict[str, str], output: Path, kind: str, force: bool
) -> None:
    """The person's whole file, assembled as the worker's summary is, to `output`."""
    from fieldkit.commands.output import glyph_warnings
    from fieldkit.summary.assemble import assemble
    from fieldkit.summary.export import write_private
    from fieldkit.summary.markdown import render_markdown
    from fieldkit.summary.pdf import render_pdf

    document = assemble(
        opened.case,
        opened.followups,
        opened.conflicts,
        printed_by=t("recovery.printed_by", generation=opened.generation),
        printed_at=datetime.now().astimezone(),
        worker_names=names,
    )
    with glyph_warnings():
        data = render_pdf(document) if kind == "pdf" else render_markdown(document).encode()
    write_private(output, data, force=force)


def read_sheet(sheet_file: Path | None, sheet: str | None) -> tuple[int, Identity]:
    """The sheet's key, from a text file, standard input, or typed line by line."""
    from fieldkit.crypto.recovery import decode_sheet

    if (sheet_file is None) == (sheet is None) or (sheet is not None and sheet != "-"):
        raise UsageError("recovery.sheet_mode")
    if sheet_file is not None:
        try:
            data = sheet_file.read_bytes()
        except FileNotFoundError:
            raise UsageError("file.not_found", path=str(sheet_file)) from None
        if data.startswith(b"%PDF"):
            raise UsageError("recovery.sheet_is_pdf")
        return decode_sheet(data.decode("utf-8", errors="replace"))
    from fieldkit.commands.common import environment

    env = environment()
    if env.stdin_isatty and env.stderr_isatty:
        return decode_sheet(_type_sheet())
    return decode_sheet(env.stdin.read())


def _type_sheet() -> str:
    """The sheet typed at the terminal, each line checked as soon as it is typed."""
    from fieldkit.commands.prompts import ask_line
    from fieldkit.crypto.recovery import LINES, SheetError, read_line, split_number

    err = err_console()
    err.print(t("recovery.prompt_intro", lines=LINES), markup=False)
    typed = []
    for number in range(1, LINES + 1):
        while True:
            given, rest = split_number(ask_line(t("recovery.prompt_line", line=number)))
            try:
                if given is not None and given != number:
                    raise SheetError("recovery.sheet.wrong_number", line=number, given=given)
                read_line(number, rest)
            except SheetError as exc:
                err.print(f"fieldkit: {exc.message}", markup=False)
                continue
            typed.append(f"{number} {rest}")
            break
    return "\n".join(typed)


def default_sheet_name(district: str, generation: int, fingerprint_hex: str) -> str:
    """recovery-sheet-<district, in ASCII>-<generation>-<the key's fingerprint, 8 digits>.pdf:
    never the name of an earlier sheet, and the fingerprint printed on it."""
    ascii_name = unicodedata.normalize("NFKD", district).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return f"recovery-sheet-{slug or 'district'}-{generation}-{fingerprint_hex[:8]}.pdf"


def check_sheet_place(given: Path | None, home: Path) -> None:
    """That the sheet can go where asked (the current folder by default): an existing
    folder outside the district's, and no file of that name yet."""
    path = (given or Path.cwd() / "sheet").expanduser()
    folder = path.parent.resolve()
    if not folder.is_dir():
        raise UsageError("recovery.sheet_folder_missing", path=str(path.parent))
    resolved_home = home.expanduser().resolve()
    if folder == resolved_home or resolved_home in folder.parents:
        raise UsageError("recovery.sheet_in_home", path=str(home))
    if given is not None and (path.exists() or path.is_symlink()):
        raise UsageError("recovery.sheet_exists", path=str(path))


def write_sheet(path: Path, district: str, generation: int, identity: Identity) -> None:
    """The sheet's PDF written to `path`, owner-only, never over an existing file."""
    from fieldkit.commands.output import glyph_warnings
    from fieldkit.crypto.recovery import encode_sheet
    from fieldkit.paths import write_new_file
    from fieldkit.summary.recovery_sheet import RecoverySheet, render_recovery_sheet

    sheet = RecoverySheet(
        district=district,
        generation=generation,
        created_at=datetime.now(UTC).astimezone(),
        fingerprint=identity.public.fingerprint,
        lines=encode_sheet(identity, generation),
    )
    with glyph_warnings():
        data = render_recovery_sheet(sheet)
    try:
        write_new_file(path, data)
    except FileExistsError as exc:
        raise UsageError("recovery.sheet_exists", path=str(path)) from exc


def new_sheet(store: DistrictStore, given: Path | None) -> dict[str, object]:
    """A new generation with its sheet written; nothing recorded if the sheet is not."""
    from fieldkit.district import recovery

    written: dict[str, object] = {}

    check_sheet_place(given, store.home)

    def keep(generation: int, identity: Identity) -> None:
        path = given or Path.cwd() / default_sheet_name(
            store.name, generation, identity.public.fingerprint_hex
        )
        check_sheet_place(path, store.home)
        write_sheet(path, store.name, generation, identity)
        written.update(
            generation=generation,
            grantee=recovery.grantee(generation),
            fingerprint=identity.public.fingerprint,
            recovery_sheet=str(path),
        )

    recovery.new_generation(store, keep)
    return written


def write_first_sheet(store: DistrictStore, path: Path | None) -> dict[str, object]:
    """Generation 1 and its sheet, for `district init`. The district exists by then: a
    failure says so, and how to get a sheet."""
    try:
        return new_sheet(store, path)
    except (UsageError, OSError) as exc:
        reason = exc.message if isinstance(exc, UsageError) else (exc.strerror or str(exc))
        raise FieldkitError("recovery.sheet_not_written", reason=reason) from exc


def tell_written(written: dict[str, object]) -> None:
    """Where the sheet is and what to do with it, for a person."""
    out = console()
    out.print(
        t(
            "recovery.sheet_written",
            generation=written["generation"],
            path=escape(str(written["recovery_sheet"])),
        )
    )
    out.print(t("recovery.fingerprint", fingerprint=written["fingerprint"]))
    out.print(t("recovery.sheet_todo"))
