import matplotlib.pyplot as plt
import numpy as np
import pytest
from affine import Affine
from matplotlib.image import AxesImage

import steppe_geo as sg
from steppe_geo.errors import GeographicCRSError, InvalidParameterError, MissingCRSError
from steppe_geo.maps import (
    ESA_CLASS_LABELS,
    add_coordinates,
    nice_length_m,
    plot_esa_classes,
    plot_exclusions,
    plot_suitability,
)
from steppe_geo.maps.furniture import NORTH_ARROW_GID, SCALE_BAR_GID


def _score(grid, rng):
    rows, cols = grid.shape
    _yy, xx = np.mgrid[0:rows, 0:cols]
    s = (xx / (cols - 1) * 0.7 + 0.3 * rng.random((rows, cols))).astype(np.float32)
    s[:5, :5] = np.nan  # ineligible corner
    return grid.to_dataarray(s, name="wind score", units="1")


def test_blank_figure_fails_the_image_check(image_checks):
    fig, _ = plt.subplots()
    with pytest.raises(AssertionError, match="differ from the background"):
        image_checks["assert_not_blank"](fig)


def test_nice_length_is_a_1_2_5_step_below_a_quarter_of_the_width():
    # hand values: 45 km wide -> quarter 11.25 km -> 10 km; 1.8 km -> 450 m -> 200 m; 3 km -> 750 m -> 500 m
    assert nice_length_m(45_000) == 10_000
    assert nice_length_m(1_800) == 200
    assert nice_length_m(3_000) == 500


def test_suitability_map_has_basemap_colorbar_and_furniture(small_grid, rng, image_checks):
    score = _score(small_grid, rng)
    hill = small_grid.to_dataarray(rng.uniform(0, 255, small_grid.shape), name="hillshade")
    ax = plot_suitability(score, hillshade=hill, note="synthetic test data")
    image_checks["assert_not_blank"](ax.figure)
    images = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    assert len(images) == 2  # hillshade + score
    assert len(ax.figure.axes) == 2  # map + colour bar
    assert ax.get_title() == "wind score"
    assert any(getattr(a, "get_gid", lambda: None)() == SCALE_BAR_GID for a in ax.patches)
    # 60 cols x 30 m = 1.8 km wide -> a 200 m bar
    assert "200 m" in [t.get_text() for t in ax.texts]
    assert any(c.get_gid() == NORTH_ARROW_GID for c in ax.get_children())
    assert "synthetic test data" in [t.get_text() for t in ax.texts]
    assert "EPSG:32649" in ax.get_xlabel()
    # the NaN corner is masked (transparent), not drawn as a value
    arr = images[1].get_array()
    assert np.ma.is_masked(arr) and arr.mask[:5, :5].all()


def test_suitability_draws_into_the_given_axes(small_grid, rng):
    fig, ax = plt.subplots()
    out = plot_suitability(_score(small_grid, rng), ax=ax)
    assert out is ax
    assert plt.get_fignums() == [fig.number]  # no other figure created


def test_suitability_rejects_bad_input(small_grid, rng):
    with pytest.raises(InvalidParameterError, match="score must be a 2-D georeferenced DataArray"):
        plot_suitability(np.zeros((3, 3)))
    da = _score(small_grid, rng)
    with pytest.raises(MissingCRSError, match="has no CRS"):
        plot_suitability(da.drop_vars("spatial_ref"))
    geo = sg.Grid.from_bounds((108.9, 40.0, 109.0, 40.1), crs="EPSG:4326", resolution_deg=0.01)
    with pytest.raises(GeographicCRSError, match="map coordinates needs a projected CRS"):
        plot_suitability(geo.to_dataarray(np.zeros(geo.shape, dtype=np.float32)))


def test_coordinates_in_km():
    fig, ax = plt.subplots()
    ax.set_xlim(400_000, 410_000)
    add_coordinates(ax, "EPSG:32649")
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all(float(lab.replace("−", "-")) >= 400 for lab in labels)


def test_exclusion_map_colours_first_constraint_and_counts_each(small_grid, image_checks):
    bits = np.zeros(small_grid.shape, dtype=np.uint32)
    bits[0, :10] = 0b01  # 10 px by "reserve" only
    bits[1, :5] = 0b10  # 5 px by "settlements" only
    bits[2, :2] = 0b11  # 2 px by both
    da = small_grid.to_dataarray(bits, name="exclusion", nodata=np.uint32(0))
    ax = plot_exclusions(da, ["reserve", "settlements"])
    image_checks["assert_not_blank"](ax.figure, min_fraction=0.02)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    # counted by hand: reserve 10 + 2, settlements 5 + 2, eligible 41 x 61 - 17 = 2484 pixels of
    # 30 m x 30 m = 0.09 ha: 1.08 ha, 0.63 ha and 223.56 ha
    assert small_grid.shape == (41, 61)
    assert labels == ["eligible (224 ha)", "reserve (1.1 ha)", "settlements (0.63 ha)"]
    drawn = np.asarray(ax.images[0].get_array())
    assert drawn[2, 0] == 1  # both bits -> the first constraint in bit order
    assert drawn[1, 0] == 2 and drawn[0, 0] == 1 and drawn[5, 5] == 0


def test_exclusion_map_reserved_nodata_is_no_data_but_zero_is_eligible(small_grid):
    bits = np.zeros(small_grid.shape, dtype=np.uint32)
    bits[0, :10] = 0b1
    bits[3, :4] = np.iinfo(np.uint32).max  # a reserved "no data" code: not 32 constraints
    da = small_grid.to_dataarray(bits, name="exclusion", nodata=np.iinfo(np.uint32).max)
    labels = [t.get_text() for t in plot_exclusions(da, ["reserve"]).get_legend().get_texts()]
    # 41 x 61 - 14 = 2487 eligible pixels of 0.09 ha; 10 and 4 pixels = 0.9 and 0.36 ha
    assert labels == ["eligible (224 ha)", "reserve (0.9 ha)", "no data (0.36 ha)"]


def test_exclusion_map_errors(small_grid):
    bits = np.full(small_grid.shape, 4, dtype=np.uint32)
    da = small_grid.to_dataarray(bits, nodata=np.uint32(0))
    with pytest.raises(InvalidParameterError, match="bits set beyond the 2 constraint names"):
        plot_exclusions(da, ["a", "b"])
    with pytest.raises(InvalidParameterError, match="at least one constraint"):
        plot_exclusions(da, [])


def test_esa_class_map_has_the_eight_class_legend(image_checks):
    grid = sg.Grid("EPSG:32649", Affine(30.0, 0.0, 400_000.0, 0.0, -30.0, 4_430_240.0), (8, 10))
    codes = np.repeat(np.arange(1, 9, dtype=np.uint8), 10).reshape(8, 10)  # one row per class
    codes[0, 0] = 0  # nodata
    da = grid.to_dataarray(codes, name="esa_class", nodata=np.uint8(0))
    ax = plot_esa_classes(da)
    image_checks["assert_not_blank"](ax.figure)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [lab.split()[0] for lab in labels] == list(ESA_CLASS_LABELS)
    assert labels[0] == "N non-affected (11 %)"  # 9 of 79 valid pixels
    assert labels[-1] == "C3 critical 3 (13 %)"  # 10 of 79
    assert np.ma.is_masked(ax.images[0].get_array()[0, 0])  # nodata left blank
    with pytest.raises(InvalidParameterError, match="same length"):
        plot_esa_classes(da, codes=[1, 2])


def _u_in_degrees(grid):
    """A U-shaped AOI over ``grid`` in EPSG:4326 (the maps reproject it), and its vertices in metres."""
    import geopandas as gpd
    import shapely

    w, s, e, n = grid.bounds
    u = shapely.Polygon([(w + 100, s + 100), (e - 100, s + 100), (e - 100, n - 100), (e - 700, n - 100),
                         (e - 700, s + 500), (w + 700, s + 500), (w + 700, n - 100), (w + 100, n - 100)])
    return gpd.GeoSeries([u], crs=grid.crs).to_crs("EPSG:4326"), np.asarray(u.exterior.coords)


def _outline(ax):
    from steppe_geo.maps.furniture import AOI_OUTLINE_GID

    lines = [ln for ln in ax.lines if ln.get_gid() == AOI_OUTLINE_GID]
    assert len(lines) == 1
    return np.column_stack(lines[0].get_data())


def test_every_raster_map_draws_the_aoi_outline(small_grid, rng):
    aoi, vertices = _u_in_degrees(small_grid)
    score = _score(small_grid, rng)
    bits = np.zeros(small_grid.shape, dtype=np.uint32)
    bits[:3, :] = 0b001  # outside_aoi
    bits[5, :4] = 0b010  # no_data
    bits[8, :6] = 0b100  # steep
    exclusion = small_grid.to_dataarray(bits, name="exclusion")
    classes = small_grid.to_dataarray(rng.integers(1, 9, small_grid.shape).astype(np.uint8), name="esa")
    for draw in (lambda a: plot_suitability(score, aoi=a), lambda a: plot_exclusions(exclusion, [
            "outside_aoi", "no_data", "steep"], aoi=a), lambda a: plot_esa_classes(classes, aoi=a)):
        plain = draw(None)
        assert not [ln for ln in plain.lines if ln.get_gid() == "steppe_geo.aoi_outline"]
        ax = draw(aoi)
        # the outline is the AOI's boundary, taken back from degrees to the map's metres (round trip 1e-6 m)
        np.testing.assert_allclose(_outline(ax), vertices, atol=1e-6)
        # the map is not widened by the outline
        assert ax.get_xlim() == plain.get_xlim() and ax.get_ylim() == plain.get_ylim()
        assert "AOI outline" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_exclusion_map_gives_the_reserved_bits_fixed_greys(small_grid):
    from matplotlib.colors import to_hex

    bits = np.zeros(small_grid.shape, dtype=np.uint32)
    bits[:3, :] = 0b001
    bits[5, :4] = 0b010
    ax = plot_exclusions(small_grid.to_dataarray(bits, name="exclusion"), ["outside_aoi", "no_data", "steep"])
    patches = {t.get_text().split(" (")[0]: p for t, p in zip(ax.get_legend().get_texts(),
                                                             ax.get_legend().get_patches(), strict=True)}
    assert to_hex(patches["outside_aoi"].get_facecolor()) == "#d9d9d9"
    assert to_hex(patches["no_data"].get_facecolor()) == "#636363"


def test_exclusion_map_counts_constraints_inside_the_aoi_only(small_grid):
    bits = np.zeros(small_grid.shape, dtype=np.uint32)
    bits[0, :] = 0b101  # the top row (61 px) is outside the AOI and would be "steep" too
    bits[1, :10] = 0b100  # 10 px inside the AOI are steep
    bits[2, :3] = 0b010  # 3 px inside without data
    ax = plot_exclusions(small_grid.to_dataarray(bits, name="exclusion"), ["outside_aoi", "no_data", "steep"])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    # by hand, 0.09 ha pixels: outside 61 px = 5.49 ha; steep inside 10 px = 0.9 ha (not 71 px);
    # eligible 41 x 61 - 61 - 13 = 2427 px = 218 ha
    assert labels == ["eligible (218 ha)", "outside_aoi (5.5 ha)", "no_data (0.27 ha)", "steep (0.9 ha)"]


def test_exclusion_legend_takes_areas_counted_at_full_resolution(small_grid):
    # a decimated copy of a bitmask (every 2nd pixel) draws the map; the legend areas are those of
    # the full-resolution raster, given by the caller (a run counts them window by window)
    bits = np.zeros(small_grid.shape, dtype=np.uint32)
    bits[0, :10] = 0b01
    bits[1, :5] = 0b10
    full = small_grid.to_dataarray(bits, name="exclusion")
    small = full.isel(y=slice(None, None, 2), x=slice(None, None, 2))
    # by hand on the full raster: 10 and 5 px of 0.09 ha, 41 x 61 - 15 = 2486 eligible px
    areas = {"reserve": 0.9, "settlements": 0.45, "eligible": 2486 * 0.09}
    labels = [t.get_text() for t in plot_exclusions(small, ["reserve", "settlements"], areas_ha=areas)
              .get_legend().get_texts()]
    assert labels == ["eligible (224 ha)", "reserve (0.9 ha)", "settlements (0.45 ha)"]
    # without them the legend counts the decimated copy (60 m pixels of 0.36 ha): 5 of the reserve's
    # pixels (1.8 ha) and none of the settlements' (row 1 is not sampled): wrong at full resolution
    ax = plot_exclusions(small, ["reserve", "settlements"])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[1:] == ["reserve (1.8 ha)", "settlements (0 ha)"]
    with pytest.raises(InvalidParameterError, match=r"areas_ha names \['steep'\], which are not among"):
        plot_exclusions(small, ["reserve", "settlements"], areas_ha={"steep": 1.0})


def test_esa_legend_takes_shares_counted_at_full_resolution():
    grid = sg.Grid("EPSG:32649", Affine(30.0, 0.0, 400_000.0, 0.0, -30.0, 4_430_240.0), (8, 10))
    codes = np.repeat(np.arange(1, 9, dtype=np.uint8), 10).reshape(8, 10)
    da = grid.to_dataarray(codes, name="esa_class", nodata=np.uint8(0))
    shares = [0.5, 0.25, 0.125, 0.125, 0, 0, 0, 0]
    labels = [t.get_text() for t in plot_esa_classes(da, shares=shares).get_legend().get_texts()]
    assert labels[:4] == ["N non-affected (50 %)", "P potential (25 %)", "F1 fragile 1 (12 %)",
                          "F2 fragile 2 (12 %)"]
    with pytest.raises(InvalidParameterError, match=r"shares \(2\) and labels \(8\) must have the same"):
        plot_esa_classes(da, shares=[0.5, 0.5])
