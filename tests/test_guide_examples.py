"""The Python examples of the user guide run, so they cannot rot.

Every ```python block of each stage page in ``docs/guide`` is executed in order, in one namespace
per page (as a notebook would run them), in a temporary working directory with matplotlib's Agg
backend. Any exception fails the test and names the page and block. Warnings other than
steppe_geo's own stay errors (the strict pytest configuration); a steppe_geo warning an example
triggers must be named on its page, so a reader is told to expect it.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib
import pytest

from steppe_geo.errors import SteppeGeoWarning

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide"
PAGES = ["inputs", "criteria", "overlay", "models", "parcels", "interactive"]
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def python_blocks(text: str) -> list[str]:
    """The bodies of the ```python fenced blocks of a Markdown page, in order."""
    return [m.group(1) for m in _BLOCK.finditer(text)]


def test_block_extraction():
    page = "x\n```python\na = 1\n```\n```text\nnot code\n```\n```python\nb = a + 1\n```\n"
    assert python_blocks(page) == ["a = 1\n", "b = a + 1\n"]


@pytest.mark.parametrize("page", PAGES)
def test_guide_page_examples_run(page, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    text = (GUIDE / f"{page}.md").read_text(encoding="utf-8")
    blocks = python_blocks(text)
    assert blocks, f"docs/guide/{page}.md has no ```python blocks"
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"guide_{page}"}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.filterwarnings("always", category=SteppeGeoWarning)
            for i, block in enumerate(blocks, start=1):
                code = compile(block, f"docs/guide/{page}.md, python block {i}", "exec")
                try:
                    exec(code, namespace)
                except Exception as exc:  # report the page and block, not just the traceback
                    pytest.fail(f"docs/guide/{page}.md, python block {i} raised "
                                f"{type(exc).__name__}: {exc}\n--- block ---\n{block}")
    finally:
        plt.close("all")
    unmentioned = sorted({w.category.__name__ for w in caught
                          if issubclass(w.category, SteppeGeoWarning)} - set(re.findall(r"\w+", text)))
    assert not unmentioned, f"docs/guide/{page}.md: examples issue {unmentioned}, which the page never names"
