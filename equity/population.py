"""Population of the units of analysis, from a column or by area-weighted interpolation from another layer.

Written here rather than taken from tobler (PySAL's areal interpolation): the whole method is one overlay and
one weighted sum, and tobler would bring a large dependency tree for it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from equity._errors import InputFormatError
from equity.projection import require_metric


def interpolate_population(source: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> tuple[pd.Series, float]:
    """Area-weighted interpolation of a population count from ``source`` polygons to ``units``.

    Each source polygon ``s`` with population ``P_s`` gives each unit ``u`` the share of its area that
    falls in ``u``, among the part of ``s`` that lies in any unit ``U``::

        P_u = sum_s P_s * area(s ∩ u) / area(s ∩ U)

    so that the population of every source polygon touching the units is kept whole (the total is preserved),
    on the assumption that people live evenly over the part of ``s`` inside the units (a block group half in
    the bay keeps all its residents on land). Source polygons that touch no unit are not counted; their
    population is returned as the second value.

    Parameters
    ----------
    source : geopandas.GeoDataFrame
        Polygons with a ``population`` column, in a metric CRS.
    units : geopandas.GeoDataFrame
        Unit polygons with a ``unit_id`` column, in the same CRS. Units must not overlap.

    Returns
    -------
    (pandas.Series, float)
        Population per unit aligned to ``units.index`` (NaN for a unit that no source polygon touches), and the
        population of source polygons outside all units.
    """
    require_metric(source, "population layer")
    require_metric(units, "unit layer")
    counts = source["population"].to_numpy(dtype=float)
    if not np.isfinite(counts).all():  # an infinite count would make every unit it touches infinite (or NaN)
        first = int((~np.isfinite(counts)).nonzero()[0][0])
        msg = (
            f"The population layer's polygon {first + 1} holds {counts[first]} residents, which is not a finite "
            "number; expected a count of at least 0."
        )
        raise InputFormatError(msg)
    src = source[["population", source.geometry.name]].reset_index(drop=True)
    src["_src"] = np.arange(len(src))
    uni = gpd.GeoDataFrame({"_unit": np.arange(len(units))}, geometry=units.geometry.to_numpy(), crs=units.crs)
    pieces = gpd.overlay(src, uni, how="intersection", keep_geom_type=True)
    pieces["_area"] = pieces.geometry.area
    inside = pieces.groupby("_src")["_area"].sum()
    pieces = pieces[pieces["_src"].map(inside) > 0]
    weight = pieces["_area"] / pieces["_src"].map(inside)
    per_unit = (pieces["population"] * weight).groupby(pieces["_unit"]).sum()
    result = pd.Series(np.nan, index=units.index)  # a unit that no source polygon touches: unknown, not zero
    result.iloc[per_unit.index.to_numpy()] = per_unit.to_numpy()
    outside = float(src.loc[~src["_src"].isin(inside[inside > 0].index), "population"].sum())
    return result, outside
