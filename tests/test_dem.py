"""Reading a DEM onto the grid: the direct bilinear interpolation (same CRS, no finer than the grid) against
GDAL's warper, the reference, on windows across the raster's edges and around nodata holes."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from pyproj import CRS

from equity.io import dem as dem_io
from equity.io.dem import dem_on_grid

UTM = CRS.from_epsg(32617)
ORIGIN = (500000.0, 4000000.0)  # the source's upper-left corner
RES = 10.0
SIZE = 60


def _terrain(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    return (100 + 3 * x + 0.5 * y + 20 * np.sin(x / 7.0) * np.cos(y / 5.0) + rng.normal(0, 2, (SIZE, SIZE))).astype(
        "float32"
    )


def _write(path, values, *, dtype="float32", nodata=None, crs="EPSG:32617", res=RES):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=values.shape[0],
        width=values.shape[1],
        count=1,
        dtype=dtype,
        crs=crs,
        transform=Affine(res, 0, ORIGIN[0], 0, -res, ORIGIN[1]),
        nodata=nodata,
    ) as dst:
        dst.write(values.astype(dtype), 1)
    return path


def _holes(values: np.ndarray, fill, seed: int = 1) -> np.ndarray:
    out = values.copy()
    rng = np.random.default_rng(seed)
    for _ in range(25):
        r, c = rng.integers(0, SIZE, 2)
        out[r : r + rng.integers(1, 4), c : c + rng.integers(1, 4)] = fill
    return out


@pytest.fixture(scope="module")
def rasters(tmp_path_factory):
    """The same terrain as float32 without nodata, int16 with holes (nodata -9999), float32 with holes of
    declared NaN nodata, and float32 with NaN holes that the file does not declare as nodata."""
    d = tmp_path_factory.mktemp("dem")
    z = _terrain()
    return {
        "plain": _write(d / "plain.tif", z),
        "int16": _write(d / "int16.tif", _holes(np.round(z), -9999), dtype="int16", nodata=-9999),
        "nan": _write(d / "nan.tif", _holes(z, np.nan), nodata=float("nan")),
        "undeclared": _write(d / "undeclared.tif", _holes(z, np.nan)),
    }


def _warped(path, transform, shape):
    with rasterio.open(path) as src:
        return dem_io._read_warped(src, UTM, transform, shape)


def _agree(path, transform, shape, *, undeclared=False):
    with rasterio.open(path) as src:
        assert dem_io._direct_window(src, UTM, transform, shape) is not None, "expected the direct path"
    ours = dem_on_grid(path, UTM, transform, shape)[0] if _has_data(path, transform, shape) else None
    gdal = _warped(path, transform, shape)
    if ours is None:
        assert not np.isfinite(gdal).any()
        return
    if undeclared:  # GDAL spreads the NaN it takes for a value; where it gives a height, ours is the same
        assert (np.isfinite(ours) >= np.isfinite(gdal)).all()
    else:
        assert np.array_equal(np.isfinite(ours), np.isfinite(gdal))
    both = np.isfinite(ours) & np.isfinite(gdal)
    # the same bilinear weights, summed in another order: a float32 rounding step at most
    np.testing.assert_allclose(ours[both], gdal[both], rtol=2e-7, atol=1e-4)


def _has_data(path, transform, shape) -> bool:
    with rasterio.open(path) as src:
        sx, sy = dem_io._direct_window(src, UTM, transform, shape)
        return bool(np.isfinite(dem_io._read_direct(src, transform, shape, sx, sy)).any())


@pytest.mark.parametrize("kind", ["plain", "int16", "nan", "undeclared"])
@pytest.mark.parametrize(
    ("dx", "dy", "cell", "shape"),
    [
        (103.3, 97.7, 1.0, (300, 320)),  # inside, 1 m cells
        (-35.25, 22.5, 1.0, (200, 250)),  # across the west and north edges
        (540.1, 560.2, 2.5, (40, 40)),  # across the east and south edges
        (3.3, 1.7, 10.0, (61, 61)),  # the source's own resolution, shifted
        (0.0, 0.0, 5.0, (120, 120)),  # aligned on the pixels' corners
    ],
)
def test_direct_bilinear_agrees_with_gdal(rasters, kind, dx, dy, cell, shape):
    transform = Affine(cell, 0, ORIGIN[0] + dx, 0, -cell, ORIGIN[1] - dy)
    _agree(rasters[kind], transform, shape, undeclared=kind == "undeclared")


@hyp_settings(max_examples=40, deadline=None)
@given(
    dx=st.floats(-60, 600),
    dy=st.floats(-60, 600),
    # finer cells than the DEM's only: on a small window at about the DEM's own resolution, GDAL's warper takes
    # the window's padding for a reduction and widens its kernel, so that its own result depends on the
    # window's size (a 5-cell window at 10 m gives other heights than a 40-cell one); at the DEM's own
    # resolution the comparison runs on a window large enough for it, in the test above
    cell=st.sampled_from([0.5, 1.0, 2.0, 2.5]),
    kind=st.sampled_from(["plain", "int16", "nan", "undeclared"]),
)
def test_direct_bilinear_agrees_with_gdal_anywhere(rasters, dx, dy, cell, kind):
    transform = Affine(cell, 0, ORIGIN[0] + dx, 0, -cell, ORIGIN[1] - dy)
    _agree(rasters[kind], transform, (25, 31), undeclared=kind == "undeclared")


def test_undeclared_nan_is_nodata(rasters):
    """A NaN the file does not declare as nodata is read as no data, as when it is declared."""
    transform = Affine(1.0, 0, ORIGIN[0] - 35.25, 0, -1.0, ORIGIN[1] - 22.5)
    declared = dem_on_grid(rasters["nan"], UTM, transform, (200, 250))[0]
    undeclared = dem_on_grid(rasters["undeclared"], UTM, transform, (200, 250))[0]
    np.testing.assert_array_equal(declared, undeclared)


def test_tiles_read_the_same_cells(rasters):
    """A cell's elevation does not depend on the window it is read in (what makes tiles exact)."""
    whole = Affine(1.0, 0, ORIGIN[0] + 12.5, 0, -1.0, ORIGIN[1] - 7.25)
    full = dem_on_grid(rasters["int16"], UTM, whole, (500, 500))[0]
    for r0, c0, h, w in [(0, 0, 130, 170), (123, 245, 200, 100), (377, 388, 123, 112)]:
        part = dem_on_grid(rasters["int16"], UTM, whole @ Affine.translation(c0, r0), (h, w))[0]
        np.testing.assert_array_equal(part, full[r0 : r0 + h, c0 : c0 + w])


def test_known_answer(tmp_path):
    """A plane z = 2 i + 3 j (pixel column i, row j) is interpolated exactly between pixel centres."""
    j, i = np.mgrid[0:8, 0:8]
    path = _write(tmp_path / "plane.tif", (2.0 * i + 3.0 * j).astype("float32"))
    # cell centres at pixel coordinates 1.25, 1.75, ... : z = 2 (sx - 0.5) + 3 (sy - 0.5)
    transform = Affine(5.0, 0, ORIGIN[0] + 10.0, 0, -5.0, ORIGIN[1] - 10.0)
    ours = dem_on_grid(path, UTM, transform, (10, 10))[0]
    sx = 1.0 + (np.arange(10) + 0.5) * 0.5
    want = 2.0 * (sx[None, :] - 0.5) + 3.0 * (sx[:, None] - 0.5)
    np.testing.assert_allclose(ours, want, atol=1e-5)


@pytest.mark.parametrize(
    ("crs", "res", "cell"),
    [
        ("EPSG:32618", RES, 1.0),  # another CRS: reprojected
        ("EPSG:32617", RES, 20.0),  # coarser grid than the DEM: GDAL widens its kernel
        ("EPSG:32617", 2.0, 3.0),
    ],
)
def test_warper_where_direct_does_not_apply(tmp_path, crs, res, cell):
    path = _write(tmp_path / "other.tif", _terrain(), crs=crs, res=res)
    transform = Affine(cell, 0, ORIGIN[0] + 5.0, 0, -cell, ORIGIN[1] - 5.0)
    with rasterio.open(path) as src:
        assert dem_io._direct_window(src, UTM, transform, (10, 10)) is None
