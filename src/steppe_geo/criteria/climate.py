"""Climate criteria: UNEP aridity index and classes, Bagnouls-Gaussen aridity index.

Per pixel (halo :data:`HALO` = 0).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from steppe_geo._validation import check_same_grid
from steppe_geo.criteria._common import as_float, check_dataarray, wrap_like
from steppe_geo.errors import InvalidParameterError

__all__ = ["ARIDITY_CLASSES", "BGI_BREAKS", "HALO", "aridity_class", "aridity_index", "bagnouls_gaussen",
           "bagnouls_gaussen_class"]

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


def aridity_index(precipitation_mm: xr.DataArray, pet_mm: xr.DataArray) -> xr.DataArray:
    """UNEP aridity index ``AI = P / PET`` (annual totals, same units).

    Returns
    -------
    DataArray ``aridity_index`` (dimensionless); NaN where PET <= 0 or an input is NaN.

    Raises
    ------
    GridMismatchError
        If the layers are on different grids.
    """
    check_dataarray(precipitation_mm, param="precipitation_mm")
    check_dataarray(pet_mm, param="pet_mm")
    check_same_grid({"precipitation_mm": precipitation_mm, "pet_mm": pet_mm})
    p, pet = as_float(precipitation_mm), as_float(pet_mm)
    with np.errstate(invalid="ignore", divide="ignore"):
        ai = np.where(pet > 0, p / pet, np.nan)
    return wrap_like(precipitation_mm, ai, name="aridity_index", units="1")


def aridity_class(ai: xr.DataArray) -> xr.DataArray:
    """UNEP aridity classes of an :func:`aridity_index` layer (never of another index).

    Returns
    -------
    DataArray ``aridity_class`` uint8: 1 hyper-arid (< 0.05), 2 arid (0.05-0.20), 3 semi-arid
    (0.20-0.50), 4 dry sub-humid (0.50-0.65), 5 humid (>= 0.65); 0 = nodata. Bins are half-open
    ``[low, high)``. Labels in ``attrs["classes"]``.

    Raises
    ------
    InvalidParameterError
        If the layer is named as another index (e.g. a Bagnouls-Gaussen layer).
    """
    check_dataarray(ai, param="ai")
    if ai.name not in (None, "aridity_index") and "bagnouls" in str(ai.name).lower():
        raise InvalidParameterError(
            f"ai: UNEP classes apply only to P/PET, got layer {ai.name!r}; use bagnouls_gaussen_class")
    v = as_float(ai)
    breaks = [c[3] for c in ARIDITY_CLASSES[:-1]]
    cls = (np.digitize(v, breaks) + 1).astype(np.uint8)
    cls[~np.isfinite(v) | (v < 0)] = 0
    out = wrap_like(ai, cls, name="aridity_class", units="1",
                    attrs={"classes": "; ".join(f"{c[0]}={c[1]}" for c in ARIDITY_CLASSES)})
    return out.rio.write_nodata(0, encoded=False)


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
        ``k_i``: fraction of each month during which ``2t - P > 0``; default 1 for every month
        with ``2t - P > 0`` (monthly data cannot resolve more).

    Returns
    -------
    DataArray ``bagnouls_gaussen_index`` ("y", "x").

    Raises
    ------
    InvalidParameterError
        If a layer has no ``month`` dimension.
    GridMismatchError
        If the layers are on different grids.
    """
    for name, da in (("temperature_c", temperature_c), ("precipitation_mm", precipitation_mm)):
        if not isinstance(da, xr.DataArray) or "month" not in da.dims:
            raise InvalidParameterError(
                f"{name} must be a DataArray with a 'month' dimension, got dims {getattr(da, 'dims', None)}")
        check_dataarray(da, param=name)
    check_same_grid({"temperature_c": temperature_c, "precipitation_mm": precipitation_mm})
    t = as_float(temperature_c.transpose("month", "y", "x"))
    p = as_float(precipitation_mm.transpose("month", "y", "x"))
    k = np.ones_like(t) if dry_fraction is None else as_float(dry_fraction.transpose("month", "y", "x"))
    d = 2.0 * t - p
    bgi = np.where(d > 0, d * k, 0.0).sum(axis=0)
    bgi[np.isnan(d).any(axis=0)] = np.nan
    ref = temperature_c.isel(month=0, drop=True)
    return wrap_like(ref, bgi, name="bagnouls_gaussen_index", units="1")


def bagnouls_gaussen_class(bgi: xr.DataArray) -> xr.DataArray:
    """Classes 1..6 of the Bagnouls-Gaussen index: < 50, 50-75, 75-100, 100-125, 125-150, >= 150.

    Half-open bins ``[low, high)``; 0 = nodata.
    """
    check_dataarray(bgi, param="bgi")
    v = as_float(bgi)
    cls = (np.digitize(v, BGI_BREAKS) + 1).astype(np.uint8)
    cls[~np.isfinite(v)] = 0
    return wrap_like(bgi, cls, name="bagnouls_gaussen_class", units="1").rio.write_nodata(0, encoded=False)
