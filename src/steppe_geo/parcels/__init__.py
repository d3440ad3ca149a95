"""Rasters to parcels: exact zonal statistics, ranking, regions, selection, rank stability, exports."""

from steppe_geo.parcels.zonal import CoverageMatrix, Stat, coverage_matrix, zonal_stats

__all__ = ["CoverageMatrix", "Stat", "coverage_matrix", "zonal_stats"]
