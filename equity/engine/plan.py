"""The study's one grid and its cut into tiles.

The grid is north up, of square cells, over the whole study area (:func:`grid_over`). It is cut into square
tiles of ``tile_cells`` cells a side, row by row from the north-west (:func:`plan_tiles`). A tile's core is
the cells it counts, and every cell of the grid lies in the core of exactly one tile; its window is the core
widened by a margin on every side, clipped to the grid: the cells its work reads. Cores and windows are
ranges of the grid's own rows and columns, so the windows are aligned to the one grid's cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from affine import Affine

from equity.visibility.surface import cells_of, snap_grid

#: Cells added around a view's reach: a camera inside a footprint is moved up to 2 cells off it, plus one.
EXTRA_CELLS = 3


def reach_cells(ranges: np.ndarray, cell: float) -> np.ndarray:
    r"""How far from its camera's cell a view's work reaches, in cells:
    :math:`k_v = \lceil range_v / cell \rceil + 2 + EXTRA`, its range plus the 2 cells by which a camera in a
    footprint is moved off it and :data:`EXTRA_CELLS`. The square of :math:`2 k_v + 1` cells around the camera
    holds every cell the view sees and every cell its sweep reads."""
    return np.ceil(np.asarray(ranges, np.float64) / cell).astype(np.int64) + 2 + EXTRA_CELLS


@dataclass(frozen=True)
class Grid:
    """The study's one grid: north up, square cells; cell ``(r, c)`` has its upper-left corner at
    ``transform * (c, r)``."""

    transform: Affine
    shape: tuple[int, int]

    @property
    def cell(self) -> float:
        """Cell size in metres."""
        return float(self.transform.a)

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cells holding map points (may fall outside the grid)."""
        return cells_of(self.transform, x, y)


def grid_over(bounds: tuple[float, float, float, float], cell: float) -> Grid:
    """The grid of :func:`equity.visibility.grid_for` over ``bounds``, of any size (tiles are built one by
    one, so the limit on one surface's size applies to a tile's window, not to the study area)."""
    transform, shape = snap_grid(bounds, cell)
    return Grid(transform, shape)


@dataclass(frozen=True)
class Tile:
    """One tile: its core (the cells it counts) and its window (core plus margin), as global grid rows and
    columns, ``[r0, r1)`` and ``[c0, c1)``."""

    index: int
    core: tuple[int, int, int, int]
    window: tuple[int, int, int, int]

    def window_transform(self, grid: Grid) -> Affine:
        """Transform of the window's grid."""
        return grid.transform @ Affine.translation(self.window[2], self.window[0])

    @property
    def window_shape(self) -> tuple[int, int]:
        """Rows and columns of the window."""
        return (self.window[1] - self.window[0], self.window[3] - self.window[2])


def plan_tiles(grid: Grid, tile_cells: int, margin_cells: int) -> list[Tile]:
    """The tiles of ``grid``: cores of ``tile_cells`` cells a side, row by row from the north-west, each with
    a window widened by ``margin_cells`` on every side (clipped to the grid)."""
    nrows, ncols = grid.shape
    tiles = []
    for r0 in range(0, nrows, tile_cells):
        for c0 in range(0, ncols, tile_cells):
            r1, c1 = min(nrows, r0 + tile_cells), min(ncols, c0 + tile_cells)
            window = (
                max(0, r0 - margin_cells),
                min(nrows, r1 + margin_cells),
                max(0, c0 - margin_cells),
                min(ncols, c1 + margin_cells),
            )
            tiles.append(Tile(len(tiles), (r0, r1, c0, c1), window))
    return tiles
