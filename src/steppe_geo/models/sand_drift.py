"""Sand drift in models: the ``sand_drift`` criterion of ``pv_sand_control`` and of any other model.

Where the drift potential comes from (:class:`SandDriftSource`): a drift-potential raster given as the
input ``sand_drift_potential`` (VU, e.g. written by ``steppe-geo drift STACK.nc --out dp.tif``), or
the wind speed and direction time series ``wind_speed_series`` / ``wind_direction_series`` (band
stacks on the grid) through the ``drift_potential`` derivation. Either way the criterion reads the
layer ``sand_drift_potential``. See ``docs/drift.md``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from steppe_geo._validation import check_number, parse_choice
from steppe_geo.criteria.drift import DEFAULT_ROUGHNESS_M, THRESHOLD_KN
from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda import Criterion, PiecewiseLinear
from steppe_geo.models.derivations import Derivation
from steppe_geo.models.derivations_drift import SandDriftSource

if TYPE_CHECKING:
    from steppe_geo.models.model import Model

__all__ = [
    "DRIFT_LAYER",
    "DRIFT_SERIES_INPUTS",
    "DRIFT_SOURCE",
    "SandDriftSource",
    "sand_drift_criterion",
    "sand_drift_derivations",
    "with_sand_drift",
]

DRIFT_LAYER = "sand_drift_potential"
"""Layer the ``sand_drift`` criterion reads: an input raster, or derived from the wind series (VU)."""

DRIFT_SERIES_INPUTS = ("wind_speed_series", "wind_direction_series")
"""Inputs of the ``series`` source: wind speed (m/s) and direction (degrees, from) band stacks."""

DRIFT_SOURCE = (
    "Fryberger & Dean (1979), A Study of Global Sand Seas, USGS Prof. Paper 1052, 137–169: DP < 200 VU "
    "low, 200–399 intermediate, ≥ 400 high energy; value 0 at 0 VU rising linearly to 1 at the high-energy "
    "threshold (400 VU). PV rows cut sand transport by 35–88 % depending on the wind angle (Hobq desert "
    "field study, J. Arid Land 2021): the drift crossing east–west rows (dp_across_rows) is what the arrays "
    "can stop (docs/drift.md)"
)


def sand_drift_derivations(
    source: str | SandDriftSource, *, reference_height_m: float = 10.0, quantity: str = "dp_across_rows"
) -> tuple[tuple[str, ...], tuple[Derivation, ...]]:
    """The inputs and derivations a model needs for its drift layer, by source.

    Returns
    -------
    (inputs, derivations)
        ``(("sand_drift_potential",), ())`` for a raster; the two wind series and a ``drift_potential``
        derivation (``quantity``, wind at ``reference_height_m``) for series; nothing for ``"none"``.
    """
    src = parse_choice(SandDriftSource, source, param="sand_drift")
    if src is SandDriftSource.NONE:
        return (), ()
    if src is SandDriftSource.RASTER:
        return (DRIFT_LAYER,), ()
    check_number(reference_height_m, param="drift_reference_height_m")
    return DRIFT_SERIES_INPUTS, (
        Derivation(DRIFT_LAYER, "drift_potential", DRIFT_SERIES_INPUTS,
                   {"reference_height_m": float(reference_height_m), "quantity": quantity,
                    "threshold_kn": THRESHOLD_KN, "roughness_m": DEFAULT_ROUGHNESS_M}),
    )


def sand_drift_criterion(weight: float, *, floor: float = 0.0, high_vu: float = 400.0) -> Criterion:
    """Criterion ``sand_drift``: value ``floor`` at 0 VU rising linearly to 1 at ``high_vu`` and above.

    ``floor`` > 0 keeps calm places above 0 under a weighted product (a 0 there would zero the score).

    Examples
    --------
    >>> c = sand_drift_criterion(0.15)
    >>> c.layer, c.function.xs, c.function.ys
    ('sand_drift_potential', (0.0, 400.0), (0.0, 1.0))
    """
    if not 0.0 <= floor < 1.0:
        raise InvalidParameterError(f"floor must be in [0, 1), got {floor!r}")
    if not high_vu > 0:
        raise InvalidParameterError(f"high_vu must be > 0 VU, got {high_vu!r}")
    return Criterion("sand_drift", PiecewiseLinear((0.0, float(high_vu)), (float(floor), 1.0)), float(weight),
                     DRIFT_LAYER)


def with_sand_drift(model: Model, *, weight: float = 0.15, source: str = "raster", floor: float = 0.0,
                    reference_height_m: float = 10.0, quantity: str = "dp") -> Model:
    """A copy of ``model`` with the ``sand_drift`` criterion (and the inputs and derivation it needs).

    The documented edit that offers sand drift to the desertification and restoration models: drift
    energy as a risk (``quantity="dp"``) — e.g. ``with_sand_drift(restoration_priority(), weight=0.2,
    floor=0.2)`` (a floor because restoration is a weighted product). Other criteria keep their weights
    (the overlay normalises the weights).

    Parameters
    ----------
    model : Model
    weight : float
        Weight of ``sand_drift``.
    source : {"raster", "series"}
        :class:`SandDriftSource`.
    floor : float
        Value at 0 VU (:func:`sand_drift_criterion`).
    reference_height_m : float
        Height of the wind series (m; ``series`` only).
    quantity : {"dp", "rdp", "dp_across_rows"}
        What the ``series`` derivation computes (the raster must hold the same).

    Returns
    -------
    Model

    Raises
    ------
    InvalidParameterError
        ``source="none"``, a model that has a ``sand_drift`` criterion already, bad values.

    Examples
    --------
    >>> from steppe_geo.models import restoration_priority
    >>> m = with_sand_drift(restoration_priority(), weight=0.2, floor=0.2)
    >>> m.criterion_names, "sand_drift_potential" in m.inputs
    (['risk', 'water', 'access', 'value', 'sand_drift'], True)
    """
    if parse_choice(SandDriftSource, source, param="source") is SandDriftSource.NONE:
        raise InvalidParameterError("source: 'none' adds nothing; give 'raster' or 'series'")
    if "sand_drift" in model.criterion_names:
        raise InvalidParameterError(f"model {model.name!r} has a sand_drift criterion already")
    inputs, derivations = sand_drift_derivations(source, reference_height_m=reference_height_m,
                                                 quantity=quantity)
    extended = dataclasses.replace(
        model,
        inputs=(*model.inputs, *(k for k in inputs if k not in model.inputs)),
        derivations=(*model.derivations, *derivations),
    )
    return extended.add_criterion(sand_drift_criterion(weight, floor=floor), source=DRIFT_SOURCE)
