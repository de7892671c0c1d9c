"""The viewshed work of a study, cut into tiles and run in the process, a process pool or on Dask.

:mod:`~equity.engine.plan` lays the grid and cuts it into tiles; :mod:`~equity.engine.tile_work` is the work
of one tile; :mod:`~equity.engine.tiles` makes the tiles' tasks and merges their results, exactly;
:mod:`~equity.engine.executor` is where the tasks run (:class:`Engine`).
"""

from equity.engine.executor import TILE_CELLS, Engine, default_workers
from equity.engine.plan import Grid, Tile, grid_over, plan_tiles
from equity.engine.tile_work import TileResult, TileTask, run_tile
from equity.engine.tiles import EXTRA_CELLS, VIEW_COLUMNS, SeenMosaic, TiledResult, run_tiles

__all__ = [
    "EXTRA_CELLS",
    "TILE_CELLS",
    "VIEW_COLUMNS",
    "Engine",
    "Grid",
    "SeenMosaic",
    "Tile",
    "TileResult",
    "TileTask",
    "TiledResult",
    "default_workers",
    "grid_over",
    "plan_tiles",
    "run_tile",
    "run_tiles",
]
