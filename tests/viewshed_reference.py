"""Shared by the viewshed tests and benchmarks: test surfaces, and GDAL's viewshed run as a command."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

GDAL_VIEWSHED = shutil.which("gdal_viewshed")


def city_and_hillside(n: int = 401, seed: int = 7) -> np.ndarray:
    """A rough synthetic surface: a hillside rising to the north-east, a hill, and a grid of city blocks
    with buildings of 3 to 30 m, plus half a metre of noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float64)
    ground = 0.08 * xx + 0.05 * (n - yy) + 35 * np.exp(-((xx - 0.7 * n) ** 2 + (yy - 0.3 * n) ** 2) / (0.03 * n * n))
    surface = ground + rng.random((n, n)) * 0.5
    for by in range(5, n - 20, 24):
        for bx in range(5, n - 20, 24):
            if rng.random() < 0.25:
                continue  # a square or a park
            h = rng.uniform(3, 30)
            dy, dx = rng.integers(8, 18, 2)
            surface[by : by + dy, bx : bx + dx] = ground[by : by + dy, bx : bx + dx] + h
    return surface


def jacksboro_dem() -> np.ndarray:
    """A real DEM shipped with matplotlib (the Jacksboro fault, Tennessee, 3 arc-second SRTM; 344 x 403)."""
    from matplotlib import cbook

    with cbook.get_sample_data("jacksboro_fault_dem.npz") as data:
        return np.asarray(data["elevation"], dtype=np.float64)


def gdal_viewshed(
    surface: np.ndarray, cell: float, row: int, col: int, *, observer_h: float, target_h: float, max_dist: float
) -> np.ndarray:
    """Visible cells (bool, the surface's shape) by the ``gdal_viewshed`` command, curvature off (``-cc 0``)."""
    n_rows, n_cols = surface.shape
    transform = Affine(cell, 0, 0, 0, -cell, n_rows * cell)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "dem.tif", Path(tmp) / "vs.tif"
        with rasterio.open(
            src,
            "w",
            driver="GTiff",
            width=n_cols,
            height=n_rows,
            count=1,
            dtype="float64",
            crs="EPSG:32610",
            transform=transform,
        ) as ds:
            ds.write(surface, 1)
        x, y = transform @ (col + 0.5, row + 0.5)
        subprocess.run(
            [
                GDAL_VIEWSHED,
                "-q",
                "-ox",
                repr(x),
                "-oy",
                repr(y),
                "-oz",
                repr(observer_h),
                "-tz",
                repr(target_h),
                "-md",
                repr(max_dist),
                "-cc",
                "0",
                "-vv",
                "1",
                "-iv",
                "0",
                "-ov",
                "0",
                str(src),
                str(dst),
            ],
            check=True,
            capture_output=True,
        )
        with rasterio.open(dst) as ds:
            out = ds.read(1)
            left = round((ds.transform.c - transform.c) / cell)
            top = round((transform.f - ds.transform.f) / cell)
    full = np.zeros(surface.shape, bool)
    full[top : top + out.shape[0], left : left + out.shape[1]] = out > 0
    return full


def in_range(shape: tuple[int, int], row: int, col: int, max_cells: float) -> np.ndarray:
    """Cells whose centre lies within ``max_cells`` of the observer's cell centre."""
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (yy - row) ** 2 + (xx - col) ** 2 <= max_cells**2
