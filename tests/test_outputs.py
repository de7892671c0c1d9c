"""The analysis folder: its files, atomic replacement, refusal to overwrite another study, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from equity._errors import OutputError
from equity.demo import demo_study
from equity.io.outputs import OUTPUT_FILES, write_outputs
from equity.presentation.maps import build_map, render_map
from equity.presentation.report import build_report


@pytest.fixture(scope="module")
def sf_result():
    return demo_study(sensitivity=False).run()


def _write(result, out: Path, **kw):
    return write_outputs(result, out, map_html=render_map(build_map(result)), report_html=build_report(result), **kw)


def test_folder_contents(sf_result, tmp_path):
    written = _write(sf_result, tmp_path / "out")
    assert sorted(written) == sorted(OUTPUT_FILES)
    units = pd.read_csv(written["units.csv"])
    assert len(units) == 41
    assert pyogrio.read_info(written["units.gpkg"], layer="units")["features"] == 41
    layers = [name for name, _ in pyogrio.list_layers(written["cameras.gpkg"])]
    assert layers == ["cameras", "fields_of_view"]
    cams = pd.read_csv(written["cameras.csv"])
    assert cams["camera_id"].nunique() == 343
    assert {"lon", "lat", "direction_deg", "fov_deg", "range_m", "issues", "unit_id"} <= set(cams.columns)
    manifest = json.loads(written["manifest.json"].read_text())
    assert set(manifest["inputs"]) == {"cameras", "units", "crime", "population", "streets"}
    assert all(len(item["sha256"]) == 64 for item in manifest["inputs"].values())
    assert manifest["osm_timestamp"] == "2025-10-04T09:29:18Z"
    assert manifest["settings"]["fixed_fov_deg"] == 60.0
    rejected = pd.read_csv(written["rejected.csv"])
    assert list(rejected.columns) == ["source", "record", "reason", "value"]
    assert len(rejected) == 3334  # 3,332 repeated incident rows, 2 plate readers no road runs along
    assert not any(p.name.startswith(".equity-staging") for p in (tmp_path / "out").iterdir())


def test_same_inputs_same_bytes(sf_result, tmp_path):
    a = _write(sf_result, tmp_path / "a")
    b = _write(demo_study(sensitivity=False).run(), tmp_path / "b")
    for name in (
        "units.csv",
        "cameras.csv",
        "map.html",
        "report.html",
        "rejected.csv",
        "operators.csv",
        "operators_by_unit.csv",
        "manifest.json",
    ):
        assert a[name].read_bytes() == b[name].read_bytes(), name
    for name in ("units.gpkg", "cameras.gpkg"):  # GeoPackages carry write times: compare their content
        for layer, _ in pyogrio.list_layers(a[name]):
            left = pyogrio.read_dataframe(a[name], layer=layer)
            right = pyogrio.read_dataframe(b[name], layer=layer)
            pd.testing.assert_frame_equal(left.drop(columns="geometry"), right.drop(columns="geometry"))
            assert left.geometry.to_wkb().tolist() == right.geometry.to_wkb().tolist(), (name, layer)


def test_failure_leaves_earlier_outputs_whole(sf_result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    _write(sf_result, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    import equity.io.outputs as outputs

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs, "_write_gpkg", broken)
    with pytest.raises(OutputError, match="earlier outputs are unchanged"):
        write_outputs(sf_result, out, map_html="<html>new</html>", report_html="new")
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before


def test_refuses_other_study_without_force(sf_result, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"inputs": {"cameras": {"path": "/elsewhere/cams.osm"}}}))
    with pytest.raises(OutputError, match="different study"):
        _write(sf_result, out)
    _write(sf_result, out, force=True)
    assert json.loads((out / "manifest.json").read_text())["name"] == "San Francisco demo"


def test_refuses_foreign_folder(sf_result, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(OutputError, match="not empty"):
        _write(sf_result, out)
    assert (out / "thesis.docx").read_bytes() == b"precious"


def test_rerun_of_same_study_replaces(sf_result, tmp_path):
    out = tmp_path / "out"
    _write(sf_result, out)
    _write(sf_result, out)  # no --force needed for the same study
    assert (out / "units.csv").exists()


def test_inputs_untouched(tmp_path, sf_dir):
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sf_dir.iterdir()}
    _write(demo_study(sensitivity=False).run(), tmp_path / "out")
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sf_dir.iterdir()}
    assert after == before


def test_outputs_never_replace_an_input(tmp_path, sf_dir):
    import shutil

    for name in ("cameras.osm", "neighborhoods.geojson"):
        shutil.copy(sf_dir / name, tmp_path / name)
    cams = tmp_path / "cameras.csv"
    cams.write_text("id,lon,lat,man_made\nc1,-122.41,37.78,surveillance\n")
    from equity.study import Study

    result = Study(cameras=cams, units=tmp_path / "neighborhoods.geojson", sensitivity=False).run()
    before = cams.read_bytes()
    with pytest.raises(OutputError, match="would replace the input"):
        write_outputs(result, tmp_path, map_html="", report_html="", force=True)
    assert cams.read_bytes() == before
