"""Load once, analyse many: a study opens each input file once, and analyses of loaded inputs open none.

The files are watched with the kernel's inotify (every open(2) of a watched file is an event, whoever opens
it: Python, pandas, GDAL through pyogrio and rasterio, or pyosmium), so these tests see what the readers'
libraries really do, not what equity's code asks for.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import shutil
import sys

import numpy as np
import pytest
import rasterio
from affine import Affine

from equity.analysis import analyse
from equity.demo import demo_data_dir, demo_study
from equity.sensitivity import with_sensitivity
from equity.settings import Settings
from equity.study import Study
from tests.file_opens import Opens

LON0, LAT0 = 24.94, 60.17

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


@pytest.fixture
def sf_copy(tmp_path):
    folder = tmp_path / "sf"
    folder.mkdir()
    for name in ("cameras.osm", "neighborhoods.geojson", "crime_incidents_2012H2.csv", "block_groups.geojson"):
        shutil.copy(demo_data_dir() / name, folder / name)
    study = dataclasses.replace(
        demo_study(sensitivity=True),
        cameras=folder / "cameras.osm",
        units=folder / "neighborhoods.geojson",
        crime=folder / "crime_incidents_2012H2.csv",
        population=folder / "block_groups.geojson",
    )
    return folder, study


def test_the_demo_opens_each_input_once(sf_copy):
    folder, study = sf_copy
    opens = Opens(folder)
    result = study.run()
    counted = opens.read()
    assert len(result.sensitivity.classes.columns) > 1
    assert set(counted) == {p.name for p in folder.iterdir()}
    assert max(counted.values()) == 1, counted


def test_analyses_of_loaded_inputs_open_nothing(sf_copy):
    folder, study = sf_copy
    inputs = study.load()
    opens = Opens(folder)
    first = analyse(inputs)
    with_sensitivity(inputs, first)
    again = analyse(inputs, study.settings.replace(alpr_range_m=50.0))  # every SF camera is a plate reader
    assert opens.read() == collections.Counter()
    assert first.sensitivity.classes.shape[1] > 1
    assert again.units["covered_km2"].sum() != pytest.approx(first.units["covered_km2"].sum())


def test_the_analysis_is_the_same_as_a_fresh_study(sf_copy):
    """An analysis of loaded inputs under other settings equals a new study run with those settings."""
    _, study = sf_copy
    inputs = study.load()
    wider = study.settings.replace(fixed_fov_deg=90.0, unknown_direction="disc")
    reused = analyse(inputs, wider, statistics=False)
    fresh = dataclasses.replace(study, settings=wider, sensitivity=False, statistics=False).run()
    cols = ["unit_id", "cameras", "covered_km2", "crimes", "crimes_in_view", "population", "class"]
    assert reused.units[cols].equals(fresh.units[cols])
    assert reused.counts == fresh.counts


def test_a_load_time_setting_cannot_change_in_an_analysis(sf_copy):
    _, study = sf_copy
    inputs = study.load()
    with pytest.raises(Exception, match="dedupe_incidents was True when the study was loaded"):
        analyse(inputs, study.settings.replace(dedupe_incidents=False))


def _dem_scene(folder):
    """A camera on a slope with one building, over a small DEM in WGS84 (read through GDAL's warper)."""
    d = 0.002
    units = {"type": "FeatureCollection", "features": []}
    for name, (x0, x1) in {"west": (LON0 - d, LON0), "east": (LON0, LON0 + d)}.items():
        ring = [[x0, LAT0 - d / 2], [x1, LAT0 - d / 2], [x1, LAT0 + d / 2], [x0, LAT0 + d / 2], [x0, LAT0 - d / 2]]
        units["features"].append(
            {"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        )
    (folder / "units.geojson").write_text(json.dumps(units))
    rows = ["id,lon,lat,man_made,surveillance,camera:type,direction,camera:mount"]
    for i, (dx, bearing) in enumerate([(-5e-4, 90), (5e-4, 270)]):
        rows.append(f"node/{i},{LON0 + dx},{LAT0},surveillance,public,fixed,{bearing},pole")
    (folder / "cameras.csv").write_text("\n".join(rows) + "\n")
    w = 10 / (111_320 * np.cos(np.radians(LAT0)))
    ring = [[LON0 - w, LAT0 + 2e-4], [LON0 + w, LAT0 + 2e-4], [LON0 + w, LAT0 + 4e-4], [LON0 - w, LAT0 + 4e-4]]
    building = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"building": "apartments", "height": "12"},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        ],
    }
    (folder / "buildings.geojson").write_text(json.dumps(building))
    step = 0.00005
    lon0, lat1 = LON0 - 0.004, LAT0 + 0.002
    data = (np.arange(300)[None, :] * 0.05 + np.arange(100)[:, None] * 0.02).astype("float32")
    with rasterio.open(
        folder / "dem.tif",
        "w",
        driver="GTiff",
        width=300,
        height=100,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(step, 0, lon0, 0, -step, lat1),
    ) as dst:
        dst.write(data, 1)


def test_a_study_with_a_dem_and_buildings_opens_each_input_once(tmp_path):
    folder = tmp_path / "scene"
    folder.mkdir()
    _dem_scene(folder)
    study = Study(
        cameras=folder / "cameras.csv",
        units=folder / "units.geojson",
        unit_id="name",
        buildings=folder / "buildings.geojson",
        dem=folder / "dem.tif",
        settings=Settings(),
    )
    opens = Opens(folder)
    result = study.run()
    counted = opens.read()
    assert result.units["slope_pct"].notna().all()
    assert result.sensitivity is not None
    assert {"cameras.csv", "units.geojson", "buildings.geojson", "dem.tif"} <= set(counted)
    assert counted["dem.tif"] == 1, counted
    assert max(counted.values()) == 1, counted
