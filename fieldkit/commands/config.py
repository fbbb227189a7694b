"""fieldkit config show | set: the worker's settings (fieldkit/config.py)."""

from __future__ import annotations

import typer

from fieldkit.commands.common import console, print_json, state
from fieldkit.i18n import t, t_n

app = typer.Typer(no_args_is_help=True)


@app.command("show", help=t("help.config_show"))
def show(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit import config

    home = state(ctx).home
    values = config.as_dict(config.load(home))
    if as_json:
        print_json(values)
        return
    console().print(t("config.file", path=str(config.path_of(home))), markup=False)
    for key, value in values.items():
        said = _sentence("setting", key, value)
        line = f"{key} = {_shown(key, value)}" + (f"  ({said})" if said else "")
        console().print(line, markup=False)


@app.command("set", help=t("help.config_set"))
def set_(
    ctx: typer.Context,
    key: str = typer.Argument(..., help=t("help.arg.config_key")),
    value: str = typer.Argument(..., help=t("help.arg.config_value")),
    as_json: bool = typer.Option(False, "--json", help=t("help.opt.json")),
) -> None:
    from fieldkit import config

    home = state(ctx).home
    if not home.is_dir():
        from fieldkit.errors import StoreError

        raise StoreError("store.missing", path=str(home))
    updated = config.as_dict(config.set_value(home, key, value))
    if as_json:
        print_json(updated)
        return
    said = _sentence("config", key, updated[key])
    console().print(said or t("config.set", key=key, value=_shown(key, updated[key])), markup=False)


def _sentence(prefix: str, key: str, value: object) -> str:
    """What a setting's value means, in words: « synchronisation automatique activée ».
    Each setting has a message per value (`<prefix>.<key>.on|off`) or a counted one
    (`<prefix>.<key>`); "" for a setting that has none yet."""
    from fieldkit import config
    from fieldkit.i18n import catalogue

    if isinstance(value, bool):
        key = f"{prefix}.{key}.{'on' if value else 'off'}"
        return t(key) if key in catalogue() else ""
    if isinstance(value, int) and key in config.DURATIONS:
        return t(f"{prefix}.{key}", duration=_shown(key, value))
    key = f"{prefix}.{key}"
    if isinstance(value, int) and key in catalogue():
        return t_n(key, value)
    return ""


def _shown(key: str, value: object) -> str:
    from fieldkit import config

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and key in config.DURATIONS:
        return config.shown_duration(value)
    return str(value)
