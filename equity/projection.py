"""The one place where coordinate reference systems are decided.

Every computation in metres goes through :func:`metric_crs` and :func:`to_metric`; only the map goes back to
WGS84 through :func:`to_wgs84`. Metric computations call :func:`require_metric`, which refuses a geographic
CRS with an error instead of silently computing areas in square degrees. A bearing from true north becomes a
bearing on the metric grid through :func:`grid_north_offset`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Proj, Transformer

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


#: Longest edge, in degrees, of a line or polygon in longitude/latitude that is projected as it is; longer edges
#: get vertices this far apart first (:func:`to_metric`).
DENSIFY_DEG = 0.1

#: Largest error of the metric CRS's scale (its lengths against the ellipsoid's) accepted at the units' edges:
#: 1 %, so that areas are within about 2 % (:func:`scale_error`).
MAX_SCALE_ERROR = 0.01


def to_metric(gdf: gpd.GeoDataFrame, crs: CRS | None = None) -> gpd.GeoDataFrame:
    """Project a layer to ``crs``, or to :func:`metric_crs` of the layer when ``crs`` is None.

    A layer in longitude/latitude has its lines' and polygons' edges longer than :data:`DENSIFY_DEG` given
    vertices that far apart before it is projected: an edge is a straight line in longitude/latitude (GeoJSON's
    rule), which is a curve in a metric CRS, and projecting only its ends would cut the curve short. A polar cap
    (a box from 85 N to 90 N) is the extreme case: its edge along the 85th parallel runs from -180 to 180 between
    two vertices that project to one point, so that its projected corners enclose no area and every camera on
    it fell outside it; with the vertices added the edge is the parallel's circle in UPS, and the cap's area and
    cameras are right. Edges shorter than that (a city's units, streets, buildings) are projected as they are.
    """
    _require_crs(gdf)
    target = crs if crs is not None else metric_crs(gdf)
    if gdf.crs.equals(target):
        return gdf
    if gdf.crs.is_geographic and len(gdf):
        geoms = gdf.geometry.to_numpy()
        kinds = shapely.get_type_id(geoms)
        lined = np.isin(kinds, (1, 2, 3, 5, 6)) & ~shapely.is_empty(geoms)  # lines, rings, polygons
        bounds = shapely.bounds(geoms)
        long = lined & ((bounds[:, 2] - bounds[:, 0] > DENSIFY_DEG) | (bounds[:, 3] - bounds[:, 1] > DENSIFY_DEG))
        if long.any():
            geoms = geoms.copy()
            geoms[long] = shapely.segmentize(geoms[long], DENSIFY_DEG)
            gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs), crs=gdf.crs)
    return gdf.to_crs(target)


def scale_error(gdf: gpd.GeoDataFrame, crs: CRS) -> float:
    """The largest error of ``crs``'s scale (``|k - 1|``, ``k`` its meridional and parallel scales) at the
    vertices of ``gdf`` (with the vertices :func:`to_metric` adds); ``inf`` where a vertex does not project.

    A transverse Mercator (UTM) or polar stereographic (UPS) scale grows monotonically away from its central
    meridian or its pole, so that the largest error over a unit is at its boundary, where its vertices are. UTM
    is within 1 % about 8 degrees of longitude from its central meridian at the equator (more at higher
    latitudes); UPS is 0.994 at the pole and within 1 % down to about 78 degrees.
    """
    wgs = to_wgs84(gdf)
    geoms = shapely.segmentize(wgs.geometry.to_numpy(), DENSIFY_DEG)
    xy = shapely.get_coordinates(geoms)
    if not len(xy):
        return 0.0
    lat = np.clip(xy[:, 1], -90.0, 90.0)
    factors = Proj(crs).get_factors(xy[:, 0], lat, errcheck=False)
    k = np.concatenate([np.asarray(factors.meridional_scale), np.asarray(factors.parallel_scale)])
    if not np.isfinite(k).all():
        return float("inf")
    return float(np.max(np.abs(k - 1.0)))


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Project a layer to WGS84 longitude/latitude (EPSG:4326), for maps and exports."""
    _require_crs(gdf)
    return gdf if gdf.crs.equals(WGS84) else gdf.to_crs(WGS84)


def to_raster_crs(gdf: gpd.GeoDataFrame, crs: CRS, *, densify: float | None = None) -> gpd.GeoDataFrame:
    """Project polygons to a raster's CRS, so that the raster's cells are read as they are (never resampled).

    ``densify`` (in the layer's own units, metres for a metric layer) adds vertices to longer edges first, so
    that an edge that is straight in the layer's CRS stays close to its curve in the raster's; the vertices
    added on an edge two units share are the same, so neighbours still meet without gaps or overlaps.
    """
    _require_crs(gdf)
    if densify:
        gdf = gdf.set_geometry(shapely.segmentize(gdf.geometry.to_numpy(), densify), crs=gdf.crs)
    return gdf if gdf.crs.equals(crs) else gdf.to_crs(crs)


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
