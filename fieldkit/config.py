"""The worker's settings: `settings.toml` in the home, written by `fieldkit config set`.

Settings are preferences, never secrets and never case data, so the file is plain
TOML (owner-only, like everything in the home). A missing file means the defaults;
a damaged one is a usage error naming the problem, never a traceback and never
silently replaced.

    auto_sync = false          # after a write, try a short sync in the background
    auto_sync_timeout = 20     # seconds that background sync may take, at most
    session_idle_lock = 900    # seconds idle before the interactive session locks itself
                               # (`config set session_idle_lock 15m`)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from fieldkit.errors import InvalidValue, UsageError

FILE_NAME = "settings.toml"
MAX_CONFIG_BYTES = 64 * 1024


@dataclass(frozen=True)
class Config:
    auto_sync: bool = False
    auto_sync_timeout: int = 20
    session_idle_lock: int = 15 * 60


_TRUE = {"true", "on", "yes", "1", "oui", "vrai"}
_FALSE = {"false", "off", "no", "0", "non", "faux"}
# The whole numbers' ranges; a duration is typed with its unit (90s, 15m, 1h) and kept
# in seconds.
_RANGES = {"auto_sync_timeout": (2, 300), "session_idle_lock": (60, 8 * 3600)}
DURATIONS = frozenset({"session_idle_lock"})
_UNITS = {"": 60, "s": 1, "m": 60, "min": 60, "h": 3600}


def path_of(home: Path) -> Path:
    return home / FILE_NAME


def load(home: Path) -> Config:
    path = path_of(home)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except NotADirectoryError:
        from fieldkit.paths import check_home

        check_home(home)
        raise UsageError("config.unreadable", path=str(path)) from None
    except OSError:
        raise UsageError("config.unreadable", path=str(path)) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise UsageError("config.invalid", path=str(path), reason="too large")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        reason = str(exc).splitlines()[0][:120] if isinstance(exc, tomllib.TOMLDecodeError) else ""
        raise UsageError("config.invalid", path=str(path), reason=reason or "not UTF-8") from None
    values: dict[str, Any] = {}
    for key, value in data.items():
        values[key] = _checked(key, value, path)
    return Config(**values)


def set_value(home: Path, key: str, text: str) -> Config:
    """Parse `text` for `key`, write the whole file back, and return the new settings."""
    from dataclasses import replace

    from fieldkit.paths import write_private_file

    current = load(home)
    updated = replace(current, **{key: parse(key, text)})
    write_private_file(path_of(home), dump(updated).encode("utf-8"))
    return updated


def parse(key: str, text: str) -> Any:
    """A value typed at the command line, for `key`."""
    kind = _kind(key)
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise InvalidValue("config.bad_bool", setting=key)
    if key in DURATIONS:
        return _in_range(key, _duration(key, text))
    try:
        return _in_range(key, int(text.strip()))
    except ValueError:
        low, high = _RANGES[key]
        raise InvalidValue("config.bad_int", setting=key, low=low, high=high) from None


def _duration(key: str, text: str) -> int:
    """Seconds from "15m", "90s", "1h", "1h30" or a bare number of minutes ("15")."""
    import re

    match = re.fullmatch(r"\s*(\d+)\s*(s|min|m|h)?\s*(?:(\d+)\s*(?:m|min)?)?\s*", text.lower())
    if match is None or (match.group(3) and match.group(2) != "h"):
        raise _bad_duration(key)
    seconds = int(match.group(1)) * _UNITS[match.group(2) or ""]
    return seconds + int(match.group(3) or 0) * 60


def _bad_duration(key: str) -> InvalidValue:
    low, high = _RANGES[key]
    return InvalidValue("config.bad_duration", setting=key, low=low // 60, high=high // 3600)


def shown_duration(seconds: int) -> str:
    """A duration as a person writes it: 15m, 1h, 1h30, 90s."""
    if seconds % 60:
        return f"{seconds}s"
    hours, minutes = divmod(seconds // 60, 60)
    if not hours:
        return f"{minutes}m"
    return f"{hours}h{minutes:02d}" if minutes else f"{hours}h"


def dump(config: Config) -> str:
    lines = ["# fieldkit settings (fieldkit config set KEY VALUE)"]
    for field in fields(config):
        value = getattr(config, field.name)
        rendered = ("true" if value else "false") if isinstance(value, bool) else str(value)
        lines.append(f"{field.name} = {rendered}")
    return "\n".join(lines) + "\n"


def as_dict(config: Config) -> dict[str, Any]:
    return {field.name: getattr(config, field.name) for field in fields(config)}


def keys() -> list[str]:
    return [field.name for field in fields(Config)]


def _kind(key: str) -> type:
    for field in fields(Config):
        if field.name == key:
            return bool if field.type in (bool, "bool") else int
    raise InvalidValue("config.unknown_key", setting=key, known=", ".join(keys()))


def _checked(key: str, value: Any, path: Path) -> Any:
    try:
        kind = _kind(key)
    except InvalidValue:
        reason = f"unknown setting {key[:40]!r}"
        raise UsageError("config.invalid", path=str(path), reason=reason) from None
    if kind is bool and isinstance(value, bool):
        return value
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return _in_range(key, value)
    raise UsageError("config.invalid", path=str(path), reason=f"wrong type for {key}")


def _in_range(key: str, value: int) -> int:
    low, high = _RANGES[key]
    if not low <= value <= high:
        if key in DURATIONS:
            raise _bad_duration(key)
        raise InvalidValue("config.bad_int", setting=key, low=low, high=high)
    return value
