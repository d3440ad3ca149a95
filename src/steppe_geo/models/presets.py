"""The preset registry and the decorator that checks a preset's parameters.

:data:`PRESETS` (name → function returning a :class:`~steppe_geo.models.Model`) and
:func:`preset_factory`, which checks a preset's parameter names and values.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import (
    InvalidParameterError,
)
from steppe_geo.models.parameters import _check_parameters

if TYPE_CHECKING:
    from steppe_geo.models.model import Model

__all__ = [
    "PRESETS",
    "check_preset_parameters",
    "preset_factory",
    "preset_parameter_names",
]


PRESETS: dict[str, Callable[..., Model]] = {}
"""Preset name → function returning the :class:`Model` (names as in the TOML config); filled by
:mod:`steppe_geo.models` when it imports the presets, so that this module need not import them."""


def preset_parameter_names(factory: Callable[..., Any]) -> tuple[str, ...]:
    """Keyword parameters a preset function takes."""
    return tuple(
        p.name for p in inspect.signature(factory).parameters.values() if p.kind is p.KEYWORD_ONLY
    )


def check_preset_parameters(preset: str, parameters: Mapping[str, Any], valid: Sequence[str]) -> None:
    """Raise :class:`InvalidParameterError` for a parameter name ``preset`` does not take."""
    unknown = [k for k in parameters if k not in valid]
    if unknown:
        raise InvalidParameterError(
            f"preset {preset!r}: unknown parameter {unknown[0]!r}{did_you_mean(unknown[0], valid) or '.'} "
            f"Parameters are: {', '.join(valid)}."
        )


def preset_factory(func: Callable[..., Model]) -> Callable[..., Model]:
    """Mark a preset function: unknown keyword parameters raise with a did-you-mean hint.

    The function must take keyword-only parameters and record each of them (normalised) in the
    model's ``parameters`` with ``preset=<its name>``, so that ``f(**f().parameters) == f()``.
    """
    names = preset_parameter_names(func)

    @functools.wraps(func)
    def build(**parameters: Any) -> Model:
        check_preset_parameters(func.__name__, parameters, names)
        # ranges and choices first, so that the error names the parameter, not what it feeds
        _check_parameters({k: v for k, v in parameters.items() if v is not None}, func.__name__)
        return func(**parameters)

    return build

