"""Messages of the interactive working session (issue 18: fieldkit/commands/session.py),
its setting (session_idle_lock) and `unlock` typed without eval."""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {
    "help.session": "Open an interactive working session: the passphrase once, completion, a status line; it locks itself when left idle.",
    "session.needs_terminal": "the interactive session needs a terminal; in a script, run each command on its own (fieldkit COMMAND ...)",
    "session.welcome": "fieldkit session. Tab completes; “case REF” (or “dossier REF”) sets the current case; “help” lists the commands; “quit” or Ctrl-D ends the session and locks.",
    "session.ended": "Session ended: the store is locked.",
    "session.pending_at_end": Plural(
        "{count} change is waiting to sync: it stays in the store, and the next `fieldkit sync` sends it.",
        "{count} changes are waiting to sync: they stay in the store, and the next `fieldkit sync` sends them.",
    ),
    "session.unlock_again": "Passphrase to resume: ",
    "session.unlocked": "Unlocked. The session goes on.",
    "session.locked_idle": Plural(
        "Session locked after {count} minute idle.",
        "Session locked after {count} minutes idle.",
    ),
    "session.unclosed_quote": "a quote is not closed: close it, or leave the text out and type it when asked",
    "session.not_inside": "{command} is not used inside the session (you are in it already)",
    "session.store_changed": "The store was changed by another fieldkit (a new passphrase?): unlock it again.",
    "session.passphrase_changed": "Passphrase changed: the session ends. Open a new one with: fieldkit",
    "session.case_closed": "No current case any more ({case} is closed here only, not on the case).",
    "session.kind_hint": "“{word}” is a kind of follow-up, not a command. To record one: followup add --kind {kind}",
    "session.help_commands": "Everyday commands (the French word, or the command; help COMMAND for its options):",
    "session.case_none": "No current case. To choose one: case REF (Tab lists your cases).",
    "session.case_set": "Current case: {case} ({name}). Commands that take CASE use it when you leave CASE out; “close” forgets it.",
    "session.help": "In the session, type the commands without “fieldkit”: “followup add”, “case list”, “agenda”, “sync”… Words of the session: case REF (or open REF) sets the current case, close forgets it, clear clears the screen, help COMMAND shows a command's help, quit (or Ctrl-D) ends the session and locks. Ctrl-C drops the line being typed.",
    "session.usage_hint": "(help COMMAND shows its help)",
    "session.unknown_sub": "“{word}” is not a command of {group} (help {group} lists them)",
    "session.unknown_sub_close": "“{word}” is not a command of {group}: did you mean “{close}”? (help {group} lists them)",
    "session.status.not_enrolled": "not enrolled",
    "session.status.case": "case {case}",
    "session.status.no_case": "no current case",
    "session.status.pending": Plural("{count} change to sync", "{count} changes to sync"),
    "session.status.conflicts": Plural("{count} conflict", "{count} conflicts"),
    "session.status.last_sync": "last sync {when}",
    "session.status.never_synced": "never synced",
    "session.status.syncing": "syncing…",
    "session.status.online": "online",
    "session.status.offline": "offline",
    "session.news.conflicts": Plural(
        "{count} new conflict: conflicts", "{count} new conflicts: conflicts"
    ),
    "session.news.refused": Plural(
        "{count} change refused: followup list --refused",
        "{count} changes refused: followup list --refused",
    ),
    "session.news.decisions": Plural("{count} decision received", "{count} decisions received"),
    # The setting
    "config.session_idle_lock": "The session now locks itself after {duration} idle.",
    "setting.session_idle_lock": "the session locks itself after {duration} idle",
    "config.bad_duration": "{setting}: expected a duration such as 15m, 1h or 90s, from {low} minute to {high} hours",
    # unlock without eval
    "unlock.not_in_eval": 'fieldkit unlock gives a session to your shell only through eval: eval "$(fieldkit unlock)". To work at this terminal, type fieldkit alone: it opens an interactive session (the passphrase once, completion, a status line).',
}
