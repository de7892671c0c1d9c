"""The cost of the uncertainty draws (equity.uncertainty) against one analysis, on the San Francisco demo and on
the 10,000-camera synthetic city.

For each study, in one process: the inputs are loaded once (not timed), then, each round, one analysis
(``analyse``, with the statistics, as ``Study.run`` does it) and the draws of that result (``uncertainty``:
``prepare``, the alternatives turned into cells and atoms once; ``draws``, 1,000 draws and the class
probabilities; ``measures``, the five city-level measures of every draw). The medians of the rounds are recorded
with their ratio, in ``benchmarks/results/draws_speed.json`` under the study's key.

Studies:

- ``sf``: the demo (343 plate readers, 41 neighbourhoods; sectors on open ground, 1 m cells);
- ``city``: the synthetic city of ``benchmarks/synthetic_city.py`` (10,000 cameras, 81 units, buildings and a
  DEM: viewsheds on 1 m cells), made in ``--city`` if it is not there;
- ``city-open``: the same city without buildings and DEM (sectors on open ground), with ``--cell`` m cells.

Usage: ``python benchmarks/draws_speed.py --study sf --rounds 3``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "draws_speed.json"


def _study(name: str, city: Path, cell: float):
    from equity.settings import Settings
    from equity.study import Study

    if name == "sf":
        from equity.demo import demo_study

        return demo_study(sensitivity=False)
    if not (city / "cameras.osm").is_file():
        subprocess.run(
            [sys.executable, str(HERE / "synthetic_city.py"), "--cameras", "10000", "--out", str(city), "--seed", "1"],
            check=True,
        )
    surface = {"buildings": f"{city}/buildings.gpkg", "dem": f"{city}/dem.tif"} if name == "city" else {}
    return Study(
        cameras=f"{city}/cameras.osm",
        units=f"{city}/units.geojson",
        unit_id="name",
        crime=f"{city}/crime.csv",
        population="population",
        sensitivity=False,
        settings=Settings(draws_cell_m=cell),
        **surface,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", choices=["sf", "city", "city-open"], default="sf")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--city", type=Path, default=Path("/tmp/draws_city10k"))
    parser.add_argument("--cell", type=float, default=1.0)
    args = parser.parse_args()

    from equity.analysis import analyse
    from equity.inputs import load
    from equity.uncertainty import uncertainty

    study = _study(args.study, args.city, args.cell)
    inputs = load(study)
    rounds = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        result = analyse(inputs)
        t1 = time.perf_counter()
        u = uncertainty(inputs, result, draws=args.draws)
        t2 = time.perf_counter()
        rounds.append({"analyse_s": t1 - t0, "uncertainty_s": t2 - t1, **{f"{k}_s": v for k, v in u.seconds.items()}})
        print(json.dumps(rounds[-1]), flush=True)
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    record = {
        "study": args.study,
        "draws": args.draws,
        "rounds": args.rounds,
        "medians_s": med,
        "uncertainty_over_analysis": med["uncertainty_s"] / med["analyse_s"],
        "draws_over_analysis": med["draws_s"] / med["analyse_s"],
        "all_rounds": rounds,
        "notes": u.notes,
        "scenarios": u.scenarios.to_dict("records"),
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "note": "shared 2-core machine; other agents ran their work at the same time, so times are noisy",
        },
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
        ).stdout.strip(),
    }
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    results[args.study if args.study != "city-open" else f"city-open-{args.cell:g}m"] = record
    RESULTS.write_text(json.dumps(results, indent=1, default=float) + "\n")
    print(json.dumps({k: record[k] for k in ("medians_s", "uncertainty_over_analysis")}, indent=1))


if __name__ == "__main__":
    main()
