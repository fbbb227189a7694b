"""Messages of issue 19: the person's right of access, the free-text reminder."""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {
    # district case export --subject-access, case summary --full
    "help.district_case_export": "Write a case's file out of the district: with --subject-access, everything the district holds about the person (GDPR art. 15).",
    "help.opt.subject_access_export": "The person's whole file: the district's fields, every follow-up with its amendments (the team's texts opened with the recovery sheet), decisions, and who accessed it.",
    "help.opt.access_format": "pdf or json (default: from the file's suffix, else pdf).",
    "help.opt.summary_full": "The person's whole file as this device holds it (right of access): every field, every follow-up with its amendments, decisions, and this device's access history. With --format pdf or --json.",
    "access.what_to_export": "say what to export: --subject-access",
    "access.output_needed": "--subject-access writes to a file: give -o FILE",
    "access.sheet_needed": "--subject-access opens the team's sealed texts: give the recovery sheet with --sheet-file FILE or --sheet -",
    "access.full_format": "--full writes the whole file as a PDF or as JSON: add --format pdf -o FILE, or --json",
    "access.full_since": "--full writes the whole file: it takes no --since",
    "access.written": "The person's file for {ref} is written to {path} (owner-only).",
    "access.hand_over": "Hand it to the person in person, or by a channel that protects it; then delete the file. This export is in the audit log.",
    "detail.word.subject-access": "right of access",
    "detail.generation": Plural(
        "recovery key generation {count}", "recovery key generation {count}"
    ),
    "detail.keys": Plural("{count} case key opened", "{count} case keys opened"),
    "detail.unreadable": Plural("{count} team text not opened", "{count} team texts not opened"),
    "detail.measures": Plural("{count} measure", "{count} measures"),
    # The document
    "access.marking": "Right of access — GDPR article 15",
    "access.title": "Personal file — {ref}",
    "access.holder.district": "Everything the district holds about the person: the fields of the case record, every follow-up as first recorded and each of its amendments (the team's texts opened with the district's recovery sheet), the group's decisions, and who accessed the file and when.",
    "access.holder.device": "What this worker's device holds about the person: the fields of the case record, every follow-up as first recorded and each of its amendments, the group's decisions, and this device's own record of who accessed the file and when. The district holds the full record.",
    "access.rights": "A correction (GDPR article 16) is made by an amendment, which keeps the original text: both are shown here. To ask for a correction, contact the district's data protection officer.",
    "access.sealed_count": Plural(
        "{count} team text could not be opened here and is not shown.",
        "{count} team texts could not be opened here and are not shown.",
    ),
    "access.sealed_text": "[team text sealed: not opened here]",
    "access.lead": "lead",
    "access.section.about": "About this file",
    "access.section.fields": "The case record",
    "access.section.followups": "Follow-ups and their amendments",
    "access.followups_count": Plural(
        "{count} follow-up, oldest first: as first recorded, then each amendment.",
        "{count} follow-ups, oldest first: each as first recorded, then each amendment.",
    ),
    "access.col.texts": "As recorded, then amended",
    "access.original": "As first recorded",
    "access.amendment_by": "Amended by {name}",
    "access.amendment_by_on": "Amended by {name} on {date}",
    "access.withdrawal_by": "Withdrawn by {name}",
    "access.withdrawal_by_on": "Withdrawn by {name} on {date}",
    "access.section.conflicts": "Values written at the same time",
    "access.resolved": "settled since then by the team: the value now is the one in the case's fields above",
    "access.col.kept": "Kept when both were written",
    "access.no_conflicts": "No values were written at the same time.",
    "access.section.accesses": "Who accessed the file, and when",
    "access.accesses_note.district": "From the district's audit log: every view, print, export, change and assignment of the case at the district. Each worker's device keeps its own log.",
    "access.accesses_note.device": "From this device's audit log: every view, print, export and change of the case on this device.",
    "access.no_accesses": "No access recorded.",
    "access.col.when": "When",
    "access.col.who": "Who",
    "access.col.what": "What",
    # followup add, the first time on a device
    "followup.free_text_reminder": "Before you write: the person can read what is written about them (right of access, GDPR article 15). Record facts (what was said, done, seen), not opinions or labels. Health and religion are special-category data (article 9): write them only when the follow-up needs them. This reminder is shown once on this device; the guide says more.",
}
