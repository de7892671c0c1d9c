"""Scaling of a whole study with the number of cameras, for the three engines side by side.

For each size (1,000, 10,000 and 100,000 cameras by default) a synthetic city is generated
(``benchmarks/synthetic_city.py``, constant camera density, so the area grows with the cameras), and the study
runs end to end (reading the files, tag normalisation, viewsheds on 1 m cells with a 150 m range over the DEM
and the buildings, homes in view, coverage per unit, crime in view, equity measures, operators, anomalies;
without the sensitivity reruns and without writing the outputs) in a fresh Python process, once per engine:

- ``in-process``: the tiles one after the other;
- ``process-pool``: ``--workers 2`` (a ``concurrent.futures.ProcessPoolExecutor``);
- ``dask``: a ``dask.distributed.LocalCluster`` of 2 worker processes (``--scheduler local``).

Figures per run: wall time of ``Study.run`` (and of the whole process), the peak of the summed resident memory
of the process and all its children (sampled every 0.2 s with psutil), and cameras per second. The machine
(2 cores, 24 GB) is shared with other agents running their own tests, so the times are noisy; the engines run
in alternating order within each round, and with ``--rounds`` above 1 the medians are recorded.

Usage: ``python benchmarks/engine_scaling.py [--sizes 1000 10000 100000] [--rounds 1] [--tile-cells N --key NAME]``;
the results are printed and written to benchmarks/results/engine_scaling.json (a run with another tile size is
recorded under ``--key``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "engine_scaling.json"
ENGINES = {
    "in-process": {},
    "process-pool": {"workers": 2},
    "dask": {"scheduler": "local", "workers": 2},
}

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from equity.engine import Engine
from equity.settings import Settings
from equity.study import Study
d, options = sys.argv[1], json.loads(sys.argv[2])
with Engine(**options) as engine:
    study = Study(cameras=f"{d}/cameras.osm", units=f"{d}/units.geojson", unit_id="name", crime=f"{d}/crime.csv",
                  population="population", buildings=f"{d}/buildings.gpkg", dem=f"{d}/dem.tif", sensitivity=False,
                  settings=Settings(range_m=150.0, cell_size_m=1.0), engine=engine)
    t1 = time.perf_counter()
    result = study.run()
    t2 = time.perf_counter()
print(json.dumps({"run_s": t2 - t1, "process_s": t2 - t0, "tiles": result.meta["surface"]["tiles"],
                  "cameras": result.counts["cameras"], "covered_km2": float(result.units["covered_km2"].sum())}))
"""


def tree_rss(proc: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def run_one(city: Path, options: dict) -> dict:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(city), json.dumps(options)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=HERE.parent,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, tree_rss(ps))
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"the run failed ({options}):\n{err[-3000:]}")
    facts = json.loads(out.strip().splitlines()[-1])
    facts["peak_rss_gb"] = peak / 1e9
    facts["cameras_per_s"] = facts["cameras"] / facts["run_s"]
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--engines", nargs="+", default=list(ENGINES))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--tile-cells", type=int, default=None, help="side of a tile (default: the engine's, equity.engine.TILE_CELLS)"
    )
    parser.add_argument(
        "--key", default=None, help="record under this name instead of the number of cameras (for a variant)"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from synthetic_city import generate

    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    results = previous.get("results", {})
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            city = Path(tmp) / f"city{n}"
            t0 = time.perf_counter()
            facts = generate(n, city, seed=1)
            facts["generate_s"] = time.perf_counter() - t0
            runs: dict[str, list[dict]] = {e: [] for e in args.engines}
            for r in range(args.rounds):
                order = args.engines[r % len(args.engines) :] + args.engines[: r % len(args.engines)]
                for engine in order:
                    options = dict(ENGINES[engine])
                    if args.tile_cells:
                        options["tile_cells"] = args.tile_cells
                    one = run_one(city, options)
                    runs[engine].append(one)
                    print(json.dumps({"cameras": n, "engine": engine, "round": r, **one}), flush=True)
            entry = results.setdefault(args.key or str(n), {"city": facts})
            entry["city"] = facts
            from equity.engine import TILE_CELLS

            entry["tile_cells"] = args.tile_cells or TILE_CELLS
            for engine, rs in runs.items():
                entry[engine] = {
                    "run_s_median": statistics.median(x["run_s"] for x in rs),
                    "process_s_median": statistics.median(x["process_s"] for x in rs),
                    "peak_rss_gb_median": statistics.median(x["peak_rss_gb"] for x in rs),
                    "cameras_per_s_median": statistics.median(x["cameras_per_s"] for x in rs),
                    "tiles": rs[0]["tiles"],
                    "covered_km2": rs[0]["covered_km2"],
                    "rounds": len(rs),
                }
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(_document(results), indent=2) + "\n")
    print(json.dumps(_document(results), indent=2))


def _document(results: dict) -> dict:
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
            "python": platform.python_version(),
            "note": "shared 2-core machine; other agents ran their test suites at the same time, so times are noisy",
        },
        "setup": {
            "cell_m": 1.0,
            "range_m": 150.0,
            "density_cameras_per_km2": 250,
            "study": "Study.run end to end without sensitivity reruns and without writing outputs",
            "workers": 2,
        },
        "results": results,
    }


if __name__ == "__main__":
    main()
