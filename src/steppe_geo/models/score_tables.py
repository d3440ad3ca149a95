"""Score tables: lookups by bins (:class:`ScoreTable`) and by class codes (:class:`CategoryTable`).

Applied to numpy arrays or DataArrays (metadata kept). Bins are half-open and contiguous: a value exactly
on a break belongs to the bin *above* it (``breaks[i-1] <= x < breaks[i]``), so no value falls in a gap
and none in two bins. NaN in → NaN out.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import xarray as xr

from steppe_geo.errors import InvalidParameterError

__all__ = [
    "CategoryTable",
    "ScoreTable",
    "apply_lookup",
]


@dataclass(frozen=True)
class ScoreTable:
    """A classed score for a continuous variable: contiguous half-open bins.

    ``scores[i]`` applies to ``breaks[i-1] <= x < breaks[i]`` (``breaks[-1]`` = −∞,
    ``breaks[n]`` = +∞): a value exactly on a break takes the score of the bin above it.

    Attributes
    ----------
    name : str
    breaks : tuple of float
        Strictly increasing.
    scores : tuple of float
        ``len(breaks) + 1`` scores.
    units : str
    source : str
    """

    name: str
    breaks: tuple[float, ...]
    scores: tuple[float, ...]
    units: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        b = tuple(float(v) for v in self.breaks)
        s = tuple(float(v) for v in self.scores)
        object.__setattr__(self, "breaks", b)
        object.__setattr__(self, "scores", s)
        if not all(math.isfinite(v) for v in b + s):
            raise InvalidParameterError(f"{self.name}: breaks and scores must be finite, got {b} and {s}")
        if any(b2 <= b1 for b1, b2 in itertools.pairwise(b)):
            raise InvalidParameterError(f"{self.name}: breaks must be strictly increasing, got {b}")
        if len(s) != len(b) + 1:
            raise InvalidParameterError(
                f"{self.name}: needs len(breaks) + 1 = {len(b) + 1} scores, got {len(s)}: {s}"
            )

    def apply(self, values: Any) -> Any:
        """Score ``values`` (ndarray or DataArray; NaN stays NaN)."""
        arr, wrap = _unwrap(values)
        idx = np.digitize(arr, np.asarray(self.breaks), right=False)
        out = np.asarray(self.scores)[np.clip(idx, 0, len(self.scores) - 1)]
        out = np.where(np.isnan(arr), np.nan, out)
        return wrap(out, f"{self.name}_score", "score")

    def describe(self) -> list[tuple[str, float]]:
        """``[(bin text, score), ...]`` from the lowest bin up, edges written out."""
        b = self.breaks
        rows = [(f"< {b[0]:g}", self.scores[0])]
        rows += [(f"[{lo:g}, {hi:g})", s) for lo, hi, s in zip(b[:-1], b[1:], self.scores[1:-1], strict=True)]
        rows.append((f">= {b[-1]:g}", self.scores[-1]))
        return rows


@dataclass(frozen=True)
class CategoryTable:
    """A score per category code (land cover, soil texture, ...).

    Attributes
    ----------
    name : str
    scores : mapping of int → float
    names : mapping of int → str
        Human-readable class names (for messages and tables).
    source : str
    """

    name: str
    scores: Mapping[int, float]
    names: Mapping[int, str] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        scores = {int(k): float(v) for k, v in self.scores.items()}
        object.__setattr__(self, "scores", MappingProxyType(scores))
        object.__setattr__(self, "names", MappingProxyType({int(k): str(v) for k, v in self.names.items()}))
        if not self.scores:
            raise InvalidParameterError(f"{self.name}: the table has no categories")

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.scores.items()))))

    def with_scores(self, scores: Mapping[Any, float] | None, *, source: str = "") -> CategoryTable:
        """A copy with ``scores`` (code → score) added or replacing entries of this table."""
        if not scores:
            return self
        merged = {**self.scores, **{int(float(k)): float(v) for k, v in scores.items()}}
        codes = sorted(int(float(k)) for k in scores)
        return CategoryTable(self.name, merged, self.names,
                             source or f"{self.source}; codes {codes} set by user")

    def describe(self) -> list[tuple[str, float]]:
        """``[(code and class name, score), ...]`` in code order."""
        return [(f"{k} {self.names.get(k, '')}".strip(), v) for k, v in sorted(self.scores.items())]

    @staticmethod
    def _codes(values: Any, nodata: float | None) -> tuple[np.ndarray, np.ndarray, Any]:
        """(codes as float64, mask of NaN / nodata cells, re-wrapper) of ``values``."""
        arr, wrap = _unwrap(values)
        if nodata is None and isinstance(values, xr.DataArray):
            nodata = values.rio.nodata
        arr = np.asarray(arr, dtype=np.float64)
        invalid = np.isnan(arr)
        if nodata is not None and not np.isnan(nodata):
            invalid |= arr == nodata
        return arr, invalid, wrap

    def unknown_codes(self, values: Any, *, nodata: float | None = None) -> list[int | float]:
        """Codes found in ``values`` (NaN and ``nodata`` aside) that the table does not know."""
        arr, invalid, _ = self._codes(values, nodata)
        return self._unknown(arr, invalid)

    def _unknown(self, arr: np.ndarray, invalid: np.ndarray) -> list[int | float]:
        codes = np.unique(arr[~invalid])
        known = np.fromiter(self.scores.keys(), dtype=np.float64)
        return [int(c) if float(c).is_integer() else float(c) for c in codes[~np.isin(codes, known)]]

    def apply(self, values: Any, *, nodata: float | None = None) -> Any:
        """Score category codes; codes missing from the table raise, NaN / ``nodata`` → NaN.

        Raises
        ------
        InvalidParameterError
            Listing every code found in ``values`` that the table does not know.
        """
        arr, invalid, wrap = self._codes(values, nodata)
        unknown = self._unknown(arr, invalid)
        if unknown:
            raise InvalidParameterError(
                f"{self.name}: codes not in the lookup table: {unknown}. Known codes: {self._known()}. "
                f"Extend it with {self.name.upper()}.with_scores({{{unknown[0]}: <score>}}) (in a model: "
                "the parameter of that table, e.g. fire_risk_scores) or recode the layer."
            )
        out = np.full(arr.shape, np.nan)
        for code, score in self.scores.items():
            out[(arr == code) & ~invalid] = score
        return wrap(out, f"{self.name}_score", "score")

    def _known(self) -> str:
        return ", ".join(f"{k} ({self.names.get(k, '?')})" for k in sorted(self.scores))


def apply_lookup(table: CategoryTable, values: Any, *, layer: str, parameter: str,
                 preset: str = "desertification_esai") -> Any:
    """``table.apply(values)``, with an error naming the input layer and the model parameter to set.

    Raises
    ------
    InvalidParameterError
        Codes of input layer ``layer`` that ``table`` does not know: the message lists them, the
        table, the known codes and how to pass scores for them (model parameter ``parameter``).
    """
    unknown = table.unknown_codes(values)
    if unknown:
        example = ", ".join(f"{c}: <score>" for c in unknown[:3])
        raise InvalidParameterError(
            f"input layer {layer!r} has class codes {unknown} that the {table.name} lookup table does not "
            f"know (known codes: {table._known()}). Give them scores with the model parameter {parameter} "
            f"(code → score, added to the default table): {preset}({parameter}={{{example}}}) or "
            f"model.with_parameters({parameter}={{...}}); in a configuration file under "
            f"[models.<name>.parameters.{parameter}] as \"{unknown[0]}\" = <score>. Or recode the layer."
        )
    return table.apply(values)


def _unwrap(values: Any) -> tuple[np.ndarray, Any]:
    """Float array of ``values`` and a function putting a result back into the same kind of object."""
    if isinstance(values, xr.DataArray):
        arr = np.asarray(values.values, dtype=np.float64)
        nodata = values.rio.nodata
        if nodata is not None and not np.isnan(nodata):
            arr = np.where(arr == nodata, np.nan, arr)

        def wrap(out: np.ndarray, name: str, units: str) -> xr.DataArray:
            da = xr.DataArray(out, dims=values.dims, coords=values.coords, name=name, attrs={"units": units})
            if values.rio.crs is not None:
                da = da.rio.write_crs(values.rio.crs).rio.write_transform(values.rio.transform())
                da = da.rio.write_nodata(np.nan, encoded=False)
            return da

        return arr, wrap
    arr = np.asarray(values, dtype=np.float64)
    return arr, lambda out, name, units: out
