"""Terrain context per unit: mean elevation and mean slope from a DEM, and a hillside class, so that hillside
units can be compared with flat ones."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from rasterio import features

from equity.projection import require_metric

#: A unit is "hillside" when its mean slope is at least this many percent (10 %, about 5.7 degrees: steeper
#: than the 8.33 % a wheelchair ramp may have, and where streets start to need switchbacks).
HILLSIDE_SLOPE_PCT = 10.0

#: Rows of the terrain grid read and worked on at once (see :func:`terrain_by_unit_in_strips`).
STRIP_ROWS = 1024


def slope_percent(ground: np.ndarray, cell: float) -> np.ndarray:
    r"""Slope in percent of every cell by central differences: :math:`100 \sqrt{(dz/dx)^2 + (dz/dy)^2}`.

    NaN where the elevation or a neighbour is unknown.
    """
    dz_dy, dz_dx = np.gradient(ground.astype(np.float64), cell)
    return 100.0 * np.hypot(dz_dx, dz_dy)


def terrain_by_unit(
    ground: np.ndarray, transform: Affine, units: gpd.GeoDataFrame, *, hillside_pct: float = HILLSIDE_SLOPE_PCT
) -> pd.DataFrame:
    """Mean elevation (m), mean slope (%) and terrain class of each unit, from a DEM on a metric grid.

    Zonal means over the cells whose centre lies in the unit (cells without elevation are left out); a unit
    with no cell of known elevation gets NaN and the class ``unknown``, else ``hillside`` when its mean slope
    is at least ``hillside_pct`` and ``flat`` otherwise. See :func:`terrain_by_unit_in_strips`, which this
    calls on the whole array.
    """

    def rows(r0: int, r1: int) -> np.ndarray:
        return ground[r0:r1]

    return terrain_by_unit_in_strips(rows, transform, ground.shape, units, hillside_pct=hillside_pct)[0]


def terrain_by_unit_in_strips(
    read_rows: Callable[[int, int], np.ndarray],
    transform: Affine,
    shape: tuple[int, int],
    units: gpd.GeoDataFrame,
    *,
    hillside_pct: float = HILLSIDE_SLOPE_PCT,
    strip_rows: int = STRIP_ROWS,
) -> tuple[pd.DataFrame, float]:
    r"""The terrain of each unit (as :func:`terrain_by_unit`) from a grid read strip by strip, and the share of
    the grid's cells without an elevation.

    ``read_rows(r0, r1)`` gives the elevations of rows ``r0`` to ``r1 - 1`` of the grid of ``shape``
    (float32, NaN where unknown). Each strip is read with one row more on either side (where the grid has
    one), so that the central differences of its first and last rows are those of the whole grid: the slope of
    every cell is the same as :func:`slope_percent` of the whole array. A unit's means are the sums over its
    cells of all strips divided by their counts,

    .. math:: \bar z(u) = \frac{\sum_{c \in u} z_c}{\#\{c \in u : z_c \text{ known}\}},

    so the memory needed is that of one strip (a 10 m grid over a 4,000 km² district is 40 million cells,
    about 1.3 GB for the arrays of the slope at once; in strips of 1,024 rows, a few tens of MB).
    """
    require_metric(units, "unit layer")
    nrows, ncols = shape
    n = len(units) + 1
    count_z = np.zeros(n, np.int64)
    count_s = np.zeros(n, np.int64)
    sum_z = np.zeros(n, np.float64)
    sum_s = np.zeros(n, np.float64)
    missing = 0
    shapes = [(geom, i + 1) for i, geom in enumerate(units.geometry)]
    for r0 in range(0, nrows, strip_rows):
        r1 = min(nrows, r0 + strip_rows)
        h0, h1 = max(0, r0 - 1), min(nrows, r1 + 1)
        halo = read_rows(h0, h1)
        ground = halo[r0 - h0 : r0 - h0 + (r1 - r0)]
        labels = features.rasterize(
            shapes,
            out_shape=(r1 - r0, ncols),
            transform=transform @ Affine.translation(0, r0),
            fill=0,
            dtype="int32",
        )
        if halo.shape[0] > 1:
            slope = slope_percent(halo, transform.a)[r0 - h0 : r0 - h0 + (r1 - r0)]
        else:  # a grid of one row has no slope across it
            slope = np.full(ground.shape, np.nan)
        known = np.isfinite(ground)
        missing += int(known.size - np.count_nonzero(known))
        ok_z = known & (labels > 0)
        ok_s = np.isfinite(slope) & (labels > 0)
        count_z += np.bincount(labels[ok_z], minlength=n)
        count_s += np.bincount(labels[ok_s], minlength=n)
        sum_z += np.bincount(labels[ok_z], weights=ground[ok_z], minlength=n)
        sum_s += np.bincount(labels[ok_s], weights=slope[ok_s], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        elev = sum_z[1:] / count_z[1:]
        mean_slope = sum_s[1:] / count_s[1:]
    out = pd.DataFrame({"elevation_m": elev, "slope_pct": mean_slope}, index=units.index)
    out["terrain"] = np.where(np.isnan(mean_slope), "unknown", np.where(mean_slope >= hillside_pct, "hillside", "flat"))
    return out, missing / float(nrows * ncols)


def hillside_comparison(units: pd.DataFrame) -> pd.DataFrame:
    """Coverage and crime of hillside units against flat ones: units, residents, cameras per km², share of the
    area in view, crimes per 1,000 residents (totals over each group, not means of ratios)."""
    rows = []
    for terrain, group in units.groupby("terrain"):
        pop = group["population"].sum(min_count=1)
        crime_known = group["crimes"].notna() & group["population"].notna()
        pop_with_crime = group.loc[crime_known, "population"].sum()
        area = group["area_km2"].sum()
        rows.append(
            {
                "terrain": terrain,
                "units": len(group),
                "residents": pop,
                "cameras_per_km2": group["cameras"].sum() / area if area > 0 else np.nan,
                "covered_share": group["covered_km2"].sum() / group["open_km2"].sum()
                if group["open_km2"].sum() > 0
                else np.nan,
                # crimes and residents summed over the same units: those whose crime and population are known
                "crimes_per_1k": group.loc[crime_known, "crimes"].sum() / pop_with_crime * 1000
                if pop_with_crime > 0
                else np.nan,
            }
        )
    return pd.DataFrame(rows)
