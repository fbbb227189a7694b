"""Messages of the Prevention Group's decisions and their measures (issue 17): recording a
decision at the district, `case measure`, and « Décisions de la cellule » wherever a case
is shown (worker `case show`, the summaries, `district case show`, the cell summary).
"""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {
    "sync.cell_decisions": Plural(
        "A decision of the Prevention Group arrived on {reference}: see `fieldkit case show {reference}`.",
        "{count} decisions of the Prevention Group arrived on {reference}: see `fieldkit case show {reference}`.",
    ),
    # Audit words.
    "action.decide": "group decision recorded",
    "object.measure": "measure",
    "action.measure-state": "measure state changed",
    # Recording a decision (fieldkit/district/decisions.py).
    "decision.empty": (
        "A decision needs at least one of: a measure, a référent, a next review, a status"
        " or a note for the team."
    ),
    # What the district answers a worker's change it refuses.
    "refusal.reason.district-only": "only the district records the group's decisions and measures",
    "refusal.reason.unknown-measure": "the measure is unknown to the district",
    # The states of a measure (model.MeasureState).
    "measure.planned": "Planned",
    "measure.under_way": "Under way",
    "measure.done": "Done",
    "measure.dropped": "Dropped",
    # « Décisions de la cellule », wherever a case is shown.
    "decision.section": "Prevention group decisions",
    "decision.none": "No decision of the group on this case yet.",
    "decision.meeting_of": "Meeting of {date}",
    "decision.referent": "Lead coordinator (référent de parcours)",
    "decision.next_review": "Next review",
    "decision.status": "Status change",
    "decision.status_reason": "{status}: {reason}",
    "decision.note_for_team": "Note for the team",
    "decision.measure_line": "{number}. {text} — {state}",
    "decision.state_since": "{state} since {date}",
    "decision.state_since_by": "{state} since {date} ({name})",
    "decision.by_district": "the district",
    # `case measure CASE N --state STATE`.
    "help.case_measure": (
        "Set the state of the group's measure N on a case (planned, under way, done,"
        " dropped): the district sees it at the next sync."
    ),
    "help.arg.measure_number": "The measure's number, as case show lists them (1, 2, …).",
    "help.opt.measure_state": "The measure's new state: {choices}.",
    "help.opt.measure_on": "The day the state began (default: today).",
    "measure.state_set": "Measure {number} of {ref}: {state}.",
    "measure.none_yet": "Case {ref} has no measure of the group yet.",
    "measure.no_such": (
        "{field}: there is no measure {value}; case show numbers the measures from 1 to {last}"
    ),
    "measure.already": "Measure {number} is already in that state.",
    # A measure's state change waiting to sync, or refused by the district.
    "pending.measure_state": "state of a group measure",
    "refused.what.measure.state": "state of a group measure ({state})",
}
