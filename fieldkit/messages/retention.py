"""Messages of issue 19: the district's retention rules, the archive, anonymisation."""

from fieldkit.messages.plural import Plural

MESSAGES: dict[str, str | Plural] = {}
