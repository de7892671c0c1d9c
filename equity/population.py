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


#: Polygons named in a warning before "and N more".
NAMED_IN_WARNING = 5


def polygon_checks(
    source: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, min_inside_share: float, area_factor: float
) -> pd.DataFrame:
    r"""What each population polygon's geometry says about whether it is where it should be: the share of its
    area inside the units, and how its area compares with the area its layer states.

    A polygon that touches the units is **mostly outside** them when

    .. math:: \frac{\operatorname{area}(s \cap U)}{\operatorname{area}(s)} < m

    (``m = min_inside_share``): all its residents go to that part (:func:`interpolate_population`). Its area
    **disagrees** with the stated one when it is below the stated land area divided by ``f = area_factor``, or
    above the stated land and water area times ``f``,

    .. math:: \operatorname{area}(s) < L_s / f \quad\text{or}\quad \operatorname{area}(s) > (L_s + W_s) f,

    a polygon being at least its land and at most its land and water (water unknown: ``W = 0``). Polygons
    without a stated area, or with one of 0, are not compared. Nothing is changed: the table only says which.

    Parameters
    ----------
    source : geopandas.GeoDataFrame
        Polygons with ``population``, ``name`` and, when the layer states areas, ``stated_land_m2`` and
        ``stated_total_m2`` (m²), in a metric CRS.
    units : geopandas.GeoDataFrame
        Unit polygons in the same CRS.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``source``: ``name``, ``population``, ``area_m2``, ``inside_share``, ``area_ratio`` (area over
        the stated land area; NaN without one), ``mostly_outside``, ``wholly_outside`` (touching no unit: its
        residents are not counted) and ``area_disagrees`` (booleans).
    """
    require_metric(source, "population layer")
    require_metric(units, "unit layer")
    area = source.geometry.area.to_numpy()
    inside = source.geometry.intersection(units.geometry.union_all()).area.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(area > 0, inside / area, np.nan)
    out = pd.DataFrame(
        {
            "name": source["name"].to_numpy() if "name" in source else np.arange(1, len(source) + 1).astype(str),
            "population": source["population"].to_numpy(dtype=float),
            "area_m2": area,
            "inside_share": share,
        },
        index=source.index,
    )
    out["mostly_outside"] = (inside > 0) & (share < min_inside_share)
    out["wholly_outside"] = ~(inside > 0)
    if "stated_land_m2" in source:
        land = source["stated_land_m2"].to_numpy(dtype=float)
        total = source["stated_total_m2"].to_numpy(dtype=float)
        known = np.isfinite(total) & (total > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["area_ratio"] = np.where(known & (land > 0), area / land, np.nan)
            low = np.where(np.isfinite(land), land, 0.0) / area_factor
            out["area_disagrees"] = known & ((area < low) | (area > total * area_factor))
    else:
        out["area_ratio"] = np.nan
        out["area_disagrees"] = False
    return out


def outside_warning(checks: pd.DataFrame, min_inside_share: float) -> str | None:
    """One sentence naming the population polygons that lie mostly outside the units (see
    :func:`polygon_checks`), the least inside first, with their residents and the share inside; None when there
    is none."""
    rows = checks[checks["mostly_outside"]].sort_values("inside_share", kind="stable")
    if rows.empty:
        return None
    named = [
        f"{r.name} ({r.population:,.0f} residents; {100 * r.inside_share:.1f}% of its {r.area_m2 / 1e6:.3g} km² inside)"
        for r in rows.iloc[:NAMED_IN_WARNING].itertuples()
    ]
    n = len(rows)
    return (
        f"{_count(n)} lie{'s' if n == 1 else ''} mostly outside the units (less than {100 * min_inside_share:g}% of "
        f"{'its' if n == 1 else 'their'} area inside them), yet all {'its' if n == 1 else 'their'} residents are "
        f"given to the part inside: {_listed(named, n)}; check that {'it is' if n == 1 else 'they are'} where "
        f"{'it' if n == 1 else 'they'} should be."
    )


def beyond_warning(checks: pd.DataFrame) -> str | None:
    """One sentence naming the population polygons that touch no unit, whose residents are not counted (see
    :func:`interpolate_population`), the most populous first; None when there is none."""
    rows = checks[checks["wholly_outside"]].sort_values("population", ascending=False, kind="stable")
    if rows.empty:
        return None
    named = [f"{r.name} ({r.population:,.0f} residents)" for r in rows.iloc[:NAMED_IN_WARNING].itertuples()]
    n = len(rows)
    return (
        f"{_count(n)} lie{'s' if n == 1 else ''} wholly outside the units, and {'its' if n == 1 else 'their'} "
        f"{rows['population'].sum():,.0f} residents are not counted: {_listed(named, n)}."
    )


def area_warning(checks: pd.DataFrame, area_factor: float, stated: str) -> str | None:
    """One sentence naming the population polygons whose area disagrees with their stated area (see
    :func:`polygon_checks`), the furthest off first; None when there is none. ``stated`` names the columns."""
    rows = checks[checks["area_disagrees"]]
    if rows.empty:
        return None
    off = np.abs(np.log(rows["area_ratio"].to_numpy(dtype=float)))
    rows = rows.iloc[np.argsort(-np.nan_to_num(off, nan=np.inf), kind="stable")]
    named = [f"{r.name} ({_ratio(r.area_m2, r.area_ratio)})" for r in rows.iloc[:NAMED_IN_WARNING].itertuples()]
    n = len(rows)
    return (
        f"{_count(n)} {'has' if n == 1 else 'have'} an area on the map that differs from the area the layer states "
        f"in {stated} by more than a factor of {area_factor:g}: {_listed(named, n)}; "
        f"{'its' if n == 1 else 'their'} residents are placed by the polygon{'' if n == 1 else 's'} as drawn."
    )


def _count(n: int) -> str:
    return f"{n:,} population polygon{'' if n == 1 else 's'}"


def _listed(named: list[str], n: int) -> str:
    more = n - len(named)
    return ", ".join(named) + (f" and {more:,} more (all listed in the manifest)" if more else "")


def _ratio(area_m2: float, ratio: float) -> str:
    """A polygon's area against its stated land area, in words."""
    if not np.isfinite(ratio):
        return f"{area_m2 / 1e6:.3g} km² on the map, no land stated"
    stated = area_m2 / ratio / 1e6
    times = f"{1 / ratio:.0f} times smaller" if ratio < 1 else f"{ratio:.0f} times larger"
    return f"{area_m2 / 1e6:.3g} km² on the map, {stated:.3g} km² of land stated: {times}"
