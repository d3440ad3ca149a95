"""The reliability catalogue's shared fixtures and its counting hook (see README.md here).

Fixtures
--------
``tiny_config_text``
    A valid TOML configuration on the bundled sample data (a 2-criterion custom solar overlay at
    2 km, parcels ranked, no maps or report), writing to ``tmp_path / "out"``: a real run takes a
    few seconds. Edit the text (``str.replace``) to make a bad-input case.
``write_config``
    ``write_config(text, name="config.toml") -> Path``: write a configuration into ``tmp_path``.
``tiny_config``
    ``tiny_config_text`` written to ``tmp_path / "config.toml"``.
``run_cli``
    ``run_cli("validate", path) -> CliResult(exit_code, stdout, stderr)``: the ``steppe-geo``
    command run in process through :func:`steppe_geo.cli.main`, as a shell would run it (exit code
    and standard error captured; a traceback from inside a dependency is *not* caught: it fails
    the test, as it should).

Counting
--------
``pytest tests/reliability --catalogue-summary`` (add ``--collect-only -q`` to count without
running) prints the catalogue's distinct cases by outcome, per file, and, when the tests ran, how
many of each outcome passed.
"""

from __future__ import annotations

import collections
import contextlib
import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

OUTCOMES = ("clear_error", "correct_result")
"""The two ends a catalogue case may have (the argument of ``@pytest.mark.case``)."""

_HERE = Path(__file__).resolve().parent
_COUNTS = pytest.StashKey[dict]()
_WORKER_KEY = "steppe_geo_reliability_catalogue"  # in a pytest-xdist worker's workeroutput


TINY_CONFIG = """\
# A tiny valid configuration on the bundled sample data (reliability catalogue).
[project]
name = "reliability catalogue"

[sources]
aoi = "sample:aoi"
ghi = "sample:ghi"
dem = "sample:dem"
parcels = "sample:parcels"

[grid]
aoi = "aoi"
resolution_m = 2000

[[models.solar.criteria]]
name = "irradiation"
layer = "ghi"
function = "linear"
low = 1450.0
high = 1650.0
weight = 3

[[models.solar.criteria]]
name = "elevation"
layer = "dem"
function = "linear"
low = 2000.0
high = 1000.0
weight = 1

[parcels]
source = "parcels"
id_column = "parcel_id"
n_draws = 0

[outputs]
directory = "{out}"
vectors = ["gpkg"]
maps = []
report = false
"""


@dataclass(frozen=True)
class CliResult:
    """What a shell sees of one ``steppe-geo`` command: exit code, standard output and error."""

    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def tiny_config_text(tmp_path: Path) -> str:
    """The text of a valid configuration on the sample data writing to ``tmp_path / "out"``."""
    return TINY_CONFIG.format(out=(tmp_path / "out").as_posix())


@pytest.fixture
def write_config(tmp_path: Path):
    """``write_config(text, name="config.toml") -> Path``: a configuration file in ``tmp_path``."""

    def write(text: str | bytes, name: str = "config.toml") -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def tiny_config(tiny_config_text: str, write_config) -> Path:
    """The tiny valid configuration written to ``tmp_path / "config.toml"``."""
    return write_config(tiny_config_text)


@pytest.fixture
def run_cli():
    """``run_cli(*args) -> CliResult``: ``steppe-geo ARGS`` run in this process.

    Warnings are shown as a shell shows them (pytest would raise them as errors). The CLI
    configures the ``steppe_geo`` logger and ``warnings.showwarning``; both are restored afterwards
    so one case cannot change how the next one reports.
    """
    from steppe_geo.cli import main

    def run(*args: object) -> CliResult:
        logger = logging.getLogger("steppe_geo")
        saved = (list(logger.handlers), logger.level, logger.propagate, warnings.showwarning)
        out, err = io.StringIO(), io.StringIO()
        code: int | str | None = 0
        try:
            # as in a shell: warnings are printed (the CLI logs them one per line), not raised
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
                warnings.simplefilter("default")
                try:
                    main([str(a) for a in args], prog_name="steppe-geo")
                except SystemExit as exc:
                    code = exc.code
        finally:
            logger.handlers[:], logger.level, logger.propagate, warnings.showwarning = saved
        return CliResult(int(code or 0) if not isinstance(code, str) else 1, out.getvalue(), err.getvalue())

    return run


# ----------------------------------------------------------------------------- counting
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--catalogue-summary", action="store_true", default=False,
                     help="print the reliability catalogue's distinct cases by outcome "
                          "(use with the path tests/reliability)")


def _case_outcome(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("case")
    if marker is None:
        return None
    outcome = marker.args[0] if marker.args else marker.kwargs.get("outcome")
    if outcome not in OUTCOMES:
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.case({outcome!r}): the outcome must be one of "
                                f"{', '.join(OUTCOMES)}")
    return outcome


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cases: dict[str, str] = {}
    unmarked: list[str] = []
    for item in items:
        if _HERE not in Path(item.path).resolve().parents:
            continue
        outcome = _case_outcome(item)
        if outcome is None:
            unmarked.append(item.nodeid)
        else:
            cases[item.nodeid] = outcome
    config.stash[_COUNTS] = {"cases": cases, "unmarked": unmarked}
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: its controller collects nothing itself
        workeroutput[_WORKER_KEY] = {"cases": cases, "unmarked": unmarked}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """Under pytest-xdist the controller takes the catalogue from a worker (each collects every test)."""
    found = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
    if found is not None and _COUNTS not in node.config.stash:
        node.config.stash[_COUNTS] = found


def _outcomes(terminalreporter) -> tuple[set[str], set[str]]:
    """The node ids that passed (their call) and that failed or errored (any phase) in this session.

    Read from the terminal reporter's reports, which the controller of a pytest-xdist run receives
    from its workers as well, so a parallel run counts as a serial one does.
    """
    stats = terminalreporter.stats
    passed = {r.nodeid for r in stats.get("passed", []) if getattr(r, "when", None) == "call"}
    failed = {r.nodeid for key in ("failed", "error") for r in stats.get(key, []) if hasattr(r, "nodeid")}
    return passed - failed, failed


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not config.getoption("--catalogue-summary"):
        return
    terminalreporter.section("reliability catalogue")
    write = terminalreporter.write_line
    if _COUNTS not in config.stash:
        write("no counts: no collection of tests/reliability was seen (give tests/reliability, or a file in "
              "it, on the command line)")
        return
    counts = config.stash[_COUNTS]
    cases: dict[str, str] = counts["cases"]
    passed, failed = _outcomes(terminalreporter)
    by_outcome = collections.Counter(cases.values())
    ran = bool((passed | failed) & cases.keys())
    for outcome in OUTCOMES:
        line = f"{outcome:<15} {by_outcome.get(outcome, 0):>4} cases"
        if ran:
            ids = [n for n, o in cases.items() if o == outcome]
            line += f"  ({sum(n in passed for n in ids)} passed, {sum(n in failed for n in ids)} failed)"
        write(line)
    write(f"{'total':<15} {len(cases):>4} cases")
    by_file = collections.Counter((nodeid.split("::")[0], o) for nodeid, o in cases.items())
    for file in sorted({f for f, _ in by_file}):
        write(f"  {file}: " + ", ".join(f"{by_file[(file, o)]} {o}" for o in OUTCOMES))
    if counts["unmarked"]:
        write(f"not in the catalogue (no @pytest.mark.case): {len(counts['unmarked'])} tests")
