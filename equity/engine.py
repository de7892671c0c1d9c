"""Where per-tile work runs: in the process, in a local process pool, or on a Dask cluster.

The study area's grid is cut into square tiles of :attr:`Engine.tile_cells` cells a side. A camera belongs to
the one tile that holds its cell. A tile's work is independent of every other tile's: it builds the surface
model of its window (the tile widened by a margin of the longest range, plus the 2 cells by which a camera
may be moved off a wall, plus a safety cell), runs the viewshed kernel for the cameras within reach of the
tile (all of them in one sweep), and counts, for the cells of the tile itself (not its margin), which are
seen, how many of them fall in each unit, and, per operator, how many are seen by that operator's views (the
views sorted by operator, each operator's windows OR-ed into one buffer of the tile's size in turn). Its own
cameras' figures (visible cells, observer status, viewshed polygon, homes in view, the last from the same
sweep's windows) come from its own tile only.

Why the merge is exact: every cell of the grid is counted by exactly one tile, the tile that holds it; a
camera that sees a cell lies within its range of it, so within the margin of that cell's tile; the kernel's
sweep reads only cells between the camera and the cell it decides (see :mod:`equity.visibility.viewshed`),
all inside the tile's window; and the tiles' windows are aligned to the cells of the one grid, so that the
buildings, units and terrain under a cell are the same in every window that holds it. The coverage of a unit
is therefore the same sum of whole cells, ``covered(u) = cell² · Σ_tiles #{c ∈ tile : seen(c), open(c),
unit(c) = u}``, as on the single grid, and not an approximation of it; so is an operator's area in view
(:func:`run_tiles`).

Executors: :class:`Engine` with neither ``workers`` nor ``scheduler`` runs the tiles one after the other in
the process; ``workers=N`` in a :class:`concurrent.futures.ProcessPoolExecutor`; ``scheduler="local"`` on a
``dask.distributed.LocalCluster`` and ``scheduler="tcp://host:port"`` on an existing Dask cluster, through
the Dask client's futures (``Client.submit`` and ``as_completed``). Dask retries a tile whose worker dies. The
results of the tiles are merged in the order of the tiles, so they are the same whatever ran them and
whatever order they finished in.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS
from rasterio import features

from equity._errors import InputError, InputFormatError
from equity.settings import Settings
from equity.visibility.surface import cells_of, snap_grid

log = logging.getLogger(__name__)

#: Default side of a tile in cells (3,072 m at 1 m cells): big enough that the margin adds little work (a 155
#: cell margin widens a tile's window by a fifth of its area), small enough that a worker's tile with homes
#: stays near 0.75 GB (4,096 took 1.15 GB a worker, 3.8 GB in all with 2 workers, in about the same time on
#: 100,000 cameras: ``benchmarks/results/engine_scaling.json``).
TILE_CELLS = 3072

#: Cells added around a tile's reach: a camera inside a footprint is moved up to 2 cells off it, plus one.
EXTRA_CELLS = 3


@dataclass
class Engine:
    """Where the tiles of a study run.

    Parameters
    ----------
    workers
        Size of a local process pool (``concurrent.futures.ProcessPoolExecutor``); with ``scheduler="local"``,
        the number of worker processes of the ``LocalCluster`` (default 2).
    scheduler
        ``"local"`` for a Dask ``LocalCluster`` on this machine, or the address of a Dask scheduler
        (``"tcp://host:8786"``). Needs the ``dask`` extra (``pip install equity[dask]``).
    tile_cells
        Side of a tile in grid cells. Changes how the work is cut, never the results.
    in_flight
        Tiles submitted ahead of the results merged, per worker: bounds the memory held by pending tiles.
    """

    workers: int | None = None
    scheduler: str | None = None
    tile_cells: int = TILE_CELLS
    in_flight: int = 2
    _pool: Any = field(default=None, init=False, repr=False)
    _client: Any = field(default=None, init=False, repr=False)
    _cluster: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        problems = []
        if self.workers is not None and self.workers < 1:
            problems.append(f"workers must be at least 1, not {self.workers!r}")
        if self.tile_cells < 16:
            problems.append(f"tile_cells must be at least 16, not {self.tile_cells!r}")
        if self.scheduler is not None and self.scheduler != "local" and "://" not in self.scheduler:
            problems.append(f"scheduler must be 'local' or an address like tcp://host:8786, not {self.scheduler!r}")
        if problems:
            raise InputError("; ".join(problems) + ".")

    @property
    def kind(self) -> str:
        """``in-process``, ``process-pool`` or ``dask``."""
        if self.scheduler is not None:
            return "dask"
        return "process-pool" if self.workers and self.workers > 1 else "in-process"

    def describe(self) -> dict[str, Any]:
        """The engine as recorded in the manifest (it never changes the results)."""
        out: dict[str, Any] = {"kind": self.kind, "tile_cells": self.tile_cells}
        if self.workers:
            out["workers"] = self.workers
        if self.scheduler:
            out["scheduler"] = self.scheduler
        return out

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        """Run ``fn`` on every task; yield ``(position, result)`` pairs as they finish.

        Tasks are made lazily from ``tasks`` and at most ``in_flight`` per worker are pending at once.
        """
        if self.kind == "in-process":
            for i, task in enumerate(tasks):
                yield i, fn(task)
        elif self.kind == "process-pool":
            yield from self._map_pool(fn, tasks)
        else:
            yield from self._map_dask(fn, tasks)

    def warm(self) -> None:
        """Start a process pool's workers now, each loading the modules a tile needs, so that they are ready
        when the client has read the inputs (a spawned worker takes a few seconds to import equity and its
        libraries). Does nothing for the other executors."""
        if self.kind == "process-pool":
            pool = self._start_pool()
            for _ in range(self.workers or 1):
                pool.submit(_warm_up)

    def _start_pool(self) -> Any:
        import concurrent.futures as cf
        import multiprocessing

        if self._pool is None:
            # spawn, not fork: the parent may hold threads (numba, GDAL) that a forked child would inherit locked
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    def _map_pool(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        import concurrent.futures as cf

        self._start_pool()
        limit = max(1, (self.workers or 1) * self.in_flight)
        pending: dict[cf.Future, int] = {}
        source = enumerate(tasks)
        exhausted = False
        while True:
            while not exhausted and len(pending) < limit:
                item = next(source, None)
                if item is None:
                    exhausted = True
                    break
                pending[self._pool.submit(fn, item[1])] = item[0]
            if not pending:
                return
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                yield pending.pop(fut), fut.result()

    def client(self) -> Any:
        """The Dask client of this engine (started on first use)."""
        if self._client is None:
            try:
                from distributed import Client, LocalCluster
            except ImportError as err:
                msg = "Running on a Dask cluster needs the dask extra: pip install 'equity[dask]'."
                raise InputError(msg) from err
            if self.scheduler == "local":
                self._cluster = LocalCluster(
                    n_workers=self.workers or 2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                self._client = Client(self._cluster)
            else:
                try:
                    self._client = Client(self.scheduler, timeout="20s")
                except OSError as err:
                    msg = f"Could not reach the Dask scheduler at {self.scheduler} ({err})."
                    raise InputError(msg) from err
        return self._client

    def _map_dask(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        client = self.client()
        n_workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})) or (self.workers or 1))
        limit = max(1, n_workers * self.in_flight)
        position: dict[str, int] = {}
        source = enumerate(tasks)
        first = []
        for _ in range(limit):
            item = next(source, None)
            if item is None:
                break
            fut = client.submit(fn, item[1], pure=False)
            position[fut.key] = item[0]
            first.append(fut)
        if not first:
            return
        queue = as_completed(first)
        for fut in queue:
            result = fut.result()
            i = position.pop(fut.key)
            fut.release()
            item = next(source, None)
            if item is not None:
                new = client.submit(fn, item[1], pure=False)
                position[new.key] = item[0]
                queue.add(new)
            yield i, result

    def close(self) -> None:
        """Shut down the pool or the Dask client (and the LocalCluster it started)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:  # a study (and its engine) may be copied; pools are not
        state = dict(self.__dict__)
        state.update(_pool=None, _client=None, _cluster=None)
        return state


def _warm_up() -> None:
    """Import what a tile's work needs (run in a new worker)."""
    import equity.homes
    import equity.io.dem
    import equity.visibility  # noqa: F401


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
    dem: str | None
    dem_fill: float | None
    polygons: bool = True
    homes: gpd.GeoDataFrame | None = None
    residential: gpd.GeoSeries | None = None
    public: gpd.GeoSeries | None = None
    streets: gpd.GeoSeries | None = None
    public_known: bool = True
    groups: bool = False


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
    wr0, _, wc0, _ = tile.window
    cr0, cr1, cc0, cc1 = (tile.core[0] - wr0, tile.core[1] - wr0, tile.core[2] - wc0, tile.core[3] - wc0)
    if task.dem is None:
        ground = np.zeros(shape, np.float32)
        missing = 0
    else:
        ground = _dem_window(task.dem, crs, transform, shape)
        nan = ~np.isfinite(ground)
        missing = int(nan[cr0:cr1, cc0:cc1].sum())
        if missing and task.dem_fill is not None:
            ground = np.where(nan, np.float32(task.dem_fill), ground).astype(np.float32)
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
        hs = home_analysis.HomeSettings()
        yard_cells = home_analysis.home_strips(surface, homes, hs.yard_m)  # burned once, for land and yards
        land = home_analysis.land_classes(
            surface,
            homes,
            residential=task.residential,
            public=task.public,
            streets=task.streets,
            yard_cells=yard_cells,
        )
        yards = home_analysis.yard_labels(surface, homes, land, hs, yard_cells=yard_cells)
        del yard_cells
        rings = home_analysis.facade_rings(surface, homes)
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
        views=own_views,
        polygons=pd.Series(polygons, index=views.index[owned], dtype=object),
        covered=covered,
        seen_bits=np.packbits(seen, axis=None),
        core_shape=core_shape,
        missing_cells=missing,
        group_cells=by_group.table() if by_group is not None else None,
    )
    if homes_sweep is not None:
        found_homes = homes_sweep.result(public_known=task.public_known)
        result.homes_views = found_homes.per_view
        seen_by = found_homes.per_home["seen_by"]
        result.homes_seen = seen_by[seen_by > 0]
    return result


def _dem_window(path: str, crs: CRS, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """The DEM on a window's grid; all NaN where it has no data there (the study checked the file before)."""
    from equity.io.dem import dem_on_grid

    try:
        ground, _ = dem_on_grid(path, crs, transform, shape)
    except InputFormatError:  # no elevation anywhere in this window: the study decides what that means
        return np.full(shape, np.nan, np.float32)
    return ground


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


def default_workers() -> int:
    """The machine's cores (what ``--workers`` defaults to when asked for a pool without a number)."""
    return max(1, os.cpu_count() or 1)


@dataclass
class TiledResult:
    """The tiles' results merged: per view (aligned to the views), per unit (aligned to the units), the seen
    cells, and the homes figures when the tiles computed them."""

    visible_cells: pd.Series
    status: pd.Series
    polygons: gpd.GeoSeries
    covered_cells: pd.Series
    mosaic: SeenMosaic
    missing_cells: int
    tiles: int
    tile_cells: int
    homes_views: pd.DataFrame | None = None
    homes_seen: pd.Series | None = None
    group_cells: pd.DataFrame | None = None


#: Columns of a view that a tile's work reads.
VIEW_COLUMNS = ("in_coverage", "fov_deg", "range_m", "direction_deg", "tilt_deg", "height_m", "mount")


def run_tiles(
    *,
    engine: Engine,
    grid: Grid,
    views: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None,
    dem: str | None,
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
    layers = _Layers(units, buildings, homes)
    crs = CRS.from_user_input(views.crs).to_wkt()
    from equity.homes import HomeSettings

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
            part = view_data.iloc[sel].copy()
            part["owned"] = owner[sel] == tile.index
            part["row"] = rows[sel] - tile.window[0]
            part["col"] = cols[sel] - tile.window[2]
            transform = tile.window_transform(grid)
            task = TileTask(
                tile=tile,
                transform=transform,
                crs=crs,
                settings=settings,
                views=part,
                units=layers.units_in(_box(grid, tile.core)),
                buildings=layers.buildings_in(_box(grid, tile.window)),
                dem=dem,
                dem_fill=dem_fill,
                polygons=polygons,
                groups=groups is not None,
            )
            if homes is not None:
                # a street counts as public space out to its half width: take the streets that near the window
                window = _box(grid, tile.window).buffer(HomeSettings().street_half_width_m + cell, join_style="mitre")
                task.homes = layers.homes_in(window)
                task.residential = _subset(homes.residential, window)
                task.public = _subset(homes.public, window)
                task.streets = _subset(homes.streets, window)
                task.public_known = homes.public_known
            yield task

    results: dict[int, TileResult] = {}
    for _, result in engine.map(run_tile, tasks()):
        results[result.index] = result
    visible = pd.Series(0, index=views.index, dtype="int64")
    polys = pd.Series(None, index=views.index, dtype=object)
    covered = pd.Series(0, index=np.arange(len(units)), dtype="int64")
    mosaic_tiles = {}
    missing = 0
    group_parts = []
    homes_views = _empty_home_views(views.index) if homes is not None else None
    homes_seen = pd.Series(0, index=homes.homes.index, dtype="int64") if homes is not None else None
    for tile in tiles:  # in the tiles' order, whatever order they finished in
        result = results[tile.index]
        visible.loc[result.views.index] = result.views["visible_cells"].to_numpy()
        status.loc[result.views.index] = result.views["observer_status"].to_numpy()
        polys.loc[result.polygons.index] = result.polygons.to_numpy()
        covered = covered.add(result.covered, fill_value=0).astype("int64")
        mosaic_tiles[tile.index] = (tile, result.seen_bits, result.core_shape)
        missing += result.missing_cells
        if result.group_cells is not None:
            group_parts.append(result.group_cells)
        if homes_views is not None and result.homes_views is not None:
            for col in homes_views.columns:
                homes_views.loc[result.homes_views.index, col] = result.homes_views[col].to_numpy()
            homes_seen = homes_seen.add(result.homes_seen, fill_value=0).astype("int64")
    return TiledResult(
        visible_cells=visible,
        status=status,
        polygons=gpd.GeoSeries(polys, index=views.index, crs=views.crs),
        covered_cells=pd.Series(covered.reindex(np.arange(len(units)), fill_value=0).to_numpy(), index=units.index),
        mosaic=SeenMosaic(grid, engine.tile_cells, mosaic_tiles),
        missing_cells=missing,
        tiles=len(tiles),
        tile_cells=engine.tile_cells,
        homes_views=homes_views,
        homes_seen=homes_seen,
        group_cells=_sum_group_cells(group_parts) if groups is not None else None,
    )


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

    def __init__(self, units: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None, homes: Any) -> None:
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
            from equity.homes import HomeSettings

            # a home matters to a window when its yard or façade strip reaches it: within ``reach`` of it (a
            # distance query on the footprints, rather than a tree of buffered copies of every home)
            self.home_reach = max(HomeSettings().yard_m, HomeSettings().ring_m)
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
