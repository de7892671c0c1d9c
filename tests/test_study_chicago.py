"""The Chicago demo (``equity demo chicago``), run by the installed command: official police cameras without
tags drawn as pan-tilt-zoom discs, crimes from rates times residents, and the group table for Black, White and
Latino residents with the concentration over tracts ranked by poverty. The figures are those data/chicago/README.md
records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

EQUITY = str(Path(sys.executable).with_name("equity"))


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chicago") / "out"
    run = subprocess.run(
        [EQUITY, "demo", "chicago", "--no-sensitivity", "--map-assets", "cdn", "--out", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    folder.joinpath("stdout.txt").write_text(run.stdout)
    return folder


def test_cameras_are_discs_by_assumption(out):
    m = json.loads((out / "manifest.json").read_text())
    c = m["counts"]
    assert c["cameras"] == 717
    assert c["cameras_in_units"] == 715
    assert c["cameras_tags_assumed"]["camera:type=dome"] == 717
    assert c["views_direction_default_omni"] == 717
    cams = pd.read_csv(out / "cameras.csv")
    assert set(cams["fov_deg"]) == {360}
    assert set(cams["camera_type"]) == {"dome"}


def test_crimes_are_rates_times_residents(out):
    units = pd.read_csv(out / "units.csv", dtype={"unit_id": str}).set_index("unit_id")
    # tract 17031842400: 3,374 residents, violent 0.0605 and property 0.0752 per resident in 2015
    assert units.loc["17031842400", "population"] == 3374
    assert units.loc["17031842400", "crimes"] == pytest.approx(3374 * (0.0605 + 0.0752), abs=1e-3)
    assert units.index.str.fullmatch(r"17031\d{6}").all()  # census ids, not floats


def test_group_table_for_three_groups(out):
    g = pd.read_csv(out / "groups.csv").set_index("group")
    assert g.index.tolist() == ["all residents", "Black", "White", "Latino"]
    assert g.loc["all residents", "population"] == 2_710_501
    m = "effective_cameras_per_1k"
    assert g.loc["Black", m] == pytest.approx(0.4457, abs=1e-3)
    assert g.loc["White", m] == pytest.approx(0.1507, abs=1e-3)
    assert g.loc["Latino", m] == pytest.approx(0.2600, abs=1e-3)
    r = pd.read_csv(out / "group_ratios.csv").set_index(["group", "other", "measure"])
    bw = r.loc[("Black", "White", m)]
    assert bw["ratio"] == pytest.approx(2.958, abs=1e-2)
    assert 2.3 < bw["ratio_low"] < bw["ratio"] < bw["ratio_high"] < 3.8
    stdout = (out / "stdout.txt").read_text()
    assert "Black residents live on average with 2.96 times the camera exposure of White residents" in stdout


def test_concentration_by_poverty(out):
    m = json.loads((out / "manifest.json").read_text())
    assert m["rank_by"]["column"] == "Pov14"
    first = m["rank_by"]["measures"][0]
    assert first["measure"] == "concentration index of effective cameras by Pov14"
    assert 0.3 < first["ci_low"] < first["value"] < first["ci_high"] < 0.5  # toward the poorer tracts


def test_report_states_the_comparison_and_its_caveats(out):
    html = (out / "report.html").read_text()
    assert "Who lives with the cameras" in html
    assert "2015/16 snapshot" in html
    assert "rates per tract" in html
    assert "ecological" in html
    assert "bootstrap over units" in html


def test_a_long_class_is_named_by_its_largest_gaps_and_counted(out):
    """99 tracts are 'high crime, low coverage' by the default thresholds: the key finding names five, those of
    the largest gap, and counts the rest, instead of listing them all on the first page."""
    from equity.presentation.report import FINDING_UNITS

    html = (out / "report.html").read_text()
    units = pd.read_csv(out / "units.csv", dtype={"unit_id": str})
    sure = units["p_class"] >= 0.9 if "p_class" in units else True  # no draws without the sensitivity runs
    members = units[(units["class"] == "under_covered") & sure].sort_values("gap", kind="stable")
    line = next(x for x in html.splitlines() if x.startswith("<li>High crime, low coverage ("))
    assert f"({len(members)} of 791 units)" in line
    assert f"and {len(members) - FINDING_UNITS:,} more (the table of the units lists them all)" in line
    named = [u for u in members["unit_id"] if u in line]
    assert named == members["unit_id"].head(FINDING_UNITS).tolist()
