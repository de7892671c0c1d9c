"""The viewshed kernel: known answers, sectors, and agreement with GDAL's viewshed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity.visibility import vertical_fov
from equity.visibility.viewshed import sector_box, viewshed_window, viewshed_window_heights
from tests.viewshed_reference import GDAL_VIEWSHED, city_and_hillside, gdal_viewshed, in_range, jacksboro_dem


def run(
    surface, row, col, *, h=3.0, target=1.7, rng=50.0, bearing=0.0, fov=360.0, tilt=np.nan, vfov=0.0, cell=1.0, cc=0.0
):
    out = np.zeros(surface.shape, np.uint8)
    n = viewshed_window(
        np.ascontiguousarray(surface, dtype=np.float64),
        row,
        col,
        surface[row, col] + h,
        target,
        cell,
        rng,
        bearing,
        fov,
        tilt,
        vfov,
        cc,
        out,
        0,
        0,
    )
    assert n == out.sum()
    return out.astype(bool)


def sector_mask(shape, row, col, bearing, fov, rng_cells):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    dx, dy = xx - col, row - yy
    ang = (np.degrees(np.arctan2(dx, dy)) - bearing + 180) % 360 - 180
    inside = (np.abs(ang) <= fov / 2 + 1e-9) & (dx**2 + dy**2 <= rng_cells**2)
    inside[row, col] = True
    return inside


@pytest.mark.parametrize(
    ("fov", "bearing", "rng"), [(60, 0, 40), (60, 45, 40), (90, 200, 30), (30, 300, 60), (360, 0, 25), (180, 90, 35)]
)
def test_flat_open_ground_area_is_the_sector(fov, bearing, rng):
    flat = np.zeros((151, 151))
    seen = run(flat, 75, 75, bearing=bearing, fov=fov, rng=rng)
    expected = fov / 360 * math.pi * rng**2
    perimeter = rng * math.radians(fov) + (2 * rng if fov < 360 else 0)
    assert abs(seen.sum() - expected) <= perimeter  # within a cell's rounding along the edges
    assert (seen == sector_mask(flat.shape, 75, 75, bearing, fov, rng)).all()


def test_area_scales_with_cell_size():
    flat = np.zeros((121, 121))
    seen = run(flat, 60, 60, fov=90, bearing=10, rng=100.0, cell=2.0)  # 50 cells of 2 m
    assert seen.sum() * 4 == pytest.approx(math.pi * 100**2 / 4, rel=0.03)


def test_camera_facing_a_wall_sees_nothing_behind_it():
    surface = np.zeros((101, 101))
    surface[40, 30:71] = 10.0  # a 10 m wall 10 m north of the camera, 40 m long
    seen = run(surface, 50, 50, h=3.0, bearing=0.0, fov=60.0, rng=45.0)
    behind = np.zeros_like(seen)
    behind[:40, :] = True
    assert not (seen & behind & sector_mask(surface.shape, 50, 50, 0, 60, 45)).any()
    assert seen[41:50, 50].all()  # the ground in front of the wall is seen
    assert seen[40, 50]  # and the wall's face


def test_camera_on_a_hilltop_sees_down_both_slopes():
    n = 201
    yy, xx = np.mgrid[0:n, 0:n]
    hill = 40.0 - 0.3 * np.hypot(xx - 100, yy - 100)  # a cone: 30 % slopes
    seen = run(hill, 100, 100, h=5.0, rng=90.0)
    assert seen[100, 15:100].all()  # west slope
    assert seen[100, 101:186].all()  # east slope
    assert seen[15:100, 100].all()  # north
    assert seen[101:186, 100].all()  # south


def test_camera_behind_a_hill_does_not_see_the_far_side():
    n = 201
    surface = np.zeros((n, n))
    surface[:, 95:106] = 20.0  # a 20 m ridge running north-south
    seen = run(surface, 100, 60, h=3.0, rng=95.0)
    assert not seen[100, 110:150].any()  # the ground right behind the ridge
    assert seen[100, 61:95].all()


def test_tilt_limits_what_is_seen():
    flat = np.zeros((121, 121))
    v = vertical_fov(60.0)
    seen = run(flat, 60, 60, h=5.0, target=0.0, fov=60.0, rng=60.0, tilt=45.0, vfov=v)
    seen[60, 60] = False  # the camera's own cell
    in_front = seen[:61, :] & sector_mask(flat.shape, 60, 60, 0, 60, 60)[:61, :]
    dist = np.hypot(*np.nonzero(in_front) - np.array([[60], [60]]))
    near = 5.0 / math.tan(math.radians(45 + v / 2))
    far = 5.0 / math.tan(math.radians(45 - v / 2))
    assert dist.min() >= near - 1.5
    assert dist.max() <= far + 1.5
    untilted = run(flat, 60, 60, h=5.0, target=0.0, fov=60.0, rng=60.0)
    assert untilted.sum() > 3 * seen.sum()


def test_unknown_heights_are_never_seen_and_do_not_block():
    flat = np.zeros((81, 81))
    flat[30:35, 38:43] = np.nan
    seen = run(flat, 40, 40, rng=35.0)
    assert not seen[30:35, 38:43].any()
    assert seen[10:28, 40].all()


def test_observer_neighbours_are_seen():
    surface = np.zeros((21, 21))
    surface[10, 10] = 10.0  # a camera on a 10 m mast on a spike
    seen = run(surface, 10, 10, h=2.0, rng=8.0)
    assert seen[9:12, 9:12].all()


def test_result_does_not_depend_on_the_raster_around_the_window():
    small = city_and_hillside(161, seed=3)
    big = np.full((901, 901), 500.0)  # tall walls everywhere outside the camera's reach
    big[300:461, 400:561] = small
    a = run(small, 80, 80, rng=70.0, bearing=30, fov=90)
    b = run(big, 380, 480, rng=70.0, bearing=30, fov=90)
    assert (a == b[300:461, 400:561]).all()
    assert not b[:300].any()


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    bearing=st.floats(0, 360, exclude_max=True),
    fov=st.sampled_from([20.0, 45.0, 60.0, 90.0, 135.0, 179.0, 200.0, 270.0]),
)
def test_sector_agrees_with_the_full_circle_clipped(seed, bearing, fov):
    surface = city_and_hillside(141, seed=seed)
    full = run(surface, 70, 70, rng=65.0)
    part = run(surface, 70, 70, rng=65.0, bearing=bearing, fov=fov)
    inside = sector_mask(surface.shape, 70, 70, bearing, fov, 65.0)
    # nothing outside the sector; a cell exactly on an edge (a diagonal at 45 degrees, a bearing of 1e-8 degrees)
    # is in or out by the last bits of the kernel's and this test's tolerances, so the edges get a micro-degree
    outer = sector_mask(surface.shape, 70, 70, bearing, fov + 2e-6, 65.0)
    assert not (part & ~outer).any()
    agree = (part[inside] == full[inside]).mean()
    assert agree >= 0.99


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    bearing=st.floats(0, 360, exclude_max=True),
    fov=st.sampled_from([30.0, 60.0, 90.0, 179.0, 200.0, 360.0]),
    tilt=st.sampled_from([np.nan, 10.0, 35.0]),
    heights=st.lists(st.sampled_from([0.0, 1.5, 4.5, 7.5, 20.0]), min_size=1, max_size=3),
)
def test_heights_in_one_sweep_are_the_sweeps_at_each_height(seed, bearing, fov, tilt, heights):
    """One sweep with more target heights gives, for them, the OR of one sweep at each height, and leaves the
    main target's cells as they were."""
    surface = city_and_hillside(121, seed=seed)
    row, col = 60 + seed % 7, 60 - seed % 5
    zo = surface[row, col] + 4.0
    vfov = vertical_fov(fov, 90.0) if fov < 360 else 60.0
    args = (1.0, 55.0, bearing, fov, tilt, vfov, 0.85714)
    main = np.zeros(surface.shape, np.uint8)
    n_main = viewshed_window(surface, row, col, zo, 1.7, *args, main, 0, 0)
    both, extra = np.zeros_like(main), np.zeros_like(main)
    n_both = viewshed_window_heights(
        surface, row, col, zo, 1.7, *args, both, 0, 0, np.array(heights, np.float64), extra
    )
    assert n_both == n_main
    np.testing.assert_array_equal(both, main)
    expected = np.zeros_like(main)
    for h in heights:
        one = np.zeros_like(main)
        viewshed_window(surface, row, col, zo, h, *args, one, 0, 0)
        expected |= one
    np.testing.assert_array_equal(extra, expected)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    bearing=st.one_of(st.floats(0, 360, exclude_max=True), st.sampled_from([0.0, 45.0, 90.0, 180.0, 270.0])),
    fov=st.one_of(st.floats(1, 360), st.sampled_from([30.0, 90.0, 180.0, 270.0, 360.0])),
    rng=st.floats(3, 58),
    at=st.tuples(st.integers(0, 120), st.integers(0, 120)),
)
def test_sector_box_holds_every_cell_the_kernel_marks(seed, bearing, fov, rng, at):
    """Swept into the square of its range, a view marks no cell outside its sector box (so a window of the
    box alone gives the same cells); observers near the raster's edges included."""
    surface = city_and_hillside(121, seed=seed)
    row, col = at
    full = np.zeros(surface.shape, np.uint8)
    n = viewshed_window(
        surface, row, col, surface[row, col] + 4.0, 1.7, 1.0, rng, bearing, fov, np.nan, 0.0, 0.0, full, 0, 0
    )
    r0, r1, c0, c1 = sector_box(row, col, rng, 1.0, bearing, fov, *surface.shape)
    assert full[r0 : r1 + 1, c0 : c1 + 1].sum() == full.sum() == n
    part = np.zeros((r1 - r0 + 1, c1 - c0 + 1), np.uint8)
    viewshed_window(
        surface, row, col, surface[row, col] + 4.0, 1.7, 1.0, rng, bearing, fov, np.nan, 0.0, 0.0, part, r0, c0
    )
    np.testing.assert_array_equal(part, full[r0 : r1 + 1, c0 : c1 + 1])
    if fov < 90 and rng >= 40:  # a narrow, long sector's box is half the square of its range at most (0.48)
        assert (r1 - r0 + 1) * (c1 - c0 + 1) <= 0.5 * (2 * int(rng) + 1) ** 2


BOUNDS_SCRIPT = """
import numpy as np
from equity.visibility.viewshed import sector_box, viewshed_window_heights
from tests.viewshed_reference import city_and_hillside
rng = np.random.default_rng(5)
cases = [(38, 9, 3.1, 244.7, 49.3, 41), (60, 60, 50.0, 0.0, 200.0, 121)]  # found by review: written past the box
for _ in range(400):
    n = int(rng.integers(15, 90))
    fov = float(rng.choice([rng.uniform(1, 360), 180.0, 179.9, 181.0, 359.9]))
    cases.append((int(rng.integers(0, n)), int(rng.integers(0, n)), float(rng.uniform(1.5, 45)),
                  float(rng.uniform(-400, 800)), fov, n))
for row, col, reach, bearing, fov, n in cases:
    surface = city_and_hillside(n, seed=row + col)
    r0, r1, c0, c1 = sector_box(row, col, reach, 1.0, bearing, fov, n, n)
    out = np.zeros((r1 - r0 + 1, c1 - c0 + 1), np.uint8)
    extra = np.zeros_like(out)
    viewshed_window_heights(surface, row, col, surface[row, col] + 3.0, 1.7, 1.0, reach, bearing, fov, np.nan, 0.0,
                            0.0, out, r0, c0, np.array([1.5, 4.5]), extra)
print("ok", len(cases))
"""


def test_kernel_never_writes_outside_the_sector_box(tmp_path):
    """Compiled with numba's bounds checks (in a process of its own, with a fresh cache): the sweep reads and
    writes no cell outside the window of its sector box, whatever it writes there (a 0 written outside the
    window would not show in the results, only in memory that is not the window's)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    done = subprocess.run(
        [sys.executable, "-c", BOUNDS_SCRIPT], cwd=root, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok")


def test_window_smaller_than_the_sector_box_is_refused():
    surface = np.zeros((101, 101))
    r0, r1, c0, c1 = sector_box(50, 50, 30.0, 1.0, 90.0, 60.0, 101, 101)
    small = np.zeros((r1 - r0 + 1, c1 - c0), np.uint8)  # one column short
    with pytest.raises(ValueError, match="sector"):
        viewshed_window(surface, 50, 50, 3.0, 1.7, 1.0, 30.0, 90.0, 60.0, np.nan, 0.0, 0.0, small, r0, c0)


needs_gdal = pytest.mark.skipif(GDAL_VIEWSHED is None, reason="gdal_viewshed (Debian gdal-bin) is not installed")


def _observers(shape, n, seed, margin):
    rng = np.random.default_rng(seed)
    return [tuple(int(v) for v in rng.integers(margin, np.array(shape) - margin)) for _ in range(n)]


@needs_gdal
@pytest.mark.parametrize(
    ("name", "cell", "oz", "max_dist"),
    [("city_and_hillside", 1.0, 4.0, 120.0), ("jacksboro", 30.0, 10.0, 3000.0)],
)
def test_agrees_with_gdal_viewshed(name, cell, oz, max_dist):
    surface = city_and_hillside(301) if name == "city_and_hillside" else jacksboro_dem()
    agree_cells = total_cells = 0
    worst = 1.0
    for row, col in _observers(surface.shape, 50, seed=11, margin=5):
        ours = run(surface, row, col, h=oz, target=1.7, rng=max_dist, cell=cell)
        ref = gdal_viewshed(surface, cell, row, col, observer_h=oz, target_h=1.7, max_dist=max_dist)
        within = in_range(surface.shape, row, col, max_dist / cell)
        agree = (ours == ref)[within]
        agree_cells += agree.sum()
        total_cells += agree.size
        worst = min(worst, agree.mean())
    assert agree_cells / total_cells >= 0.98
    assert worst >= 0.95


@needs_gdal
@pytest.mark.parametrize(("row", "col"), [(0, 0), (0, 100), (100, 0), (120, 120), (60, 120), (0, 60)])
def test_observer_at_the_raster_edge_agrees_with_gdal(row, col):
    surface = city_and_hillside(121, seed=5)
    ours = run(surface, row, col, h=4.0, rng=80.0)
    ref = gdal_viewshed(surface, 1.0, row, col, observer_h=4.0, target_h=1.7, max_dist=80.0)
    within = in_range(surface.shape, row, col, 80.0)
    assert (ours == ref)[within].mean() >= 0.98


def test_many_observers_counted_in_parallel_match_one_by_one():
    from equity.visibility.viewshed import count_visible

    surface = city_and_hillside(201, seed=9)
    rng = np.random.default_rng(1)
    n = 40
    rows, cols = rng.integers(0, 201, n), rng.integers(0, 201, n)
    zo = surface[rows, cols] + 4.0
    ranges = rng.uniform(20, 90, n)
    bearings, fovs = rng.uniform(0, 360, n), rng.choice([60.0, 90.0, 360.0], n)
    tilts = np.where(rng.random(n) < 0.3, 20.0, np.nan)
    vfovs = np.full(n, 34.0)
    total, visible = count_visible(surface, rows, cols, zo, ranges, bearings, fovs, tilts, vfovs, 1.7, 1.0, 0.0, 2)
    expected = np.zeros(surface.shape, np.int64)
    for i in range(n):
        out = np.zeros(surface.shape, np.uint8)
        k = viewshed_window(
            surface,
            int(rows[i]),
            int(cols[i]),
            zo[i],
            1.7,
            1.0,
            ranges[i],
            bearings[i],
            fovs[i],
            tilts[i],
            vfovs[i],
            0.0,
            out,
            0,
            0,
        )
        assert k == visible[i]
        expected += out
    assert (total == expected).all()


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000), density=st.floats(0.2, 0.9), shape=st.tuples(st.integers(1, 30), st.integers(1, 30))
)
def test_outline_is_the_cells_as_gdal_polygonizes_them(seed, density, shape):
    """The traced outline covers exactly the cells that ``rasterio.features.shapes`` (4-connectivity) gives,
    with as many parts, and is valid: holes, cells touching at a corner and parts at the edges included."""
    import shapely
    from affine import Affine
    from rasterio import features

    from equity.visibility.outline import outline

    mask = (np.random.default_rng(seed).random(shape) < density).astype(np.uint8)
    transform = Affine(2.0, 0.0, 500_000.0, 0.0, -2.0, 4_000_000.0)
    geom = outline(mask, transform)
    if not mask.any():
        assert geom is None
        return
    parts = [shapely.geometry.shape(g) for g, _ in features.shapes(mask, mask=mask > 0, transform=transform)]
    reference = shapely.union_all(parts)
    assert geom.is_valid
    assert geom.area == pytest.approx(4.0 * mask.sum())
    assert shapely.symmetric_difference(geom, reference).area == pytest.approx(0.0, abs=1e-6)
    assert shapely.get_num_geometries(geom) == len(parts)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_burn_polygons_agrees_with_rasterio(seed):
    """The compiled burner gives the cells rasterio's rasterize gives (centres inside, later polygons on top),
    for buffered points, polygons with holes, multipolygons and polygons over the grid's edges."""
    import shapely
    from affine import Affine
    from rasterio import features

    from equity.visibility.surface import burn_polygons

    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 110, (12, 2))
    geoms = list(shapely.buffer(shapely.points(centres), rng.uniform(1, 25, 12)))
    geoms[0] = geoms[0].difference(shapely.Point(centres[0]).buffer(0.5))  # a hole
    geoms[1] = shapely.MultiPolygon([geoms[1], shapely.box(-5, -5, 7.3, 3.1)]).buffer(0)
    geoms[2] = None
    transform = Affine(1.0, 0.0, 0.3, 0.0, -1.0, 99.7)
    values = np.arange(1, 13, dtype=np.int32)
    expected = features.rasterize(
        [(g, int(v)) for g, v in zip(geoms, values, strict=True) if g is not None],
        out_shape=(90, 95),
        transform=transform,
        dtype="int32",
    )
    got = burn_polygons(np.array(geoms, dtype=object), values, np.zeros((90, 95), np.int32), transform)
    assert (got == expected).all()
