"""Batch trips on the San Francisco street graph: equity's routes (``scipy.sparse.csgraph.dijkstra`` by blocks of
start nodes, :mod:`equity.routes`) against networkx's plain ``shortest_path`` (bidirectional Dijkstra, one call per
trip and per route), in the same run on the same trips.

The graph is the bundled 2015 OpenStreetMap streets (data/sf/streets_osm_2015.geojson) noded into 31,548 segments
and 19,697 nodes, with the bundled cameras' views and plate readers; the mode is ``drive``. Each trip asks for two
routes (the shortest, and the least-watched with ``route_length_penalty``); networkx is given the same two
weights. The trips are drawn from the nodes of the graph's largest connected part with a fixed seed.

Three cases:

- ``reference``: ``--reference`` trips (300) by both, medians of ``--rounds`` (3), and the ratio of the medians;
  the routes' lengths are checked to agree to a micrometre;
- ``random_pairs``: ``--trips`` (10,000) trips between random nodes (about as many distinct origins as trips):
  equity only, ``--batch-rounds`` (1, to stay within a few minutes), with 1 and 2 worker processes;
- ``homes_to_schools``: 10,000 trips from random nodes to 50 destinations: the searches start at the 50.

Run it as ``python benchmarks/route_batch.py [--trips N] [--reference N] [--rounds N] [--batch-rounds N]``; it records
``benchmarks/results/route_batch.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "route_batch.json"


def _planner(workers: int = 1):
    from equity.io import cameras_from_file, streets_from_file
    from equity.projection import metric_crs, to_metric
    from equity.routes import planner_from_layers

    streets = streets_from_file(REPO / "data" / "sf" / "streets_osm_2015.geojson").data
    crs = metric_crs(streets)
    cams = to_metric(cameras_from_file(REPO / "data" / "sf" / "cameras.osm").data, crs)
    planner, _, _ = planner_from_layers(cams, to_metric(streets, crs), mode="drive")
    planner.workers = workers
    return planner


def _timed(fn, rounds: int) -> tuple[list[float], object]:
    seconds, out = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = fn()
        seconds.append(round(time.perf_counter() - t0, 3))
    return seconds, out


def main() -> None:
    import networkx as nx

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trips", type=int, default=10_000)
    parser.add_argument("--reference", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-rounds", type=int, default=1, help="rounds of the 10,000-trip cases")
    args = parser.parse_args()

    t0 = time.perf_counter()
    planner = _planner()
    build_s = round(time.perf_counter() - t0, 3)
    net = planner.network
    pts = net.nodes.geometry.to_numpy()
    rng = np.random.default_rng(20261129)
    record: dict[str, object] = {
        "note": "benchmarks/route_batch.py: drive trips on the bundled SF streets (2015 OSM, noded by equity.network), "
        "two routes per trip (shortest; least-watched, W + 0.1 L). equity = scipy.sparse.csgraph.dijkstra by blocks "
        "of start nodes (equity.routes); reference = networkx.shortest_path per trip and route on the same graph. "
        "Medians of the rounds; a shared 2-core machine (other work running).",
        "graph": {"segments": len(net.edges), "nodes": len(net.nodes), "build_and_match_s": build_s},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
    }

    # the reference: networkx beside equity on the same trips
    o = rng.choice(planner.snap_nodes, args.reference)
    d = rng.choice(planner.snap_nodes, args.reference)
    g_len = net.to_networkx(usable=planner.usable)
    g_cost = net.to_networkx(
        planner.watched_m + planner.settings.route_length_penalty * planner.length, usable=planner.usable
    )

    def with_networkx() -> list[float]:
        lengths = []
        for a, b in zip(o.tolist(), d.tolist(), strict=True):
            path = nx.shortest_path(g_len, a, b, weight="weight")
            nx.shortest_path(g_cost, a, b, weight="weight")
            lengths.append(nx.path_weight(g_len, path, weight="weight"))
        return lengths

    nx_s, nx_len = _timed(with_networkx, args.rounds)
    eq_s, eq_table = _timed(lambda: planner.trips(pts[o], pts[d])[0], args.rounds)
    agree = np.allclose(np.asarray(nx_len), eq_table["length_m"].to_numpy(), atol=1e-3)
    record["reference"] = {
        "trips": args.reference,
        "networkx_shortest_path_s": nx_s,
        "networkx_median_s": statistics.median(nx_s),
        "equity_s": eq_s,
        "equity_median_s": statistics.median(eq_s),
        "ratio_networkx_to_equity": round(statistics.median(nx_s) / statistics.median(eq_s), 2),
        "lengths_agree": bool(agree),
    }
    print(json.dumps(record["reference"]), flush=True)

    # 10,000 random pairs, one and two worker processes
    o = rng.choice(planner.snap_nodes, args.trips)
    d = rng.choice(planner.snap_nodes, args.trips)
    cases: dict[str, object] = {}
    for workers in (1, 2):
        planner.workers = workers
        secs, table = _timed(lambda: planner.trips(pts[o], pts[d])[0], args.batch_rounds)
        cases[f"workers_{workers}"] = {
            "seconds": secs,
            "median_s": statistics.median(secs),
            "trips_per_s": round(args.trips / statistics.median(secs), 1),
            "median_length_m": round(float(table["length_m"].median()), 1),
            "median_watched_share": round(float(table["watched_share"].median()), 5),
            "median_alpr_passed": float(table["alpr_passed"].median()),
            "median_extra_length_m": round(float(table["extra_length_m"].median()), 1),
        }
        print(workers, json.dumps(cases[f"workers_{workers}"]), flush=True)
    record["random_pairs"] = {"trips": args.trips, "distinct_origins": len(np.unique(o)), **cases}

    # homes to schools: many origins, 50 destinations
    planner.workers = 1
    schools = rng.choice(planner.snap_nodes, 50)
    o = rng.choice(planner.snap_nodes, args.trips)
    d = schools[rng.integers(0, 50, args.trips)]
    secs, _ = _timed(lambda: planner.trips(pts[o], pts[d])[0], args.batch_rounds)
    record["homes_to_schools"] = {
        "trips": args.trips,
        "destinations": 50,
        "seconds": secs,
        "median_s": statistics.median(secs),
        "trips_per_s": round(args.trips / statistics.median(secs), 1),
    }
    print(json.dumps(record["homes_to_schools"]), flush=True)
    RESULTS.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
