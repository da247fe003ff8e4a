"""Load `default.toml`, merge a user file over it, and build a checked, frozen `LabConfig`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
import tomllib
import typing
from pathlib import Path
from typing import Any

from configs.errors import ConfigurationError
from configs.schema import LabConfig

__all__ = ["DEFAULT_CONFIG_PATH", "load_config"]

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default.toml")
# A [gate] section that passes everything, for rehearsals (see the file).


def load_config(path: str | Path | None = None, home: Path | None = None) -> LabConfig:
    """The effective configuration: `default.toml`, with the user file at `path` merged over it.

    Unknown keys, wrong types and inconsistent values raise `ConfigurationError` with the key's
    dotted name. Relative paths in the user file are taken relative to that file's folder; the
    defaults' (research.db's neighbours: locks, HALT, logs, backups, charts, data cache)
    relative to the lab's `home` (configs.commands.lab_home), or to the working directory
    without one.
    """
    merged = _read_toml(DEFAULT_CONFIG_PATH)
    if home is not None:
        _resolve_paths(merged, home)
    if path is not None:
        user_path = Path(path)
        user = _read_toml(user_path)
        _resolve_paths(user, user_path.resolve().parent)
        _merge(merged, user, prefix="")
    config = _build(LabConfig, merged, prefix="")
    config.check()
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as e:
        raise ConfigurationError(f"config file {path} does not exist") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigurationError(f"config file {path} is not valid TOML: {e}") from e
    except UnicodeDecodeError as e:
        raise ConfigurationError(
            f"config file {path} is not UTF-8 text (byte {e.start}: {e.reason})"
        ) from e
    except OSError as e:
        raise ConfigurationError(f"config file {path} cannot be read: {e.strerror}") from e


def _merge(base: dict[str, Any], user: dict[str, Any], prefix: str) -> None:
    for key, value in user.items():
        name = f"{prefix}{key}"
        if key not in base:
            raise ConfigurationError(f"{name}: unknown key{_hint(key, base)}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigurationError(f"{name}: expected a table [{name}], got {value!r}")
            _merge(base[key], value, prefix=f"{name}.")
        else:
            base[key] = value


def _resolve_paths(user: dict[str, Any], folder: Path) -> None:
    for section in dataclasses.fields(LabConfig):
        table = user.get(section.name)
        section_type = typing.get_type_hints(LabConfig)[section.name]
        if not isinstance(table, dict):
            continue
        for item in dataclasses.fields(section_type):
            value = table.get(item.name)
            if item.metadata.get("path") and isinstance(value, str) and _is_path(value):
                table[item.name] = str(folder / Path(value).expanduser())


def _is_path(value: str) -> bool:
    # data.source also takes the words "bundled" and "alpaca".
    return value not in ("bundled", "alpaca", "") and not Path(value).expanduser().is_absolute()


def _hint(key: str, known: dict[str, Any]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f" (known keys: {', '.join(sorted(known))})"


def _build(cls: type[Any], table: dict[str, Any], prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for item in dataclasses.fields(cls):
        name = f"{prefix}{item.name}"
        if item.name not in table:
            raise ConfigurationError(f"{name}: missing")
        kind = hints[item.name]
        raw = table[item.name]
        if dataclasses.is_dataclass(kind):
            if not isinstance(raw, dict):
                raise ConfigurationError(f"{name}: expected a table, got {raw!r}")
            values[item.name] = _build(typing.cast(type, kind), raw, prefix=f"{name}.")
        else:
            values[item.name] = _convert(raw, kind, name)
    return cls(**values)


def _convert(raw: Any, kind: Any, name: str) -> Any:
    origin = typing.get_origin(kind)
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        raise ConfigurationError(f"{name}: expected true or false, got {raw!r}")
    if kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        raise ConfigurationError(f"{name}: expected a whole number, got {raw!r}")
    if kind is float:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            if not math.isfinite(raw):
                raise ConfigurationError(f"{name}: expected a finite number, got {raw!r}")
            return float(raw)
        raise ConfigurationError(f"{name}: expected a number, got {raw!r}")
    if kind is str:
        if isinstance(raw, str):
            return raw
        raise ConfigurationError(f"{name}: expected a string, got {raw!r}")
    if kind is dt.date:
        return _date(raw, name)
    if origin is typing.Literal:
        allowed = typing.get_args(kind)
        if raw in allowed:
            return raw
        choices = ", ".join(repr(a) for a in allowed)
        hint = difflib.get_close_matches(str(raw), [str(a) for a in allowed], n=1)
        suffix = f"; did you mean '{hint[0]}'?" if hint else ""
        raise ConfigurationError(f"{name}: expected one of {choices}, got {raw!r}{suffix}")
    if origin is tuple:
        return _tuple(raw, typing.get_args(kind), name)
    raise TypeError(f"{name}: unsupported config type {kind!r}")  # a bug in schema.py


def _tuple(raw: Any, args: tuple[Any, ...], name: str) -> tuple[Any, ...]:
    if not isinstance(raw, list):
        raise ConfigurationError(f"{name}: expected a list, got {raw!r}")
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_convert(v, args[0], f"{name}[{i}]") for i, v in enumerate(raw))
    if len(raw) != len(args):
        raise ConfigurationError(f"{name}: expected a list of {len(args)} values, got {raw!r}")
    return tuple(
        _convert(v, a, f"{name}[{i}]") for i, (v, a) in enumerate(zip(raw, args, strict=True))
    )


def _date(raw: Any, name: str) -> dt.date:
    if isinstance(raw, dt.datetime):
        raise ConfigurationError(f"{name}: expected a date (YYYY-MM-DD), got a time {raw}")
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    raise ConfigurationError(f"{name}: expected a date (YYYY-MM-DD), got {raw!r}")
