"""Reliability catalogue: geometry edge cases of parcels and areas of interest.

Null, empty, invalid (bow-tie), mixed, 3-D and point geometries; duplicate and null ids; parcels
and AOIs that do not overlap the grid; and parcels dropped for want of a geometry, which must be
reported and listed as unranked, not vanish. Real files are written to ``tmp_path``.

Decisions stated here:

- an **invalid** polygon (a bow-tie) is **repaired** with ``shapely.make_valid`` when read, with an
  :class:`~steppe_geo.errors.InvalidGeometryWarning` that counts the repairs; given to the API's
  zonal statistics (``coverage_matrix``), it is repaired the same way, with a warning naming its id
  (taken as given, its shapely area is 0 and every share of it would be wrong);
- a **3-D** polygon is used by its footprint (Z ignored: areas and coverage are planar);
- a parcel with a **null or empty** geometry: the API refuses it, naming the ids; a run reports it
  (a warning naming the ids) and lists it in the parcel outputs with rank <NA> and a ``status``.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import steppe_geo as sg
from steppe_geo import mcda
from steppe_geo.errors import (
    EmptyLayerError,
    GeometryTypeError,
    InvalidGeometryWarning,
    InvalidParameterError,
    MissingCRSError,
    NoOverlapError,
)
from steppe_geo.parcels import coverage_matrix, zonal_stats

clear_error = pytest.mark.case("clear_error")
correct_result = pytest.mark.case("correct_result")

CRS = "EPSG:32649"
X0, Y0 = 400_000, 4_430_000


@pytest.fixture
def grid() -> sg.Grid:
    """4 x 4 pixels of 100 m (UTM 49N), values 0..15 row by row from the north-west."""
    return sg.Grid.from_bounds((X0, Y0, X0 + 400, Y0 + 400), crs=CRS, resolution_m=100)


@pytest.fixture
def values(grid) -> sg.Grid:
    return grid.to_dataarray(np.arange(16, dtype=np.float64).reshape(4, 4), name="v")


def _box(col: int, row: int, w: int = 1, h: int = 1) -> shapely.Polygon:
    """Pixels ``col..col+w-1`` x ``row..row+h-1`` (row 0 at the north)."""
    return shapely.box(X0 + 100 * col, Y0 + 400 - 100 * (row + h), X0 + 100 * (col + w), Y0 + 400 - 100 * row)


def _parcels(geoms, ids=None) -> gpd.GeoDataFrame:
    ids = list(range(1, len(geoms) + 1)) if ids is None else ids
    return gpd.GeoDataFrame({"pid": ids}, geometry=list(geoms), crs=CRS)


# ----------------------------------------------------------------------------- ids
@clear_error
def test_null_ids_are_counted_and_located(grid):
    # was "parcel ids (pid) must be unique; 2 duplicated, e.g. [nan]" for 3 null ids
    p = _parcels([_box(0, 0), _box(1, 0), _box(2, 0), _box(3, 0)], ids=[None, "a", None, None])
    with pytest.raises(InvalidParameterError) as info:
        coverage_matrix(p, grid, id_column="pid")
    msg = str(info.value)
    assert "parcel ids (pid): 3 of 4 parcels have no id (null) at rows [0, 2, 3]" in msg
    assert "duplicated" not in msg


@clear_error
def test_null_ids_in_a_run_name_the_input(run_cli, write_config, tiny_config_text, tmp_path):
    parcels = gpd.read_file(sg.datasets.sample_paths()["parcels"]).iloc[:30].copy()
    parcels.loc[parcels.index[[2, 5, 6]], "parcel_id"] = None
    parcels["geometry"] = parcels.geometry.make_valid()
    parcels.to_file(tmp_path / "parcels.gpkg")
    text = tiny_config_text.replace('parcels = "sample:parcels"', 'parcels = "parcels.gpkg"')
    res = run_cli("run", write_config(text))
    assert res.exit_code == 1
    msg = res.stderr[res.stderr.index("Error:"):]
    assert "parcels.source: input 'parcels' (" in msg and "parcels.gpkg)" in msg
    assert "parcel ids (parcel_id): 3 of 30 parcels have no id (null) at rows [2, 5, 6]" in msg
    assert not (tmp_path / "out").exists()


@clear_error
def test_duplicate_ids_are_named(grid, values):
    p = _parcels([_box(0, 0), _box(1, 0), _box(2, 0)], ids=["a", "b", "a"])
    with pytest.raises(InvalidParameterError, match=r"parcel ids \(pid\) must be unique; 1 duplicated, "
                                                    r"e\.g\. \['a'\]"):
        zonal_stats(p, {"v": values}, id_column="pid")


@clear_error
def test_unknown_id_column(grid, values):
    with pytest.raises(InvalidParameterError, match=r"id_column: no column 'parcel' in parcels; columns are "
                                                    r"\['pid', 'geometry'\]"):
        zonal_stats(_parcels([_box(0, 0)]), {"v": values}, id_column="parcel")


# ----------------------------------------------------------------------------- null, empty, types
@clear_error
def test_null_and_empty_parcels_are_named_by_the_api(grid, values):
    p = _parcels([_box(0, 0), None, shapely.Polygon()], ids=["a", "b", "c"])
    with pytest.raises(GeometryTypeError, match=r"2 of 3 parcels have a missing \(None\) or empty geometry; "
                                                r"ids: \['b', 'c'\]"):
        zonal_stats(p, {"v": values}, id_column="pid")


@clear_error
def test_points_given_as_parcels(grid, values):
    p = _parcels([_box(0, 0), shapely.Point(X0 + 50, Y0 + 50)], ids=["a", "b"])
    with pytest.raises(GeometryTypeError, match=r"parcels must be Polygon or MultiPolygon; 1 are not "
                                                r"\(types \['Point'\]\); ids: \['b'\]"):
        zonal_stats(p, {"v": values}, id_column="pid")


@clear_error
def test_mixed_polygons_and_lines_given_as_parcels_file(tmp_path):
    p = _parcels([_box(0, 0), shapely.LineString([(X0, Y0), (X0 + 300, Y0 + 300)])])
    p.to_file(tmp_path / "mixed.geojson")
    with pytest.raises(GeometryTypeError) as info:
        sg.read_vector(tmp_path / "mixed.geojson", role="parcels")
    msg = str(info.value)
    assert "mixed.geojson" in msg and "given as parcels holds LineString" in msg
    assert "MultiPolygon, Polygon" in msg


@clear_error
def test_points_given_as_parcels_in_a_run(run_cli, write_config, tiny_config_text, tmp_path):
    text = tiny_config_text.replace('parcels = "sample:parcels"', 'parcels = "sample:substations"')
    text = text.replace('id_column = "parcel_id"\n', "")
    res = run_cli("run", write_config(text))
    assert res.exit_code == 1
    msg = res.stderr[res.stderr.index("Error:"):]
    assert "parcels.source: input 'parcels' (" in msg and "substations.gpkg" in msg
    assert "must be Polygon or MultiPolygon" in msg and "'Point'" in msg
    assert not (tmp_path / "out").exists()


@clear_error
def test_layer_of_only_null_geometries(tmp_path):
    p = _parcels([None, None])
    p.to_file(tmp_path / "nulls.gpkg")
    with pytest.raises(EmptyLayerError, match=r"nulls\.gpkg' has only empty geometries"):
        sg.read_vector(tmp_path / "nulls.gpkg", role="parcels")


@clear_error
def test_parcels_without_crs(grid, values):
    p = _parcels([_box(0, 0)]).set_crs(None, allow_override=True)
    with pytest.raises(MissingCRSError, match=r"parcels have no CRS; set one with parcels\.set_crs"):
        zonal_stats(p, {"v": values})


# ----------------------------------------------------------------------------- invalid, 3-D
@correct_result
def test_bow_tie_is_repaired_when_read_and_its_zonal_mean_is_exact(tmp_path, grid, values):
    # A bow-tie from the NW corner: (x, y) → (x+200, y-200) → (x, y-200) → (x+200, y), crossing itself at
    # (x+100, y-100). make_valid splits it into two triangles of 200 x 100 / 2 = 1 ha each. By hand: the
    # upper triangle lies in row 0, half in pixel value 0 and half in value 1; the lower one in row 1, half
    # in value 4 and half in value 5: mean = (0 + 1 + 4 + 5) x 0.5 ha / 2 ha = 2.5, area 2 ha.
    x, y = X0, Y0 + 400
    bow = shapely.Polygon([(x, y), (x + 200, y - 200), (x, y - 200), (x + 200, y)])
    assert not bow.is_valid
    p = _parcels([bow])
    p.to_file(tmp_path / "bow.gpkg")
    with pytest.warns(InvalidGeometryWarning, match=r"bow\.gpkg: 1 invalid geometry was repaired with "
                                                    r"shapely\.make_valid"):
        read = sg.read_vector(tmp_path / "bow.gpkg", role="parcels")
    assert read.geometry.is_valid.all()
    assert read.geometry.area.iloc[0] == pytest.approx(20_000.0)
    z = zonal_stats(read, {"v": values}, stats=("mean", "area"))
    assert z["v_mean"].iloc[0] == pytest.approx(2.5, rel=1e-9)
    assert z["v_area"].iloc[0] == pytest.approx(2.0, rel=1e-9)
    # and the same from shapely's pixel intersections (independent of exactextract)
    assert _coverage_weighted_mean(read.geometry.iloc[0], values) == pytest.approx(2.5, rel=1e-12)


@correct_result
def test_bow_tie_given_to_the_api_is_repaired_and_reported(grid, values):
    # Taken as given, the bow-tie's shapely area is 0 (its two triangles have opposite orientations), so
    # parcel_area_ha and every share would be wrong. It is repaired as read_vector does, with a warning
    # naming it; by hand (see above): mean 2.5 over 2 ha, parcel area 2 ha, fully covered.
    x, y = X0, Y0 + 400
    bow = shapely.Polygon([(x, y), (x + 200, y - 200), (x, y - 200), (x + 200, y)])
    assert bow.area == 0.0
    p = _parcels([bow, _box(3, 3)], ids=["bow", "ok"])
    with pytest.warns(InvalidGeometryWarning, match=r"parcels: 1 invalid geometry was repaired with "
                                                    r"shapely\.make_valid .*ids: \['bow'\]"):
        z = zonal_stats(p, {"v": values}, stats=("mean", "area"), id_column="pid")
    assert z["v_mean"].tolist() == pytest.approx([2.5, 15.0])
    assert z["parcel_area_ha"].tolist() == pytest.approx([2.0, 1.0])
    assert z["covered_fraction"].tolist() == pytest.approx([1.0, 1.0])
    assert p.geometry.iloc[0].equals(bow)  # the caller's parcels are not modified


def _coverage_weighted_mean(geom, da) -> float:
    """Independent reference: shapely intersection areas of the geometry with every pixel."""
    grid = sg.Grid.from_dataarray(da)
    total = weighted = 0.0
    for r in range(grid.rows):
        for c in range(grid.cols):
            a = geom.intersection(_box(c, r)).area
            total += a
            weighted += a * float(da.values[r, c])
    return weighted / total


@correct_result
def test_polygons_with_z_are_used_by_their_footprint(grid, values):
    flat = _parcels([_box(0, 0, 2, 1), shapely.Polygon([(X0 + 50, Y0 + 50), (X0 + 350, Y0 + 50),
                                                        (X0 + 350, Y0 + 250)])])
    z3 = flat.copy()
    z3["geometry"] = shapely.force_3d(flat.geometry.values, 1234.0)
    assert z3.geometry.has_z.all()
    got = zonal_stats(z3, {"v": values}, stats=("mean", "area"))
    want = zonal_stats(flat, {"v": values}, stats=("mean", "area"))
    np.testing.assert_allclose(got[["v_mean", "v_area"]].to_numpy(), want[["v_mean", "v_area"]].to_numpy())
    # and against the shapely reference: parcel 1 = pixels 0 and 1 → mean 0.5, 2 ha
    assert got["v_mean"].iloc[0] == pytest.approx(0.5) and got["v_area"].iloc[0] == pytest.approx(2.0)
    assert got["v_mean"].iloc[1] == pytest.approx(_coverage_weighted_mean(flat.geometry.iloc[1], values))


# ----------------------------------------------------------------------------- overlap
@clear_error
def test_parcels_outside_the_grid_are_named(grid, values):
    p = _parcels([_box(0, 0), shapely.box(0, 0, 100, 100)], ids=["in", "far"])
    with pytest.raises(NoOverlapError, match=r"1 of 2 parcels do not overlap the grid .*ids: \['far'\]"):
        zonal_stats(p, {"v": values}, id_column="pid")


@clear_error
def test_aoi_outside_the_grid(grid, values):
    ov = mcda.Overlay((mcda.Criterion("v", mcda.Linear(0, 15)),))
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 100, 100)], crs=CRS)
    with pytest.raises(InvalidParameterError,
            match=r"aoi does not overlap the grid .*its bounds in the grid's "
            r"CRS are \(0\.0, 0\.0, 100\.0, 100\.0\)"):
        mcda.evaluate(ov, {"v": values}, aoi=aoi)


@clear_error
def test_aoi_of_points(grid, values):
    ov = mcda.Overlay((mcda.Criterion("v", mcda.Linear(0, 15)),))
    aoi = gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 50, Y0 + 50)], crs=CRS)
    with pytest.raises(InvalidParameterError, match=r"aoi has no polygon with an area \(geometry types "
                                                    r"\['Point'\]\)"):
        mcda.evaluate(ov, {"v": values}, aoi=aoi)


@clear_error
def test_aoi_far_from_the_inputs_in_a_run(run_cli, write_config, tiny_config_text, tmp_path):
    # an AOI 400 km south of the sample rasters: every raster has no valid pixel in it
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(500_000, 4_000_000, 520_000, 4_020_000)], crs=CRS)
    aoi.to_file(tmp_path / "far_aoi.gpkg")
    text = tiny_config_text.replace('aoi = "sample:aoi"', 'aoi = "far_aoi.gpkg"')
    res = run_cli("validate", write_config(text))
    assert res.exit_code == 1
    msg = res.stderr[res.stderr.index("Error:"):]
    for key, file in (("sources.ghi", "ghi.tif"), ("sources.dem", "dem.tif")):
        assert f"{key}: raster '{file}' has no valid pixel inside the area of interest" in msg
        assert f"check {key}.path and its CRS" in msg


# ----------------------------------------------------------------------------- dropped parcels in a run
@correct_result
def test_parcels_without_geometry_are_reported_and_listed_unranked(run_cli, write_config, tiny_config_text,
                                                                   tmp_path):
    # was: null and empty parcel geometries vanished from the ranking without a word
    parcels = gpd.read_file(sg.datasets.sample_paths()["parcels"]).iloc[:30].copy()
    parcels.loc[parcels.index[[3, 7]], "geometry"] = None
    parcels.loc[parcels.index[11], "geometry"] = shapely.MultiPolygon()
    parcels.to_file(tmp_path / "parcels.gpkg")
    ids = parcels["parcel_id"].iloc[[3, 7, 11]].tolist()
    text = (tiny_config_text.replace('parcels = "sample:parcels"', 'parcels = "parcels.gpkg"')
            .replace("n_draws = 0", "n_draws = 0\nmin_eligible_ha = 0\n"
                                              "min_eligible_share = 0")
            .replace('vectors = ["gpkg"]', 'vectors = ["gpkg", "parquet"]'))
    res = run_cli("run", write_config(text))
    assert res.exit_code == 0, res.stderr
    warning = next(ln for ln in res.stderr.splitlines() if "are not ranked" in ln)
    assert "3 of 30 parcels of input 'parcels' (" in warning and "parcels.gpkg)" in warning
    assert f"no geometry (null): parcel_id {ids[:2]}" in warning and f"empty geometry: parcel_id {ids[2:]}" \
        in warning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL notes the null geometries
        ranked = gpd.read_file(tmp_path / "out" / "parcels" / "solar.gpkg", layer="ranked_parcels")
    assert len(ranked) == 30 and sorted(ranked["parcel_id"]) == sorted(parcels["parcel_id"])
    gone = ranked.set_index("parcel_id").loc[ids]
    assert gone["status"].tolist() == ["no geometry (null)", "no geometry (null)", "empty geometry"]
    assert gone["rank"].isna().all() and gone["score"].isna().all()
    assert gone.geometry.isna().all() | gone.geometry.is_empty.all()
    kept = ranked[~ranked["parcel_id"].isin(ids)]
    # the 27 others are all ranked, within 1..27 (ties share the lower rank at this coarse 2 km grid)
    assert kept["rank"].notna().all() and kept["rank"].min() == 1 and kept["rank"].max() <= 27
    assert (kept["status"] == "ranked").all()
    table = pd.read_parquet(tmp_path / "out" / "parcels" / "solar.parquet")
    assert len(table) == 30 and set(table.loc[table["parcel_id"].isin(ids), "status"]) == {
        "no geometry (null)", "empty geometry"}
