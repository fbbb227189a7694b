"""Messages of the Prevention Group's decisions and their measures (issue 17): recording a
decision at the district, `case measure`, and « Décisions de la cellule » wherever a case
is shown (worker `case show`, the summaries, `district case show`, the cell summary).
"""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {
    "action.decide": "group decision recorded",
    "object.measure": "measure",
    "action.measure-state": "measure state changed",
    "decision.empty": (
        "A decision needs at least one of: a measure, a référent, a next review, a status"
        " or a note for the team."
    ),
    "refusal.reason.district-only": "only the district records the group's decisions and measures",
    "refusal.reason.unknown-measure": "the measure is unknown to the district",
}
