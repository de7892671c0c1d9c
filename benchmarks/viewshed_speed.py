"""Speed of equity's viewshed kernel beside GDAL's, measured in the same run.

Figures (1 m cells, 150 m range, a 1,001 x 1,001 synthetic city-and-hillside surface, observers 5 m above it):

- full circle, one core: cameras per second, against GDAL in process (osgeo.gdal.ViewshedGenerate into a MEM
  dataset, run by the system Python that has Debian's python3-gdal) and the gdal_viewshed command (one process
  per observer);
- a 60-degree fixed camera against the full circle;
- 10,000 cameras (30 % full circles, 70 % 60-degree sectors) on a 4,000 x 4,000 surface, coverage count raster,
  on both cores.

The machines are shared and noisy: ours and GDAL's run in alternating rounds over the same observers, and the
figures are medians over every call. Usage: ``python benchmarks/viewshed_speed.py [--rounds 5]``; the results
are printed and written to benchmarks/results/viewshed_speed.json.
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

import numba
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from equity.visibility.viewshed import count_visible, viewshed_window  # noqa: E402
from tests.viewshed_reference import GDAL_VIEWSHED, city_and_hillside, gdal_viewshed  # noqa: E402

RANGE_M = 150.0
OBSERVER_H = 5.0
TARGET_H = 1.7
SYSTEM_PYTHON = "/usr/bin/python3"


def time_one(surface: np.ndarray, out: np.ndarray, row: int, col: int, fov: float, bearing: float) -> float:
    zo = surface[row, col] + OBSERVER_H
    t0 = time.perf_counter()
    viewshed_window(surface, row, col, zo, TARGET_H, 1.0, RANGE_M, bearing, fov, np.nan, 0.0, 0.0, out, 0, 0)
    return time.perf_counter() - t0


def gdal_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "from osgeo import gdal"], capture_output=True, check=False)
    return probe.returncode == 0


class GdalWorker:
    """GDAL's in-process viewshed in a subprocess of the system Python, timed one observer at a time."""

    def __init__(self, surface_file: Path) -> None:
        self.proc = subprocess.Popen(
            [
                SYSTEM_PYTHON,
                str(HERE / "_gdal_worker.py"),
                str(surface_file),
                str(RANGE_M),
                str(OBSERVER_H),
                str(TARGET_H),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout.readline().strip() == "ready"

    def time(self, row: int, col: int) -> float:
        self.proc.stdin.write(f"{row} {col}\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def time_gdal_command(surface: np.ndarray, observers: np.ndarray) -> list[float]:
    times = []
    for row, col in observers:
        t0 = time.perf_counter()
        gdal_viewshed(surface, 1.0, int(row), int(col), observer_h=OBSERVER_H, target_h=TARGET_H, max_dist=RANGE_M)
        times.append(time.perf_counter() - t0)
    return times


def count_raster_seconds(n_cameras: int = 10_000, size: int = 4000, threads: int = 2) -> float:
    small = city_and_hillside(1000, seed=1)
    surface = np.ascontiguousarray(np.tile(small, (size // 1000, size // 1000)))
    rng = np.random.default_rng(0)
    rows = rng.integers(0, size, n_cameras).astype(np.int64)
    cols = rng.integers(0, size, n_cameras).astype(np.int64)
    zo = surface[rows, cols] + OBSERVER_H
    ranges = np.full(n_cameras, RANGE_M)
    bearings = rng.uniform(0, 360, n_cameras)
    fovs = np.where(rng.random(n_cameras) < 0.3, 360.0, 60.0)
    tilts = np.full(n_cameras, np.nan)
    vfovs = np.full(n_cameras, 36.0)
    numba.set_num_threads(threads)
    args = (surface, rows, cols, zo, ranges, bearings, fovs, tilts, vfovs, TARGET_H, 1.0, 0.0, threads)
    count_visible(*(a[:4] if isinstance(a, np.ndarray) and a.ndim == 1 else a for a in args))  # compile
    t0 = time.perf_counter()
    count_visible(*args)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--observers", type=int, default=200)
    args = parser.parse_args()

    surface = np.ascontiguousarray(city_and_hillside(1001, seed=3))
    rng = np.random.default_rng(42)
    observers = rng.integers(160, 1001 - 160, size=(args.observers, 2))
    bearings = rng.uniform(0, 360, args.observers)
    out = np.zeros(surface.shape, np.uint8)
    for fov in (360.0, 60.0):  # compile (or load the compiled kernel)
        time_one(surface, out, int(observers[0][0]), int(observers[0][1]), fov, 0.0)
    use_gdal = gdal_available()
    full, sector, gdal, pair_ratio, sector_ratio = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp_name:
        surface_file = Path(tmp_name) / "surface.npy"
        np.save(surface_file, surface)
        worker = GdalWorker(surface_file) if use_gdal else None
        # calls interleaved observer by observer, so that ours and GDAL's meet the same load
        for _ in range(args.rounds):
            for (row, col), bearing in zip(observers, bearings, strict=True):
                a = time_one(surface, out, int(row), int(col), 360.0, float(bearing))
                b = time_one(surface, out, int(row), int(col), 60.0, float(bearing))
                full.append(a)
                sector.append(b)
                sector_ratio.append(a / b)
                if worker is not None:
                    g = worker.time(int(row), int(col))
                    gdal.append(g)
                    pair_ratio.append(g / a)
        if worker is not None:
            worker.close()
        command = time_gdal_command(surface, observers[:20]) if GDAL_VIEWSHED else []
    count_s = count_raster_seconds()

    med = statistics.median
    results = {
        "machine": {
            "cpus": numba.config.NUMBA_NUM_THREADS,
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "numba": numba.__version__,
        },
        "setup": {
            "cell_m": 1.0,
            "range_m": RANGE_M,
            "observer_h_m": OBSERVER_H,
            "target_h_m": TARGET_H,
            "surface": "city_and_hillside(1001)",
            "observers": args.observers,
            "rounds": args.rounds,
        },
        "ours_full_circle_ms_fastest": min(full) * 1e3,
        "gdal_in_process_ms_fastest": min(gdal) * 1e3 if gdal else None,
        "ours_60deg_ms_fastest": min(sector) * 1e3,
        "ours_full_circle_ms": med(full) * 1e3,
        "ours_full_circle_cameras_per_s": 1 / med(full),
        "ours_60deg_ms": med(sector) * 1e3,
        "full_over_60deg_median_of_pairs": med(sector_ratio),
        "gdal_in_process_ms": med(gdal) * 1e3 if gdal else None,
        "gdal_in_process_cameras_per_s": 1 / med(gdal) if gdal else None,
        "gdal_over_ours_full_circle_median_of_pairs": med(pair_ratio) if gdal else None,
        "gdal_command_ms": med(command) * 1e3 if command else None,
        "count_raster_10000_cameras_4000x4000_2_threads_s": count_s,
    }
    if gdal:
        results["gdal_version"] = subprocess.run(
            [SYSTEM_PYTHON, "-c", "from osgeo import gdal; print(gdal.__version__)"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    out = HERE / "results" / "viewshed_speed.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    for key, value in results.items():
        print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    main()
