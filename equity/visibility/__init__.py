"""What each camera really sees: its sector clipped by buildings and terrain on a surface model.

``surface`` builds the digital surface model (DEM plus buildings), ``viewshed`` holds the compiled kernel, and
this module runs the kernel for every camera view of a study and turns the results into a count raster
(how many views see each cell) and, for the map, one simplified polygon per view.

Buildings without a DEM: the same kernel runs on a flat surface with the buildings burned in, rather than a
separate 2D occlusion by footprints. One code path means one set of checks (against GDAL, and the known
answers); it also gets right what 2D shadows get wrong: a camera on a pole sees over a low garage to the
street behind it, and sees the upper floors of a tall building behind a low one. Its cost grows with the
sector's area, as the 2D shadows' would with the number of footprints in range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from equity._progress import progress
from equity.projection import grid_north_offset, require_metric
from equity.settings import Settings
from equity.visibility.outline import Outlines
from equity.visibility.surface import Surface, build_surface, burn_buildings, grid_for
from equity.visibility.viewshed import sector_box, viewshed_window, viewshed_window_heights

__all__ = [
    "Surface",
    "ViewshedResult",
    "build_surface",
    "burn_buildings",
    "grid_for",
    "vertical_fov",
    "viewsheds",
]

#: Aspect ratio (height / width) of the image of a typical camera, used for its vertical field of view.
IMAGE_ASPECT = 9 / 16


def vertical_fov(fov_deg: float, lens_cap_deg: float = 90.0) -> float:
    """Vertical field of view in degrees of a lens of horizontal field of view ``min(fov, cap)`` on a 16:9
    image: ``v = 2 atan(tan(h / 2) * 9 / 16)``.

    Examples
    --------
    >>> round(vertical_fov(60.0), 1)
    36.0
    """
    h = math.radians(min(fov_deg, lens_cap_deg))
    return math.degrees(2 * math.atan(math.tan(h / 2) * IMAGE_ASPECT))


@dataclass
class ViewshedResult:
    """The viewsheds of a study's camera views on one surface.

    Attributes
    ----------
    count : numpy.ndarray
        Number of views that see each cell (uint16).
    visible_cells : pandas.Series
        Cells seen by each view, aligned to the views (0 for views that do not count).
    observer : pandas.DataFrame
        Per view: ``row``, ``col`` of the observer's cell, ``ground_m`` and ``observer_m`` heights, and
        ``status``: ``ok``, ``moved off a building`` (a wall camera whose point fell inside its building's
        footprint, moved to the nearest open cell), ``inside a building`` (more than 2 cells inside a
        footprint, not computed), ``outside surface``, ``no ground height`` or
        ``not in coverage``.
    polygons : geopandas.GeoSeries or None
        One simplified polygon per view (None for views without one), when asked for.
    """

    count: np.ndarray
    visible_cells: pd.Series
    observer: pd.DataFrame
    polygons: gpd.GeoSeries | None


def _observer_cell(surface: Surface, row: int, col: int, bearing: float, mount: str) -> tuple[int, int, str]:
    """The cell a camera looks from. A camera whose point lies in a building footprint is on that building's
    wall (or roof when ``camera:mount=roof``): it is moved to the nearest open cell within 2 cells, preferring
    the cells in the direction it looks."""
    if surface.building[row, col] <= 0 or mount == "roof":
        return row, col, "ok"
    best = None
    bx, by = math.sin(math.radians(bearing)), math.cos(math.radians(bearing))
    nrows, ncols = surface.shape
    for dr in range(-2, 3):
        for dc in range(-2, 3):
            r, c = row + dr, col + dc
            if 0 <= r < nrows and 0 <= c < ncols and surface.building[r, c] <= 0 and np.isfinite(surface.ground[r, c]):
                key = (dr * dr + dc * dc, -(dc * bx - dr * by))
                if best is None or key < best[0]:
                    best = (key, r, c)
    if best is None:
        return row, col, "inside a building"
    return best[1], best[2], "moved off a building"


def viewsheds(
    views: gpd.GeoDataFrame,
    surface: Surface,
    settings: Settings | None = None,
    *,
    polygons: bool | np.ndarray = False,
    cells: tuple[np.ndarray, np.ndarray] | None = None,
    on_window: Callable[[int, int, int, np.ndarray, int, int, float, np.ndarray | None], None] | None = None,
    heights: tuple[float, ...] = (),
    heights_for: bool | np.ndarray = False,
) -> ViewshedResult:
    """Run the viewshed kernel for every view that counts toward coverage.

    Each view looks from its camera's cell at ``ground + height_m`` (a camera on a wall is not on the roof),
    over its sector (direction turned to grid north), out to ``range_m``, and, where ``tilt_deg`` is known,
    within its vertical field of view (:func:`vertical_fov`); the target is ``settings.target_height_m``
    above the surface. ``cells`` gives the row and column of each camera's cell on ``surface`` when the caller
    knows them already (a tile of a larger grid, :mod:`equity.engine`); by default they are computed from the
    camera points. ``polygons`` asks for every view's polygon (True) or for those of the views marked in a
    boolean array aligned to the views. ``on_window(i, r0, c0, window, row, col, observer_m, seen_at_heights)``,
    when given, is called with each computed view's position ``i``, the surface row and column of its window's
    upper-left cell, the window (uint8, 1 where seen; copy what is kept), the observer's cell and height, and,
    for the views marked in ``heights_for`` (True for all, or a boolean array aligned to the views), a window
    of the cells seen at one of the target ``heights`` at least, decided in the same sweep
    (:func:`equity.visibility.viewshed.viewshed_window_heights`; None for the other views), in the views'
    order.
    """
    s = settings or Settings()
    require_metric(views, "camera layer")
    nrows, ncols = surface.shape
    count = np.zeros(surface.shape, np.uint16)
    visible = np.zeros(len(views), np.int64)
    offsets = grid_north_offset(views.geometry) if len(views) else np.zeros(0)
    if cells is None:
        rows, cols = surface.cell_of(views.geometry.x.to_numpy(), views.geometry.y.to_numpy())
    else:
        rows, cols = (np.asarray(a, np.int64) for a in cells)
    obs_row, obs_col = rows.copy(), cols.copy()
    ground_m = np.full(len(views), np.nan)
    observer_m = np.full(len(views), np.nan)
    status_of = np.full(len(views), "not in coverage", dtype=object)
    outlines = Outlines(surface.transform)
    want = np.broadcast_to(np.asarray(polygons, bool), (len(views),))
    at_heights = np.broadcast_to(np.asarray(heights_for, bool), (len(views),)) & bool(len(heights))
    height_values = np.asarray(heights, np.float64)
    asked = bool(want.any()) if isinstance(polygons, np.ndarray) else bool(polygons)
    cell = surface.cell
    records = zip(
        views["in_coverage"],
        views["fov_deg"],
        views["range_m"],
        views["direction_deg"],
        views["tilt_deg"],
        views["height_m"],
        views["mount"],
        strict=True,
    )
    for i, (use, fov, rng, direction, tilt, height, mount) in enumerate(
        progress(records, total=len(views), desc="viewsheds of cameras")
    ):
        if not use or pd.isna(fov) or pd.isna(rng):
            continue
        mount = mount.lower() if isinstance(mount, str) else ""
        r, c = int(rows[i]), int(cols[i])
        if not (0 <= r < nrows and 0 <= c < ncols):
            status_of[i] = "outside surface"
            continue
        bearing = (0.0 if pd.isna(direction) else float(direction)) + float(offsets[i])
        r, c, status = _observer_cell(surface, r, c, bearing, mount)
        if status == "inside a building":  # more than 2 cells inside a footprint: where it looks from is unknown
            status_of[i] = status
            continue
        ground = float(surface.ground[r, c])
        if not math.isfinite(ground):
            status_of[i] = "no ground height"
            continue
        zo = ground + float(height)
        if mount == "roof":
            zo += float(surface.building[r, c])
        r0, r1, c0, c1 = sector_box(r, c, float(rng), cell, bearing, float(fov), nrows, ncols)
        window = np.zeros((r1 - r0 + 1, c1 - c0 + 1), np.uint8)
        args = (
            surface.dsm,
            r,
            c,
            zo,
            s.target_height_m,
            cell,
            float(rng),
            bearing,
            float(fov),
            np.nan if pd.isna(tilt) else float(tilt),
            vertical_fov(float(fov), s.lens_fov_cap_deg),
            s.curvature_coeff,
            window,
            r0,
            c0,
        )
        seen_at_heights = None
        if at_heights[i]:
            seen_at_heights = np.zeros_like(window)
            visible[i] = viewshed_window_heights(*args, height_values, seen_at_heights)
        else:
            visible[i] = viewshed_window(*args)
        count[r0 : r1 + 1, c0 : c1 + 1] += window
        ground_m[i], observer_m[i], status_of[i] = ground, zo, status
        obs_row[i], obs_col[i] = r, c
        if on_window is not None:
            on_window(i, r0, c0, window, r, c, zo, seen_at_heights)
        if want[i] and visible[i]:
            outlines.add(i, window, r0, c0)
    polys = _simplified(outlines.geometries(len(views)), cell) if asked else None
    obs = pd.DataFrame(
        {"row": obs_row, "col": obs_col, "ground_m": ground_m, "observer_m": observer_m, "status": status_of},
        index=views.index,
    )
    return ViewshedResult(
        count=count,
        visible_cells=pd.Series(visible, index=views.index),
        observer=obs,
        polygons=gpd.GeoSeries(polys, index=views.index, crs=surface.crs) if polys is not None else None,
    )


def _simplified(geoms: np.ndarray, cell: float) -> np.ndarray:
    """The views' outlines (:class:`equity.visibility.outline.Outlines`, a part per 4-connected group of
    cells) simplified to half a cell: Douglas-Peucker, or, where that gives an invalid or empty geometry, the
    topology-preserving simplification of the outline made valid. The outlines are checked for validity only
    then: the simplified ones are checked anyway. None stays None."""
    out = geoms.copy()
    has = np.flatnonzero(~shapely.is_missing(geoms))
    if not len(has):
        return out
    simple = shapely.simplify(geoms[has], cell / 2, preserve_topology=False)  # Douglas-Peucker: half the cost
    bad = np.flatnonzero(~(shapely.is_valid(simple) & ~shapely.is_empty(simple)))
    for k in bad:
        geom = geoms[has[k]]
        if not shapely.is_valid(geom):
            geom = shapely.make_valid(geom)
        simple[k] = shapely.simplify(geom, cell / 2, preserve_topology=True)
    out[has] = simple
    return out
