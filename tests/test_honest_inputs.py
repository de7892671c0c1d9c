"""Inputs that used to be accepted and gave figures that cannot be right: overlapping units, a polar-cap unit,
a whole-world unit layer, infinite counts, and a DEM whose undeclared fill value (-3.4e38) was taken for ground.
Each is now refused with one sentence (exit 2) or computed right."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner
from pyproj import CRS
from shapely.geometry import box

from equity._errors import InputFormatError
from equity.cli import cli
from equity.io.dem import dem_on_grid
from equity.study import Study

WEST = (-122.42, 37.70, -122.41, 37.71)
EAST = (-122.41, 37.70, -122.40, 37.71)


def _units(path, features, *, crs="EPSG:4326"):
    """A unit layer of (properties, shapely polygon) pairs, as GeoJSON or (``.gpkg``) a GeoPackage."""
    gdf = gpd.GeoDataFrame([p for p, _ in features], geometry=[g for _, g in features], crs=crs)
    gdf.to_file(path, driver="GPKG" if str(path).endswith(".gpkg") else "GeoJSON")
    return path


def _cameras(path, points):
    path.write_text("id,lon,lat\n" + "".join(f"node/{i + 1},{x},{y}\n" for i, (x, y) in enumerate(points)))
    return path


def _analyze(tmp_path, cameras, units, *extra):
    return CliRunner().invoke(
        cli,
        ["analyze", "--cameras", str(cameras), "--units", str(units), "--out", str(tmp_path / "out"), *extra],
        obj={},
    )


def _one_sentence(result, *needles):
    """Exit 2, one 'equity: error:' line (nothing else), holding each of ``needles``."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("equity: error:"), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# 1. overlapping units


def test_duplicate_unit_is_refused(tmp_path):
    """A unit drawn twice got the other's residents and none of its cameras or crimes."""
    units = _units(
        tmp_path / "units.geojson",
        [
            ({"name": "A", "pop": 100}, box(*WEST)),
            ({"name": "B", "pop": 100}, box(*WEST)),
            ({"name": "C", "pop": 100}, box(*EAST)),
        ],
    )
    cams = _cameras(tmp_path / "cameras.csv", [(-122.415, 37.705), (-122.405, 37.705)])
    line = _one_sentence(_analyze(tmp_path, cams, units, "--population", "pop"), "units.geojson", "'A'", "'B'")
    assert "100" in line
    assert "overlap" in line


def test_partial_overlap_is_refused_with_its_share(tmp_path):
    # B reaches 10 % into A's width
    overlap = box(-122.411, 37.70, -122.40, 37.71)
    units = _units(tmp_path / "units.geojson", [({"name": "A"}, box(*WEST)), ({"name": "B"}, overlap)])
    cams = _cameras(tmp_path / "cameras.csv", [(-122.415, 37.705)])
    with pytest.raises(InputFormatError, match=r"'A' and 'B' overlap by 10\.0% of the smaller one's area"):
        Study(cameras=cams, units=units, sensitivity=False, statistics=False).load()


def test_digitising_slivers_pass_and_are_counted(tmp_path):
    # B overlaps A by a 1 m wide strip: a sliver (0.1 % of either), not a duplicate
    sliver = box(WEST[2] - 1e-5, 37.70, EAST[2], 37.71)
    units = _units(tmp_path / "units.geojson", [({"name": "A"}, box(*WEST)), ({"name": "B"}, sliver)])
    cams = _cameras(tmp_path / "cameras.csv", [(-122.415, 37.705)])
    inputs = Study(cameras=cams, units=units, sensitivity=False, statistics=False).load()
    assert inputs.ledger("units").counts["unit_overlaps_under_1pct"] == 1


# 2. a polar-cap unit


def test_polar_cap_unit_has_its_area_and_camera(tmp_path):
    """A cap from 85 N to the pole (edges along the parallel and the antimeridian) had area 0 in UPS North
    (its vertices were projected, not its edges), and its camera was dropped."""
    cap = box(-180, 85, 180, 90)
    units = _units(tmp_path / "units.geojson", [({"name": "Cap"}, cap)])
    cams = _cameras(tmp_path / "cameras.csv", [(0, 89.9), (120, 86)])
    inputs = Study(cameras=cams, units=units, sensitivity=False, statistics=False).load()
    # the cap's area on the sphere of the WGS84 authalic radius, the projection's area scale close to 1
    r = 6371007.2
    true_area = 2 * math.pi * r**2 * (1 - math.sin(math.radians(85)))
    assert inputs.area_m2.iloc[0] == pytest.approx(true_area, rel=0.02)
    result = Study(cameras=cams, units=units, sensitivity=False, statistics=False).run()
    assert int(result.units["cameras"].iloc[0]) == 2


def test_collapsed_unit_is_refused(tmp_path):
    """A 'polygon' whose corners all lie on one parallel has no area: refused, never a unit of 0 km²."""
    units = tmp_path / "units.geojson"
    ring = [[0, 89], [90, 89], [180, 89], [-90, 89], [0, 89]]
    square = [[10, 85], [11, 85], [11, 86], [10, 86], [10, 85]]
    units.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"name": n}, "geometry": {"type": "Polygon", "coordinates": [c]}}
                    for n, c in (("N", ring), ("M", square))
                ],
            }
        )
    )
    cams = _cameras(tmp_path / "cameras.csv", [(10.5, 85.5)])
    _one_sentence(_analyze(tmp_path, cams, units), "units.geojson", "'N'", "no area")


# 3. a whole-world unit layer


def test_world_unit_is_refused_with_an_accurate_sentence(tmp_path):
    units = _units(tmp_path / "units.geojson", [({"name": "World"}, box(-180, -90, 180, 90))])
    cams = _cameras(tmp_path / "cameras.csv", [(-122.415, 37.705), (2.35, 48.85)])
    line = _one_sentence(_analyze(tmp_path, cams, units), "units.geojson", "more than one metric CRS can hold")
    assert "none of its" not in line


def test_continent_wide_units_are_refused(tmp_path):
    units = _units(tmp_path / "units.geojson", [({"name": "US"}, box(-125, 25, -66, 49))])
    cams = _cameras(tmp_path / "cameras.csv", [(-122.415, 37.705)])
    with pytest.raises(InputFormatError, match="more than one metric CRS can hold"):
        Study(cameras=cams, units=units, sensitivity=False, statistics=False).load()


# 4. infinite counts


@pytest.mark.parametrize(("value", "other"), [(float("inf"), 5.0), ("1e400", "5")])
def test_infinite_population_column_is_refused(tmp_path, value, other):
    """inf in a number column, or the text 1e400 (too large for a float: read as inf)."""
    units = _units(
        tmp_path / "units.gpkg", [({"name": "A", "pop": value}, box(*WEST)), ({"name": "B", "pop": other}, box(*EAST))]
    )
    cams = _cameras(tmp_path / "cameras.csv", [(-122.415, 37.705)])
    _one_sentence(
        _analyze(tmp_path, cams, units, "--population", "pop"), "units.gpkg", "'A'", "'pop'", "not a finite number"
    )


def test_infinite_population_layer_is_refused(tmp_path):
    units = _units(tmp_path / "units.geojson", [({"name": "A"}, box(*WEST)), ({"name": "B"}, box(*EAST))])
    blocks = _units(
        tmp_path / "blocks.gpkg",
        [({"population": "10"}, box(*WEST)), ({"population": "1e400"}, box(*EAST))],
    )
    cams = _cameras(tmp_path / "cameras.csv", [(-122.415, 37.705)])
    _one_sentence(_analyze(tmp_path, cams, units, "--population", str(blocks)), "blocks.gpkg", "not a finite number")


def test_infinite_crime_count_is_refused(tmp_path):
    units = _units(
        tmp_path / "units.gpkg",
        [({"name": "A", "Robbery": 3.0}, box(*WEST)), ({"name": "B", "Robbery": -float("inf")}, box(*EAST))],
    )
    cams = _cameras(tmp_path / "cameras.csv", [(-122.415, 37.705)])
    _one_sentence(
        _analyze(tmp_path, cams, units, "--crime-columns", "Robbery"), "units.gpkg", "'B'", "not a finite number"
    )


def test_interpolation_refuses_infinite_population():
    crs = "EPSG:32610"
    units = gpd.GeoDataFrame({"unit_id": ["A"]}, geometry=[box(0, 0, 10, 10)], crs=crs)
    source = gpd.GeoDataFrame({"population": [math.inf]}, geometry=[box(0, 0, 10, 10)], crs=crs)
    from equity.population import interpolate_population

    with pytest.raises(InputFormatError, match="not a finite number"):
        interpolate_population(source, units)


# 5. a DEM with an undeclared fill value

FILL = float(np.finfo(np.float32).min)  # -3.4028235e38, GDAL's usual fill of float32 rasters


def _dem(path, values, transform, crs, nodata=None):
    with rasterio.open(
        path, "w", driver="GTiff", height=values.shape[0], width=values.shape[1], count=1, dtype="float32",
        crs=crs, transform=transform, nodata=nodata,
    ) as dst:  # fmt: skip
        dst.write(values.astype("float32"), 1)
    return path


def _slope(n=12):
    j, i = np.mgrid[0:n, 0:n]
    z = (100 + 2.0 * i + 3.0 * j).astype("float32")
    z[4:6, 5:8] = FILL
    return z


UTM10 = CRS.from_epsg(32610)


@pytest.mark.parametrize("crs", ["EPSG:32610", "EPSG:4326"])
def test_undeclared_fill_value_is_no_data(tmp_path, crs):
    """Cells of -3.4e38 in a DEM that declares no nodata are no data (as when declared), never ground, and
    never enter a neighbour's interpolation: on the grid's CRS (the direct bilinear) and in WGS84 (the warper)."""
    if crs == "EPSG:32610":
        src_t = Affine(10.0, 0, 550000.0, 0, -10.0, 4180000.0)
        grid = Affine(2.0, 0, 550003.0, 0, -2.0, 4179997.0)
    else:
        src_t = Affine(1e-4, 0, -122.43, 0, -1e-4, 37.75)
        grid = Affine(2.0, 0, 550220.0, 0, -2.0, 4178220.0)
    z = _slope()
    undeclared = _dem(tmp_path / "undeclared.tif", z, src_t, crs)
    declared = _dem(tmp_path / "declared.tif", z, src_t, crs, nodata=FILL)
    got, meta = dem_on_grid(undeclared, UTM10, grid, (40, 40))
    want = dem_on_grid(declared, UTM10, grid, (40, 40))[0]
    assert np.isnan(got).any()
    assert np.nanmin(got) >= 100
    assert np.nanmax(got) <= 100 + 5 * 12
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-3)
    assert meta["cells_at_or_below_fill"] > 0


def test_undeclared_fill_value_is_counted_in_the_study(tmp_path):
    src_t = Affine(1e-4, 0, -122.4205, 0, -1e-4, 37.7105)
    z = np.full((120, 220), 50.0, np.float32)
    z[10:30, 10:40] = FILL
    dem = _dem(tmp_path / "dem.tif", z, src_t, "EPSG:4326")
    units = _units(tmp_path / "units.geojson", [({"name": "A"}, box(*WEST)), ({"name": "B"}, box(*EAST))])
    cams = _cameras(tmp_path / "cameras.csv", [(-122.415, 37.705)])
    study = Study(cameras=cams, units=units, dem=dem, sensitivity=False, statistics=False)
    with pytest.raises(InputFormatError, match="no elevation for"):
        study.load()
    inputs = Study(cameras=cams, units=units, dem=dem, dem_fill="flat", sensitivity=False, statistics=False).load()
    assert inputs.dem_fill == 50.0
    assert inputs.ledger("dem").counts["dem_cells_at_or_below_-1e30_as_nodata"] > 0
