"""fieldkit district case export CASE --subject-access, and the worker's `case summary
--full`: the person's whole file for a right-of-access request (GDPR art. 15).

The file is written owner-only (0600), never over an existing file without --force, and
only once the audit trail holds its making (fieldkit/summary/export.py). At the district
the team's sealed texts open with the recovery sheet, given as `district recover` takes
it (`--sheet-file F` or `--sheet -`), once the case is known to exist.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fieldkit.commands.common import console, err_console, print_json, state
from fieldkit.errors import InvalidValue, UsageError
from fieldkit.i18n import t, t_n

if TYPE_CHECKING:
    from fieldkit.store.worker import WorkerStore
    from fieldkit.summary.access import SubjectAccess
    from fieldkit.summary.export import OutputFormat, Target

ACCESS_FORMATS = ("pdf", "json")
# The first word of the audit detail of a right-of-access file ("subject-access pdf file").
PURPOSE = "subject-access"


def register(case_app: typer.Typer) -> None:
    case_app.command("export", help=t("help.district_case_export"))(case_export)


def case_export(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    subject_access: bool = typer.Option(
        False, "--subject-access", help=t("help.opt.subject_access_export")
    ),
    sheet_file: Path | None = typer.Option(None, "--sheet-file", help=t("help.opt.sheet_file")),
    sheet: str | None = typer.Option(None, "--sheet", metavar="-", help=t("help.opt.sheet")),
    output: Path | None = typer.Option(None, "--output", "-o", help=t("help.opt.output")),
    fmt: str | None = typer.Option(None, "--format", "-f", help=t("help.opt.access_format")),
    force: bool = typer.Option(False, "--force", help=t("help.opt.force")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.commands.output import glyph_warnings
    from fieldkit.commands.recovery import read_sheet
    from fieldkit.district import access
    from fieldkit.district.store import DistrictStore
    from fieldkit.summary.access import Holder, assemble_access
    from fieldkit.summary.export import check_target, write_private

    if not subject_access:
        raise UsageError("access.what_to_export")
    if sheet_file is None and sheet is None:
        raise UsageError("access.sheet_needed")
    kind = file_format(output, fmt)
    assert output is not None
    check_target(output, force=force)
    st = state(ctx)
    with DistrictStore.open(st.home, st.credentials()) as store:
        access.case_id(store, case)  # a wrong case is said before the sheet is typed
        _, key = read_sheet(sheet_file, sheet)
        data = access.gather(store, case, key, f"{PURPOSE} {kind} file")
        del key
        opened = data.file
        document = assemble_access(
            opened.case,
            opened.followups,
            opened.conflicts,
            data.events,
            holder=Holder.DISTRICT,
            printed_by=t("recovery.printed_by", generation=opened.generation),
            printed_at=datetime.now().astimezone(),
            worker_names=data.workers,
            decisions=data.decisions,
        )
        with glyph_warnings():
            payload = render(document, kind)
        write_private(output, payload, force=force)
    result = {
        "case": opened.case.id,
        "reference": opened.case.reference,
        "generation": opened.generation,
        "output": str(output),
        "format": kind,
        "followups": len(document.followups),
        "accesses": len(document.accesses),
        "unreadable": opened.unreadable,
    }
    if as_json:
        print_json(result)
        return
    err = err_console()
    err.print(t("access.written", ref=opened.case.reference, path=str(output)), markup=False)
    err.print(t("access.hand_over"), markup=False)
    if opened.unreadable:
        err.print(t_n("recovery.still_sealed", opened.unreadable), markup=False)
    console().print(t("recovery.told_to_team"))


def file_format(output: Path | None, fmt: str | None) -> str:
    """pdf or json: --format, else the file's suffix (.json), else pdf."""
    if output is None or str(output) == "-":
        raise UsageError("access.output_needed")
    if fmt is None:
        return "json" if output.suffix.lower() == ".json" else "pdf"
    wanted = fmt.strip().lower()
    if wanted not in ACCESS_FORMATS:
        choices = ", ".join(ACCESS_FORMATS)
        raise InvalidValue("value.bad_choice", field="--format", value=fmt, choices=choices)
    return wanted


def render(document: SubjectAccess, kind: str) -> bytes:
    from fieldkit.summary.access import access_json
    from fieldkit.summary.access_pdf import render_access_pdf

    return render_access_pdf(document) if kind == "pdf" else access_json(document)


def check_full(kind: OutputFormat) -> None:
    """`case summary --full` gives the whole file as a PDF or as JSON only."""
    if kind.value not in ACCESS_FORMATS:
        raise UsageError("access.full_format")


def device_file(store: WorkerStore, ref: str, target: Target, kind: OutputFormat) -> None:
    """The whole file as this device holds it, audited first (so it lists its own
    making), then written to `target`."""
    from datetime import date

    from fieldkit.summary.access import Holder, assemble_access

    data = store.summary_data(ref, date.today())
    # As `deliver` does: the target's action ("view" or "export"), then the output.
    audit = partial(store.record_output, data.case.id)
    audit(target.action, f"{PURPOSE} {target.detail(kind)}")
    document = assemble_access(
        data.case,
        data.followups,
        data.conflicts,
        store.audit_events(),
        holder=Holder.DEVICE,
        printed_by=data.printed_by,
        printed_at=datetime.now().astimezone(),
        worker_names=data.worker_names,
        decisions=data.decisions,
    )
    target.write(render(document, kind.value))
