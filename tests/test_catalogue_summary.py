"""The reliability catalogue's ``--catalogue-summary`` counts the same serially and under pytest-xdist.

The counting hooks of ``tests/reliability/conftest.py`` run on a copy of that conftest beside a small
catalogue written here (cases that pass and one that fails, known by construction), in real pytest
subprocesses: collect-only, a serial run and a run on two xdist workers (the CI's way).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parent / "reliability" / "conftest.py"

CASES = '''
import pytest


@pytest.mark.case("clear_error")
@pytest.mark.parametrize("n", [1, 2, 3])
def test_refused(n):
    with pytest.raises(ValueError):
        int("x" * n)


@pytest.mark.case("correct_result")
def test_right():
    assert 2 + 2 == 4


@pytest.mark.case("correct_result")
def test_wrong():
    assert 2 + 2 == 5


def test_not_a_case():
    assert True
'''

INI = """[pytest]
addopts = -p no:cacheprovider
markers =
    case(outcome): a reliability-catalogue case
"""


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    folder = tmp_path / "reliability"
    folder.mkdir()
    shutil.copy(CONFTEST, folder / "conftest.py")
    (folder / "test_cases.py").write_text(CASES, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(INI, encoding="utf-8")
    return folder


def _summary(catalogue: Path, *args: str) -> tuple[int, list[str]]:
    proc = subprocess.run([sys.executable, "-m", "pytest", str(catalogue), "--catalogue-summary", *args],
                          capture_output=True, text=True, cwd=catalogue.parent, timeout=300)
    lines = proc.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if "reliability catalogue" in line), None)
    assert start is not None, proc.stdout + proc.stderr
    return proc.returncode, [line.strip() for line in lines[start + 1:start + 6]]


def test_collect_only_counts_the_cases_by_outcome_and_file(catalogue):
    code, lines = _summary(catalogue, "--collect-only", "-q")
    assert code == 0
    # by hand: 3 parametrized clear_error cases, 2 correct_result, 1 unmarked test
    assert lines == ["clear_error        3 cases", "correct_result     2 cases", "total              5 cases",
                     "reliability/test_cases.py: 3 clear_error, 2 correct_result",
                     "not in the catalogue (no @pytest.mark.case): 1 tests"]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_run_counts_passed_and_failed_cases_serially_and_under_xdist(catalogue, workers):
    code, lines = _summary(catalogue, *workers)
    assert code == 1  # test_wrong fails
    assert lines[:3] == ["clear_error        3 cases  (3 passed, 0 failed)",
                         "correct_result     2 cases  (1 passed, 1 failed)",
                         "total              5 cases"]
    assert re.fullmatch(r"reliability/test_cases\.py: 3 clear_error, 2 correct_result", lines[3])
