"""Declarative weighted overlay: :class:`Criterion`, :class:`Overlay`, and its evaluation.

The same per-window kernel runs three ways (DESIGN.md "same answer, three ways"):

1. :func:`evaluate` — in memory, on aligned DataArrays;
2. ``evaluate_streamed`` — window by window over aligned GeoTIFFs, writing COGs;
3. ``evaluate_dask`` — each window a ``dask.distributed`` task; workers read their
   own windows from the files; the client writes the results.

Every step of the kernel is element-wise except :class:`MinimumArea`: window by window, a
first labelling pass over the layers finds every eligible region's size across
window edges (:func:`~steppe_geo.mcda.constraints.merge_window_regions`), and the main
pass applies the threshold per window. So the three give identical outputs, with no halo.

The area of interest (``aoi=``) and missing data are evaluated per window too, as the two
reserved bits of the exclusion bitmask: bit 0 ``outside_aoi`` where the pixel centre is outside
the AOI polygon (:mod:`steppe_geo.mcda.aoi`, rasterised per window) and bit 1 ``no_data`` where
any layer the overlay reads (criterion or constraint) is nodata; constraint ``i`` has bit
``i + 2``. Neither kind of pixel is eligible, and minimum-area rules count only land inside
the AOI with data.

This module gathers the names of :mod:`~steppe_geo.mcda.overlay_spec` (:class:`Criterion`,
:class:`Overlay`), :mod:`~steppe_geo.mcda.overlay_memory` (the per-window kernel, :func:`evaluate`,
:class:`OverlayResult`) and :mod:`~steppe_geo.mcda.overlay_windows` (outputs and windows of the
streamed and Dask evaluations). Those two read and write files, so they live in the shell,
:mod:`steppe_geo.pipeline.overlay_files`, and are ``steppe_geo.mcda.evaluate_streamed`` and
``steppe_geo.mcda.evaluate_dask`` (forwarded on first use); their files are opened and written by
:mod:`steppe_geo.io.window_files`.
"""

from steppe_geo.mcda.overlay_memory import OverlayResult, evaluate
from steppe_geo.mcda.overlay_spec import Criterion, Overlay
from steppe_geo.mcda.overlay_windows import ELIGIBLE_NODATA as ELIGIBLE_NODATA
from steppe_geo.mcda.overlay_windows import OUTPUT_NAMES as OUTPUT_NAMES

__all__ = [
    "Criterion",
    "Overlay",
    "OverlayResult",
    "evaluate",
]
