"""Interactive tuning: is a redraw fast enough to feel live? (issue 16: < 0.2 s at 1 Mpx, < 1 s at 10 Mpx)

Run by hand: ``python benchmarks/bench_interactive.py [--sizes 1000 3163] [--repeat 5]``. For each grid
size (1000² = 1 Mpx, 3163² = 10 Mpx) it builds a five-criterion model on smooth synthetic layers
with two value-range constraints and 400 parcels, opens a :class:`TuningPanel` on it and times,
with ``time.process_time()`` (CPU time: the machine is shared) and wall time:

- ``run_model``: a plain :func:`steppe_geo.models.run_model` of the same model on the same layers
  (the reference: what re-running after an edit costs without the session);
- a **redraw** while a slider moves: setting the widget's value runs the panel's handler, which
  re-evaluates the session on its preview grid (≤ 250 000 pixels), ranks the parcels, updates the
  map images in place and encodes the PNG the notebook shows — one per kind of edit (weight,
  value-function breakpoint, constraint threshold, constraint toggle, rule);
- a **release**: the full-resolution evaluation and redraw after the slider is let go.

Appends the figures, with the load average before and after, to benchmarks/results/interactive.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine

import steppe_geo as sg
from steppe_geo.interactive import TuningPanel, TuningSession
from steppe_geo.mcda import Criterion, Linear, PiecewiseLinear, ValueRange
from steppe_geo.models import Model, run_model

RESULTS = Path(__file__).parent / "results" / "interactive.md"


def layers_and_model(size: int) -> tuple[sg.Grid, dict, Model, gpd.GeoDataFrame]:
    grid = sg.Grid("EPSG:32649", Affine(30.0, 0.0, 400_000.0, 0.0, -30.0, 4_500_000.0), (size, size))
    rows = np.arange(size)[:, None] / size
    cols = np.arange(size)[None, :] / size
    layers = {}
    for k in range(5):
        v = 0.5 + 0.25 * np.sin(2 * np.pi * cols * (2 + k) + k) * np.cos(2 * np.pi * rows * (3 + k) - k)
        layers[f"layer{k}"] = grid.to_dataarray((10 * (v + 0.25 * np.sin(7 * np.pi * (rows + cols))))
                                                .astype(np.float32))
    model = Model("bench", inputs=tuple(layers), criteria=(
        Criterion("c0", Linear(0, 10), weight=5, layer="layer0"),
        Criterion("c1", Linear(10, 0), weight=4, layer="layer1"),
        Criterion("c2", PiecewiseLinear(xs=(0.0, 5.0, 10.0), ys=(0.0, 0.8, 1.0)), weight=3, layer="layer2"),
        Criterion("c3", Linear(2, 8), weight=2, layer="layer3"),
        Criterion("c4", Linear(8, 2), weight=1, layer="layer4")),
        constraints=(ValueRange("c0_min", "layer0", min=2.0), ValueRange("c3_max", "layer3", max=9.0)))
    west, south, east, _north = grid.bounds
    step = (east - west) / 20
    boxes = [shapely.box(west + i * step, south + j * step, west + (i + 1) * step, south + (j + 1) * step)
             for i in range(20) for j in range(20)]
    parcels = gpd.GeoDataFrame({"pid": [f"p{i}" for i in range(400)]}, geometry=boxes, crs=grid.crs)
    return grid, layers, model, parcels


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median CPU and wall seconds of ``repeat`` calls."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def bench(size: int, repeat: int) -> list[str]:
    grid, layers, model, parcels = layers_and_model(size)
    ref_cpu, ref_wall = timed(lambda: run_model(model, layers, grid=grid), max(1, repeat // 2))
    c0 = time.process_time()
    session = TuningSession(model, layers, grid=grid, parcels=parcels, parcel_id="pid")
    panel = TuningPanel(session, release_delay_s=None)
    open_cpu = time.process_time() - c0
    flip = {"w": 0}

    def weight() -> None:
        flip["w"] ^= 1
        panel.weights["c1"].value = 4.0 + flip["w"]

    def breakpoint_() -> None:
        panel.breakpoints[("c2", "xs[1]")].value = 5.0 + flip["w"]
        flip["w"] ^= 1

    def threshold() -> None:
        panel.thresholds[("c0_min", "min")].value = 2.0 + flip["w"]
        flip["w"] ^= 1

    def toggle() -> None:
        panel.toggles["c3_max"].value = not panel.toggles["c3_max"].value

    def rule() -> None:
        panel.rule.value = "weighted-product" if panel.rule.value == "wlc" else "wlc"

    mpx = size * size / 1e6
    kpx = session.preview_grid.shape[0] * session.preview_grid.shape[1] / 1e3
    lines = [f"| {mpx:.1f} Mpx ({size}²) | preview 1 in {session.preview_step}² ({kpx:.0f} kpx) | "
             f"run_model {ref_cpu:.3f} s CPU ({ref_wall:.3f} s wall) | "
             f"open session + panel {open_cpu:.2f} s CPU |"]
    for name, fn in (("weight", weight), ("breakpoint", breakpoint_), ("threshold", threshold),
                     ("toggle", toggle), ("rule", rule)):
        cpu, wall = timed(fn, repeat)
        rel_cpu, rel_wall = timed(panel.release, max(1, repeat // 2))
        lines.append(f"| | {name} | redraw {cpu:.3f} s CPU ({wall:.3f} s wall) = "
                     f"{cpu / ref_cpu:.2f} × run_model | "
                     f"release (full) {rel_cpu:.3f} s CPU ({rel_wall:.3f} s wall) = "
                     f"{rel_cpu / ref_cpu:.2f} × run_model |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3163])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    load_before = os.getloadavg()
    lines = []
    for size in args.sizes:
        lines += bench(size, args.repeat)
    load_after = os.getloadavg()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = (f"\n## {stamp}, {os.cpu_count()} cores, load average "
            f"{load_before[0]:.1f} before / {load_after[0]:.1f} after (1 min)\n\n"
            "| grid | edit | redraw while dragging (preview) | release (full resolution) |\n"
            "|---|---|---|---|\n" + "\n".join(lines) + "\n")
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    if not RESULTS.exists():
        RESULTS.write_text("# Interactive tuning: redraw times (benchmarks/bench_interactive.py)\n\n"
                           "Target (issue 16): a redraw under 0.2 s at 1 Mpx and under 1 s at 10 Mpx. Median "
                           "of the repeats; CPU time (`time.process_time`) because the machine is shared.\n",
                           encoding="utf-8")
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
