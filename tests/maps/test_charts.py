import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pytest
import shapely

from steppe_geo.errors import GeographicCRSError, InvalidParameterError, MissingCRSError
from steppe_geo.maps import plot_rank_stability, plot_ranked_parcels


@pytest.fixture
def parcels(rng):
    boxes = [shapely.box(400_000 + 500 * i, 4_430_000 + 500 * j, 400_500 + 500 * i, 4_430_500 + 500 * j)
             for j in range(4) for i in range(5)]
    score = rng.random(len(boxes))
    score[7] = np.nan
    return gpd.GeoDataFrame({"name": [f"地块{i}" for i in range(20)], "score": score}, geometry=boxes,
                            crs="EPSG:32649")


def test_choropleth_classes_match_mapclassify_and_top_k_are_labelled(parcels, image_checks):
    ax = plot_ranked_parcels(parcels, column="score", top_k=3, n_classes=4)
    image_checks["assert_not_blank"](ax.figure)
    valid = parcels["score"].dropna().to_numpy()
    bins = mapclassify.Quantiles(valid, k=4).bins
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[3].endswith(f"{bins[3]:.3g}") and len(legend) == 4 + 2  # classes, no value, top k
    assert legend[-2:] == ["no value", "top 3 (rank)"]
    top = parcels["score"].sort_values(ascending=False).index[:3]
    labels = {t.get_text(): t.xy for t in ax.texts if t.get_text() in {"1", "2", "3"}}
    assert set(labels) == {"1", "2", "3"}
    for rank, idx in enumerate(top, start=1):
        assert parcels.geometry[idx].contains(shapely.Point(labels[str(rank)]))
    assert "km" in ax.get_xlabel()


def test_choropleth_label_column_and_errors(parcels):
    ax = plot_ranked_parcels(parcels, column="score", top_k=1, label_column="name")
    assert any(t.get_text().startswith("1 地块") for t in ax.texts)
    with pytest.raises(InvalidParameterError, match="'scor' is not a column of parcels; did you mean"):
        plot_ranked_parcels(parcels, column="scor")
    with pytest.raises(InvalidParameterError, match=r"top_k must be within \[0, 20\]"):
        plot_ranked_parcels(parcels, column="score", top_k=21)
    with pytest.raises(InvalidParameterError, match="scheme: unknown value 'quantile'; did you"):
        plot_ranked_parcels(parcels, column="score", scheme="quantile")
    with pytest.raises(MissingCRSError, match="parcels have no CRS"):
        plot_ranked_parcels(parcels.set_crs(None, allow_override=True), column="score")
    with pytest.raises(GeographicCRSError, match="needs a projected CRS"):
        plot_ranked_parcels(parcels.to_crs("EPSG:4326"), column="score")


def test_rank_stability_chart(image_checks):
    table = pd.DataFrame({"base_rank": [3, 1, 2, 4], "mean_rank": [3.2, 1.4, 2.1, 3.9],
                          "rank_p05": [2, 1, 1, 3], "rank_p95": [5, 3, 3, 4],
                          "p_top_k": [0.1, 0.95, 0.8, 0.0]}, index=["c", "a", "b", "d"])
    ax = plot_rank_stability(table, probability="p_top_k", n=3)
    image_checks["assert_not_blank"](ax.figure, min_fraction=0.03)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]  # best first, d cut by n=3
    assert "95 %" in [t.get_text() for t in ax.texts]
    with pytest.raises(InvalidParameterError, match="low: 'p5' is not a column of table"):
        plot_rank_stability(table, low="p5")
    with pytest.raises(InvalidParameterError, match="non-empty DataFrame"):
        plot_rank_stability(table.iloc[:0])


def test_rank_stability_chart_labels_parcels_by_id_and_has_a_data_note(image_checks):
    # row positions 0..3 are not parcel ids: the chart must name parcels by the id column
    table = pd.DataFrame({"base_rank": [2, 1, 3], "rank_p05": [1, 1, 2], "rank_p95": [3, 2, 3],
                          "parcel_id": ["P00102", "P00364", "P00007"]})
    ax = plot_rank_stability(table, label_column="parcel_id", note="synthetic sample data")
    image_checks["assert_not_blank"](ax.figure, min_fraction=0.03)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["P00364", "P00102", "P00007"]
    assert "synthetic sample data" in [t.get_text() for t in ax.texts]


def test_value_function_chart_has_title_note_and_is_not_blank(small_grid, rng, image_checks, tmp_path):
    from steppe_geo.mcda import Linear, plot_value_function

    speeds = rng.normal(7.5, 1.2, small_grid.shape)
    layer = small_grid.to_dataarray(speeds, name="wind_speed_hub", units="m/s")
    ax = plot_value_function(Linear(5.0, 8.0), layer)
    image_checks["assert_not_blank"](ax.figure)
    assert ax.get_title() == Linear(5.0, 8.0).label()
    n = small_grid.rows * small_grid.cols
    assert any(t.get_text() == f"histogram: {n:,} valid pixels of 'wind_speed_hub'" for t in ax.texts)
    ax2 = plot_value_function(Linear(5.0, 8.0), layer, title="Wind speed", note="GWA-like sample, 2026")
    assert ax2.get_title() == "Wind speed" and [t.get_text() for t in ax2.texts] == ["GWA-like sample, 2026"]
    for fmt in ("png", "pdf"):  # both formats write a real file
        path = tmp_path / f"curve.{fmt}"
        ax2.figure.savefig(path)
        assert path.stat().st_size > 1000


def test_parcel_map_draws_the_aoi_outline(parcels):
    from steppe_geo.maps.furniture import AOI_OUTLINE_GID

    u = shapely.Polygon([(400_000, 4_430_000), (402_500, 4_430_000), (402_500, 4_432_000),
                         (402_000, 4_432_000), (402_000, 4_431_000), (400_500, 4_431_000),
                         (400_500, 4_432_000), (400_000, 4_432_000)])
    aoi = gpd.GeoDataFrame(geometry=[u], crs="EPSG:32649").to_crs("EPSG:4326")
    plain = plot_ranked_parcels(parcels, column="score", top_k=3)
    ax = plot_ranked_parcels(parcels, column="score", top_k=3, aoi=aoi)
    lines = [ln for ln in ax.lines if ln.get_gid() == AOI_OUTLINE_GID]
    assert len(lines) == 1
    np.testing.assert_allclose(np.column_stack(lines[0].get_data()), np.asarray(u.exterior.coords), atol=1e-6)
    assert ax.get_xlim() == plain.get_xlim() and ax.get_ylim() == plain.get_ylim()
    assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == "AOI outline"
