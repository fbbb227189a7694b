"""Messages of issue 19: pruning, exporting and verifying the audit trail; the server access log."""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {
    # Help
    "help.audit_prune": (
        "Remove the audit events older than a day, behind a signed checkpoint from which"
        " `audit verify` still checks the trail. Asks first; --yes in scripts."
    ),
    "help.audit_retention": (
        "Show how long audit events are kept, or set it with --days"
        " (beyond 365 days only with --reason)."
    ),
    "help.opt.audit_before": (
        "Remove the events before this day (00:00 UTC). Default: today less the audit"
        " retention (365 days unless set with `audit retention`)."
    ),
    "help.opt.audit_days": (
        "Keep audit events this many days: 180 to 1095 (more than 365 needs --reason)."
    ),
    "help.opt.audit_reason": "The documented need for keeping audit events more than a year.",
    "help.opt.audit_file": (
        "Verify this export (`district audit export`) instead of this store's trail."
    ),
    "help.opt.audit_public_key": (
        "The district's public key file (`district audit public-key`) to verify the export with."
    ),
    "help.opt.audit_district_file": (
        "The district identity file (`district worker add --to-file`) to verify the export with."
        " Default: the district key this device pinned at enrolment."
    ),
    "help.district_audit": "The district's audit trail: verify, prune, export, retention.",
    "help.district_audit_show": "The district's latest audit events (with --case: every access to one case and its follow-ups), in words.",
    "help.opt.audit_case": "Only the events on this case and its follow-ups: who read, exported or changed the file, and when.",
    "help.district_audit_verify": "Check that no audit event of the district was edited or deleted.",
    "help.district_audit_prune": (
        "Remove the district's audit events older than a day, behind a signed checkpoint."
        " Asks first; --yes in scripts."
    ),
    "help.district_audit_retention": (
        "Show how long the district keeps audit events, or set it with --days"
        " (beyond 365 days only with --reason)."
    ),
    "help.district_audit_export": (
        "Write the audit events as JSON lines signed with the district's key, to keep apart"
        " from the data (owner-only file, audited)."
    ),
    "help.district_audit_public_key": (
        "Print (or write with -o) the district's public key, with which an export is verified."
    ),
    "help.opt.audit_since": "Export the events from this day on. Default: every event kept.",
    "help.opt.audit_output": "The file to write (never over an existing one).",
    "help.opt.key_output": "Write the key to this file rather than print it.",
    "help.opt.log_max_age": (
        "Delete rotated access log files older than this many days. Default: the district's"
        " audit retention."
    ),
    # Verifying
    "auditlog.ok_from_checkpoint": Plural(
        "audit trail intact: chain verified since the checkpoint of {made} ({pruned}); {count} event checked",
        "audit trail intact: chain verified since the checkpoint of {made} ({pruned}); {count} events checked",
    ),
    "auditlog.count.pruned": Plural("{count} event pruned", "{count} events pruned"),
    "auditlog.checkpoint_forged": (
        "the audit checkpoint was altered: its signature is not this store's; the trail"
        " cannot be trusted"
    ),
    "auditlog.checkpoint_bad": "the audit checkpoint is unreadable: it was altered",
    "auditlog.key_without_file": "--public-key and --district-file verify an export: add --file",
    "auditlog.one_key_file": "give --public-key or --district-file, not both",
    "auditlog.no_key": (
        "no district key on this device (not enrolled): give --public-key FILE or"
        " --district-file FILE"
    ),
    "auditlog.bad_key_file": (
        "this file holds no district public key: use the output of `district audit"
        " public-key` or a district identity file"
    ),
    # Pruning
    "auditlog.prune_needs_yes": (
        "removing audit events needs a confirmation: add --yes to run it without a terminal"
    ),
    "auditlog.before_future": "{field}: the day is in the future",
    "auditlog.prune_broken": (
        "the audit trail is broken at event {seq}: nothing pruned, the evidence is kept"
    ),
    "auditlog.prune_range": Plural(
        "{count} audit event before {before} (from {first} to {last})",
        "{count} audit events before {before} (from {first} to {last})",
    ),
    "auditlog.prune_confirm": Plural(
        "Remove this audit event for good?", "Remove these {count} audit events for good?"
    ),
    "auditlog.prune_cancelled": "Nothing removed.",
    "auditlog.prune_none": "No audit event before {before}: nothing to prune.",
    "auditlog.checkpoint_written": (
        "Removed. A checkpoint signed with this store's key keeps the hash of the last one:"
        " `audit verify` checks the trail from it."
    ),
    # Retention
    "auditlog.retention_default": "Audit events are kept {days} days (the default).",
    "auditlog.retention_days": "Audit events are kept {days} days.",
    "auditlog.retention_reason": "Reason: {reason}",
    "auditlog.retention_cnil": (
        "The CNIL recommends 6 months to 1 year for access logs, up to 3 years where a"
        " documented need exists, kept apart from the data."
    ),
    "auditlog.retention_next": "`audit prune` without --before removes the events before {before}.",
    "auditlog.retention_range": "--days: between {low} and {high} days",
    "auditlog.retention_needs_reason": (
        "--days {days}: more than a year needs the documented need, in --reason"
    ),
    "auditlog.reason_without_days": "--reason goes with --days",
    # Exporting
    "auditlog.file_exists": "{path} exists already: give a new file",
    "auditlog.exported": Plural(
        "{count} audit event written to {path} (signed with the district's key).",
        "{count} audit events written to {path} (signed with the district's key).",
    ),
    "auditlog.exported_how": (
        "Keep it apart from the data; `fieldkit audit verify --file FILE --public-key KEY`"
        " checks it with the district's public key alone."
    ),
    "auditlog.key_written": "District public key written to {path}.",
    "auditlog.export_ok": Plural(
        "export intact: {count} audit event of {name}, exported on {exported}",
        "export intact: {count} audit events of {name}, exported on {exported}",
    ),
    "auditlog.export_key": "signed by the key of fingerprint {fingerprint}",
    "auditlog.export_after_prune": Plural(
        "{count} earlier event had been pruned behind a signed checkpoint",
        "{count} earlier events had been pruned behind a signed checkpoint",
    ),
    "auditlog.export_altered": (
        "this audit export was altered (or is not one): its signature does not cover its content"
    ),
    "auditlog.export_other_key": (
        "this audit export was altered or is not signed by this district's key"
    ),
    "auditlog.export_broken": "the audit export's chain is broken at event {seq}",
    # The audit's words
    "action.audit-prune": "audit pruned",
    "action.audit-export": "audit exported",
    "action.audit-retention": "audit retention set",
    "detail.pruned": Plural("{count} event pruned", "{count} events pruned"),
    "detail.events": Plural("{count} event", "{count} events"),
    "detail.days": Plural("{count} day", "{count} days"),
    "detail.word.reason": "with a reason",
    # The server's access log
    "serve.log_pruned": Plural(
        "{count} access log file older than {days} days deleted",
        "{count} access log files older than {days} days deleted",
    ),
}
