"""Tuning a model by hand in a notebook: live weights, value-function curves, constraints and rule.

:class:`TuningSession` (no widgets) re-evaluates a model after each edit, on a decimated preview
grid while a slider moves and at full resolution on release, and says what changed (eligible area,
top parcels). :class:`TuningPanel` puts ipywidgets and a matplotlib map on top of it; it needs the
optional extra ``pip install "steppe-geo[interactive]"`` (ipywidgets) and is imported on first use,
so ``import steppe_geo.interactive`` works without ipywidgets.
"""

from __future__ import annotations

from typing import Any

from steppe_geo.interactive.session import Change, TuningSession, Update

__all__ = ["Change", "TuningPanel", "TuningSession", "Update"]


def __getattr__(name: str) -> Any:
    """Import :class:`TuningPanel` (and ipywidgets) on first use (PEP 562)."""
    if name == "TuningPanel":
        from steppe_geo.interactive.panel import TuningPanel

        return TuningPanel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
