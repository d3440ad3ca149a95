"""Typed getters of a TOML table that raise :class:`~steppe_geo.errors.ConfigError` naming the key path."""

from __future__ import annotations

import builtins
import enum
import math
from collections.abc import Iterable, Mapping
from typing import Any

from steppe_geo._deprecation import warn_renamed
from steppe_geo._validation import did_you_mean
from steppe_geo.errors import ConfigError


# ----------------------------------------------------------------------------- checks
class _Checker:
    """Typed getters that raise ConfigError naming the key path."""

    def __init__(self, table: Mapping[str, Any], path: str, allowed: list[str],
                 renamed: Mapping[str, str] | None = None) -> None:
        if not isinstance(table, Mapping):
            raise ConfigError(f"{path}: expected a table, got {_show(table)}")
        table = _renamed_keys(table, path, renamed or {})
        for key in table:
            if key not in allowed:
                raise ConfigError(
                    f"{_join(path, key)}: unknown key{did_you_mean(key, allowed)} "
                    f"Valid keys are: {', '.join(allowed)}."
                )
        self.table = table
        self.path = path

    def key(self, name: str) -> str:
        return _join(self.path, name)

    def has(self, name: str) -> bool:
        return name in self.table

    def str(self, name: str, default: Any = None, *, required: bool = False) -> Any:
        if name not in self.table:
            if required:
                raise ConfigError(f"{self.key(name)}: missing (required)")
            return default
        v = self.table[name]
        if not isinstance(v, str) or not v:
            raise ConfigError(f"{self.key(name)}: expected a non-empty string, got {_show(v)}")
        return v

    def number(self, name: builtins.str, default: Any = None, *, low: float | None = None,
               low_open: bool = False, high: float | None = None) -> Any:
        if name not in self.table:
            return default
        v = self.table[name]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ConfigError(f"{self.key(name)}: expected a number, got {_show(v)}")
        if low is not None and (v <= low if low_open else v < low):
            op = ">" if low_open else ">="
            raise ConfigError(f"{self.key(name)}: must be {op} {low:g}, got {v!r}")
        if high is not None and v > high:
            raise ConfigError(f"{self.key(name)}: must be <= {high:g}, got {v!r}")
        return v

    def integer(self, name: builtins.str, default: Any = None, *, low: int | None = None) -> Any:
        if name not in self.table:
            return default
        v = self.table[name]
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigError(f"{self.key(name)}: expected an integer, got {_show(v)}")
        if low is not None and v < low:
            raise ConfigError(f"{self.key(name)}: must be >= {low}, got {v!r}")
        return v

    def boolean(self, name: builtins.str, default: bool) -> bool:
        if name not in self.table:
            return default
        v = self.table[name]
        if not isinstance(v, bool):
            raise ConfigError(f"{self.key(name)}: expected true or false, got {_show(v)}")
        return v

    def choice(self, name: builtins.str, enum_cls: type[enum.Enum] | Iterable[enum.Enum],
               default: Any = None) -> Any:
        if name not in self.table:
            return default
        return _choice(self.table[name], [str(m.value) for m in enum_cls], self.key(name))

    def choices(self, name: builtins.str, enum_cls: type[enum.Enum], default: tuple[builtins.str, ...]
                ) -> tuple[builtins.str, ...]:
        if name not in self.table:
            return default
        v = self.table[name]
        if not isinstance(v, list):
            raise ConfigError(f"{self.key(name)}: expected a list, got {_show(v)}")
        valid = [str(m.value) for m in enum_cls]
        return tuple(_choice(item, valid, f"{self.key(name)}[{i}]") for i, item in enumerate(v))


def _renamed_keys(table: Mapping[str, Any], path: str, renamed: Mapping[str, str]) -> Mapping[str, Any]:
    """``table`` with deprecated keys (``renamed``: old → new) under their new names, with a warning each.

    Giving both the old and the new key is an error naming both.
    """
    old = [k for k in renamed if k in table]
    if not old:
        return table
    out = dict(table)
    for k in old:
        new = renamed[k]
        if new in table:
            raise ConfigError(
                f"{_join(path, k)}: deprecated name of {_join(path, new)}, which is given too: keep "
                f"{_join(path, new)} only"
            )
        warn_renamed(f"configuration key {_join(path, k)}", _join(path, new), since="0.2.0", stacklevel=5)
        out[new] = out.pop(k)
    return out


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _show(v: Any) -> str:
    return f"{v!r} ({type(v).__name__})"


def _choice(value: Any, valid: list[str], key: str) -> str:
    norm = str(value).strip().lower().replace("_", "-") if isinstance(value, str) else None
    for v in valid:
        if norm == v.lower().replace("_", "-"):
            return v
    raise ConfigError(
        f"{key}: unknown {value!r}{did_you_mean(str(value), valid)} Valid values are: "
        f"{', '.join(repr(v) for v in valid)}."
    )


def _strip_prefix(message: str) -> str:
    """Drop a leading ``param:`` from a library error so the key path can replace it."""
    head, sep, rest = message.partition(": ")
    return rest if sep and " " not in head else message
