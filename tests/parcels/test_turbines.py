"""Turbine layouts: every centre on eligible land, every pair outside the ellipse, better than a lattice."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
import xarray as xr
from rasterio.transform import from_origin

from steppe_geo.criteria.wakes import WindRose, farm_energy, weibull_rose
from steppe_geo.errors import CRSMismatchError, GeographicCRSError, InvalidParameterError
from steppe_geo.parcels import turbines

RES = 50.0
N = 160
D = 100.0


def _raster(mask: np.ndarray, crs="EPSG:32649", res=RES) -> xr.DataArray:
    rows, cols = mask.shape
    tr = from_origin(0.0, rows * res, res, res)
    x = (np.arange(cols) + 0.5) * res
    y = rows * res - (np.arange(rows) + 0.5) * res
    da = xr.DataArray(mask, dims=("y", "x"), coords={"y": y, "x": x})
    return da.rio.write_crs(crs).rio.write_transform(tr)


def _random_case(seed: int) -> tuple[shapely.Geometry, xr.DataArray, float]:
    """A random blob of circles, eligibility with random holes (blocks), a random wind direction."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(1500, 6500, size=(rng.integers(2, 6), 2))
    region = shapely.union_all([shapely.Point(*c).buffer(r) for c, r in
                                zip(centres, rng.uniform(700, 2200, len(centres)), strict=True)])
    coarse = rng.random((N // 8, N // 8)) > 0.25
    mask = np.kron(coarse, np.ones((8, 8), dtype=bool))
    return region, _raster(mask), float(rng.uniform(0, 360))


def _ellipse_violations(x, y, wind_from_deg, a, b):
    """All pairs, written independently: rotate the offset into the wind frame, ellipse test."""
    t = math.radians(wind_from_deg)
    bad = 0
    for i in range(len(x)):
        for j in range(len(x)):
            if i == j:
                continue
            dx, dy = x[j] - x[i], y[j] - y[i]
            along = dx * math.sin(t) + dy * math.cos(t)      # component along the from-direction
            across = dx * math.cos(t) - dy * math.sin(t)
            if (along / a) ** 2 + (across / b) ** 2 < 1 - 1e-9:
                bad += 1
    return bad


def _on_eligible(points: gpd.GeoDataFrame, eligible: xr.DataArray, region) -> bool:
    tr = eligible.rio.transform()
    for x, y in zip(points["x_m"], points["y_m"], strict=True):
        row, col = rasterio.transform.rowcol(tr, x, y)  # GDAL's own pixel lookup
        if not (0 <= row < eligible.shape[0] and 0 <= col < eligible.shape[1]):
            return False
        if not bool(eligible.values[row, col]) or not region.contains(shapely.Point(x, y)):
            return False
    return True


@pytest.mark.parametrize("seed", range(6))
def test_random_shapes_all_pairs_spaced_and_on_eligible_land(seed):
    region, elig, wd = _random_case(seed)
    pts = turbines.place_turbines(region, elig, rotor_diameter_m=D, wind_from_deg=wd)
    assert len(pts) > 5
    assert _ellipse_violations(pts["x_m"].to_numpy(), pts["y_m"].to_numpy(), wd, 8 * D, 4 * D) == 0
    assert _on_eligible(pts, elig, region)
    assert pts.crs == elig.rio.crs
    assert turbines.spacing_ok(pts["x_m"], pts["y_m"], rotor_diameter_m=D, wind_from_deg=wd)
    lat = turbines.lattice_layout(region, elig, rotor_diameter_m=D, wind_from_deg=wd)
    assert _ellipse_violations(lat["x_m"].to_numpy(), lat["y_m"].to_numpy(), wd, 8 * D, 4 * D) == 0
    assert _on_eligible(lat, elig, region)
    assert len(pts) >= len(lat)


def test_beats_the_best_lattice_where_a_lattice_is_poor():
    # a strip 600 m wide (1.5 across-spacings) at 30° to the wind: a lattice fits one column of
    # points per along-spacing at best; staggering and filling place more.
    elig = _raster(np.ones((N, N), dtype=bool))
    strip = shapely.LineString([(500, 500), (7500, 7500)]).buffer(300, cap_style="flat")
    wd = 15.0
    pts = turbines.place_turbines(strip, elig, rotor_diameter_m=D, wind_from_deg=wd)
    lat = turbines.lattice_layout(strip, elig, rotor_diameter_m=D, wind_from_deg=wd)
    assert len(pts) > len(lat)
    assert _ellipse_violations(pts["x_m"].to_numpy(), pts["y_m"].to_numpy(), wd, 8 * D, 4 * D) == 0
    # and on fragmented land (random holes) the gain is large
    region, elig2, wd2 = _random_case(11)
    many = turbines.place_turbines(region, elig2, rotor_diameter_m=D, wind_from_deg=wd2)
    base = turbines.lattice_layout(region, elig2, rotor_diameter_m=D, wind_from_deg=wd2)
    assert len(many) >= 1.05 * len(base)


def test_line_along_the_wind_by_hand():
    # one pixel column (x 4000–4050 m) 0..8000 m, wind from the north, 8 D = 800 m:
    # pixel centres lie at y = 25, 75, ..., 7975, so at most floor((7975 − 25) / 800) + 1 = 10 turbines
    mask = np.zeros((N, N), dtype=bool)
    mask[:, 80] = True
    elig = _raster(mask)
    region = shapely.box(0, 0, 8000, 8000)
    pts = turbines.place_turbines(region, elig, rotor_diameter_m=D, wind_from_deg=0.0)
    assert len(pts) == 10
    assert (np.diff(np.sort(pts["y_m"].to_numpy())) >= 800 - 1e-6).all()
    assert ((pts["x_m"] >= 4000) & (pts["x_m"] < 4050)).all()
    # across the wind the same column fits a turbine every 4 D = 400 m: floor(7950 / 400) + 1 = 20
    pts = turbines.place_turbines(region, elig, rotor_diameter_m=D, wind_from_deg=90.0)
    assert len(pts) == 20


def test_no_eligible_land_gives_no_turbines():
    elig = _raster(np.zeros((20, 20), dtype=bool))
    pts = turbines.place_turbines(shapely.box(0, 0, 1000, 1000), elig, rotor_diameter_m=D, wind_from_deg=0)
    assert len(pts) == 0


def test_turbine_layouts_per_region():
    region_a, elig, _ = _random_case(3)
    regions = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[region_a, shapely.box(0, 0, 2000, 2000)],
                               crs="EPSG:32649", index=[7, 9])
    rose = weibull_rose([0.05, 0.05, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2, 0.15, 0.05], 8.0, 2.0)
    points, summary = turbines.turbine_layouts(regions, elig, rose=rose, curve="nrel_6mw_170")
    assert list(summary.index) == [7, 9]
    for label, row in summary.iterrows():
        mine = points[points["region"] == label]
        assert row["turbines"] == len(mine)
        assert row["capacity_mw"] == pytest.approx(6.0 * len(mine))
        assert row["net_mwh_yr"] == pytest.approx(mine["net_mwh_yr"].sum())
        e = farm_energy(mine["x_m"], mine["y_m"], rose=rose, curve="nrel_6mw_170")
        assert row["gross_mwh_yr"] == pytest.approx(e.gross_mwh_yr)
        assert row["wake_loss_pct"] == pytest.approx(e.wake_loss_pct)
        assert 0 < row["wake_loss_pct"] < 40
        d = 170.0
        assert _ellipse_violations(mine["x_m"].to_numpy(), mine["y_m"].to_numpy(), row["wind_from_deg"],
                                   8 * d, 4 * d) == 0
    # direction from the rose: energy-weighted, here between W and NW sectors
    assert 270 < summary.loc[7, "wind_from_deg"] < 320


def test_turbine_layouts_direction_and_speed_rasters(tmp_path):
    region, elig, _ = _random_case(4)
    regions = gpd.GeoDataFrame(geometry=[region], crs="EPSG:32649")
    direction = elig.astype(float) * 0 + 300.0
    speed = elig.astype(float) * 0 + 9.0
    rose = WindRose((0.0, 180.0), (6.0,), np.array([[0.5], [0.5]]))
    points, summary = turbines.turbine_layouts(regions, elig, rose=rose, wind_from_deg=direction,
                                               mean_speed_m_s=speed)
    assert summary["wind_from_deg"].iloc[0] == pytest.approx(300.0)
    # the rose was scaled from 6 to 9 m/s: gross = n · P(9) · 8.76
    from steppe_geo.criteria.wind_power import load_power_curve
    p9 = float(load_power_curve("nrel_6mw_170").power(9.0))
    assert summary["gross_mwh_yr"].iloc[0] == pytest.approx(len(points) * p9 * 8.76)
    # written as a GeoPackage layer and read back
    path = tmp_path / "turbines.gpkg"
    points.to_file(path, layer="turbines", driver="GPKG")
    back = gpd.read_file(path, layer="turbines")
    assert len(back) == len(points) and back.crs == points.crs


def test_errors():
    elig = _raster(np.ones((10, 10), dtype=bool))
    box = shapely.box(0, 0, 500, 500)
    with pytest.raises(InvalidParameterError, match="rotor_diameter_m"):
        turbines.place_turbines(box, elig, rotor_diameter_m=0, wind_from_deg=0)
    with pytest.raises(InvalidParameterError, match="kind must be one of"):
        turbines.lattice_layout(box, elig, rotor_diameter_m=D, wind_from_deg=0, kind="hex")
    with pytest.raises(InvalidParameterError, match="wind_from_deg"):
        turbines.place_turbines(box, elig, rotor_diameter_m=D, wind_from_deg=float("nan"))
    with pytest.raises(GeographicCRSError):
        turbines.place_turbines(box, _raster(np.ones((10, 10), dtype=bool), crs="EPSG:4326", res=0.01),
                                rotor_diameter_m=D, wind_from_deg=0)
    rose = WindRose((0.0,), (8.0,), np.array([[1.0]]))
    with pytest.raises(CRSMismatchError, match="CRS of eligible"):
        turbines.turbine_layouts(gpd.GeoDataFrame(geometry=[box], crs="EPSG:32650"), elig, rose=rose)
