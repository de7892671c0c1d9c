"""A DEM in several tiles (SRTM .hgt, GeoTIFF), given as several files or a folder: mosaicked in the process
through a GDAL virtual raster, it gives the same heights, terrain and viewsheds as the same DEM in one file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner
from pyproj import CRS

from equity._errors import CRSError, InputFileError, InputFormatError
from equity.cli import cli
from equity.io.dem import DemSource, dem_tiles
from equity.study import Study

#: SRTM's 3-arc-second tiles: 1201 x 1201 samples, the first and last rows and columns on the whole degrees, so
#: that neighbouring tiles share an edge of samples.
HGT = 1201
STEP = 1 / 1200


def _height(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """A smooth terrain with hills of about 40 m over a few hundred metres (the same at a shared edge)."""
    return 60 + 40 * np.sin(lon * 900) * np.cos(lat * 700) + 300 * (lon + 122.0)


def _hgt(folder, lat: int, lon: int):
    """A real SRTM tile: named by its south-west corner, 16-bit signed big-endian heights, rows from north."""
    name = f"{'N' if lat >= 0 else 'S'}{abs(lat):02d}{'E' if lon >= 0 else 'W'}{abs(lon):03d}.hgt"
    lons = lon + np.arange(HGT) * STEP
    lats = lat + 1 - np.arange(HGT) * STEP
    z = np.rint(_height(lons[None, :], lats[:, None])).astype(">i2")
    path = folder / name
    path.write_bytes(z.tobytes())
    return path, z.astype(np.int16)


def _tif(path, z, transform, crs, nodata=None):
    with rasterio.open(
        path, "w", driver="GTiff", width=z.shape[1], height=z.shape[0], count=1, dtype=z.dtype, crs=crs,
        transform=transform, nodata=nodata,
    ) as ds:  # fmt: skip
        ds.write(z, 1)
    return path


@pytest.fixture(scope="module")
def srtm(tmp_path_factory):
    """Two adjacent .hgt tiles in a folder (N37W123 and N37W122, sharing the meridian 122 W), and the same
    heights in one GeoTIFF."""
    root = tmp_path_factory.mktemp("srtm")
    tiles = root / "tiles"
    tiles.mkdir()
    (tiles / "README.txt").write_text("not a tile")
    west, zw = _hgt(tiles, 37, -123)
    east, ze = _hgt(tiles, 37, -122)
    assert np.array_equal(zw[:, -1], ze[:, 0])  # the shared column
    whole = np.concatenate([zw, ze[:, 1:]], axis=1)
    one = _tif(
        root / "one.tif", whole, Affine(STEP, 0, -123 - STEP / 2, 0, -STEP, 38 + STEP / 2), "EPSG:4326", nodata=-32768
    )
    return tiles, (west, east), one


def test_rasterio_reads_an_hgt_tile_by_its_name(srtm):
    _, (west, _), _ = srtm
    with rasterio.open(west) as src:
        assert src.driver == "SRTMHGT"
        assert src.shape == (HGT, HGT)
        assert src.transform.c == pytest.approx(-123 - STEP / 2)
        assert src.crs.to_epsg() == 4326


def test_folder_lists_its_tiles_only(srtm):
    tiles, (west, east), _ = srtm
    assert dem_tiles(tiles) == [east, west]  # name order: N37W122, N37W123; the README left alone
    assert dem_tiles([west, east, west]) == [west, east]


@pytest.mark.parametrize("grid_crs", ["EPSG:32610", "EPSG:4326"])
def test_the_mosaic_reads_the_heights_of_the_single_file(srtm, grid_crs):
    tiles, _, one = srtm
    crs = CRS.from_user_input(grid_crs)
    if crs.is_projected:  # 10 m cells across the meridian 122 W, the tiles' shared edge
        transform, shape = Affine(10, 0, 587_000, 0, -10, 4_151_000), (200, 300)
    else:
        transform, shape = Affine(STEP / 3, 0, -122.01, 0, -STEP / 3, 37.51), (60, 72)
    mosaic, single = DemSource(tiles), DemSource(one)
    try:
        a, meta = mosaic.read(crs, transform, shape)
        b, _ = single.read(crs, transform, shape)
    finally:
        mosaic.close()
        single.close()
    assert meta["size"] == [HGT, 2 * HGT - 1]
    assert np.isfinite(a).all()
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-3)


def _study_files(root, dem_spec):
    """Two units either side of the meridian 122 W near 37.5 N, three cameras looking across the hills."""
    lon, lat = -122.0, 37.5
    d = 0.003
    boxes = {"west": (lon - 2 * d, lon), "east": (lon, lon + 2 * d)}
    feats = [
        {
            "type": "Feature",
            "properties": {"name": name},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[a, lat - d], [b, lat - d], [b, lat + d], [a, lat + d], [a, lat - d]]],
            },
        }
        for name, (a, b) in boxes.items()
    ]
    units = root / "units.geojson"
    units.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    cams = root / "cams.csv"
    cams.write_text(
        "id,lon,lat,man_made,surveillance,camera:type,direction,camera:mount,height\n"
        f"node/1,{lon - 0.0004},{lat},surveillance,public,fixed,90,pole,6\n"
        f"node/2,{lon + 0.0015},{lat + 0.001},surveillance,public,fixed,270,pole,4\n"
        f"node/3,{lon - 0.003},{lat - 0.002},surveillance,public,dome,,wall,3\n"
    )
    return units, cams


def _run(root, dem):
    units, cams = _study_files(root, dem)
    return Study(cameras=cams, units=units, dem=dem, sensitivity=False, statistics=False).run()


COMPARED = ["covered_km2", "open_km2", "elevation_m", "slope_pct", "terrain"]


def test_a_folder_of_hgt_tiles_gives_the_results_of_one_file(srtm, tmp_path):
    tiles, _, one = srtm
    by_tiles, by_file = _run(tmp_path, tiles), _run(tmp_path, one)
    a, b = by_tiles.units.set_index("unit_id"), by_file.units.set_index("unit_id")
    assert (a["covered_km2"] > 0).all()
    assert a["slope_pct"].notna().all()
    pd.testing.assert_frame_equal(a[COMPARED], b[COMPARED], rtol=1e-6)
    pd.testing.assert_series_equal(
        by_tiles.views.set_index("camera_id")["visible_m2"], by_file.views.set_index("camera_id")["visible_m2"]
    )
    assert by_tiles.meta["dem"]["size"] == [HGT, 2 * HGT - 1]
    assert by_tiles.meta["dem"]["tiles"] == ["N37W122.hgt", "N37W123.hgt"]
    assert by_tiles.meta["dem"]["units_missing_share_at_check"] == 0


def _utm_tiles(root, *, east_crs="EPSG:32610", gap=0):
    """The same terrain as two adjacent GeoTIFF tiles of 5 m pixels in UTM 10N (the second ``gap`` pixels
    further east), and as one file."""
    x0, y1, res, h, w = 587_600.0, 4_151_400.0, 5.0, 240, 150
    xs = x0 + (np.arange(2 * w) + 0.5) * res
    ys = y1 - (np.arange(h) + 0.5) * res
    z = (50 + 20 * np.sin(xs[None, :] / 80) * np.cos(ys[:, None] / 60) + 0.05 * (xs[None, :] - x0)).astype("float32")
    west = _tif(root / "west.tif", z[:, :w], Affine(res, 0, x0, 0, -res, y1), "EPSG:32610", nodata=-9999)
    east = _tif(root / "east.tif", z[:, w:], Affine(res, 0, x0 + (w + gap) * res, 0, -res, y1), east_crs, nodata=-9999)
    one = _tif(root / "one_utm.tif", z, Affine(res, 0, x0, 0, -res, y1), "EPSG:32610", nodata=-9999)
    return west, east, one


def test_two_adjacent_tif_tiles_give_the_results_of_one_file(tmp_path):
    west, east, one = _utm_tiles(tmp_path)
    by_tiles, by_file = _run(tmp_path, [west, east]), _run(tmp_path, one)
    a, b = by_tiles.units.set_index("unit_id"), by_file.units.set_index("unit_id")
    assert (a["covered_km2"] > 0).all()
    pd.testing.assert_frame_equal(a[COMPARED], b[COMPARED], check_exact=True)
    assert by_tiles.views["visible_m2"].tolist() == by_file.views["visible_m2"].tolist()


def test_a_mosaic_travels_to_a_worker_as_its_tiles(tmp_path):
    import pickle

    west, east, one = _utm_tiles(tmp_path)
    grid = (CRS.from_epsg(32610), Affine(2, 0, 587_700, 0, -2, 4_151_300), (100, 150))
    source = DemSource([west, east])
    try:
        here, _ = source.read(*grid)
    finally:
        source.close()
    travelled = pickle.loads(pickle.dumps(source))
    try:
        there, _ = travelled.read(*grid)
    finally:
        travelled.close()
    assert travelled.tiles == [west, east]
    np.testing.assert_array_equal(here, there)
    single = DemSource(one)
    try:
        np.testing.assert_array_equal(here, single.read(*grid)[0])
    finally:
        single.close()


def test_tiles_in_two_crss_are_refused_naming_both(tmp_path):
    west, east, _ = _utm_tiles(tmp_path, east_crs="EPSG:26910")
    with pytest.raises(CRSError, match=r"east\.tif: the DEM tile is in EPSG:26910, while west\.tif is in EPSG:32610"):
        DemSource([west, east])._dataset()


def test_a_gap_between_tiles_under_the_units_is_caught_by_the_coverage_check(tmp_path):
    west, east, _ = _utm_tiles(tmp_path, gap=40)  # 200 m of no data between the tiles, under the east unit
    with pytest.raises(
        InputFormatError, match=r"the DEM of 2 tiles \(west\.tif, east\.tif\): the DEM has no elevation"
    ):
        _run(tmp_path, [west, east])


def test_a_folder_without_tiles_is_refused(tmp_path):
    (tmp_path / "N37W123.hgt.zip").write_bytes(b"PK\x03\x04")
    with pytest.raises(InputFileError, match=r"unzip the \.zip files first"):
        dem_tiles(tmp_path)


def test_tiles_of_two_resolutions_are_refused(tmp_path):
    west, _, _ = _utm_tiles(tmp_path)
    fine = _tif(
        tmp_path / "fine.tif", np.zeros((10, 10), "float32"), Affine(1, 0, 588_400, 0, -1, 4_151_200), "EPSG:32610"
    )
    with pytest.raises(InputFormatError, match="give tiles of one resolution"):
        DemSource([west, fine])._dataset()


def test_cli_dem_given_twice(tmp_path):
    west, east, one = _utm_tiles(tmp_path)
    units, cams = _study_files(tmp_path, None)
    out = tmp_path / "out"
    run = CliRunner().invoke(
        cli,
        ["analyze", "--cameras", str(cams), "--units", str(units), "--dem", str(west), "--dem", str(east),
         "--no-sensitivity", "--out", str(out)],
        obj={},
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert {k: v["name"] for k, v in manifest["inputs"].items() if k.startswith("dem")} == {
        "dem_1": "west.tif",
        "dem_2": "east.tif",
    }
    table = pd.read_csv(out / "units.csv").set_index("unit_id")
    single = _run(tmp_path, one).units.set_index("unit_id")
    assert table["slope_pct"].to_numpy() == pytest.approx(single["slope_pct"].to_numpy(), abs=0.06)
