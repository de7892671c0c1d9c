"""Per-unit exposure measures used by published studies of camera placement: effective cameras (each camera
view shared among the units its area falls in) and cameras within a distance of a unit's boundary, each also
per 1,000 residents.

Both are pure functions of the views, their fields of view and the units, in one metric CRS. They need camera
locations; a source that gives only counts per unit gives none of them (their columns are left empty).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from equity.projection import require_metric


def effective_cameras(sectors: gpd.GeoSeries, units: gpd.GeoDataFrame) -> np.ndarray:
    r"""Effective cameras per unit: each view's area shared among the units it falls in.

    .. math:: E_u = \sum_v \frac{|F_v \cap u|}{|F_v|}

    with ``F_v`` the field of view (sector, disc or viewshed outline) of view ``v``. A view whose disc lies
    half in the unit counts 0.5 there; a view wholly inside counts 1. A view with no geometry (it does not count
    toward coverage: an unknown direction under ``skip``, an indoor camera) counts nowhere; the part of a view
    outside every unit counts in none. A camera tagged with several directions has one view per direction and
    counts once per view.

    Parameters
    ----------
    sectors : geopandas.GeoSeries
        One geometry (or None) per view, in the units' metric CRS.
    units : geopandas.GeoDataFrame
        The units, in the same CRS.

    Returns
    -------
    numpy.ndarray
        ``E_u`` aligned to ``units`` (0 where no view falls).

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> u = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs="EPSG:32633")
    >>> v = gpd.GeoSeries([Point(100, 50).buffer(20, 256), None], crs="EPSG:32633")
    >>> effective_cameras(v, u).round(3).tolist()
    [0.5, 0.5]
    """
    require_metric(units, "unit layer")
    out = np.zeros(len(units))
    geoms = np.asarray(sectors.to_numpy(), dtype=object)
    keep = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    if not keep.any():
        return out
    views = geoms[keep]
    area = shapely.area(views)
    unit_geoms = units.geometry.to_numpy()
    tree = shapely.STRtree(unit_geoms)
    view_idx, unit_idx = tree.query(views, predicate="intersects")
    if len(view_idx) == 0:
        return out
    shared = shapely.area(shapely.intersection(views[view_idx], unit_geoms[unit_idx]))
    valid = area[view_idx] > 0
    np.add.at(out, unit_idx[valid], shared[valid] / area[view_idx][valid])
    return out


def cameras_within(cameras: gpd.GeoDataFrame, units: gpd.GeoDataFrame, distance_m: float) -> np.ndarray:
    r"""Cameras within ``distance_m`` of each unit: inside it, or outside at most that far from its boundary.

    .. math:: W_u = \#\{c : d(c, u) \le b\}

    with ``d(c, u)`` the distance from camera ``c``'s point to the unit's polygon (0 inside) and ``b`` the
    buffer. The distance is exact (no buffered polygon is drawn). Each camera counts once per unit, however many
    views it has; a camera near several units counts in each, and one outside every unit counts in those within
    ``b`` of it.

    Parameters
    ----------
    cameras : geopandas.GeoDataFrame
        One point per camera (``camera_id``), in the units' metric CRS.
    units : geopandas.GeoDataFrame
        The units, in the same CRS.
    distance_m : float
        The buffer ``b`` in metres, at least 0.

    Returns
    -------
    numpy.ndarray
        ``W_u`` aligned to ``units``.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> u = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs="EPSG:32633")
    >>> c = gpd.GeoDataFrame({"camera_id": ["in", "near", "far"]},
    ...                      geometry=[Point(50, 50), Point(299, 50), Point(301, 50)], crs="EPSG:32633")
    >>> cameras_within(c, u, 200.0).tolist()
    [2]
    """
    require_metric(units, "unit layer")
    out = np.zeros(len(units), dtype=int)
    first = cameras.drop_duplicates("camera_id") if "camera_id" in cameras else cameras
    points = first.geometry.to_numpy()
    if len(points) == 0:
        return out
    tree = shapely.STRtree(units.geometry.to_numpy())
    _, unit_idx = tree.query(points, predicate="dwithin", distance=float(distance_m))
    np.add.at(out, unit_idx, 1)
    return out


def buffer_column(distance_m: float) -> str:
    """The name of the column of cameras within ``distance_m`` of a unit: ``cameras_within_200m`` for 200.

    Examples
    --------
    >>> buffer_column(200.0), buffer_column(62.5)
    ('cameras_within_200m', 'cameras_within_62.5m')
    """
    return f"cameras_within_{distance_m:g}m"


def exposure_table(
    views: gpd.GeoDataFrame,
    sectors: gpd.GeoSeries,
    units: gpd.GeoDataFrame,
    population: pd.Series,
    *,
    buffer_m: float,
    per_capita_min_residents: float,
) -> pd.DataFrame:
    r"""The exposure columns of every unit.

    - ``effective_cameras`` ``E_u`` (:func:`effective_cameras`) and ``effective_cameras_per_1k``
      ``1000 E_u / P_u``;
    - ``cameras_within_<b>m`` ``W_u`` (:func:`cameras_within`) and ``cameras_within_<b>m_per_1k``
      ``1000 W_u / P_u``.

    A rate per 1,000 residents is left empty (NaN) where the unit has ``per_capita_min_residents`` residents or
    fewer, or its population is unknown: on a handful of residents it says nothing about them.

    Parameters
    ----------
    views : geopandas.GeoDataFrame
        The camera views (``camera_id``, a point each), in the units' CRS.
    sectors : geopandas.GeoSeries
        The views' fields of view, aligned to ``views``.
    units : geopandas.GeoDataFrame
        The units.
    population : pandas.Series
        Residents per unit, aligned to ``units`` (NaN when unknown).
    buffer_m : float
        The distance ``b`` of :func:`cameras_within`.
    per_capita_min_residents : float
        Residents a unit must exceed for its rates per 1,000.
    """
    pop = population.to_numpy(float)
    enough = np.where(np.isnan(pop), False, pop > per_capita_min_residents)
    per_1k = np.where(enough, 1000.0 / np.where(enough, pop, 1.0), np.nan)
    eff = effective_cameras(sectors, units)
    near = cameras_within(views, units, buffer_m)
    name = buffer_column(buffer_m)
    return pd.DataFrame(
        {
            "effective_cameras": eff,
            "effective_cameras_per_1k": eff * per_1k,
            name: near,
            f"{name}_per_1k": near * per_1k,
        },
        index=units.index,
    )
