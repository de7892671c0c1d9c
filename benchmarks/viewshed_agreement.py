"""Agreement of equity's viewshed with GDAL's gdal_viewshed on the same surfaces and observers.

Two surfaces: a rough synthetic city-and-hillside at 1 m cells (buildings of 3 to 30 m on a slope and a hill),
and a real DEM that matplotlib ships (the Jacksboro fault, Tennessee; 3 arc-second SRTM, taken at 30 m cells).
For each, 50 fixed observers (seeded), a full circle, a maximum distance, the curvature coefficient 0 on both
sides; the share of cells within range on which the two agree. Usage: ``python benchmarks/viewshed_agreement.py``;
results are printed and written to benchmarks/results/viewshed_agreement.json.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from equity.visibility.viewshed import viewshed_window  # noqa: E402
from tests.viewshed_reference import GDAL_VIEWSHED, city_and_hillside, gdal_viewshed, in_range, jacksboro_dem  # noqa: E402

CASES = {
    "city_and_hillside_1m": {"surface": lambda: city_and_hillside(401), "cell": 1.0, "oz": 4.0, "md": 150.0},
    "jacksboro_srtm_30m": {"surface": jacksboro_dem, "cell": 30.0, "oz": 10.0, "md": 3000.0},
}


def main() -> None:
    if GDAL_VIEWSHED is None:
        sys.exit("gdal_viewshed is not installed (Debian: apt-get install gdal-bin)")
    version = subprocess.run([GDAL_VIEWSHED, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    results = {"gdal": version, "observers_per_surface": 50, "target_height_m": 1.7, "curvature_coeff": 0.0}
    for name, case in CASES.items():
        surface = np.ascontiguousarray(case["surface"](), dtype=np.float64)
        rng = np.random.default_rng(11)
        shares, agree_cells, total_cells = [], 0, 0
        for _ in range(50):
            row, col = (int(v) for v in rng.integers(5, np.array(surface.shape) - 5))
            ours = np.zeros(surface.shape, np.uint8)
            viewshed_window(
                surface,
                row,
                col,
                surface[row, col] + case["oz"],
                1.7,
                case["cell"],
                case["md"],
                0.0,
                360.0,
                np.nan,
                0.0,
                0.0,
                ours,
                0,
                0,
            )
            ref = gdal_viewshed(
                surface, case["cell"], row, col, observer_h=case["oz"], target_h=1.7, max_dist=case["md"]
            )
            within = in_range(surface.shape, row, col, case["md"] / case["cell"])
            agree = (ours.astype(bool) == ref)[within]
            shares.append(float(agree.mean()))
            agree_cells += int(agree.sum())
            total_cells += int(agree.size)
        results[name] = {
            "shape": list(surface.shape),
            "cell_m": case["cell"],
            "observer_height_m": case["oz"],
            "max_distance_m": case["md"],
            "cells_compared": total_cells,
            "agreement_all_cells": agree_cells / total_cells,
            "agreement_median_observer": statistics.median(shares),
            "agreement_worst_observer": min(shares),
        }
    (HERE / "results" / "viewshed_agreement.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
