"""Rank parcels by their score over their eligible land, and explain the ranking.

The weighted linear combination (WLC) is linear, so the mean score over a parcel's eligible
part equals Σ wᵢ · meanᵢ of the per-criterion eligible-part means (DESIGN.md, "Parcels: zonal
statistics done once, and when that shortcut holds"), and ``wᵢ · meanᵢ`` is an additive
contribution. For any other rule (weighted product, OWA, fuzzy) the score must be the zonal
mean of the score raster (``score_column``, e.g. from
:func:`~steppe_geo.parcels.parcel_rule_scores`) and is explained by what-if gains
(:func:`~steppe_geo.parcels.perfect_criterion_gains`), never by an additive breakdown.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from steppe_geo._validation import check_positive, did_you_mean, parse_choice
from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.mcda.combine import Rule, parse_rule

__all__ = ["CAPACITY_DENSITY_MW_PER_KM2", "RANKED", "Technology", "criterion_matrix", "eligibility_status",
           "rank_parcels", "top_k"]

RANKED = "ranked"
"""``status`` of a parcel that is ranked (the others say why they are not)."""


class Technology(enum.Enum):
    """Technology for capacity and energy estimates."""

    WIND = "wind"
    SOLAR = "solar"


CAPACITY_DENSITY_MW_PER_KM2: dict[Technology, float] = {Technology.WIND: 3.0, Technology.SOLAR: 36.0}
"""Default capacity densities: wind 3 MW/km² (AC), solar PV 36 MW/km² (DC); NREL reV defaults."""


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _normalised_weights(weights: Mapping[str, float]) -> dict[str, float]:
    if not weights:
        raise InvalidParameterError("weights: give at least one criterion weight")
    w = {k: float(v) for k, v in weights.items()}
    bad = {k: v for k, v in w.items() if not np.isfinite(v) or v < 0}
    if bad:
        raise InvalidParameterError(f"weights must be finite and >= 0, got {bad}")
    total = sum(w.values())
    if total <= 0:
        raise InvalidParameterError(f"weights: at least one weight must be > 0, got {w}")
    return {k: v / total for k, v in w.items()}


def criterion_matrix(zonal: pd.DataFrame, weights: Mapping[str, float], *,
                     criteria: Mapping[str, str] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Normalised weights (sum 1), the (parcels x criteria) matrix of means, and criterion names.

    ``criteria`` maps a weight name to its column in ``zonal`` (default ``"{name}_mean"``,
    or ``name`` itself if that column exists).
    """
    w = _normalised_weights(weights)
    names = list(w)
    cols = []
    for name in names:
        if criteria is not None and name in criteria:
            col = criteria[name]
        elif f"{name}_mean" in zonal.columns:
            col = f"{name}_mean"
        else:
            col = name
        if col not in zonal.columns:
            means = [str(c).removesuffix("_mean") for c in zonal.columns if str(c).endswith("_mean")]
            hint = did_you_mean(name, means)
            raise MissingLayerError(
                f"criterion {name!r}: no column {col!r} in the zonal table"
                f"{hint + ' Columns' if hint else '; columns'} are {list(zonal.columns)}"
            )
        cols.append(col)
    matrix = zonal[cols].to_numpy(dtype=np.float64)
    return np.array([w[n] for n in names]), matrix, names


def rank_parcels(
    zonal: pd.DataFrame,
    *,
    weights: Mapping[str, float],
    criteria: Mapping[str, str] | None = None,
    score_column: str | None = None,
    rule: str | Rule = "wlc",
    eligible_area_column: str | None = "eligible_area_ha",
    min_eligible_area_ha: float = 0.0,
    min_eligible_share: float = 0.0,
    technology: str | Technology | None = None,
    capacity_density_mw_per_km2: float | None = None,
    capacity_factor_column: str | None = None,
    capacity_factor: float | None = None,
    tie_method: str = "min",
) -> pd.DataFrame:
    """Score, rank and explain parcels from their zonal means.

    Parameters
    ----------
    zonal : pandas.DataFrame or geopandas.GeoDataFrame
        Output of :func:`~steppe_geo.parcels.zonal_stats` (preferably with ``eligible=`` so that
        means are over each parcel's eligible part), one row per parcel.
    weights : mapping criterion -> weight
        Non-negative weights, scaled to sum to 1. Criteria are standardised to 0–1.
    criteria : mapping criterion -> column, optional
        Column of each criterion's mean (default ``"{criterion}_mean"``); needed for ``wlc``
        only.
    score_column : str, optional
        Use this column as the score: the zonal mean of the model's score raster over each
        parcel's eligible land (``score_mean`` from ``zonal_stats(parcels, {"score": score},
        eligible=...)``, or :func:`~steppe_geo.parcels.parcel_rule_scores`). Required for
        every rule but WLC, whose parcel mean is *not* Σ w·mean.
    rule : str or Rule, default "wlc"
        The model's combination rule. Only for ``wlc`` are ``contrib_*`` and ``share_*``
        (an additive breakdown) written; for other rules, explain with ``gain_*`` columns from
        :func:`~steppe_geo.parcels.perfect_criterion_gains` (kept if present in ``zonal``).
    eligible_area_column : str or None, default "eligible_area_ha"
        Column of eligible area (ha). ``None`` disables the checks below (and capacity).
    min_eligible_area_ha : float, default 0
        Parcels with no eligible land, or less than this (ha), are not ranked: ``score`` NaN,
        ``rank`` <NA>, and ``status`` says why, e.g. "too little eligible land (3.2 ha < 10 ha)".
    min_eligible_share : float, default 0
        Likewise for parcels whose eligible share of their area (``eligible_fraction``, 0–1)
        is below this, e.g. "too little eligible land (4.1 % of the parcel < 10 %)".
    technology : {"wind", "solar"}, optional
        Adds ``capacity_mw`` = eligible area (km²) x capacity density, with
        ``capacity_basis`` = "AC" (wind: turbine nameplate) or "DC" (solar: module
        nameplate) in every row, so the basis survives CSV, shapefile and GeoPackage exports;
        and, with a capacity factor, ``energy_gwh`` = capacity_mw x CF x 8760 / 1000 (GWh/yr).
    capacity_density_mw_per_km2 : float, optional
        Overrides the default density (wind 3 MW/km² AC, solar 36 MW/km² DC).
    capacity_factor_column : str, optional
        Column of each parcel's capacity factor (0–1), normally the zonal mean of a
        capacity-factor raster over the eligible part — ``"cf_mean"`` from
        ``zonal_stats(parcels, {"cf": cf}, eligible=...)``, with ``cf`` from
        :func:`steppe_geo.criteria.capacity_factor` (wind, AC) or, for solar, the specific
        yield Y in kWh/kWp/yr as CF = Y / 8760 (:func:`steppe_geo.criteria.solar_capacity_factor`;
        a DC capacity factor, matching the DC capacity). Since capacity is proportional to
        eligible area, capacity x (eligible-part mean CF) is the energy summed over the
        eligible pixels. NaN gives NaN energy.
    capacity_factor : float, optional
        One capacity factor for all parcels (instead of a column).
    tie_method : {"min", "first"}, default "min"
        Ties: "min" gives equal scores the same (best) rank; "first" breaks ties by row order
        (stable).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        A copy of ``zonal`` with ``score``, ``rank`` (1 = best, Int64, <NA> for unranked),
        ``percentile`` (100 = best), ``status`` ("ranked", or why not), for WLC
        ``contrib_{criterion}`` (wᵢ·meanᵢ) and ``share_{criterion}`` (% of the score), and
        optional ``capacity_mw``, ``capacity_basis``, ``energy_gwh``; sorted by rank
        (unranked parcels last).

    Raises
    ------
    MissingLayerError
        If a criterion, score, eligible-area, eligible-fraction or capacity-factor column is
        missing, or ``score_column`` is not given for a rule other than WLC.
    InvalidParameterError
        For negative or all-zero weights, an unknown rule, technology or tie method, minimum
        eligible area or share out of range, or capacity factors outside [0, 1] (the message
        names the parcels).

    Examples
    --------
    Three parcels with eligible-part means of two standardised criteria (as from
    ``zonal_stats(..., eligible=...)``) and a capacity-factor column:

    >>> import pandas as pd
    >>> from steppe_geo.parcels import rank_parcels
    >>> z = pd.DataFrame({"wind_mean": [0.8, 0.2, 0.5], "slope_mean": [0.4, 1.0, 0.5],
    ...                   "eligible_area_ha": [100.0, 50.0, 10.0], "cf_mean": [0.35, 0.30, 0.25]},
    ...                  index=["a", "b", "c"])
    >>> r = rank_parcels(z, weights={"wind": 3, "slope": 1}, technology="wind",
    ...                  capacity_factor_column="cf_mean")
    >>> r[["score", "rank", "contrib_wind", "capacity_mw", "capacity_basis", "energy_gwh"]]
       score  rank  contrib_wind  capacity_mw capacity_basis  energy_gwh
    a    0.7     1         0.600          3.0             AC       9.198
    c    0.5     2         0.375          0.3             AC       0.657
    b    0.4     3         0.150          1.5             AC       3.942

    Parcel a: 0.75 x 0.8 + 0.25 x 0.4 = 0.7; 100 ha = 1 km² x 3 MW/km² = 3 MW (AC);
    3 MW x 0.35 x 8760 h / 1000 = 9.198 GWh/yr.
    """
    if tie_method not in ("min", "first"):
        raise InvalidParameterError(f"tie_method must be 'min' or 'first', got {tie_method!r}")
    r = parse_rule(rule)
    if r is Rule.WLC:  # the criterion means give the score (without score_column) and its breakdown
        w, matrix, names = criterion_matrix(zonal, weights, criteria=criteria)
        contrib = matrix * w
        wlc = contrib.sum(axis=1)
    else:  # the score comes from the score raster; the criterion means are not needed
        _normalised_weights(weights)
    if score_column is not None:
        if score_column not in zonal.columns:
            raise MissingLayerError(f"score_column: no column {score_column!r} in the zonal table")
        score = zonal[score_column].to_numpy(dtype=np.float64).copy()
    elif r is not Rule.WLC:
        raise MissingLayerError(
            f"score_column: rule {r.value!r} needs the zonal mean of the score raster as score_column "
            "(a parcel's mean score is not a function of its criterion means except for 'wlc'); "
            "e.g. zonal_stats(parcels, {'score': score}, eligible=eligible) and score_column='score_mean'")
    else:
        score = wlc.copy()
    out = zonal.copy()
    status = np.full(len(zonal), RANKED, dtype=object)
    if eligible_area_column is not None:
        status = eligibility_status(zonal, eligible_area_column=eligible_area_column,
                                    min_eligible_area_ha=min_eligible_area_ha,
                                    min_eligible_share=min_eligible_share).to_numpy(dtype=object, copy=True)
        score[status != RANKED] = np.nan
    status[(status == RANKED) & ~np.isfinite(score)] = "no score (no criterion data on its eligible land)"
    out["score"] = score
    out["status"] = status
    s = pd.Series(score, index=zonal.index)
    method: Literal["min", "first"] = "min" if tie_method == "min" else "first"  # checked above
    rank = s.rank(ascending=False, method=method, na_option="keep")
    out["rank"] = rank.astype("Int64")
    n_scored = int(np.isfinite(score).sum())
    out["percentile"] = 100.0 * (n_scored - rank + 1) / max(n_scored, 1)
    if r is Rule.WLC:  # an additive breakdown is true only for the weighted sum
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(wlc[:, None] > 0, 100.0 * contrib / wlc[:, None], np.nan)
        for j, name in enumerate(names):
            out[f"contrib_{name}"] = contrib[:, j]
            out[f"share_{name}"] = share[:, j]
    if technology is not None:
        tech = parse_choice(Technology, technology, param="technology")
        if eligible_area_column is None:
            raise InvalidParameterError(
                "technology needs eligible_area_column (capacity = eligible area x density)")
        density = (CAPACITY_DENSITY_MW_PER_KM2[tech] if capacity_density_mw_per_km2 is None
                   else check_positive(capacity_density_mw_per_km2, param="capacity_density_mw_per_km2"))
        cap = zonal[eligible_area_column].to_numpy(dtype=np.float64) / 100.0 * density
        out["capacity_mw"] = cap
        out["capacity_basis"] = "AC" if tech is Technology.WIND else "DC"
        cf: np.ndarray | float | None = None
        if capacity_factor_column is not None:
            if capacity_factor_column not in zonal.columns:
                raise MissingLayerError(
                    f"capacity_factor_column: no column {capacity_factor_column!r}; columns are "
                    f"{list(zonal.columns)}")
            cf = zonal[capacity_factor_column].to_numpy(dtype=np.float64)
            bad = np.flatnonzero((cf < 0) | (cf > 1))
            if len(bad):
                shown = {_plain(zonal.index[i]): float(cf[i]) for i in bad[:10]}
                raise InvalidParameterError(
                    f"capacity_factor_column {capacity_factor_column!r}: capacity factors must be within "
                    f"[0, 1]; {len(bad)} parcels are not, e.g. {shown} (a yield in kWh/kWp/yr is "
                    "CF x 8760: divide it by 8760)")
        elif capacity_factor is not None:
            cf = float(capacity_factor)
            if not 0 <= cf <= 1:
                raise InvalidParameterError(f"capacity_factor must be within [0, 1], got {capacity_factor!r}")
        if cf is not None:
            out["energy_gwh"] = cap * cf * 8760.0 / 1000.0
    order = np.lexsort((np.arange(len(out)), np.where(np.isfinite(score), -score, np.inf)))
    return out.iloc[order]


def eligibility_status(
    zonal: pd.DataFrame,
    *,
    eligible_area_column: str = "eligible_area_ha",
    min_eligible_area_ha: float = 0.0,
    min_eligible_share: float = 0.0,
) -> pd.Series:
    """Whether each parcel has enough eligible land to be ranked, and if not, why.

    Parameters
    ----------
    zonal : pandas.DataFrame
        Table with ``eligible_area_column`` (ha) and, when ``min_eligible_share`` > 0,
        ``eligible_fraction`` (eligible share of the parcel, 0–1), as from
        ``zonal_stats(..., eligible=...)``.
    eligible_area_column : str, default "eligible_area_ha"
    min_eligible_area_ha : float, default 0
        Minimum eligible area (ha), >= 0.
    min_eligible_share : float, default 0
        Minimum eligible share of the parcel, in [0, 1].

    Returns
    -------
    pandas.Series of str
        :data:`RANKED` ("ranked"), "no eligible land", or "too little eligible land (3.2 ha <
        10 ha)" / "too little eligible land (4.1 % of the parcel < 10 %)"; index of ``zonal``.

    Raises
    ------
    MissingLayerError
        If a needed column is missing.
    InvalidParameterError
        If a minimum is negative, not finite, or a share above 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from steppe_geo.parcels import eligibility_status
    >>> z = pd.DataFrame({"eligible_area_ha": [50.0, 3.2, 0.0, 40.0],
    ...                   "eligible_fraction": [0.5, 0.8, 0.0, 0.04]})
    >>> for status in eligibility_status(z, min_eligible_area_ha=10, min_eligible_share=0.1):
    ...     print(status)
    ranked
    too little eligible land (3.2 ha < 10 ha)
    no eligible land
    too little eligible land (4 % of the parcel < 10 %)
    """
    for value, param, high in ((min_eligible_area_ha, "min_eligible_area_ha", np.inf),
                               (min_eligible_share, "min_eligible_share", 1.0)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                or not np.isfinite(value) or not 0 <= value <= high:
            valid = ("a number within [0, 1] (a share of the parcel)" if high == 1.0
                     else "a finite number >= 0")
            raise InvalidParameterError(f"{param} must be {valid}, got {value!r}")
    if eligible_area_column not in zonal.columns:
        raise MissingLayerError(
            f"eligible_area_column: no column {eligible_area_column!r}; run "
            "zonal_stats(..., eligible=...) or pass eligible_area_column=None"
        )
    area = zonal[eligible_area_column].to_numpy(dtype=np.float64)
    status = np.full(len(zonal), RANKED, dtype=object)
    small = area < min_eligible_area_ha
    for i in np.flatnonzero(small):
        status[i] = f"too little eligible land ({area[i]:.3g} ha < {min_eligible_area_ha:g} ha)"
    if min_eligible_share > 0:
        if "eligible_fraction" not in zonal.columns:
            raise MissingLayerError(
                "min_eligible_share needs the column 'eligible_fraction' (eligible share of each parcel); "
                "run zonal_stats(..., eligible=...)")
        share = zonal["eligible_fraction"].to_numpy(dtype=np.float64)
        for i in np.flatnonzero(~small & (share < min_eligible_share)):
            status[i] = (f"too little eligible land ({100 * share[i]:.2g} % of the parcel < "
                         f"{100 * min_eligible_share:g} %)")
    status[~(area > 0)] = "no eligible land"
    return pd.Series(status, index=zonal.index, name="status", dtype=object)


def top_k(ranked: pd.DataFrame, k: int, *, column: str = "score") -> pd.DataFrame:
    """The ``k`` best parcels by ``column`` (descending; ties by row order; NaN last).

    Raises
    ------
    InvalidParameterError
        If ``k`` < 1 or ``k`` exceeds the number of parcels.
    """
    if not isinstance(k, (int, np.integer)) or k < 1 or k > len(ranked):
        raise InvalidParameterError(
            f"k must be an integer in [1, {len(ranked)}] (number of parcels), got {k!r}")
    if column not in ranked.columns:
        raise MissingLayerError(f"column: no column {column!r} in the table")
    values = ranked[column].to_numpy(dtype=np.float64)
    order = np.lexsort((np.arange(len(ranked)), np.where(np.isfinite(values), -values, np.inf)))
    return ranked.iloc[order[:k]]
