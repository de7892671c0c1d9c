r"""A study's viewshed work cut into tiles, and the tiles' results merged (:func:`run_tiles`).

A camera belongs to the one tile whose core holds its cell. Each tile's task takes the views within reach of
its core and the parts of the layers that touch its window; the window is the core widened by the longest
range, plus the 2 cells by which a camera may be moved off a wall, plus a safety cell (:data:`EXTRA_CELLS`).
The tasks are made one at a time as the engine asks for them, and the results merged in the order of the
tiles, so they are the same whatever ran them and whatever order they finished in.

Why the merge is exact: every cell of the grid is counted by exactly one tile, the tile that holds it; a
camera that sees a cell lies within its range of it, so within the margin of that cell's tile; the kernel's
sweep reads only cells between the camera and the cell it decides (see :mod:`equity.visibility.viewshed`),
all inside the tile's window; and the tiles' windows are aligned to the cells of the one grid, so that the
buildings, units and terrain under a cell are the same in every window that holds it. The coverage of a unit
is therefore the same sum of whole cells,

.. math:: covered(u) = cell^2 \cdot \sum_{tiles} \#\{c \in tile : seen(c), open(c), unit(c) = u\}

as on the single grid, and not an approximation of it; so is an operator's area in view.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from equity.engine.executor import Engine
from equity.engine.plan import EXTRA_CELLS, Grid, Tile, plan_tiles, reach_cells
from equity.engine.tile_work import TileResult, TileTask, run_tile
from equity.settings import Settings

if TYPE_CHECKING:
    from equity.io.dem import DemSource


@dataclass
class SeenMosaic:
    """The seen open cells of the whole grid, kept as each tile's packed bits (one bit a cell)."""

    grid: Grid
    tile_cells: int
    tiles: dict[int, tuple[Tile, np.ndarray, tuple[int, int]]]
    _per_row: int = 0

    def __post_init__(self) -> None:
        self._per_row = max(1, math.ceil(self.grid.shape[1] / self.tile_cells))

    def points_seen(self, points: gpd.GeoDataFrame) -> np.ndarray:
        """Is each point on a seen cell (False outside the grid)."""
        rows, cols = self.grid.cell_of(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
        out = np.zeros(len(points), bool)
        ok = (rows >= 0) & (rows < self.grid.shape[0]) & (cols >= 0) & (cols < self.grid.shape[1])
        which = np.full(len(points), -1, np.int64)
        which[ok] = (rows[ok] // self.tile_cells) * self._per_row + cols[ok] // self.tile_cells
        for index in np.unique(which[ok]):
            if int(index) not in self.tiles:
                continue
            tile, bits, shape = self.tiles[int(index)]
            sel = np.flatnonzero(which == index)
            mask = np.unpackbits(bits, count=shape[0] * shape[1]).reshape(shape)
            out[sel] = mask[rows[sel] - tile.core[0], cols[sel] - tile.core[2]].astype(bool)
        return out

    @property
    def seen_cells(self) -> int:
        """Number of seen open cells."""
        return int(sum(int(np.unpackbits(b, count=s[0] * s[1]).sum()) for _, b, s in self.tiles.values()))


@dataclass
class TiledResult:
    """The tiles' results merged: per view (aligned to the views), per unit (aligned to the units), the seen
    cells, and the homes figures when the tiles computed them. ``reached_cells``: the cells of the grid within
    reach of a view (:func:`equity.engine.plan.reach_cells`), ``missing_cells``: those of them without an
    elevation in the DEM."""

    visible_cells: pd.Series
    status: pd.Series
    polygons: gpd.GeoSeries
    covered_cells: pd.Series
    mosaic: SeenMosaic
    missing_cells: int
    reached_cells: int
    tiles: int
    tile_cells: int
    homes_views: pd.DataFrame | None = None
    homes_seen: pd.Series | None = None
    group_cells: pd.DataFrame | None = None


#: Most views of one tile grouped by their reach (:func:`_work_windows`); more share one window.
MAX_GROUPED = 4096

#: Columns of a view that a tile's work reads.
VIEW_COLUMNS = ("in_coverage", "fov_deg", "range_m", "direction_deg", "tilt_deg", "height_m", "mount")


def run_tiles(
    *,
    engine: Engine,
    grid: Grid,
    views: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None,
    dem: DemSource | None,
    dem_fill: float | None,
    settings: Settings,
    homes: Any = None,
    polygons: bool = True,
    groups: np.ndarray | None = None,
) -> TiledResult:
    r"""Cut ``grid`` into tiles, run :func:`run_tile` for each on ``engine``, and merge the results.

    ``homes`` (an object with ``homes``, ``residential``, ``public``, ``streets`` and ``public_known``, as
    :class:`equity.study.HomeInputs`) adds the homes-in-view analysis to every tile.

    ``groups`` (an integer code per view, such as its operator's) adds each group's cells in view per unit,
    ``group_cells`` (columns ``group``, ``unit``: the unit's position, -1 outside the units, and ``cells``),
    counted like the coverage, each cell by the tile that holds it:

    .. math:: n(g, u) = \sum_{tiles} \#\{c \in tile : open(c), unit(c) = u,
              \exists v \in g : seen_v(c)\}

    so that a group's area in view, ``cell² · n(g, u)`` m², counts a cell seen by several of its views once.
    """
    cell = grid.cell
    nrows, ncols = grid.shape
    use = (views["in_coverage"].astype(bool) & views["fov_deg"].notna() & views["range_m"].notna()).to_numpy()
    longest = float(views.loc[use, "range_m"].max()) if use.any() else 0.0
    reach = math.floor(longest / cell)
    margin = reach + 2 + EXTRA_CELLS  # a margin camera (within reach + 2 cells) and its 2-cell neighbourhood
    tiles = plan_tiles(grid, engine.tile_cells, margin)
    per_row = max(1, math.ceil(ncols / engine.tile_cells))
    rows, cols = grid.cell_of(views.geometry.x.to_numpy(), views.geometry.y.to_numpy())
    inside = (rows >= 0) & (rows < nrows) & (cols >= 0) & (cols < ncols)
    status = pd.Series("not in coverage", index=views.index, dtype=object)
    status[use & ~inside] = "outside surface"
    active = use & inside
    owner = np.full(len(views), -1, np.int64)
    owner[active] = (rows[active] // engine.tile_cells) * per_row + cols[active] // engine.tile_cells
    view_data = gpd.GeoDataFrame(
        {c: views[c].to_numpy() for c in VIEW_COLUMNS}, geometry=views.geometry.to_numpy(), crs=views.crs
    )
    view_data.index = views.index
    if groups is not None:
        view_data["group"] = np.asarray(groups, np.int64)
    # a home matters to a window when its yard or façade strip reaches it
    layers = _Layers(units, buildings, homes, home_reach=max(settings.homes_yard_m, settings.homes_ring_m))
    crs = CRS.from_user_input(views.crs).to_wkt()
    views_range = views["range_m"].to_numpy(np.float64)

    def tasks() -> Iterator[TileTask]:
        for tile in tiles:
            r0, r1, c0, c1 = tile.core
            near = (
                active
                & (rows >= r0 - reach - 2)
                & (rows < r1 + reach + 2)
                & (cols >= c0 - reach - 2)
                & (cols < c1 + reach + 2)
            )
            sel = np.flatnonzero(near)
            for part_index, (window, members) in enumerate(
                _work_windows(tile, rows[sel], cols[sel], views_range[sel], cell)
            ):
                yield _task(Tile(tile.index, tile.core, window), part_index, sel[members])

    def _task(tile: Tile, part_index: int, sel: np.ndarray) -> TileTask:
        part = view_data.iloc[sel].copy()
        part["owned"] = owner[sel] == tile.index
        part["row"] = rows[sel] - tile.window[0]
        part["col"] = cols[sel] - tile.window[2]
        task = TileTask(
            tile=tile,
            transform=tile.window_transform(grid),
            crs=crs,
            settings=settings,
            views=part,
            units=layers.units_in(_box(grid, _core_part(tile))),
            buildings=layers.buildings_in(_box(grid, tile.window)),
            dem=dem,
            dem_fill=dem_fill,
            polygons=polygons,
            groups=groups is not None,
            part=part_index,
        )
        if homes is not None:
            # a street counts as public space out to its half width: take the streets that near the window
            window = _box(grid, tile.window).buffer(settings.homes_street_half_width_m + cell, join_style="mitre")
            task.homes = layers.homes_in(window)
            task.residential = _subset(homes.residential, window)
            task.public = _subset(homes.public, window)
            task.streets = _subset(homes.streets, window)
            task.public_known = homes.public_known
        return task

    results: dict[int, list[TileResult]] = {}
    for _, result in engine.map(run_tile, tasks()):
        results.setdefault(result.index, []).append(result)
    visible = pd.Series(0, index=views.index, dtype="int64")
    polys = pd.Series(None, index=views.index, dtype=object)
    covered = pd.Series(0, index=np.arange(len(units)), dtype="int64")
    mosaic_tiles = {}
    missing = 0
    reached = 0
    group_parts = []
    homes_views = _empty_home_views(views.index) if homes is not None else None
    homes_seen = pd.Series(0, index=homes.homes.index, dtype="int64") if homes is not None else None
    for tile in tiles:  # in the tiles' order, whatever order they finished in, each tile's parts in order
        parts = sorted(results[tile.index], key=lambda r: r.part)
        seen_bits = parts[0].seen_bits
        for result in parts:
            visible.loc[result.views.index] = result.views["visible_cells"].to_numpy()
            status.loc[result.views.index] = result.views["observer_status"].to_numpy()
            polys.loc[result.polygons.index] = result.polygons.to_numpy()
            covered = covered.add(result.covered, fill_value=0).astype("int64")
            seen_bits = np.bitwise_or(seen_bits, result.seen_bits)  # the parts' cells are apart: no cell twice
            missing += result.missing_cells
            reached += result.reached_cells
            if result.group_cells is not None:
                group_parts.append(result.group_cells)
            if homes_views is not None and result.homes_views is not None:
                for col in homes_views.columns:
                    homes_views.loc[result.homes_views.index, col] = result.homes_views[col].to_numpy()
                homes_seen = homes_seen.add(result.homes_seen, fill_value=0).astype("int64")
        mosaic_tiles[tile.index] = (tile, seen_bits, parts[0].core_shape)
    return TiledResult(
        visible_cells=visible,
        status=status,
        polygons=gpd.GeoSeries(polys, index=views.index, crs=views.crs),
        covered_cells=pd.Series(covered.reindex(np.arange(len(units)), fill_value=0).to_numpy(), index=units.index),
        mosaic=SeenMosaic(grid, engine.tile_cells, mosaic_tiles),
        missing_cells=missing,
        reached_cells=reached,
        tiles=len(tiles),
        tile_cells=engine.tile_cells,
        homes_views=homes_views,
        homes_seen=homes_seen,
        group_cells=_sum_group_cells(group_parts) if groups is not None else None,
    )


def _work_windows(
    tile: Tile, rows: np.ndarray, cols: np.ndarray, ranges: np.ndarray, cell: float
) -> list[tuple[tuple[int, int, int, int], np.ndarray]]:
    r"""The parts of a tile's work: groups of its views, each with the window it needs, the windows apart.

    A view's work stays in the square of cells around its camera

    .. math:: [r_v - k_v, r_v + k_v] \times [c_v - k_v, c_v + k_v]

    (:func:`equity.engine.plan.reach_cells`): no view sees a cell outside it and the kernel reads no cell
    outside it (:mod:`equity.visibility.viewshed`). Views whose squares (clipped to the tile's window) overlap
    are grouped, and groups whose bounding boxes overlap are merged, until the boxes are apart. Each group is
    worked on in its box: a cell of the tile's core lies in at most one box, so the groups' counts add up to
    the tile's, exactly, for the work of the cameras' reach rather than of the tile's area (a few cameras in a
    large tile build a few small surfaces). Returns ``(window, members)`` pairs, the window as global grid rows
    and columns ``(r0, r1, c0, c1)``, ordered by window; one empty window when no view is near. Over
    :data:`MAX_GROUPED` views, one box holds them all.
    """
    if not len(rows):
        r0, _, c0, _ = tile.core
        return [((r0, r0, c0, c0), np.zeros(0, np.int64))]
    k = reach_cells(ranges, cell)
    w0, w1, w2, w3 = tile.window
    top, bottom = np.maximum(w0, rows - k), np.minimum(w1, rows + k + 1)
    boxes = np.stack([top, bottom, np.maximum(w2, cols - k), np.minimum(w3, cols + k + 1)], axis=1)
    group = np.zeros(len(rows), np.int64)
    if len(rows) <= MAX_GROUPED:
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components

        group = np.arange(len(rows))
        while True:
            overlap = (
                (boxes[:, None, 0] < boxes[None, :, 1])
                & (boxes[None, :, 0] < boxes[:, None, 1])
                & (boxes[:, None, 2] < boxes[None, :, 3])
                & (boxes[None, :, 2] < boxes[:, None, 3])
            )
            n, label = connected_components(csr_matrix(overlap), directed=False)
            if n == len(boxes):
                break
            merged = np.empty((n, 4), np.int64)
            merged[:, [0, 2]] = np.iinfo(np.int64).max
            merged[:, [1, 3]] = np.iinfo(np.int64).min
            np.minimum.at(merged[:, 0], label, boxes[:, 0])
            np.maximum.at(merged[:, 1], label, boxes[:, 1])
            np.minimum.at(merged[:, 2], label, boxes[:, 2])
            np.maximum.at(merged[:, 3], label, boxes[:, 3])
            group = label[group]
            boxes = merged
    else:
        boxes = np.array([[boxes[:, 0].min(), boxes[:, 1].max(), boxes[:, 2].min(), boxes[:, 3].max()]])
    order = np.lexsort((boxes[:, 2], boxes[:, 0]))
    return [(tuple(int(v) for v in boxes[g]), np.flatnonzero(group == g)) for g in order]


def _core_part(tile: Tile) -> tuple[int, int, int, int]:
    """The part of a tile's core inside its window (may be empty)."""
    r0, r1, c0, c1 = tile.core
    w0, w1, w2, w3 = tile.window
    return (max(r0, w0), max(max(r0, w0), min(r1, w1)), max(c0, w2), max(max(c0, w2), min(c1, w3)))


def _sum_group_cells(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The tiles' cells per group and unit, summed (every cell was counted by one tile only)."""
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"group": [], "unit": [], "cells": []})
    frame = frame.astype("int64")
    return frame.groupby(["group", "unit"], as_index=False)["cells"].sum().sort_values(["group", "unit"])


def _empty_home_views(index: pd.Index) -> pd.DataFrame:
    """The homes figures of views that saw nothing (as :func:`equity.homes.homes_in_view` gives them)."""
    out = pd.DataFrame(index=index)
    for col in ("homes_in_view", "probable_homes_in_view"):
        out[col] = np.zeros(len(index), np.int64)
    for col in ("private_m2", "public_m2", "other_m2"):
        out[col] = np.zeros(len(index))
    out["intrusion_score"] = np.full(len(index), np.nan)
    out["looks_into_homes"] = np.zeros(len(index), bool)
    return out


def _box(grid: Grid, rc: tuple[int, int, int, int]) -> Any:
    """The map rectangle of grid rows ``[r0, r1)`` and columns ``[c0, c1)``."""
    import shapely

    r0, r1, c0, c1 = rc
    x0, y0 = grid.transform.c + c0 * grid.cell, grid.transform.f - r1 * grid.cell
    x1, y1 = grid.transform.c + c1 * grid.cell, grid.transform.f - r0 * grid.cell
    return shapely.box(x0, y0, x1, y1)


def _subset(layer: gpd.GeoSeries | None, area: Any) -> gpd.GeoSeries | None:
    if layer is None:
        return None
    geoms = layer.to_numpy()
    import shapely

    hit = shapely.intersects(geoms, area)
    return layer[hit]


class _Layers:
    """Spatial indexes of the layers that tiles take subsets of; subsets keep the layers' order."""

    def __init__(
        self, units: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None, homes: Any, home_reach: float = 0.0
    ) -> None:
        import shapely

        self.units = gpd.GeoDataFrame({"pos": np.arange(len(units))}, geometry=units.geometry.to_numpy(), crs=units.crs)
        self.unit_tree = shapely.STRtree(self.units.geometry.to_numpy())
        self.buildings = None
        if buildings is not None and not buildings.empty:
            self.buildings = gpd.GeoDataFrame(
                {"height_m": buildings["height_m"].to_numpy()},
                geometry=buildings.geometry.to_numpy(),
                crs=buildings.crs,
            )
            self.building_tree = shapely.STRtree(self.buildings.geometry.to_numpy())
        self.homes = None
        if homes is not None:
            # the homes within ``home_reach`` of a window: a distance query on the footprints, rather than a
            # tree of buffered copies of every home
            self.home_reach = home_reach
            self.homes = homes.homes[["home", "geometry"]]
            self.home_tree = shapely.STRtree(self.homes.geometry.to_numpy())

    def units_in(self, area: Any) -> gpd.GeoDataFrame:
        hit = np.sort(self.unit_tree.query(area, predicate="intersects"))
        return self.units.iloc[hit]

    def buildings_in(self, area: Any) -> gpd.GeoDataFrame | None:
        if self.buildings is None:
            return None
        hit = np.sort(self.building_tree.query(area, predicate="intersects"))
        return self.buildings.iloc[hit]

    def homes_in(self, area: Any) -> gpd.GeoDataFrame:
        hit = np.sort(self.home_tree.query(area, predicate="dwithin", distance=self.home_reach))
        return self.homes.iloc[hit]
