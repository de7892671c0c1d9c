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
import numba
import numpy as np
import shapely
from affine import Affine
from pyproj import CRS

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
        # one float64 array, added in float64 (no float64 copies of the two layers on the way)
        dsm = np.add(self.ground, self.building, dtype=np.float64, order="C")
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
        return cells_of(self.transform, x, y)


def cells_of(transform: Affine, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of the cells of a north-up grid holding map points ``(x, y)``:
    ``c = floor((x - x0) / a)``, ``r = floor((y0 - y) / -e)`` (may fall outside the grid)."""
    col = np.floor((np.asarray(x) - transform.c) / transform.a).astype(np.int64)
    row = np.floor((transform.f - np.asarray(y)) / -transform.e).astype(np.int64)
    return row, col


def snap_grid(bounds: tuple[float, float, float, float], cell: float) -> tuple[Affine, tuple[int, int]]:
    """The north-up grid of square cells covering ``bounds`` (minx, miny, maxx, maxy), its corner snapped to
    multiples of ``cell`` so that the same area always gives the same grid, of any size."""
    if not cell > 0:
        msg = f"The cell size must be positive, not {cell!r}."
        raise InputError(msg)
    minx, miny, maxx, maxy = bounds
    x0 = math.floor(minx / cell) * cell
    y1 = math.ceil(maxy / cell) * cell
    cols = max(1, math.ceil((maxx - x0) / cell))
    rows = max(1, math.ceil((y1 - miny) / cell))
    return Affine(cell, 0.0, x0, 0.0, -cell, y1), (rows, cols)


def grid_for(bounds: tuple[float, float, float, float], cell: float) -> tuple[Affine, tuple[int, int]]:
    """A north-up grid of square cells covering ``bounds`` (minx, miny, maxx, maxy), snapped to multiples of
    ``cell`` so that the same area always gives the same grid."""
    transform, (rows, cols) = snap_grid(bounds, cell)
    if rows * cols > MAX_CELLS:
        msg = (
            f"The study area needs a grid of {rows:,} x {cols:,} cells at {cell:g} m, more than {MAX_CELLS:,}; "
            "use a larger cell size (--cell-size)."
        )
        raise InputError(msg)
    return transform, (rows, cols)


def burn_polygons(geoms: object, values: object, out: np.ndarray, transform: Affine) -> np.ndarray:
    """Burn polygons into ``out`` in the order given (a later polygon overwrites an earlier one), as
    :func:`rasterio.features.rasterize` does with its defaults: a cell takes a polygon's value when its centre
    lies inside the polygon (even-odd rule over all the rings of the geometry, so holes stay out).

    Compiled (:func:`_fill`) from one ragged array of all the coordinates: rasterio builds every geometry
    from GeoJSON-like Python lists (through shapely's ``__geo_interface__``), which costs more than the
    rasterising itself. Missing and empty geometries are skipped. ``transform`` must be north up.

    The scan line of row ``r`` runs through the cells' centres, ``y = r + ½`` in grid units; an edge
    from ``(x₁, y₁)`` to ``(x₂, y₂)`` with ``y₁ ≤ y < y₂`` (ordered by ``y``, horizontal edges skipped) crosses
    it at ``x = x₁ + (y - y₁)(x₂ - x₁) / (y₂ - y₁)``; between the 1st and 2nd crossing, the 3rd and 4th, ...,
    the cells ``c`` with centres ``x₁ ≤ c + ½ < x₂`` are burned (GDAL's rule).
    """
    geoms = np.asarray(geoms, dtype=object)
    values = np.asarray(values)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    geoms, values = geoms[keep], values[keep]
    if not len(geoms):
        return out
    parts, index = shapely.get_parts(geoms, return_index=True)
    multi = shapely.multipolygons(parts, indices=index)
    _, coords, (ring_at, polygon_at, multi_at) = shapely.to_ragged_array(multi)
    col = (coords[:, 0] - transform.c) / transform.a
    row = (coords[:, 1] - transform.f) / transform.e
    rings_of = polygon_at[multi_at]  # first ring of each geometry (its polygons' rings are consecutive)
    _fill(out, col, row, ring_at, rings_of, values.astype(out.dtype))
    return out


@numba.njit(cache=True, nogil=True)
def _fill(
    out: np.ndarray, x: np.ndarray, y: np.ndarray, ring_at: np.ndarray, rings_of: np.ndarray, values: np.ndarray
) -> None:  # pragma: no cover - compiled
    nrows, ncols = out.shape
    crossings = np.empty(64, np.float64)
    for g in range(len(rings_of) - 1):
        first, last = ring_at[rings_of[g]], ring_at[rings_of[g + 1]]
        if last <= first:
            continue
        lo, hi = y[first:last].min(), y[first:last].max()
        r0 = max(0, math.floor(lo - 0.5))
        r1 = min(nrows - 1, math.ceil(hi - 0.5))
        for r in range(r0, r1 + 1):
            cy = r + 0.5
            n = 0
            for k in range(rings_of[g], rings_of[g + 1]):
                for e in range(ring_at[k], ring_at[k + 1] - 1):
                    ya, yb = y[e], y[e + 1]
                    xa, xb = x[e], x[e + 1]
                    if ya == yb:
                        continue
                    if ya > yb:
                        ya, yb, xa, xb = yb, ya, xb, xa
                    if ya <= cy < yb:
                        if n == len(crossings):
                            grown = np.empty(2 * n, np.float64)
                            grown[:n] = crossings
                            crossings = grown
                        crossings[n] = xa + (cy - ya) * (xb - xa) / (yb - ya)
                        n += 1
            if n < 2:
                continue
            for i in range(1, n):  # insertion sort: a scan line crosses a few edges
                v = crossings[i]
                j = i - 1
                while j >= 0 and crossings[j] > v:
                    crossings[j + 1] = crossings[j]
                    j -= 1
                crossings[j + 1] = v
            for i in range(0, n - 1, 2):
                c0 = max(0, math.ceil(crossings[i] - 0.5))
                c1 = min(ncols - 1, math.ceil(crossings[i + 1] - 0.5) - 1)
                for c in range(c0, c1 + 1):
                    out[r, c] = values[g]


def burn_buildings(buildings: gpd.GeoDataFrame, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """Building heights (``height_m``) on the grid; cells outside buildings are 0; the tallest wins."""
    out = np.zeros(shape, np.float32)
    if buildings is None or buildings.empty:
        return out
    require_metric(buildings, "building layer")
    ordered = buildings.sort_values("height_m", kind="stable")
    burn_polygons(ordered.geometry.to_numpy(), ordered["height_m"].to_numpy(float), out, transform)
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
