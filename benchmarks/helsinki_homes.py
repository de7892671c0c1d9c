"""The homes-in-view analysis end to end on the real Helsinki extract (data/helsinki/Helsinki.osm.pbf):
cameras, buildings, land use and streets all from the .osm.pbf; units are a 2 x 2 grid over the extract (it has
no districts). Prints the counts, the median wall time of three runs per setting (without the sensitivity
reruns) and the time of one run with them, and writes them to benchmarks/results/helsinki_homes.json.
Usage: ``python benchmarks/helsinki_homes.py``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from equity.settings import Settings  # noqa: E402
from equity.study import Study  # noqa: E402

PBF = HERE.parent / "data" / "helsinki" / "Helsinki.osm.pbf"
BOUNDS = (24.9351762, 60.1641550, 24.9534145, 60.1791130)  # the extract's header box


def grid_units(path: Path) -> Path:
    x0, y0, x1, y1 = BOUNDS
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    cells = {"SW": (x0, y0, mx, my), "SE": (mx, y0, x1, my), "NW": (x0, my, mx, y1), "NE": (mx, my, x1, y1)}
    feats = [
        {
            "type": "Feature",
            "properties": {"name": k},
            "geometry": {"type": "Polygon", "coordinates": [[[a, b], [c, b], [c, d], [a, d], [a, b]]]},
        }
        for k, (a, b, c, d) in cells.items()
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def main() -> None:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        units = grid_units(Path(tmp) / "grid.geojson")
        for label, settings in (
            ("default (skip unknown directions)", Settings()),
            ("unknown directions as discs", Settings(unknown_direction="disc")),
        ):
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                result = Study(
                    cameras=PBF, units=units, buildings=PBF, streets=PBF, settings=settings, sensitivity=False
                ).run()
                times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            Study(cameras=PBF, units=units, buildings=PBF, streets=PBF, settings=settings).run()
            with_sensitivity = time.perf_counter() - t0
            c = result.counts
            v = result.views
            results[label] = {
                "seconds_median_of_3": statistics.median(times),
                "seconds_with_sensitivity_runs": with_sensitivity,
                "cameras": c["cameras"],
                "views_in_coverage": c["views_in_coverage"],
                "buildings": c["buildings"],
                "homes": c["homes"],
                "probable_homes": c["probable_homes"],
                "homes_seen_by_a_camera": int(result.units["homes_in_view"].sum()),
                "probable_homes_seen_by_a_camera": int(result.units["probable_homes_in_view"].sum()),
                "views_seeing_a_home": int(((v["homes_in_view"] + v["probable_homes_in_view"]) > 0).sum()),
                "views_looking_into_homes": c["views_looking_into_homes"],
                "intrusion_score_max": float(v["intrusion_score"].max()),
                "cameras_moved_off_a_building": c.get("views_observer_moved_off_a_building", 0),
                "cameras_inside_a_building": c.get("views_observer_inside_a_building", 0),
            }
    (HERE / "results" / "helsinki_homes.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
