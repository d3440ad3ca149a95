"""Value functions: the base class, the name registry and the readers by name and from dicts.

Every function is a frozen, validated dataclass that is called like a function on a numpy
array or an :class:`xarray.DataArray` (the result keeps the input's coordinates, CRS and
name).  NaN in gives NaN out; every other output lies in ``[0, 1]``.  ``to_dict()`` /
:func:`value_function_from_dict` round-trip through plain dicts (and so through TOML).

The shapes are subclasses in :mod:`~steppe_geo.mcda.value_curves` (ArcGIS *Rescale by Function*),
:mod:`~steppe_geo.mcda.value_fuzzy` (TerrSet/IDRISI *FUZZY*) and :mod:`~steppe_geo.mcda.value_tables`
(piecewise linear, categorical); each registers its name on definition. Import them all from
:mod:`steppe_geo.mcda.value_functions`. Formulas and sources are in ``docs/mcda.md``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
import xarray as xr

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import InvalidParameterError

__all__ = [
    "Shape",
    "ValueFunction",
    "decode_nodata",
    "value_function",
    "value_function_from_dict",
    "value_function_names",
]

_REGISTRY: dict[str, type[ValueFunction]] = {}


class Shape(enum.Enum):
    """Shape of an IDRISI-style fuzzy membership function."""

    INCREASING = "increasing"
    DECREASING = "decreasing"
    SYMMETRIC = "symmetric"


@dataclass(frozen=True)
class ValueFunction:
    """Base class: a frozen, serialisable map from criterion values to ``[0, 1]``.

    Subclasses implement ``_kernel(x)`` on a float array without NaN handling; the base
    class propagates NaN, clips to ``[0, 1]`` and re-attaches DataArray metadata. Build one by
    class, or by name with :func:`value_function`; the parameters are the subclasses'.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    _propagates_nan: ClassVar[bool] = False  # the kernel alone gives NaN for NaN (no mask needed)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            _REGISTRY[cls.name] = cls

    # -- evaluation -------------------------------------------------------------------
    def __call__(self, x: np.ndarray | xr.DataArray) -> np.ndarray | xr.DataArray:
        """Standardise ``x``; returns float32 of the same shape (DataArray in → DataArray out).

        A DataArray's declared nodata (``.rio.nodata``, any dtype) becomes NaN first.

        Raises
        ------
        InvalidParameterError
            If the values are not real numbers (text, complex, objects).
        """
        kind = x.dtype.kind if isinstance(x, xr.DataArray) else np.asarray(x).dtype.kind
        if kind not in "biuf":
            dtype = x.dtype if isinstance(x, xr.DataArray) else np.asarray(x).dtype
            raise InvalidParameterError(
                f"{self.name}: values must be real numbers (bool, integer or float), got dtype {dtype}"
                f"{f' (layer {x.name!r})' if isinstance(x, xr.DataArray) and x.name else ''}"
            )
        if isinstance(x, xr.DataArray):
            values = _decode_nodata(x)
            out = self.apply(values)
            da = x.copy(data=out)
            da.attrs = {k: v for k, v in x.attrs.items() if k not in ("units", "_FillValue")}
            da.attrs["units"] = "1"
            da.attrs["value_function"] = self.label()
            if da.rio.crs is not None:
                da = da.rio.write_nodata(np.nan, encoded=False)
            return da
        return self.apply(np.asarray(x))

    def apply(self, values: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
        """Numpy kernel: float32 result, NaN where the input is NaN.

        Computed element-wise in float32 for float32 input and in float64 otherwise, so a
        pixel's value never depends on how the grid is cut into windows.

        Parameters
        ----------
        values : ndarray
            Criterion values (nodata already NaN).
        out : float32 ndarray of the same shape, optional
            Written in place and returned (saves a copy when filling a criteria stack).

        Returns
        -------
        float32 ndarray
        """
        v = np.asarray(values)
        if v.dtype != np.float32:
            v = v.astype(np.float64)
        if out is None:
            out = np.empty(v.shape, dtype=np.float32)
        with np.errstate(all="ignore"):
            np.clip(self._kernel(v), 0.0, 1.0, out=out, casting="same_kind")
        if not self._propagates_nan:
            nan = np.isnan(v)
            if nan.any():
                out[nan] = np.nan
        return out

    def _kernel(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain dict ``{"function": name, **parameters}`` (TOML-friendly)."""
        d: dict[str, Any] = {"function": self.name}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:  # TOML has no null; None means "unused control point"
                d[f.name] = _plain(value)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValueFunction:
        """Inverse of :meth:`to_dict` (dispatches on the ``"function"`` key)."""
        return value_function_from_dict(data)

    def label(self) -> str:
        """Short human-readable description, e.g. ``"linear(low=0, high=10)"``."""
        params = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "function")
        return f"{self.name}({params})"


def _plain(v: Any) -> Any:
    if isinstance(v, enum.Enum):
        return v.value
    if isinstance(v, tuple):
        return [_plain(i) for i in v]
    return v


def decode_nodata(values: np.ndarray, nodata: Any, *, copy: bool = True) -> np.ndarray:
    """Values as floats with the declared ``nodata`` replaced by NaN, for any dtype.

    Parameters
    ----------
    values : ndarray
        Layer values (float, integer or bool).
    nodata : number or None
        Declared nodata (e.g. ``DataArray.rio.nodata`` or a GeoTIFF's nodata); None or NaN
        means nothing to decode. A value the dtype cannot hold matches no pixel.
    copy : bool, default True
        False allows a float array to be changed in place (for arrays read fresh from a file).

    Returns
    -------
    ndarray of float
        Float input keeps its dtype and is returned as is when no pixel holds ``nodata``;
        integer and bool input becomes float64.

    Examples
    --------
    >>> import numpy as np
    >>> from steppe_geo.mcda import decode_nodata
    >>> decode_nodata(np.array([1.5, -9999.0]), -9999).tolist()
    [1.5, nan]
    >>> decode_nodata(np.array([3, 255], dtype=np.uint8), 255).tolist()
    [3.0, nan]
    """
    v = np.asarray(values)
    if not np.issubdtype(v.dtype, np.floating):
        v, copy = v.astype(np.float64), False
    if nodata is None:
        return v
    nd = float(nodata)
    if math.isnan(nd) or (math.isfinite(nd) and abs(nd) > np.finfo(v.dtype).max):
        return v
    hit = v == v.dtype.type(nd)
    if hit.any():
        if copy:
            v = v.copy()
        v[hit] = np.nan
    return v


def _decode_nodata(da: xr.DataArray) -> np.ndarray:
    return decode_nodata(np.asarray(da.values), da.rio.nodata)


def _ramp(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """0 at ``low``, 1 at ``high`` (either order), linear and clipped in between."""
    t = np.subtract(x, low)
    t /= high - low
    out: np.ndarray = np.clip(t, 0.0, 1.0, out=t)
    return out


# ---------------------------------------------------------------------------- factory
def value_function_names() -> list[str]:
    """Registered value-function names, sorted."""
    return sorted(_REGISTRY)


def _lookup(name: str, *, param: str = "function") -> type[ValueFunction]:
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    if key in _REGISTRY:
        return _REGISTRY[key]
    valid = value_function_names()
    raise InvalidParameterError(
        f"{param}: unknown value function {name!r}{did_you_mean(key, valid)} "
        f"Valid names are: {', '.join(valid)}."
    )


def value_function(name: str, **params: Any) -> ValueFunction:
    """Build a value function by name, e.g. ``value_function("linear", low=0, high=30)``.

    Parameters
    ----------
    name : str
        One of :func:`value_function_names` (case-insensitive; ``-`` or space for ``_``).
    **params
        The function's parameters.

    Returns
    -------
    ValueFunction

    Raises
    ------
    InvalidParameterError
        If ``name`` is unknown (the message lists valid names and suggests the closest) or
        a parameter is missing, unknown or out of range.

    Examples
    --------
    >>> from steppe_geo.mcda import value_function
    >>> value_function("gaussian", midpoint=6.0, spread=0.1)
    Gaussian(midpoint=6.0, spread=0.1)
    >>> value_function("gausian", midpoint=6.0, spread=0.1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steppe_geo.errors.InvalidParameterError: function: unknown value function 'gausian'; did you ...
    """
    cls = _lookup(name)
    valid = [f.name for f in fields(cls)]
    unknown = [k for k in params if k not in valid]
    if unknown:
        raise InvalidParameterError(
            f"{cls.name}: unknown parameter(s) {unknown}{did_you_mean(unknown[0], valid)} "
            f"Valid parameters are: {', '.join(valid)}."
        )
    try:
        return cls(**params)
    except TypeError as exc:
        raise InvalidParameterError(f"{cls.name}: {exc}; parameters are {', '.join(valid)}") from None


def value_function_from_dict(data: Mapping[str, Any]) -> ValueFunction:
    """Inverse of :meth:`ValueFunction.to_dict`.

    Parameters
    ----------
    data : mapping
        ``{"function": name, **parameters}``, e.g. from a TOML table.

    Returns
    -------
    ValueFunction

    Raises
    ------
    InvalidParameterError
        No ``"function"`` key, an unknown name (valid names listed) or bad parameters.

    Examples
    --------
    >>> from steppe_geo.mcda import Linear, value_function_from_dict
    >>> value_function_from_dict({"function": "linear", "low": 4.0, "high": 9.0}) == Linear(4.0, 9.0)
    True
    """
    data = dict(data)
    if "function" not in data:
        raise InvalidParameterError(f"value function dict needs a 'function' key, got keys {sorted(data)}")
    name = data.pop("function")
    for k in ("xs", "ys"):
        if k in data:
            data[k] = tuple(data[k])
    return value_function(name, **data)
