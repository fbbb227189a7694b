"""`fieldkit case team CASE`: who is on a case's team, their fingerprints, when each joined
or left, and whether the team's keys reached them (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from fieldkit.commands.common import console, print_json, state
from fieldkit.commands.render import people
from fieldkit.dates import show_moment
from fieldkit.display import plain
from fieldkit.i18n import t, t_n


def _moment(hlc: str | None) -> datetime | None:
    from fieldkit.replica.clock import parse_hlc

    if not hlc:
        return None
    return datetime.fromtimestamp(parse_hlc(hlc)[0] / 1000, UTC)


def _fingerprint(hex_digits: str | None) -> str:
    if not hex_digits:
        return t("team.no_keys_yet")
    return " ".join(hex_digits[i : i + 4] for i in range(0, 16, 4)) + " …"


def team(
    ctx: typer.Context,
    case: str = typer.Argument(..., help=t("help.arg.case")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit.replica import cases
    from fieldkit.store import team as case_team
    from fieldkit.store.worker import WorkerStore

    st = state(ctx)
    with WorkerStore.open(st.home, st.credentials()) as store:
        case_id = cases.resolve_id(store.conn, case)
        item = cases.load(store.conn, case_id)
        members, keys = case_team.team_of(store, case_id)
        names = people(store, item)
        me = store.author
    if as_json:
        print_json(
            {
                "case_id": item.id,
                "reference": item.reference,
                "members": [
                    {
                        "worker_id": m.worker_id,
                        "name": m.name,
                        "lead": m.lead,
                        "fingerprint": m.fingerprint,
                        "joined_at": _iso(m.joined),
                        "left_at": _iso(m.left),
                        "current": m.current,
                        "has_team_keys": m.has_keys,
                    }
                    for m in members
                ],
                "keys": [{"kid": k.kid, "epoch": k.epoch} for k in keys],
            }
        )
        return
    from rich.table import Table

    out = console()
    table = Table(title=plain(t("team.title", reference=item.reference)))
    for column in ("team.col.member", "team.col.fingerprint", "team.col.joined", "team.col.left"):
        table.add_column(t(column))
    table.add_column(t("team.col.notes"))
    for m in members:
        who = names.of(m.worker_id) + (" *" if m.lead else "")
        if m.worker_id == me:
            notes = t("team.notes.you")
        elif not m.current:
            notes = t("team.notes.left")
        elif m.has_keys:
            notes = t("team.notes.has_keys")
        else:
            notes = t("team.notes.waiting")
        table.add_row(
            plain(who),
            _fingerprint(m.fingerprint),
            show_moment(_moment(m.joined), "—"),
            show_moment(_moment(m.left), "—"),
            notes,
        )
    out.print(table)
    out.print(t_n("team.keys", len(keys), epoch=max((k.epoch for k in keys), default=0)))


def _iso(hlc: str | None) -> str | None:
    moment = _moment(hlc)
    return moment.isoformat() if moment else None
