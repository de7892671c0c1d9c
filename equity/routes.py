"""Trips on the street graph: how much of a route is in view of a camera, how many plate readers it passes, and
the least-watched route with what it costs in length.

For a trip from an origin to a destination (each snapped to the nearest node of the street graph's largest
strongly connected part, where every node is reachable from every other, at most ``Settings.route_snap_m`` away)
two routes are found on the walk or drive network
(:meth:`equity.network.StreetNetwork.usable`):

- the **shortest** route, least length ``L = Σ_e l_e``;
- the **least-watched** route, least ``W + λ L``, where ``W = Σ_e w_e`` is the route's length in view of a camera
  (``w_e`` the length of segment ``e`` inside the union of the cameras' views: field-of-view sectors, or viewsheds
  where a study has them) and ``λ = Settings.route_length_penalty`` (0.1). It takes a detour when the detour
  keeps more than ``λ`` metres out of view for every metre it adds (``ΔW > λ ΔL``): a detour of 100 m is taken
  to keep more than 10 m out of view. Its **extra length** is
  ``L_least - L_shortest ≥ 0`` and its watched length is never more than the shortest route's
  (``W_least + λ L_least ≤ W_shortest + λ L_shortest`` and ``L_least ≥ L_shortest``).

Each route reports ``length_m`` (L), ``watched_m`` (W), ``watched_share = W / L`` and ``alpr_passed``: on the drive
network the plate readers whose logged direction (:mod:`equity.roads`) is the direction the route travels their
segment, each reader once; on the walk network the readers on the route's segments whatever their direction (a
pedestrian carries no plate; the count says how many readers the walk passes).

Batches (:meth:`RoutePlanner.trips`) run ``scipy.sparse.csgraph.dijkstra`` once per distinct origin, in blocks of
origins, and read each route from the predecessors; networkx's ``shortest_path`` is the reference it is checked
and timed against (tests/test_routes.py, benchmarks/route_batch.py). By car, one-way segments (where the street layer
says so) are travelled one way; on foot, every segment both ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from equity._errors import InputError
from equity.network import StreetNetwork
from equity.projection import require_metric
from equity.settings import Settings

#: Origins per block of ``scipy.sparse.csgraph.dijkstra`` (a block's distances and predecessors are held at once:
#: 256 origins x 20,000 nodes is 60 MB).
BLOCK = 256

#: Columns of a batch of trips (:meth:`RoutePlanner.trips`).
TRIP_COLUMNS = [
    "trip",
    "from_node",
    "to_node",
    "from_snap_m",
    "to_snap_m",
    "length_m",
    "watched_m",
    "watched_share",
    "alpr_passed",
    "least_watched_length_m",
    "least_watched_watched_m",
    "least_watched_watched_share",
    "least_watched_alpr_passed",
    "extra_length_m",
]


def watched_length(network: StreetNetwork, views: gpd.GeoSeries) -> np.ndarray:
    """Length in metres of each segment inside the union of ``views`` (polygons in the network's CRS; empty and
    missing ones are skipped): ``w_e = ‖e ∩ ∪ views‖``."""
    polys = np.asarray([g for g in views.to_numpy() if g is not None and not shapely.is_empty(g)], dtype=object)
    out = np.zeros(len(network.edges))
    if len(polys) == 0:
        return out
    union = shapely.union_all(polys)
    shapely.prepare(union)
    lines = network.edges.geometry.to_numpy()
    cand = np.unique(shapely.STRtree(lines).query(polys, predicate="intersects")[1])
    out[cand] = shapely.length(shapely.intersection(lines[cand], union))
    return out


@dataclass
class RoutePlanner:
    """The two routing graphs of one mode (length, and watched length with the length penalty), the segments'
    watched lengths and readers, and the nodes trips are snapped to. ``workers`` processes search the routes of
    a batch (1: in this process)."""

    network: StreetNetwork
    mode: str
    watched_m: np.ndarray
    readers: pd.DataFrame
    settings: Settings
    workers: int = 1

    def __post_init__(self) -> None:
        from scipy.sparse.csgraph import connected_components

        if self.mode not in ("walk", "drive"):
            msg = f"mode must be 'walk' or 'drive', not {self.mode!r}"
            raise InputError(msg)
        net = self.network
        self.usable = net.usable(self.mode)
        self.length = net.edges["length_m"].to_numpy(float)
        lam = self.settings.route_length_penalty
        oneway = self.mode == "drive"  # cars keep to one-way streets; pedestrians walk both ways
        self.symmetric = not (oneway and net.has_oneway)
        self.m_len, self.e_len = net.matrix(self.length, self.usable, oneway=oneway)
        self.m_cost, self.e_cost = net.matrix(self.watched_m + lam * self.length, self.usable, oneway=oneway)
        n = len(net.nodes)
        self.keys_len = _keys(self.m_len, n)
        self.keys_cost = _keys(self.m_cost, n)
        _, label = connected_components(self.m_len, directed=True, connection="strong")
        on = np.zeros(n, bool)
        ends = np.concatenate([net.edges["u"].to_numpy()[self.usable], net.edges["v"].to_numpy()[self.usable]])
        on[ends] = True
        biggest = np.bincount(label[on]).argmax() if on.any() else 0
        self.snap_nodes = np.flatnonzero(on & (label == biggest))
        self.snap_tree = shapely.STRtree(net.nodes.geometry.to_numpy()[self.snap_nodes])
        # readers per segment and direction: each camera once
        m = len(net.edges)
        self.readers_fwd, self.readers_bwd, self.readers_any = np.zeros(m), np.zeros(m), np.zeros(m)
        if len(self.readers):
            r = self.readers
            for flag, target in (("logs_forward", self.readers_fwd), ("logs_backward", self.readers_bwd)):
                e = r.loc[r[flag].astype(bool)].drop_duplicates(["edge_id", "camera_id"])["edge_id"]
                target += np.bincount(e.to_numpy(np.int64), minlength=m)
            e = r.drop_duplicates(["edge_id", "camera_id"])["edge_id"]
            self.readers_any += np.bincount(e.to_numpy(np.int64), minlength=m)

    def snap(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The nearest node of the graph's largest connected part to each point (shapely points in the network's
        CRS), and the distance to it in metres."""
        idx, dist = self.snap_tree.query_nearest(points, return_distance=True, all_matches=False)
        nodes = np.empty(len(points), np.int64)
        d = np.empty(len(points))
        nodes[idx[0]] = self.snap_nodes[idx[1]]
        d[idx[0]] = dist
        return nodes, d

    def trips(
        self, origins: np.ndarray, destinations: np.ndarray, *, paths: bool = False
    ) -> tuple[pd.DataFrame, list[Any] | None]:
        """Both routes of every trip (see the module).

        Parameters
        ----------
        origins, destinations : numpy.ndarray
            Shapely points in the network's CRS, one of each per trip.
        paths : bool
            Also return each trip's two routes as lists of ``(edge_id, forward)``.

        Returns
        -------
        trips : pandas.DataFrame
            :data:`TRIP_COLUMNS` and ``not_routed`` (why a trip has no route: an end farther than
            ``Settings.route_snap_m`` from the graph; its measures are missing), one row per trip.
        paths : list or None
            ``[(shortest, least_watched), ...]`` when asked.
        """
        s = self.settings
        o_node, o_d = self.snap(np.asarray(origins, dtype=object))
        d_node, d_d = self.snap(np.asarray(destinations, dtype=object))
        far = (o_d > s.route_snap_m) | (d_d > s.route_snap_m)
        reason = np.full(len(o_node), None, dtype=object)
        for i in np.flatnonzero(far):
            end = "origin" if o_d[i] > s.route_snap_m else "destination"
            reason[i] = (
                f"its {end} is {max(o_d[i], d_d[i]):,.0f} m from the nearest node of the street graph's largest "
                f"connected part, more than route_snap_m ({s.route_snap_m:g} m)"
            )
        o_node, d_node = np.where(far, -1, o_node), np.where(far, -1, d_node)
        short = self._routes(o_node, d_node, self.m_len, self.e_len, self.keys_len)
        least = self._routes(o_node, d_node, self.m_cost, self.e_cost, self.keys_cost)
        n = len(o_node)
        table = pd.DataFrame({"trip": np.arange(1, n + 1), "from_node": o_node, "to_node": d_node})
        table["from_snap_m"], table["to_snap_m"] = o_d, d_d
        for prefix, routes in (("", short), ("least_watched_", least)):
            stats = np.array([self._measure(r) for r in routes], dtype=float).reshape(n, 3)
            table[f"{prefix}length_m"] = stats[:, 0]
            table[f"{prefix}watched_m"] = stats[:, 1]
            with np.errstate(invalid="ignore", divide="ignore"):
                table[f"{prefix}watched_share"] = np.where(stats[:, 0] > 0, stats[:, 1] / stats[:, 0], np.nan)
            table[f"{prefix}alpr_passed"] = stats[:, 2]
        same = table["from_node"] == table["to_node"]
        table.loc[same, ["watched_share", "least_watched_watched_share"]] = np.nan
        table["extra_length_m"] = np.maximum(table["least_watched_length_m"] - table["length_m"], 0.0)
        measures = [c for c in TRIP_COLUMNS if c not in ("trip", "from_node", "to_node", "from_snap_m", "to_snap_m")]
        table.loc[far, measures] = np.nan
        table["not_routed"] = reason
        return table[[*TRIP_COLUMNS, "not_routed"]], (list(zip(short, least, strict=True)) if paths else None)

    def _routes(
        self, o_node: np.ndarray, d_node: np.ndarray, matrix: Any, edge_of: np.ndarray, keys: np.ndarray
    ) -> list[list[tuple[int, bool]]]:
        """The route of least weight of each trip, as ``(edge_id, forward)`` steps.

        Where every segment is in the graph both ways with the same weight (on foot, or by car without one-way
        streets: the matrix is symmetric), a route from ``a`` to ``b`` is one from ``b`` to ``a`` reversed: the
        searches start from whichever side has fewer distinct nodes (homes to a few schools: one search per
        school). The searches run in blocks of
        :data:`BLOCK` start nodes, in ``self.workers`` processes when more than one.
        """
        flip = self.symmetric and len(np.unique(d_node[d_node >= 0])) < len(np.unique(o_node[o_node >= 0]))
        start_node, end_node = (d_node, o_node) if flip else (o_node, d_node)
        n = len(self.network.nodes)
        u_all = self.network.edges["u"].to_numpy()
        starts = np.unique(start_node[start_node >= 0])
        blocks = [starts[i : i + BLOCK] for i in range(0, len(starts), BLOCK)]
        tasks = []
        for block in blocks:
            trips = np.flatnonzero(np.isin(start_node, block))
            tasks.append((block, trips, start_node[trips], end_node[trips]))
        out: list[list[tuple[int, bool]]] = [[] for _ in range(len(o_node))]
        args = (matrix, edge_of, keys, n, u_all)
        if self.workers > 1 and len(tasks) > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(self.workers) as pool:
                results = list(pool.map(_block_routes, [(*args, b, s, e) for b, _, s, e in tasks]))
        else:
            results = [_block_routes((*args, b, s, e)) for b, _, s, e in tasks]
        for (_, trips, _, _), routes in zip(tasks, results, strict=True):
            for t, route in zip(trips, routes, strict=True):
                out[t] = [(e, not f) for e, f in reversed(route)] if flip else route
        return out

    def _measure(self, route: list[tuple[int, bool]]) -> tuple[float, float, float]:
        """Length, watched length and plate readers passed of a route."""
        if not route:
            return 0.0, 0.0, 0.0
        e = np.fromiter((r[0] for r in route), np.int64, len(route))
        fwd = np.fromiter((r[1] for r in route), bool, len(route))
        if self.mode == "drive":
            passed = np.where(fwd, self.readers_fwd[e], self.readers_bwd[e]).sum()
        else:
            passed = self.readers_any[e].sum()
        return float(self.length[e].sum()), float(self.watched_m[e].sum()), float(passed)

    def geometry(self, route: list[tuple[int, bool]]) -> Any:
        """The line of a route, in the direction of travel (None for an empty route)."""
        if not route:
            return None
        lines = self.network.edges.geometry.to_numpy()
        coords = []
        for e, fwd in route:
            c = shapely.get_coordinates(lines[e])
            c = c if fwd else c[::-1]
            coords.append(c if not coords else c[1:])
        return shapely.linestrings(np.vstack(coords))


def _block_routes(task: tuple[Any, ...]) -> list[list[tuple[int, bool]]]:
    """The routes from one block of start nodes (``scipy.sparse.csgraph.dijkstra`` once for the block, then each
    trip's route read back from the predecessors); a function of its task, so that it runs in a process pool."""
    from scipy.sparse.csgraph import dijkstra

    matrix, edge_of, keys, n, u_all, block, starts, ends = task
    _, pred = dijkstra(matrix, directed=True, indices=block, return_predecessors=True)
    row_of = {int(o): i for i, o in enumerate(block)}
    routes: list[list[tuple[int, bool]]] = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        row = pred[row_of[a]]
        nodes = [b]
        while nodes[-1] != a:
            p = int(row[nodes[-1]])
            if p < 0:  # not reached (the snap nodes are one connected part, so only for a bad node)
                nodes = []
                break
            nodes.append(p)
        if len(nodes) < 2:
            routes.append([])
            continue
        path = np.asarray(nodes[::-1], np.int64)
        edges = edge_of[np.searchsorted(keys, path[:-1] * n + path[1:])]
        forward = u_all[edges] == path[:-1]
        routes.append(list(zip(edges.tolist(), forward.tolist(), strict=True)))
    return routes


def _keys(matrix: Any, n: int) -> np.ndarray:
    """``a n + b`` of every stored entry of a CSR matrix, in its order (sorted, as its indices are)."""
    matrix.sort_indices()
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(matrix.indptr))
    return rows * n + matrix.indices.astype(np.int64)


def route_features(
    planner: RoutePlanner, table: pd.DataFrame, paths: list[Any], views: gpd.GeoSeries | None = None
) -> gpd.GeoDataFrame:
    """The routes of trips as features (two per trip: ``route`` ``shortest`` and ``least_watched``) with
    ``length_m``, ``watched_m``, ``watched_share``, ``alpr_passed`` and ``extra_length_m``; with ``views``, also
    each route's stretches in view (``route`` ``shortest_in_view``, ``least_watched_in_view``)."""
    require_metric(planner.network.edges, "street graph")
    rows, geoms = [], []
    union = None
    if views is not None:
        polys = [g for g in views.to_numpy() if g is not None and not shapely.is_empty(g)]
        union = shapely.union_all(polys) if polys else None
    for (_, r), (short, least) in zip(table.iterrows(), paths, strict=True):
        for kind, route, prefix in (("shortest", short, ""), ("least_watched", least, "least_watched_")):
            line = planner.geometry(route)
            rows.append(
                {
                    "trip": int(r["trip"]),
                    "route": kind,
                    "length_m": r[f"{prefix}length_m"],
                    "watched_m": r[f"{prefix}watched_m"],
                    "watched_share": r[f"{prefix}watched_share"],
                    "alpr_passed": int(r[f"{prefix}alpr_passed"]),
                    "extra_length_m": r["extra_length_m"] if kind == "least_watched" else 0.0,
                }
            )
            geoms.append(line)
            if union is not None and line is not None:
                seen = shapely.intersection(line, union)
                if not shapely.is_empty(seen):
                    rows.append({**rows[-1], "route": f"{kind}_in_view"})
                    geoms.append(seen)
    return gpd.GeoDataFrame(
        rows, geometry=gpd.GeoSeries(geoms, crs=planner.network.crs).to_numpy(), crs=planner.network.crs
    )


def planner_from_layers(
    cameras: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, *, mode: str = "walk", settings: Settings | None = None
) -> tuple[RoutePlanner, gpd.GeoSeries, pd.DataFrame]:
    """A :class:`RoutePlanner` from cameras as read (``camera_id``, ``tags``, points) and street lines, both in one
    metric CRS: the cameras' views (:func:`equity.cameras.normalise_cameras`) and field-of-view sectors, the street
    graph, the plate readers matched to it (:func:`equity.roads.match_readers`) and each segment's watched length.

    Returns the planner, the sectors, and the objects set aside with their reasons: surveillance objects that are
    not cameras (:func:`equity.cameras.split_non_cameras`) and plate readers not matched to a road.
    """
    from equity.cameras import fov_sectors, normalise_cameras, split_non_cameras
    from equity.network import network_from_lines
    from equity.roads import match_readers

    s = settings or Settings()
    require_metric(cameras, "camera layer")
    cameras, not_cameras = split_non_cameras(cameras, "cameras")  # guards, gunshot detectors, dummies
    views = normalise_cameras(cameras, s)
    sectors = fov_sectors(views, s)
    network = network_from_lines(streets.rename(columns={"highway": "road_class"}))
    readers, unmatched = match_readers(views, network, s)
    planner = RoutePlanner(network, mode, watched_length(network, sectors), readers, s)
    return planner, sectors, pd.concat([not_cameras, unmatched], ignore_index=True)


#: Columns of a file of trips (``equity route --pairs``).
PAIR_COLUMNS = ("from_lon", "from_lat", "to_lon", "to_lat")


def pairs_from_table(frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The trips of a table with :data:`PAIR_COLUMNS` (longitude and latitude in WGS84 degrees), and the rows set
    aside with their reasons (a value that is not a number, or outside -180..180 / -90..90).

    Raises :class:`equity._errors.InputFormatError` when a column is missing.
    """
    from equity._errors import InputFormatError

    missing = [c for c in PAIR_COLUMNS if c not in frame.columns]
    if missing:
        msg = f"{source}: no column {', '.join(missing)}; a file of trips has the columns {', '.join(PAIR_COLUMNS)}."
        raise InputFormatError(msg)
    values = frame[list(PAIR_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    rejected = []
    ok = np.ones(len(frame), bool)
    for i in range(len(frame)):
        for col in PAIR_COLUMNS:
            v = values[col].iat[i]
            limit = 180.0 if col.endswith("lon") else 90.0
            if not np.isfinite(v) or abs(v) > limit:
                why = "not a number" if not np.isfinite(v) else f"outside -{limit:g} to {limit:g} degrees"
                rejected.append((source, f"row {i + 2}", f"{col} {why}", str(frame[col].iat[i])))
                ok[i] = False
                break
    trips = values[ok].copy()
    trips.insert(0, "row", np.flatnonzero(ok) + 2)
    return trips.reset_index(drop=True), pd.DataFrame(rejected, columns=["source", "record", "reason", "value"])
