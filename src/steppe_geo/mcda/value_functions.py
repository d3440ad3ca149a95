"""Value functions: standardise a criterion layer to a 0..1 suitability scale.

Every function is a frozen, validated dataclass that is called like a function on a numpy
array or an :class:`xarray.DataArray` (the result keeps the input's coordinates, CRS and
name).  NaN in gives NaN out; every other output lies in ``[0, 1]``.  ``to_dict()`` /
:func:`value_function_from_dict` round-trip through plain dicts (and so through TOML).

The set follows ArcGIS Pro *Rescale by Function* / *Fuzzy Membership* and TerrSet/IDRISI
*FUZZY*; formulas and sources are in ``docs/mcda.md``.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import xarray as xr

from steppe_geo._validation import check_number, did_you_mean, parse_choice
from steppe_geo.errors import InvalidParameterError

__all__ = [
    "Categorical",
    "Exponential",
    "FuzzyJShaped",
    "FuzzyLinear",
    "FuzzySigmoidal",
    "Gaussian",
    "Identity",
    "Large",
    "Linear",
    "Logarithm",
    "LogisticDecay",
    "LogisticGrowth",
    "MSLarge",
    "MSSmall",
    "Near",
    "PiecewiseLinear",
    "Power",
    "Shape",
    "Small",
    "SymmetricLinear",
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
    return np.clip(t, 0.0, 1.0, out=t)


# ---------------------------------------------------------------------------- ArcGIS set
@dataclass(frozen=True)
class Identity(ValueFunction):
    """Pass-through for layers already on a 0..1 scale (values clipped to [0, 1]); no parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from steppe_geo.mcda import Identity
    >>> Identity()(np.array([-0.5, 0.25, 2.0, np.nan])).tolist()
    [0.0, 0.25, 1.0, nan]
    """

    name: ClassVar[str] = "identity"
    _propagates_nan: ClassVar[bool] = True

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        return x  # apply() clips into a new (or the given) array: the input is never changed


@dataclass(frozen=True)
class Linear(ValueFunction):
    """Linear ramp: 0 at ``low``, 1 at ``high``; ``low > high`` gives a decreasing ramp.

    Parameters
    ----------
    low, high : float
        Criterion values (in the layer's units) mapped to 0 and 1; must differ.

    Examples
    --------
    >>> import numpy as np
    >>> from steppe_geo.mcda import Linear
    >>> print(Linear(low=4.0, high=9.0)(np.array([3.0, 5.0, 9.0, 12.0])))  # m/s
    [0.  0.2 1.  1. ]
    >>> Linear(low=20, high=0)(np.array([5.0])).tolist()  # slope in degrees: flatter is better
    [0.75]
    """

    name: ClassVar[str] = "linear"
    _propagates_nan: ClassVar[bool] = True
    low: float
    high: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", check_number(self.low, param="linear.low"))
        object.__setattr__(self, "high", check_number(self.high, param="linear.high"))
        if self.low == self.high:
            raise InvalidParameterError(f"linear: low and high must differ, got both {self.low!r}")

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        return _ramp(x, self.low, self.high)


@dataclass(frozen=True)
class SymmetricLinear(ValueFunction):
    """Triangle: 0 at ``low`` and ``high``, 1 at the midpoint, linear in between, 0 outside.

    Parameters
    ----------
    low, high : float
        Ends of the triangle (layer units), ``low < high``.
    """

    name: ClassVar[str] = "symmetric_linear"
    _propagates_nan: ClassVar[bool] = True
    low: float
    high: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", check_number(self.low, param="symmetric_linear.low"))
        object.__setattr__(self, "high", check_number(self.high, param="symmetric_linear.high"))
        if not self.low < self.high:
            raise InvalidParameterError(
                f"symmetric_linear: need low < high, got low={self.low!r}, high={self.high!r}"
            )

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        mid, half = (self.low + self.high) / 2, (self.high - self.low) / 2
        return 1.0 - np.abs(x - mid) / half


def _check_midpoint_spread(fn: str, midpoint: float, spread: float, *, positive_mid: bool) -> None:
    if positive_mid and not midpoint > 0:
        raise InvalidParameterError(f"{fn}.midpoint must be > 0, got {midpoint!r}")
    if not spread > 0:
        raise InvalidParameterError(f"{fn}.spread must be > 0, got {spread!r}")


@dataclass(frozen=True)
class Small(ValueFunction):
    """ArcGIS *Small*: ``1 / (1 + (x / midpoint) ** spread)``; small values preferred.

    Defined for ``x >= 0`` (``x <= 0`` gives 1); ``midpoint`` > 0 gets 0.5.

    Parameters
    ----------
    midpoint : float
        Value (layer units, > 0) that gets 0.5 (ArcGIS f2).
    spread : float, default 5.0
        Steepness (> 0; ArcGIS f1).
    """

    name: ClassVar[str] = "small"
    _propagates_nan: ClassVar[bool] = True
    midpoint: float
    spread: float = 5.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "midpoint", check_number(self.midpoint, param="small.midpoint"))
        object.__setattr__(self, "spread", check_number(self.spread, param="small.spread"))
        _check_midpoint_spread("small", self.midpoint, self.spread, positive_mid=True)

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        r = np.maximum(x, 0.0) / self.midpoint
        return 1.0 / (1.0 + r**self.spread)


@dataclass(frozen=True)
class Large(ValueFunction):
    """ArcGIS *Large*: ``1 / (1 + (x / midpoint) ** -spread)``; large values preferred (``x <= 0`` → 0).

    Parameters
    ----------
    midpoint : float
        Value (layer units, > 0) that gets 0.5 (ArcGIS f2).
    spread : float, default 5.0
        Steepness (> 0; ArcGIS f1).
    """

    name: ClassVar[str] = "large"
    midpoint: float
    spread: float = 5.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "midpoint", check_number(self.midpoint, param="large.midpoint"))
        object.__setattr__(self, "spread", check_number(self.spread, param="large.spread"))
        _check_midpoint_spread("large", self.midpoint, self.spread, positive_mid=True)

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        r = np.maximum(x, 0.0) / self.midpoint
        return np.where(r > 0, 1.0 / (1.0 + r ** -self.spread), 0.0)


@dataclass(frozen=True)
class Gaussian(ValueFunction):
    """ArcGIS *Gaussian*: ``exp(-spread * (x - midpoint) ** 2)``; 1 at the midpoint.

    Parameters
    ----------
    midpoint : float
        Ideal value (layer units), which gets 1 (ArcGIS f2).
    spread : float
        Narrowness (> 0, in 1 / units²; ArcGIS f1).
    """

    name: ClassVar[str] = "gaussian"
    _propagates_nan: ClassVar[bool] = True
    midpoint: float
    spread: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "midpoint", check_number(self.midpoint, param="gaussian.midpoint"))
        object.__setattr__(self, "spread", check_number(self.spread, param="gaussian.spread"))
        _check_midpoint_spread("gaussian", self.midpoint, self.spread, positive_mid=False)

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        return np.exp(-self.spread * (x - self.midpoint) ** 2)


@dataclass(frozen=True)
class Near(ValueFunction):
    """ArcGIS *Near*: ``1 / (1 + spread * (x - midpoint) ** 2)``; 1 at the midpoint.

    Parameters
    ----------
    midpoint : float
        Ideal value (layer units), which gets 1 (ArcGIS f2).
    spread : float
        Narrowness (> 0, in 1 / units²; ArcGIS f1).
    """

    name: ClassVar[str] = "near"
    _propagates_nan: ClassVar[bool] = True
    midpoint: float
    spread: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "midpoint", check_number(self.midpoint, param="near.midpoint"))
        object.__setattr__(self, "spread", check_number(self.spread, param="near.spread"))
        _check_midpoint_spread("near", self.midpoint, self.spread, positive_mid=False)

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + self.spread * (x - self.midpoint) ** 2)


@dataclass(frozen=True)
class _MeanStd(ValueFunction):
    mean: float
    std: float
    mean_multiplier: float = 1.0
    std_multiplier: float = 1.0

    def __post_init__(self) -> None:
        for f in ("mean", "std", "mean_multiplier", "std_multiplier"):
            object.__setattr__(self, f, check_number(getattr(self, f), param=f"{self.name}.{f}"))
        if not self.std > 0:
            raise InvalidParameterError(f"{self.name}.std must be > 0, got {self.std!r}")
        if not self.std_multiplier > 0:
            raise InvalidParameterError(
                f"{self.name}.std_multiplier must be > 0, got {self.std_multiplier!r}"
            )

    @classmethod
    def fit(cls, layer: np.ndarray | xr.DataArray, *, mean_multiplier: float = 1.0,
            std_multiplier: float = 1.0) -> _MeanStd:
        """Build the function from the layer's mean and standard deviation (NaN ignored).

        The statistics are frozen into the object, so evaluating window by window gives the
        same answer as on the whole layer.
        """
        values = _decode_nodata(layer) if isinstance(layer, xr.DataArray) else np.asarray(layer, float)
        return cls(mean=float(np.nanmean(values)), std=float(np.nanstd(values)),
                   mean_multiplier=mean_multiplier, std_multiplier=std_multiplier)

    def _core(self, x: np.ndarray) -> np.ndarray:
        am, bs = self.mean_multiplier * self.mean, self.std_multiplier * self.std
        return np.where(x > am, bs / (x - am + bs), 1.0)


@dataclass(frozen=True)
class MSSmall(_MeanStd):
    """ArcGIS *MSSmall*: ``b·s / (x − a·m + b·s)`` for ``x > a·m``, else **1** (ArcGIS prints 0).

    ``m``, ``s`` are the layer's mean and standard deviation (give them, or use
    :meth:`MSSmall.fit`), ``a``/``b`` the multipliers.

    Both ArcGIS Pro pages for this function — *FuzzyMSSmall* (Fuzzy Membership) and
    *TfMSSmall* (Rescale by Function) — print ``u(x) = 0`` for ``x <= a·m``. We return 1
    there: the formula tends to ``b·s / b·s = 1`` as ``x`` falls to ``a·m``, so 0 would make
    the function jump from 1 to 0 at ``a·m`` and give the lowest membership to the smallest
    values — the ones the function prefers ("smaller values having a membership closer to
    1", as the same pages say). With 1 the function is continuous and non-increasing.

    Parameters
    ----------
    mean, std : float
        Mean ``m`` and standard deviation ``s`` (> 0) of the layer, in layer units.
    mean_multiplier : float, default 1.0
        ``a``.
    std_multiplier : float, default 1.0
        ``b`` (> 0).

    Examples
    --------
    >>> import numpy as np
    >>> from steppe_geo.mcda import MSSmall
    >>> f = MSSmall(mean=10.0, std=2.0)
    >>> f(np.array([8.0, 10.0, 12.0])).tolist()  # 12: 2 / (12 - 10 + 2)
    [1.0, 1.0, 0.5]
    """

    name: ClassVar[str] = "ms_small"

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        return self._core(x)


@dataclass(frozen=True)
class MSLarge(_MeanStd):
    """ArcGIS *MSLarge*: ``1 − b·s / (x − a·m + b·s)`` for ``x > a·m``, else 0.

    As the ArcGIS Pro pages *FuzzyMSLarge* and *TfMSLarge* print (``u(x) = 0`` for
    ``x <= a·m``); here the formula tends to ``1 − 1 = 0`` at ``a·m``, so the printed value is
    continuous and we follow it exactly.

    Parameters
    ----------
    mean, std : float
        Mean ``m`` and standard deviation ``s`` (> 0) of the layer, in layer units.
    mean_multiplier : float, default 1.0
        ``a``.
    std_multiplier : float, default 1.0
        ``b`` (> 0).
    """

    name: ClassVar[str] = "ms_large"

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        return 1.0 - self._core(x)


@dataclass(frozen=True)
class LogisticGrowth(ValueFunction):
    """Logistic growth ``1 / (1 + exp(−steepness · (x − midpoint)))`` (increasing).

    Parameters
    ----------
    midpoint : float
        Value (layer units) that gets 0.5.
    steepness : float
        Slope factor (> 0, in 1 / units).
    """

    name: ClassVar[str] = "logistic_growth"
    _propagates_nan: ClassVar[bool] = True
    midpoint: float
    steepness: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "midpoint", check_number(self.midpoint, param=f"{self.name}.midpoint"))
        object.__setattr__(self, "steepness", check_number(self.steepness, param=f"{self.name}.steepness"))
        if not self.steepness > 0:
            raise InvalidParameterError(f"{self.name}.steepness must be > 0, got {self.steepness!r}")

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.steepness * (x - self.midpoint)))


@dataclass(frozen=True)
class LogisticDecay(LogisticGrowth):
    """Logistic decay ``1 / (1 + exp(steepness · (x − midpoint)))`` (decreasing).

    Parameters
    ----------
    midpoint : float
        Value (layer units) that gets 0.5.
    steepness : float
        Slope factor (> 0, in 1 / units).
    """

    name: ClassVar[str] = "logistic_decay"

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(self.steepness * (x - self.midpoint)))


@dataclass(frozen=True)
class _Ranged(ValueFunction):
    low: float
    high: float

    def _check_range(self) -> None:
        object.__setattr__(self, "low", check_number(self.low, param=f"{self.name}.low"))
        object.__setattr__(self, "high", check_number(self.high, param=f"{self.name}.high"))
        if self.low == self.high:
            raise InvalidParameterError(f"{self.name}: low and high must differ, got both {self.low!r}")


@dataclass(frozen=True)
class Exponential(_Ranged):
    """Exponential curve over ``[low, high]``: ``(exp(rate·t) − 1) / (exp(rate) − 1)``, ``t`` = ramp.

    ``rate`` > 0 is convex (slow then fast), < 0 concave; ``low > high`` reverses direction.
    Evaluated without overflow for any finite rate (for ``rate > 0`` as
    ``exp(rate·(t − 1)) · expm1(−rate·t) / expm1(−rate)``).

    Parameters
    ----------
    low, high : float
        Layer values mapped to 0 and 1 (must differ).
    rate : float, default 3.0
        Curvature (non-zero; ``|rate| < 1e-9`` is indistinguishable from linear and refused).
    """

    name: ClassVar[str] = "exponential"
    _propagates_nan: ClassVar[bool] = True
    rate: float = 3.0

    def __post_init__(self) -> None:
        self._check_range()
        object.__setattr__(self, "rate", check_number(self.rate, param="exponential.rate"))
        if abs(self.rate) < 1e-9:
            raise InvalidParameterError(
                f"exponential.rate must be non-zero (|rate| >= 1e-9; use 'linear'), got {self.rate!r}"
            )

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        t = _ramp(x, self.low, self.high)
        r = self.rate
        if r < 0:  # exponents <= 0: no overflow
            return np.expm1(r * t) / math.expm1(r)
        # (e^{rt} − 1)/(e^r − 1) = e^{r(t−1)} (1 − e^{−rt}) / (1 − e^{−r}): no overflow for large r
        return np.exp(r * (t - 1.0)) * (np.expm1(-r * t) / math.expm1(-r))


@dataclass(frozen=True)
class Logarithm(_Ranged):
    """Logarithmic curve over ``[low, high]``: ``log(1 + scale·t) / log(1 + scale)`` (fast then slow).

    Parameters
    ----------
    low, high : float
        Layer values mapped to 0 and 1 (must differ).
    scale : float, default 9.0
        Curvature (> 0; larger is more concave).
    """

    name: ClassVar[str] = "logarithm"
    _propagates_nan: ClassVar[bool] = True
    scale: float = 9.0

    def __post_init__(self) -> None:
        self._check_range()
        object.__setattr__(self, "scale", check_number(self.scale, param="logarithm.scale"))
        if not self.scale > 0:
            raise InvalidParameterError(f"logarithm.scale must be > 0, got {self.scale!r}")

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        t = _ramp(x, self.low, self.high)
        return np.log1p(self.scale * t) / math.log1p(self.scale)


@dataclass(frozen=True)
class Power(_Ranged):
    """Power curve over ``[low, high]``: ``t ** exponent`` with ``t`` the linear ramp.

    Parameters
    ----------
    low, high : float
        Layer values mapped to 0 and 1 (must differ).
    exponent : float, default 2.0
        Power (> 0; > 1 convex, < 1 concave).
    """

    name: ClassVar[str] = "power"
    _propagates_nan: ClassVar[bool] = True
    exponent: float = 2.0

    def __post_init__(self) -> None:
        self._check_range()
        object.__setattr__(self, "exponent", check_number(self.exponent, param="power.exponent"))
        if not self.exponent > 0:
            raise InvalidParameterError(f"power.exponent must be > 0, got {self.exponent!r}")

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        return _ramp(x, self.low, self.high) ** self.exponent


# ---------------------------------------------------------------------------- IDRISI FUZZY
@dataclass(frozen=True)
class _Fuzzy(ValueFunction):
    """Control points ``a <= b <= c <= d``: rise from a to b, plateau to c, fall to d.

    ``shape="increasing"`` needs ``a``, ``b``; ``"decreasing"`` needs ``c``, ``d``;
    ``"symmetric"`` needs all four.

    Parameters
    ----------
    a, b, c, d : float, optional
        Control points in layer units, ``a <= b <= c <= d`` (``a < b`` and ``c < d``); unused
        points for the shape are dropped.
    shape : {"increasing", "decreasing", "symmetric"} or Shape, default "increasing"
    """

    a: float | None = None
    b: float | None = None
    c: float | None = None
    d: float | None = None
    shape: Shape = Shape.INCREASING

    def __post_init__(self) -> None:
        shape = parse_choice(Shape, self.shape, param=f"{self.name}.shape")
        object.__setattr__(self, "shape", shape)
        need = {Shape.INCREASING: "ab", Shape.DECREASING: "cd", Shape.SYMMETRIC: "abcd"}[shape]
        for p in "abcd":
            v = getattr(self, p)
            if p in need:
                if v is None:
                    raise InvalidParameterError(
                        f"{self.name}: shape {shape.value!r} needs control points "
                        f"{', '.join(need)}; {p} is missing"
                    )
                object.__setattr__(self, p, check_number(v, param=f"{self.name}.{p}"))
            elif v is not None:
                object.__setattr__(self, p, None)  # unused points are dropped
        pts = [(p, getattr(self, p)) for p in need]
        for (p0, v0), (p1, v1) in itertools.pairwise(pts):
            if v0 > v1:
                raise InvalidParameterError(
                    f"{self.name}: control points out of order, need a <= b <= c <= d, "
                    f"got {p0}={v0!r} > {p1}={v1!r}"
                )
        if shape is not Shape.DECREASING and self.a == self.b:
            raise InvalidParameterError(f"{self.name}: a and b must differ, got both {self.a!r}")
        if shape is not Shape.INCREASING and self.c == self.d:
            raise InvalidParameterError(f"{self.name}: c and d must differ, got both {self.c!r}")

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        out = np.ones_like(x)
        if self.shape is not Shape.DECREASING:
            out = np.where(x < self.b, self._rise(x), out)
        if self.shape is not Shape.INCREASING:
            out = np.where(x > self.c, self._fall(x), out)
        return out

    def _rise(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fall(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class FuzzySigmoidal(_Fuzzy):
    """IDRISI sigmoidal (cos²).

    Rising ``cos²((1 − t)·π/2)`` with ``t=(x−a)/(b−a)``; falling ``cos²(t·π/2)`` with
    ``t=(x−c)/(d−c)``.

    Parameters
    ----------
    a, b, c, d : float, optional
        Control points in layer units, ``a <= b <= c <= d`` (``a < b`` and ``c < d``):
        ``shape="increasing"`` uses ``a, b``; ``"decreasing"`` ``c, d``; ``"symmetric"`` all four.
    shape : {"increasing", "decreasing", "symmetric"} or Shape, default "increasing"

    Examples
    --------
    >>> import numpy as np
    >>> from steppe_geo.mcda import FuzzySigmoidal
    >>> f = FuzzySigmoidal(a=0, b=10, c=20, d=30, shape="symmetric")
    >>> np.round(f(np.array([0.0, 5.0, 15.0, 25.0, 40.0])), 3).tolist()  # cos²(π/4) = 0.5
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """

    name: ClassVar[str] = "sigmoidal"

    def _rise(self, x: np.ndarray) -> np.ndarray:
        t = np.clip((x - self.a) / (self.b - self.a), 0.0, 1.0)
        return np.cos((1.0 - t) * np.pi / 2) ** 2

    def _fall(self, x: np.ndarray) -> np.ndarray:
        t = np.clip((x - self.c) / (self.d - self.c), 0.0, 1.0)
        return np.cos(t * np.pi / 2) ** 2


@dataclass(frozen=True)
class FuzzyJShaped(_Fuzzy):
    """IDRISI J-shaped.

    Rising ``1/(1 + ((x−b)/(b−a))²)`` for x < b; falling ``1/(1 + ((x−c)/(d−c))²)`` for x > c.

    The membership is 0.5 at ``a`` (and ``d``) and never reaches 0 (IDRISI's definition).

    Parameters
    ----------
    a, b, c, d : float, optional
        Control points in layer units, ``a <= b <= c <= d`` (``a < b`` and ``c < d``):
        ``shape="increasing"`` uses ``a, b``; ``"decreasing"`` ``c, d``; ``"symmetric"`` all four.
    shape : {"increasing", "decreasing", "symmetric"} or Shape, default "increasing"
    """

    name: ClassVar[str] = "j_shaped"

    def _rise(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + ((x - self.b) / (self.b - self.a)) ** 2)

    def _fall(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + ((x - self.c) / (self.d - self.c)) ** 2)


@dataclass(frozen=True)
class FuzzyLinear(_Fuzzy):
    """IDRISI linear: 0 below a, linear to 1 at b, 1 to c, linear to 0 at d.

    Parameters
    ----------
    a, b, c, d : float, optional
        Control points in layer units, ``a <= b <= c <= d`` (``a < b`` and ``c < d``):
        ``shape="increasing"`` uses ``a, b``; ``"decreasing"`` ``c, d``; ``"symmetric"`` all four.
    shape : {"increasing", "decreasing", "symmetric"} or Shape, default "increasing"
    """

    name: ClassVar[str] = "fuzzy_linear"

    def _rise(self, x: np.ndarray) -> np.ndarray:
        return _ramp(x, self.a, self.b)

    def _fall(self, x: np.ndarray) -> np.ndarray:
        return 1.0 - _ramp(x, self.c, self.d)


# ---------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class PiecewiseLinear(ValueFunction):
    """Piecewise-linear table: ``xs`` strictly increasing, ``ys`` in [0, 1]; flat beyond the ends.

    Parameters
    ----------
    xs : sequence of float
        Breakpoints in layer units, strictly increasing, at least 2.
    ys : sequence of float
        Values in ``[0, 1]`` at the breakpoints (same length as ``xs``).

    Examples
    --------
    >>> import numpy as np
    >>> from steppe_geo.mcda import PiecewiseLinear
    >>> f = PiecewiseLinear(xs=(0, 5, 10), ys=(0.0, 0.8, 1.0))
    >>> print(f(np.array([-3.0, 2.5, 7.5, 20.0])))
    [0.  0.4 0.9 1. ]
    """

    name: ClassVar[str] = "piecewise_linear"
    _propagates_nan: ClassVar[bool] = True
    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def __post_init__(self) -> None:
        xs = tuple(check_number(v, param="piecewise_linear.xs") for v in self.xs)
        ys = tuple(check_number(v, param="piecewise_linear.ys") for v in self.ys)
        if len(xs) != len(ys) or len(xs) < 2:
            raise InvalidParameterError(
                f"piecewise_linear: xs and ys need the same length >= 2, got {len(xs)} and {len(ys)}"
            )
        if any(b <= a for a, b in itertools.pairwise(xs)):
            raise InvalidParameterError(f"piecewise_linear.xs must be strictly increasing, got {list(xs)}")
        if any(not 0 <= y <= 1 for y in ys):
            raise InvalidParameterError(f"piecewise_linear.ys must lie within [0, 1], got {list(ys)}")
        object.__setattr__(self, "xs", xs)
        object.__setattr__(self, "ys", ys)

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        return np.interp(x, self.xs, self.ys)


class UnknownCategory(enum.Enum):
    """What a :class:`Categorical` lookup does with a code missing from its table."""

    NAN = "nan"
    ERROR = "error"


@dataclass(frozen=True)
class Categorical(ValueFunction):
    """Lookup table from integer class codes to values in [0, 1].

    Parameters
    ----------
    table : mapping of int to float
        Class code → value. Codes must be integers (``1``, ``"1"``, ``2.0``; ``1.5`` is
        refused); stored as a sorted tuple of pairs (hashable, frozen).
    unknown : {"nan", "error"}, default "error"
        Codes not in the table: ``"error"`` raises InvalidParameterError listing them;
        ``"nan"`` maps them to NaN (nodata). The layer's nodata code is always NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from steppe_geo.mcda import Categorical
    >>> f = Categorical({30: 1.0, 60: 0.8, 80: 0.0}, unknown="nan")  # ESA WorldCover codes
    >>> print(f(np.array([30, 60, 80, 50])))
    [1.  0.8 0.  nan]
    """

    name: ClassVar[str] = "categorical"
    table: Any = field(default=())
    unknown: UnknownCategory = UnknownCategory.ERROR

    def __post_init__(self) -> None:
        items = self.table.items() if isinstance(self.table, Mapping) else self.table
        pairs: list[tuple[int, float]] = []
        for k, v in items:
            code = _integer_code(k, param="categorical.table")
            val = check_number(v, param=f"categorical.table[{code}]")
            if not 0 <= val <= 1:
                raise InvalidParameterError(f"categorical.table[{code}] must lie within [0, 1], got {v!r}")
            pairs.append((code, val))
        if not pairs:
            raise InvalidParameterError("categorical: table is empty")
        object.__setattr__(self, "table", tuple(sorted(pairs)))
        object.__setattr__(self, "unknown", parse_choice(UnknownCategory, self.unknown,
                                                          param="categorical.unknown"))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict; table keys become strings (TOML keys must be strings)."""
        return {"function": self.name, "table": {str(k): v for k, v in self.table},
                "unknown": self.unknown.value}

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        codes = np.array([k for k, _ in self.table], dtype=np.float64)
        vals = np.array([v for _, v in self.table], dtype=np.float64)
        idx = np.clip(np.searchsorted(codes, x), 0, len(codes) - 1)
        hit = codes[idx] == x
        if self.unknown is UnknownCategory.ERROR:
            bad = ~hit & ~np.isnan(x)
            if bad.any():
                # integral codes as ints; others (1.5, inf) as they are, never truncated to a known code
                missing = [int(v) if float(v).is_integer() else float(v) for v in np.unique(x[bad])]
                odd = [v for v in missing if isinstance(v, float)]
                hint = (f"; {odd[0]!r} is not an integer class code: is the layer continuous, or resampled "
                        "with a method that mixes classes (use nearest or mode)?") if odd else ""
                raise InvalidParameterError(
                    f"categorical: class codes {missing} are not in the table "
                    f"(known: {[k for k, _ in self.table]}){hint}; add them or pass unknown='nan'"
                )
        return np.where(hit, vals[idx], np.nan)

    def apply(self, values: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
        """Numpy kernel (unknown codes may give NaN, so no clip-to-0 of NaN); see ``ValueFunction.apply``."""
        v = np.asarray(values, dtype=np.float64)
        if out is None:
            out = np.empty(v.shape, dtype=np.float32)
        np.copyto(out, self._kernel(v), casting="same_kind")
        return out


def _integer_code(value: Any, *, param: str) -> int:
    """An integer class code from an int, an integral float or a string such as ``"30"``."""
    if isinstance(value, bool):
        raise InvalidParameterError(f"{param}: class codes must be integers, got {value!r}")
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise InvalidParameterError(f"{param}: class codes must be integers, got {value!r}") from None
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{param}: class codes must be integers, got {value!r}") from None
    if not math.isfinite(f) or f != int(f):
        raise InvalidParameterError(f"{param}: class codes must be integers, got {value!r}")
    return int(f)


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
