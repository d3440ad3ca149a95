"""Climate criteria: UNEP aridity index and classes, Bagnouls-Gaussen aridity index.

Per pixel (halo :data:`HALO` = 0).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from steppe_geo.criteria._common import as_float, check_dataarray, wrap_like
from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import check_same_grid

__all__ = ["ARIDITY_CLASSES", "BGI_BREAKS", "HALO", "INDEX_ATTR", "aridity_class", "aridity_index",
           "bagnouls_gaussen", "bagnouls_gaussen_class"]

HALO = 0

ARIDITY_CLASSES: tuple[tuple[int, str, float, float], ...] = (
    (1, "hyper-arid", 0.0, 0.05),
    (2, "arid", 0.05, 0.20),
    (3, "semi-arid", 0.20, 0.50),
    (4, "dry sub-humid", 0.50, 0.65),
    (5, "humid", 0.65, np.inf),
)
"""UNEP (1992, World Atlas of Desertification) classes of AI = P/PET: code, label, [low, high)."""

BGI_BREAKS = (50.0, 75.0, 100.0, 125.0, 150.0)
"""Bagnouls-Gaussen index class breaks (Kosmas et al. 1999): classes 1..6, half-open [low, high)."""


INDEX_ATTR = "index"
"""Attribute that tags which climate index a layer holds (checked by the class functions)."""
P_PET = "P/PET"
BGI = "Bagnouls-Gaussen"


def _index_of(da: xr.DataArray) -> str | None:
    """The index a layer holds: its ``attrs["index"]`` tag, else guessed from its name."""
    tag = da.attrs.get(INDEX_ATTR)
    if tag is not None:
        return str(tag)
    name = str(da.name or "").lower()
    if "bagnouls" in name or "bgi" in name.split("_"):
        return BGI
    if "aridity_index" in name or name in ("ai", "p_pet"):
        return P_PET
    return None


def aridity_index(precipitation_mm: xr.DataArray, pet_mm: xr.DataArray) -> xr.DataArray:
    """UNEP aridity index ``AI = P / PET`` (annual totals, same units).

    Parameters
    ----------
    precipitation_mm : DataArray
        Annual precipitation (mm), ("y", "x").
    pet_mm : DataArray
        Annual potential evapotranspiration (mm), same grid.

    Returns
    -------
    DataArray
        ``aridity_index`` (dimensionless), tagged ``attrs["index"] = "P/PET"``; NaN where
        PET <= 0 or an input is NaN.

    Raises
    ------
    GridMismatchError
        If the layers are on different grids.

    Examples
    --------
    >>> import numpy as np, steppe_geo as sg
    >>> grid = sg.Grid(crs="EPSG:32649", transform=(30, 0, 0, 0, -30, 30), shape=(1, 3))
    >>> p = grid.to_dataarray(np.array([[30.0, 300.0, 700.0]]), name="p")
    >>> pet = grid.to_dataarray(np.array([[1000.0, 1000.0, 1000.0]]), name="pet")
    >>> ai = aridity_index(p, pet)
    >>> ai.values.round(6).tolist(), aridity_class(ai).values.tolist()
    ([[0.03, 0.3, 0.7]], [[1, 3, 5]])
    """
    check_dataarray(precipitation_mm, param="precipitation_mm")
    check_dataarray(pet_mm, param="pet_mm")
    check_same_grid({"precipitation_mm": precipitation_mm, "pet_mm": pet_mm})
    p, pet = as_float(precipitation_mm), as_float(pet_mm)
    with np.errstate(invalid="ignore", divide="ignore"):
        ai = np.where(pet > 0, p / pet, np.nan)
    return wrap_like(precipitation_mm, ai, name="aridity_index", units="1", attrs={INDEX_ATTR: P_PET})


def aridity_class(ai: xr.DataArray) -> xr.DataArray:
    """UNEP aridity classes of an :func:`aridity_index` layer (never of another index).

    Parameters
    ----------
    ai : DataArray
        Aridity index P/PET, e.g. from :func:`aridity_index`.

    Returns
    -------
    DataArray
        ``aridity_class`` uint8: 1 hyper-arid (< 0.05), 2 arid (0.05-0.20), 3 semi-arid
        (0.20-0.50), 4 dry sub-humid (0.50-0.65), 5 humid (>= 0.65); 0 = nodata. Bins are
        half-open ``[low, high)``. Labels in ``attrs["classes"]``.

    Raises
    ------
    InvalidParameterError
        If the layer holds another index: tagged ``attrs["index"]`` other than "P/PET" (as
        :func:`bagnouls_gaussen` tags its output, whatever the layer is later named), or untagged
        and named like a Bagnouls-Gaussen layer.
    """
    check_dataarray(ai, param="ai")
    index = _index_of(ai)
    if index is not None and index != P_PET:
        raise InvalidParameterError(
            f"ai: UNEP classes apply only to P/PET, got layer {ai.name!r} holding the {index} index "
            f"(attrs['{INDEX_ATTR}'] = {ai.attrs.get(INDEX_ATTR)!r}); use bagnouls_gaussen_class")
    v = as_float(ai)
    breaks = [c[3] for c in ARIDITY_CLASSES[:-1]]
    cls = (np.digitize(v, breaks) + 1).astype(np.uint8)
    cls[~np.isfinite(v) | (v < 0)] = 0
    out = wrap_like(ai, cls, name="aridity_class", units="1",
                    attrs={"classes": "; ".join(f"{c[0]}={c[1]}" for c in ARIDITY_CLASSES)})
    result: xr.DataArray = out.rio.write_nodata(0, encoded=False)
    return result


def _monthly(da: object, name: str) -> xr.DataArray:
    if not isinstance(da, xr.DataArray) or "month" not in da.dims:
        raise InvalidParameterError(
            f"{name} must be a DataArray with a 'month' dimension, got dims {getattr(da, 'dims', None)}")
    check_dataarray(da, param=name)
    if da.sizes["month"] != 12:
        raise InvalidParameterError(f"{name} must have 12 months, got {da.sizes['month']}")
    return da.transpose("month", "y", "x")


def bagnouls_gaussen(temperature_c: xr.DataArray, precipitation_mm: xr.DataArray, *,
                     dry_fraction: xr.DataArray | None = None) -> xr.DataArray:
    """Bagnouls-Gaussen aridity index ``BGI = Σ (2 t_i - P_i) k_i`` over months with ``2t - P > 0``.

    Parameters
    ----------
    temperature_c : DataArray
        Mean monthly air temperature (°C), dims ("month", "y", "x"), 12 months.
    precipitation_mm : DataArray
        Monthly precipitation (mm), same dims and grid.
    dry_fraction : DataArray, optional
        ``k_i`` in [0, 1]: fraction of each month during which ``2t - P > 0``; 12 months on the
        same grid. Default 1 for every month with ``2t - P > 0`` (monthly data cannot resolve more).

    Returns
    -------
    DataArray
        ``bagnouls_gaussen_index`` ("y", "x"), tagged ``attrs["index"] = "Bagnouls-Gaussen"``.

    Raises
    ------
    InvalidParameterError
        If a layer has no ``month`` dimension or not 12 months, or ``dry_fraction`` is outside [0, 1].
    GridMismatchError
        If the layers (including ``dry_fraction``) are on different grids.

    Examples
    --------
    One dry month (May: 2 × 13 − 25 = 1) and one with 2 × 30 − 50 = 10:

    >>> import numpy as np, steppe_geo as sg
    >>> grid = sg.Grid(crs="EPSG:32649", transform=(30, 0, 0, 0, -30, 30), shape=(1, 1))
    >>> t = np.array([-20, -15, -5, 5, 13, 30, 22, 20, 13, 4, -7, -17], float)[:, None, None]
    >>> p = np.array([2, 3, 5, 10, 25, 50, 90, 80, 30, 10, 4, 2], float)[:, None, None]
    >>> tt = grid.to_dataarray(t, name="t").rename(band="month")
    >>> pp = grid.to_dataarray(p, name="p").rename(band="month")
    >>> float(bagnouls_gaussen(tt, pp).values[0, 0])
    11.0
    """
    t_da = _monthly(temperature_c, "temperature_c")
    p_da = _monthly(precipitation_mm, "precipitation_mm")
    layers = {"temperature_c": t_da, "precipitation_mm": p_da}
    if dry_fraction is not None:
        layers["dry_fraction"] = _monthly(dry_fraction, "dry_fraction")
    check_same_grid(layers)
    t, p = as_float(t_da), as_float(p_da)
    if dry_fraction is None:
        k = np.ones_like(t)
    else:
        k = as_float(layers["dry_fraction"])
        bad = np.isfinite(k) & ((k < 0) | (k > 1))
        if bad.any():
            raise InvalidParameterError(
                f"dry_fraction must be within [0, 1] (a fraction of the month), got {k[bad].flat[0]:g}")
    d = 2.0 * t - p
    bgi = np.where(d > 0, d * k, 0.0).sum(axis=0)
    bgi[np.isnan(d).any(axis=0) | np.isnan(k).any(axis=0)] = np.nan
    ref = t_da.isel(month=0, drop=True)
    return wrap_like(ref, bgi, name="bagnouls_gaussen_index", units="1", attrs={INDEX_ATTR: BGI})


def bagnouls_gaussen_class(bgi: xr.DataArray) -> xr.DataArray:
    """Classes 1..6 of the Bagnouls-Gaussen index: < 50, 50-75, 75-100, 100-125, 125-150, >= 150.

    Parameters
    ----------
    bgi : DataArray
        Bagnouls-Gaussen index, e.g. from :func:`bagnouls_gaussen`.

    Returns
    -------
    DataArray
        ``bagnouls_gaussen_class`` uint8, half-open bins ``[low, high)``; 0 = nodata.

    Raises
    ------
    InvalidParameterError
        If the layer is tagged (``attrs["index"]``) or named as another index, e.g. P/PET.
    """
    check_dataarray(bgi, param="bgi")
    index = _index_of(bgi)
    if index is not None and index != BGI:
        raise InvalidParameterError(
            f"bgi: Bagnouls-Gaussen classes apply only to that index, got layer {bgi.name!r} holding "
            f"the {index} index; use aridity_class")
    v = as_float(bgi)
    cls = (np.digitize(v, BGI_BREAKS) + 1).astype(np.uint8)
    cls[~np.isfinite(v)] = 0
    out: xr.DataArray = wrap_like(bgi, cls, name="bagnouls_gaussen_class", units="1").rio.write_nodata(
        0, encoded=False)
    return out
