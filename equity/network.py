"""The street graph: a line layer noded into segments from intersection to intersection.

The plate-reader analyses (:mod:`equity.roads`) and the trips (:mod:`equity.routes`) need the streets as a graph:
which segments meet where, and how long each is. A city's street layer is often not one: OpenStreetMap ways run
through intersections without being split there, and the San Francisco demo's 2015 layer has no tags at all. So
the graph is built from geometry, in two steps, both by shapely (GEOS):

1. **noding** (``shapely.node``): every line is cut where it touches or crosses another, so that two streets that
   cross share a vertex;
2. **merging** (``shapely.line_merge``): pieces that meet end to end at a point where only two pieces meet (a
   vertex of degree 2: where one way becomes the next, or where a driveway was cut off) are joined again.

The edges are then the **street segments**, each from one intersection (or dead end) to the next, and the nodes are
the intersections and dead ends. Every vehicle that travels a segment from end to end passes every point of it, which
is what makes a segment the unit of "logged" in :mod:`equity.roads`.

Noding by geometry joins streets that cross at different levels (a bridge over a street, a freeway over a
neighbourhood): the layer's geometry cannot tell them apart without ``layer`` or ``bridge`` tags. A graph of
such a layer has intersections that do not exist on the ground; the analyses say so (``network_noded_by_geometry``
in the ledger). A segment's class (``road_class``) is that of the source line under its midpoint.

A segment is one way for cars when the source line under its midpoint is (``oneway`` of
:func:`equity.io.streets.oneway_of`: the ``oneway`` tag, or a roundabout); pedestrians walk both ways.

The graph is held as two tables (edges and nodes) and turned into the sparse matrix of
``scipy.sparse.csgraph`` for routing (:meth:`StreetNetwork.matrix`) or into a ``networkx`` graph
(:meth:`StreetNetwork.to_networkx`), the reference the routes are checked against. momepy's ``gdf_to_nx`` and
``remove_false_nodes`` do the same two steps; shapely's vectorised calls do them for the 13,766 lines of the demo in
about 0.4 s without a further dependency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from equity._errors import InputFormatError
from equity.projection import require_metric

#: Coordinates of segment ends are matched to this many decimals of a metre (1 mm) to find the shared nodes.
NODE_DECIMALS = 3

#: ``highway`` values of OpenStreetMap a car may not drive on (the walk network keeps them; the drive network
#: leaves them out). Untagged segments are kept in both.
NOT_FOR_CARS = frozenset({"footway", "cycleway", "path", "steps", "pedestrian", "bridleway", "corridor"})

#: ``highway`` values where people do not walk (the walk network leaves them out).
NOT_FOR_WALKING = frozenset({"motorway", "motorway_link"})


@dataclass
class StreetNetwork:
    """A street graph in a metric CRS.

    Attributes
    ----------
    edges : geopandas.GeoDataFrame
        One row per street segment: ``edge_id`` (0..n-1, its position), ``u`` and ``v`` (its end nodes, in the
        direction its geometry runs), ``length_m``, ``road_class`` (None when the layer has no class), ``oneway``
        (1: cars travel only from ``u`` to ``v``; -1: only from ``v`` to ``u``; 0: both ways) and the line.
    nodes : geopandas.GeoDataFrame
        One row per node: ``node_id`` (0..m-1, its position), ``degree`` (segment ends meeting there) and the point.
    noded_by_geometry : bool
        Whether the segments were found by cutting lines where they cross (see the module's docstring).
    """

    edges: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame
    noded_by_geometry: bool = True

    @property
    def crs(self) -> Any:
        """The metric CRS of the graph."""
        return self.edges.crs

    @property
    def classed(self) -> bool:
        """Whether any segment has a road class."""
        return bool(self.edges["road_class"].notna().any())

    @property
    def has_oneway(self) -> bool:
        """Whether any segment is one way for cars."""
        return bool((self.edges["oneway"] != 0).any())

    def usable(self, mode: str) -> np.ndarray:
        """Which segments a trip of ``mode`` (``walk`` or ``drive``) may use: :data:`NOT_FOR_CARS` are left out of
        the drive network and :data:`NOT_FOR_WALKING` out of the walk network; untagged segments are in both."""
        cls = self.edges["road_class"].astype(object)
        banned = NOT_FOR_CARS if mode == "drive" else NOT_FOR_WALKING
        return ~cls.isin(banned).to_numpy() & (self.edges["u"] != self.edges["v"]).to_numpy()

    def matrix(
        self, weight: np.ndarray, usable: np.ndarray | None = None, *, oneway: bool = False
    ) -> tuple[Any, np.ndarray]:
        """The graph as a sparse matrix for ``scipy.sparse.csgraph``: both directions of every usable segment, or
        with ``oneway`` (cars) only the direction a one-way segment allows. Where two segments join the same two
        nodes in the same direction the one of least ``weight`` is kept.

        Returns
        -------
        matrix : scipy.sparse.csr_matrix
            ``M[a, b]`` the weight of the best segment from node ``a`` to node ``b`` (plus 1e-9, so that a
            segment of weight 0 stays an edge of the graph).
        edge_of : numpy.ndarray
            The ``edge_id`` behind each stored entry of the matrix, in the matrix's order (``M.data``).
        """
        from scipy.sparse import csr_matrix

        usable = np.ones(len(self.edges), bool) if usable is None else usable
        ids = np.flatnonzero(usable)
        u, v = self.edges["u"].to_numpy()[ids], self.edges["v"].to_numpy()[ids]
        w = np.asarray(weight, float)[ids]
        one = self.edges["oneway"].to_numpy()[ids] if oneway else np.zeros(len(ids), np.int64)
        fwd, bwd = one >= 0, one <= 0  # u -> v allowed, v -> u allowed
        a, b = np.concatenate([u[fwd], v[bwd]]), np.concatenate([v[fwd], u[bwd]])
        ww, ee = np.concatenate([w[fwd], w[bwd]]), np.concatenate([ids[fwd], ids[bwd]])
        order = np.lexsort((ww, b, a))  # by (a, b), the lightest first
        a, b, ww, ee = a[order], b[order], ww[order], ee[order]
        first = np.ones(len(a), bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        a, b, ww, ee = a[first], b[first], ww[first], ee[first]
        n = len(self.nodes)
        m = csr_matrix((ww + 1e-9, (a, b)), shape=(n, n))
        # csr_matrix keeps the (sorted, unique) entries in row-major order, the order of (a, b) above
        return m, ee

    def to_networkx(
        self, weight: np.ndarray | None = None, usable: np.ndarray | None = None, *, oneway: bool = False
    ) -> Any:
        """The graph as a ``networkx.DiGraph`` (the lightest of parallel segments; one-way segments one way with
        ``oneway``), edge attributes ``weight`` and ``edge_id``; for checking the routes against networkx."""
        import networkx as nx

        weight = self.edges["length_m"].to_numpy() if weight is None else np.asarray(weight, float)
        usable = np.ones(len(self.edges), bool) if usable is None else usable
        one = self.edges["oneway"].to_numpy() if oneway else np.zeros(len(self.edges), np.int64)
        g = nx.DiGraph()
        g.add_nodes_from(range(len(self.nodes)))
        order = np.argsort(-weight, kind="stable")  # heaviest first, so the lightest parallel segment is kept
        u, v = self.edges["u"].to_numpy(), self.edges["v"].to_numpy()
        for i in order:
            if not usable[i]:
                continue
            attrs = {"weight": float(weight[i]) + 1e-9, "edge_id": int(i)}
            if one[i] >= 0:
                g.add_edge(int(u[i]), int(v[i]), **attrs)
            if one[i] <= 0:
                g.add_edge(int(v[i]), int(u[i]), **attrs)
        return g


def network_from_lines(streets: gpd.GeoDataFrame | gpd.GeoSeries, *, class_column: str = "road_class") -> StreetNetwork:
    """Node a line layer into a :class:`StreetNetwork` (see the module's docstring).

    Parameters
    ----------
    streets : geopandas.GeoDataFrame or GeoSeries
        Street lines in a metric CRS (LineString or MultiLineString); other geometries are ignored.
    class_column : str
        The column holding each line's road class (``highway`` of OSM, ``CLASSCODE`` of a city's layer, ...),
        when there is one.

    Returns
    -------
    StreetNetwork
        Edges from intersection to intersection with their lengths (``length_m = ‖line‖``, metres).
    """
    require_metric(gpd.GeoDataFrame(geometry=streets.geometry), "street layer")
    geoms = streets.geometry.to_numpy()
    lines_mask = np.isin(shapely.get_type_id(geoms), (1, 5))  # LineString, MultiLineString
    parts = shapely.get_parts(geoms[lines_mask])
    parts = parts[~shapely.is_empty(parts) & (shapely.length(parts) > 0)]
    if len(parts) == 0:
        msg = "The street layer has no lines to make a street graph of."
        raise InputFormatError(msg)
    noded = shapely.line_merge(shapely.node(shapely.MultiLineString(list(parts))))
    # the source lines, one part each, whose attributes the segments take
    source = streets.explode(index_parts=False) if isinstance(streets, gpd.GeoDataFrame) else streets
    if isinstance(source, gpd.GeoDataFrame):
        source = source[shapely.get_type_id(source.geometry.to_numpy()) == 1]
    segments = shapely.get_parts(noded)
    segments = segments[shapely.length(segments) > 0]

    # nodes: the segments' ends, matched to the millimetre
    starts = shapely.get_coordinates(shapely.get_point(segments, 0))
    ends = shapely.get_coordinates(shapely.get_point(segments, -1))
    ends_xy = np.round(np.vstack([starts, ends]), NODE_DECIMALS)
    keys, inverse, degree = np.unique(ends_xy, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    n = len(segments)
    edges = gpd.GeoDataFrame(
        {
            "edge_id": np.arange(n, dtype=np.int64),
            "u": inverse[:n].astype(np.int64),
            "v": inverse[n:].astype(np.int64),
            "length_m": shapely.length(segments),
            "road_class": _classes_of(segments, source, class_column),
            "oneway": _oneway_of(segments, source),
        },
        geometry=segments,
        crs=streets.crs,
    )
    nodes = gpd.GeoDataFrame(
        {"node_id": np.arange(len(keys), dtype=np.int64), "degree": degree.astype(np.int64)},
        geometry=shapely.points(keys),
        crs=streets.crs,
    )
    return StreetNetwork(edges=edges, nodes=nodes)


def _classes_of(segments: np.ndarray, streets: gpd.GeoDataFrame | gpd.GeoSeries, column: str) -> pd.Series:
    """The road class of each segment: that of the source line nearest the segment's midpoint."""
    if not isinstance(streets, gpd.GeoDataFrame) or column not in streets or streets[column].isna().all():
        return pd.Series([None] * len(segments), dtype=object)
    mids = shapely.line_interpolate_point(segments, 0.5, normalized=True)
    tree = shapely.STRtree(streets.geometry.to_numpy())
    nearest = tree.query_nearest(mids, return_distance=False, all_matches=False)
    cls = np.full(len(segments), None, dtype=object)
    values = streets[column].astype(object).to_numpy()
    cls[nearest[0]] = values[nearest[1]]
    return pd.Series([None if (c is None or (isinstance(c, float) and np.isnan(c))) else str(c) for c in cls])


def _oneway_of(segments: np.ndarray, streets: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    """The one-way direction of each segment relative to its own drawing: that of the source line nearest its
    midpoint (``oneway`` 1 along the source's drawing, -1 against), turned to the segment's drawing by comparing
    the two lines' bearings there (noding and merging may reverse a piece)."""
    out = np.zeros(len(segments), np.int64)
    if not isinstance(streets, gpd.GeoDataFrame) or "oneway" not in streets:
        return out
    src_oneway = pd.to_numeric(streets["oneway"], errors="coerce").fillna(0).to_numpy(np.int64)
    if not src_oneway.any():
        return out
    src = streets.geometry.to_numpy()
    mids = shapely.line_interpolate_point(segments, 0.5, normalized=True)
    near = shapely.STRtree(src).query_nearest(mids, return_distance=False, all_matches=False)
    seg_i, src_i = near[0], near[1]
    one = src_oneway[src_i]
    todo = one != 0
    seg_i, src_i, one = seg_i[todo], src_i[todo], one[todo]
    lines = src[src_i]
    b_seg = bearing_at(segments[seg_i], shapely.length(segments[seg_i]) / 2.0)
    b_src = bearing_at(lines, shapely.line_locate_point(lines, mids[seg_i]))
    same = np.cos(np.radians(b_seg - b_src)) >= 0
    out[seg_i] = np.where(same, one, -one)
    return out


def bearing_at(lines: np.ndarray, distance: np.ndarray, step: float = 1.0) -> np.ndarray:
    """Grid bearing in degrees clockwise from grid north of each line where it runs at ``distance`` metres from
    its start, in the direction the line's coordinates run: ``atan2(x₂ - x₁, y₂ - y₁)`` between the points
    ``step`` metres before and after (clipped to the line's ends)."""
    length = shapely.length(lines)
    d1 = np.clip(distance - step, 0.0, length)
    d2 = np.clip(distance + step, 0.0, length)
    p1 = shapely.get_coordinates(shapely.line_interpolate_point(lines, d1))
    p2 = shapely.get_coordinates(shapely.line_interpolate_point(lines, d2))
    return np.degrees(np.arctan2(p2[:, 0] - p1[:, 0], p2[:, 1] - p1[:, 1])) % 360.0
