"""Messages of issue 19: the person's right of access, the free-text reminder."""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {}
