"""Who is watched: the exposure measures per unit and the groups of residents, on hand-worked fixtures.

The fixture: two units side by side on the central meridian of UTM zone 32 (9° E), where grid north is true
north and the boundary x = 500,000 is a straight line:

- A (west, 8.99° to 9.00° E) with 1,000 residents; B (east, 9.00° to 9.01° E) with 4,000; both 45.00° to
  45.01° N (about 786 m by 1,112 m);
- camera c1 on the boundary (9.00° E, 45.005° N): a 120 m disc half in A, half in B;
- camera c2 in the middle of A (8.995° E): its disc wholly in A, 393 m from B;
- camera c3 150 m north of A's top edge, above c2: its disc (120 m) touches no unit; it is within 200 m of A,
  and about 420 m from B.

By hand: effective cameras E_A = 0.5 + 1 = 1.5, E_B = 0.5; per 1,000 residents 1.5 and 0.125. Cameras within
200 m: W_A = 3 (c1 on the boundary, c2, c3), W_B = 1 (c1); within 100 m: W_A = 2, W_B = 1.

Groups: X lives only in A (600 residents, a count column); Y is 40 % of A and 100 % of B (a percentage of the
population column): 400 + 4,000 = 4,400. Mean effective cameras per 1,000 residents: X 1.5; all residents
(1,000 · 1.5 + 4,000 · 0.125) / 5,000 = 0.4; Y (400 · 1.5 + 4,000 · 0.125) / 4,400 = 0.25. Ratios: X to all
3.75; X to Y 6.0; Y to all 0.625.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from equity._errors import InputError
from equity.columns import GROUP_RATIOS, GROUPS, column
from equity.exposure import cameras_within, effective_cameras
from equity.groups import ALL_RESIDENTS, group_table, parse_groups, rank_concentration
from equity.settings import Settings
from equity.study import Study

EQUITY = str(Path(sys.executable).with_name("equity"))
LAT_N = 45.01 + 150 / 111_132  # 150 m north of the units' top edge (metres per degree of latitude at 45°)


def _units(tmp: Path, extra: dict[str, list] | None = None) -> Path:
    boxes = {"A": (8.99, 45.0, 9.0, 45.01), "B": (9.0, 45.0, 9.01, 45.01)}
    props = {"pop": [1000, 4000], "x": [600, 0], "y_pct": [40.0, 100.0], "income": [20_000, 60_000]}
    props.update(extra or {})
    feats = []
    for i, (name, (a, b, c, d)) in enumerate(boxes.items()):
        feats.append(
            {
                "type": "Feature",
                "properties": {"name": name, **{k: v[i] for k, v in props.items()}},
                "geometry": {"type": "Polygon", "coordinates": [[[a, b], [c, b], [c, d], [a, d], [a, b]]]},
            }
        )
    path = tmp / "units.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def _cameras(tmp: Path, typed: bool = True) -> Path:
    rows = pd.DataFrame({"camera_id": ["c1", "c2", "c3"], "lon": [9.0, 8.995, 8.995], "lat": [45.005, 45.005, LAT_N]})
    if typed:
        rows["camera:type"] = "dome"
    path = tmp / "cameras.csv"
    rows.to_csv(path, index=False)
    return path


def _study(tmp: Path, **kw) -> Study:
    settings = kw.pop("settings", Settings(range_m=120))
    return Study(
        cameras=_cameras(tmp),
        units=_units(tmp),
        unit_id="name",
        population="pop",
        sensitivity=False,
        settings=settings,
        **kw,
    )


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("groups")
    return _study(
        tmp, groups="X=x,Y=y_pct%pop", rank_by="income", settings=Settings(range_m=120, group_min_population=500)
    ).run()


def test_effective_cameras_and_cameras_within_by_hand(result):
    u = result.units.set_index("unit_id")
    assert u.loc["A", "effective_cameras"] == pytest.approx(1.5, abs=1e-9)
    assert u.loc["B", "effective_cameras"] == pytest.approx(0.5, abs=1e-9)
    assert u.loc["A", "effective_cameras_per_1k"] == pytest.approx(1.5, abs=1e-9)
    assert u.loc["B", "effective_cameras_per_1k"] == pytest.approx(0.125, abs=1e-9)
    assert u["cameras_within_200m"].tolist() == [3, 1]
    assert u["cameras_within_200m_per_1k"].tolist() == pytest.approx([3.0, 0.25])
    assert result.counts["exposure_buffer_m"] == 200


def test_a_disc_half_in_a_unit_counts_half(result):
    """c1's disc alone: 0.5 in each unit (the functions, on the analysis's own sectors)."""
    views = result.views.reset_index(drop=True)
    first = (views["camera_id"] == "c1").to_numpy()
    e = effective_cameras(result.sectors[first], result.units)
    assert e.tolist() == pytest.approx([0.5, 0.5], abs=1e-9)


def test_buffer_distance_is_exact(result):
    cams = result.views.drop_duplicates("camera_id")
    assert cameras_within(cams, result.units, 100.0).tolist() == [2, 1]
    assert cameras_within(cams, result.units, 149.0).tolist() == [2, 1]
    assert cameras_within(cams, result.units, 151.0).tolist() == [3, 1]


def test_a_group_living_only_in_covered_units(result):
    t = result.groups.table.set_index("group")
    m = "effective_cameras_per_1k"
    assert t.loc[ALL_RESIDENTS, m] == pytest.approx(0.4)
    assert t.loc["X", m] == pytest.approx(1.5)
    assert t.loc["Y", m] == pytest.approx(0.25)
    assert t.loc["X", f"{m}_ratio"] == pytest.approx(3.75)
    assert t.loc["Y", f"{m}_ratio"] == pytest.approx(0.625)
    assert t.loc["X", "population"] == 600
    assert t.loc["Y", "population"] == pytest.approx(4400)
    r = result.groups.ratios.set_index(["group", "other", "measure"])
    assert r.loc[("X", "Y", m), "ratio"] == pytest.approx(6.0)
    assert r.loc[("Y", "X", m), "ratio"] == pytest.approx(1 / 6)
    h = result.groups.headline
    assert (h["group"], h["other"], h["ratio"]) == ("X", "Y", pytest.approx(6.0))
    assert h["sentence"].startswith("X residents live on average with 6.00 times the camera exposure of Y residents")


def test_intervals_are_seeded_and_hold_the_estimate(result):
    """Two units have no interval (as the city-level measures: 2 units or fewer). On five units, X lives in the
    first only: every resample that draws it gives X the first unit's value, so X's interval is that value; the
    intervals are the same on a second run (fixed seed) and hold the estimates."""
    assert np.isnan(result.groups.table["effective_cameras_per_1k_low"]).all()
    units = pd.DataFrame({"population": [100.0, 200, 300, 400, 500], "m": [5.0, 1, 2, 3, 4]})
    counts = pd.DataFrame({"X": [100.0, 0, 0, 0, 0], "Y": [0.0, 200, 300, 400, 500]})
    specs = parse_groups("X=x,Y=y")
    g = group_table(units, counts, specs, ("m",), min_population=0, headline_measure="m")
    t = g.table.set_index("group")
    assert (t.loc["X", "m_low"], t.loc["X", "m"], t.loc["X", "m_high"]) == (5.0, 5.0, 5.0)
    for name in t.index:
        assert t.loc[name, "m_low"] <= t.loc[name, "m"] <= t.loc[name, "m_high"]
    r = g.ratios.set_index(["group", "other"])
    assert r.loc[("X", "Y"), "ratio"] == pytest.approx(5.0 / ((200 + 600 + 1200 + 2000) / 1400))
    assert r.loc[("X", "Y"), "ratio_low"] <= r.loc[("X", "Y"), "ratio"] <= r.loc[("X", "Y"), "ratio_high"]
    again = group_table(units, counts, specs, ("m",), min_population=0, headline_measure="m")
    pd.testing.assert_frame_equal(g.table, again.table)
    pd.testing.assert_frame_equal(g.ratios, again.ratios)


def test_group_table_by_hand_with_unknowns():
    """A unit whose measure is unknown is left out of every mean (it is not read as zero)."""
    units = pd.DataFrame({"population": [100.0, 300.0, 50.0], "m": [2.0, 1.0, np.nan]})
    counts = pd.DataFrame({"G": [100.0, 0.0, 50.0]})
    g = group_table(units, counts, parse_groups("G=g"), ("m",), min_population=0, headline_measure="m", samples=0)
    t = g.table.set_index("group")
    assert t.loc["G", "m"] == 2.0  # the unit of 50 members has no value
    assert t.loc[ALL_RESIDENTS, "m"] == pytest.approx((100 * 2 + 300 * 1) / 400)
    assert np.isnan(t.loc["G", "m_low"])  # no resamples asked for


def test_a_small_group_is_not_reported(tmp_path):
    res = _study(tmp_path, groups="X=x,Y=y_pct%pop").run()  # the default minimum: 1,000 residents
    assert res.settings.group_min_population == 1000
    assert res.groups.table["group"].tolist() == [ALL_RESIDENTS, "Y"]
    assert res.groups.not_reported == {"X": 600.0}
    assert any("X" in w and "1,000" in w for w in res.ledger.warnings)
    assert (res.groups.ratios["group"] != "X").all()
    assert (res.groups.ratios["other"] != "X").all()


def test_rank_concentration_by_hand(result):
    """Ranked by income: A (20,000; 1,000 residents, E 1.5) then B (60,000; 4,000, E 0.5). X = (0, 0.2, 1),
    Y = (0, 0.75, 1): C = 1 − [0.2 · 0.75 + 0.8 · 1.75] = −0.55: the effective cameras are concentrated in the
    poorer unit."""
    e = {x.name: x for x in result.rank_concentration.estimates}
    assert e["concentration index of effective cameras by income"].value == pytest.approx(-0.55)
    curve = result.rank_concentration.curves["effective_cameras"]
    assert curve["x"].tolist() == pytest.approx([0, 0.2, 1])
    assert curve["y"].tolist() == pytest.approx([0, 0.75, 1])
    direct = rank_concentration(result.units, pd.Series([20_000, 60_000]), "income", samples=0)
    assert direct.estimates[0].value == pytest.approx(-0.55)


def test_groups_from_the_population_layer_are_interpolated_by_area(tmp_path):
    """A population layer of one polygon over both units (all of it inside them): its 5,000 residents, of whom
    500 are Z, are shared by area, A and B being of (almost) equal area."""
    units = _units(tmp_path)
    layer = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"population": 5000, "z": 500},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[8.99, 45.0], [9.01, 45.0], [9.01, 45.01], [8.99, 45.01], [8.99, 45.0]]],
                },
            }
        ],
    }
    (tmp_path / "pop.geojson").write_text(json.dumps(layer))
    res = Study(
        cameras=_cameras(tmp_path),
        units=units,
        unit_id="name",
        population=tmp_path / "pop.geojson",
        groups="Z=z",
        sensitivity=False,
        settings=Settings(range_m=120, group_min_population=0),
    ).run()
    t = res.groups.table.set_index("group")
    assert t.loc["Z", "population"] == pytest.approx(500)
    assert res.meta["groups"]["source"] == "area-weighted interpolation"
    # Z is spread as all residents are: the same mean exposure
    assert t.loc["Z", "effective_cameras_per_1k_ratio"] == pytest.approx(1.0)


def test_bad_groups_are_one_sentence(tmp_path):
    with pytest.raises(InputError, match=r"'Black' is not a group; expected NAME=COLUMN"):
        parse_groups("Black")
    with pytest.raises(InputError, match="used twice"):
        parse_groups("A=x,A=y")
    units = _units(tmp_path, {"bad_pct": [40.0, 140.0]})
    study = Study(cameras=_cameras(tmp_path), units=units, unit_id="name", population="pop", groups="Q=bad_pct%pop")
    with pytest.raises(InputError, match=r"column 'bad_pct' holds 140.0 for unit 'B'; expected a percentage"):
        study.load()
    study = Study(cameras=_cameras(tmp_path), units=units, unit_id="name", population="pop", groups="Q=nope")
    with pytest.raises(InputError, match=r"no column 'nope' for the groups"):
        study.load()


def test_crime_from_rates_times_residents(tmp_path):
    """Rates per resident: A 0.05 (50 crimes of 1,000 residents), B 0.01 (40 of 4,000); a unit without residents
    would have no count."""
    units = _units(tmp_path, {"rate": [0.05, 0.01], "pop": [1000, 0]})
    res = Study(
        cameras=_cameras(tmp_path),
        units=units,
        unit_id="name",
        population="pop",
        crime_rates=["rate"],
        sensitivity=False,
        settings=Settings(range_m=120),
    ).run()
    crimes = res.units.set_index("unit_id")["crimes"]
    assert crimes["A"] == pytest.approx(50.0)
    assert np.isnan(crimes["B"])  # no residents: the rate gives no count
    assert res.counts["units_without_residents_no_crime_count_from_rates"] == 1
    with pytest.raises(InputError, match=r"as rates .* or as counts .* not both"):
        Study(cameras="c", units="u", crime="k.csv", crime_rates=["rate"], population="pop").check()


def test_assumed_camera_tags_never_override_a_tag(tmp_path):
    cams = pd.DataFrame({"lon": [9.0, 8.995], "lat": [45.005, 45.005], "camera:type": ["", "fixed"]})
    cams.to_csv(tmp_path / "cams.csv", index=False)
    res = Study(
        cameras=tmp_path / "cams.csv",
        units=_units(tmp_path),
        unit_id="name",
        population="pop",
        camera_tags={"camera:type": "dome"},
        sensitivity=False,
    ).run()
    assert res.views["camera_type"].tolist() == ["dome", "fixed"]
    assert res.counts["cameras_tags_assumed"] == {"camera:type=dome": 1}


def test_amnesty_recipe_on_the_command_line(tmp_path):
    """``--fov 360 --range 120 --unknown-direction disc`` on cameras with no type: every camera a 120 m disc,
    effective cameras as above; groups.csv and group_ratios.csv written with their records' columns."""
    out = tmp_path / "out"
    (tmp_path / "in").mkdir()
    run = subprocess.run(
        [
            EQUITY,
            "analyze",
            "--cameras",
            str(_cameras(tmp_path / "in", typed=False)),
            "--units",
            str(_units(tmp_path / "in")),
            "--unit-id",
            "name",
            "--population",
            "pop",
            "--groups",
            "Y=y_pct%pop",
            "--fov",
            "360",
            "--range",
            "120",
            "--unknown-direction",
            "disc",
            "--no-sensitivity",
            "--map-assets",
            "cdn",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    units = pd.read_csv(out / "units.csv").set_index("unit_id")
    assert units["effective_cameras"].tolist() == pytest.approx([1.5, 0.5], abs=1e-6)
    groups = pd.read_csv(out / "groups.csv")
    assert groups.columns.tolist() == [c.name for c in GROUPS]
    assert pd.read_csv(out / "group_ratios.csv").columns.tolist() == [c.name for c in GROUP_RATIOS]
    assert groups["group"].tolist() == [ALL_RESIDENTS, "Y"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["groups"]["definitions"] == {"Y": "y_pct%pop"}
    assert "groups.csv" in manifest["outputs"]
    assert "Y residents live on average with" in run.stdout
    assert "Who lives with the cameras" in (out / "report.html").read_text()


def test_bad_groups_on_the_command_line_exit_2(tmp_path):
    run = subprocess.run(
        [
            EQUITY,
            "analyze",
            "--cameras",
            str(_cameras(tmp_path)),
            "--units",
            str(_units(tmp_path)),
            "--population",
            "pop",
            "--groups",
            "Black",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert run.stderr.strip().startswith("equity: error: --groups: 'Black' is not a group")
    assert "Traceback" not in run.stderr


def test_a_study_buffer_names_its_columns():
    assert Settings(buffer_m=50).group_measures[1] == "cameras_within_50m_per_1k"
    c = column("cameras_within_50m_per_1k")
    assert c.label == "Cameras within 50 m per 1,000 residents"
    with pytest.raises(InputError):
        Settings(group_measure="nonsense")


def test_camera_counts_per_unit_without_locations(tmp_path):
    """Counts of 3 and 1 cameras: per 1,000 residents 3.0 and 0.25; all residents (1,000 · 3 + 4,000 · 0.25) /
    5,000 = 0.8, Y (400 · 3 + 4,000 · 0.25) / 4,400 = 0.5. What needs a location is empty, never zero."""
    units = _units(tmp_path, {"ncam": [3, 1]})
    res = Study(
        cameras=None,
        camera_counts="ncam",
        units=units,
        unit_id="name",
        population="pop",
        groups="Y=y_pct%pop",
        settings=Settings(group_min_population=0),
    ).run()
    u = res.units.set_index("unit_id")
    assert u["cameras"].tolist() == [3, 1]
    assert u["cameras_per_1k_residents"].tolist() == pytest.approx([3.0, 0.25])
    for col in ("covered_km2", "coverage_share", "gap", "effective_cameras", "cameras_within_200m"):
        assert u[col].isna().all(), col
    assert (u["class"] == "no_data").all()
    assert res.sensitivity is None
    t = res.groups.table.set_index("group")
    assert t.loc[ALL_RESIDENTS, "cameras_per_1k_residents"] == pytest.approx(0.8)
    assert t.loc["Y", "cameras_per_1k_residents"] == pytest.approx(0.5)
    assert res.groups.headline["measure"] == "cameras_per_1k_residents"
    assert res.counts["cameras"] == 4
    with pytest.raises(InputError, match="one of the two"):
        Study(cameras=None, units=units).check()
    with pytest.raises(InputError, match="one of the two"):
        Study(cameras="c.csv", camera_counts="ncam", units=units).check()
    bad = _units(tmp_path, {"ncam": [3, 1.5]})
    with pytest.raises(InputError, match=r"'ncam' holds 1.5 for unit 'B'; expected a whole number"):
        Study(cameras=None, camera_counts="ncam", units=bad, unit_id="name").load()


def test_camera_counts_on_the_command_line(tmp_path):
    out = tmp_path / "out"
    run = subprocess.run(
        [
            EQUITY,
            "analyze",
            "--camera-counts",
            "ncam",
            "--units",
            str(_units(tmp_path, {"ncam": [3, 1]})),
            "--unit-id",
            "name",
            "--population",
            "pop",
            "--map-assets",
            "cdn",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    units = pd.read_csv(out / "units.csv")
    assert units["cameras_per_1k_residents"].tolist() == pytest.approx([3.0, 0.25])
    assert "without locations" in (out / "report.html").read_text()
    assert json.loads((out / "manifest.json").read_text())["sources"]["cameras"]["format"] == "counts per unit"


def test_headline_when_groups_have_the_same_mean():
    units = pd.DataFrame({"population": [100.0, 100.0, 100.0], "m": [1.0, 1.0, 1.0]})
    counts = pd.DataFrame({"P": [50.0, 50, 50], "Q": [20.0, 20, 20]})
    g = group_table(units, counts, parse_groups("P=p,Q=q"), ("m",), min_population=0, headline_measure="m")
    assert (g.headline["group"], g.headline["other"], g.headline["ratio"]) == ("P", "Q", 1.0)


def test_rank_concentration_leaves_unknown_outcomes_out():
    units = pd.DataFrame(
        {
            "population": [100.0, 100.0, 100.0],
            "effective_cameras": [1.0, np.nan, 3.0],
            "covered_km2": [1.0, 1.0, 1.0],
            "cameras": [1.0, 1.0, 1.0],
        }
    )
    rc = rank_concentration(units, pd.Series([1.0, 2.0, 3.0]), "rank", samples=0)
    first = rc.estimates[0]
    assert (first.n, first.excluded) == (2, 1)
    # two units of equal weight, outcomes 1 and 3: C = 1 − [0.5 · 0.25 + 0.5 · 1.25] = 0.25
    assert first.value == pytest.approx(0.25)
