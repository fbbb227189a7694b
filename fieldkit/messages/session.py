"""Messages of the interactive working session (issue 18: fieldkit/commands/session.py)."""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {}
