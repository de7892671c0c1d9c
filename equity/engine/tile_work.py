"""The work of one tile, a pure function of its task (:func:`run_tile`).

A tile's task holds its window's grid, the views within reach of its core, and the parts of the layers that
touch its window (:class:`TileTask`). Its work builds the surface model of the window, runs the viewshed
kernel for all those views in one sweep, and counts, for the cells of its core only (not the margin), which
open cells are seen, how many of them fall in each unit, and, per operator, how many are seen by that
operator's views (the views sorted by operator, each operator's windows OR-ed into one buffer of the core's
size in turn: :class:`_GroupCells`). The figures of the tile's own cameras (visible cells, observer status,
viewshed polygon, and homes in view, the last from the same sweep's windows) come from this tile alone.

The same task gives the same result on any worker, so a task whose worker died can simply run again; what a
tile returns (:class:`TileResult`) is small enough to send back: its seen cells as packed bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS
from rasterio import features

from equity.engine.plan import Tile, reach_cells
from equity.settings import Settings

if TYPE_CHECKING:
    from equity.io.dem import DemSource


@dataclass
class TileTask:
    """Everything one tile's work needs, small enough to send to a worker: the tile, its grid, the views
    within reach (``owned`` marks the tile's own cameras; ``row``, ``col`` their cells on the window), and the
    subsets of the layers that touch its window, each keeping the position it has in the whole layer."""

    tile: Tile
    transform: Affine
    crs: str
    settings: Settings
    views: gpd.GeoDataFrame
    units: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame | None
    dem: DemSource | None
    dem_fill: float | None
    polygons: bool = True
    homes: gpd.GeoDataFrame | None = None
    residential: gpd.GeoSeries | None = None
    public: gpd.GeoSeries | None = None
    streets: gpd.GeoSeries | None = None
    public_known: bool = True
    groups: bool = False
    part: int = 0


@dataclass
class TileResult:
    """What one tile gives back: its own views' figures, its cells' coverage per unit, its seen cells
    (packed bits, core only), and, with homes, its views' homes figures and the homes they see."""

    index: int
    views: pd.DataFrame
    polygons: pd.Series
    covered: pd.Series
    seen_bits: np.ndarray
    core_shape: tuple[int, int]
    missing_cells: int
    reached_cells: int = 0
    part: int = 0
    homes_views: pd.DataFrame | None = None
    homes_seen: pd.Series | None = None
    group_cells: pd.DataFrame | None = None


class _GroupCells:
    """The seen open cells of a tile's core per group of views (an operator) and unit, counted as the
    viewsheds come in, grouped: each view's window is OR-ed into one core-sized buffer, and when the group
    changes the buffer's touched rectangle is counted (cells seen by at least one view of the group, not
    building, by unit label; label 0 is outside every unit) and cleared."""

    def __init__(self, groups: np.ndarray, core: tuple[int, int, int, int], open_: np.ndarray, labels: np.ndarray):
        self.groups = groups
        self.r0, self.r1, self.c0, self.c1 = core
        self.open = open_
        self.labels = labels
        self.buffer = np.zeros(open_.shape, np.uint8)
        self.group = -1
        self.box = [0, 0, 0, 0]
        self.rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def __call__(self, i: int, r0: int, c0: int, window: np.ndarray, *_: object) -> None:
        g = int(self.groups[i])
        if g != self.group:
            self.flush()
            self.group = g
            self.box = [self.r1, self.r0, self.c1, self.c0]
        a, b = max(r0, self.r0), min(r0 + window.shape[0], self.r1)
        c, d = max(c0, self.c0), min(c0 + window.shape[1], self.c1)
        if a >= b or c >= d:
            return
        part = window[a - r0 : b - r0, c - c0 : d - c0]
        self.buffer[a - self.r0 : b - self.r0, c - self.c0 : d - self.c0] |= part
        box = self.box
        box[0], box[1], box[2], box[3] = min(box[0], a), max(box[1], b), min(box[2], c), max(box[3], d)

    def flush(self) -> None:
        """Count the current group's cells and clear the buffer."""
        if self.group < 0:
            return
        a, b, c, d = self.box
        if a < b and c < d:
            rect = (slice(a - self.r0, b - self.r0), slice(c - self.c0, d - self.c0))
            seen = (self.buffer[rect] > 0) & self.open[rect]
            n = np.bincount(self.labels[rect][seen])
            units = np.flatnonzero(n)
            self.rows.append((np.full(len(units), self.group, np.int64), units - 1, n[units].astype(np.int64)))
            self.buffer[rect] = 0
        self.group = -1

    def table(self) -> pd.DataFrame:
        """``group``, ``unit`` (position in the units, -1 outside them) and ``cells``."""
        self.flush()
        cols = [np.concatenate(x) if self.rows else np.zeros(0, np.int64) for x in zip(*self.rows, strict=True)]
        if not cols:
            cols = [np.zeros(0, np.int64)] * 3
        return pd.DataFrame({"group": cols[0], "unit": cols[1], "cells": cols[2]})


def run_tile(task: TileTask) -> TileResult:
    """The work of one tile (see the module's docstring). A pure function of its task: the same task gives
    the same result on any worker, so a task whose worker died can simply run again."""
    from equity.visibility import Surface, burn_buildings, viewsheds

    tile = task.tile
    shape = tile.window_shape
    transform = task.transform
    crs = CRS.from_user_input(task.crs)
    s = task.settings
    wr0, wr1, wc0, wc1 = tile.window
    kr0, kr1, kc0, kc1 = tile.core
    full_shape = (kr1 - kr0, kc1 - kc0)
    # the part of the core inside the window (the window holds the views' reach, which may be less than the
    # tile), as rows and columns of the window
    pr0, pr1, pc0, pc1 = max(kr0, wr0), min(kr1, wr1), max(kc0, wc0), min(kc1, wc1)
    cr0, cr1, cc0, cc1 = (pr0 - wr0, pr1 - wr0, pc0 - wc0, pc1 - wc0)
    whole_core = (pr0, pr1, pc0, pc1) == (kr0, kr1, kc0, kc1)
    if pr1 <= pr0 or pc1 <= pc0 or not len(task.views):
        return _nothing_seen(task, full_shape)
    # the cells within reach of a view: the only cells any sweep reads, and where the DEM is needed
    reach = _within_reach(task.views, shape, transform.a)
    missing = 0
    if task.dem is None:
        ground = np.zeros(shape, np.float32)
    else:
        ground = _dem_window(task.dem, crs, transform, shape, reach)
        nan = ~np.isfinite(ground)
        missing = int(np.count_nonzero(nan[cr0:cr1, cc0:cc1] & reach[cr0:cr1, cc0:cc1]))
        if nan.any():  # no sweep reads a cell beyond the views' reach: flat there; dem_fill where they reach
            fill = np.float32(task.dem_fill) if task.dem_fill is not None else np.float32(np.nan)
            ground = np.where(nan, np.where(reach, fill, np.float32(0)), ground).astype(np.float32)
    surface = Surface(ground, burn_buildings(task.buildings, transform, shape), transform, crs)
    views = task.views
    core_shape = (cr1 - cr0, cc1 - cc0)
    core_transform = transform @ Affine.translation(cc0, cr0)
    labels = np.zeros(core_shape, np.int32)
    if len(task.units):
        labels = features.rasterize(
            ((geom, int(pos) + 1) for pos, geom in zip(task.units["pos"], task.units.geometry, strict=True)),
            out_shape=core_shape,
            transform=core_transform,
            fill=0,
            dtype="int32",
        )
    open_core = surface.building[cr0:cr1, cc0:cc1] <= 0
    # all the views within reach in one sweep, grouped (by operator) when the groups' areas are asked for
    groups = views["group"].to_numpy(np.int64) if task.groups else np.zeros(len(views), np.int64)
    order = np.argsort(groups, kind="stable")
    owned = views["owned"].to_numpy(bool)
    cells = (views["row"].to_numpy(np.int64)[order], views["col"].to_numpy(np.int64)[order])
    by_group = _GroupCells(groups[order], (cr0, cr1, cc0, cc1), open_core, labels) if task.groups else None
    homes_sweep = None
    if task.homes is not None:
        from equity import homes as home_analysis

        homes = task.homes
        hs = home_analysis.HomeSettings.from_settings(s)
        yard_cells = home_analysis.home_strips(surface, homes, hs.yard_m)  # burned once, for land and yards
        land = home_analysis.land_classes(
            surface,
            homes,
            residential=task.residential,
            public=task.public,
            streets=task.streets,
            settings=hs,
            yard_cells=yard_cells,
        )
        yards = home_analysis.yard_labels(surface, homes, land, hs, yard_cells=yard_cells)
        del yard_cells
        rings = home_analysis.facade_rings(surface, homes, hs)
        homes_sweep = home_analysis.HomesSweep(views[owned], surface, homes, land, rings, s, hs, yards)
    # the own views' positions among the own views, by their place in the sweep (-1: a view of the margin)
    own_of = np.full(len(views), -1, np.int64)
    own_of[np.argsort(order, kind="stable")[np.flatnonzero(owned)]] = np.arange(int(owned.sum()))

    def on_window(
        i: int, r0: int, c0: int, window: np.ndarray, r: int, c: int, zo: float, facade: np.ndarray | None
    ) -> None:
        if by_group is not None:
            by_group(i, r0, c0, window)
        if homes_sweep is not None and own_of[i] >= 0:  # homes from the coverage sweep's windows, not new ones
            homes_sweep.view(int(own_of[i]), r0, c0, window, facade)

    swept = viewsheds(
        views.iloc[order],
        surface,
        s,
        polygons=owned[order] if task.polygons else False,
        cells=cells,
        on_window=on_window if by_group is not None or homes_sweep is not None else None,
        heights=homes_sweep.hs.window_heights_m if homes_sweep is not None else (),
        heights_for=owned[order],
    )
    mine_at = np.argsort(order, kind="stable")[np.flatnonzero(owned)]  # the own views' places in the sweep
    mine_observer = swept.observer.iloc[mine_at]
    seen = (swept.count[cr0:cr1, cc0:cc1] > 0) & open_core
    values = labels[seen]
    values = values[values > 0]
    found, n = np.unique(values, return_counts=True)
    covered = pd.Series(n.astype("int64"), index=found - 1)
    own_views = pd.DataFrame(
        {
            "visible_cells": swept.visible_cells.to_numpy()[mine_at],
            "observer_status": mine_observer["status"].to_numpy(),
        },
        index=views.index[owned],
    )
    polygons = swept.polygons.to_numpy()[mine_at] if swept.polygons is not None else None
    result = TileResult(
        index=tile.index,
        part=task.part,
        views=own_views,
        polygons=pd.Series(polygons, index=views.index[owned], dtype=object),
        covered=covered,
        seen_bits=np.packbits(seen if whole_core else _in_core(seen, full_shape, pr0 - kr0, pc0 - kc0), axis=None),
        core_shape=full_shape,
        missing_cells=missing,
        reached_cells=int(np.count_nonzero(reach[cr0:cr1, cc0:cc1])),
        group_cells=by_group.table() if by_group is not None else None,
    )
    if homes_sweep is not None:
        found_homes = homes_sweep.result(public_known=task.public_known)
        result.homes_views = found_homes.per_view
        seen_by = found_homes.per_home["seen_by"]
        result.homes_seen = seen_by[seen_by > 0]
    return result


def _in_core(seen: np.ndarray, shape: tuple[int, int], r0: int, c0: int) -> np.ndarray:
    """The seen cells of a part of a tile's core placed in the whole core (the rest is not seen)."""
    out = np.zeros(shape, bool)
    out[r0 : r0 + seen.shape[0], c0 : c0 + seen.shape[1]] = seen
    return out


def _within_reach(views: pd.DataFrame, shape: tuple[int, int], cell: float) -> np.ndarray:
    """Which cells of the window lie within reach of a view (:func:`equity.engine.plan.reach_cells`): the cells
    a sweep may read and where the DEM is needed; counted in the core, the same whatever the tiling."""
    out = np.zeros(shape, bool)
    k = reach_cells(views["range_m"].to_numpy(np.float64), cell)
    for r, c, kv in zip(views["row"].to_numpy(np.int64), views["col"].to_numpy(np.int64), k, strict=True):
        out[max(0, r - kv) : max(0, r + kv + 1), max(0, c - kv) : max(0, c + kv + 1)] = True
    return out


def _nothing_seen(task: TileTask, shape: tuple[int, int]) -> TileResult:
    """The result of a tile whose core no view reaches (so it has no camera of its own either)."""
    none = pd.Index([], dtype=task.views.index.dtype)
    return TileResult(
        index=task.tile.index,
        part=task.part,
        views=pd.DataFrame({"visible_cells": pd.Series([], dtype="int64"), "observer_status": []}, index=none),
        polygons=pd.Series([], index=none, dtype=object),
        covered=pd.Series([], dtype="int64"),
        seen_bits=np.packbits(np.zeros(shape, bool), axis=None),
        core_shape=shape,
        missing_cells=0,
        group_cells=pd.DataFrame({"group": [], "unit": [], "cells": []}, dtype="int64") if task.groups else None,
    )


def _dem_window(dem: DemSource, crs: CRS, transform: Affine, shape: tuple[int, int], need: np.ndarray) -> np.ndarray:
    """The DEM on a window's grid where ``need`` says, NaN where it has no data (the study decides what that
    means) and where it is not needed, from the blocks this process has read of it
    (:meth:`equity.io.dem.DemSource.ground`): a block is read once for all the tiles and analyses of a study
    that hold it."""
    return dem.ground(crs, transform, shape, need=need)
