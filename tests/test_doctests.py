"""Every ``Examples`` section in steppe_geo runs: doctest over every module of the package.

New modules are picked up automatically (``pkgutil.walk_packages``). Examples that write files
use :mod:`tempfile`; the test points ``tempfile`` at pytest's ``tmp_path``, so nothing is left
behind.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import tempfile

import pytest

import steppe_geo


def _modules() -> list[str]:
    names = [steppe_geo.__name__]
    for info in pkgutil.walk_packages(steppe_geo.__path__, prefix=f"{steppe_geo.__name__}."):
        names.append(info.name)
    return sorted(names)


def test_the_walk_finds_the_package_modules():
    names = _modules()
    for expected in ("steppe_geo.grid", "steppe_geo.io.raster", "steppe_geo.io.write", "steppe_geo.datasets"):
        assert expected in names
    assert len(names) > 20


@pytest.mark.parametrize("name", _modules())
def test_module_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # examples writing relative paths land here too
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             report=True, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"
