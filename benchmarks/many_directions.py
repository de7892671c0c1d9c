"""Many directions on every camera: 20,000 cameras tagged ``direction=0;18;36;...;342`` (20 directions each) on
open ground (no buildings, no DEM), through ``equity analyze``.

Generates the camera CSV into a temporary folder (never into the repository; the units and incidents are those of
``tests/data/readers``), then measures the wall time and the peak resident memory (``ru_maxrss`` of the child) of
``equity analyze --no-sensitivity`` in a fresh child process, ``--repeat`` times, and records the median. With
``--before REV`` the same is measured with the package as it was at git revision REV (extracted with
``git archive``). Results go to ``benchmarks/results/many_directions.json``.

    .venv/bin/python benchmarks/many_directions.py --before 5555237 --repeat 3
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

REPO = Path(__file__).resolve().parents[1]
READERS = REPO / "tests" / "data" / "readers"
RESULTS = REPO / "benchmarks" / "results" / "many_directions.json"
BOUNDS = (-122.4260, 37.7040, -122.4020, 37.7180)  # the units of the fixture


def make_cameras(path: Path, n: int = 20_000, directions: int = 20, seed: int = 1) -> None:
    """``n`` fixed cameras at random points of the fixture's units, each tagged with ``directions`` directions."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(BOUNDS[0], BOUNDS[2], n)
    y = rng.uniform(BOUNDS[1], BOUNDS[3], n)
    tag = ";".join(str(round(i * 360 / directions)) for i in range(directions))
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id,lon,lat,man_made,surveillance,surveillance:type,camera:type,direction\n")
        for i in range(n):
            fh.write(f"node/{i + 1},{x[i]:.7f},{y[i]:.7f},surveillance,public,camera,fixed,{tag}\n")


_CHILD = """
import json, resource, runpy, sys, time
sys.argv = ["equity", *sys.argv[1:]]
start = time.perf_counter()
try:
    runpy.run_module("equity.cli", run_name="__main__")
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print(json.dumps({"seconds": time.perf_counter() - start, "code": code,
       "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), file=sys.stderr)
"""


def measure(pythonpath: Path, cameras: Path, out: Path, timeout: float) -> dict:
    """One run of ``equity analyze`` in a fresh process: its time, exit code and peak memory."""
    args = [
        sys.executable,
        "-c",
        _CHILD,
        "-q",
        "analyze",
        "--cameras",
        str(cameras),
        "--units",
        str(READERS / "units.geojson"),
        "--crime",
        str(READERS / "crime.csv"),
        "--out",
        str(out),
        "--force",
        "--no-sensitivity",
        "--map-assets",
        "cdn",
    ]
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    start = time.perf_counter()
    try:
        # run from the output's folder: `python -c` puts its working folder first on the path
        proc = subprocess.run(
            args, env=env, cwd=out.parent, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"seconds": time.perf_counter() - start, "timed_out": True}
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - start
    return result


def run(label: str, pythonpath: Path, cameras: Path, tmp: Path, repeat: int, timeout: float) -> dict:
    runs = [measure(pythonpath, cameras, tmp / f"out-{label}", timeout) for _ in range(repeat)]
    failed = [r for r in runs if r.get("code")]
    if failed:
        raise SystemExit(f"{label}: equity analyze failed: {failed[0]}")
    for r in runs:
        print(label, r, flush=True)
    done = [r for r in runs if not r.get("timed_out")]
    return {
        "runs": runs,
        "median_seconds": statistics.median(r["wall_seconds"] for r in done) if done else None,
        "median_peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in done) if done else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="git revision of the package to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="equity-directions-") as name:
        tmp = Path(name)
        cameras = tmp / "cameras.csv"
        make_cameras(cameras)
        results = {
            "what": "wall time (median) and peak resident memory of `equity analyze --no-sensitivity` on 20,000 "
            "cameras of 20 directions each on open ground, the units and incidents of tests/data/readers",
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
            "repeat": opts.repeat,
        }
        if opts.before:
            old = tmp / "before"
            old.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", opts.before, "equity"], capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
            results["before"] = {"revision": opts.before, **run("before", old, cameras, tmp, opts.repeat, opts.timeout)}
        results["after"] = run("after", REPO, cameras, tmp, opts.repeat, opts.timeout)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: results[k]["median_seconds"] for k in ("before", "after") if k in results}))


if __name__ == "__main__":
    main()
