"""Terrain context per unit: mean elevation and mean slope from a DEM, and a hillside class, so that hillside
units can be compared with flat ones."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from rasterio import features

from equity.projection import require_metric

#: A unit is "hillside" when its mean slope is at least this many percent (10 %, about 5.7 degrees: steeper
#: than the 8.33 % a wheelchair ramp may have, and where streets start to need switchbacks).
HILLSIDE_SLOPE_PCT = 10.0


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
    is at least ``hillside_pct`` and ``flat`` otherwise.
    """
    require_metric(units, "unit layer")
    labels = features.rasterize(
        ((geom, i + 1) for i, geom in enumerate(units.geometry)),
        out_shape=ground.shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    slope = slope_percent(ground, transform.a)
    n = len(units) + 1
    ok_z = np.isfinite(ground) & (labels > 0)
    ok_s = np.isfinite(slope) & (labels > 0)
    count_z = np.bincount(labels[ok_z], minlength=n)[1:]
    count_s = np.bincount(labels[ok_s], minlength=n)[1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        elev = np.bincount(labels[ok_z], weights=ground[ok_z], minlength=n)[1:] / count_z
        mean_slope = np.bincount(labels[ok_s], weights=slope[ok_s], minlength=n)[1:] / count_s
    out = pd.DataFrame({"elevation_m": elev, "slope_pct": mean_slope}, index=units.index)
    out["terrain"] = np.where(np.isnan(mean_slope), "unknown", np.where(mean_slope >= hillside_pct, "hillside", "flat"))
    return out


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
