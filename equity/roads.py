r"""Licence-plate readers on the street graph: which segment and travel direction each reads, the share of each
unit's road length that is logged, and whether a unit is cordoned (every road into it logged).

A licence-plate reader (``surveillance:type=ALPR``) does not watch an area: it logs every vehicle that passes it on
one carriageway. What it does to a neighbourhood is measured on the roads, in three steps.

**1. Matching** (:func:`match_readers`). Each reader's view is matched to a street segment of the graph
(:mod:`equity.network`: segments from one intersection to the next). The candidates are the segments within
``Settings.alpr_match_m`` (30 m: a reader stands at the kerb or on a pole over the carriageway; 30 m takes a
reader mapped on the far side of a wide avenue, and no more). A reader looks along the road it reads, so with a
tagged direction θ (``direction`` or ``camera:direction``, degrees clockwise from north) only segments whose axis
at the nearest point is within ``Settings.alpr_match_angle_deg`` (45°) of the reader's axis count,

.. math:: \alpha = \left| ((\theta - \beta + 90) \bmod 180) - 90 \right| \le 45°,

with β the segment's bearing there (both in grid bearings); the nearest of them is the match. A reader without a
direction is matched to the nearest segment. Readers that find no segment are listed with the reason (rejected.csv).

**2. The direction read.** A reader faces traffic: with ``Settings.alpr_reads = "approaching"`` (the default) it
reads the front plates of vehicles coming towards it, that is vehicles travelling at bearing θ + 180°; with
``"receding"`` it reads the rear plates of vehicles moving away, travelling at θ. The segment from its node ``u``
to ``v`` runs at β; the reader logs travel from ``u`` to ``v`` when cos(t − β) > 0 for the travel bearing t, else
from ``v`` to ``u``. Which convention a reader follows depends on how it is mounted (many fixed readers are aimed
at rear plates); the report says which was used, and the roads logged in at least one direction do not depend on
it. A reader without a direction logs both directions of its segment (a reader mapped without a direction may
face either way; counting it as logging both is the upper bound, and it is counted in the ledger).

A vehicle that travels a segment from end to end passes every point of it, so a reader anywhere on a segment logs
every vehicle that travels the whole segment in the direction it reads: the segment is **logged** in that direction.

**3. Per unit** (:func:`roads_by_unit`, :func:`cordons`). The road length of a unit is the length of the
segments a car may use (:meth:`equity.network.StreetNetwork.usable`) inside it;
``roads_logged_share = L_logged / L`` with ``L_logged`` the part of it on segments logged in at least one
direction. Weighted by road class (:data:`CLASS_WEIGHTS`, where the layer has classes)
``Σ w_c L_logged,c / Σ w_c L_c``. The **entrances** of a unit are the segments with one end inside it and the other
not: a node is inside when it lies inside the unit shrunk by ``Settings.cordon_tolerance_m`` (15 m), so that the
intersections of a boundary street (neighbourhood boundaries follow street centre lines) are on the boundary, not
inside. A car enters the unit on an entrance travelling from its outer end to its inner end: the entrance is
logged inward when a reader on the segment logs that direction (``entrances_logged``), outward when one logs the
other (``exits_logged``). A unit is **cordoned** when it has entrances and every one is logged inward: no car can
enter it by road without being logged. A unit without entrances has no answer (missing, not no). Segments that
pass through a unit without an end inside it (a road clipping a corner) are no entrance: a car on them reaches no
street inside.

One-way streets (where the layer says so: ``oneway`` of :func:`equity.io.streets.oneway_of`): a reader on a
one-way segment logs the one direction its traffic travels, whichever way it faces; a crossing that only leads
out of a unit is no entrance (``entrances`` counts the crossings a car may travel inward; ``exits_logged`` those a
car may travel outward and a reader logs so).

Limits: the bundled San Francisco layer carries no ``oneway`` tag, so there every segment counts in both
directions; a layer noded by geometry joins bridges to the streets below (:mod:`equity.network`); an OSM file's
motorways and their links are not read as streets (:data:`equity.io.streets.STREET_HIGHWAYS`), so a freeway ramp
is no entrance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from equity.network import StreetNetwork, bearing_at
from equity.projection import grid_north_offset, require_metric
from equity.settings import Settings

#: Weight of each OpenStreetMap ``highway`` class in ``roads_logged_share_by_class``: an ordinal scale of how much
#: traffic a road of the class carries (a primary road carries several times a residential street's), set by
#: hand, not measured. Classes not listed weigh 1 and are counted (``roads_class_without_weight_m``).
CLASS_WEIGHTS: dict[str, float] = {
    "motorway": 8.0,
    "motorway_link": 4.0,
    "trunk": 6.0,
    "trunk_link": 3.0,
    "primary": 4.0,
    "primary_link": 2.0,
    "secondary": 3.0,
    "secondary_link": 1.5,
    "tertiary": 2.0,
    "tertiary_link": 1.0,
    "unclassified": 1.0,
    "residential": 1.0,
    "living_street": 0.5,
    "road": 1.0,
    "service": 0.5,
    "track": 0.25,
}

#: Columns of the units table this module adds, in the order they are written.
UNIT_COLUMNS = (
    "road_m",
    "roads_logged_m",
    "roads_logged_share",
    "roads_logged_share_by_class",
    "entrances",
    "entrances_logged",
    "exits_logged",
    "cordoned",
)

#: Columns of the matched readers' table.
READER_COLUMNS = [
    "view_id",
    "camera_id",
    "edge_id",
    "distance_m",
    "angle_deg",
    "reads",
    "logs_forward",
    "logs_backward",
]


@dataclass
class RoadFindings:
    """What the plate-reader analysis of a study found, for the report, the map and the command line.

    Attributes
    ----------
    readers : geopandas.GeoDataFrame
        One row per matched reader view (:data:`READER_COLUMNS`), at the reader's point.
    unmatched : pandas.DataFrame
        The reader views that were not matched, with ``source``, ``record``, ``reason``, ``value``.
    segments : geopandas.GeoDataFrame
        The logged segments: ``edge_id``, ``length_m``, ``road_class``, ``logged_forward``, ``logged_backward``
        and ``heading_deg``, the true bearing of travel forward (:func:`segment_headings`; backward is + 180°).
    crossings : geopandas.GeoDataFrame
        Every road crossing of every unit's boundary: ``unit_id``, ``edge_id``, ``inward`` and ``outward`` (the
        directions a car may travel it), ``logged_in``, ``logged_out`` and the point where the segment meets the
        unit's boundary.
    cordoned : list of str
        The ids of the cordoned units.
    classed : bool
        Whether the street layer has road classes (else ``roads_logged_share_by_class`` is missing).
    reads : str
        ``Settings.alpr_reads`` of the analysis.
    road_m, roads_logged_m : float
        Road length in all the units, and the part of it logged (sums of the units' ``road_m`` and
        ``roads_logged_m``); ``roads_logged_m / road_m`` is the city's share of road length logged.
    entrances, entrances_logged : int
        Entrances of all the units, and those logged inward (sums of the units' columns; a segment between two
        units is an entrance of each).
    """

    readers: gpd.GeoDataFrame
    unmatched: pd.DataFrame
    segments: gpd.GeoDataFrame
    crossings: gpd.GeoDataFrame
    cordoned: list[str] = field(default_factory=list)
    classed: bool = False
    reads: str = "approaching"
    road_m: float = 0.0
    roads_logged_m: float = 0.0
    entrances: int = 0
    entrances_logged: int = 0

    @property
    def logged_share(self) -> float:
        """The study area's share of road length logged in at least one direction (NaN without roads)."""
        return self.roads_logged_m / self.road_m if self.road_m > 0 else float("nan")

    @property
    def unlogged(self) -> gpd.GeoDataFrame:
        """The entrances (crossings a car may travel inward) that are not logged inward."""
        c = self.crossings
        return c[c["inward"].astype(bool) & ~c["logged_in"].astype(bool)]


def match_readers(
    views: gpd.GeoDataFrame, network: StreetNetwork, settings: Settings | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Match every plate-reader view to the street segment and travel direction it reads (see the module).

    Parameters
    ----------
    views : geopandas.GeoDataFrame
        Camera views (:func:`equity.cameras.normalise_cameras`) in the network's metric CRS; only ``kind ==
        "ALPR"`` rows are read.
    network : StreetNetwork
        The street graph.
    settings : Settings, optional
        ``alpr_match_m``, ``alpr_match_angle_deg`` and ``alpr_reads``.

    Returns
    -------
    readers : pandas.DataFrame
        :data:`READER_COLUMNS`, one row per matched view, indexed like ``views``. ``reads`` is ``forward``
        (travel from the segment's ``u`` to ``v``), ``backward`` or ``both``.
    unmatched : pandas.DataFrame
        ``source`` (``cameras``), ``record`` (the view id), ``reason`` and ``value``, one row per view not matched.
    """
    s = settings or Settings()
    require_metric(views, "camera layer")
    alpr = views[views["kind"] == "ALPR"]
    unmatched: list[tuple[str, str, str, str]] = []
    excluded = alpr["excluded_reason"].fillna("").astype(str)
    no_dir = excluded.str.startswith("direction unknown")
    other = (excluded != "") & ~no_dir
    for vid, why in zip(alpr.index[other], excluded[other], strict=True):
        unmatched.append(("cameras", str(vid), f"plate reader not counted: {why}", ""))
    alpr = alpr[~other.to_numpy()]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in READER_COLUMNS})
    if alpr.empty:
        return empty, pd.DataFrame(unmatched, columns=["source", "record", "reason", "value"])

    points = alpr.geometry.to_numpy()
    direction = pd.to_numeric(alpr["direction_deg"]).to_numpy(float) + grid_north_offset(alpr.geometry)
    lines = network.edges.geometry.to_numpy()
    drivable = network.usable("drive")
    view_i, edge_i = network.edges.sindex.query(points, predicate="dwithin", distance=s.alpr_match_m)
    keep = drivable[edge_i]
    view_i, edge_i = view_i[keep], edge_i[keep]
    dist = shapely.distance(points[view_i], lines[edge_i])
    along = shapely.line_locate_point(lines[edge_i], points[view_i])
    beta = bearing_at(lines[edge_i], along)
    theta = direction[view_i]
    angle = np.abs(((theta - beta + 90.0) % 180.0) - 90.0)
    has_dir = ~np.isnan(theta)
    ok = ~has_dir | (angle <= s.alpr_match_angle_deg)
    cand = pd.DataFrame({"view": view_i, "edge": edge_i, "dist": dist, "angle": angle, "beta": beta, "ok": ok})
    best = cand[cand["ok"]].sort_values(["view", "dist", "edge"]).drop_duplicates("view")
    nearest_any = cand.sort_values(["view", "dist", "edge"]).drop_duplicates("view").set_index("view")
    matched = set(best["view"].tolist())
    for i, vid in enumerate(alpr.index):
        if i in matched:
            continue
        if i in nearest_any.index:
            r = nearest_any.loc[i]
            why = (
                f"plate reader: no road segment within {s.alpr_match_m:g} m runs along its direction (within "
                f"{s.alpr_match_angle_deg:g}°)"
            )
            value = f"nearest segment {r['dist']:.0f} m away at {r['angle']:.0f}° to the reader's direction"
        else:
            why, value = f"plate reader: no road segment within {s.alpr_match_m:g} m", ""
        unmatched.append(("cameras", str(vid), why, value))
    if best.empty:
        return empty, pd.DataFrame(unmatched, columns=["source", "record", "reason", "value"])
    bv = best["view"].to_numpy()
    travel = theta[best.index.to_numpy()] + (180.0 if s.alpr_reads == "approaching" else 0.0)
    forward = np.cos(np.radians(travel - best["beta"].to_numpy())) > 0
    both = np.isnan(travel)
    # on a one-way segment the traffic goes one way: that is the direction logged, whichever way the reader faces
    one = network.edges["oneway"].to_numpy()[best["edge"].to_numpy()]
    forward = np.where(one == 1, True, np.where(one == -1, False, forward))
    both = both & (one == 0)
    reads = np.where(both, "both", np.where(forward, "forward", "backward"))
    readers = pd.DataFrame(
        {
            "view_id": alpr.index[bv].astype(str),
            "camera_id": alpr["camera_id"].to_numpy()[bv].astype(str),
            "edge_id": network.edges["edge_id"].to_numpy()[best["edge"].to_numpy()],
            "distance_m": best["dist"].to_numpy(),
            "angle_deg": np.where(has_dir[best.index.to_numpy()], best["angle"].to_numpy(), np.nan),
            "reads": reads,
            "logs_forward": both | forward,
            "logs_backward": both | ~forward,
        },
        index=alpr.index[bv],
    )
    unmatched_frame = pd.DataFrame(unmatched, columns=["source", "record", "reason", "value"])
    return readers, unmatched_frame


def logged_directions(network: StreetNetwork, readers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each segment, whether it is logged from ``u`` to ``v`` (forward) and from ``v`` to ``u`` (backward)."""
    n = len(network.edges)
    fwd, bwd = np.zeros(n, bool), np.zeros(n, bool)
    if len(readers):
        e = readers["edge_id"].to_numpy(np.int64)
        fwd[e[readers["logs_forward"].to_numpy(bool)]] = True
        bwd[e[readers["logs_backward"].to_numpy(bool)]] = True
    return fwd, bwd


def roads_by_unit(
    network: StreetNetwork, readers: pd.DataFrame, units: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Each unit's road length, the part logged in at least one direction, and its shares (see the module).

    Returns
    -------
    table : pandas.DataFrame
        ``road_m``, ``roads_logged_m``, ``roads_logged_share`` (missing where ``road_m`` is 0) and
        ``roads_logged_share_by_class`` (missing without classes), indexed like ``units``.
    counts : dict
        ``roads_class_without_weight_m``: road length whose class has no weight in :data:`CLASS_WEIGHTS`.
    """
    require_metric(units, "unit layer")
    fwd, bwd = logged_directions(network, readers)
    logged = fwd | bwd
    usable = np.flatnonzero(network.usable("drive"))
    lines = network.edges.geometry.to_numpy()[usable]
    unit_i, k = shapely.STRtree(lines).query(units.geometry.to_numpy(), predicate="intersects")
    inside = shapely.length(shapely.intersection(lines[k], units.geometry.to_numpy()[unit_i]))
    edge = usable[k]
    cls = network.edges["road_class"].to_numpy()[edge]
    weight = np.array([CLASS_WEIGHTS.get(str(c), 1.0) if c is not None else 1.0 for c in cls])
    no_weight = np.array([c is not None and str(c) not in CLASS_WEIGHTS for c in cls], dtype=bool)
    n = len(units)
    road = np.bincount(unit_i, inside, minlength=n)
    road_logged = np.bincount(unit_i, inside * logged[edge], minlength=n)
    w_road = np.bincount(unit_i, inside * weight, minlength=n)
    w_logged = np.bincount(unit_i, inside * weight * logged[edge], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(road > 0, road_logged / road, np.nan)
        by_class = np.where(w_road > 0, w_logged / w_road, np.nan) if network.classed else np.full(n, np.nan)
    table = pd.DataFrame(
        {
            "road_m": road,
            "roads_logged_m": road_logged,
            "roads_logged_share": share,
            "roads_logged_share_by_class": by_class,
        },
        index=units.index,
    )
    return table, {"roads_class_without_weight_m": round(float(inside[no_weight].sum()), 1)}


def cordons(
    network: StreetNetwork, readers: pd.DataFrame, units: gpd.GeoDataFrame, settings: Settings | None = None
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Each unit's entrances, how many are logged inward and outward, and whether it is cordoned (see the module).

    Parameters
    ----------
    network, readers
        The street graph and the matched readers (:func:`match_readers`).
    units : geopandas.GeoDataFrame
        The units, with ``unit_id``, in the network's CRS.
    settings : Settings, optional
        ``cordon_tolerance_m``.

    Returns
    -------
    table : pandas.DataFrame
        ``entrances``, ``entrances_logged``, ``exits_logged`` (counts) and ``cordoned`` (True, False, or missing
        for a unit without entrances), indexed like ``units``.
    crossings : geopandas.GeoDataFrame
        One row per crossing (a segment with one end inside): ``unit_id``, ``edge_id``, ``outer_node``,
        ``inner_node``, ``inward`` and ``outward`` (allowed to cars: a one-way segment allows one),
        ``logged_in``, ``logged_out``, at the point where the segment meets the unit's shrunk boundary.
    """
    s = settings or Settings()
    require_metric(units, "unit layer")
    fwd, bwd = logged_directions(network, readers)
    usable = network.usable("drive")
    u_all, v_all = network.edges["u"].to_numpy(), network.edges["v"].to_numpy()
    shrunk = shapely.buffer(units.geometry.to_numpy(), -s.cordon_tolerance_m)
    node_pts = network.nodes.geometry.to_numpy()
    unit_i, node_i = shapely.STRtree(node_pts).query(shrunk, predicate="contains")
    rows = []
    lines = network.edges.geometry.to_numpy()
    node_units: dict[int, set[int]] = {}
    for un, nd in zip(unit_i, node_i, strict=True):
        node_units.setdefault(int(nd), set()).add(int(un))
    # a segment is an entrance of a unit when exactly one of its ends is inside it
    one = network.edges["oneway"].to_numpy()
    cand = np.flatnonzero(usable)
    for e in cand:
        a, b = int(u_all[e]), int(v_all[e])
        ua, ub = node_units.get(a, set()), node_units.get(b, set())
        for un in ua ^ ub:
            inner, outer = (a, b) if un in ua else (b, a)
            # inward travel runs from the outer end to the inner end: forward when the outer end is u
            logged_in = bool(fwd[e]) if outer == a else bool(bwd[e])
            logged_out = bool(bwd[e]) if outer == a else bool(fwd[e])
            inward = one[e] == 0 or (one[e] == 1) == (outer == a)  # a one-way segment allows one of the two
            rows.append((un, int(e), outer, inner, inward, not inward or one[e] == 0, logged_in, logged_out))
    columns = ["unit", "edge_id", "outer_node", "inner_node", "inward", "outward", "logged_in", "logged_out"]
    cross = pd.DataFrame(rows, columns=columns)
    cross = cross.sort_values(["unit", "edge_id"], kind="stable").reset_index(drop=True)
    n = len(units)
    unit_of = cross["unit"].to_numpy(np.int64)
    inward, outward = cross["inward"].to_numpy(bool), cross["outward"].to_numpy(bool)
    entrances = np.bincount(unit_of, inward.astype(float), minlength=n)
    logged_in = np.bincount(unit_of, (inward & cross["logged_in"].to_numpy(bool)).astype(float), minlength=n)
    logged_out = np.bincount(unit_of, (outward & cross["logged_out"].to_numpy(bool)).astype(float), minlength=n)
    cordoned = pd.array(
        [bool(li == en) if en > 0 else pd.NA for en, li in zip(entrances, logged_in, strict=True)], dtype="boolean"
    )
    table = pd.DataFrame(
        {
            "entrances": entrances.astype(np.int64),
            "entrances_logged": logged_in.astype(np.int64),
            "exits_logged": logged_out.astype(np.int64),
            "cordoned": cordoned,
        },
        index=units.index,
    )
    boundary = shapely.boundary(shrunk)
    seg = lines[cross["edge_id"].to_numpy(np.int64)] if len(cross) else np.array([], dtype=object)
    where = shapely.intersection(seg, boundary[cross["unit"].to_numpy(np.int64)]) if len(cross) else seg
    fallback = node_pts[cross["outer_node"].to_numpy(np.int64)] if len(cross) else seg
    where = np.where(shapely.is_empty(where), fallback, where)
    points = shapely.point_on_surface(where) if len(cross) else where
    crossings = gpd.GeoDataFrame(
        {
            "unit_id": units["unit_id"].to_numpy()[cross["unit"].to_numpy(np.int64)] if len(cross) else [],
            **{c: cross[c].to_numpy() for c in columns[1:]},
        },
        geometry=gpd.GeoSeries(points, crs=units.crs).to_numpy(),
        crs=units.crs,
    )
    return table, crossings


def segment_headings(segments: gpd.GeoDataFrame) -> np.ndarray:
    """True bearing in degrees of each segment from its first point to its last (the direction ``u`` to ``v`` of
    :mod:`equity.network`): the grid bearing ``atan2(dx, dy)`` of the chord minus the meridian convergence at its
    middle (:func:`equity.projection.grid_north_offset`). A chord, not the road's course: a bent segment is
    given the direction it leads to overall."""
    if len(segments) == 0:
        return np.zeros(0)
    geoms = segments.geometry.to_numpy()
    a = shapely.get_coordinates(shapely.get_point(geoms, 0))
    b = shapely.get_coordinates(shapely.get_point(geoms, -1))
    grid = np.degrees(np.arctan2(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]))
    middle = gpd.GeoSeries(shapely.line_interpolate_point(geoms, 0.5, normalized=True), crs=segments.crs)
    return (grid - grid_north_offset(middle)) % 360.0


def road_findings(
    views: gpd.GeoDataFrame, network: StreetNetwork, units: gpd.GeoDataFrame, settings: Settings | None = None
) -> tuple[pd.DataFrame, RoadFindings, dict[str, Any]]:
    """The whole plate-reader analysis of a study: the units' columns (:data:`UNIT_COLUMNS`), the findings and the
    counts for the ledger."""
    s = settings or Settings()
    readers, unmatched = match_readers(views, network, s)
    roads, counts = roads_by_unit(network, readers, units)
    gates, crossings = cordons(network, readers, units, s)
    table = roads.join(gates)[list(UNIT_COLUMNS)]
    fwd, bwd = logged_directions(network, readers)
    logged = fwd | bwd
    segments = network.edges.loc[logged, ["edge_id", "length_m", "road_class", "geometry"]].copy()
    segments["logged_forward"], segments["logged_backward"] = fwd[logged], bwd[logged]
    segments["heading_deg"] = segment_headings(gpd.GeoDataFrame(segments, geometry="geometry", crs=network.crs))
    reader_points = gpd.GeoDataFrame(
        readers, geometry=views.geometry.reindex(readers.index).to_numpy() if len(readers) else [], crs=views.crs
    )
    cordoned = units["unit_id"].astype(str)[table["cordoned"].fillna(False).to_numpy(bool)].tolist()
    findings = RoadFindings(
        readers=reader_points,
        unmatched=unmatched,
        segments=gpd.GeoDataFrame(segments, geometry="geometry", crs=network.crs),
        crossings=crossings,
        cordoned=cordoned,
        classed=network.classed,
        reads=s.alpr_reads,
        road_m=float(table["road_m"].sum()),
        roads_logged_m=float(table["roads_logged_m"].sum()),
        entrances=int(table["entrances"].sum()),
        entrances_logged=int(table["entrances_logged"].sum()),
    )
    counts.update(
        {
            "alpr_views_matched_to_roads": len(readers),
            "alpr_views_not_matched": len(unmatched),
            "alpr_views_without_direction_logging_both": int((readers["reads"] == "both").sum()) if len(readers) else 0,
            "alpr_reads": s.alpr_reads,
            "road_segments_logged": int(logged.sum()),
            "units_cordoned": len(cordoned),
            "units_without_road_entrances": int(table["cordoned"].isna().sum()),
            "network_noded_by_geometry": network.noded_by_geometry,
        }
    )
    return table, findings, counts
