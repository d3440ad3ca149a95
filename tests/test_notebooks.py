"""Every notebook in notebooks/ runs top to bottom (nbclient) and is committed without outputs."""

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_the_notebooks_are_these():
    assert [p.name for p in NOTEBOOKS] == [
        "01_wind_solar_siting.ipynb",
        "02_desertification_restoration.ipynb",
        "03_weights_explanations_stability.ipynb",
        "04_sand_drift_and_hybrids.ipynb",
        "05_interactive_tuning.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has outputs"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # figures as outputs
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # the notebooks find the repository's real data from their working folder, as in a checkout
    # (an installed package has no tests/ folder): give the run's folder the same layout
    nsrdb = Path("tests", "data", "real", "nsrdb")
    shutil.copytree(REPO / nsrdb, tmp_path / nsrdb)
    # kernel "python3" is the interpreter running the tests (ipykernel's native kernel)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env={**os.environ})
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # no warnings printed by the library (or its progress bars) while the notebook runs
    assert not [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert any(o.output_type == "display_data" and "image/png" in o.data for o in outputs)  # figures drawn
