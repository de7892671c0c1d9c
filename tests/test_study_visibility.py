"""Studies with buildings and a DEM: viewsheds replace open-ground sectors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from affine import Affine

from equity._errors import InputFormatError
from equity.settings import Settings
from equity.study import Study

LON0, LAT0 = 24.94, 60.17  # a small area in Helsinki's UTM zone


def _units(path, boxes):
    feats = [
        {
            "type": "Feature",
            "properties": {"name": name},
            "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]},
        }
        for name, (x0, y0, x1, y1) in boxes.items()
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def _cameras(path, rows):
    lines = ["id,lon,lat,man_made,surveillance,camera:type,direction,camera:mount,height"]
    lines += [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def scene(tmp_path):
    """One unit of about 220 m x 220 m; a camera in its middle facing north; a tall building 20 m north."""
    d = 0.002
    units = _units(tmp_path / "units.geojson", {"A": (LON0 - d, LAT0 - d / 2, LON0 + d, LAT0 + d / 2)})
    cams = _cameras(tmp_path / "cams.csv", [("node/1", LON0, LAT0, "surveillance", "public", "fixed", 0, "pole", 5)])
    dlat = 20 / 111_320  # about 20 m north
    w = 30 / (111_320 * np.cos(np.radians(LAT0)))
    building = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"building": "apartments", "height": "25"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [LON0 - w, LAT0 + dlat],
                            [LON0 + w, LAT0 + dlat],
                            [LON0 + w, LAT0 + 2 * dlat],
                            [LON0 - w, LAT0 + 2 * dlat],
                            [LON0 - w, LAT0 + dlat],
                        ]
                    ],
                },
            }
        ],
    }
    (tmp_path / "buildings.geojson").write_text(json.dumps(building))
    return tmp_path, units, cams


def test_a_building_in_front_cuts_the_view(scene):
    tmp, units, cams = scene
    open_ground = Study(sensitivity=False, cameras=cams, units=units).run()
    blocked = Study(sensitivity=False, cameras=cams, units=units, buildings=tmp / "buildings.geojson").run()
    flat_area = open_ground.units["covered_km2"].iloc[0] * 1e6
    seen = blocked.units["covered_km2"].iloc[0] * 1e6
    # open ground: a 60 degree sector of 66.5 m, about 2,316 m2; the building hides everything beyond 20 m
    assert flat_area == pytest.approx(60 / 360 * np.pi * 66.51**2, rel=0.01)
    assert seen < 0.2 * flat_area
    assert blocked.units["open_km2"].iloc[0] < blocked.units["area_km2"].iloc[0]
    assert blocked.counts["buildings"] == 1
    assert blocked.counts["buildings_height_tagged"] == 1
    assert "surface" in blocked.meta
    assert blocked.views["visible_m2"].iloc[0] > 0


def test_flat_surface_without_buildings_matches_the_sector(scene):
    tmp, units, cams = scene
    dem = tmp / "flat.tif"
    _write_dem(dem, np.full((200, 200), 12.0), lon0=LON0 - 0.005, lat1=LAT0 + 0.003, step=0.00005)
    vis = Study(sensitivity=False, cameras=cams, units=units, dem=dem).run()
    sector = Study(sensitivity=False, cameras=cams, units=units).run()
    a = vis.units["covered_km2"].iloc[0]
    b = sector.units["covered_km2"].iloc[0]
    assert a == pytest.approx(b, rel=0.05)  # cells against polygons: a cell's rounding along the edges
    assert vis.meta["dem"]["crs"] == "EPSG:4326"  # a geographic DEM, reprojected onto the metric grid


def _write_dem(path, data, *, lon0, lat1, step, nodata=None):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(step, 0, lon0, 0, -step, lat1),
        nodata=nodata,
    ) as ds:
        ds.write(data.astype("float32"), 1)


def test_dem_that_does_not_cover_the_area(scene):
    tmp, units, cams = scene
    dem = tmp / "small.tif"
    _write_dem(dem, np.full((40, 40), 5.0), lon0=LON0 - 0.0005, lat1=LAT0 + 0.0005, step=0.00005)
    with pytest.raises(InputFormatError, match=r"small\.tif: the DEM has no elevation for \d+\.\d% of the units' area"):
        Study(sensitivity=False, cameras=cams, units=units, dem=dem).run()
    filled = Study(sensitivity=False, cameras=cams, units=units, dem=dem, dem_fill="flat").run()
    assert filled.meta["dem"]["filled_with_m"] == 5.0
    assert 0 < filled.counts["dem_cells_missing_share"] < 1


def test_dem_of_nodata_only(scene):
    tmp, units, cams = scene
    dem = tmp / "nodata.tif"
    _write_dem(dem, np.full((200, 200), -9999.0), lon0=LON0 - 0.005, lat1=LAT0 + 0.003, step=0.00005, nodata=-9999)
    with pytest.raises(InputFormatError, match="no elevation anywhere"):
        Study(sensitivity=False, cameras=cams, units=units, dem=dem).run()


def test_hill_between_camera_and_slope(scene):
    tmp, units, cams = scene
    # a 15 m ridge running east-west 15 m north of the camera
    step = 0.00002
    lon0, lat1 = LON0 - 0.003, LAT0 + 0.002
    rows = np.arange(250)
    lat = lat1 - (rows + 0.5) * step
    ridge = np.where(np.abs(lat - (LAT0 + 15 / 111_320)) < 3 / 111_320, 15.0, 0.0)
    data = np.repeat(ridge[:, None], 300, axis=1)
    dem = tmp / "ridge.tif"
    _write_dem(dem, data, lon0=lon0, lat1=lat1, step=step)
    flat = Study(sensitivity=False, cameras=cams, units=units).run().units["covered_km2"].iloc[0]
    hill_result = Study(sensitivity=False, cameras=cams, units=units, dem=dem).run()
    hill = hill_result.units["covered_km2"].iloc[0]
    assert hill < 0.3 * flat
    assert hill_result.units["terrain"].iloc[0] in ("flat", "hillside")
    assert hill_result.units["slope_pct"].iloc[0] > 0


def test_building_heights_defaults_counted(tmp_path, scene):
    tmp, units, cams = scene
    text = (tmp / "buildings.geojson").read_text().replace('"height": "25"', '"height": "very high"')
    (tmp / "b2.geojson").write_text(text)
    result = Study(sensitivity=False, cameras=cams, units=units, buildings=tmp / "b2.geojson").run()
    assert result.counts["buildings_height_default"] == 1
    assert result.counts["buildings_with_tag_issues"] == 1


def test_helsinki_end_to_end(tmp_path, request):
    pbf = request.config.rootpath / "data" / "helsinki" / "Helsinki.osm.pbf"
    units = _units(
        tmp_path / "u.geojson",
        {"west": (24.9352, 60.1642, 24.9443, 60.1791), "east": (24.9443, 60.1642, 24.9534, 60.1791)},
    )
    result = Study(
        sensitivity=False, cameras=pbf, units=units, buildings=pbf, settings=Settings(unknown_direction="disc")
    ).run()
    assert result.counts["cameras"] == 221
    assert result.counts["buildings"] == 446
    u = result.units
    assert (u["covered_km2"] <= u["open_km2"] + 1e-9).all()
    assert (u["covered_km2"] > 0).all()
    polygons = result.sectors.dropna()
    assert len(polygons) > 150
    assert polygons.is_valid.all()


def test_incidents_read_beside_the_viewsheds_report_problems_as_before(scene):
    """With buildings, the incidents are read in a thread of their own while the viewsheds run: the same
    incidents are counted, and a bad crime file fails with the same sentence as without buildings."""
    tmp, units, cams = scene
    crime = tmp / "crime.csv"
    crime.write_text(f"id,lon,lat,category\n1,{LON0},{LAT0 + 0.0001},theft\n2,{LON0},{LAT0 - 0.0003},theft\n")
    with_buildings = Study(
        sensitivity=False, cameras=cams, units=units, crime=crime, buildings=tmp / "buildings.geojson"
    )
    assert int(with_buildings.run().units["crimes"].sum()) == 2
    bad = tmp / "bad_crime.csv"
    bad.write_text("id,where,category\n1,somewhere,theft\n")
    with pytest.raises(InputFormatError) as plain:
        Study(sensitivity=False, cameras=cams, units=units, crime=bad).run()
    with pytest.raises(InputFormatError) as beside:
        Study(sensitivity=False, cameras=cams, units=units, crime=bad, buildings=tmp / "buildings.geojson").run()
    assert str(beside.value) == str(plain.value)
    assert "bad_crime.csv" in str(beside.value)
