"""Data that covers the units only in part is reported, never silently used: a DEM that covers part of the
units (their terrain is missing below a documented covered share, and a warning names them), and population
polygons that lie mostly outside the units or whose area disagrees with their stated area (the real Treasure
Island block group of the demo's population layer, drawn at Hunters Point)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

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
