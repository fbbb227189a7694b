"""Messages of issue 19: pruning, exporting and verifying the audit trail; the server access log."""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {}
