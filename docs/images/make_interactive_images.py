"""Render the interactive-tuning screenshots of docs/guide/interactive.md (headless, matplotlib Agg).

Run from the repository root: ``python docs/images/make_interactive_images.py``. The panel is built
on the sample data, tuned from code as a user would with the sliders, and its figures are saved:
``interactive_panel.png`` (the map, the curves, every control's value and the status lines, from
``TuningPanel.snapshot``), ``interactive_map.png`` and ``interactive_curves.png`` (the two images
the panel shows, exactly as it shows them).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import steppe_geo as sg
from steppe_geo import models, pipeline
from steppe_geo.datasets import sample_paths
from steppe_geo.interactive import TuningPanel, TuningSession

HERE = Path(__file__).parent


def main() -> None:
    warnings.simplefilter("ignore", sg.errors.InvalidGeometryWarning)  # 4 sample parcels are repaired
    paths = sample_paths()
    aoi = sg.read_vector(paths["aoi"])
    grid = sg.Grid.for_area(aoi, resolution_m=250)
    layers = pipeline.load_inputs(paths, grid)
    session = TuningSession(models.wind_onshore(), {**layers.vectors, **layers.layers}, grid=grid, aoi=aoi,
                            parcels=layers.vectors["parcels"], parcel_id="parcel_id", top_k=10)
    panel = TuningPanel(session, release_delay_s=None)
    panel.weights["wind_speed"].value = 0.6
    panel.breakpoints[("slope", "low")].value = 8.0
    panel.thresholds[("settlements", "distance_m")].value = 2000.0
    panel.toggles["far_from_grid"].value = False
    panel.release()
    (HERE / "interactive_map.png").write_bytes(panel.map_image.value)
    (HERE / "interactive_curves.png").write_bytes(panel.curve_image.value)
    panel.snapshot().savefig(HERE / "interactive_panel.png", dpi=80)


if __name__ == "__main__":
    main()
