"""Messages of issue 19: passphrase strength, suggestions and the delay after failed unlocks."""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {}
