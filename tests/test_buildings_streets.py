"""Buildings and streets: readers, height rules, street coverage."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString, box

from equity import coverage
from equity._errors import InputFormatError
from equity.analysis import SeenArea
from equity.buildings import DEFAULT_HEIGHT_M, STOREY_HEIGHT_M, building_height, buildings_with_heights
from equity.engine import Grid, SeenMosaic, Tile
from equity.io import buildings_from_file, streets_from_file
from equity.io.streets import STREET_HIGHWAYS
from equity.visibility import build_surface

UTM = "EPSG:32635"


@pytest.mark.parametrize(
    ("tags", "height", "source"),
    [
        ({"building": "yes", "height": "12"}, 12.0, "tagged"),
        ({"building": "yes", "height": "40'"}, 40 * 0.3048, "tagged"),
        ({"building": "apartments", "building:levels": "5"}, 5 * STOREY_HEIGHT_M, "levels"),
        ({"building": "house", "building:levels": "2", "roof:levels": "1"}, 2.5 * STOREY_HEIGHT_M, "levels"),
        ({"building": "house"}, 6.0, "default"),
        ({"building": "garage"}, 3.0, "default"),
        ({"building": "yes"}, DEFAULT_HEIGHT_M, "default"),
        ({"building": "spaceship"}, DEFAULT_HEIGHT_M, "default"),
    ],
)
def test_height_rules(tags, height, source):
    h, src, issue = building_height(tags)
    assert h == pytest.approx(height)
    assert src == source
    assert issue is None


@pytest.mark.parametrize(
    ("tags", "source"),
    [
        ({"building": "yes", "height": "very high"}, "default"),
        ({"building": "yes", "height": "-3"}, "default"),
        ({"building": "yes", "height": "tall", "building:levels": "4"}, "levels"),
        ({"building": "yes", "building:levels": "many"}, "default"),
    ],
)
def test_unusable_heights_fall_back_and_are_reported(tags, source):
    h, src, issue = building_height(tags)
    assert src == source
    assert issue is not None
    assert h > 0


def test_buildings_from_pbf(request):
    pbf = request.config.rootpath / "data" / "helsinki" / "Helsinki.osm.pbf"
    read = buildings_from_file(pbf)
    assert len(read.data) == 446
    assert read.counts["incomplete_buildings"] == 54
    assert len(read.rejected) == 54
    assert read.data["building_id"].str.match(r"^(way|relation)/\d+$").all()
    assert set(read.data.geom_type) <= {"MultiPolygon", "Polygon"}
    heights = buildings_with_heights(read.data)
    assert (heights["height_m"] > 0).all()
    assert set(heights["height_source"]) <= {"tagged", "levels", "default"}


def test_buildings_from_overpass_json(tmp_path):
    square = [
        {"lat": 60.17, "lon": 24.94},
        {"lat": 60.17, "lon": 24.9402},
        {"lat": 60.1701, "lon": 24.9402},
        {"lat": 60.1701, "lon": 24.94},
        {"lat": 60.17, "lon": 24.94},
    ]
    outer = [
        {"lat": 60.171, "lon": 24.94},
        {"lat": 60.171, "lon": 24.941},
        {"lat": 60.172, "lon": 24.941},
        {"lat": 60.172, "lon": 24.94},
        {"lat": 60.171, "lon": 24.94},
    ]
    inner = [
        {"lat": 60.1713, "lon": 24.9403},
        {"lat": 60.1713, "lon": 24.9406},
        {"lat": 60.1716, "lon": 24.9406},
        {"lat": 60.1716, "lon": 24.9403},
        {"lat": 60.1713, "lon": 24.9403},
    ]
    data = {
        "osm3s": {"timestamp_osm_base": "2025-01-01T00:00:00Z"},
        "elements": [
            {"type": "way", "id": 1, "tags": {"building": "house", "height": "7"}, "geometry": square},
            {
                "type": "relation",
                "id": 2,
                "tags": {"building": "apartments", "type": "multipolygon"},
                "members": [
                    {"type": "way", "role": "outer", "geometry": outer},
                    {"type": "way", "role": "inner", "geometry": inner},
                ],
            },
            {"type": "way", "id": 3, "tags": {"building": "yes"}, "geometry": square[:3]},  # not closed
            {"type": "way", "id": 4, "tags": {"highway": "residential"}, "geometry": square},
        ],
    }
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data))
    read = buildings_from_file(path)
    assert read.data["building_id"].tolist() == ["way/1", "relation/2"]
    assert read.rejected["record"].tolist() == ["way/3"]
    assert read.meta["osm_timestamp"] == "2025-01-01T00:00:00Z"
    courtyard = read.data.geometry.iloc[1]
    assert len(courtyard.interiors) == 1


def test_buildings_from_a_layer_with_heights(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"height": [10.0, None], "name": ["a", "b"]},
        geometry=[box(0, 0, 10, 10), LineString([(0, 0), (1, 1)])],
        crs=UTM,
    )
    path = tmp_path / "b.gpkg"
    gdf.to_file(path)
    read = buildings_from_file(path)
    assert len(read.data) == 1
    assert read.rejected["reason"].str.contains("expected a polygon").all()
    assert buildings_with_heights(read.data)["height_m"].tolist() == [10.0]


def test_streets_from_pbf(request):
    pbf = request.config.rootpath / "data" / "helsinki" / "Helsinki.osm.pbf"
    read = streets_from_file(pbf)
    assert len(read.data) > 1000
    assert set(read.data["highway"]) <= STREET_HIGHWAYS
    assert "motorway" not in set(read.data["highway"])


def test_streets_from_a_layer_and_errors(tmp_path):
    path = tmp_path / "s.geojson"
    gpd.GeoDataFrame(geometry=[LineString([(24.94, 60.17), (24.95, 60.17)])], crs=4326).to_file(path)
    assert len(streets_from_file(path).data) == 1
    empty = tmp_path / "none.geojson"
    gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=4326).to_file(empty)
    with pytest.raises(InputFormatError, match="no streets found"):
        streets_from_file(empty)


@pytest.fixture
def two_units():
    return gpd.GeoDataFrame({"unit_id": ["w", "e"]}, geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=UTM)


def test_street_share_in_view_with_sectors(two_units):
    street = gpd.GeoSeries([LineString([(0, 50), (200, 50)])], crs=UTM)
    view = gpd.GeoSeries([box(50, 0, 150, 100)], crs=UTM)
    assert coverage.street_length_by_unit(street, two_units).tolist() == pytest.approx([100, 100])
    seen = coverage.street_length_in_view(street, two_units, sectors=view)
    assert seen.tolist() == pytest.approx([50, 50])


def test_street_share_in_view_on_a_raster(two_units):
    street = gpd.GeoSeries([LineString([(0, 50.5), (200, 50.5)])], crs=UTM)
    surface = build_surface((0, 0, 200, 100), 1.0, UTM)
    seen_cells = np.zeros(surface.shape, bool)
    seen_cells[:, 50:150] = True  # x from 50 to 150 m
    # the seen cells as the engine keeps them: one tile's packed bits (here one tile covers the grid)
    grid = Grid(surface.transform, surface.shape)
    whole = (0, surface.shape[0], 0, surface.shape[1])
    tile = (Tile(0, whole, whole), np.packbits(seen_cells, axis=None), surface.shape)
    mosaic = SeenMosaic(grid, max(surface.shape), {0: tile})
    seen = coverage.street_length_in_view(street, two_units, seen=SeenArea(mosaic, None), step=0.5)
    assert seen.tolist() == pytest.approx([50, 50], abs=1.0)


def test_built_area_counts_overlapping_footprints_once(two_units):
    footprints = gpd.GeoSeries(
        [box(10, 10, 20, 20), box(15, 10, 25, 20), box(25, 10, 30, 20), box(95, 0, 105, 10), None], crs=UTM
    )  # two overlapping (150 m² together), one touching them, one across the units' edge
    built = coverage.built_area_by_unit(footprints, two_units)
    assert built.tolist() == pytest.approx([150 + 50 + 50, 50])
