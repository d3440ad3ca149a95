"""Check: the model rasters of two code versions are bitwise equal (streamed run of the example).

Used to show that a speed or memory change of the aligning and models stages changes no result.
Run the same command with each version of the sources first on the path, then compare::

    PYTHONPATH=OLD/src python benchmarks/compare_model_rasters.py run --resolution 50 --out /tmp/before
    PYTHONPATH=NEW/src python benchmarks/compare_model_rasters.py run --resolution 50 --out /tmp/after
    python benchmarks/compare_model_rasters.py compare /tmp/before /tmp/after

``--force-sparse`` (new code only) sends every capped distance through the bounded-memory path of
``criteria.proximity``, which at 50 m the example's windows would not take on their own.

``run`` aligns the inputs of ``examples/kubuqi_screening.toml`` (sample data) at ``--resolution``
strip by strip and evaluates its 4 models window by window (``pipeline.align_inputs`` and the
streamed models stage, as ``steppe-geo run`` does with ``mode = "streamed"``), keeping the work
folder: every model's score, eligibility, exclusion bitmask and criteria (``results/``) and every
derived layer (``layers/``). ``compare`` reads each GeoTIFF of the first folder and its namesake in
the second and reports any that differ in a pixel value (NaN equal to NaN), shape, dtype or
georeferencing; it exits with status 1 if one does.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "kubuqi_screening.toml"


def run(resolution: float, out: Path, window: int, *, force_sparse: bool = False) -> None:
    """Align the example's inputs and evaluate its models, streamed, into ``out``.

    ``force_sparse``: every capped distance takes the bounded-memory path
    (``criteria.proximity.SPARSE_MIN_PIXELS = 0``), whatever the size of its grown window.
    """
    if force_sparse:
        from steppe_geo.criteria import proximity

        proximity.SPARSE_MIN_PIXELS = 0
    from steppe_geo.config import load_config
    from steppe_geo.pipeline import align_inputs, build_grid
    from steppe_geo.pipeline.evaluate import DerivedLayerFiles, _evaluate_from_files
    from steppe_geo.pipeline.runner import read_aoi

    warnings.simplefilter("ignore")
    cfg = load_config(EXAMPLE)
    cfg = dataclasses.replace(cfg, grid=dataclasses.replace(cfg.grid, resolution_m=resolution))
    grid = build_grid(cfg.sources, cfg.grid, layers=cfg.input_layers, specs=cfg.input_specs)
    layers = align_inputs(cfg.sources, grid, out, layers=cfg.input_layers, specs=cfg.input_specs)
    layers.aoi = read_aoi(cfg, grid)
    shared = DerivedLayerFiles()  # as run() does
    for m in cfg.models.values():
        _evaluate_from_files(m, layers, None, out, window, shared=shared)
    print(f"{grid.shape[0]} x {grid.shape[1]} px; files in {out}")


def compare(a: Path, b: Path) -> int:
    """Compare every ``results/`` and ``layers/`` GeoTIFF of ``a`` with ``b``'s; the number that differ."""
    import rasterio

    files = sorted(p.relative_to(a) for sub in ("results", "layers") for p in (a / sub).rglob("*.tif"))
    differ = 0
    for rel in files:
        other = b / rel
        if not other.exists():
            print(f"missing in {b}: {rel}")
            differ += 1
            continue
        with rasterio.open(a / rel) as x, rasterio.open(other) as y:
            same_meta = ((x.shape, x.count, x.dtypes, x.crs, x.transform)
                         == (y.shape, y.count, y.dtypes, y.crs, y.transform))
            same = same_meta and np.array_equal(x.read(), y.read(), equal_nan=x.dtypes[0].startswith("float"))
        if not same:
            print(f"DIFFERENT: {rel}")
            differ += 1
    print(f"{len(files)} rasters compared, {differ} differ")
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--resolution", type=float, default=50.0)
    r.add_argument("--window", type=int, default=1024)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--force-sparse", action="store_true",
                   help="every capped distance on the bounded-memory path (SPARSE_MIN_PIXELS = 0)")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args(argv)
    if args.command == "run":
        run(args.resolution, args.out, args.window, force_sparse=args.force_sparse)
        return 0
    return 1 if compare(args.a, args.b) else 0


if __name__ == "__main__":
    sys.exit(main())
