"""Load once, analyse many: a study with its sensitivity runs against the same study without them.

Two studies: the San Francisco demo (``--study sf``: 343 cameras, 41 neighbourhoods, 30,000 incidents, no
surface model) and a Quito-like study (``--study quito``, the default).

A Quito-like study: a few cameras in a valley city, large zones over a mountain district, an SRTM-like DEM.

The real case behind it: Quito's metropolitan zones (about 4,200 km² of the Andes) with 25 OSM cameras and
two SRTM tiles, where the terrain of the zones (mean elevation and slope on a 10 m grid) cost far more than
the viewsheds, and the sensitivity reruns paid it once per variant. This script makes a synthetic city of the
same shape (no Quito data is bundled): a 1 arc-second DEM in geographic coordinates (WGS84, int16 with
SRTM's nodata value -32768, like an SRTM tile) with a volcano to the west of a north-south valley, eight zones
over 44 km by 61 km, 25 cameras with tagged directions in the valley, 2,000 incidents near them, and each
zone's population as a column of the zone layer.

Run it as ``python benchmarks/load_once.py [--study quito|sf] [--rounds N] [--key NAME]``: after one run that is
not recorded (it fills numba's cache of compiled kernels), it times the study's command (``equity analyze``, or
``equity demo``) with and without the sensitivity runs (whole processes, outputs written, the two alternated,
medians of the rounds) and their peak memory (the process's maximum resident set), and records them under
``NAME`` in ``benchmarks/results/load_once.json``. The ratio of the medians is the cost of the sensitivity runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "load_once.json"

#: The DEM's extent (degrees): one degree of longitude, one and a half of latitude, across the equator.
DEM_BOUNDS = (-79.0, -1.0, -78.0, 0.5)
#: The zones' extent (degrees): 44 km by 61 km, cut into 2 columns and 4 rows.
ZONE_BOUNDS = (-78.65, -0.40, -78.25, 0.15)
STEP = 1 / 3600  # one arc-second, SRTM's resolution


def make_city(folder: Path, seed: int = 7) -> dict[str, Path]:
    """Write the DEM, zones, cameras and incidents of the Quito-like study into ``folder``."""
    import geopandas as gpd
    import rasterio
    from shapely.geometry import Polygon

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    w0, s0, e0, n0 = DEM_BOUNDS
    width, height = round((e0 - w0) / STEP), round((n0 - s0) / STEP)
    lon = w0 + (np.arange(width) + 0.5) * STEP
    lat = n0 - (np.arange(height) + 0.5) * STEP
    # a valley floor at 2,800 m running north-south at -78.50, a volcano of 4,700 m at (-78.60, -0.17),
    # and a ridge to the east; built row block by row block to keep memory small
    dem = np.empty((height, width), np.int16)
    for r0 in range(0, height, 512):
        la = lat[r0 : r0 + 512, None]
        valley = 2800 + 900 * (1 - np.exp(-(((lon[None, :] + 78.50) / 0.08) ** 2)))
        volcano = 1900 * np.exp(-(((lon[None, :] + 78.60) / 0.06) ** 2 + ((la + 0.17) / 0.06) ** 2))
        ridge = 600 * np.exp(-(((lon[None, :] + 78.30) / 0.05) ** 2)) * (1 + 0.3 * np.sin(la * 40))
        dem[r0 : r0 + 512] = np.round(valley + volcano + ridge).astype(np.int16)
    dem[:40, :40] = -32768  # a corner of voids, as SRTM has
    dem_path = folder / "srtm_like.tif"
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "int16",
        "crs": "EPSG:4326",
        "transform": rasterio.transform.from_origin(w0, n0, STEP, STEP),
        "nodata": -32768,
        "compress": "deflate",
        "tiled": True,
    }
    with rasterio.open(dem_path, "w", **profile) as dst:
        dst.write(dem, 1)

    zw, zs, ze, zn = ZONE_BOUNDS
    xs = np.linspace(zw, ze, 3)
    ys = np.linspace(zs, zn, 5)
    zones = []
    for i in range(2):
        for j in range(4):
            zones.append(
                {
                    "zona": f"Zona {len(zones) + 1}",
                    "poblacion": int(rng.integers(20_000, 400_000)),
                    "geometry": Polygon(
                        [(xs[i], ys[j]), (xs[i + 1], ys[j]), (xs[i + 1], ys[j + 1]), (xs[i], ys[j + 1])]
                    ),
                }
            )
    zones_path = folder / "zonas.geojson"
    gpd.GeoDataFrame(zones, crs="EPSG:4326").to_file(zones_path, driver="GeoJSON")

    cams = []
    for k in range(25):
        x = -78.50 + rng.normal(0, 0.01)
        y = -0.20 + rng.normal(0, 0.04)
        direction = int(rng.integers(0, 360))
        cams.append(
            f'  <node id="{1000 + k}" version="1" lat="{y:.7f}" lon="{x:.7f}">\n'
            '    <tag k="man_made" v="surveillance"/>\n'
            '    <tag k="surveillance" v="public"/>\n'
            '    <tag k="surveillance:type" v="camera"/>\n'
            '    <tag k="camera:type" v="fixed"/>\n'
            f'    <tag k="camera:direction" v="{direction}"/>\n'
            '    <tag k="camera:mount" v="pole"/>\n'
            '    <tag k="operator" v="ECU 911"/>\n'
            "  </node>\n"
        )
    cameras_path = folder / "camaras.osm"
    cameras_path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="quito_like">\n'
        + "".join(cams)
        + "</osm>\n"
    )
    n = 2000
    crime_lon = -78.50 + rng.normal(0, 0.03, n)
    crime_lat = -0.20 + rng.normal(0, 0.08, n)
    days = rng.integers(0, 365, n)
    lines = ["id,fecha,categoria,lon,lat"]
    for k in range(n):
        date = np.datetime64("2024-01-01") + int(days[k])
        lines.append(f"{k},{date},robo,{crime_lon[k]:.6f},{crime_lat[k]:.6f}")
    crime_path = folder / "delitos.csv"
    crime_path.write_text("\n".join(lines) + "\n")
    return {"dem": dem_path, "units": zones_path, "cameras": cameras_path, "crime": crime_path}


def equity_command(args: list[str], out: Path, sensitivity: bool) -> list[str]:
    """An ``equity`` command writing to ``out``, quiet, with the map linking Leaflet (no download)."""
    return [
        str(Path(sys.executable).with_name("equity")),
        "-q",
        *args,
        "--out",
        str(out),
        "--force",
        "--map-assets",
        "cdn",
        "--sensitivity" if sensitivity else "--no-sensitivity",
    ]


def command(files: dict[str, Path], out: Path, sensitivity: bool) -> list[str]:
    """The ``equity analyze`` command of the Quito-like study."""
    args = ["analyze", "--cameras", str(files["cameras"]), "--units", str(files["units"]), "--unit-id", "zona"]
    args += ["--crime", str(files["crime"]), "--population", "poblacion", "--dem", str(files["dem"])]
    return equity_command([*args, "--dem-fill", "flat", "--name", "Quito-like"], out, sensitivity)


def sf_command(out: Path, sensitivity: bool) -> list[str]:
    """The ``equity demo`` command (the San Francisco demo)."""
    return equity_command(["demo"], out, sensitivity)


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (GB) of one run of ``cmd`` as its own process."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    peak_kb = int(proc.stderr.strip().splitlines()[-1])
    return seconds, peak_kb / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", choices=["quito", "sf"], default="quito")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--key", default="current")
    parser.add_argument("--folder", type=Path, help="Where to write the city (a temporary folder by default).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        if args.study == "quito":
            files = make_city(args.folder or Path(tmp) / "city")

            def cmd(sensitivity: bool) -> list[str]:
                return command(files, out, sensitivity)
        else:

            def cmd(sensitivity: bool) -> list[str]:
                return sf_command(out, sensitivity)

        # one run first, not recorded: it compiles the viewshed kernels into numba's cache
        timed(cmd(False))
        runs: dict[str, list[tuple[float, float]]] = {"with sensitivity": [], "without sensitivity": []}
        for r in range(args.rounds):
            order = [True, False] if r % 2 == 0 else [False, True]
            for sens in order:
                name = "with sensitivity" if sens else "without sensitivity"
                runs[name].append(timed(cmd(sens)))
                print(name, f"{runs[name][-1][0]:.1f} s", f"{runs[name][-1][1]:.2f} GB", flush=True)
    record = {
        name: {
            "seconds": [round(s, 2) for s, _ in values],
            "median_s": round(statistics.median(s for s, _ in values), 2),
            "peak_gb": [round(m, 3) for _, m in values],
            "median_peak_gb": round(statistics.median(m for _, m in values), 3),
        }
        for name, values in runs.items()
    }
    record["ratio_with_to_without"] = round(
        record["with sensitivity"]["median_s"] / record["without sensitivity"]["median_s"], 2
    )
    record["machine"] = f"{platform.machine()}, {__import__('os').cpu_count()} cores"
    record["date"] = time.strftime("%Y-%m-%d")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.setdefault("quito_like" if args.study == "quito" else "sf_demo", {})[args.key] = record
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
