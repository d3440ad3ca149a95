"""The windows of a grid: a tile's core and halo-padded windows (:meth:`~steppe_geo.grid.Grid.windows`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rasterio.windows import Window

if TYPE_CHECKING:
    from steppe_geo.grid import Grid

__all__ = ["GridWindow"]


@dataclass(frozen=True)
class GridWindow:
    """One tile of a grid: the core window and the halo-padded window read around it.

    Made by :meth:`Grid.windows`.

    Parameters
    ----------
    grid : Grid
        The whole grid.
    core : rasterio.windows.Window
        The tile itself; the cores of :meth:`Grid.windows` cover the grid once.
    padded : rasterio.windows.Window
        The core grown by the halo on every side, clipped to the grid.
    """

    grid: Grid
    core: Window
    padded: Window

    @property
    def inner(self) -> tuple[slice, slice]:
        """Slices that cut the core out of an array read over ``padded``."""
        r = int(self.core.row_off - self.padded.row_off)
        c = int(self.core.col_off - self.padded.col_off)
        return (slice(r, r + int(self.core.height)), slice(c, c + int(self.core.width)))

    @property
    def core_slices(self) -> tuple[slice, slice]:
        """Slices of the full grid array that the core covers."""
        return self.core.toslices()

    @property
    def padded_slices(self) -> tuple[slice, slice]:
        """Slices of the full grid array that the padded window covers."""
        return self.padded.toslices()

    @property
    def core_grid(self) -> Grid:
        """Grid of the core tile."""
        return self.grid.window_grid(self.core)

    @property
    def padded_grid(self) -> Grid:
        """Grid of the halo-padded tile."""
        return self.grid.window_grid(self.padded)
