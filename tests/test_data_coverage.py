"""Data that covers the units only in part is reported, never silently used: a DEM that covers part of the
units (their terrain is missing below a documented covered share, and a warning names them), and population
polygons that lie mostly outside the units or whose area disagrees with their stated area (the real Treasure
Island block group of the demo's population layer, drawn at Hunters Point)."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from equity.settings import Settings
from equity.study import Study

REPO = Path(__file__).resolve().parents[1]

# three units of about 880 m by 1,110 m side by side, in San Francisco (UTM zone 10N)
UNITS = {
    "West": (-122.43, 37.70, -122.42, 37.71),
    "Middle": (-122.42, 37.70, -122.41, 37.71),
    "East": (-122.41, 37.70, -122.40, 37.71),
}


def _units(path, boxes=UNITS, **props):
    gdf = gpd.GeoDataFrame(
        {"name": list(boxes), **{k: list(v) for k, v in props.items()}},
        geometry=[box(*b) for b in boxes.values()],
        crs="EPSG:4326",
    )
    gdf.to_file(path, driver="GeoJSON")
    return path


def _cameras(path, points):
    path.write_text("id,lon,lat\n" + "".join(f"node/{i + 1},{x},{y}\n" for i, (x, y) in enumerate(points)))
    return path


def _layer(path, rows, crs="EPSG:4326"):
    """A polygon layer of (properties, shapely polygon) pairs."""
    gdf = gpd.GeoDataFrame([p for p, _ in rows], geometry=[g for _, g in rows], crs=crs)
    gdf.to_file(path, driver="GeoJSON")
    return path


# the population layer, for measures finer than the units


def test_population_layer_is_the_projected_polygons(tmp_path):
    units = _units(tmp_path / "units.geojson")
    cams = _cameras(tmp_path / "cams.csv", [(-122.415, 37.705)])
    pop = _layer(
        tmp_path / "pop.geojson",
        [
            ({"GEOID": "a", "pop": 100}, box(-122.43, 37.70, -122.41, 37.71)),
            ({"GEOID": "b", "pop": 50}, box(*UNITS["East"])),
        ],
    )
    inputs = Study(cameras=cams, units=units, population=pop, sensitivity=False, statistics=False).load()
    layer = inputs.population_layer
    assert layer is not None
    assert layer.crs == inputs.crs
    assert layer.crs.is_projected
    assert list(layer["population"]) == [100.0, 50.0]
    assert layer.geometry.iloc[1].area == pytest.approx(inputs.area_m2.iloc[2], rel=1e-9)
    as_column = Study(
        cameras=cams, units=_units(tmp_path / "u2.geojson", pop=[1, 2, 3]), population="pop", sensitivity=False
    ).load()
    assert as_column.population_layer is None


# a DEM that covers part of the units

UTM10 = "EPSG:32610"


def test_terrain_of_a_unit_is_from_its_covered_cells_or_missing():
    """Known answer on a plane rising 20 m per 100 m eastward: a unit the DEM covers 95% of gets the mean of its
    covered cells (the elevation of their middle, not of the unit's), one covered 40% gets nothing."""
    from affine import Affine

    from equity.terrain import NO_ELEVATION, terrain_by_unit

    cell = 10.0
    ground = np.tile((np.arange(60) * cell * 0.2).astype(np.float32), (20, 1))  # z = 2 j in column j
    ground[:, 19] = np.nan  # the first unit's last column: 19 of its 20 columns covered
    ground[:, 48:] = np.nan  # the third unit's columns 48 to 59: 12 of its 20 missing
    units = gpd.GeoDataFrame(
        {"unit_id": ["whole", "most", "part"]},
        geometry=[box(200, 0, 400, 200), box(0, 0, 200, 200), box(400, 0, 600, 200)],  # 20 columns each
        crs=UTM10,
    )
    out = terrain_by_unit(ground, Affine(cell, 0, 0, 0, -cell, 200), units)
    assert out["elevation_covered_share"].tolist() == pytest.approx([1.0, 0.95, 0.4])
    # the covered columns 0..18 of "most": mean z = 0.2 * 10 * 9 = 18 m (the whole unit's would be 19 m)
    assert out.loc[1, "elevation_m"] == pytest.approx(18.0)
    assert out.loc[0, "elevation_m"] == pytest.approx(0.2 * 10 * 29.5)
    assert out["terrain"].tolist() == ["hillside", "hillside", NO_ELEVATION]
    assert np.isnan(out.loc[2, "elevation_m"])
    assert np.isnan(out.loc[2, "slope_pct"])
    lenient = terrain_by_unit(ground, Affine(cell, 0, 0, 0, -cell, 200), units, min_covered_share=0.3)
    assert lenient.loc[2, "elevation_m"] == pytest.approx(0.2 * 10 * 43.5)  # columns 40..47 of "part"


EQUITY = str(Path(sys.executable).with_name("equity"))


def _equity(*args) -> subprocess.CompletedProcess:
    """The installed command, running this checkout's code."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([EQUITY, *map(str, args)], capture_output=True, text=True, check=False, timeout=600, env=env)


@pytest.fixture
def part_dem(tmp_path):
    """Three units side by side; a 5 m DEM in UTM 10N (a plane rising 15 m per 100 m eastward) that covers West,
    Middle but for a strip of nodata along its east edge (5% of its width), and the western 40% of East; dome
    cameras in the middle of West and Middle, and one in East's uncovered part."""
    import rasterio
    from affine import Affine

    units = _units(tmp_path / "units.geojson")
    utm = gpd.read_file(units).to_crs(UTM10)
    (wx0, y0, _, _), (mx0, _, mx1, _), (ex0, _, ex1, y1) = (g.bounds for g in utm.geometry)
    x0, top = np.floor(wx0 / 5) * 5 - 50, np.ceil(y1 / 5) * 5 + 50
    x_end = ex0 + 0.4 * (ex1 - ex0)
    width, height = int((x_end - x0) // 5), int((top - y0 + 50) // 5)
    centres = x0 + (np.arange(width) + 0.5) * 5
    z = np.tile(20 + 0.15 * (centres - x0), (height, 1))
    z[:, (centres > mx1 - 0.05 * (mx1 - mx0)) & (centres < mx1)] = -9999
    dem = tmp_path / "part.tif"
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "float32", "crs": UTM10}
    with rasterio.open(dem, "w", transform=Affine(5, 0, x0, 0, -5, top), nodata=-9999, **profile) as ds:
        ds.write(z.astype("float32"), 1)
    cams = tmp_path / "cams.csv"
    cams.write_text(
        "id,lon,lat,camera:type\nnode/1,-122.425,37.705,dome\nnode/2,-122.415,37.705,dome\n"
        "node/3,-122.402,37.705,dome\n"
    )
    east = utm.geometry.iloc[2]  # the units are not quite rectangles in UTM: East's covered share, by area
    covered = east.intersection(box(x0, y0 - 100, x0 + 5 * width, top)).area / east.area
    return tmp_path, units, cams, dem, covered


def test_a_dem_covering_part_of_the_units_is_refused_without_dem_fill(part_dem):
    tmp, units, cams, dem, _ = part_dem
    run = _equity("analyze", "--cameras", cams, "--units", units, "--dem", dem, "--no-sensitivity", "--out", tmp / "o")
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "no elevation for" in lines[0]
    assert "of the units' area" in lines[0]
    assert "unit 'East' is the least covered" in lines[0]
    assert "add --dem-fill flat" in lines[0]


def test_a_dem_covering_part_of_the_units_reports_their_terrain_missing(part_dem):
    """The run succeeds with --dem-fill flat: East's terrain is missing (40% covered, below 90%), Middle's is
    computed from its covered cells (95%), one warning names East with its share, and the report states the
    manifest's missing shares."""
    from equity.presentation.formatting import pct

    tmp, units, cams, dem, east_covered = part_dem
    out = tmp / "out"
    run = _equity(
        "analyze", "--cameras", cams, "--units", units, "--dem", dem, "--dem-fill", "flat", "--no-sensitivity",
        "--map-assets", "cdn", "--out", out,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out / "units.csv").set_index("unit_id")
    share = table["elevation_covered_share"]
    assert share["West"] == 1.0
    assert share["Middle"] == pytest.approx(0.95, abs=0.01)
    # within one 10 m column of the 880 m wide unit (the resampled DEM's edge)
    assert share["East"] == pytest.approx(east_covered, abs=0.012)
    assert 0.35 < east_covered < 0.42
    assert table.loc["East", "terrain"] == "no elevation data"
    assert np.isnan(table.loc["East", "elevation_m"])
    assert np.isnan(table.loc["East", "slope_pct"])
    assert table.loc[["West", "Middle"], "terrain"].tolist() == ["hillside", "hillside"]
    assert table.loc["Middle", "slope_pct"] == pytest.approx(15.0, abs=0.1)
    assert "no elevation data (the DEM covers 3" in table.loc["East", "data_gaps"]

    manifest = json.loads((out / "manifest.json").read_text())
    terrain = manifest["sources"]["terrain"]
    assert list(terrain["units_without_elevation_data"]) == ["East"]
    assert manifest["counts"]["terrain_units_without_elevation_data"] == 1
    assert manifest["counts"]["terrain_units_from_covered_cells_only"] == 1  # Middle
    east = terrain["units_without_elevation_data"]["East"]
    [warning] = [w for w in manifest["warnings"] if "DEM" in w]
    assert f"East ({100 * east:.1f}% covered)" in warning
    assert "Middle" not in warning
    assert "less than 90%" in warning
    assert warning in run.stderr + run.stdout  # the command line shows it

    report = (out / "report.html").read_text()
    assert html.escape(warning) in report
    # the two shares of missing elevation, each as the manifest holds it
    assert 0.1 < terrain["missing_share"] < 0.3
    assert f"The DEM gives no elevation for {pct(terrain['missing_share'])} of the units' area" in report
    reach = manifest["counts"]["dem_cells_missing_share"]
    assert reach == pytest.approx(manifest["sources"]["dem"]["reach_missing_share"], abs=1e-6)
    assert reach > 0  # the camera in East looks over ground without elevation, taken flat
    assert f"Within the cameras' reach, {pct(reach)} of the 1 m cells" in report
    assert f"no elevation data (the DEM covers {100 * east:.1f}% of it)" in report
    assert "The terrain of 1 unit is that of its covered cells only" in report  # Middle


# population polygons that are not where they should be

SQ_MILE = 1609.344**2


def _population_study(tmp_path, rows, **options):
    units = _units(tmp_path / "units.geojson")
    cams = _cameras(tmp_path / "cams.csv", [(-122.415, 37.705)])
    pop = _layer(tmp_path / "pop.geojson", rows)
    return Study(cameras=cams, units=units, population=pop, sensitivity=False, statistics=False, **options)


def test_a_population_polygon_mostly_or_wholly_outside_the_units_is_named(tmp_path):
    """A block mostly in the bay east of the units (a tenth inside) keeps its residents, all given to that tenth,
    and is named in a warning; one far away is named with its residents, which are not counted."""
    rows = [
        ({"GEOID": "inside", "pop": 1000}, box(-122.43, 37.70, -122.41, 37.71)),
        ({"GEOID": "bay", "pop": 300}, box(-122.401, 37.70, -122.391, 37.71)),  # 10% of it in East
        ({"GEOID": "far", "pop": 50}, box(-122.30, 37.80, -122.29, 37.81)),
    ]
    inputs = _population_study(tmp_path, rows).load()
    ledger = inputs.ledger("population")
    assert inputs.population.iloc[2] == pytest.approx(300)  # nothing reassigned: the bay block's 300 in East
    assert inputs.population.sum() == pytest.approx(1300)
    assert list(ledger.counts["population_polygons_mostly_outside_units"]) == ["bay"]
    assert ledger.counts["population_polygons_mostly_outside_units"]["bay"] == pytest.approx(0.1, abs=0.005)
    assert ledger.counts["population_polygons_wholly_outside_units"] == {"far": 50.0}
    [mostly] = [w for w in ledger.warnings if "mostly outside" in w]
    assert mostly.startswith("1 population polygon lies mostly outside the units (less than 50% of its area")
    assert "bay (300 residents; 10.0% of its 0.978 km² inside)" in mostly
    [wholly] = [w for w in ledger.warnings if "wholly outside" in w]
    assert "its 50 residents are not counted: far (50 residents)" in wholly
    assert "population_polygons_area_disagrees" not in ledger.counts  # the layer states no area
    result = _population_study(tmp_path, rows).run()
    assert mostly in result.ledger.warnings  # an analysis takes the loaded layer's warnings


def test_a_population_polygon_whose_area_disagrees_with_its_stated_area(tmp_path):
    """ALAND and AWATER in m² (TIGER/Line): a polygon drawn far smaller than its land, one far larger than its land
    and water, and one larger than its land but within its water (a shoreline block) that is not named."""
    area = 0.88e6  # m²: the units are 0.978 km²
    rows = [
        ({"GEOID": "small", "pop": 100, "ALAND": 10 * area, "AWATER": 0}, box(*UNITS["West"])),
        ({"GEOID": "large", "pop": 100, "ALAND": area / 5, "AWATER": area / 50}, box(*UNITS["Middle"])),
        ({"GEOID": "shore", "pop": 100, "ALAND": area / 5, "AWATER": area}, box(*UNITS["East"])),
    ]
    ledger = _population_study(tmp_path, rows).load().ledger("population")
    off = ledger.counts["population_polygons_area_disagrees"]
    assert list(off) == ["small", "large"]
    assert off["small"] == pytest.approx(0.1114, rel=0.01)  # 0.978 km² drawn, 8.8 km² stated
    [warning] = [w for w in ledger.warnings if "differs from the area" in w]
    assert warning.startswith(
        "2 population polygons have an area on the map that differs from the area the layer states in ALAND and "
        "AWATER (land and water areas, m²) by more than a factor of 3: "
    )
    assert "small (0.978 km² on the map, 8.8 km² of land stated: 9 times smaller)" in warning
    assert "large (0.978 km² on the map, 0.176 km² of land stated: 6 times larger)" in warning
    assert "shore" not in warning
    lenient = _population_study(tmp_path, rows, settings=Settings(population_area_factor=20)).load()
    assert lenient.ledger("population").counts["population_polygons_area_disagrees"] == {}


def test_many_polygons_are_named_a_few_then_counted(tmp_path):
    rows = [
        ({"GEOID": f"bg{i}", "pop": 10 + i}, box(-122.30, 37.80 + i * 0.01, -122.29, 37.805 + i * 0.01))
        for i in range(8)
    ]
    rows.append(({"GEOID": "inside", "pop": 1000}, box(*UNITS["West"])))
    ledger = _population_study(tmp_path, rows).load().ledger("population")
    [wholly] = [w for w in ledger.warnings if "wholly outside" in w]
    assert "8 population polygons lie wholly outside the units, and their 108 residents" in wholly
    assert wholly.endswith("bg3 (13 residents) and 3 more (all listed in the manifest).")
    assert len(ledger.counts["population_polygons_wholly_outside_units"]) == 8


def test_the_treasure_island_block_group_of_the_demo_is_named(sf_dir):
    """The demo's 2010 block group 1 of census tract 179.02 (Treasure Island, 2,880 residents, 1.051 square miles
    of land) is drawn as a sliver of 0.076 km² on the shore at Hunters Point, 91% of it in the bay: both checks
    name it, and its residents stay where it is drawn."""
    study = Study(
        cameras=sf_dir / "cameras.osm",
        units=sf_dir / "neighborhoods.geojson",
        population=sf_dir / "block_groups.geojson",
        population_column="Population",
        sensitivity=False,
        statistics=False,
    )
    inputs = study.load()
    ledger = inputs.ledger("population")
    treasure = "1500000US060750179021"
    assert ledger.sources["population"]["stated_area"] == "CENSUSAREA (land area, square miles)"
    assert ledger.counts["population_polygons_area_disagrees"] == {treasure: pytest.approx(0.0278, abs=0.0005)}
    outside = ledger.counts["population_polygons_mostly_outside_units"]
    assert next(iter(outside)) == treasure  # the least inside first
    assert outside[treasure] == pytest.approx(0.087, abs=0.001)
    [area] = [w for w in ledger.warnings if "differs from the area" in w]
    assert f"{treasure} (0.0757 km² on the map, 2.72 km² of land stated: 36 times smaller)" in area
    [mostly] = [w for w in ledger.warnings if "mostly outside" in w]
    assert f"{treasure} (2,880 residents; 8.7% of its 0.0757 km² inside)" in mostly
    bayview = inputs.units["unit_id"].eq("Bayview Hunters Point").to_numpy()
    layer = inputs.population_layer
    drawn = layer.loc[layer["name"] == treasure].geometry.iloc[0]
    assert inputs.units.geometry[bayview].iloc[0].intersects(drawn)  # where it is drawn, and kept there
    assert inputs.population.sum() == pytest.approx(805235)
