"""Time and size of map.html and report.html for a city of 10,000 cameras and 500 units.

The synthetic city of ``synthetic_city.py`` (10,000 cameras, buildings, a hillside DEM, crime points) is
analysed once, with its neighbourhoods replaced by a grid of 500 units; then the map (folium, with Leaflet
inlined) and the report are built from the result several times, and the medians are recorded. Two runs:
open-ground sectors (cameras and units only) and viewsheds (with the buildings and the DEM), whose polygons
are more complex.

Targets (issue 6): the map under 10 MB and under 3 s to build; the report under 10 s.

Usage: ``python benchmarks/map_report_speed.py [--cameras 10000] [--units 500] [--repeat 5]``; writes
``benchmarks/results/map_report_speed.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import platform
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from equity.io.assets import map_assets
from equity.presentation.maps import build_map, render_map
from equity.presentation.report import build_report
from equity.study import Study

HERE = Path(__file__).resolve().parent


def _synthetic_city():
    spec = importlib.util.spec_from_file_location("synthetic_city", HERE / "synthetic_city.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def grid_units(units_path: Path, n_units: int, out: Path, seed: int = 1) -> Path:
    """A grid of about ``n_units`` square units over the bounds of the city's units, with a population."""
    city = gpd.read_file(units_path)
    metric = city.to_crs(city.estimate_utm_crs())
    minx, miny, maxx, maxy = metric.total_bounds
    side = math.sqrt((maxx - minx) * (maxy - miny) / n_units)
    nx, ny = math.ceil((maxx - minx) / side), math.ceil((maxy - miny) / side)
    boxes = [
        shapely.box(minx + i * side, miny + j * side, minx + (i + 1) * side, miny + (j + 1) * side)
        for j in range(ny)
        for i in range(nx)
    ][:n_units]
    rng = np.random.default_rng(seed)
    grid = gpd.GeoDataFrame(
        {"name": [f"Unit {k + 1:03d}" for k in range(len(boxes))], "population": rng.integers(200, 9000, len(boxes))},
        geometry=boxes,
        crs=metric.crs,
    ).to_crs("EPSG:4326")
    path = out / "units500.geojson"
    grid.to_file(path, driver="GeoJSON")
    return path


def measure(result, repeat: int) -> dict[str, float]:
    assets = map_assets()
    build, render, report = [], [], []
    html = page = ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        m = build_map(result, title="benchmark")
        t1 = time.perf_counter()
        html = render_map(m, assets=assets)
        t2 = time.perf_counter()
        page = build_report(result, title="benchmark")
        t3 = time.perf_counter()
        build.append(t1 - t0)
        render.append(t2 - t1)
        report.append(t3 - t2)
    total = [b + r for b, r in zip(build, render, strict=True)]
    return {
        "map_build_s_median": round(statistics.median(build), 3),
        "map_render_s_median": round(statistics.median(render), 3),
        "map_total_s_median": round(statistics.median(total), 3),
        "map_total_s_min": round(min(total), 3),
        "map_mb": round(len(html.encode()) / 1e6, 2),
        "report_s_median": round(statistics.median(report), 3),
        "report_s_min": round(min(report), 3),
        "report_kb": round(len(page.encode()) / 1e3, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "map_report_speed.json")
    args = parser.parse_args()
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        city = Path(tmp)
        _synthetic_city().generate(args.cameras, city, seed=1)
        units = grid_units(city / "units.geojson", args.units, city)
        common = {
            "cameras": city / "cameras.osm",
            "units": units,
            "unit_id": "name",
            "crime": city / "crime.csv",
            "population": "population",
            "sensitivity": False,
        }
        for label, extra in (
            ("sectors", {}),
            ("viewsheds", {"buildings": city / "buildings.gpkg", "dem": city / "dem.tif"}),
        ):
            t0 = time.perf_counter()
            result = Study(**common, **extra, name=label).run()
            analysis = time.perf_counter() - t0
            row = measure(result, args.repeat)
            row.update(
                {
                    "analysis_s": round(analysis, 1),
                    "units": len(result.units),
                    "cameras": int(result.counts["cameras"]),
                    "polygons_on_map": int(result.sectors.notna().sum()),
                    "incidents": len(result.crime) if result.crime is not None else 0,
                }
            )
            runs[label] = row
            print(label, json.dumps(row))
    record = {
        "what": "map.html (folium, Leaflet inlined) and report.html built from one analysis result",
        "targets": {"map_mb": 10, "map_s": 3, "report_s": 10},
        "repeat": args.repeat,
        "machine": f"{platform.machine()}, {platform.python_version()}, 2 cores shared with other jobs",
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
