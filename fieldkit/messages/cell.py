"""Messages of the cell's view (issue 16): what the district and the prevention group read
of a case (`district case show`, `district case summary`, the report's cases), and the
words for the values of the cell's fields (`cell.attendance.*`, `cell.participation.*`).
"""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {
    # Attendance of an appointment (model.Attendance).
    "cell.attendance.kept": "Appointment kept",
    "cell.attendance.missed": "Appointment missed",
    "cell.attendance.excused": "Appointment excused",
    # The person's participation, libre adhésion (model.Participation).
    "cell.participation.proposed": "Proposed",
    "cell.participation.accepted": "Accepted",
    "cell.participation.declined": "Declined",
    "cell.participation.withdrawn": "Withdrawn",
    # Where a team text stands when the district cannot read it.
    "cell.team_note": "team note (readable by the team only)",
    "cell.notes_hidden": Plural(
        "{count} note of the case team is not shown: it is readable only by the team.",
        "{count} notes of the case team are not shown: they are readable only by the team.",
    ),
    "cell.for_cell": "Addressed to the group",
    "cell.withdrawn_on": "Withdrawn on {date}",
    "cell.withdrawn": "Withdrawn",
    # The cell's summary of a case.
    "cell.title": "Case summary for the group",
    "cell.circle": (
        "The group's view: what the district recorded, the follow-ups' dates, kinds and"
        " attendance, and what the case team addressed to the group."
    ),
    "cell.section.team": "Participation and situation note",
    "cell.no_cell_note": "No situation note for the group yet.",
    "cell.history_note": Plural(
        "{count} follow-up in all; only those addressed to the group show their text.",
        "{count} follow-ups in all; only those addressed to the group show their text.",
    ),
    "cell.history_since": (
        "Limited to follow-ups since {date}: {shown} of {total}; only those addressed to"
        " the group show their text."
    ),
    "help.district_case_summary": (
        "Print the group's view of a case: on screen, in Markdown or as a PDF."
    ),
    # The report: attendance and participation per unit, the cases' notes for the group.
    "cell.report.section.attendance": "Appointments and participation per territorial unit",
    "cell.report.attendance_rule": (
        "Appointments: follow-ups since {date} with their attendance recorded;"
        " participation: the active cases' libre adhésion."
    ),
    "cell.report.col.kept": "Appointments kept",
    "cell.report.col.missed": "Appointments missed",
    "cell.report.col.excused": "Appointments excused",
    "cell.report.col.accepted": "Participation accepted",
    "cell.report.col.proposed": "Participation proposed",
    "cell.report.col.declined": "Participation declined",
    "cell.report.col.withdrawn": "Participation withdrawn",
    "cell.report.col.participation_unknown": "Participation not recorded",
    "cell.report.short.kept": "Kept",
    "cell.report.short.missed": "Missed",
    "cell.report.short.excused": "Excused",
    "cell.report.short.accepted": "Accepted",
    "cell.report.short.proposed": "Proposed",
    "cell.report.short.declined": "Declined",
    "cell.report.short.withdrawn": "Withdrawn",
    "cell.report.short.participation_unknown": "Not recorded",
    "cell.report.section.notes": "Annex — what the case teams addressed to the group",
    "cell.report.attendance_since": (
        "Appointments since {date}: kept {kept}, missed {missed}, excused {excused}"
    ),
}
