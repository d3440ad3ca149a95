"""Parcel scores, gains and rank stability that follow the model's rule (issue 11, item 2).

References are outside this module: exactextract's ``mean`` on the score raster written to a
GeoTIFF and read back, the overlay's own evaluation re-run with each drawn weight vector, and
hand calculations written out below.
"""

import exactextract
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import steppe_geo as sg
from steppe_geo.errors import InvalidParameterError, MissingLayerError
from steppe_geo.io import write_raster
from steppe_geo.mcda import Criterion, Linear, Overlay, ValueRange, evaluate
from steppe_geo.parcels import (
    Combination,
    parcel_pixels,
    parcel_rule_scores,
    perfect_criterion_gains,
    pixel_rank_stability,
    rank_parcels,
    rank_stability,
    zonal_stats,
)

RULES = [
    ("wlc", {}),
    ("weighted-product", {}),
    ("owa", {"order_weights": (0.5, 0.3, 0.2)}),
    ("fuzzy-and", {}),
    ("fuzzy-or", {}),
    ("fuzzy-product", {}),
    ("fuzzy-gamma", {"gamma": 0.7}),
    ("geometric-mean", {}),
]


@pytest.fixture
def layers(small_grid, rng):
    """Three criteria in 0..1 on the 40 x 60 grid of 30 m pixels: exact zeros, ones and a few NaN."""
    out = {}
    for name in ("a", "b", "c"):
        x = rng.uniform(0, 1, small_grid.shape)
        x[rng.uniform(size=x.shape) < 0.08] = 0.0  # a weighted product is 0 wherever one of these is
        x[rng.uniform(size=x.shape) < 0.03] = 1.0
        out[name] = x
    out["a"][5:8, 10:14] = np.nan  # no data
    out["slope"] = rng.uniform(0, 20, small_grid.shape)
    return {k: small_grid.to_dataarray(v.astype(np.float32), name=k) for k, v in out.items()}


@pytest.fixture
def parcels(small_grid):
    """Irregular parcels not aligned to pixels: triangles, a concave L, a rotated square, a sliver."""
    x0, y0 = 400_000, 4_430_000
    geoms = [
        shapely.Polygon([(x0 + 17, y0 + 23), (x0 + 611, y0 + 95), (x0 + 240, y0 + 530)]),
        shapely.Polygon([(x0 + 700, y0 + 100), (x0 + 1300, y0 + 100), (x0 + 1300, y0 + 300),
                         (x0 + 900, y0 + 300), (x0 + 900, y0 + 900), (x0 + 700, y0 + 900)]),
        shapely.affinity.rotate(shapely.box(x0 + 1350, y0 + 500, x0 + 1750, y0 + 900), 27),
        shapely.Polygon([(x0 + 100, y0 + 650), (x0 + 650, y0 + 1150), (x0 + 40, y0 + 1180)]),
        shapely.box(x0 + 300, y0 + 1000, x0 + 1500, y0 + 1013),  # a sliver, partly in one row of pixels
        shapely.box(x0 + 150, y0 + 140, x0 + 410, y0 + 260),     # inside the NaN block and around it
    ]
    return gpd.GeoDataFrame({"pid": [f"P{i}" for i in range(len(geoms))]}, geometry=geoms, crs=small_grid.crs)


def _overlay(rule, options, weights=(3.0, 2.0, 1.0)):
    crit = tuple(Criterion(n, Linear(0.0, 1.0), weight=w) for n, w in zip("abc", weights, strict=True))
    return Overlay(criteria=crit, constraints=(ValueRange("steep", "slope", max=15.0),), rule=rule, **options)


def _exactextract_means(score, parcels, folder):
    path = folder / "score.tif"
    write_raster(score, path)
    out = exactextract.exact_extract(str(path), parcels, "mean", output="pandas")
    return out["mean"].to_numpy()


@pytest.mark.parametrize(("rule", "options"), RULES)
def test_parcel_score_is_exactextract_mean_of_the_written_score_raster(rule, options, layers, parcels,
                                                                       tmp_path):
    res = evaluate(_overlay(rule, options), layers)
    crit = {k: res.criteria[k] for k in "abc"}
    pixels = parcel_pixels(parcels, crit, eligible=res.eligible, id_column="pid")
    combination = Combination.from_overlay(res.overlay)
    ours = parcel_rule_scores(pixels, combination).to_numpy()
    reference = _exactextract_means(res.score, parcels, tmp_path)
    assert np.isfinite(reference).all()
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-6)
    # the pipeline's way, the zonal mean of the score over eligible land, is the same number
    zonal = zonal_stats(parcels, {"score": res.score}, eligible=res.eligible)
    np.testing.assert_allclose(zonal["score_mean"].to_numpy(), reference, rtol=0, atol=1e-6)
    if rule != "wlc":  # the WLC shortcut on criterion means gives other numbers for the other rules
        means = zonal_stats(parcels, crit, eligible=res.eligible, require_all_valid=True)
        w = res.overlay.normalized_weights
        shortcut = sum(w[i] * means[f"{n}_mean"].to_numpy() for i, n in enumerate("abc"))
        assert np.abs(shortcut - reference).max() > 0.01


def test_weighted_product_parcel_score_by_hand():
    # two pixels: (a, b) = (0, 1) and (1, 1); the product scores them 0 and 1, mean 0.5 — while the
    # product of the means, 0.5 ** 0.5 · 1 ** 0.5 = 0.707, is what an additive shortcut would rank by
    grid = sg.Grid.from_bounds((400_000, 4_430_000, 400_200, 4_430_100), crs="EPSG:32649", resolution_m=100)
    a = grid.to_dataarray(np.array([[0.0, 1.0]]))
    b = grid.to_dataarray(np.array([[1.0, 1.0]]))
    parcel = gpd.GeoDataFrame(geometry=[shapely.box(*grid.bounds)], crs=grid.crs)
    px = parcel_pixels(parcel, {"a": a, "b": b})
    assert parcel_rule_scores(px, Combination("weighted-product", {"a": 1, "b": 1}))[0] == pytest.approx(0.5)
    # OWA, order weights (1, 0): the larger value of each pixel -> 1 and 1 -> mean 1 (equal weights)
    owa = Combination("owa", {"a": 1, "b": 1}, order_weights=(1.0, 0.0))
    assert parcel_rule_scores(px, owa)[0] == pytest.approx(1.0)
    # fuzzy AND: min -> 0 and 1 -> 0.5; gain if a were perfect: 1 - 0.5; if b were: 0
    gains = perfect_criterion_gains(px, Combination("fuzzy-and", {"a": 1, "b": 1}))
    assert gains.iloc[0].to_dict() == pytest.approx({"gain_a": 0.5, "gain_b": 0.0})


def test_gains_weighted_product_by_hand():
    # one parcel over two pixels, (a, b) = (0.25, 0.0) and (0.25, 1.0), weights 1 : 1 (0.5 each)
    # score: (0 + sqrt(0.25)) / 2 = 0.25; a = 1 -> (0 + 1) / 2 = 0.5; b = 1 -> (0.5 + 0.5) / 2 = 0.5
    grid = sg.Grid.from_bounds((400_000, 4_430_000, 400_200, 4_430_100), crs="EPSG:32649", resolution_m=100)
    layers = {"a": grid.to_dataarray(np.array([[0.25, 0.25]])),
              "b": grid.to_dataarray(np.array([[0.0, 1.0]]))}
    parcel = gpd.GeoDataFrame(geometry=[shapely.box(*grid.bounds)], crs=grid.crs)
    px = parcel_pixels(parcel, layers)
    wpm = Combination("weighted-product", {"a": 1, "b": 1})
    assert parcel_rule_scores(px, wpm)[0] == pytest.approx(0.25)
    gains = perfect_criterion_gains(px, wpm).iloc[0].to_dict()
    assert gains == pytest.approx({"gain_a": 0.25, "gain_b": 0.25})


def test_wlc_gain_is_weight_times_shortfall_of_the_mean(layers, parcels):
    res = evaluate(_overlay("wlc", {}), layers)
    crit = {k: res.criteria[k] for k in "abc"}
    gains = perfect_criterion_gains(parcel_pixels(parcels, crit, eligible=res.eligible),
                                    Combination.from_overlay(res.overlay))
    means = zonal_stats(parcels, crit, eligible=res.eligible, require_all_valid=True)
    for i, name in enumerate("abc"):
        expected = res.overlay.normalized_weights[i] * (1 - means[f"{name}_mean"].to_numpy())
        np.testing.assert_allclose(gains[f"gain_{name}"].to_numpy(), expected, atol=1e-6)


def _reference_ranks(rule, options, layers, parcels, weights):
    """Ranks (1 = best, 'min' ties) from re-running the overlay with the drawn weights."""
    res = evaluate(_overlay(rule, options, weights=tuple(weights)), layers)
    score = zonal_stats(parcels, {"score": res.score}, eligible=res.eligible)["score_mean"]
    return score.rank(ascending=False, method="min").to_numpy()


WEIGHTED_RULES = [r for r in RULES if r[0] in ("wlc", "weighted-product", "owa")]


@pytest.mark.parametrize(("rule", "options"), WEIGHTED_RULES)
def test_rank_stability_recombines_pixels_like_the_overlay(rule, options, layers, parcels):
    res = evaluate(_overlay(rule, options), layers)
    crit = {k: res.criteria[k] for k in "abc"}
    pixels = parcel_pixels(parcels, crit, eligible=res.eligible)
    combination = Combination.from_overlay(res.overlay)
    draws = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7], [0.2, 0.7, 0.1], [1 / 3, 1 / 3, 1 / 3]])
    out = pixel_rank_stability(pixels, combination, draws=draws, top_k=2)
    ranks = np.column_stack([_reference_ranks(rule, options, layers, parcels, d) for d in draws])
    base = _reference_ranks(rule, options, layers, parcels, res.overlay.normalized_weights)
    assert len({tuple(r) for r in ranks.T}) > 1  # the draws do move ranks: the test can fail
    np.testing.assert_array_equal(out["base_rank"].to_numpy(dtype=float), base)
    np.testing.assert_allclose(out["mean_rank"].to_numpy(), ranks.mean(axis=1))
    np.testing.assert_allclose(out["p_top_k"].to_numpy(), (ranks <= 2).mean(axis=1))
    if rule == "wlc":  # and for WLC it agrees with the matrix shortcut on criterion means
        means = zonal_stats(parcels, crit, eligible=res.eligible, require_all_valid=True)
        shortcut = rank_stability(means, weights=combination.weights, draws=draws, top_k=2)
        pd.testing.assert_frame_equal(out, shortcut)


def _scores_pixel_first(pixels, combination, draws):
    """The draw scores with every pixel scored first, then averaged: (draws, parcels).

    Each pixel is scored under every draw on the whole pixel matrix (the rule's closed form,
    criteria summed in order), clipped to [0, 1], then the coverage-weighted mean per parcel is
    taken (:meth:`ParcelPixels.means`, scipy's sparse product).
    """
    def linear(values):
        out = values[:, 0:1] * draws[None, :, 0]
        for j in range(1, values.shape[1]):
            out = out + values[:, j:j + 1] * draws[None, :, j]
        return out

    x = pixels.values
    if combination.rule.value == "wlc":
        s = linear(x)
    elif combination.rule.value == "weighted-product":
        with np.errstate(divide="ignore"):
            logs = np.log(x)
        logs[x <= 0] = -1e300
        s = np.exp(linear(logs))
    else:  # OWA: order weights at each criterion's position in the pixel's descending order
        v = np.asarray(combination.order_weights)
        order = np.argsort(-x, axis=1, kind="stable")
        position = np.empty_like(order)
        np.put_along_axis(position, order, np.arange(x.shape[1])[None, :], axis=1)
        den_m = v[position]
        den = linear(den_m)
        plain = (v[None, :] * np.take_along_axis(x, order, axis=1)).sum(axis=1)
        s = np.where(den > 0, linear(den_m * x) / np.where(den > 0, den, 1.0), plain[:, None])
    return np.ascontiguousarray(pixels.means(np.clip(s, 0.0, 1.0)).T)


@pytest.mark.parametrize("tile", [1, 7, 64, 1 << 15])
@pytest.mark.parametrize(("rule", "options"), WEIGHTED_RULES)
def test_tiled_draw_scores_equal_pixel_first_scores(rule, options, tile, layers, parcels, small_grid,
                                                    monkeypatch):
    """Tiles of whole parcels (or pieces of one, `tile` < a parcel's entries) scored by BLAS products.

    Equal to the pixels scored first and averaged by the sparse product to 1e-12 (BLAS adds in
    its own order); parcels without eligible pixels are NaN (first and last); independent
    formulas for WLC and the weighted product to 1e-12.
    """
    import steppe_geo.parcels.rules as rules

    monkeypatch.setattr(rules, "_TILE_VALUES", tile * 3)  # 3 draws: `tile` entries per tile
    res = evaluate(_overlay(rule, options), layers)
    eligible = res.eligible.copy(data=np.asarray(res.eligible.values).copy())
    eligible.values[:, :3] = False
    extra = gpd.GeoDataFrame({"pid": ["edge"]}, crs=small_grid.crs,
                             geometry=[shapely.box(400_000, 4_430_300, 400_080, 4_430_400)])
    both = pd.concat([extra, parcels, extra.assign(pid="edge2")], ignore_index=True)
    pixels = parcel_pixels(both, {k: res.criteria[k] for k in "abc"}, eligible=eligible)
    combination = Combination.from_overlay(res.overlay)
    draws = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7], [1 / 3, 1 / 3, 1 / 3]])
    got = rules._draw_scorer(pixels, combination)(draws)
    want = _scores_pixel_first(pixels, combination, draws)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert np.isnan(got[:, 0]).all() and np.isnan(got[:, -1]).all() and np.isfinite(got[:, 1:-1]).all()
    if rule != "owa":  # and an independent formula: Σ wᵢxᵢ or Π xᵢ^wᵢ per pixel, averaged per parcel
        x = pixels.values[:, None, :]
        by_hand = (x * draws).sum(axis=2) if rule == "wlc" else np.prod(x ** draws, axis=2)
        np.testing.assert_allclose(got, pixels.means(by_hand).T, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("rule", "options"), WEIGHTED_RULES)
def test_draw_scores_and_ranks_equal_the_per_draw_recomputation(rule, options, layers, parcels):
    """The block of draws scored at once = a loop over the draws with the overlay's float64 kernel.

    Reference: for each of 40 Dirichlet draws, every pixel is recombined by
    ``steppe_geo.mcda.combine._kernel`` (the overlay's own per-rule kernel; WLC: Σ wᵢxᵢ written
    out) with that draw's weights, clipped to [0, 1] and averaged per parcel; ranks are pandas'
    ``rank(method="min")`` of those scores. Scores within 1e-12, ranks identical.
    """
    from steppe_geo.mcda.combine import _kernel
    from steppe_geo.parcels.rules import _draw_scorer
    from steppe_geo.parcels.stability import _rank_draws

    res = evaluate(_overlay(rule, options), layers)
    pixels = parcel_pixels(parcels, {k: res.criteria[k] for k in "abc"}, eligible=res.eligible)
    combination = Combination.from_overlay(res.overlay)
    draws = np.random.default_rng(3).dirichlet([6.0, 4.0, 2.0], size=40)
    v = np.asarray(combination.order_weights) if combination.order_weights is not None else None
    want = []
    for w in draws:
        xt = pixels.values.T
        s = (w[:, None] * xt).sum(axis=0) if rule == "wlc" else _kernel(combination.rule, xt, w, v, 0.9)
        want.append(pixels.means(np.clip(s, 0.0, 1.0)))
    want = np.array(want)
    scorer = _draw_scorer(pixels, combination)
    np.testing.assert_allclose(scorer(draws), want, rtol=1e-12, atol=1e-15)
    marks = np.where(pixels.area_ha > 0, 0.0, np.nan)[None, :]
    ranks = _rank_draws(draws, marks, block=16, score_fn=scorer)  # (parcels, draws); 3 blocks, 2 threads
    want_ranks = np.column_stack([pd.Series(s).rank(ascending=False, method="min").to_numpy() for s in want])
    assert len({tuple(r) for r in want_ranks.T}) > 1  # the draws move ranks: the test can fail
    np.testing.assert_array_equal(ranks, want_ranks.astype(ranks.dtype))


@pytest.mark.parametrize("rule, options",
                         [("weighted-product", {}), ("owa", {"order_weights": [0.5, 0.3, 0.2]})])
def test_rank_stability_from_scores_of_parcel_chunks_equals_the_whole(rule, options, layers, parcels):
    # a windowed run scores each chunk of parcels under the draws on the chunk's pixels and keeps only
    # (draws, parcels) numbers; ranked together they give pixel_rank_stability's table on all parcels
    from steppe_geo.parcels import draw_weight_rows, parcel_draw_scores, rank_stability_of_scores

    res = evaluate(_overlay(rule, options), layers)
    crit = {k: res.criteria[k] for k in "abc"}
    combination = Combination.from_overlay(res.overlay)
    whole = pixel_rank_stability(parcel_pixels(parcels, crit, eligible=res.eligible), combination,
                                 n_draws=50, top_k=3, rng=11)
    rows = draw_weight_rows(combination, n_draws=50, rng=11)
    n = len(parcels)
    scores, base, valid = np.full((50, n), np.nan), np.full(n, np.nan), np.zeros(n, dtype=bool)
    for pos in (np.arange(n)[1::2], np.arange(n)[::2]):  # two interleaved chunks
        s, b, v = parcel_draw_scores(parcel_pixels(parcels.iloc[pos], crit, eligible=res.eligible),
                                     combination, rows)
        scores[:, pos], base[pos], valid[pos] = s, b, v
    chunked = rank_stability_of_scores(scores, base, valid, top_k=3, index=parcels.index)
    assert whole["mean_rank"].nunique() > 2  # the draws move ranks: the comparison can fail
    pd.testing.assert_frame_equal(chunked, whole, check_exact=False, rtol=0, atol=1e-12)


def test_rank_stability_refuses_rules_that_ignore_weights(layers, parcels):
    res = evaluate(_overlay("fuzzy-and", {}), layers)
    pixels = parcel_pixels(parcels, {k: res.criteria[k] for k in "abc"}, eligible=res.eligible)
    with pytest.raises(InvalidParameterError, match="'fuzzy-and' ignores the criterion weights"):
        pixel_rank_stability(pixels, Combination.from_overlay(res.overlay), n_draws=10, top_k=2)


def test_rank_stability_default_draws_are_seeded_and_skip_parcels_without_pixels(layers, parcels, small_grid):
    res = evaluate(_overlay("weighted-product", {}), layers)
    eligible = res.eligible.copy(data=np.asarray(res.eligible.values).copy())
    eligible.values[:, :3] = False  # nothing eligible under an extra parcel at the west edge
    extra = gpd.GeoDataFrame({"pid": ["edge"]}, crs=small_grid.crs,
                             geometry=[shapely.box(400_000, 4_430_300, 400_080, 4_430_400)])
    both = pd.concat([parcels, extra], ignore_index=True)
    pixels = parcel_pixels(both, {k: res.criteria[k] for k in "abc"}, eligible=eligible)
    combination = Combination.from_overlay(res.overlay)
    a = pixel_rank_stability(pixels, combination, n_draws=64, top_k=3, rng=5)
    b = pixel_rank_stability(pixels, combination, n_draws=64, top_k=3, rng=5)
    pd.testing.assert_frame_equal(a, b)
    assert a["base_rank"].isna().tolist() == [False] * len(parcels) + [True]
    assert a["p_top_k"].iloc[-1] == 0 and np.isnan(a["mean_rank"].iloc[-1])
    ranked = a["base_rank"].dropna().to_numpy(dtype=int)
    assert sorted(ranked) == list(range(1, len(parcels) + 1))  # a permutation of the parcels with pixels
    sub = pixel_rank_stability(pixels.take(np.arange(len(both)) < len(parcels)), combination, n_draws=64,
                               top_k=3, rng=5)
    pd.testing.assert_frame_equal(sub, a.iloc[:-1])


def test_combination_and_pixels_errors(layers, parcels):
    with pytest.raises(InvalidParameterError, match="rule"):
        Combination("weighted-sums", {"a": 1})
    with pytest.raises(InvalidParameterError, match="weights must be finite"):
        Combination("wlc", {"a": -1, "b": 2})
    with pytest.raises(InvalidParameterError, match="needs order weights"):
        Combination("owa", {"a": 1, "b": 1})
    with pytest.raises(InvalidParameterError, match="only apply to rule 'owa'"):
        Combination("wlc", {"a": 1, "b": 1}, order_weights=(0.5, 0.5))
    px = parcel_pixels(parcels, {"b": layers["b"], "a": layers["a"]})
    with pytest.raises(MissingLayerError, match="weight order"):
        parcel_rule_scores(px, Combination("wlc", {"a": 1, "b": 1}))
    with pytest.raises(InvalidParameterError, match="at least one layer"):
        parcel_pixels(parcels, {})
    with pytest.raises(InvalidParameterError, match="expected 6 booleans"):
        px.take([True])
    with pytest.raises(InvalidParameterError, match="all zero"):
        pixel_rank_stability(parcel_pixels(parcels, {"a": layers["a"], "b": layers["b"]}),
                             Combination("wpm", {"a": 1, "b": 1}), draws=np.array([[0.0, 0.0]]), top_k=1)


def test_rank_parcels_explains_non_additive_rules_without_shares(layers, parcels):
    res = evaluate(_overlay("weighted-product", {}), layers)
    crit = {k: res.criteria[k] for k in "abc"}
    zonal = zonal_stats(parcels, {**crit, "score": res.score}, eligible=res.eligible, require_all_valid=True)
    gains = perfect_criterion_gains(parcel_pixels(parcels, crit, eligible=res.eligible),
                                    Combination.from_overlay(res.overlay))
    zonal = zonal.join(gains)
    with pytest.raises(MissingLayerError, match="'weighted-product' needs the zonal mean of the score"):
        rank_parcels(zonal, weights=res.weights, rule="weighted-product")
    ranked = rank_parcels(zonal, weights=res.weights, rule="wpm", score_column="score_mean")
    assert not [c for c in ranked.columns if c.startswith(("share_", "contrib_"))]
    assert {"gain_a", "gain_b", "gain_c"} <= set(ranked.columns)
    np.testing.assert_array_equal(ranked["score"].to_numpy(), ranked["score_mean"].to_numpy())
    wlc = rank_parcels(zonal, weights=res.weights, score_column="score_mean")  # rule wlc: shares written
    assert "share_a" in wlc.columns


MONOTONE = [r for r, _ in RULES if r != "owa"]


@settings(max_examples=60, deadline=None)
@given(values=hnp.arrays(np.float64, (3, 2, 3), elements=st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0])
                         | st.floats(0, 1)),
       weights=hnp.arrays(np.float64, 3, elements=st.floats(0.01, 1)),
       rule=st.sampled_from(MONOTONE))
def test_scores_in_unit_interval_and_gains_within_the_room_left(values, weights, rule):
    # For rules that never fall when a criterion rises, 0 <= gain <= 1 - score; the parcel score is
    # a mean of pixel scores in [0, 1]. (Weighted OWA is not monotone: its gains can be negative.)
    grid = sg.Grid.from_bounds((400_000, 4_430_000, 400_300, 4_430_200), crs="EPSG:32649", resolution_m=100)
    layers = {n: grid.to_dataarray(values[i]) for i, n in enumerate("abc")}
    parcels = gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 400_170, 4_430_200),
                                         shapely.box(400_130, 4_430_050, 400_300, 4_430_200)], crs=grid.crs)
    px = parcel_pixels(parcels, layers)
    combination = Combination(rule, dict(zip("abc", weights, strict=True)))
    score = parcel_rule_scores(px, combination).to_numpy()
    gains = perfect_criterion_gains(px, combination).to_numpy()
    assert ((score >= 0) & (score <= 1)).all()
    assert (gains >= -1e-6).all() and (gains <= (1 - score)[:, None] + 1e-6).all()
