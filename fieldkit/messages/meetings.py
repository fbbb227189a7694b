"""Messages of the prevention group's meetings (issue 17): `district meeting ...`,
`district institution ...`, the agenda's reasons and the minutes (compte rendu)."""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {
    "meeting.attendee_twice": "{name} already attends meeting {meeting}.",
    "meeting.review_before_meeting": "the next review must fall after meeting {meeting} ({day}), which sets it.",
    "metavar.meeting": "MEETING",
    "metavar.name": "NAME",
    # Help
    "help.district_meeting": "The group's meetings: agenda, attendees, decisions, minutes.",
    "help.district_institution": "The institutions meeting attendees come from.",
    "help.meeting_new": "Create a meeting on DATE.",
    "help.meeting_list": "List the meetings.",
    "help.meeting_show": "Show a meeting: attendees, agenda, closings and amendments.",
    "help.meeting_agenda": (
        "The meeting's agenda: the cases proposed from the data, with why; add or remove cases."
    ),
    "help.meeting_attendee": "Add or remove an attendee of the meeting.",
    "help.meeting_decide": "Record the group's decision on a case at this meeting.",
    "help.meeting_minutes": "Print the minutes (compte rendu) of the meeting.",
    "help.meeting_close": "Close the meeting: its minutes are frozen and their hash audited.",
    "help.meeting_amend": "Reopen a closed meeting for changes, saying why (recorded).",
    "help.institution_list": "List the institutions.",
    "help.institution_add": "Add an institution to the list.",
    "help.arg.meeting_date": "The meeting's date (2026-03-12, 12/03/2026, +2w).",
    "help.arg.meeting": "The meeting: its reference (R-2026-03) or its date.",
    "help.arg.institution": "The institution's name.",
    "help.opt.meeting_kind": "Kind of meeting: {choices}.",
    "help.opt.meeting_title": "A short title for the meeting.",
    "help.opt.agenda_add": "Put this case on the agenda (repeatable).",
    "help.opt.agenda_remove": "Take this case off the agenda; it is not proposed again (repeatable).",
    "help.opt.no_contact_days": "Propose cases without contact with the person for this many days.",
    "help.opt.attendee_add": "The attendee's name.",
    "help.opt.attendee_remove": "The attendee to remove (name or id).",
    "help.opt.institution": "The attendee's institution, from `district institution list`.",
    "help.opt.charter_signed": "The day the attendee signed the confidentiality charter.",
    "help.opt.with_names": (
        "Print the names of the persons followed (an audited exception; initials by default)."
    ),
    "help.opt.minutes_json": "The minutes as JSON.",
    "help.opt.amend_reason": "Why the closed minutes are changed (prompted, or - for stdin).",
    "help.opt.measure": "A support measure decided (repeatable).",
    "help.opt.decision_referent": "The référent de parcours (a worker or a structure).",
    "help.opt.decision_next_review": "The case's next review.",
    "help.opt.decision_status": "A new status for the case: {choices}.",
    "help.opt.decision_reason": "Why the status changes (needed to close).",
    "help.opt.note_for_team": "A note for the case team (prompted, or - for stdin).",
    "prompt.amend_reason": "Why are the minutes amended",
    "prompt.note_for_team": "Note for the case team (optional)",
    # Kinds of meeting
    "meeting.kind.plenary": "plenary",
    "meeting.kind.restricted": "restricted",
    # Sessions
    "meeting.created": "Meeting {reference} created for {date}.",
    "meeting.not_found": "no meeting '{ref}' (see district meeting list)",
    "meeting.ambiguous": "several meetings on {ref}: {candidates}; give the reference",
    "meeting.is_closed": (
        "meeting {ref} is closed: its minutes are frozen. To change them, reopen it"
        " saying why: fieldkit district meeting amend {ref}"
    ),
    "meeting.already_closed": "meeting {ref} is already closed",
    "meeting.not_closed": "meeting {ref} is not closed: nothing to amend",
    "meeting.closed_now": "Meeting {reference} closed. Minutes SHA-256: {sha256}",
    "meeting.amended_now": "Meeting {reference} reopened for changes (amendment {number}).",
    "meeting.list_title": Plural("{count} meeting", "{count} meetings"),
    "meeting.col.reference": "Meeting",
    "meeting.col.kind": "Kind",
    "meeting.col.title": "Title",
    "meeting.col.cases": "Cases",
    "meeting.col.attendees": "Attendees",
    "meeting.col.initials": "Initials",
    "meeting.col.reasons": "Why on the agenda",
    "meeting.col.institution": "Institution",
    "meeting.col.charter": "Confidentiality charter",
    "meeting.col.decision": "Decision",
    "meeting.state.open": "open",
    "meeting.state.closed": "closed",
    "meeting.state.amended": "reopened after closing",
    "meeting.show_state": "State: {state}",
    "meeting.closed_event": "Closed on {date}, minutes SHA-256 {sha256}",
    "meeting.amended_on": "Amended on {date}: {reason}",
    "meeting.decisions_count": Plural("{count} decision recorded.", "{count} decisions recorded."),
    "meeting.bad_days": "--no-contact-days: '{value}' must be between 1 and 3650",
    # The agenda
    "meeting.agenda_title": Plural("Agenda: {count} case", "Agenda: {count} cases"),
    "meeting.case_not_open": "case {ref} is closed: only open cases go on an agenda",
    "meeting.reason.review_due": "review due {date}",
    "meeting.reason.opened": "opened since the last meeting ({date})",
    "meeting.reason.high_concern": "high concern since the last meeting ({date})",
    "meeting.reason.participation": "participation changed since the last meeting ({date})",
    "meeting.reason.no_contact": Plural(
        "no contact with the person for {count} day", "no contact with the person for {count} days"
    ),
    "meeting.reason.no_contact_ever": "no contact with the person recorded",
    "meeting.reason.added": "added by the District Officer",
    # Attendees and institutions
    "meeting.add_or_remove": "give either --add NAME or --remove NAME",
    "meeting.attendee_added": "Attendee added: {name} ({institution}).",
    "meeting.attendee_removed": "Attendee removed: {name} ({institution}).",
    "meeting.attendee_no_charter": "No signed confidentiality charter: the minutes will say so.",
    "meeting.attendee_not_found": "no such attendee at meeting {ref}",
    "meeting.attendee_ambiguous": "several attendees have that name: {candidates}; remove one by its id (--remove ID)",
    "meeting.charter_signed": "signed on {date}",
    "meeting.charter_missing": "NOT SIGNED",
    "meeting.charters_missing": Plural(
        "{count} attendee has not signed the confidentiality charter.",
        "{count} attendees have not signed the confidentiality charter.",
    ),
    "meeting.unknown_institution": (
        "--institution: '{value}' is not on the list (district institution list; add it with"
        " district institution add)"
    ),
    "meeting.unknown_institution_close": (
        "--institution: '{value}' is not on the list; did you mean « {suggestion} »?"
    ),
    "meeting.institution_exists": "the institution « {name} » is already on the list",
    "meeting.institution_added": "Institution added: {name}.",
    # Decisions
    "meeting.decided": "Decision recorded on {reference} at meeting {meeting}.",
    "meeting.measure": "Measure {number}: {text}",
    "meeting.decision_referent": "Référent de parcours: {referent}",
    "meeting.decision_next_review": "Next review: {date}",
    "meeting.decision_status": "Status: {status}",
    "meeting.decision_none": "No change decided.",
    # The minutes
    "meeting.minutes_title": "Minutes of meeting {reference}",
    "meeting.minutes_subtitle": "Meeting of {date}, {kind}",
    "meeting.minutes_district": "District: {district}",
    "meeting.minutes_closed": "Closed; SHA-256 of the minutes: {sha256}",
    "meeting.minutes_draft": "Not closed: a draft, which may still change.",
    "meeting.minutes_initials": "Persons followed are named by case reference and initials only.",
    "meeting.minutes_with_names": (
        "Printed with the names of the persons followed, at the District Officer's request"
        " (audited)."
    ),
    "meeting.section.facts": "The meeting",
    "meeting.section.attendees": "Attendees",
    "meeting.section.cases": "Cases discussed",
    "meeting.section.decisions": "Decisions",
    "meeting.section.amendments": "Amendments after closing",
    "meeting.section.counts": "Counts",
    "meeting.no_attendees": "No attendee recorded.",
    "meeting.no_cases": "No case on the agenda.",
    "meeting.no_decisions": "No decision recorded.",
    "meeting.count.attendees": Plural("{count} attendee", "{count} attendees"),
    "meeting.count.charters_missing": Plural(
        "{count} attendee without a signed charter", "{count} attendees without a signed charter"
    ),
    "meeting.count.workers_charter_pending": Plural(
        "{count} worker has not accepted the current charter",
        "{count} workers have not accepted the current charter",
    ),
    "meeting.section.workers_pending": "Workers who have not accepted the current charter",
    "meeting.count.cases": Plural("{count} case discussed", "{count} cases discussed"),
    "meeting.count.decisions": Plural("{count} decision", "{count} decisions"),
    "meeting.count.measures": Plural("{count} measure decided", "{count} measures decided"),
    "meeting.count.suspended": Plural("{count} case suspended", "{count} cases suspended"),
    "meeting.count.closed": Plural("{count} case closed", "{count} cases closed"),
    "meeting.count.amendments": Plural(
        "{count} amendment after closing", "{count} amendments after closing"
    ),
    "meeting.report_next": Plural(
        "Next meeting of the group: {reference} on {date} ({count} case on its agenda).",
        "Next meeting of the group: {reference} on {date} ({count} cases on its agenda).",
    ),
    # The audit trail
    "action.meeting-new": "meeting created",
    "action.meeting-agenda": "meeting agenda changed",
    "action.meeting-attendee-add": "meeting attendee added",
    "action.meeting-attendee-remove": "meeting attendee removed",
    "action.meeting-close": "meeting closed (minutes hash)",
    "action.meeting-amend": "closed meeting amended",
    "action.institution-add": "institution added",
    "object.meeting": "meeting",
    "object.minutes": "minutes",
    "object.institution": "institution",
}
