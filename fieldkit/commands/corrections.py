"""The District Officer's corrections of a case (issue 17): `district case update`, `case
suspend` and `case reopen`. Each is a district-owned change that reaches the case team at
its next sync (fieldkit/district/cases.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from fieldkit import choices
from fieldkit.commands.common import (
    console,
    err_console,
    is_interactive,
    parse_date,
    print_json,
    read_text_option,
    say,
    state,
    text_given,
    text_help,
    text_typed,
)
from fieldkit.enums import Priority, ReferralSource
from fieldkit.errors import UsageError
from fieldkit.i18n import t

if TYPE_CHECKING:
    from fieldkit.district.store import DistrictStore
    from fieldkit.model import Case


def register(case_app: typer.Typer) -> None:
    case_app.command("update", help=t("help.district_case_update"))(case_update)
    case_app.command("suspend", help=t("help.district_case_suspend"))(case_suspend)
    case_app.command("reopen", help=t("help.district_case_reopen"))(case_reopen)


def referral_source_code(text: str | None) -> str | None:
    """The ReferralSource code of what was typed (French or English words), or None."""
    if text is None or not text.strip():
        return None
    return choices.parse(ReferralSource, text, "--referral-source").value


def tell_units_free(store: DistrictStore) -> None:
    """While the district has declared no unit, say (on stderr) how to declare them."""
    if not store.units():
        err_console().print(t("unit.list_empty_hint"), markup=False)


def _open(ctx: typer.Context) -> DistrictStore:
    from fieldkit.district.store import DistrictStore

    st = state(ctx)
    return DistrictStore.open(st.home, st.credentials())


def case_update(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    name: str | None = typer.Option(None, "--name", help=t("help.opt.person_name")),
    birth_year: int | None = typer.Option(None, "--birth-year", help=t("help.opt.birth_year")),
    unit: str | None = typer.Option(None, "--unit", help=t("help.opt.unit")),
    priority: str | None = typer.Option(
        None, "--priority", help=t("help.opt.priority", choices=choices.listing(Priority))
    ),
    referral_date: str | None = typer.Option(
        None, "--referral-date", help=t("help.opt.referral_date")
    ),
    referral_source: str | None = typer.Option(
        None,
        "--referral-source",
        help=t("help.opt.referral_source_choice", choices=choices.listing(ReferralSource)),
    ),
    referral_detail: str | None = typer.Option(
        None, "--referral-detail", help=t("help.opt.referral_detail")
    ),
    reason: str | None = typer.Option(None, "--reason", help=text_help("help.opt.reason_update")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    level = choices.parse(Priority, priority, "--priority").value if priority else None
    source = referral_source_code(referral_source)
    # `-`: the reason for referral from standard input, or at a terminal in the editor
    # from the reason as it reads now (once the store is open).
    edit_reason = reason == "-" and is_interactive()
    if reason == "-" and not edit_reason:
        reason = read_text_option(reason, "--reason", "prompt.referral_reason", required=False)
        reason = reason or ""
    fields = {
        "display_name": name,
        "birth_year": birth_year,
        "unit": unit,
        "priority": level,
        "referral_date": parse_date(referral_date, "--referral-date"),
        "referral_source": source,
        "referral_detail": referral_detail,
        "reason": None if edit_reason else reason,
    }
    if all(value is None for value in fields.values()) and not edit_reason:
        raise UsageError("case.update_nothing")
    with _open(ctx) as store:
        if edit_reason:
            current = store.case(case, limit=1)[0].reason or ""
            text = read_text_option(
                None, "--reason", "prompt.referral_reason", required=False, initial=current
            )
            fields["reason"] = text or ""
        item, changed = store.update_case(case, **fields)
    if as_json:
        print_json({"id": item.id, "reference": item.reference, "changed": changed})
        return
    if not changed:
        say(t("case.update_unchanged", reference=item.reference))
        return
    from fieldkit.commands.render import field_names

    say(t("case.corrected", reference=item.reference, fields=field_names(changed)))


def _reason_given(reason: str | None, prompt_key: str) -> str | None:
    return text_given(reason, "--reason", prompt_key, required=True)


def _reason_typed(
    store: DistrictStore, case: str, reason: str | None, given: str | None, prompt_key: str
) -> str | None:
    """The reason typed at the terminal, once the store is open (the passphrase first)
    and the case found (a wrong one is said before the text is typed)."""
    from fieldkit.district import cases as district_cases

    if reason is None and is_interactive():
        district_cases.resolve(store.conn, case)
    return text_typed(reason, given, "--reason", prompt_key, required=True)


def case_suspend(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    reason: str | None = typer.Option(None, "--reason", help=text_help("help.opt.suspend_reason")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    why = _reason_given(reason, "prompt.suspend_reason")
    with _open(ctx) as store:
        why = _reason_typed(store, case, reason, why, "prompt.suspend_reason")
        item = store.suspend_case(case, why or "")
    _said(item, "case.suspended", as_json)


def case_reopen(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    reason: str | None = typer.Option(None, "--reason", help=text_help("help.opt.reopen_reason")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    why = _reason_given(reason, "prompt.reopen_reason")
    with _open(ctx) as store:
        why = _reason_typed(store, case, reason, why, "prompt.reopen_reason")
        item = store.reopen_case(case, why or "")
    _said(item, "case.reopened", as_json)


def _said(item: Case, key: str, as_json: bool) -> None:
    if as_json:
        print_json({"id": item.id, "reference": item.reference, "status": item.status.value})
        return
    console().print(t(key, reference=item.reference))
