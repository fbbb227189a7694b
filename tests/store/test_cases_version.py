"""The cases' version (fieldkit/replica/cases.py version): what the interactive
session's completion keeps its case names by. It moves when a case arrives, changes or
goes, from this connection or another one, and stays when only follow-ups change."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fieldkit.enums import FollowUpKind
from fieldkit.store.worker import WorkerStore
from tests.conftest import PASSPHRASE
from tests.helpers import district_change, next_district_seq, open_case, open_case_in_home


def test_a_new_case_and_a_changed_field_move_it_and_a_followup_does_not(store: WorkerStore):
    empty = store.cases_version()
    opened = open_case(store, reference="CO-2026-0001", display_name="Hélène Dupré")
    with_case = store.cases_version()
    assert with_case != empty
    store.add_followup(
        "CO-2026-0001",
        kind=FollowUpKind.INTERVIEW,
        summary="Entretien",
        occurred_on=date.today(),
        today=date.today(),
    )
    assert store.cases_version() == with_case
    renamed = district_change(
        seq=next_district_seq(store),
        case_id=opened.case_id,
        op="update",
        fields={"display_name": "Hélène Dupré-Martin"},
    )
    assert store.apply_remote([renamed]).applied == 1
    assert store.cases_version() != with_case


def test_a_case_written_through_another_connection_moves_it(store: WorkerStore, home: Path):
    before = store.cases_version()
    open_case_in_home(home, PASSPHRASE, reference="CO-2026-0002")
    assert store.cases_version() != before
