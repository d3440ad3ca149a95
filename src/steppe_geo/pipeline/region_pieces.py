"""Candidate regions scored in pieces: the pieces' statistics joined into the regions' (windowed runs).

A region larger than ``run.window`` is cut along the grid's tile lines
(:func:`steppe_geo.parcels.split_at_tiles`) so that no read grows with it; this module joins the
pieces' sums back into the region's statistics (``docs/scale.md``, "Candidate regions larger than a
window").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from steppe_geo.errors import SteppeGeoError
from steppe_geo.grid import Grid

__all__ = ["PIECE", "PIECE_BASE", "PIECE_COLUMNS", "PIECE_WEIGHT", "join_pieces"]


PIECE = "<piece>"
"""Column of a piece's position in the pieces table."""
PIECE_WEIGHT = "<piece weight>"
"""Column of a piece's eligible-pixel weight (Σ of its ``ParcelPixels`` weights)."""
PIECE_BASE = "<piece base>"
"""Column of a piece's coverage-weighted mean pixel score."""
PIECE_COLUMNS = (PIECE, PIECE_WEIGHT, PIECE_BASE)


def join_pieces(rows: pd.DataFrame, owner: np.ndarray, polygons: gpd.GeoDataFrame, grid: Grid,
                 columns: Sequence[str]) -> pd.DataFrame:
    """Statistics of regions scored in pieces (:func:`~steppe_geo.parcels.split_at_tiles`), as if whole.

    Means are sums over pixels divided by weights, so a region's mean is its pieces' means weighted
    by their weights: ``{layer}_mean`` by ``{layer}_count`` (Σ coverage over valid cells, exactextract's
    definition), the ``gain_*`` by the pieces' eligible-pixel weights (the gain is the perfect-criterion
    mean less the score mean, each a weighted mean). A piece of weight 0 adds nothing; a NaN with weight
    (no data on eligible pixels) makes the region's value NaN, as scoring it whole does. Areas and
    eligible areas add up; the covered and eligible fractions are taken of the region's own area.

    Parameters
    ----------
    rows : pandas.DataFrame
        One row per piece: the zonal table of the pieces (``("mean", "count")`` statistics), the
        ``gain_*`` columns, and the :data:`PIECE`, :data:`PIECE_WEIGHT`, :data:`PIECE_BASE` columns.
    owner : numpy.ndarray of int64
        For every piece of the whole pieces table, the position of its region in ``polygons``.
    polygons : geopandas.GeoDataFrame
        The regions (``region_id`` column, polygons in the grid's CRS, metres).
    grid : Grid
        The raster grid.
    columns : sequence of str
        The columns of the result, as a region scored whole has them.

    Returns
    -------
    pandas.DataFrame
        One row per region that has pieces in ``rows``, indexed by ``region_id``, with ``columns``.

    Raises
    ------
    SteppeGeoError
        A column has no rule to join it (a programming error: a new zonal column must say how).
    """
    at = owner[rows[PIECE].to_numpy()]
    keep = np.unique(at)
    n = len(polygons)

    def total(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        contrib = np.where(weights > 0, values * weights, 0.0)
        return np.bincount(at, weights=contrib, minlength=n)[keep]

    def mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        den = np.bincount(at, weights=np.where(weights > 0, weights, 0.0), minlength=n)[keep]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, total(values, weights) / np.where(den > 0, den, 1.0), np.nan)

    geoms = polygons.geometry.iloc[keep]
    weight = rows[PIECE_WEIGHT].to_numpy(np.float64)
    base = rows[PIECE_BASE].to_numpy(np.float64)
    out: dict[str, Any] = {}
    for col in columns:
        if col == "geometry":
            out[col] = geoms.to_numpy()
        elif col == "region_id":
            out[col] = polygons["region_id"].to_numpy()[keep]
        elif col in ("area_ha", "parcel_area_ha"):
            out[col] = np.asarray(geoms.area, dtype=np.float64) / 1e4
        elif col == "eligible_area_ha":
            out[col] = np.bincount(at, weights=rows[col].to_numpy(np.float64), minlength=n)[keep]
        elif col == "eligible_fraction":
            eli = np.bincount(at, weights=rows["eligible_area_ha"].to_numpy(np.float64), minlength=n)[keep]
            out[col] = np.clip(eli * 1e4 / np.asarray(geoms.area, dtype=np.float64), 0, 1)
        elif col == "covered_fraction":  # of a piece's area; the pieces' areas add up to the region's
            on = rows[col].to_numpy(np.float64) * rows["parcel_area_ha"].to_numpy(np.float64)
            out[col] = np.clip(np.bincount(at, weights=on, minlength=n)[keep] * 1e4
                               / np.asarray(geoms.area, dtype=np.float64), 0, 1)
        elif col.endswith("_mean"):
            out[col] = mean(rows[col].to_numpy(np.float64), rows[col[:-5] + "_count"].to_numpy(np.float64))
        elif col.startswith("gain_"):
            out[col] = mean(rows[col].to_numpy(np.float64) + base, weight) - mean(base, weight)
        else:
            raise SteppeGeoError(f"candidate regions: no rule to join the column {col!r} of region pieces")
    joined = pd.DataFrame(out, columns=list(columns))
    return joined.set_index(joined["region_id"].rename(None).to_numpy()).rename_axis("region_id")
