"""Cheap coercion of plain command-line values, so that parsing options costs no pydantic.

Typer (0.29 and later) turns every option value into its annotated type through a
pydantic TypeAdapter built at first use: importing that machinery and building one
adapter per parameter was a good part of a command's start-up (issue 7). fieldkit's
options are plain `str`, `int`, `bool`, `Path` and `list[str]`; for exactly those, with no
parser, choices, bounds or path checks, this coerces the value directly, as typer
would. Anything else, and any other typer version, goes through typer untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args, get_origin


def install() -> bool:
    """Put the cheap path in front of typer's; False when this typer has no such hook."""
    try:
        from typer import core
        from typer._click.exceptions import BadParameter
        from typer._coercion import RuntimeParam
        from typer._param_types import coerce_cli_path
    except ImportError:
        return False
    parameter = getattr(core, "_TyperParameter", None)
    original = getattr(parameter, "get_runtime_param", None)
    if parameter is None or original is None or getattr(original, "_fieldkit", False):
        return parameter is not None and original is not None

    class _Plain(RuntimeParam):
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            kind = _plain_kind(self.annotation, self.parameter_info)
            if kind == "list":
                items = value if isinstance(value, list | tuple) else [value]
                return [_text(item) for item in items]
            if kind == "int":
                number = _integer(value)
                if number is None:
                    raise BadParameter(f"{value!r} is not a valid integer.", ctx=ctx, param=param)
                return number
            if kind == "bool":
                if isinstance(value, bool):
                    return value
                word = _text(value).strip().lower()
                if word in _TRUE or word in _FALSE:
                    return word in _TRUE
                raise BadParameter(f"{value!r} is not a valid boolean.", ctx=ctx, param=param)
            if kind == "path":
                checked = coerce_cli_path(
                    value, self.parameter_info, path_type=None, param=param, ctx=ctx
                )
                return checked if isinstance(checked, Path) else Path(checked)
            return _text(value)

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            descriptor = self.type_descriptor
            if _plain_kind(descriptor.annotation, descriptor.parameter_info) is not None:
                self._runtime_param = _Plain(
                    parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
                )
        return original(self)

    get_runtime_param._fieldkit = True  # type: ignore[attr-defined]
    parameter.get_runtime_param = get_runtime_param
    return True


def _plain_kind(annotation: Any, info: Any) -> str | None:
    """ "str", "int", "path" or "list" when the value needs no more than a conversion."""
    if getattr(info, "parser", None) is not None:
        return None
    if get_origin(annotation) is list:
        return "list" if get_args(annotation) == (str,) and _no_checks(info) else None
    if annotation is bool:
        return "bool"
    if annotation is str:
        return "str" if _no_checks(info) else None
    if annotation is int:
        return "int" if _no_checks(info) and not getattr(info, "clamp", False) else None
    if annotation is Path:
        plain_path = not (
            getattr(info, "allow_dash", False)
            or getattr(info, "resolve_path", False)
            or getattr(info, "path_type", None) is not None
        )
        return "path" if plain_path else None
    return None


# What typer (through pydantic) accepts for a boolean given as text, e.g. from a variable.
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"", "0", "false", "f", "no", "n", "off"})


def _no_checks(info: Any) -> bool:
    return getattr(info, "min", None) is None and getattr(info, "max", None) is None


def _integer(value: Any) -> int | None:
    """An int from its text; like pydantic, "12" and "12.0" are 12, "12.5" is not an int."""
    if type(value) is int:
        return value
    text = _text(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
