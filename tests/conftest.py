"""Shared test fixtures and the metadata-preservation helper (cf. xarray-spatial general_checks)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import xarray as xr

import steppe_geo as sg

os.environ.setdefault("MPLBACKEND", "Agg")


def _assert_same_georef(result: xr.DataArray, reference: xr.DataArray, *, check_dtype: bool = False) -> None:
    """Assert that ``result`` kept the CRS, transform, shape and coordinates of ``reference``."""
    g_res, g_ref = sg.Grid.from_dataarray(result), sg.Grid.from_dataarray(reference)
    assert g_res.same_as(g_ref), f"{g_res.describe()} != {g_ref.describe()}"
    np.testing.assert_allclose(result["x"].values, reference["x"].values)
    np.testing.assert_allclose(result["y"].values, reference["y"].values)
    if check_dtype:
        assert result.dtype == reference.dtype


@pytest.fixture
def small_grid() -> sg.Grid:
    """A 40 x 60 grid of 30 m pixels in UTM zone 49N (the sample area's zone)."""
    return sg.Grid.from_bounds((400_000, 4_430_000, 401_800, 4_431_200), crs="EPSG:32649", resolution_m=30)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261128)


@pytest.fixture
def assert_same_georef():
    """The helper ``assert_same_georef(result, reference, check_dtype=False)`` as a fixture."""
    return _assert_same_georef
