"""The one place where coordinate reference systems are decided.

Every computation in metres goes through :func:`metric_crs` and :func:`to_metric`; only the map goes back to
WGS84 through :func:`to_wgs84`. Metric computations call :func:`require_metric`, which refuses a geographic
CRS with an error instead of silently computing areas in square degrees. A bearing from true north becomes a
bearing on the metric grid through :func:`grid_north_offset`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer

from equity._errors import CRSError

WGS84 = CRS.from_epsg(4326)


def metric_crs(gdf: gpd.GeoDataFrame) -> CRS:
    """Choose a local metric CRS for a layer: the UTM zone of its centre (UPS near the poles).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer with a CRS (any).

    Returns
    -------
    pyproj.CRS
        The UTM (or UPS) CRS that geopandas' ``estimate_utm_crs`` picks for the layer's bounds.
    """
    wgs = to_wgs84(gdf)
    lat = (wgs.total_bounds[1] + wgs.total_bounds[3]) / 2
    if abs(lat) > 84:  # UTM is not defined beyond 84 N / 80 S; use the polar stereographic systems
        return CRS.from_epsg(32661 if lat > 0 else 32761)
    return wgs.estimate_utm_crs()


def to_metric(gdf: gpd.GeoDataFrame, crs: CRS | None = None) -> gpd.GeoDataFrame:
    """Project a layer to ``crs``, or to :func:`metric_crs` of the layer when ``crs`` is None."""
    _require_crs(gdf)
    target = crs if crs is not None else metric_crs(gdf)
    if gdf.crs.equals(target):
        return gdf
    return gdf.to_crs(target)


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Project a layer to WGS84 longitude/latitude (EPSG:4326), for maps and exports."""
    _require_crs(gdf)
    return gdf if gdf.crs.equals(WGS84) else gdf.to_crs(WGS84)


def require_metric(gdf: gpd.GeoDataFrame, what: str = "layer") -> None:
    """Raise :class:`CRSError` unless ``gdf`` is in a projected CRS measured in metres."""
    _require_crs(gdf, what)
    if not (gdf.crs.is_projected and _is_metre(gdf.crs)):
        msg = (
            f"The {what} is in {gdf.crs.name!r}, not in a projected CRS in metres; "
            "project it with equity.projection.to_metric first."
        )
        raise CRSError(msg)


def grid_north_offset(points: gpd.GeoSeries) -> np.ndarray:
    """Grid bearing of true north at each point of a metric layer, in degrees (the meridian convergence).

    A bearing ``b`` clockwise from true north is the grid bearing ``b + offset`` in the projected CRS. It is
    found by projecting each point and a point 1e-5 degrees of latitude north of it.
    """
    if len(points) == 0:
        return np.zeros(0)
    to_wgs = Transformer.from_crs(points.crs, WGS84, always_xy=True)
    to_grid = Transformer.from_crs(WGS84, points.crs, always_xy=True)
    x, y = points.x.to_numpy(), points.y.to_numpy()
    lon, lat = to_wgs.transform(x, y)
    nx, ny = to_grid.transform(lon, np.asarray(lat) + 1e-5)
    return np.degrees(np.arctan2(np.asarray(nx) - x, np.asarray(ny) - y))


def _require_crs(gdf: gpd.GeoDataFrame, what: str = "layer") -> None:
    if gdf.crs is None:
        msg = f"The {what} has no CRS; give it one (for example EPSG:4326 for longitude/latitude)."
        raise CRSError(msg)


def _is_metre(crs: CRS) -> bool:
    units = {axis.unit_name for axis in crs.axis_info}
    return units <= {"metre", "meter"}
