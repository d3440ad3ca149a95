"""Parcel scores, explanations and weight draws that follow the model's combination rule.

A parcel's score is the coverage-weighted mean of the model's **pixel** score over the parcel's
eligible land: ``Σ c·s / Σ c`` (exactextract's ``mean`` of ``score.tif``). Only for the weighted
linear combination is that the weighted sum of the per-criterion means; for a weighted product,
OWA or a fuzzy rule the mean of the score is not a function of the criterion means
(DESIGN.md, "Parcels: zonal statistics done once, and when that shortcut holds").

So the pixels themselves are kept: :func:`parcel_pixels` gathers, once, every eligible pixel of
every parcel where all criteria have data, with its coverage fraction (a sparse parcels x
pixels matrix) and its standardised criterion values. From them, for any rule,

- :func:`parcel_rule_scores` recombines the pixels (:func:`steppe_geo.mcda.combine`, the same
  kernel as the overlay) and averages them per parcel;
- :func:`perfect_criterion_gains` explains a score honestly: ``gain_{criterion}`` is how much
  the parcel's score would rise if that criterion were perfect (1) on all its eligible land,
  everything else unchanged (a what-if, not an additive share);
- :func:`pixel_rank_stability` re-ranks parcels under weight draws by recombining every pixel
  for every draw, in closed form for each rule that uses weights: WLC ``X w``, weighted product
  ``exp(ln X · w)``, OWA ``(A w) / (B w)`` with ``A``, ``B`` fixed by each pixel's own order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import xarray as xr

from steppe_geo._deprecation import renamed_parameter
from steppe_geo._validation import check_positive
from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.grid import Grid, check_same_grid
from steppe_geo.mcda.combine import OWAWeights, Rule, _check_gamma, combine_into, parse_rule
from steppe_geo.mcda.overlay import Overlay
from steppe_geo.parcels.coverage import CoverageMatrix, _check_coverage, coverage_matrix
from steppe_geo.parcels.stability import (
    _check_draws,
    _given_draws,
    _rank_draws,
    _rank_table,
    dirichlet_weights,
)
from steppe_geo.parcels.zonal import _invalid

if TYPE_CHECKING:
    from rasterio.windows import Window

__all__ = [
    "WEIGHTLESS_RULES",
    "Combination",
    "ParcelPixels",
    "draw_weight_rows",
    "parcel_draw_scores",
    "parcel_pixels",
    "parcel_rule_scores",
    "perfect_criterion_gains",
    "pixel_rank_stability",
    "rank_stability_of_scores",
]

WEIGHTLESS_RULES = frozenset({Rule.FUZZY_AND, Rule.FUZZY_OR, Rule.FUZZY_PRODUCT, Rule.FUZZY_GAMMA,
                              Rule.GEOMETRIC_MEAN})
"""Rules whose score does not depend on the criterion weights (so weight draws cannot move a rank)."""

_LOG_ZERO = -1e300  # ln(0) stand-in: exp(w · _LOG_ZERO) = 0 for any w > 1e-8, and 0 · _LOG_ZERO = 0 (0⁰ = 1)
_DRAW_BLOCK_VALUES = 1 << 22  # parcels x draws per block of per-draw scores (32 MB of float64)
_TILE_VALUES = 1 << 15  # coverage entries x draws scored at once (256 KB of float64: stays in the cache)


@dataclass(frozen=True)
class Combination:
    """A combination rule with its weights: what turns a pixel's criteria into its score.

    Parameters
    ----------
    rule : str or Rule
        Any rule of :func:`steppe_geo.mcda.combine` (aliases such as ``"wpm"`` accepted).
    weights : mapping criterion -> weight
        Criterion weights (>= 0), scaled to sum to 1; their order is the criterion order.
    order_weights : sequence of float, optional
        OWA order weights (>= 0, summing to 1); required for ``owa``, refused otherwise.
    gamma : float, default 0.9
        Fuzzy gamma in [0, 1].

    Examples
    --------
    >>> from steppe_geo.parcels import Combination
    >>> c = Combination("wpm", {"wind": 3, "slope": 1})
    >>> c.rule.value, c.weights
    ('weighted-product', {'wind': 0.75, 'slope': 0.25})
    """

    rule: Rule
    weights: Mapping[str, float]
    order_weights: tuple[float, ...] | None = None
    gamma: float = 0.9

    def __post_init__(self) -> None:
        rule = parse_rule(self.rule)
        if not isinstance(self.weights, Mapping) or not self.weights:
            raise InvalidParameterError(
                "weights: give a mapping criterion -> weight with at least one criterion, got "
                f"{self.weights!r}")
        w = {str(k): float(v) for k, v in self.weights.items()}
        bad = {k: v for k, v in w.items() if not np.isfinite(v) or v < 0}
        if bad or sum(w.values()) <= 0:
            raise InvalidParameterError(
                f"weights must be finite, >= 0 and not all 0, got {w}" + (f" (bad: {bad})" if bad else ""))
        total = sum(w.values())
        object.__setattr__(self, "weights", {k: v / total for k, v in w.items()})
        object.__setattr__(self, "rule", rule)
        if rule is Rule.OWA:
            if self.order_weights is None:
                raise InvalidParameterError("order_weights: rule 'owa' needs order weights")
            owa = OWAWeights.build(order_weights=self.order_weights, n=len(w))
            object.__setattr__(self, "order_weights", owa.weights)
        elif self.order_weights is not None:
            raise InvalidParameterError(f"order_weights only apply to rule 'owa', not {rule.value!r}")
        object.__setattr__(self, "gamma", _check_gamma(self.gamma))

    @classmethod
    def from_overlay(cls, overlay: Overlay) -> Combination:
        """The combination of a :class:`steppe_geo.mcda.Overlay` (rule, normalised weights, OWA, gamma)."""
        weights = dict(zip(overlay.criterion_names, (float(x) for x in overlay.normalized_weights),
                           strict=True))
        order = overlay.owa.weights if overlay.owa is not None else None
        return cls(overlay.rule, weights, order, overlay.gamma)

    @property
    def criteria(self) -> list[str]:
        """Criterion names in weight order."""
        return list(self.weights)

    @property
    def uses_weights(self) -> bool:
        """False for the rules that ignore criterion weights (:data:`WEIGHTLESS_RULES`)."""
        return self.rule not in WEIGHTLESS_RULES

    def pixel_scores(self, values: np.ndarray) -> np.ndarray:
        """Scores (float32, as the overlay writes them) of pixels given as a (pixels, criteria) array."""
        out = np.empty(values.shape[0], dtype=np.float32)
        v = np.asarray(self.order_weights) if self.order_weights is not None else None
        w = np.fromiter(self.weights.values(), dtype=np.float64)
        combine_into(np.ascontiguousarray(values.T), w, self.rule, v, self.gamma, out)
        return out


@dataclass(frozen=True)
class ParcelPixels:
    """The eligible pixels of each parcel where every criterion has data, with their values.

    Attributes
    ----------
    weights : scipy.sparse.csr_array
        (parcels, pixels): coverage fraction of each pixel by each parcel (0–1) times its
        eligibility; a row sums to the parcel's eligible, valid area in pixels.
    values : (pixels, criteria) ndarray of float64
        Standardised criterion values of the pixels (0–1, no NaN).
    cells : (pixels,) ndarray of int64
        Row-major cell index of each pixel on ``grid``.
    criteria : tuple of str
        Criterion names (columns of ``values``).
    index : pandas.Index
        The parcels' index (rows of ``weights``).
    grid : Grid
    """

    weights: sp.csr_array
    values: np.ndarray
    cells: np.ndarray
    criteria: tuple[str, ...]
    index: pd.Index
    grid: Grid

    @property
    def area_ha(self) -> np.ndarray:
        """Eligible area with data of each parcel (ha)."""
        return np.asarray(self.weights.sum(axis=1)).ravel() * self.grid.pixel_area_m2 / 1e4

    def take(self, rows: np.ndarray | Sequence[bool]) -> ParcelPixels:
        """The same pixels for a subset of the parcels (a boolean mask over ``index``)."""
        mask = np.asarray(rows, dtype=bool)
        if mask.shape != (len(self.index),):
            raise InvalidParameterError(f"rows: expected {len(self.index)} booleans, got shape {mask.shape}")
        return ParcelPixels(self.weights[np.flatnonzero(mask)], self.values, self.cells, self.criteria,
                            self.index[mask], self.grid)

    @classmethod
    def from_chunks(cls, parts: Sequence[tuple[np.ndarray, Window, ParcelPixels]], index: pd.Index,
                    grid: Grid) -> ParcelPixels:
        """Join the pixels of parcel chunks gathered on windows of ``grid`` (windowed runs).

        Parameters
        ----------
        parts : sequence of (positions, window, ParcelPixels)
            Per chunk: the integer positions of its parcels in ``index``, the window of
            ``grid`` it was gathered on and its pixels (cells row-major on that window). Every
            position appears once over all chunks.
        index : pandas.Index
            The parcels' index (rows of the result).
        grid : Grid
            The whole grid.

        Returns
        -------
        ParcelPixels
            Rows in ``index`` order; ``cells`` row-major on ``grid``. A pixel shared by parcels of
            two chunks appears once per chunk; each parcel's pixels are in the same order as
            :func:`parcel_pixels` on the whole grid gives them, so per-parcel sums are
            identical.
        """
        if not parts:
            raise InvalidParameterError("parts: no chunk of pixels to join")
        crits = {p.criteria for _, _, p in parts}
        if len(crits) != 1:
            raise InvalidParameterError(f"parts: chunks gathered different criteria {sorted(crits)}")
        positions = np.concatenate([np.asarray(pos, dtype=np.int64) for pos, _, _ in parts])
        if positions.size != len(index) or not np.array_equal(np.sort(positions), np.arange(len(index))):
            raise InvalidParameterError(f"parts: the chunks' positions must cover the {len(index)} parcels "
                                        f"once each, got {positions.size} positions")
        weights = sp.block_diag([p.weights for _, _, p in parts], format="csr")
        back = np.empty_like(positions)
        back[positions] = np.arange(positions.size)
        cells = []
        for _, win, p in parts:
            r, c = np.divmod(p.cells, int(win.width))
            cells.append((r + int(win.row_off)) * grid.cols + c + int(win.col_off))
        return cls(sp.csr_array(weights[back]), np.concatenate([p.values for _, _, p in parts]),
                   np.concatenate(cells).astype(np.int64), next(iter(crits)), index, grid)

    def means(self, pixel_values: np.ndarray) -> np.ndarray:
        """Coverage-weighted mean per parcel of per-pixel values, (pixels,) or (pixels, k); NaN if none."""
        den = np.asarray(self.weights.sum(axis=1)).ravel()
        num = self.weights @ np.asarray(pixel_values, dtype=np.float64)
        has = den > 0
        scale = np.where(has, 1.0 / np.where(has, den, 1.0), np.nan)
        out: np.ndarray = num * (scale if num.ndim == 1 else scale[:, None])
        return out


def parcel_pixels(
    parcels: gpd.GeoDataFrame,
    criteria: Mapping[str, xr.DataArray],
    *,
    eligible: xr.DataArray | None = None,
    id_column: str | None = None,
    coverage: CoverageMatrix | None = None,
) -> ParcelPixels:
    """Gather each parcel's eligible pixels, with coverage fractions and criterion values.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Polygons with a CRS (reprojected to the grid CRS when different).
    criteria : mapping name -> DataArray
        Standardised criteria (0–1, NaN = no data) on one grid, projected CRS in metres, in the
        order of the combination's weights.
    eligible : DataArray, optional
        Eligibility on the same grid (True/1 = eligible; fractions act as weights).
    id_column : str, optional
        Unique parcel id column (default: the index); used in error messages.
    coverage : CoverageMatrix, optional
        Reuse a coverage matrix built by :func:`~steppe_geo.parcels.coverage_matrix` for these
        parcels on this grid.

    Returns
    -------
    ParcelPixels
        Pixels with a positive weight that are valid in every criterion. A pixel counts where
        all criteria have data, as the overlay's score does (NaN where any criterion is NaN).

    Raises
    ------
    InvalidParameterError
        If ``criteria`` is empty or a ``coverage`` was built for other parcels or another grid.
    GridMismatchError
        If the layers are not on one grid.
    """
    if not criteria:
        raise InvalidParameterError("criteria: give at least one layer (mapping name -> DataArray)")
    layers = dict(criteria)
    check_same_grid({**layers, **({"<eligible>": eligible} if eligible is not None else {})})
    grid = Grid.from_dataarray(next(iter(layers.values())))
    if coverage is None:
        coverage = coverage_matrix(parcels, grid, id_column=id_column)
    else:
        _check_coverage(coverage, parcels, grid, id_column)
    C = coverage.matrix
    w = C.data.astype(np.float64)
    if eligible is not None:
        weight = np.clip(np.nan_to_num(np.asarray(eligible.values, dtype=np.float64).ravel()), 0.0, 1.0)
        w = w * weight[C.indices]
    flats = []
    for name, da in layers.items():
        if da.ndim != 2:
            raise InvalidParameterError(f"criterion {name!r} must be 2-D (y, x), got dims {da.dims}")
        flat = np.asarray(da.values).ravel()
        nodata = da.rio.nodata
        nodata = None if nodata is None or not np.isfinite(float(nodata)) else float(nodata)
        w[_invalid(flat[C.indices], nodata)] = 0.0
        flats.append((flat, nodata))
    keep = w > 0
    cells, inverse = np.unique(C.indices[keep], return_inverse=True)
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))[keep]
    weights = sp.csr_array((w[keep], (rows, inverse)), shape=(C.shape[0], len(cells)))
    values = np.empty((len(cells), len(layers)), dtype=np.float64)
    for j, (flat, _) in enumerate(flats):
        values[:, j] = flat[cells]
    return ParcelPixels(weights, values, cells.astype(np.int64), tuple(layers), parcels.index, grid)


def _check_criteria(pixels: ParcelPixels, combination: Combination) -> None:
    if list(pixels.criteria) != combination.criteria:
        raise MissingLayerError(
            f"pixels hold criteria {list(pixels.criteria)}, the combination weights "
            f"{combination.criteria}; gather the pixels with the criteria in weight order")


def parcel_rule_scores(pixels: ParcelPixels, combination: Combination) -> pd.Series:
    """Each parcel's score: the coverage-weighted mean of its pixels' scores under the rule.

    The pixels are recombined with the overlay's own kernel (float32, as in ``score.tif``), so
    this equals ``exactextract``'s ``mean`` of the model's score raster over the parcel's
    eligible land (the score raster is NaN on ineligible land).

    Parameters
    ----------
    pixels : ParcelPixels
        From :func:`parcel_pixels`, with the criteria in the combination's order.
    combination : Combination

    Returns
    -------
    pandas.Series
        ``score`` per parcel (index of the parcels); NaN for a parcel without eligible pixels
        that have data.

    Examples
    --------
    Two pixels of 0 and 1 in criterion ``a`` (``b`` = 1 in both), one parcel over both: the
    weighted product scores them 0 and 1, so the parcel's score is 0.5, while the product of
    the criterion means would be 0.5 ** 0.5 = 0.71.

    >>> import geopandas as gpd, numpy as np, shapely
    >>> import steppe_geo as sg
    >>> from steppe_geo.parcels import Combination, parcel_pixels, parcel_rule_scores
    >>> grid = sg.Grid.from_bounds((500_000, 4_400_000, 500_200, 4_400_100), crs="EPSG:32649",
    ...                            resolution_m=100)
    >>> a, b = grid.to_dataarray(np.array([[0.0, 1.0]])), grid.to_dataarray(np.ones((1, 2)))
    >>> parcels = gpd.GeoDataFrame(geometry=[shapely.box(*grid.bounds)], crs=grid.crs)
    >>> px = parcel_pixels(parcels, {"a": a, "b": b})
    >>> parcel_rule_scores(px, Combination("weighted-product", {"a": 1, "b": 1})).tolist()
    [0.5]
    """
    _check_criteria(pixels, combination)
    return pd.Series(pixels.means(combination.pixel_scores(pixels.values)), index=pixels.index, name="score")


def perfect_criterion_gains(pixels: ParcelPixels, combination: Combination) -> pd.DataFrame:
    """How much each parcel's score would rise if one criterion were perfect on its eligible land.

    ``gain_{criterion}`` = (parcel score with that criterion set to 1 on every pixel, the others
    unchanged) − (parcel score). It is an honest explanation for every rule: for the weighted
    product it shows the limiting factor (a criterion at 0 holds the score at 0, and its gain is
    the whole score the others would allow), for fuzzy AND the minimum, for OWA the reordering.
    Gains do **not** add up to the score (only WLC's contributions ``wᵢ·meanᵢ`` do); for WLC,
    ``gain = wᵢ·(1 − meanᵢ)``. For every rule but OWA, ``0 <= gain <= 1 − score``; OWA with
    criterion weights (Malczewski 2006) is not monotone — raising a value can move it to an
    order position of smaller weight — so an OWA gain can be negative.

    Parameters
    ----------
    pixels : ParcelPixels
    combination : Combination

    Returns
    -------
    pandas.DataFrame
        One ``gain_{criterion}`` column per criterion (0–1), index of the parcels; NaN for
        parcels without eligible pixels with data.

    Examples
    --------
    One pixel with ``a`` = 0.25 and ``b`` = 0 under the weighted product (0 whatever ``a``):

    >>> import geopandas as gpd, numpy as np, shapely
    >>> import steppe_geo as sg
    >>> from steppe_geo.parcels import Combination, parcel_pixels, perfect_criterion_gains
    >>> grid = sg.Grid.from_bounds((500_000, 4_400_000, 500_100, 4_400_100), crs="EPSG:32649",
    ...                            resolution_m=100)
    >>> layers = {"a": grid.to_dataarray(np.array([[0.25]])), "b": grid.to_dataarray(np.array([[0.0]]))}
    >>> parcels = gpd.GeoDataFrame(geometry=[shapely.box(*grid.bounds)], crs=grid.crs)
    >>> gains = perfect_criterion_gains(parcel_pixels(parcels, layers), Combination("wpm", {"a": 1, "b": 1}))
    >>> gains.round(4).to_dict("records")  # b = 1 would give 0.25 ** 0.5 = 0.5; a = 1 still 0
    [{'gain_a': 0.0, 'gain_b': 0.5}]
    """
    _check_criteria(pixels, combination)
    base = pixels.means(combination.pixel_scores(pixels.values))
    out = {}
    for j, name in enumerate(pixels.criteria):
        perfect = pixels.values.copy()
        perfect[:, j] = 1.0
        out[f"gain_{name}"] = pixels.means(combination.pixel_scores(perfect)) - base
    return pd.DataFrame(out, index=pixels.index)


def _row_tiles(indptr: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Runs of whole CSR rows ``(first_row, stop_row)`` holding about ``size`` entries each.

    A row with more than ``size`` entries is a run of its own; rows without entries are kept in
    the runs (their sums are 0).
    """
    n = len(indptr) - 1
    tiles, r0 = [], 0
    while r0 < n:
        r1 = int(np.searchsorted(indptr, indptr[r0] + size, side="right")) - 1
        r1 = min(max(r1, r0 + 1), n)
        tiles.append((r0, r1))
        r0 = r1
    return tiles


def _draw_scorer(pixels: ParcelPixels, combination: Combination) -> Callable[[np.ndarray], np.ndarray]:
    """A function: (draws, criteria) weight rows -> (draws, parcels) parcel scores under the rule.

    Per pixel, the rule is linear in the weights after a fixed transform of the values (WLC: the
    values; weighted product: their logarithms, then ``exp``; OWA: numerator and denominator
    matrices fixed by each pixel's own order, which does not depend on the weights). So a tile
    of pixels is scored for a block of draws by one BLAS matrix product, (pixels, criteria) @
    (criteria, draws), the pixel scores are clipped to [0, 1] as the overlay does (not needed,
    hence skipped, for a weighted product of values in [0, 1]: ``exp`` of a sum of
    non-positive terms is in [0, 1]), and each parcel's coverage-weighted sum of its pixels'
    scores is one more BLAS product, (coverage,) @ (pixels, draws).

    The work is done in tiles of whole parcels (or pieces of a large one) of about
    :data:`_TILE_VALUES` pixel scores — the stored coverage entries of a run of CSR rows times
    the draws of the block — so every intermediate stays in the CPU cache. The tiles depend only
    on the parcels' rows of coverage entries (their pixels in order), which a windowed run
    gathers exactly as memory mode does (:meth:`ParcelPixels.from_chunks`), so both compute the
    same products on the same operands and get the same bits. BLAS rounds differently from the
    sparse product of :meth:`ParcelPixels.means` (its own order of additions and fused
    multiply-adds): the scores equal the pixel-first ones to about 1e-15
    (``tests/parcels/test_rules.py`` checks 1e-12 and the ranks against the overlay re-run per draw).
    """
    x = pixels.values
    rule = combination.rule
    clip = True
    transformed: tuple[np.ndarray, ...]
    if rule is Rule.WLC:
        transformed = (x,)
    elif rule is Rule.WEIGHTED_PRODUCT:
        with np.errstate(divide="ignore"):
            logs = np.log(x)
        logs[x <= 0] = _LOG_ZERO
        transformed = (logs,)
        clip = bool(np.any(x > 1.0))  # else every log <= 0, the weights >= 0: exp(Σ w ln x) in [0, 1]
    elif rule is Rule.OWA:
        v = np.asarray(combination.order_weights)
        order = np.argsort(-x, axis=1, kind="stable")  # as the overlay: descending, ties in criterion order
        position = np.empty_like(order)
        np.put_along_axis(position, order, np.arange(x.shape[1])[None, :], axis=1)
        den_m = v[position]                        # v at each criterion's position
        num_m = den_m * x
        plain = (v[None, :] * np.take_along_axis(x, order, axis=1)).sum(axis=1)  # Yager's OWA if Σ u·v = 0
        transformed = (num_m, den_m)
    else:
        raise InvalidParameterError(
            f"rule {rule.value!r} ignores the criterion weights, so weight draws cannot change any "
            "parcel's score or rank; rank stability under weight uncertainty does not apply to it")
    matrix = pixels.weights
    indptr, cols, cover = matrix.indptr, matrix.indices, matrix.data.astype(np.float64)
    den = np.asarray(matrix.sum(axis=1)).ravel()  # as ParcelPixels.means
    has = den > 0
    scale = np.where(has, 1.0 / np.where(has, den, 1.0), np.nan)

    def pixel_scores(wt: np.ndarray, e0: int, e1: int) -> np.ndarray:
        """Scores of the pixels of coverage entries e0 … e1 under the (criteria, draws) weights ``wt``."""
        rows = cols[e0:e1]
        if rule is Rule.OWA:
            num_t, den_t = (m[rows] @ wt for m in transformed)
            ok = den_t > 0
            out: np.ndarray = np.where(ok, num_t / np.where(ok, den_t, 1.0), plain[rows][:, None])
        else:
            out = transformed[0][rows] @ wt
            if rule is Rule.WEIGHTED_PRODUCT:
                np.exp(out, out=out)
        if clip:
            np.clip(out, 0.0, 1.0, out=out)  # as the overlay, which clips to [0, 1]
        return out

    def scores(w: np.ndarray) -> np.ndarray:
        w = np.atleast_2d(w)
        wt = np.ascontiguousarray(w.T)  # (criteria, draws)
        size = max(1, _TILE_VALUES // w.shape[0])
        out = np.empty((w.shape[0], matrix.shape[0]), dtype=np.float64)
        num = np.zeros((matrix.shape[0], w.shape[0]))
        for r0, r1 in _row_tiles(indptr, size):
            e0, e1 = int(indptr[r0]), int(indptr[r1])
            if r1 - r0 == 1:  # one parcel (the common case for large ones), in pieces of `size` entries
                for p0 in range(e0, e1, size):
                    p1 = min(p0 + size, e1)
                    num[r0] += cover[p0:p1] @ pixel_scores(wt, p0, p1)
            elif e1 > e0:
                s = pixel_scores(wt, e0, e1)
                for r in range(r0, r1):
                    a, b = int(indptr[r]), int(indptr[r + 1])
                    if b > a:
                        num[r] = cover[a:b] @ s[a - e0:b - e0]
            out[:, r0:r1] = (num[r0:r1] * scale[r0:r1, None]).T
        return out + 0.0
    return scores


@renamed_parameter(old="k", new="top_k", since="0.2.0")
def pixel_rank_stability(
    pixels: ParcelPixels,
    combination: Combination,
    *,
    draws: np.ndarray | pd.DataFrame | None = None,
    n_draws: int = 1000,
    concentration: float = 100.0,
    top_k: int = 10,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Monte Carlo rank stability under weight uncertainty, for any rule that uses weights.

    Every draw recombines every eligible pixel of every parcel with the drawn weights under the
    model's rule and takes each parcel's coverage-weighted mean — exactly the parcel score the
    model would give with those weights (not the WLC shortcut on criterion means, which holds
    for WLC only). Cost: pixels x criteria x draws multiply-adds (plus an ``exp`` per pixel and
    draw for the weighted product); draws are processed in blocks of about 4 M parcel scores, each
    in cache-sized tiles of parcels (see ``_draw_scorer``).

    Parameters
    ----------
    pixels : ParcelPixels
        From :func:`parcel_pixels` (e.g. only the ranked parcels, via :meth:`ParcelPixels.take`).
    combination : Combination
        The rule and base weights; rules in :data:`WEIGHTLESS_RULES` are refused.
    draws : (n, criteria) ndarray or DataFrame, optional
        Weight vectors (e.g. :func:`~steppe_geo.parcels.ahp_weight_draws`); default ``n_draws``
        Dirichlet draws around the base weights (:func:`~steppe_geo.parcels.dirichlet_weights`).
    n_draws : int, default 1000
    concentration : float, default 100
    top_k : int, default 10
        For ``p_top_k`` (was ``k``, a deprecated alias until 0.3.0).
    rng : numpy Generator or seed, optional

    Returns
    -------
    pandas.DataFrame
        As :func:`~steppe_geo.parcels.rank_stability`: ``base_rank``, ``mean_rank``,
        ``rank_p05``, ``rank_p95``, ``p_top_k``, index of the parcels; parcels without eligible
        pixels with data are not ranked.

    Raises
    ------
    InvalidParameterError
        For a rule that ignores weights, ``top_k`` outside 1 … parcels, bad draws or concentration.
    """
    _check_criteria(pixels, combination)
    if not combination.uses_weights:
        _draw_scorer(pixels, combination)  # raises the explanation
    _check_top_k(top_k, len(pixels.index))
    weight_rows = draw_weight_rows(combination, draws=draws, n_draws=n_draws, concentration=concentration,
                                   rng=rng)
    scores, base, valid = parcel_draw_scores(pixels, combination, weight_rows)
    return rank_stability_of_scores(scores, base, valid, top_k=top_k, index=pixels.index)


def _check_top_k(k: object, n: int) -> None:
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise InvalidParameterError(f"top_k must be an integer in [1, {n}] (number of parcels), got {k!r}")


def draw_weight_rows(combination: Combination, *, draws: np.ndarray | pd.DataFrame | None = None,
                     n_draws: int = 1000, concentration: float = 100.0,
                     rng: np.random.Generator | int | None = None) -> np.ndarray:
    """The weight draws of :func:`pixel_rank_stability`, as (draws, criteria) rows that sum to 1.

    Parameters
    ----------
    combination : Combination
        The rule and base weights (criterion order).
    draws : (n, criteria) ndarray or DataFrame, optional
        Given weight vectors, normalised to sum 1; default ``n_draws`` Dirichlet draws around the
        base weights (:func:`~steppe_geo.parcels.dirichlet_weights`).
    n_draws : int, default 1000
    concentration : float, default 100
    rng : numpy Generator or seed, optional

    Returns
    -------
    numpy.ndarray
        (draws, criteria) float64.

    Raises
    ------
    InvalidParameterError
        Bad draws (an all-zero row, wrong criteria), ``n_draws`` or ``concentration``.
    """
    w = np.fromiter(combination.weights.values(), dtype=np.float64)
    if draws is None:
        _check_draws(n_draws)
        check_positive(concentration, param="concentration")
        return dirichlet_weights(w, n_draws, concentration=concentration, rng=rng)
    weight_rows = _given_draws(draws, list(combination.criteria))
    totals = weight_rows.sum(axis=1, keepdims=True)
    if np.any(totals <= 0):
        raise InvalidParameterError(
            f"draws: {int(np.count_nonzero(totals <= 0))} weight rows are all zero; each draw needs "
            "a weight > 0")
    out: np.ndarray = weight_rows / totals  # the rules take weights that sum to 1
    return out


def parcel_draw_scores(pixels: ParcelPixels, combination: Combination,
                       weight_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every parcel's score under each weight draw, its score under the base weights, and its validity.

    The scores of a parcel depend only on its own pixels, so a windowed run computes them chunk
    of parcels by chunk (and keeps (draws, parcels) numbers instead of every parcel's pixels), and
    :func:`rank_stability_of_scores` ranks them; :func:`pixel_rank_stability` is the two in one.

    Parameters
    ----------
    pixels : ParcelPixels
    combination : Combination
        The rule (one that uses weights) and base weights.
    weight_rows : (draws, criteria) ndarray
        From :func:`draw_weight_rows`.

    Returns
    -------
    scores : (draws, parcels) ndarray
    base : (parcels,) ndarray
        Scores under the base weights.
    valid : (parcels,) ndarray of bool
        Parcels with eligible pixels with data (the others are not ranked).
    """
    _check_criteria(pixels, combination)
    scorer = _draw_scorer(pixels, combination)
    w = np.fromiter(combination.weights.values(), dtype=np.float64)
    return scorer(np.asarray(weight_rows, dtype=np.float64)), scorer(w[None, :])[0], pixels.area_ha > 0


def rank_stability_of_scores(scores: np.ndarray, base: np.ndarray, valid: np.ndarray, *, top_k: int,
                             index: pd.Index) -> pd.DataFrame:
    """The rank-stability table of parcels from their scores under each draw (:func:`parcel_draw_scores`).

    Parameters
    ----------
    scores : (draws, parcels) ndarray
    base : (parcels,) ndarray
    valid : (parcels,) ndarray of bool
    top_k : int
        For ``p_top_k`` (1 … parcels).
    index : pandas.Index
        Parcel ids, one per column of ``scores``.

    Returns
    -------
    pandas.DataFrame
        As :func:`pixel_rank_stability`.
    """
    n = len(index)
    _check_top_k(top_k, n)
    scores = np.asarray(scores, dtype=np.float64)
    marks = np.where(valid, 0.0, np.nan)[None, :]  # NaN marks the parcels that are not ranked
    block = int(max(1, min(256, _DRAW_BLOCK_VALUES // max(n, 1))))  # (draws, parcels) scores per block
    # the draws are given by their row numbers: score_fn looks their scores up (blocks may run in threads)
    rows = np.arange(scores.shape[0], dtype=np.float64)[:, None]
    all_ranks = _rank_draws(rows, marks, block=block,
                            score_fn=lambda r: scores[r[:, 0].astype(np.int64)])
    base_ranks = _rank_draws(np.zeros((1, 1)), marks, workers=1,
                             score_fn=lambda r: np.asarray(base, dtype=np.float64)[None, :])[:, 0]
    return _rank_table(base_ranks, all_ranks, valid, k=top_k, index=index)
