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

#: The terrain class of a unit whose elevation is not known over enough of it (see
#: :attr:`equity.settings.Settings.terrain_min_covered_share`).
NO_ELEVATION = "no elevation data"

#: The default of :attr:`equity.settings.Settings.terrain_min_covered_share` (the reason is given there).
MIN_COVERED_SHARE = 0.9

#: Units named in a warning before "and N more".
NAMED_IN_WARNING = 5


def slope_percent(ground: np.ndarray, cell: float) -> np.ndarray:
    r"""Slope in percent of every cell by central differences: :math:`100 \sqrt{(dz/dx)^2 + (dz/dy)^2}`.

    NaN where the elevation or a neighbour is unknown.
    """
    dz_dy, dz_dx = np.gradient(ground.astype(np.float64), cell)
    return 100.0 * np.hypot(dz_dx, dz_dy)


def terrain_by_unit(
    ground: np.ndarray,
    transform: Affine,
    units: gpd.GeoDataFrame,
    *,
    hillside_pct: float = HILLSIDE_SLOPE_PCT,
    min_covered_share: float = MIN_COVERED_SHARE,
) -> pd.DataFrame:
    """Mean elevation (m), mean slope (%), terrain class and covered share of each unit, from a DEM on a metric
    grid.

    Zonal means over the cells whose centre lies in the unit (cells without elevation are left out); a unit
    whose share of cells with an elevation is below ``min_covered_share`` (or that holds no cell centre) gets
    NaN and the class :data:`NO_ELEVATION`, else ``hillside`` when its mean slope is at least ``hillside_pct``
    and ``flat`` otherwise. See :func:`terrain_by_unit_in_strips`, which this calls on the whole array.
    """

    def rows(r0: int, r1: int) -> np.ndarray:
        return ground[r0:r1]

    return terrain_by_unit_in_strips(
        rows, transform, ground.shape, units, hillside_pct=hillside_pct, min_covered_share=min_covered_share
    )[0]


def terrain_by_unit_in_strips(
    read_rows: Callable[[int, int], np.ndarray],
    transform: Affine,
    shape: tuple[int, int],
    units: gpd.GeoDataFrame,
    *,
    hillside_pct: float = HILLSIDE_SLOPE_PCT,
    min_covered_share: float = MIN_COVERED_SHARE,
    strip_rows: int = STRIP_ROWS,
) -> tuple[pd.DataFrame, float]:
    r"""The terrain of each unit (as :func:`terrain_by_unit`) from a grid read strip by strip, and the share of
    the units' cells without an elevation.

    ``read_rows(r0, r1)`` gives the elevations of rows ``r0`` to ``r1 - 1`` of the grid of ``shape``
    (float32, NaN where unknown). Each strip is read with one row more on either side (where the grid has
    one), so that the central differences of its first and last rows are those of the whole grid: the slope of
    every cell is the same as :func:`slope_percent` of the whole array. A unit's means are the sums over its
    cells of all strips divided by their counts,

    .. math:: \bar z(u) = \frac{\sum_{c \in u} z_c}{\#\{c \in u : z_c \text{ known}\}},

    so the memory needed is that of one strip (a 10 m grid over a 4,000 km² district is 40 million cells,
    about 1.3 GB for the arrays of the slope at once; in strips of 1,024 rows, a few tens of MB).

    A unit's covered share is that of its cells with an elevation,

    .. math:: c(u) = \frac{\#\{c \in u : z_c \text{ known}\}}{\#\{c \in u\}},

    (NaN for a unit that holds no cell centre). Below ``min_covered_share`` the unit's elevation, slope and
    class are not computed: NaN and :data:`NO_ELEVATION`. The second value returned is the share of all the
    units' cells without an elevation, :math:`1 - \sum_u \#\{c \in u : z_c \text{ known}\} / \sum_u
    \#\{c \in u\}` (the cells outside every unit, of the grid's rectangle, do not count).

    Returns
    -------
    (pandas.DataFrame, float)
        ``elevation_m``, ``slope_pct``, ``terrain`` and ``elevation_covered_share`` aligned to ``units``; the
        missing share of the units' cells.
    """
    require_metric(units, "unit layer")
    nrows, ncols = shape
    n = len(units) + 1
    count_z = np.zeros(n, np.int64)
    count_s = np.zeros(n, np.int64)
    count_all = np.zeros(n, np.int64)
    sum_z = np.zeros(n, np.float64)
    sum_s = np.zeros(n, np.float64)
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
        count_all += np.bincount(labels.ravel(), minlength=n)
        ok_z = known & (labels > 0)
        ok_s = np.isfinite(slope) & (labels > 0)
        count_z += np.bincount(labels[ok_z], minlength=n)
        count_s += np.bincount(labels[ok_s], minlength=n)
        sum_z += np.bincount(labels[ok_z], weights=ground[ok_z], minlength=n)
        sum_s += np.bincount(labels[ok_s], weights=slope[ok_s], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        elev = sum_z[1:] / count_z[1:]
        mean_slope = sum_s[1:] / count_s[1:]
        covered = count_z[1:] / count_all[1:]
    # too little of the unit has an elevation (or none of it, or it holds no cell): nothing is computed
    short = ~(covered >= min_covered_share) | (count_z[1:] == 0)
    elev[short] = np.nan
    mean_slope[short] = np.nan
    out = pd.DataFrame({"elevation_m": elev, "slope_pct": mean_slope}, index=units.index)
    out["terrain"] = np.where(
        short,
        NO_ELEVATION,
        np.where(np.isnan(mean_slope), "unknown", np.where(mean_slope >= hillside_pct, "hillside", "flat")),
    )
    out["elevation_covered_share"] = covered
    cells = int(count_all[1:].sum())
    missing = 1.0 - int(count_z[1:].sum()) / cells if cells else float("nan")
    return out, missing


def uncovered_units(terrain: pd.DataFrame, unit_ids: pd.Series) -> pd.Series:
    """The covered share of each unit whose terrain is not computed (class :data:`NO_ELEVATION`), by unit id,
    the least covered first (NaN, a unit that holds no cell of the terrain grid, first of all)."""
    short = (terrain["terrain"] == NO_ELEVATION).to_numpy()
    shares = pd.Series(terrain["elevation_covered_share"].to_numpy()[short], index=unit_ids.to_numpy()[short])
    return shares.sort_values(na_position="first", kind="stable")


def coverage_warning(uncovered: pd.Series, min_covered_share: float, cell_m: float) -> str | None:
    """One sentence naming the units whose terrain is missing and their covered shares (the first
    :data:`NAMED_IN_WARNING` by name, then how many more); None when there is none."""
    if uncovered.empty:
        return None
    named = [f"{unit} ({_covered(share)})" for unit, share in uncovered.iloc[:NAMED_IN_WARNING].items()]
    more = len(uncovered) - len(named)
    listed = ", ".join(named) + (f" and {more} more" if more else "")
    n = len(uncovered)
    return (
        f"The DEM gives an elevation for less than {100 * min_covered_share:g}% of the {cell_m:g} m cells of "
        f"{n} unit{'s' if n != 1 else ''}, whose elevation, slope and terrain class are reported as missing "
        f'("{NO_ELEVATION}"): {listed}.'
    )


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


def _covered(share: float) -> str:
    """A unit's covered share in a warning."""
    if np.isnan(share):
        return "holds no cell"
    return "not covered" if share == 0 else f"{100 * share:.1f}% covered"
