"""Cameras placed against the pattern: far from other cameras, where there is little need, looking into homes.

Each camera (its first view stands for it) gets three component scores in (0, 1), each its **mid-rank** in the
city's distribution, so that they can be compared and averaged. Over the ``n`` cameras whose value is known, the
mid-rank of a value ``x`` is the mid-distribution function

    F(x) = (#{j : x_j < x} + ½ #{j : x_j = x}) / n  =  (r̄(x) − ½) / n

with ``r̄`` the average rank (1 for the smallest). Tied cameras share one score, the middle of the ranks they
span, whichever way the values are ordered (``1 − F(x)`` is the mid-rank of ``−x``). An unknown value has no
rank: it stays NaN and does not count in ``n``.

- isolation ``s_iso = F(d')``: ``d`` the distance to the nearest other camera at another place, ``c_d`` the share
  of the disc of radius ``d`` around the camera that lies inside the area the camera data covers, and
  ``d' = d √c_d`` the radius of a whole disc of the same observed empty area (``d`` itself when the disc lies
  inside); unknown when ``c_d < min_covered_share``, as a nearer camera may stand where there is no data;
- low need ``s_need = 1 − F(k')``: ``k`` the incidents within ``radius_m`` of the camera, ``c`` the share of that
  disc inside the area the crime data covers, ``k' = k / c`` (the count at the same rate over the whole disc);
  unknown (``k`` too) when ``c < min_covered_share``. Without crime data, the residents within ``radius_m`` stand
  in for ``k``, by area from the population polygons (``R = Σ_j P_j |D ∩ S_j| / |S_j|``), corrected in the same
  way by the share of the disc that polygons with a known population cover;
- intrusion ``s_int = F(I)``: ``I`` the largest intrusion score of the camera's views (:mod:`equity.homes`: the
  share of private residential land in the part of its view that is private or public); unknown when no
  buildings were given or no view has classified land.

The anomaly score is the mean of the known components, ``A = mean{s : s known}``; it is unknown for a camera
with fewer than ``min_components`` known components, and such a camera is neither ranked nor flagged. A camera
is flagged when ``A >= flag_score``. Public mode: the explanation of a flag gives distances, counts and shares
about the camera's own surroundings; never a home or a person, and never a property of its unit as if it were
the camera's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from equity.settings import Settings

#: Segments per quarter circle of the discs whose share inside an extent is measured (the polygon's area is
#: within 0.2 % of π r²; the share divides by the polygon's own area, so the two errors cancel).
QUAD_SEGS = 16

#: The columns of the isolation component, in the order :func:`anomaly_scores` writes them.
ISOLATION_COLUMNS = ("nearest_camera_m", "nearest_disc_covered_share", "nearest_camera_effective_m")


@dataclass(frozen=True)
class AnomalySettings:
    """Thresholds of the anomaly scores: the ``anomaly_`` fields of :class:`equity.settings.Settings`,
    documented there, without their prefix (``radius_m``, ``flag_score``, ``lonely_m``, ``min_covered_share``,
    ``min_components``). ``AnomalySettings()`` holds their defaults; a study's come from :meth:`from_settings`."""

    radius_m: float = Settings.anomaly_radius_m
    flag_score: float = Settings.anomaly_flag_score
    lonely_m: float = Settings.anomaly_lonely_m
    min_covered_share: float = Settings.anomaly_min_covered_share
    min_components: int = Settings.anomaly_min_components

    @classmethod
    def from_settings(cls, settings: Settings) -> AnomalySettings:
        """The ``anomaly_`` fields of ``settings``."""
        return cls(
            radius_m=settings.anomaly_radius_m,
            flag_score=settings.anomaly_flag_score,
            lonely_m=settings.anomaly_lonely_m,
            min_covered_share=settings.anomaly_min_covered_share,
            min_components=settings.anomaly_min_components,
        )


def mid_rank(values: np.ndarray | pd.Series, *, descending: bool = False) -> np.ndarray:
    """The mid-rank of each value among the known values: ``F(x) = (#{x_j < x} + ½ #{x_j = x}) / n``, in (0, 1).

    ``descending`` ranks ``−x`` instead (``1 − F(x)``): the smallest value gets the highest score. NaN stays NaN
    and is not counted in ``n``; ties share one score.

    Examples
    --------
    >>> mid_rank([10.0, 20.0, 20.0, np.nan, 40.0]).tolist()
    [0.125, 0.5, 0.5, nan, 0.875]
    >>> mid_rank([0.0, 0.0, 3.0, 5.0], descending=True).tolist()
    [0.75, 0.75, 0.375, 0.125]
    """
    v = np.asarray(values, dtype=float)
    s = pd.Series(-v if descending else v)
    n = int(s.notna().sum())
    if n == 0:
        return np.full(len(v), np.nan)
    return ((s.rank(method="average") - 0.5) / n).to_numpy()


def _located(points: np.ndarray) -> np.ndarray:
    return ~(shapely.is_missing(points) | shapely.is_empty(points))


def disc_covered_share(
    points: np.ndarray | gpd.GeoSeries, radius: float | np.ndarray, extent: BaseGeometry | None
) -> np.ndarray:
    """The share of the disc of radius ``r_i`` around each point that lies inside ``extent``:
    ``c_i = |D(p_i, r_i) ∩ E| / (π r_i²)``.

    NaN for a point that is missing or empty or whose radius is not a positive number; 1 for every point when
    ``extent`` is None (the data is taken to cover everywhere). The discs of distinct (point, radius) pairs are
    taken once. A disc whose circumscribed polygon lies inside the prepared extent gets 1, one whose polygon
    misses it 0, and the area of the true circle inside the extent is measured for the rest by
    :func:`_circle_area_inside` from the extent's edges near it, so that a disc on a coastline of a hundred
    thousand vertices costs the few dozen edges it crosses (intersecting polygonal discs with the whole extent
    took 45 s for 10,000 cameras on such a coast, cutting the extent into pieces first 17 s; this takes under
    a second).

    Examples
    --------
    >>> from shapely import box
    >>> pts = gpd.points_from_xy([0, 500, 1000, 2000, 950], [0, 500, 500, 500, 500])
    >>> disc_covered_share(pts, 100.0, box(0, 0, 1000, 1000)).round(4).tolist()
    [0.25, 1.0, 0.5, 0.0, 0.8045]
    """
    pts = np.asarray(points, dtype=object)
    r = np.broadcast_to(np.asarray(radius, dtype=float), pts.shape)
    out = np.full(len(pts), np.nan)
    ok = _located(pts) & np.isfinite(r) & (r > 0)
    if not ok.any():
        return out
    if extent is None:
        out[ok] = 1.0
        return out
    key = np.column_stack([shapely.get_coordinates(pts[ok]), r[ok]])
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    centres, radii = shapely.points(uniq[:, :2]), uniq[:, 2]
    # polygons around the true circles: a 4·QUAD_SEGS-gon whose edges touch the circle from outside
    outer = shapely.buffer(centres, radii / np.cos(np.pi / (4 * QUAD_SEGS)), quad_segs=QUAD_SEGS)
    shapely.prepare(extent)
    share = np.zeros(len(uniq))
    inside = shapely.contains_properly(extent, outer)
    share[inside] = 1.0
    edge = np.flatnonzero(~inside & shapely.intersects(extent, outer))
    if len(edge):
        area = _circle_area_inside(uniq[edge, :2], radii[edge], extent)
        share[edge] = area / (np.pi * radii[edge] ** 2)
    out[ok] = np.clip(share, 0.0, 1.0)[np.ravel(inverse)]
    return out


def _circle_area_inside(xy: np.ndarray, r: np.ndarray, extent: BaseGeometry) -> np.ndarray:
    """The area of each circle (centre ``xy``, radius ``r``) inside a polygonal ``extent``, exactly.

    With the rings oriented (exteriors anticlockwise, holes clockwise), the area of a region inside a circle
    centred at the origin is the sum over the region's edges ``a → b`` of the signed area of the circle's part
    of the triangle ``(0, a, b)``: along the part of the edge inside the circle the triangle ``cross(p, q) / 2``,
    along the parts outside the circular sector ``r² θ(p, q) / 2`` (``θ`` the signed angle from ``p`` to
    ``q``). An edge that does not reach the circle adds its sector alone, and the angles of all edges add up
    to ``2π w`` (``w`` = 1 for a centre inside the extent, 0 outside), so the edges far from the circle add
    ``r² (2π w − Σ_near θ) / 2`` together: only the edges within ``r`` of the centre (found with an STRtree of
    the edges) are visited. A centre on the extent's boundary, where the angle of its edge is undefined, takes
    the area of the polygonal disc inside the extent instead.
    """
    rings = shapely.get_rings(shapely.orient_polygons(_polygons(extent), exterior_cw=False))
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    joined = ring_of[1:] == ring_of[:-1]
    a_all, b_all = coords[:-1][joined], coords[1:][joined]
    segments = shapely.linestrings(np.stack([a_all, b_all], axis=1))
    c_idx, e_idx = shapely.STRtree(segments).query(shapely.points(xy), predicate="dwithin", distance=r)
    a, b, rr = a_all[e_idx] - xy[c_idx], b_all[e_idx] - xy[c_idx], r[c_idx]
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    dot = (a * b).sum(axis=1)
    theta = np.arctan2(cross, dot)
    d = b - a
    qa = (d * d).sum(axis=1)
    qb = (a * d).sum(axis=1)
    qc = (a * a).sum(axis=1) - rr**2
    disc = qb * qb - qa * qc
    crossing = (disc > 0) & (qa > 0)
    root = np.sqrt(np.where(crossing, disc, 0.0))
    safe = np.where(qa > 0, qa, 1.0)
    s1 = np.clip(np.where(crossing, (-qb - root) / safe, 0.0), 0.0, 1.0)[:, None]
    s2 = np.clip(np.where(crossing, (-qb + root) / safe, 0.0), 0.0, 1.0)[:, None]
    p, q = a + s1 * d, a + s2 * d

    def sector(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        ang = np.arctan2(u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0], (u * v).sum(axis=1))
        return 0.5 * rr**2 * ang

    near = sector(a, p) + 0.5 * (p[:, 0] * q[:, 1] - p[:, 1] * q[:, 0]) + sector(q, b)
    n = len(xy)
    winding = shapely.contains_xy(extent, xy[:, 0], xy[:, 1]).astype(float)
    area = np.bincount(c_idx, weights=near, minlength=n) + 0.5 * r**2 * (
        2 * np.pi * winding - np.bincount(c_idx, weights=theta, minlength=n)
    )
    # a centre on an edge or a vertex: the angle of that edge is ±π or undefined
    scale = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    on_edge = np.unique(c_idx[(np.abs(cross) <= 1e-12 * np.maximum(scale, 1e-300)) & (dot <= 0)])
    if len(on_edge):
        discs = shapely.buffer(shapely.points(xy[on_edge]), r[on_edge], quad_segs=QUAD_SEGS)
        inside_share = shapely.area(shapely.intersection(discs, extent)) / shapely.area(discs)
        area[on_edge] = inside_share * np.pi * r[on_edge] ** 2
    return area


def _polygons(geom: BaseGeometry) -> np.ndarray:
    """The polygons of a geometry (its lines and points, which have no area, left out)."""
    parts = shapely.get_parts(geom)
    while (shapely.get_type_id(parts) == 7).any():  # nested collections
        parts = shapely.get_parts(parts)
    return parts[shapely.get_type_id(parts) == 3]


def incidents_within(cameras: gpd.GeoDataFrame, crime: gpd.GeoDataFrame, radius_m: float) -> np.ndarray:
    """The number of incidents within ``radius_m`` of each camera: ``#{j : |c_i - p_j| <= r}`` (NaN for a camera
    without a point).

    Counted with a k-d tree (scipy's ``cKDTree.query_ball_point`` with ``return_length``), which returns the
    counts without listing the pairs: a million incidents around a few thousand cameras are millions of pairs,
    which a spatial index query would hold in memory. These are the incidents in the data; where the disc leaves
    the area the data covers, :func:`need_nearby` censors or corrects them.

    Examples
    --------
    >>> cams = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 1000], [0, 0]), crs=3857)
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 100, 150, 151, 1000], [0] * 5), crs=3857)
    >>> incidents_within(cams, pts, 150).tolist()
    [3.0, 1.0]
    """
    geoms = cameras.geometry.to_numpy()
    out = np.full(len(cameras), np.nan)
    located = _located(geoms)
    if not located.any():
        return out
    out[located] = 0.0
    if not len(crime):
        return out
    tree = cKDTree(shapely.get_coordinates(crime.geometry.to_numpy()))
    out[located] = tree.query_ball_point(shapely.get_coordinates(geoms[located]), radius_m, return_length=True)
    return out


def residents_within(
    cameras: gpd.GeoDataFrame, residents: gpd.GeoDataFrame, radius_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """The residents within ``radius_m`` of each camera by area, and the share of the disc that the population
    data covers.

    With ``D`` the disc and ``S_j`` the polygons whose population ``P_j`` is known (people spread evenly over
    each polygon)::

        R = Σ_j P_j |D ∩ S_j| / |S_j|        c = min(1, Σ_j |D ∩ S_j| / |D|)

    The polygons are taken not to overlap (as the units and a population layer do). Found with an STRtree of
    the polygons: only the (disc, polygon) pairs that intersect are intersected. NaN for a camera without a
    point.

    Parameters
    ----------
    cameras : geopandas.GeoDataFrame
        Camera points (metric CRS).
    residents : geopandas.GeoDataFrame
        Polygons with a ``population`` column (NaN where unknown), in the same CRS.
    radius_m : float
        The disc's radius.

    Examples
    --------
    >>> from shapely import box
    >>> polys = gpd.GeoDataFrame({"population": [1000.0, np.nan]}, geometry=[box(0, 0, 1000, 1000),
    ...     box(1000, 0, 2000, 1000)], crs=3857)
    >>> cams = gpd.GeoDataFrame(geometry=gpd.points_from_xy([500, 1000], [500, 500]), crs=3857)
    >>> r, c = residents_within(cams, polys, 100.0)
    >>> r.round(1).tolist(), c.round(3).tolist()
    ([31.4, 15.7], [1.0, 0.5])
    """
    pts = cameras.geometry.to_numpy()
    located = np.flatnonzero(_located(pts))
    people = np.full(len(pts), np.nan)
    share = np.full(len(pts), np.nan)
    pop = residents["population"].to_numpy(dtype=float)
    polys = residents.geometry.to_numpy()
    keep = np.isfinite(pop) & _located(polys)
    polys, pop = polys[keep], pop[keep]
    areas = shapely.area(polys)
    polys, pop, areas = polys[areas > 0], pop[areas > 0], areas[areas > 0]
    if not len(located):
        return people, share
    xy = shapely.get_coordinates(pts[located])
    places, place_of = np.unique(xy, axis=0, return_inverse=True)
    discs = shapely.buffer(shapely.points(places), radius_m, quad_segs=QUAD_SEGS)
    total = np.zeros(len(discs))
    covered = np.zeros(len(discs))
    if len(polys):
        d_idx, p_idx = shapely.STRtree(polys).query(discs, predicate="intersects")
        overlap = shapely.area(shapely.intersection(discs[d_idx], polys[p_idx]))
        total = np.bincount(d_idx, weights=pop[p_idx] * overlap / areas[p_idx], minlength=len(discs))
        covered = np.bincount(d_idx, weights=overlap, minlength=len(discs))
    place_of = np.ravel(place_of)
    people[located] = total[place_of]
    covered_share = covered / shapely.area(discs)
    # a disc inside the polygons is covered whole, whatever the rounding of the sum of its pieces
    covered_share[covered_share > 1 - 1e-9] = 1.0
    share[located] = covered_share[place_of]
    return people, share


def nearest_other(cameras: gpd.GeoDataFrame) -> np.ndarray:
    """The distance from each camera to the nearest other camera at another place, in metres (NaN with fewer
    than two places): cameras on the same point (several cameras on one pole) do not count as each other's
    neighbours.

    Found with a k-d tree (scipy's ``cKDTree``) over the distinct places: the two nearest places of each place
    are itself and its nearest other place, and each camera takes its place's distance. Cameras that share a
    point are one place, so that many cameras on one point cost no more than one (counting them instead made
    100,000 cameras on one point take 33 s). shapely's ``STRtree.query_nearest`` answers the same question
    (with ``exclusive=True``) about fifteen times slower.

    Examples
    --------
    >>> cams = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 0, 30, 100], [0, 0, 40, 0]), crs=3857)
    >>> nearest_other(cams).tolist()
    [50.0, 50.0, 50.0, 80.62257748298549]
    """
    geoms = cameras.geometry.to_numpy()
    located = np.flatnonzero(_located(geoms))  # the others stay NaN
    out = np.full(len(cameras), np.nan)
    n = len(located)
    if n < 2:
        return out
    xy = shapely.get_coordinates(geoms[located])
    places, place_of = np.unique(xy, axis=0, return_inverse=True)
    if len(places) < 2:  # every camera on one point: no other place
        return out
    dist, _ = cKDTree(places).query(places, k=2)
    found = dist[:, 1][np.ravel(place_of)]
    out[located] = found
    return out


def isolation(cameras: gpd.GeoDataFrame, camera_extent: BaseGeometry | None, min_covered_share: float) -> pd.DataFrame:
    """The isolation of each camera, censored where the camera data may not cover the disc it rests on.

    ``d`` (``nearest_camera_m``) is :func:`nearest_other`; ``c_d`` (``nearest_disc_covered_share``) the share
    of the disc of radius ``d`` inside ``camera_extent``; ``d' = d √c_d`` (``nearest_camera_effective_m``) the
    radius of a whole disc with the same area known to be empty of cameras, NaN when ``c_d < min_covered_share``
    (a camera outside the data's area, or one whose disc lies mostly outside it: a nearer camera may stand where
    the data does not reach).

    Examples
    --------
    >>> from shapely import box
    >>> cams = gpd.GeoDataFrame(geometry=gpd.points_from_xy([500, 700, 0, 3000], [500, 500, 100, 100]), crs=3857)
    >>> iso = isolation(cams, box(0, 0, 1000, 1000), 0.5)
    >>> iso["nearest_camera_effective_m"].round(1).tolist()
    [200.0, 200.0, nan, nan]
    """
    d = nearest_other(cameras)
    c = disc_covered_share(cameras.geometry.to_numpy(), d, camera_extent)
    effective = np.where(c >= min_covered_share, d * np.sqrt(c), np.nan)
    return pd.DataFrame(
        {"nearest_camera_m": d, "nearest_disc_covered_share": c, "nearest_camera_effective_m": effective},
        index=cameras.index,
    )


def need_nearby(
    cameras: gpd.GeoDataFrame,
    crime: gpd.GeoDataFrame | None,
    *,
    residents: gpd.GeoDataFrame | None = None,
    crime_extent: BaseGeometry | None = None,
    radius_m: float,
    min_covered_share: float,
) -> pd.DataFrame:
    """What need_score ranks: the incidents (or, without crime data, the residents) within ``radius_m`` of each
    camera, censored or corrected where the disc leaves the area the data covers.

    With crime data: ``incidents_nearby`` ``k`` (:func:`incidents_within`, of the incidents inside
    ``crime_extent``, so that ``k`` and ``c`` are of the same area), ``need_disc_covered_share`` ``c`` (the share
    of the disc inside ``crime_extent``; 1 when it is None) and ``incidents_nearby_corrected`` ``k / c``.
    Without: ``residents_nearby`` ``R`` and ``c`` from :func:`residents_within`, and ``residents_nearby_corrected``
    ``R / c``. Where ``c < min_covered_share`` the count and its correction are
    NaN (unknown, never 0). ``need_basis`` names what was counted (``unknown`` with neither data, or population
    polygons none of which has a known population).
    """
    n = len(cameras)
    out = pd.DataFrame(
        {
            "incidents_nearby": np.full(n, np.nan),
            "incidents_nearby_corrected": np.full(n, np.nan),
            "residents_nearby": np.full(n, np.nan),
            "residents_nearby_corrected": np.full(n, np.nan),
            "need_disc_covered_share": np.full(n, np.nan),
            "need_basis": "unknown",
        },
        index=cameras.index,
    )
    if crime is not None and len(crime):
        if crime_extent is not None:  # the incidents the data covers: those outside its area are not counted
            shapely.prepare(crime_extent)
            crime = crime[shapely.intersects(crime_extent, crime.geometry.to_numpy())]
        count = incidents_within(cameras, crime, radius_m)
        share = disc_covered_share(cameras.geometry.to_numpy(), radius_m, crime_extent)
        raw, corrected = "incidents_nearby", "incidents_nearby_corrected"
        out["need_basis"] = f"incidents within {radius_m:g} m"
    elif residents is not None and np.isfinite(residents["population"].to_numpy(dtype=float)).any():
        count, share = residents_within(cameras, residents, radius_m)
        raw, corrected = "residents_nearby", "residents_nearby_corrected"
        out["need_basis"] = f"residents within {radius_m:g} m"
    else:
        return out
    known = share >= min_covered_share  # False for NaN
    out["need_disc_covered_share"] = share
    out[raw] = np.where(known, count, np.nan)
    if raw == "incidents_nearby":  # a count: written as a whole number, empty where unknown
        out[raw] = out[raw].round().astype("Int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out[corrected] = np.where(known, count / share, np.nan)
    return out


def anomaly_scores(
    cameras: gpd.GeoDataFrame,
    crime: gpd.GeoDataFrame | None,
    *,
    intrusion: pd.Series | None = None,
    residents: gpd.GeoDataFrame | None = None,
    crime_extent: BaseGeometry | None = None,
    camera_extent: BaseGeometry | None = None,
    settings: AnomalySettings | None = None,
    period: str | None = None,
    isolated: pd.DataFrame | None = None,
    explain: bool = True,
) -> pd.DataFrame:
    """Component scores, anomaly score, rank, flag and a one-sentence explanation per camera.

    Parameters
    ----------
    cameras : geopandas.GeoDataFrame
        One row per camera (metric CRS) with ``camera_id``.
    crime : geopandas.GeoDataFrame or None
        Incident points (same CRS), or None when there is no crime data.
    intrusion : pandas.Series, optional
        The largest intrusion score of each camera's views (aligned to ``cameras``; NaN where unknown).
    residents : geopandas.GeoDataFrame, optional
        Polygons with a ``population`` column (same CRS): the stand-in for need without crime data.
    crime_extent : shapely geometry, optional
        The area the crime data covers (the analysis gives the units' union); None: everywhere.
    camera_extent : shapely geometry, optional
        The area the camera data covers (the analysis gives the camera file's bounds, else the units' union);
        None: everywhere.
    period : str, optional
        The crime data's period in words ("2012-07-01 and 2012-12-31"), for the explanations.
    isolated : pandas.DataFrame, optional
        :func:`isolation` of the cameras, when it is known already (the same cameras and extent).
    explain : bool
        Write the explanations of the flagged cameras (default); off for the variants of
        :func:`flag_sensitivity`, which only read the flags.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``cameras``: the columns of :func:`isolation` and :func:`need_nearby`, ``isolation_score``,
        ``need_score``, ``intrusion_largest`` (``I``), ``intrusion_component``, ``anomaly_score``,
        ``anomaly_components``, ``anomaly_rank``, ``anomaly_flag`` and ``anomaly_explanation``.
    """
    a = settings or AnomalySettings()
    n = len(cameras)
    iso = isolation(cameras, camera_extent, a.min_covered_share) if isolated is None else isolated
    out = pd.DataFrame({col: iso[col].to_numpy() for col in ISOLATION_COLUMNS}, index=cameras.index)
    out["isolation_score"] = mid_rank(out["nearest_camera_effective_m"])
    need = need_nearby(
        cameras,
        crime,
        residents=residents,
        crime_extent=crime_extent,
        radius_m=a.radius_m,
        min_covered_share=a.min_covered_share,
    )
    for col in need.columns:
        out[col] = need[col].to_numpy()
    basis = "incidents_nearby_corrected" if crime is not None and len(crime) else "residents_nearby_corrected"
    out["need_score"] = mid_rank(out[basis], descending=True)
    out["intrusion_largest"] = intrusion.to_numpy(float) if intrusion is not None else np.full(n, np.nan)
    out["intrusion_component"] = mid_rank(out["intrusion_largest"])
    comps = out[["isolation_score", "need_score", "intrusion_component"]]
    known = comps.notna().sum(axis=1)
    out["anomaly_score"] = comps.mean(axis=1, skipna=True).where(known >= a.min_components)
    out["anomaly_components"] = known
    out["anomaly_rank"] = out["anomaly_score"].rank(ascending=False, method="min").astype("Int64")
    out["anomaly_flag"] = (out["anomaly_score"] >= a.flag_score).to_numpy(bool)
    explanation = np.full(n, None, dtype=object)
    flagged = np.flatnonzero(out["anomaly_flag"].to_numpy(bool)) if explain else np.zeros(0, int)
    # one sentence per flagged camera only (walking the rows of a frame is slow)
    explanation[flagged] = [_explain(row, a, period) for _, row in out.iloc[flagged].iterrows()]
    out["anomaly_explanation"] = explanation
    return out


def _known(x: object) -> bool:
    return bool(pd.notna(x))


def _percent(share: float) -> str:
    """A share of a disc in percent, never rounded up to 100 (a disc 99.97 % inside the data is not whole):
    whole percent below 99, else one decimal rounded down."""
    p = 100 * share
    return f"{p:.0f}%" if p < 99 else f"{min(np.floor(10 * p) / 10, 99.9):.1f}%"


def _explain(row: pd.Series, a: AnomalySettings, period: str | None) -> str:
    """One sentence about the camera's own surroundings: its known components, in the order of the score. A
    count or distance on a disc that leaves the data's area says how much of the disc the data covers."""
    parts = []
    d, cd = row["nearest_camera_m"], row["nearest_disc_covered_share"]
    if _known(row["isolation_score"]):
        if cd >= 1:
            near = f"nearest other camera {d:.0f} m away"
            parts.append(f"no other camera within {a.lonely_m:g} m" if d >= a.lonely_m else near)
        else:
            parts.append(
                f"nearest other camera {d:.0f} m away, with {_percent(cd)} of the disc of that radius in the area "
                "the camera data covers"
            )
    c = row["need_disc_covered_share"]
    if _known(row["need_score"]) and _known(row["incidents_nearby"]):
        k = row["incidents_nearby"]
        when = f" between {period}" if period else ""
        part = f"{k:.0f} incident{'s' if k != 1 else ''} within {a.radius_m:g} m{when}"
        if c < 1:
            part += f", on the {_percent(c)} of that disc in the area the crime data covers"
        parts.append(part)
    elif _known(row["need_score"]) and _known(row["residents_nearby"]):
        r = row["residents_nearby_corrected"]
        part = f"about {r:.0f} resident{'s' if f'{r:.0f}' != '1' else ''} within {a.radius_m:g} m"
        if c < 1:
            part += f" (at the density of the {_percent(c)} of that disc with population data)"
        parts.append(part)
    if _known(row["intrusion_component"]):
        i = row["intrusion_largest"]
        parts.append(f"{100 * i:.0f}% of the private and public land in its view is homes and their yards")
    return "; ".join(parts)


def flag_variants(settings: AnomalySettings) -> list[AnomalySettings]:
    """The thresholds under which a flag must also hold to be robust, in this order: half the radius, twice
    the radius, and a flag score 0.05 higher (at most 1; a lower one would only add flags).

    Examples
    --------
    >>> [(v.radius_m, round(v.flag_score, 2)) for v in flag_variants(AnomalySettings())]
    [(75.0, 0.9), (300.0, 0.9), (150.0, 0.95)]
    """
    b = settings
    return [
        dataclasses.replace(b, radius_m=b.radius_m / 2),
        dataclasses.replace(b, radius_m=b.radius_m * 2),
        dataclasses.replace(b, flag_score=min(1.0, b.flag_score + 0.05)),
    ]


def flag_sensitivity(
    cameras: gpd.GeoDataFrame, crime: gpd.GeoDataFrame | None, base: pd.DataFrame, **kwargs: object
) -> pd.Series:
    """Whether each flag survives plausible changes of the thresholds: half and twice the radius, and a flag
    score 0.05 higher. ``robust`` when flagged under all of them, ``fragile`` when flagged in the baseline but
    not under one of them; None for cameras not flagged.

    ``kwargs`` are those of :func:`anomaly_scores` (its ``settings`` the baseline's). The variants reuse the
    baseline's isolation (the same cameras: the same neighbours); a variant with the baseline's radius reuses
    its scores and only moves the threshold.
    """
    b = kwargs.pop("settings", None) or AnomalySettings()
    assert isinstance(b, AnomalySettings)
    survive = base["anomaly_flag"].to_numpy(bool).copy()
    isolated = base[list(ISOLATION_COLUMNS)]
    for v in flag_variants(b):
        if v.radius_m == b.radius_m:
            survive &= (base["anomaly_score"] >= v.flag_score).to_numpy(bool)
            continue
        scores = anomaly_scores(cameras, crime, settings=v, isolated=isolated, explain=False, **kwargs)  # type: ignore[arg-type]
        survive &= scores["anomaly_flag"].to_numpy(bool)
    flagged = base["anomaly_flag"].to_numpy(bool)
    out = pd.Series(None, index=base.index, dtype=object)
    out[flagged] = np.where(survive[flagged], "robust", "fragile")
    return out
