"""Size and memory of a run, estimated before any work; runs that cannot succeed are refused up front.

``steppe-geo validate`` prints the estimate and :func:`steppe_geo.pipeline.run` checks it before it
reads a raster: the grid's pixels come from the AOI's bounds and the resolution (the AOI polygon is
read, no raster is), the input rasters' sizes from their headers. Refused up front, never by a numpy
allocation traceback:

- a grid or an input raster of more than :data:`steppe_geo.grid.MAX_GRID_PIXELS` pixels (in any
  mode; e.g. 0.05 m over a county, or a file declaring 10¹² pixels);
- a memory-mode run whose estimated peak memory exceeds the memory available (it suggests
  ``run.mode = "streamed"`` or Dask).

The peak-memory model and its calibration are in ``docs/guide/configuration.md`` ("Sizes and
memory"): a fixed start-up cost, the aligned inputs (their bands times the bytes of their decoded
type, per grid pixel) and, per model, the bytes per pixel measured for its preset with
``benchmarks/bench_scale.py``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import rasterio
import rasterio.errors

from steppe_geo._validation import available_memory, check_pixel_count, format_bytes
from steppe_geo.config import Config
from steppe_geo.errors import SizeLimitError, UnreadableInputError
from steppe_geo.io.remote import input_path, source_name
from steppe_geo.pipeline.inputs import _is_raster, build_grid

__all__ = ["BASE_BYTES", "MODEL_BYTES_PER_PIXEL", "RUN_BYTES_PER_PIXEL", "RasterHeader", "RunEstimate",
           "check_run_size", "estimate_run", "read_headers"]

log = logging.getLogger(__name__)

BASE_BYTES = 380 * 1024**2
"""Peak memory of a run before its grid counts (Python, libraries, vectors, parcels): the intercept
of peak RSS against grid pixels measured with ``benchmarks/bench_scale.py`` in memory mode for the
4-model screening example (0.37 GiB; 0.79 GiB at 0.31 Mpx, 7.12 GiB at 4.87 Mpx)."""

RUN_BYTES_PER_PIXEL = 304
"""Peak bytes per grid pixel a run needs whatever its inputs and models (rasterised AOI and parcels,
transient copies while aligning, map rendering, summary statistics); with the inputs' 4 bytes per
band (136 for the sample data) this is the 440 bytes per pixel shared by every model (see
:data:`MODEL_BYTES_PER_PIXEL`)."""

MODEL_BYTES_PER_PIXEL: dict[str, int] = {
    "wind_onshore": 297,
    "solar_pv": 270,
    "desertification_esai": 227,
    "restoration_priority": 255,
}
"""Peak bytes per grid pixel that one model adds in memory mode (its derived layers, standardised
criteria, score, masks and the parcel statistics over them), by preset. Measured with
``benchmarks/bench_scale.py`` on the sample data: each model alone at 100 m and 50 m (0.31 and
1.22 Mpx) gave slopes of 610, 587, 552 and 575 bytes per pixel and the four together 1232, so the
part every run shares is (610 + 587 + 552 + 575 - 1232) / 3 = 364 and each model adds its slope
minus 364. The four together measured from 0.31 to 4.87 Mpx cost 1489 bytes per pixel (the cost per
pixel rises with the grid), so every term is scaled by 1489 / 1232 = 1.209 to hold at that size.
Presets not measured, model files and custom overlays use the largest."""

OUTPUT_BYTES_PER_PIXEL = 4 + 1 + 4
"""Uncompressed bytes per pixel of one model's rasters: score (float32), eligible (uint8) and the
exclusion bitmask (uint32)."""


@dataclass(frozen=True)
class RasterHeader:
    """What an input raster declares in its header (nothing else is read).

    Attributes
    ----------
    name : str
        Input name (``sources.<name>``).
    path : pathlib.Path or str
        The file, or a URL input as written.
    shape : (bands, rows, cols) tuple of int
    dtype : str
        Data type of band 1 (``"int16"``, ``"float32"``, ...).
    """

    name: str
    path: Path | str
    shape: tuple[int, int, int]
    dtype: str

    @property
    def bands(self) -> int:
        """Number of bands."""
        return self.shape[0]

    @property
    def aligned_bytes_per_pixel(self) -> int:
        """Bytes per grid pixel once aligned: 4 per band (float32; an upper bound for class codes)."""
        return 4 * self.bands


@dataclass(frozen=True)
class RunEstimate:
    """Size, output bytes and peak memory of a run, estimated before any work.

    Attributes
    ----------
    mode : {"memory", "streamed", "dask"}
    grid_shape : (rows, cols) tuple of int
        Of the analysis grid (AOI bounds plus margin at ``resolution_m``).
    resolution_m : float
    models : int
        Number of models.
    output_bytes : int
        Uncompressed size of the raster outputs (the COGs are compressed, so smaller).
    peak_bytes : int
        Estimated peak memory of the run process in ``mode``.
    available_bytes : int
        Memory available when the estimate was made.
    """

    mode: str
    grid_shape: tuple[int, int]
    resolution_m: float
    models: int
    output_bytes: int
    peak_bytes: int
    available_bytes: int

    @property
    def pixels(self) -> int:
        """Pixels of the analysis grid."""
        return self.grid_shape[0] * self.grid_shape[1]

    @property
    def fits(self) -> bool:
        """True when the estimated peak memory is below the memory available."""
        return self.peak_bytes <= self.available_bytes

    def describe(self) -> str:
        """One line for ``steppe-geo validate`` and the run log.

        Examples
        --------
        >>> est = RunEstimate("memory", (446, 684), 100.0, 4, 10_982_664, 1_302_000_000, 8 * 1024**3)
        >>> for part in est.describe().split("; "):
        ...     print(part)
        grid 446 × 684 = 0.305 Mpx at 100 m
        4 models
        raster outputs ≤ 10.5 MiB
        estimated peak memory in memory mode 1.21 GiB (8 GiB available)
        """
        rows, cols = self.grid_shape
        return (f"grid {rows:,} × {cols:,} = {self.pixels / 1e6:.3g} Mpx at {self.resolution_m:g} m; "
                f"{self.models} model{'s' if self.models != 1 else ''}; raster outputs ≤ "
                f"{format_bytes(self.output_bytes)}; estimated peak memory in {self.mode} mode "
                f"{format_bytes(self.peak_bytes)} ({format_bytes(self.available_bytes)} available)")


def read_headers(config: Config) -> list[RasterHeader]:
    """The header of every raster input (bands, rows, cols, type), refusing one above the pixel cap.

    Parameters
    ----------
    config : Config

    Returns
    -------
    list of RasterHeader

    Raises
    ------
    SizeLimitError
        An input raster declares more than :data:`~steppe_geo.grid.MAX_GRID_PIXELS` pixels (the
        message names ``sources.<name>``, the file and its shape).
    UnreadableInputError
        GDAL cannot open an input raster's header (named with ``sources.<name>``).
    """
    headers = []
    for name, path in config.sources.items():
        path = input_path(path)  # a URL stays a string: GDAL reads its header (a few range requests)
        if not _is_raster(path):
            continue
        try:
            with rasterio.open(path) as ds:
                shape = (int(ds.count), int(ds.height), int(ds.width))
                dtype = str(ds.dtypes[0])
        except rasterio.errors.RasterioIOError as exc:
            raise UnreadableInputError(f"sources.{name}: cannot open raster {str(path)!r}: {exc}") from None
        check_pixel_count(shape[1], shape[2], bands=shape[0], what=f"sources.{name} ({source_name(path)!r})",
                          hint="it cannot be a real input; check the file (gdalinfo) or crop it")
        headers.append(RasterHeader(name, path, shape, dtype))
    return headers


def _grid_shape(config: Config) -> tuple[int, int]:
    """Shape of the analysis grid, from the AOI polygon and the resolution (no raster read)."""
    try:
        grid = build_grid(config.sources, config.grid, layers=config.input_layers)
    except SizeLimitError as exc:
        raise SizeLimitError(f"grid.resolution_m = {config.grid.resolution_m:g}: {exc}") from None
    return grid.shape


def _model_bytes_per_pixel(config: Config) -> int:
    worst = max(MODEL_BYTES_PER_PIXEL.values())
    return sum(MODEL_BYTES_PER_PIXEL.get(m.preset or "", worst) for m in config.models.values())


def estimate_run(config: Config, *, mode: str | None = None, headers: list[RasterHeader] | None = None,
                 available: int | None = None) -> RunEstimate:
    """Estimate a run's grid size, output bytes and peak memory without reading a raster.

    Parameters
    ----------
    config : Config
    mode : {"memory", "streamed", "dask"}, optional
        Defaults to ``config.run.mode``.
    headers : list of RasterHeader, optional
        From :func:`read_headers` (read when not given).
    available : int, optional
        Bytes of memory available (defaults to ``psutil.virtual_memory().available``).

    Returns
    -------
    RunEstimate
        Peak memory: :data:`BASE_BYTES` plus, per grid pixel, :data:`RUN_BYTES_PER_PIXEL`, the
        aligned inputs (4 bytes per band) and :data:`MODEL_BYTES_PER_PIXEL` for each model.
        Streamed and Dask runs compute the derived layers of preset models on the whole grid
        today (only the overlay is windowed), so their estimate is the same; it will fall when
        every stage is windowed.

    Raises
    ------
    SizeLimitError
        The grid or an input raster is above :data:`~steppe_geo.grid.MAX_GRID_PIXELS`.
    """
    mode = mode or config.run.mode
    headers = read_headers(config) if headers is None else headers
    rows, cols = _grid_shape(config)
    pixels = rows * cols
    inputs_bpp = sum(h.aligned_bytes_per_pixel for h in headers)
    peak = BASE_BYTES + pixels * (RUN_BYTES_PER_PIXEL + inputs_bpp + _model_bytes_per_pixel(config))
    out_bpp = OUTPUT_BYTES_PER_PIXEL * len(config.models) if config.outputs.rasters else 0
    if config.outputs.aligned_inputs:
        out_bpp += sum(h.aligned_bytes_per_pixel for h in headers)
    free = available_memory() if available is None else int(available)
    return RunEstimate(mode, (rows, cols), float(config.grid.resolution_m), len(config.models),
                       pixels * out_bpp, int(peak), free)


def check_run_size(config: Config, *, mode: str | None = None, available: int | None = None) -> RunEstimate:
    """Refuse, before any work, a run that cannot succeed for its size; return the estimate.

    Parameters
    ----------
    config : Config
    mode : {"memory", "streamed", "dask"}, optional
        How the run executes (:func:`steppe_geo.pipeline.effective_mode`); defaults to
        ``config.run.mode``.
    available : int, optional
        Bytes of memory available (defaults to ``psutil.virtual_memory().available``).

    Returns
    -------
    RunEstimate

    Raises
    ------
    SizeLimitError
        The grid (``grid.resolution_m`` over the AOI) or an input raster (``sources.<name>``) is
        above :data:`~steppe_geo.grid.MAX_GRID_PIXELS`, or the run is in memory mode and its
        estimated peak memory exceeds the memory available (the message gives both and suggests
        ``run.mode = "streamed"`` or Dask).
    """
    mode = mode or config.run.mode
    est = estimate_run(config, mode=mode, available=available)
    log.info("size estimate: %s", est.describe())
    if mode == "memory" and not est.fits:
        per_pixel = (est.peak_bytes - BASE_BYTES) / est.pixels
        fitting = max(est.available_bytes - BASE_BYTES, 1) / per_pixel  # pixels that would fit
        coarser = config.grid.resolution_m * math.sqrt(est.pixels / fitting)
        raise SizeLimitError(
            f"run.mode = 'memory': the grid of {est.pixels / 1e6:.3g} million pixels "
            f"({est.grid_shape[0]:,} × {est.grid_shape[1]:,} at grid.resolution_m = "
            f"{config.grid.resolution_m:g}) with {est.models} model(s) needs about "
            f"{format_bytes(est.peak_bytes)} of memory in memory mode, but only "
            f"{format_bytes(est.available_bytes)} is available. Set run.mode = \"streamed\" (window by "
            "window) or run on Dask (run.workers = N, run.scheduler = \"tcp://...\", or --workers / "
            f"--scheduler), or choose a coarser grid (grid.resolution_m ≥ {coarser:.3g})"
        )
    return est
