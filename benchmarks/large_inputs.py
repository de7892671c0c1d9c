"""Large inputs in bounded memory: a 200 MB incident CSV and a 1-million-node OSM file.

Generates both into a temporary folder (never into the repository), then measures, each in a fresh child
process, the wall time and the peak resident memory (``ru_maxrss`` of the child) of reading each input with
equity's readers, and of a whole ``equity analyze`` run on them (cameras and streets from the OSM file,
incidents from the CSV, the units of ``tests/data/readers/units.geojson``). With ``--before REV`` the same
measurements are taken with the package as it was at git revision REV (extracted with ``git archive`` into the
temporary folder), for a before/after comparison. Results go to ``benchmarks/results/large_inputs.json``.

    .venv/bin/python benchmarks/large_inputs.py --before a2e78c6 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
UNITS = REPO / "tests" / "data" / "readers" / "units.geojson"
RESULTS = REPO / "benchmarks" / "results" / "large_inputs.json"
BOUNDS = (-122.4260, 37.7040, -122.4020, 37.7180)  # the units of the fixture
CATEGORIES = ["ROBBERY", "DRUG/NARCOTIC", "VEHICLE THEFT", "VANDALISM", "ASSAULT", "BURGLARY", "LARCENY/THEFT"]


def make_csv(path: Path, target_bytes: int, seed: int = 1) -> int:
    """An SFPD-like incident table of about ``target_bytes``; one row in 10,000 without coordinates."""
    rng = np.random.default_rng(seed)
    header = True
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        while fh.tell() < target_bytes:
            n = 100_000
            x = rng.uniform(BOUNDS[0], BOUNDS[2], n).round(6)
            y = rng.uniform(BOUNDS[1], BOUNDS[3], n).round(6)
            days = pd.Timestamp("2012-01-01") + pd.to_timedelta(rng.integers(0, 366, n), unit="D")
            ids = 120_000_000 + rows + np.arange(n)
            ids[rng.random(n) < 0.05] -= 1  # some incidents on two rows
            table = pd.DataFrame(
                {
                    "IncidntNum": ids,
                    "Category": rng.choice(CATEGORIES, n),
                    "Descript": rng.choice(["GRAND THEFT FROM LOCKED AUTO", "POSSESSION OF MARIJUANA", "BATTERY"], n),
                    "DayOfWeek": days.day_name(),
                    "Date": days.strftime("%m/%d/%Y"),
                    "Time": [
                        f"{h:02d}:{m:02d}" for h, m in zip(rng.integers(0, 24, n), rng.integers(0, 60, n), strict=True)
                    ],
                    "PdDistrict": rng.choice(["INGLESIDE", "BAYVIEW", "MISSION"], n),
                    "Resolution": rng.choice(["NONE", "ARREST, BOOKED"], n),
                    "Address": rng.choice(
                        ["0 Block of GENEVA AV", "LELAND AV / DESOTO ST", "100 Block of RAYMOND AV"], n
                    ),
                    "X": x.astype(str),
                    "Y": y.astype(str),
                    "Location": [f"({b}, {a})" for a, b in zip(x, y, strict=True)],
                    "PdId": ids * 100 + 4134,
                }
            )
            table.loc[rng.random(n) < 1e-4, "X"] = ""
            table.to_csv(fh, header=header, index=False)
            header = False
            rows += n
    return rows


def make_osm(path: Path, n_nodes: int = 1_000_000, seed: int = 2) -> dict[str, int]:
    """An OSM PBF of ``n_nodes`` nodes over the units: 500 cameras, streets of 200 nodes, and buildings
    (closed ways of 4 nodes) with the rest."""
    import osmium

    rng = np.random.default_rng(seed)
    writer = osmium.SimpleWriter(str(path), overwrite=True)
    node_id, way_id = 1, 1
    counts = {"cameras": 500, "streets": 0, "buildings": 0}
    w, s, e, n = BOUNDS
    try:
        for _ in range(counts["cameras"]):
            tags = {"man_made": "surveillance", "surveillance": "public", "camera:type": "fixed"}
            tags["camera:direction"] = str(int(rng.integers(0, 360)))
            writer.add_node(
                osmium.osm.mutable.Node(id=node_id, location=(rng.uniform(w, e), rng.uniform(s, n)), tags=tags)
            )
            node_id += 1
        street_nodes = 200_000
        for row in range(street_nodes // 200):
            lat = s + (n - s) * (row + 0.5) / (street_nodes // 200)
            refs = []
            for lon in np.linspace(w, e, 200):
                writer.add_node(osmium.osm.mutable.Node(id=node_id, location=(lon, lat)))
                refs.append(node_id)
                node_id += 1
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags={"highway": "residential"}))
            way_id += 1
            counts["streets"] += 1
        size = 0.00003
        while node_id + 4 <= n_nodes + 1:
            x, y = rng.uniform(w, e - size), rng.uniform(s, n - size)
            refs = []
            for dx, dy in ((0, 0), (size, 0), (size, size), (0, size)):
                writer.add_node(osmium.osm.mutable.Node(id=node_id, location=(x + dx, y + dy)))
                refs.append(node_id)
                node_id += 1
            tags = {"building": "house", "height": str(int(rng.integers(3, 15)))}
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=[*refs, refs[0]], tags=tags))
            way_id += 1
            counts["buildings"] += 1
    finally:
        writer.close()
    counts["nodes"] = node_id - 1
    return counts


CHILD = r"""
import json, resource, sys, time
what, args, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
t0 = time.perf_counter()
info = {}
if what == "analyze":
    from equity.cli import cli
    try:
        cli.main(args, standalone_mode=False, obj={})
    except SystemExit as err:
        info["exit"] = err.code
else:
    import importlib
    module, name = what.rsplit(".", 1)
    result = getattr(importlib.import_module(module), name)(*args)
    info["rows"] = len(result.data)
    info["rejected"] = len(result.rejected)
info["seconds"] = time.perf_counter() - t0
info["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
json.dump(info, open(out, "w"))
"""


def measure(what: str, args: list[str], *, pythonpath: Path, tmp: Path, timeout: float) -> dict:
    """Run one measurement in a fresh child process (``what`` is ``analyze`` or ``module.function``)."""
    out = tmp / "child.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, what, json.dumps(args), str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=tmp,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0 or not out.exists():
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return {"error": lines[-1] if lines else f"exit {proc.returncode}", "wall_s": time.perf_counter() - start}
    return json.loads(out.read_text())


def run_all(label: str, pythonpath: Path, inputs: dict[str, Path], tmp: Path, repeat: int, timeout: float) -> dict:
    cases = {
        "import_only": ("equity.io.units_from_file", [str(UNITS)]),
        "read_crime_csv": ("equity.io.crime_from_file", [str(inputs["csv"])]),
        "read_cameras_osm": ("equity.io.cameras_from_file", [str(inputs["osm"])]),
        "read_streets_osm": ("equity.io.streets_from_file", [str(inputs["osm"])]),
        "read_buildings_osm": ("equity.io.buildings_from_file", [str(inputs["osm"])]),
        "analyze": (
            "analyze",
            [
                "analyze",
                "--cameras",
                str(inputs["osm"]),
                "--units",
                str(UNITS),
                "--crime",
                str(inputs["csv"]),
                "--streets",
                str(inputs["osm"]),
                "--population",
                "pop",
                "--no-sensitivity",
                "--out",
                str(tmp / f"out-{label}"),
                "--force",
            ],
        ),
    }
    results = {}
    for name, (what, args) in cases.items():
        runs = []
        for _ in range(repeat):
            runs.append(measure(what, args, pythonpath=pythonpath, tmp=tmp, timeout=timeout))
            print(label, name, runs[-1], flush=True)
            if "error" in runs[-1]:
                break
        ok = [r for r in runs if "error" not in r]
        entry: dict = {"runs": runs}
        if ok:
            entry["median_s"] = round(statistics.median(r["seconds"] for r in ok), 2)
            entry["median_peak_rss_mb"] = round(statistics.median(r["peak_rss_mb"] for r in ok), 1)
        results[name] = entry
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-mb", type=float, default=200)
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--before", help="git revision of the package to compare with")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--out", type=Path, default=RESULTS)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="equity-large-") as name:
        tmp = Path(name)
        inputs = {"csv": tmp / "incidents.csv", "osm": tmp / "city.osm.pbf"}
        t0 = time.perf_counter()
        rows = make_csv(inputs["csv"], int(opts.csv_mb * 1e6))
        osm = make_osm(inputs["osm"], opts.nodes)
        print(f"inputs written in {time.perf_counter() - t0:.0f} s", flush=True)
        report: dict = {
            "what": "wall time and peak resident memory (ru_maxrss of a fresh child process) of reading each large "
            "input and of a whole `equity analyze --no-sensitivity` run on them (cameras and streets from the OSM "
            "file, incidents from the CSV, the 4 units of tests/data/readers/units.geojson); medians of the runs",
            "inputs": {
                "incident_csv": {"bytes": inputs["csv"].stat().st_size, "rows": rows},
                "osm_pbf": {"bytes": inputs["osm"].stat().st_size, **osm},
            },
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "note": "shared, noisy"},
            "after": run_all("after", REPO, inputs, tmp, opts.repeat, opts.timeout),
        }
        if opts.before:
            old = tmp / "before"
            old.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", opts.before, "equity"], capture_output=True, check=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            report["before"] = {
                "revision": opts.before,
                **run_all("before", old, inputs, tmp, opts.repeat, opts.timeout),
            }
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {opts.out}")


if __name__ == "__main__":
    main()
