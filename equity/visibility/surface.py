"""The digital surface model: terrain heights plus building heights on one regular grid in a metric CRS.

The grid is north up with square cells of ``cell`` metres; cell ``(r, c)`` covers
``x0 + c*cell .. x0 + (c+1)*cell`` and ``y0 - (r+1)*cell .. y0 - r*cell`` (``x0, y0`` its upper-left corner).
Buildings are burned in with rasterio at their height above the ground: a cell belongs to a building when its
centre lies inside the footprint, and where footprints overlap the tallest building wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
from affine import Affine
from pyproj import CRS
from rasterio import features

from equity._errors import InputError
from equity.projection import require_metric

#: The largest grid built in one piece (cells); beyond it, use a coarser cell size.
MAX_CELLS = 400_000_000


@dataclass(frozen=True)
class Surface:
    """Terrain and buildings on one grid.

    Attributes
    ----------
    ground : numpy.ndarray
        Terrain height in metres (float32); 0 on flat ground; NaN where the DEM has no data.
    building : numpy.ndarray
        Height of the building above the ground in metres (float32), 0 outside buildings.
    transform : affine.Affine
        Grid to map coordinates (north up, square cells).
    crs : pyproj.CRS
        The metric CRS of the grid.
    """

    ground: np.ndarray
    building: np.ndarray
    transform: Affine
    crs: CRS
    dsm: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        dsm = (self.ground.astype(np.float64) + self.building.astype(np.float64)).copy(order="C")
        object.__setattr__(self, "dsm", dsm)

    @property
    def cell(self) -> float:
        """Cell size in metres."""
        return float(self.transform.a)

    @property
    def shape(self) -> tuple[int, int]:
        """Rows and columns."""
        return self.ground.shape  # type: ignore[return-value]

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cells holding map points ``(x, y)`` (may fall outside the grid)."""
        col = np.floor((np.asarray(x) - self.transform.c) / self.transform.a).astype(np.int64)
        row = np.floor((self.transform.f - np.asarray(y)) / -self.transform.e).astype(np.int64)
        return row, col


def grid_for(bounds: tuple[float, float, float, float], cell: float) -> tuple[Affine, tuple[int, int]]:
    """A north-up grid of square cells covering ``bounds`` (minx, miny, maxx, maxy), snapped to multiples of
    ``cell`` so that the same area always gives the same grid."""
    if not cell > 0:
        msg = f"The cell size must be positive, not {cell!r}."
        raise InputError(msg)
    minx, miny, maxx, maxy = bounds
    x0 = math.floor(minx / cell) * cell
    y1 = math.ceil(maxy / cell) * cell
    cols = max(1, math.ceil((maxx - x0) / cell))
    rows = max(1, math.ceil((y1 - miny) / cell))
    if rows * cols > MAX_CELLS:
        msg = (
            f"The study area needs a grid of {rows:,} x {cols:,} cells at {cell:g} m, more than {MAX_CELLS:,}; "
            "use a larger cell size (--cell-size)."
        )
        raise InputError(msg)
    return Affine(cell, 0.0, x0, 0.0, -cell, y1), (rows, cols)


def burn_buildings(buildings: gpd.GeoDataFrame, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """Building heights (``height_m``) on the grid; cells outside buildings are 0; the tallest wins."""
    out = np.zeros(shape, np.float32)
    if buildings is None or buildings.empty:
        return out
    require_metric(buildings, "building layer")
    ordered = buildings.sort_values("height_m", kind="stable")
    shapes = ((geom, float(h)) for geom, h in zip(ordered.geometry, ordered["height_m"], strict=True) if geom)
    features.rasterize(shapes, out=out, transform=transform, merge_alg=features.MergeAlg.replace)
    return out


def build_surface(
    bounds: tuple[float, float, float, float],
    cell: float,
    crs: CRS,
    *,
    ground: np.ndarray | None = None,
    ground_transform: Affine | None = None,
    buildings: gpd.GeoDataFrame | None = None,
) -> Surface:
    """The surface model of an area: ``ground`` (already on the grid of ``grid_for(bounds, cell)``, as given by
    :func:`equity.io.dem.dem_on_grid`) or flat ground at 0, plus the buildings burned in."""
    transform, shape = grid_for(bounds, cell)
    if ground is None:
        terrain = np.zeros(shape, np.float32)
    else:
        if ground.shape != shape or (ground_transform is not None and ground_transform != transform):
            msg = f"The terrain grid {ground.shape} does not match the analysis grid {shape}."
            raise InputError(msg)
        terrain = ground.astype(np.float32, copy=False)
    return Surface(terrain, burn_buildings(buildings, transform, shape), transform, CRS.from_user_input(crs))
