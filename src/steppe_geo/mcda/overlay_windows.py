"""The file-free side of the windowed overlay: which outputs, their specs, the windows, progress bars.

The loops that read aligned GeoTIFFs window by window and write the outputs (streamed in one
process, or one Dask task per window) are :func:`steppe_geo.pipeline.overlay_files.evaluate_streamed`
and :func:`~steppe_geo.pipeline.overlay_files.evaluate_dask` (the shell: files are opened and written
only by ``io`` and the pipeline); they run the kernel of :mod:`~steppe_geo.mcda.overlay_memory` on
each window. ``steppe_geo.mcda.evaluate_streamed``/``evaluate_dask`` forward to them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import numpy as np
from tqdm import tqdm

from steppe_geo._validation import did_you_mean
from steppe_geo.errors import InvalidParameterError
from steppe_geo.grid import Grid, GridWindow
from steppe_geo.mcda.constraints import MinimumArea, bitmask_dtype
from steppe_geo.mcda.overlay_memory import _bit_legend
from steppe_geo.mcda.overlay_spec import Overlay

__all__ = ["ELIGIBLE_NODATA", "OUTPUT_NAMES"]

OUTPUT_NAMES = ("score", "eligible", "exclusion", "availability")
"""Files written by the streamed/Dask evaluation (``<name>.tif``), plus ``criteria.tif`` on request."""

ELIGIBLE_NODATA = 255
"""Nodata of ``eligible.tif`` (uint8 1 = eligible, 0 = not); the exclusion bitmask has no nodata."""


def _check_outputs(outputs: Sequence[str], write_criteria: bool) -> tuple[str, ...]:
    if isinstance(outputs, str):
        outputs = (outputs,)
    outs = tuple(outputs)
    bad = [o for o in outs if o not in OUTPUT_NAMES]
    if bad or not outs:
        raise InvalidParameterError(
            f"outputs: unknown or empty {bad or list(outs)}"
            f"{did_you_mean(str(bad[0]) if bad else '', OUTPUT_NAMES)} "
            f"Valid outputs are: {', '.join(OUTPUT_NAMES)}."
        )
    if not isinstance(write_criteria, bool):
        raise InvalidParameterError(f"write_criteria must be True or False, got {write_criteria!r}")
    return (*dict.fromkeys(outs), *(("criteria",) if write_criteria else ()))


def _check_cog(cog: Any) -> bool:
    if not isinstance(cog, bool):
        raise InvalidParameterError(f"cog must be True or False, got {cog!r}")
    return cog


def _output_specs(overlay: Overlay) -> dict[str, dict[str, Any]]:
    bits_dt = bitmask_dtype(len(overlay.constraints))
    return {
        "score": {"dtype": "float32", "units": "1", "tags": overlay.tags()},
        "eligible": {"dtype": "uint8", "nodata": ELIGIBLE_NODATA, "kind": "categorical"},
        # no nodata: 0 means "excluded by no constraint" (the same in memory)
        "exclusion": {"dtype": bits_dt.name, "nodata": None, "kind": "categorical",
                      "tags": {"constraints": _bit_legend(overlay)}},
        "availability": {"dtype": "float32", "units": "1"},
        "criteria": {"dtype": "float32", "count": len(overlay.criteria),
                     "band_names": overlay.criterion_names, "units": "1",
                     "tags": {"value_functions": json.dumps(
                         {c.name: c.function.label() for c in overlay.criteria}, ensure_ascii=False)}},
    }


T = TypeVar("T")


def _bar(items: Iterable[T], progress: bool | str, what: str, *, total: int | None = None) -> Iterable[T]:
    """``items`` wrapped in a tqdm bar counting windows (``"<label>: <what>"``), or unchanged."""
    if progress is False or progress is None:
        return items

    label = f"{progress}: {what}" if isinstance(progress, str) else what
    out: Iterable[T] = tqdm(items, desc=label, unit="window", total=total, dynamic_ncols=True)
    return out


def _plan(overlay: Overlay, grid: Grid, window: int) -> tuple[float | None, list[GridWindow]]:
    """The pixel area for minimum-area rules (``None`` without one) and the windows of ``grid``."""
    if not isinstance(grid, Grid):
        raise InvalidParameterError(f"grid must be a steppe_geo.Grid, got {type(grid).__name__}")
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or int(window) <= 0:
        raise InvalidParameterError(f"window must be an integer > 0 pixels, got {window!r}")
    needs_area = any(isinstance(c, MinimumArea) for c in overlay.constraints)
    pix = grid.pixel_area_m2 if needs_area else None
    return pix, list(grid.windows(int(window)))
