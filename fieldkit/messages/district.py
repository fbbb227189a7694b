"""Messages of the district area: key -> (English, French)."""

MESSAGES: dict[str, tuple[str, str]] = {}
