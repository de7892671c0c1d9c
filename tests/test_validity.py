"""Numbers that survive a hostile expert: detail levels by the standard's names, plate readers modelled as plate
readers, what is not a camera, where the crime data does not apply, and rates on few residents."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from equity import cameras
from equity.inequality import crime_rate_curves
from equity.metrics import equity_table
from equity.rates import small_population, smoothed_rate_per_1k
from equity.settings import DETAIL_LEVELS_PX_PER_M, Settings
from equity.study import Study

EQUITY = str(Path(sys.executable).with_name("equity"))

# ------------------------------------------------------------------------------------------ detail levels


def test_levels_are_named_as_in_en_62676_4():
    """Monitor 12.5, detection 25, observation 62.5, recognition 125, identification 250 pixels per metre."""
    assert DETAIL_LEVELS_PX_PER_M["monitor"] == 12.5
    assert DETAIL_LEVELS_PX_PER_M["detection"] == 25.0
    assert DETAIL_LEVELS_PX_PER_M["observation"] == 62.5
    assert DETAIL_LEVELS_PX_PER_M["recognition"] == 125.0
    assert DETAIL_LEVELS_PX_PER_M["identification"] == 250.0
    s = Settings()
    assert (s.detail_level, s.px_per_m, s.second_detail_level) == ("detection", 25.0, "recognition")


@pytest.mark.parametrize(("level", "metres"), [("detection", 66.5), ("observation", 26.6), ("recognition", 13.3)])
def test_range_of_a_60_degree_lens_at_each_level(level, metres):
    # d = 1920 / (2 p tan 30°), written out again
    assert 1920 / (2 * DETAIL_LEVELS_PX_PER_M[level] * math.tan(math.radians(30))) == pytest.approx(metres, abs=0.05)
    assert cameras.camera_range(60.0, Settings(detail_level=level)) == pytest.approx(metres, abs=0.05)


def _osm(path: Path, nodes: list[tuple[float, float, dict[str, str]]]) -> Path:
    body = []
    for i, (lon, lat, tags) in enumerate(nodes, start=1):
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in {"man_made": "surveillance", **tags}.items())
        body.append(f'<node id="{i}" lat="{lat}" lon="{lon}" version="1">{tag_xml}</node>')
    path.write_text(f"<?xml version='1.0' encoding='UTF-8'?><osm version='0.6'>{''.join(body)}</osm>")
    return path


def _units(path: Path, cells: dict[str, tuple[float, float, float, float]], **columns: list) -> Path:
    names = list(cells)
    frame = gpd.GeoDataFrame({"name": names, **columns}, geometry=[box(*cells[n]) for n in names], crs=4326)
    frame.to_file(path, driver="GeoJSON")
    return path


@pytest.fixture
def two_units(tmp_path):
    """Two units about 900 m square in Helsinki; one fixed camera looking east in the west unit, one plate reader
    looking north in the east unit, and three objects that are not cameras."""
    cells = {"West": (24.930, 60.160, 24.946, 60.168), "East": (24.946, 60.160, 24.962, 60.168)}
    units = _units(tmp_path / "units.geojson", cells, pop=[5000, 300])
    cams = _osm(
        tmp_path / "cameras.osm",
        [
            (24.938, 60.164, {"surveillance:type": "camera", "camera:type": "fixed", "direction": "90"}),
            (24.954, 60.164, {"surveillance:type": "ALPR", "camera:type": "dome", "direction": "0"}),
            (24.940, 60.165, {"surveillance:type": "guard"}),
            (24.950, 60.165, {"surveillance:type": "gunshot_detector"}),
            (24.936, 60.166, {"surveillance:type": "camera", "fake": "yes", "direction": "90"}),
        ],
    )
    return cams, units


def test_coverage_at_two_levels_on_open_ground(two_units):
    """A 60° sector of 66.5 m at detection, of 13.3 m at recognition (a fifth of the range: a 25th of the area);
    the plate reader's 30° zone of 25 m at both."""
    cams, units = two_units
    result = Study(cameras=cams, units=units, population="pop", sensitivity=False, statistics=False).run()
    by_unit = result.units.set_index("unit_id")
    r1 = 1920 / (2 * 25 * math.tan(math.radians(30)))
    fixed = math.pi * r1**2 / 6
    alpr = math.pi * 25.0**2 / 12
    assert by_unit.loc["West", "covered_km2"] * 1e6 == pytest.approx(fixed, rel=2e-3)
    assert by_unit.loc["West", "covered_km2_recognition"] * 1e6 == pytest.approx(fixed / 25, rel=2e-3)
    assert by_unit.loc["East", "covered_km2"] * 1e6 == pytest.approx(alpr, rel=2e-3)
    assert by_unit.loc["East", "covered_km2_recognition"] * 1e6 == pytest.approx(alpr, rel=2e-3)
    assert by_unit.loc["West", ["cameras", "cameras_cctv", "cameras_alpr"]].tolist() == [1, 1, 0]
    assert by_unit.loc["East", ["cameras", "cameras_cctv", "cameras_alpr"]].tolist() == [1, 0, 1]


def test_a_plate_reader_is_its_capture_zone_even_when_tagged_dome():
    rec = cameras.views_from_tags(
        "1", {"surveillance:type": "ALPR", "camera:type": "dome", "direction": "0"}, Settings()
    )
    assert (rec[0]["fov_deg"], rec[0]["range_m"]) == (30.0, 25.0)
    wide = cameras.views_from_tags("2", {"surveillance:type": "camera", "camera:type": "dome"}, Settings())
    assert wide[0]["fov_deg"] == 360.0


def test_what_is_not_a_camera_is_set_aside_with_its_reason(two_units):
    cams, units = two_units
    result = Study(cameras=cams, units=units, sensitivity=False, statistics=False).run()
    assert result.counts["cameras"] == 2
    reasons = result.rejected.set_index("record")["reason"].to_dict()
    assert reasons["node/3"] == "surveillance:type=guard is not a camera"
    assert reasons["node/4"] == "surveillance:type=gunshot_detector is not a camera"
    assert reasons["node/5"] == "a dummy camera (fake=yes) records nothing"
    assert result.counts["surveillance_objects_not_cameras"] == {
        "surveillance:type=guard is not a camera": 1,
        "surveillance:type=gunshot_detector is not a camera": 1,
        "a dummy camera (fake=yes) records nothing": 1,
    }


def test_a_file_of_guards_only_is_refused_in_one_sentence(tmp_path):
    cams = _osm(tmp_path / "guards.osm", [(24.938, 60.164, {"surveillance:type": "guard"})])
    units = _units(tmp_path / "units.geojson", {"A": (24.930, 60.160, 24.946, 60.168)})
    run = subprocess.run(
        [EQUITY, "analyze", "--cameras", str(cams), "--units", str(units), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2, run.stderr
    assert "none of its 1 surveillance objects is a camera" in run.stderr
    assert "Traceback" not in run.stderr


# ------------------------------------------------------------------------------------ no data is not zero


def _crime_csv(path: Path, points: list[tuple[float, float]]) -> Path:
    pd.DataFrame(
        {"id": range(len(points)), "lon": [p[0] for p in points], "lat": [p[1] for p in points], "date": "2024-01-01"}
    ).to_csv(path, index=False)
    return path


def test_units_outside_the_crime_jurisdiction_have_no_crime_data(two_units, tmp_path):
    cams, units = two_units
    crime = _crime_csv(tmp_path / "crime.csv", [(24.94, 60.162)] * 5 + [(24.955, 60.162)] * 2)
    base = Study(cameras=cams, units=units, crime=crime, sensitivity=False, statistics=False)
    before = base.run().units.set_index("unit_id")
    assert before.loc["East", "crimes"] == 2
    after = Study(
        cameras=cams, units=units, crime=crime, no_crime_data=["East"], sensitivity=False, statistics=False
    ).run()
    by_unit = after.units.set_index("unit_id")
    assert math.isnan(by_unit.loc["East", "crimes"])
    assert by_unit.loc["East", "class"] == "no_data"
    assert by_unit.loc["West", "crime_share"] == 1.0  # the shares are over the units with crime data
    assert "no crime data" in by_unit.loc["East", "data_gaps"]
    assert after.counts["incidents_in_units_outside_crime_jurisdiction"] == 2


def test_a_region_layer_takes_the_units_mostly_inside_it_and_warns_of_the_others(two_units, tmp_path):
    cams, units = two_units
    crime = _crime_csv(tmp_path / "crime.csv", [(24.94, 60.162)] * 5 + [(24.955, 60.162)] * 2)
    # the whole East unit and a tenth of the West one
    region = gpd.GeoDataFrame(geometry=[box(24.9444, 60.159, 24.963, 60.169)], crs=4326)
    region.to_file(tmp_path / "park.geojson", driver="GeoJSON")
    result = Study(
        cameras=cams,
        units=units,
        crime=crime,
        no_crime_data=tmp_path / "park.geojson",
        sensitivity=False,
        statistics=False,
    ).run()
    by_unit = result.units.set_index("unit_id")
    assert math.isnan(by_unit.loc["East", "crimes"])
    assert by_unit.loc["West", "crimes"] == 5
    assert any("West (10%)" in w for w in result.ledger.warnings), result.ledger.warnings
    # where the crime data applies: the West unit less the region
    west = result.units.set_index("unit_id").geometry["West"]
    assert result.ledger.sources["no_crime_data"]["units_outside"] == ["East"]
    assert west.area > 0


def test_an_unknown_unit_id_is_one_sentence_and_exit_2(two_units, tmp_path):
    cams, units = two_units
    crime = _crime_csv(tmp_path / "crime.csv", [(24.94, 60.162)])
    run = subprocess.run(
        [
            EQUITY,
            "analyze",
            "--cameras",
            str(cams),
            "--units",
            str(units),
            "--crime",
            str(crime),
            "--no-crime-data",
            "Atlantis",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "no unit 'Atlantis'" in run.stderr
    assert "Traceback" not in run.stderr


# ------------------------------------------------------------------------------- rates on few residents


def _eb_by_hand(k: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Marshall's global empirical Bayes estimate, written out again from the formulas of equity/rates.py."""
    r = k / p
    m = k.sum() / p.sum()
    s2 = max(0.0, (p * (r - m) ** 2).sum() / p.sum() - m / (p.sum() / len(p)))
    w = s2 / (s2 + m / p)
    return 1000 * (w * r + (1 - w) * m)


def test_smoothed_rate_is_marshalls_estimate():
    k = np.array([89.0, 1106.0, 1056.0, 472.0, 12.0])
    p = np.array([263.0, 19917.0, 31510.0, 15957.0, 800.0])
    got = smoothed_rate_per_1k(pd.Series(k), pd.Series(p)).to_numpy()
    np.testing.assert_allclose(got, _eb_by_hand(k, p), rtol=1e-9)
    # few residents: pulled toward the city's rate far more than many
    raw = 1000 * k / p
    assert abs(got[0] - raw[0]) / raw[0] > 10 * abs(got[2] - raw[2]) / raw[2]


def test_smoothed_rate_agrees_with_esda_where_the_rates_vary():
    from esda.smoothing import Empirical_Bayes

    k = np.array([89.0, 1106.0, 1056.0, 472.0, 12.0])
    p = np.array([263.0, 19917.0, 31510.0, 15957.0, 800.0])
    theirs = 1000 * Empirical_Bayes(k.reshape(-1, 1), p.reshape(-1, 1)).r.ravel()
    np.testing.assert_allclose(smoothed_rate_per_1k(pd.Series(k), pd.Series(p)), theirs, rtol=1e-9)


def test_rates_that_vary_less_than_chance_all_get_the_city_rate():
    """10 and 20 per 1,000 on 100 residents each: the between-unit variance is negative, truncated at 0, so both
    units get the city's 15 per 1,000 (esda's weights would turn negative: 40 and -10)."""
    got = smoothed_rate_per_1k(pd.Series([1.0, 2.0]), pd.Series([100.0, 100.0]))
    assert got.tolist() == pytest.approx([15.0, 15.0])
    assert smoothed_rate_per_1k(pd.Series([1.0, 1.0]), pd.Series([1000.0, 1000.0])).tolist() == [1.0, 1.0]


def test_unknown_population_is_no_rate_and_no_flag():
    rates = smoothed_rate_per_1k(pd.Series([5.0, np.nan, 3.0, 2.0]), pd.Series([1000.0, 500.0, np.nan, 0.0]))
    assert np.isnan(rates).all()  # only one unit has both: no city rate to shrink toward
    flags = small_population(pd.Series([263.0, np.nan]), 1000)
    assert flags.iloc[0] is True or flags.iloc[0] == True  # noqa: E712
    assert pd.isna(flags.iloc[1])


def test_rankings_by_rate_use_the_smoothed_rate():
    units = pd.DataFrame(
        {
            "unit_id": ["park", "a", "b", "c"],
            "area_m2": [1e6] * 4,
            "cameras": [5, 0, 1, 2],
            "population": [50.0, 20000.0, 15000.0, 10000.0],
            "crimes": [30.0, 900.0, 300.0, 100.0],
            "crimes_in_view": [0.0] * 4,
            "covered_m2": [5e4, 0.0, 1e4, 2e4],
        }
    )
    table = equity_table(units)
    curves = crime_rate_curves(table)
    np.testing.assert_allclose(curves.units["crime_rate"], table["crimes_per_1k_smoothed"])
    assert table.loc[0, "crimes_per_1k"] == 600.0  # raw: the park first by far
    assert table.loc[0, "crimes_per_1k_smoothed"] < table.loc[0, "crimes_per_1k"]
    assert table["small_population"].tolist() == [True, False, False, False]


# --------------------------------------------------------------------------------- the San Francisco demo


@pytest.fixture(scope="module")
def sf_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("sf") / "demo"
    run = subprocess.run([EQUITY, "-q", "demo", "--out", str(out)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    return out


def test_sf_demo_levels_plate_readers_presidio_and_the_park(sf_demo):
    units = pd.read_csv(sf_demo / "units.csv").set_index("unit_id")
    manifest = json.loads((sf_demo / "manifest.json").read_text())
    assert manifest["settings"]["detail_level"] == "detection"
    assert "covered_share_recognition" in units
    assert manifest["counts"]["camera_kinds"] == {"ALPR": 343}
    assert units["cameras_alpr"].sum() == units["cameras"].sum() == 340
    assert units.loc["Presidio", "class"] == "no_data"
    assert np.isnan(units.loc["Presidio", "crimes"])
    park = units.loc["Golden Gate Park"]
    assert bool(park["small_population"]) is True
    assert park["crimes_per_1k"] == pytest.approx(338.9, abs=0.1)
    assert park["crimes_per_1k_smoothed"] < park["crimes_per_1k"]
    report = (sf_demo / "report.html").read_text()
    first_page = report[: report.index("<h2>Key findings</h2>")]
    assert "All 343 cameras are licence-plate readers (ALPR), not CCTV" in first_page
    assert "The crime data does not apply to Presidio" in first_page


def test_an_uncertain_unit_is_not_a_finding(sf_demo):
    manifest = json.loads((sf_demo / "manifest.json").read_text())
    uncertain = manifest["sensitivity"]["uncertain_units"]
    assert uncertain, "the demo has an uncertain unit (Castro/Upper Market)"
    report = (sf_demo / "report.html").read_text()
    findings = report[report.index("<h2>Key findings</h2>") : report.index("<h2>Units ranked by gap</h2>")]
    items = findings.split("<li>")[1:]
    for unit in uncertain:
        mentions = [i for i in items if unit.replace("/", "/") in i]
        assert all(i.startswith("Uncertain") for i in mentions), mentions
