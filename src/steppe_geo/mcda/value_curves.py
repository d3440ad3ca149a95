"""The ArcGIS *Rescale by Function* value curves.

Linear, symmetric linear, small/large, Gaussian, near, MS small/large, logistic growth/decay,
exponential, logarithm and power.

Each is a :class:`~steppe_geo.mcda.value_base.ValueFunction` subclass, registered by name on definition;
formulas and sources are in ``docs/mcda.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr

from steppe_geo._validation import check_number
from steppe_geo.errors import InvalidParameterError
from steppe_geo.mcda.value_base import ValueFunction, _decode_nodata, _ramp


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
class _Ranged(ValueFunction):
    """The curves over ``[low, high]`` (layer values mapped to 0 and 1, which must differ).

    Linear, exponential, logarithm and power; their ``__post_init__`` calls :meth:`_check_range`.
    """

    low: float
    high: float

    def _check_range(self) -> None:
        object.__setattr__(self, "low", check_number(self.low, param=f"{self.name}.low"))
        object.__setattr__(self, "high", check_number(self.high, param=f"{self.name}.high"))
        if self.low == self.high:
            raise InvalidParameterError(f"{self.name}: low and high must differ, got both {self.low!r}")


@dataclass(frozen=True)
class Linear(_Ranged):
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

    def __post_init__(self) -> None:
        self._check_range()

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


@dataclass(frozen=True)
class _MidpointSpread(ValueFunction):
    """The curves of a ``midpoint`` (ArcGIS f2) and a ``spread`` (f1, > 0): Small, Large, Gaussian, Near.

    Both are checked numbers; ``midpoint`` must also be > 0 where the curve divides by it
    (``_positive_midpoint``).
    """

    _positive_midpoint: ClassVar[bool] = False
    midpoint: float
    spread: float

    def __post_init__(self) -> None:
        fn = self.name
        object.__setattr__(self, "midpoint", check_number(self.midpoint, param=f"{fn}.midpoint"))
        object.__setattr__(self, "spread", check_number(self.spread, param=f"{fn}.spread"))
        if self._positive_midpoint and not self.midpoint > 0:
            raise InvalidParameterError(f"{fn}.midpoint must be > 0, got {self.midpoint!r}")
        if not self.spread > 0:
            raise InvalidParameterError(f"{fn}.spread must be > 0, got {self.spread!r}")


@dataclass(frozen=True)
class Small(_MidpointSpread):
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
    _positive_midpoint: ClassVar[bool] = True
    spread: float = 5.0

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        r = np.maximum(x, 0.0) / self.midpoint
        out: np.ndarray = 1.0 / (1.0 + r**self.spread)
        return out


@dataclass(frozen=True)
class Large(_MidpointSpread):
    """ArcGIS *Large*: ``1 / (1 + (x / midpoint) ** -spread)``; large values preferred (``x <= 0`` → 0).

    Parameters
    ----------
    midpoint : float
        Value (layer units, > 0) that gets 0.5 (ArcGIS f2).
    spread : float, default 5.0
        Steepness (> 0; ArcGIS f1).
    """

    name: ClassVar[str] = "large"
    _positive_midpoint: ClassVar[bool] = True
    spread: float = 5.0

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        r = np.maximum(x, 0.0) / self.midpoint
        return np.where(r > 0, 1.0 / (1.0 + r ** -self.spread), 0.0)


@dataclass(frozen=True)
class Gaussian(_MidpointSpread):
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

    def _kernel(self, x: np.ndarray) -> np.ndarray:
        return np.exp(-self.spread * (x - self.midpoint) ** 2)


@dataclass(frozen=True)
class Near(_MidpointSpread):
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
