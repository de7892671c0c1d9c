"""Population of the units of analysis, from a column, by area-weighted interpolation from another layer, or
by exact zonal sums of a raster of residents per cell (WorldPop, GHSL: :func:`population_from_raster`).

Written here rather than taken from tobler (PySAL's areal interpolation): the whole method is one overlay and
one weighted sum, and tobler would bring a large dependency tree for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS

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


# --- Population from a raster of counts per cell (WorldPop, GHSL) -------------------------------------------------


@dataclass(frozen=True)
class RasterPopulation:
    """Residents per unit summed from a raster, with what the sums leave out.

    Attributes
    ----------
    population : pandas.Series
        Residents per unit, aligned to the units' index; NaN for a unit none of whose area lies on a cell with
        data (nodata everywhere under it, or beyond the raster).
    missing_share : pandas.Series
        Share of each unit's area on cells without data or beyond the raster's edge (0 to 1).
    touched_total : float
        Residents of every cell with data that a unit touches (whole cells).
    outside : float
        Of those, the residents of the parts of the cells outside every unit, ``Σ_c v_c (1 - min(1, Σ_u f_uc))``.
    overlap : float
        Residents counted twice where units overlap (their digitising slivers), ``Σ_c v_c max(0, Σ_u f_uc - 1)``.
    window_total : float
        Residents of every cell with data in the raster's window read (the units' bounding box, whole cells).
    cells_touched, nodata_cells_touched : int
        Cells a unit touches, and those of them without data.
    """

    population: pd.Series
    missing_share: pd.Series
    touched_total: float
    outside: float
    overlap: float
    window_total: float
    cells_touched: int
    nodata_cells_touched: int


def population_from_raster(
    values: np.ndarray, valid: np.ndarray, transform: Affine, crs: CRS, units: gpd.GeoDataFrame
) -> RasterPopulation:
    r"""Exact area-weighted zonal sums of a raster of residents per cell over the units.

    Each cell ``c`` with ``v_c`` residents gives each unit ``u`` the fraction ``f_uc`` of the cell's area that
    lies in ``u`` (computed exactly from the polygon's edges by exactextract, not by sampling cell centres):

    .. math:: P_u = \sum_c f_{uc}\, v_c

    so that a cell split between two units is shared by area, and the residents of a cell are counted once
    over units that do not overlap. The total is preserved: with :math:`F_c = \sum_u f_{uc}`,

    .. math:: \sum_u P_u = \sum_{c:\,F_c>0} v_c \;-\; \sum_c v_c (1 - \min(1, F_c)) \;+\; \sum_c v_c \max(0, F_c - 1)

    (the cells touched, less their parts outside every unit, plus what overlapping slivers count twice). People
    are assumed to live evenly over a cell, the same assumption :func:`interpolate_population` makes of a
    polygon; cells are never resampled, which would move people across unit edges and change the total. Cells
    without data (``valid`` False) are missing, not empty: they give no residents, and the share of each unit's
    area on them (or beyond the raster) is returned, with NaN for a unit that has no cell with data at all.

    Written on exactextract's coverage fractions (its ``cell_id`` and ``coverage``) rather than its ``sum``, so
    that the cells without data, the parts outside the units and the overlaps are counted from the same
    fractions as the sums.

    Parameters
    ----------
    values : numpy.ndarray
        Residents per cell (rows by columns) of a north-up window of the raster; a density raster is turned
        into counts first (:func:`counts_from_density`).
    valid : numpy.ndarray
        Boolean, same shape: False where the cell has no data.
    transform : affine.Affine
        The window's transform (north up, no rotation).
    crs : pyproj.CRS
        The raster's CRS; the units are projected to it (:func:`equity.projection.to_raster_crs`).
    units : geopandas.GeoDataFrame
        Unit polygons in any CRS.

    Returns
    -------
    RasterPopulation
    """
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    from equity.projection import to_raster_crs

    h, w = values.shape
    # edges longer than two of the raster's cells (in the units' metres) follow their curve in the raster's CRS
    step = 2 * abs(transform.a) * (1.0 if crs.is_projected else 111_000.0)
    shapes = to_raster_crs(units, crs, densify=step if units.crs.is_projected else None)
    population = pd.Series(np.nan, index=units.index)
    missing = pd.Series(1.0, index=units.index)
    coverage = np.zeros(h * w)
    flat_v = np.where(valid, values, 0.0).astype(np.float64).ravel()
    flat_ok = valid.ravel()
    if h and w:
        xmin, ymax = transform.c, transform.f
        xmax, ymin = xmin + w * transform.a, ymax + h * transform.e
        grid = NumPyRasterSource(np.zeros((h, w), np.uint8), xmin, ymin, xmax, ymax, srs_wkt=crs.to_wkt())
        frame = gpd.GeoDataFrame({"_row": np.arange(len(shapes))}, geometry=shapes.geometry.to_numpy(), crs=shapes.crs)
        table = exact_extract(grid, frame, ["cell_id", "coverage"], include_cols=["_row"], output="pandas")
        cell_area = abs(transform.a * transform.e)
        # each unit's area in cells, planar in the raster's CRS as the cells are (degrees² for a geographic one)
        areas = shapely.area(shapes.geometry.to_numpy()) / cell_area
        lengths = np.array([len(ids) for ids in table["cell_id"]], dtype=np.int64)
        owner = np.repeat(table["_row"].to_numpy(dtype=np.int64), lengths)
        ids = np.concatenate([np.asarray(i, dtype=np.int64) for i in table["cell_id"]] + [np.zeros(0, np.int64)])
        frac = np.concatenate([np.asarray(f, dtype=np.float64) for f in table["coverage"]] + [np.zeros(0)])
        n = len(shapes)
        coverage = np.bincount(ids, weights=frac, minlength=h * w)
        seen = np.bincount(owner, weights=frac * flat_ok[ids], minlength=n)
        summed = np.bincount(owner, weights=frac * flat_v[ids], minlength=n)
        with np.errstate(divide="ignore", invalid="ignore"):
            short = np.where(areas > 0, np.clip(1.0 - seen / areas, 0.0, 1.0), 1.0)
        population = pd.Series(np.where(seen > 0, summed, np.nan), index=units.index)
        missing = pd.Series(short, index=units.index)
    touched = coverage > 0
    return RasterPopulation(
        population=population,
        missing_share=missing,
        touched_total=float(flat_v[touched].sum()),
        outside=float((flat_v * (1.0 - np.minimum(coverage, 1.0)))[touched].sum()),
        overlap=float((flat_v * np.maximum(coverage - 1.0, 0.0)).sum()),
        window_total=float(flat_v.sum()),
        cells_touched=int(touched.sum()),
        nodata_cells_touched=int((touched & ~flat_ok).sum()),
    )


def counts_from_density(values: np.ndarray, transform: Affine, crs: CRS, per_m2: float) -> np.ndarray:
    r"""Residents per cell from a density raster: ``v_c = d_c · A_c · k``, with ``d_c`` the density in residents
    per unit of area, ``A_c`` the cell's area in m² and ``k`` the density's unit in m² (``per_m2``: 10⁻⁶ for
    residents per km², 10⁻⁴ per hectare).

    A projected raster's cells all have the area ``|a·e|`` (its pixel width times height, in metres); a
    geographic raster's cells shrink towards the poles, and each row's area is the ellipsoid's area between
    its parallels and meridians (pyproj's ``Geod.polygon_area_perimeter``, exact on the ellipsoid).
    """
    h = values.shape[0]
    if crs.is_projected:
        factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
        area = np.full(h, abs(transform.a * transform.e) * factor * factor)
    else:
        geod = crs.get_geod()
        x0, x1 = transform.c, transform.c + transform.a
        area = np.empty(h)
        for r in range(h):
            y0, y1 = transform.f + r * transform.e, transform.f + (r + 1) * transform.e
            a, _ = geod.polygon_area_perimeter([x0, x1, x1, x0], [y0, y0, y1, y1])
            area[r] = abs(a)
    return values.astype(np.float64) * (area * per_m2)[:, None]
