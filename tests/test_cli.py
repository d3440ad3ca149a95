"""The command line: commands, exit codes, --overwrite, -q, and the demo (run once per session)."""

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner

import steppe_geo as sg
from steppe_geo.cli import main
from steppe_geo.io import write_raster, write_vector
from steppe_geo.pipeline import STAGE_PREFIX

CLI = [sys.executable, "-m", "steppe_geo.cli"]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A one-criterion project: AOI polygon and a wind ramp raster (both UTM 49N); the CWD."""
    monkeypatch.chdir(tmp_path)  # relative output folders resolve against the working directory
    aoi = gpd.GeoDataFrame(geometry=[shapely.box(400_000, 4_430_000, 403_000, 4_432_000)], crs="EPSG:32649")
    write_vector(aoi, tmp_path / "aoi.gpkg")
    grid = sg.Grid.from_bounds((399_500, 4_429_500, 403_500, 4_432_500), crs="EPSG:32649", resolution_m=100)
    ramp = np.tile(np.linspace(3.0, 10.0, grid.shape[1], dtype=np.float32), (grid.shape[0], 1))
    write_raster(grid.to_dataarray(ramp, name="wind", units="m s-1"), tmp_path / "wind.tif")
    (tmp_path / "p.toml").write_text(
        '[sources]\naoi = "aoi.gpkg"\nwind = "wind.tif"\n[grid]\nresolution_m = 250\n'
        '[[models.wind.criteria]]\nname = "wind"\nfunction = "linear"\nlow = 4.0\nhigh = 9.0\n'
        '[outputs]\ndirectory = "out"\n', encoding="utf-8")
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


def test_help_lists_commands():
    res = invoke("--help")
    assert res.exit_code == 0
    for cmd in ("demo", "init", "validate", "run", "score", "export", "map"):
        assert cmd in res.output


def test_init_writes_a_config_that_validates_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "siting.toml"
    res = invoke("init", path)
    assert res.exit_code == 0 and path.exists()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["models"]["wind"]["preset"] == "wind_onshore"
    assert "# " in path.read_text(encoding="utf-8")  # commented
    res = invoke("init", path)
    assert res.exit_code == 1
    assert "exists already" in res.output and "--overwrite" in res.output and "Traceback" not in res.output
    assert invoke("init", path, "--overwrite").exit_code == 0


def test_validate_ok_and_config_errors_exit_1(project):
    res = invoke("validate", project / "p.toml")
    assert res.exit_code == 0 and "valid" in res.output
    bad = project / "bad.toml"
    bad.write_text((project / "p.toml").read_text(encoding="utf-8").replace('"linear"', '"gausian"'),
                   encoding="utf-8")
    res = invoke("validate", bad)
    assert res.exit_code == 1
    assert "models.wind.criteria[0].function: unknown 'gausian'; did you mean 'gaussian'?" in res.output
    assert "Traceback" not in res.output
    missing = project / "missing.toml"
    missing.write_text((project / "p.toml").read_text(encoding="utf-8").replace("wind.tif", "nowind.tif"),
                       encoding="utf-8")
    res = invoke("validate", missing)
    assert res.exit_code == 1 and "sources.wind: input file not found" in res.output


def test_usage_errors_exit_2(project):
    assert invoke("run").exit_code == 2
    assert invoke("run", project / "p.toml", "--workers", "0").exit_code == 2
    assert invoke("frobnicate").exit_code == 2
    res = invoke("map", project / "wind.tif", "--out", project / "m.jpg")
    assert res.exit_code == 2 and "--out" in res.output


def test_verbose_logs_and_quiet_does_not(project):
    res = CliRunner().invoke(main, ["-v", "validate", str(project / "p.toml")])
    assert res.exit_code == 0
    res = CliRunner().invoke(main, ["-v", "run", str(project / "p.toml")])
    assert res.exit_code == 0
    assert "INFO steppe_geo.pipeline.runner: analysis grid:" in res.output
    assert "%|" not in res.output  # not a terminal: no progress bars
    res = CliRunner().invoke(main, ["-q", "run", str(project / "p.toml"), "--out", str(project / "o2")])
    assert res.exit_code == 0 and res.output == ""


def test_run_then_refuse_then_overwrite(project):
    res = invoke("-q", "run", project / "p.toml")
    assert res.exit_code == 0 and res.output == ""  # -q: nothing on stdout
    score = sg.read_raster(project / "out" / "rasters" / "wind" / "score.tif")
    assert np.nanmax(score.values) == pytest.approx(1.0) and np.nanmin(score.values) == pytest.approx(0.0)
    before = sorted(p.name for p in (project / "out").rglob("*"))
    res = invoke("run", project / "p.toml")
    assert res.exit_code == 1 and "exists already; nothing was changed" in res.output
    assert sorted(p.name for p in (project / "out").rglob("*")) == before
    assert invoke("run", project / "p.toml", "--overwrite").exit_code == 0


def test_score_map_and_export_compose_through_files(project):
    assert invoke("score", project / "p.toml", "--model", "wind", "--out", project / "scores").exit_code == 0
    score = project / "scores" / "rasters" / "wind" / "score.tif"
    res = invoke("map", score, "--out", project / "wind.png")
    assert res.exit_code == 0 and (project / "wind.png").read_bytes()[:4] == b"\x89PNG"
    # the bit names come from the run's 'constraints' tag: no --constraints needed
    res = invoke("map", project / "scores" / "rasters" / "wind" / "exclusion.tif", "--kind", "exclusions",
                 "--out", project / "excl.pdf")
    assert res.exit_code == 0 and (project / "excl.pdf").read_bytes()[:5] == b"%PDF-"
    res = invoke("score", project / "p.toml", "--model", "wnd", "--out", project / "s2")
    assert res.exit_code == 1
    assert "'wnd' is not a model of the configuration; did you mean 'wind'" in res.output
    assert invoke("export", project / "aoi.gpkg", "--out", project / "aoi.zip").exit_code == 0
    assert sg.read_vector(project / "aoi.zip").crs == sg.read_vector(project / "aoi.gpkg").crs
    res = invoke("export", project / "aoi.gpkg", "--format", "gpkg", "--out", project / "aoi.zip")
    assert res.exit_code == 2


def test_score_zonal_rank_export_map_chain(project):
    # two parcels: the western one has slower wind (3..6.5 m/s), the eastern one faster (6.5..10)
    boxes = [shapely.box(400_000, 4_430_000, 401_500, 4_432_000),
             shapely.box(401_500, 4_430_000, 403_000, 4_432_000)]
    parcels = gpd.GeoDataFrame({"pid": ["west", "east"], "name": ["西", "东"]}, geometry=boxes,
                               crs="EPSG:32649")
    write_vector(parcels, project / "parcels.gpkg")
    assert invoke("-q", "score", project / "p.toml", "--out", project / "s").exit_code == 0
    crit = project / "s" / "rasters" / "wind" / "criteria" / "wind.tif"
    assert crit.exists()
    res = invoke("zonal", project / "parcels.gpkg", f"wind={crit}", "--eligible",
                 project / "s" / "rasters" / "wind" / "eligible.tif", "--id-column", "pid",
                 "--out", project / "zonal.gpkg")
    assert res.exit_code == 0, res.output
    zonal = sg.read_vector(project / "zonal.gpkg")
    assert {"wind_mean", "eligible_area_ha"} <= set(zonal.columns)
    res = invoke("rank", project / "zonal.gpkg", "--weights", "wind=1", "--out", project / "ranked.gpkg")
    assert res.exit_code == 0, res.output
    ranked = sg.read_vector(project / "ranked.gpkg")
    assert list(ranked.sort_values("rank")["pid"]) == ["east", "west"]
    assert invoke("export", project / "ranked.gpkg", "--out", project / "priority.zip").exit_code == 0
    assert sorted(sg.read_vector(project / "priority.zip")["name"]) == sorted(["东", "西"])
    res = invoke("map", project / "ranked.gpkg", "--kind", "parcels", "--top", "1",
                 "--out", project / "r.png")
    assert res.exit_code == 0 and (project / "r.png").stat().st_size > 1000
    res = invoke("rank", project / "zonal.gpkg", "--weights", "wind:1", "--out", project / "x.gpkg")
    assert res.exit_code == 2 and "NAME=WEIGHT" in res.output


def test_missing_config_file_is_a_usage_error(project):
    for cmd in ("validate", "run", "score"):
        args = [cmd, project / "nope.toml"] + (["--out", project / "s"] if cmd == "score" else [])
        res = invoke(*args)
        assert res.exit_code == 2, cmd
        assert "Invalid value for 'CONFIG'" in res.output and "nope.toml" in res.output
        assert "does not exist" in res.output and "Traceback" not in res.output


def test_existing_output_message_says_overwrite_once(project):
    assert invoke("-q", "run", project / "p.toml").exit_code == 0
    res = invoke("run", project / "p.toml")
    assert res.exit_code == 1
    assert "Use --overwrite to replace it" in res.output
    assert "(--overwrite)" not in res.output and "overwrite=True" not in res.output


def test_outputs_of_an_example_go_to_the_working_directory(tmp_path, monkeypatch):
    examples = Path(__file__).resolve().parents[1] / "examples"
    before = sorted(p.name for p in examples.iterdir())
    monkeypatch.chdir(tmp_path)
    res = invoke("validate", examples / "custom_overlay.toml")
    assert res.exit_code == 0, res.output
    assert f"outputs -> {tmp_path / 'custom-overlay-output'}" in res.output
    res = invoke("-q", "run", examples / "custom_overlay.toml")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "custom-overlay-output" / "report.html").exists()
    assert sorted(p.name for p in examples.iterdir()) == before  # nothing written beside the example


def test_rank_checks_weights_before_reading_the_file(project):
    res = invoke("rank", project / "missing.gpkg", "--weights", "wind:1", "--out", project / "x.gpkg")
    assert res.exit_code == 2 and "NAME=WEIGHT" in res.output  # not "file not found"


def test_unreachable_scheduler_fails_before_any_input_is_read(project, monkeypatch):
    from steppe_geo.pipeline import evaluate

    monkeypatch.setattr(evaluate, "SCHEDULER_TIMEOUT", "1s")
    res = CliRunner().invoke(main, ["-v", "run", str(project / "p.toml"), "--scheduler", "tcp://127.0.0.1:1"])
    assert res.exit_code == 1
    assert "Error: --scheduler: cannot connect to 'tcp://127.0.0.1:1'" in res.output
    assert "analysis grid" not in res.output and "loaded" not in res.output  # nothing was read
    assert not (project / "out").exists()


def test_step_commands_read_the_ranked_layer_of_a_run_geopackage(project):
    """A run's parcels GeoPackage holds several layers: without --layer, ranked_parcels is read."""
    import pyogrio

    boxes = [shapely.box(400_000, 4_430_000, 401_500, 4_432_000),
             shapely.box(401_500, 4_430_000, 403_000, 4_432_000)]
    parcels = gpd.GeoDataFrame({"pid": ["west", "east"]}, geometry=boxes, crs="EPSG:32649")
    write_vector(parcels, project / "parcels.gpkg")
    text = (project / "p.toml").read_text(encoding="utf-8")
    text = text.replace('[grid]', 'parcels = "parcels.gpkg"\n[grid]')
    text += '[parcels]\nid_column = "pid"\nn_draws = 0\n'
    (project / "q.toml").write_text(text, encoding="utf-8")
    assert invoke("-q", "run", project / "q.toml").exit_code == 0
    gpkg = project / "out" / "parcels" / "wind.gpkg"
    assert len(pyogrio.list_layers(gpkg)) > 1
    res = invoke("export", gpkg, "--format", "csv", "--out", project / "ranked.csv")
    assert res.exit_code == 0, res.output
    assert "rank" in (project / "ranked.csv").read_text(encoding="utf-8").splitlines()[0]
    res = invoke("map", gpkg, "--kind", "parcels", "--top", "1", "--out", project / "ranked.png")
    assert res.exit_code == 0, res.output
    res = invoke("export", gpkg, "--layer", "regions", "--format", "gpkg", "--out", project / "regions.gpkg")
    assert res.exit_code == 0, res.output
    # a GeoPackage of several layers that is not a run output: choose one
    write_vector(parcels, project / "two.gpkg", layer="a")
    write_vector(parcels, project / "two.gpkg", layer="b", append_layer=True)
    assert len(pyogrio.list_layers(project / "two.gpkg")) == 2
    res = invoke("export", project / "two.gpkg", "--out", project / "two.zip")
    assert res.exit_code == 2 and "holds several layers (a, b); choose one with --layer" in res.output


def test_progress_bars_and_warnings_do_not_share_a_line(project):
    """On a terminal, warnings are written above the progress bar, not into it."""
    import fcntl
    import pty
    import struct
    import termios

    bowtie = shapely.Polygon([(400_100, 4_430_100), (400_900, 4_430_900), (400_900, 4_430_100),
                              (400_100, 4_430_900)])  # self-intersecting: repaired with a warning
    write_vector(gpd.GeoDataFrame(geometry=[bowtie], crs="EPSG:32649"), project / "fences.gpkg")
    text = (project / "p.toml").read_text(encoding="utf-8")
    text = text.replace("[grid]", 'fences = "fences.gpkg"\n[grid]')
    (project / "t.toml").write_text(text, encoding="utf-8")
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # a 120-column terminal
    proc = subprocess.run([*CLI, "run", str(project / "t.toml")], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=follower, cwd=project, timeout=300,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal is closed once everything was read
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    err = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, err
    assert "%|" in err  # a terminal: progress bars were drawn
    lines = [ln for ln in err.replace("\r\n", "\n").split("\n") if "InvalidGeometryWarning" in ln]
    assert lines, err
    for line in lines:  # what the terminal shows: "\r" returns to the start of the line
        assert _on_screen(line).startswith("WARNING steppe_geo.warnings: InvalidGeometryWarning"), repr(line)


def _on_screen(line):
    cells, col = [], 0
    for ch in line:
        if ch == "\r":
            col = 0
            continue
        if col < len(cells):
            cells[col] = ch
        else:
            cells.append(ch)
        col += 1
    return "".join(cells).rstrip()


# ----------------------------------------------------------------------------- the demo
@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Run `steppe-geo demo` once as a real subprocess; several tests look at its outputs."""
    root = tmp_path_factory.mktemp("demo")
    out = root / "demo-output"
    t0 = time.perf_counter()
    proc = subprocess.run([*CLI, "demo", "--out", str(out)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    seconds = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr
    return out, proc, seconds


def test_demo_writes_aligned_layers_and_summary(demo_run):
    out, proc, _ = demo_run
    assert "Wrote" in proc.stdout and str(out) in proc.stdout
    assert "%|" not in proc.stderr  # progress bars only on a terminal
    # the 4 invalid sample parcels are reported in one line, without a traceback or source line
    assert "InvalidGeometryWarning: " in proc.stderr and "Traceback" not in proc.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    grid_shape = summary["grid"]["shape"]
    assert summary["grid"]["resolution_m"] == 100
    for name in ("dem", "wind_speed_100m", "ghi", "ndvi", "land_cover", "soil_texture"):
        da = sg.read_raster(out / "aligned" / f"{name}.tif")
        assert list(da.shape[-2:]) == grid_shape
        assert sg.Grid.from_dataarray(da).crs.is_projected
    dem = sg.read_raster(out / "aligned" / "dem.tif")
    assert 800 < float(np.nanmean(dem.values)) < 2000  # Ordos plateau elevations (m)
    assert summary["rasters"]["ndvi"]["dims"] == ["time", "y", "x"]
    assert summary["vectors"]["parcels"]["features"] > 100
    text = (out / "summary.txt").read_text(encoding="utf-8")
    assert "load and align" in text
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.suffix != ".xml")
    assert files == sorted(f for f in summary["files"] if not f.endswith(".xml"))
    assert not list(out.parent.glob(STAGE_PREFIX + "*"))


def test_demo_scores_four_models_as_cogs(demo_run):
    out, _, _ = demo_run
    grid = sg.Grid.from_dataarray(sg.read_raster(out / "aligned" / "dem.tif"))
    for model in ("wind", "solar", "desertification", "restoration"):
        score = sg.read_raster(out / "rasters" / model / "score.tif")
        assert sg.Grid.from_dataarray(score).same_as(grid)
        v = score.values[np.isfinite(score.values)]
        assert v.size > 0.3 * score.size and v.min() >= 0 and v.max() <= 1
    esa = sg.read_raster(out / "rasters" / "desertification" / "esa_class.tif", kind="categorical")
    assert set(np.unique(esa.values)) <= set(range(0, 9))
    import rasterio

    with rasterio.open(out / "rasters" / "wind" / "score.tif") as ds:  # a Cloud-Optimized GeoTIFF
        assert ds.profile["tiled"] and ds.overviews(1)
        assert "STEPPE_GEO_PROVENANCE" in ds.tags()
    excl = sg.read_raster(out / "rasters" / "wind" / "exclusion.tif", kind="categorical")
    eligible = sg.read_raster(out / "rasters" / "wind" / "eligible.tif", kind="categorical")
    # excluded (bitmask > 0) exactly where not eligible
    np.testing.assert_array_equal(excl.values > 0, eligible.values != 1)
    for model in ("wind", "desertification"):  # desertification has no constraints: all 0
        with rasterio.open(out / "rasters" / model / "exclusion.tif") as ds:
            assert ds.nodata is None and not np.ma.getmaskarray(ds.read(1, masked=True)).any(), model


def test_demo_parcels_regions_selection_and_shapefile(demo_run):
    import pyogrio

    out, _, _ = demo_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    layers = {name for name, _ in pyogrio.list_layers(out / "parcels" / "restoration.gpkg")}
    assert layers == {"ranked_parcels", "regions", "selection"}
    ranked = sg.read_vector(out / "parcels" / "restoration.gpkg", layer="ranked_parcels")
    assert len(ranked) == summary["vectors"]["parcels"]["features"]
    top = ranked.sort_values("rank").head(10)
    assert list(top["parcel_id"]) == summary["parcels"]["restoration"]["top_k"]
    sel = summary["parcels"]["restoration"]["selection"]
    assert sel["total_area_ha"] <= sel["budget_ha"] + 1e-6 and sel["selected"] > 0
    chosen = sg.read_vector(out / "parcels" / "restoration.gpkg", layer="selection")
    assert len(chosen) == sel["selected"]
    shp = sg.read_vector(out / "parcels" / "restoration_priority.zip")
    assert len(shp) == sel["selected"] and all(len(c) <= 10 for c in shp.columns)
    assert shp["name_zh"].str.len().min() > 0  # UTF-8 names survive


def test_demo_maps_png_and_pdf(demo_run):
    from PIL import Image

    out, _, _ = demo_run
    for stem in ("wind_score", "wind_exclusions", "wind_parcels", "wind_rank_stability",
                 "desertification_esa_classes", "restoration_parcels"):
        assert (out / "maps" / f"{stem}.pdf").read_bytes()[:5] == b"%PDF-"
        with Image.open(out / "maps" / f"{stem}.png") as im:
            px = np.asarray(im.convert("L"), dtype=float)
        assert px.std() > 20, stem  # not a blank image


def test_demo_report_renders_in_chromium(demo_run, tmp_path):
    out, _, _ = demo_run
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html and 'src="http' not in html
    pixels, dom = _chromium(out / "report.html", tmp_path)
    for section in ("inputs", "models", "weights", "maps", "parcels", "selection", "stability", "provenance"):
        assert f'<section id="{section}">' in dom, section
    assert dom.count("data:image/png;base64,") >= 10
    assert pixels.std() > 20
    # parcels are named by their id (P00001 ...), as in the GeoPackage, not by row position
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    start = html.index('<section id="parcels">')
    first = html[start:].split("<tbody><tr><td>", 1)[1].split("</td>", 1)[0]
    assert first == summary["parcels"]["wind"]["top_k"][0] and first.startswith("P")
    assert "CR" in html[html.index('<section id="weights">'):]


def _chromium(html_path, work_dir):
    """Screenshot and DOM of a page in Debian's headless chromium (see tests/maps/conftest.py)."""
    import shutil

    from PIL import Image

    exe = shutil.which("chromium")
    assert exe, "chromium is not installed (apt-get install chromium)"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    url = html_path.resolve().as_uri()
    shot = work_dir / "shot.png"
    subprocess.run([exe, *flags, f"--user-data-dir={work_dir / 'p1'}", f"--screenshot={shot}",
                    "--window-size=1200,2000", url], capture_output=True, timeout=120, check=True)
    dom = subprocess.run([exe, *flags, f"--user-data-dir={work_dir / 'p2'}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    with Image.open(shot) as im:
        return np.asarray(im.convert("RGB")), dom


def test_demo_twice_without_overwrite_changes_nothing(demo_run):
    out, _, _ = demo_run
    before = {str(p): p.stat().st_mtime_ns for p in out.rglob("*")}
    proc = subprocess.run([*CLI, "demo", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "exists already; nothing was changed" in proc.stderr and "--overwrite" in proc.stderr
    assert "(--overwrite)" not in proc.stderr and "Traceback" not in proc.stderr
    assert {str(p): p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_ctrl_c_mid_demo_leaves_no_outputs(tmp_path):
    out = tmp_path / "interrupted"
    proc = subprocess.Popen([*CLI, "demo", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "MPLBACKEND": "Agg"})
    deadline = time.monotonic() + 120
    stage = []
    while time.monotonic() < deadline and proc.poll() is None:  # wait until the run has started
        stage = list(tmp_path.glob(STAGE_PREFIX + "*"))
        if stage:
            break
        time.sleep(0.05)
    assert stage, "the demo never started"
    time.sleep(1.5)  # mid-run: loading and aligning the inputs
    assert proc.poll() is None, "the demo ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Interrupted" in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no staging folder, no temporary file


def test_exclusion_map_reads_bit_names_from_the_constraints_tag(project):
    grid = sg.Grid.from_bounds((400_000, 4_430_000, 400_300, 4_430_200), crs="EPSG:32649", resolution_m=100)
    bits = grid.to_dataarray(np.array([[1, 2, 4], [0, 4, 6]], dtype=np.uint32), name="exclusion")
    tagged = write_raster(bits, project / "tagged.tif",
                          tags={"constraints": "bit 0: outside_aoi, bit 1: no_data, bit 2: steep, 15°"})
    assert invoke("map", tagged, "--kind", "exclusions", "--out", project / "t.png").exit_code == 0
    # bit 2 is set: two names given by hand are too few, so the three above came from the tag
    res = invoke("map", tagged, "--kind", "exclusions", "--constraints", "a,b", "--out", project / "t2.png")
    assert res.exit_code != 0
    assert invoke("map", tagged, "--kind", "exclusions", "--constraints", "a,b,c",
                  "--out", project / "t3.png").exit_code == 0
    untagged = write_raster(bits, project / "untagged.tif")
    res = invoke("map", untagged, "--kind", "exclusions", "--out", project / "u.png")
    assert res.exit_code == 2 and "has no 'constraints' tag" in res.output and "--constraints" in res.output
    bad = write_raster(bits, project / "bad.tif", tags={"constraints": "steep and water"})
    res = invoke("map", bad, "--kind", "exclusions", "--out", project / "b.png")
    assert res.exit_code == 2 and "not a bit legend" in res.output
    res = invoke("map", untagged, "--kind", "exclusions", "--constraints", " , ", "--out", project / "c.png")
    assert res.exit_code == 2 and "no constraint names" in res.output
