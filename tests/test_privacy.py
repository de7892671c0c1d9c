"""Privacy modes: no home's geometry or id in any public output; internal outputs say they hold personal data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from equity.io.outputs import PERSONAL_DATA_NOTE, write_outputs
from equity.presentation.maps import build_map, render_map
from equity.presentation.report import build_report
from equity.settings import Settings
from equity.study import Study


def _units(path: Path) -> Path:
    feats = [
        {
            "type": "Feature",
            "properties": {"name": name},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[x0, 60.1642], [x1, 60.1642], [x1, 60.1791], [x0, 60.1791], [x0, 60.1642]]],
            },
        }
        for name, x0, x1 in (("west", 24.9352, 24.9443), ("east", 24.9443, 24.9534))
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def _run(request, tmp_path, privacy):
    tmp_path.mkdir(parents=True, exist_ok=True)
    pbf = request.config.rootpath / "data" / "helsinki" / "Helsinki.osm.pbf"
    study = Study(
        sensitivity=False,
        cameras=pbf,
        units=_units(tmp_path / "units.geojson"),
        buildings=pbf,
        streets=pbf,
        privacy=privacy,
        settings=Settings(unknown_direction="disc"),
        name="Helsinki",
    )
    result = study.run()
    out = tmp_path / "out"
    write_outputs(result, out, map_html=render_map(build_map(result)), report_html=build_report(result), force=True)
    return result, out


def _all_text(out: Path) -> str:
    """Every output file as text; GeoPackages as the string of every value of every layer."""
    chunks = []
    for path in sorted(out.iterdir()):
        if path.suffix == ".gpkg":
            for layer, _ in pyogrio.list_layers(path):
                frame = pyogrio.read_dataframe(path, layer=layer)
                chunks.append(layer)
                chunks.append(frame.drop(columns="geometry").astype(str).to_csv())
        else:
            chunks.append(path.read_text(encoding="utf-8"))
    return "\n".join(chunks)


def _output_polygons(out: Path) -> list:
    """Every polygon in the outputs: the GeoPackages' layers and the map's GeoJSON layers (WGS84)."""
    polygons = []
    for path in sorted(out.glob("*.gpkg")):
        for layer, _ in pyogrio.list_layers(path):
            frame = pyogrio.read_dataframe(path, layer=layer).to_crs(4326)
            polygons.extend(g for g in frame.geometry if g is not None and g.geom_type.endswith("Polygon"))
    html = (out / "map.html").read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    for match in re.finditer(r"_add\(", html):
        try:
            data, _ = decoder.raw_decode(html, match.end())
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and "features" in data:
            polygons.extend(
                g
                for g in (shapely.geometry.shape(f["geometry"]) for f in data["features"] if f.get("geometry"))
                if g.geom_type.endswith("Polygon")
            )
    return polygons


def test_no_home_leaks_into_public_outputs(request, tmp_path):
    internal, _ = _run(request, tmp_path / "i", "internal")
    homes = internal.homes
    assert len(homes) > 20
    assert (homes["seen_by"] > 0).any()
    public, out = _run(request, tmp_path / "p", "public")
    assert public.homes is None
    assert not (out / "homes.gpkg").exists()
    text = _all_text(out)
    assert "homes" not in [name for name, _ in pyogrio.list_layers(out / "cameras.gpkg")]
    for building_id in homes["building_id"]:
        assert building_id not in text, building_id
    # no polygon of any output is a home's footprint (within half a metre)
    footprints = homes.to_crs(homes.estimate_utm_crs())
    polygons = gpd.GeoSeries(_output_polygons(out), crs=4326).to_crs(footprints.crs)
    assert len(polygons) > 100  # the map's units and viewsheds, the GeoPackages' layers
    tree = shapely.STRtree(polygons.to_numpy())
    for footprint in footprints.geometry:
        for i in tree.query(footprint, predicate="intersects"):
            assert shapely.hausdorff_distance(polygons.iloc[i], footprint) > 0.5
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["privacy"] == "public"
    assert manifest["personal_data"] is False
    assert "(building id withheld in public mode)" in (out / "rejected.csv").read_text()
    # the figures per camera and per unit are there
    assert "homes_in_view_share" in (out / "units.csv").read_text()
    assert "intrusion_score" in (out / "cameras.csv").read_text()


def test_internal_outputs_say_they_hold_personal_data(request, tmp_path):
    result, out = _run(request, tmp_path, "internal")
    assert result.personal_data
    assert (out / "homes.gpkg").exists()
    layer = pyogrio.read_dataframe(out / "homes.gpkg")
    assert set(layer.columns) >= {"building_id", "home", "seen_by", "geometry"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["personal_data"] is True
    assert "homes.gpkg" in manifest["outputs"]
    for name in ("report.html", "map.html"):
        assert "INTERNAL ANALYSIS" in (out / name).read_text()
    assert PERSONAL_DATA_NOTE.startswith("INTERNAL ANALYSIS")
    # the leak check of the public test finds the homes here: it can fail
    footprints = result.homes.to_crs(result.homes.estimate_utm_crs())
    polygons = gpd.GeoSeries(_output_polygons(out), crs=4326).to_crs(footprints.crs)
    tree = shapely.STRtree(polygons.to_numpy())
    first = footprints.geometry.iloc[0]
    assert any(shapely.hausdorff_distance(polygons.iloc[i], first) < 0.5 for i in tree.query(first))
    text = _all_text(out)
    assert result.homes["building_id"].iloc[0] in text


def test_public_run_after_internal_removes_the_homes(request, tmp_path):
    _run(request, tmp_path, "internal")
    assert (tmp_path / "out" / "homes.gpkg").exists()
    _run(request, tmp_path, "public")
    assert not (tmp_path / "out" / "homes.gpkg").exists()


def test_privacy_mode_is_checked(tmp_path):
    with pytest.raises(ValueError, match="privacy must be 'public' or 'internal'"):
        Study(sensitivity=False, cameras=tmp_path / "x", units=tmp_path / "y", privacy="open").run()
