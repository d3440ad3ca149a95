"""mypy in the test suite (issue 14, item 5): strict on grid/criteria/mcda/parcels/models, normal elsewhere.

The settings are ``[tool.mypy]`` in ``pyproject.toml``; the cache goes to a temporary folder, so each
run checks the sources as they are.
"""

import re
import time
from pathlib import Path

from mypy import api as mypy_api

# the checkout's sources and settings (the tests run from a checkout; the installed package, e.g.
# in CI's fresh virtual environment, has no pyproject.toml beside it)
ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "steppe_geo"


def test_mypy_finds_no_errors(tmp_path):
    start = time.process_time()
    stdout, stderr, status = mypy_api.run([
        "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "mypy_cache"),
        "--no-error-summary", "--hide-error-context", str(SRC)])
    print(f"mypy: {time.process_time() - start:.1f} s CPU in this process")
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 0 and not errors, f"mypy found {len(errors)} errors:\n{stdout}\n{stderr}"


def test_mypy_is_strict_on_the_compute_layers_and_finds_a_planted_error(tmp_path):
    # The same settings on a copy of one strict module with an unannotated function planted in it
    # (strict: an error) and the same function in a module of the normal set (not an error).
    planted = "\n\ndef planted(x):\n    return x\n"
    pkg = tmp_path / "steppe_geo"
    (pkg / "criteria").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "criteria" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "criteria" / "extra.py").write_text('"""Planted."""' + planted, encoding="utf-8")
    (pkg / "cli.py").write_text('"""Planted."""' + planted, encoding="utf-8")
    stdout, _, status = mypy_api.run([
        "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "mypy_cache"),
        "--no-error-summary", str(pkg)])
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 1 and len(errors) == 1, stdout
    assert re.search(r"criteria[/\\]extra\.py:3: error: Function is missing a type annotation", errors[0])


def test_every_type_ignore_names_its_error_code_and_gives_a_reason():
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "type: ignore" in line and not re.search(r"# type: ignore\[[a-z-, ]+\]\s+#\s*\S", line):
                bad.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert not bad, "a `# type: ignore` needs its error code and a reason comment:\n" + "\n".join(bad)
