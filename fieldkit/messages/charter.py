"""Messages of the confidentiality charter: its versions at the district, the offer at
sync, a worker's acceptance, the charter column of `district worker list` (issue 17)."""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {
    # The district's charter (fieldkit/district/charter.py)
    "charter.bad_version": "charter version '{version}': use 1 to 40 letters, digits, dots, dashes or underscores, starting with a letter or a digit (e.g. 2026-1)",
    "charter.empty": "the charter's file is empty: nothing to set",
    "charter.too_long": "the charter's file is longer than {limit} KiB: is it the right file?",
    "charter.not_text": "the charter's file is not UTF-8 text: save it as Markdown or plain text (UTF-8)",
    "charter.version_taken": "charter version {version} was already set with another text: give the new text a new version",
    "charter.same_text": "this text is already the charter's version {version}",
    "charter.other_worker": "the charter acceptance is signed for another worker",
    "charter.unknown_text": "the charter acceptance names a text the district never set as that version",
    "charter.bad_signature": "the charter acceptance's signature does not verify with the worker's key",
    "charter.no_such_version": "the district has no charter version {version}",
    "charter.none": "No confidentiality charter is set yet (fieldkit district charter set FILE --version V).",
    "action.charter-set": "charter set",
    "action.charter-accept": "charter accepted",
    "object.charter": "charter",
    # `district charter set|show`
    "charter.set_done": "Confidentiality charter version {version} set (sha256 {sha256}). Each enrolled worker is offered it at their next sync.",
    "charter.show.version": "Charter version",
    "charter.show.sha256": "SHA-256 of the text accepted (the value --accept-charter expects):",
    "charter.show.set_at": "Set on",
    "charter.show.current": "current",
    "charter.show.accepted": Plural(
        "{count} worker accepted it",
        "{count} workers accepted it",
    ),
    "charter.show.pending": Plural(
        "{count} worker has not accepted it yet",
        "{count} workers have not accepted it yet",
    ),
    "charter.show.text": "Text",
    "help.district_charter": "The confidentiality charter workers accept: set a version, show it.",
    "help.district_charter_set": "Set the charter's text (a Markdown or plain-text UTF-8 file) as a new version, made current.",
    "help.district_charter_show": "Show the charter's text, its SHA-256, and how many workers accepted it.",
    "metavar.charter_file": "FILE",
    "help.opt.charter_file": "The charter's text: a Markdown or plain-text file, UTF-8.",
    "help.opt.charter_version": "The version's name (e.g. 2026-1); a version is never reused for another text.",
    "help.opt.charter_show_version": "Show this version rather than the current one.",
    # The worker's side: offer at sync, show, accept
    "charter.offered": "New confidentiality charter (version {version}): read it with `fieldkit charter show` and accept it with `fieldkit charter accept`.",
    "charter.status_pending": "Confidentiality charter version {version} waits for your acceptance: `fieldkit charter show`, then `fieldkit charter accept`.",
    "charter.status_queued": "Your acceptance of the confidentiality charter (version {version}) leaves at the next sync.",
    "charter.none_offered": "The district has not offered you a charter to accept.",
    "charter.already_accepted": "You have already accepted the charter version {version}; it leaves at the next sync.",
    "charter.type_to_accept": 'To accept this charter, type "{phrase}" (anything else: not accepted)',
    "charter.accept_phrase": "I accept",
    "charter.not_accepted": "charter not accepted: nothing changed",
    "charter.wrong_hash": "--accept-charter names another text than the charter offered (sha256 {sha256}): read it with `fieldkit charter show`",
    "charter.needs_hash": "not at a terminal: accept with --accept-charter SHA256, the sha256 shown by `fieldkit charter show`",
    "charter.accepted": "Charter version {version} accepted; your acceptance leaves at the next sync.",
    "charter.refused_at_sync": "The district refused your charter acceptance: {reason}. Accept it again with `fieldkit charter accept`.",
    "help.charter": "The confidentiality charter the district offers you: show it, accept it.",
    "help.charter_show": "Show the confidentiality charter the district offered you.",
    "help.charter_accept": "Accept the confidentiality charter offered (signed with this device's key, sent at the next sync).",
    "help.opt.accept_charter": "Accept without a prompt the text with this SHA-256 (as shown by `fieldkit charter show`).",
    "status.charter": "Confidentiality charter",
    "charter.status.none": "none offered",
    "charter.status.pending": "version {version} waits for your acceptance (fieldkit charter show)",
    "charter.status.queued": "version {version} accepted, leaves at the next sync",
    "charter.status.accepted": "version {version} accepted",
    # `district worker list`
    "worker.col.charter": "Charter",
    "worker.charter_pending": "charter pending",
}
