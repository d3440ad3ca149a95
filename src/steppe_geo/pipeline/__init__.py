"""Run a configuration end to end: inputs → grid → models → parcels → outputs.

Used by the command line (``steppe-geo run`` / ``demo``) and by notebooks. Each stage is a
public function, so a notebook can run them one by one and look at the intermediate
results; :func:`run` chains them and writes every output.

The package has one module per stage, in the order of the data flow: :mod:`.inputs` (grid,
reading and aligning), :mod:`.build` and :mod:`.check` (models built from the configuration and
checked before any work), :mod:`.evaluate` (models in memory, streamed or on Dask),
:mod:`.parcels`, :mod:`.write`, :mod:`.summary`, :mod:`.report`; :mod:`.estimate` sizes a run
before any work, :mod:`.staging` owns the output folder and :mod:`.runner` chains them.

Outputs of a run are all-or-nothing: they are written into a hidden staging folder beside
the output folder, which is renamed into place only when every output is complete. An
error or Ctrl-C leaves no output folder (and an existing one untouched); an existing output
folder is replaced only with ``overwrite=True``.
"""

from steppe_geo.pipeline.build import ahp_result, base_model, build_model
from steppe_geo.pipeline.check import check_config, effective_mode
from steppe_geo.pipeline.estimate import RunEstimate, check_run_size, estimate_run
from steppe_geo.pipeline.evaluate import (
    SCHEDULER_TIMEOUT,
    DerivedLayerFiles,
    WindowedResult,
    dask_client,
    derive_windowed,
    evaluate_model,
)
from steppe_geo.pipeline.inputs import (
    RASTER_SUFFIXES,
    AlignedRasters,
    align_inputs,
    build_grid,
    load_inputs,
    raster_read_options,
    summarize_inputs,
)
from steppe_geo.pipeline.parcels import rank_model_parcels, run_parcels
from steppe_geo.pipeline.results import InputLayers, ModelOutput, ParcelOutput, RunResult
from steppe_geo.pipeline.runner import demo_config, read_aoi, run, run_demo, select_models
from steppe_geo.pipeline.staging import (
    STAGE_PREFIX,
    RunTerminated,
    clean_stale_stages,
    interrupt_on_signals,
    lock_path,
    output_lock,
    owner_alive,
    staged_output_dir,
)
from steppe_geo.pipeline.summary import aoi_summary, exclusion_areas

__all__ = [
    "RASTER_SUFFIXES",
    "SCHEDULER_TIMEOUT",
    "STAGE_PREFIX",
    "AlignedRasters",
    "DerivedLayerFiles",
    "InputLayers",
    "ModelOutput",
    "ParcelOutput",
    "RunEstimate",
    "RunResult",
    "RunTerminated",
    "WindowedResult",
    "ahp_result",
    "align_inputs",
    "aoi_summary",
    "base_model",
    "build_grid",
    "build_model",
    "check_config",
    "check_run_size",
    "clean_stale_stages",
    "dask_client",
    "demo_config",
    "derive_windowed",
    "effective_mode",
    "estimate_run",
    "evaluate_model",
    "exclusion_areas",
    "interrupt_on_signals",
    "load_inputs",
    "lock_path",
    "output_lock",
    "owner_alive",
    "rank_model_parcels",
    "raster_read_options",
    "read_aoi",
    "run",
    "run_demo",
    "run_parcels",
    "select_models",
    "staged_output_dir",
    "summarize_inputs",
]
