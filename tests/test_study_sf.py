"""The whole pipeline on the bundled San Francisco data: the facts the demo must get right."""

from __future__ import annotations

import pytest

from equity.demo import demo_study


@pytest.fixture(scope="module")
def sf_result():
    return demo_study(sensitivity=False).run()


def test_one_row_per_neighbourhood(sf_result):
    assert len(sf_result.units) == 41
    assert sf_result.units["unit_id"].is_unique


def test_story_classes(sf_result):
    by_unit = sf_result.units.set_index("unit_id")
    assert by_unit.loc["Tenderloin", "class"] == "under_covered"
    assert by_unit.loc["Golden Gate Park", "class"] == "over_covered"
    assert by_unit.loc["Presidio", "class"] == "no_data"  # policed by the US Park Police: no SFPD crime data
    assert by_unit.loc["Tenderloin", "gap"] == sf_result.units["gap"].min()


def test_camera_counts_add_up(sf_result):
    views = sf_result.views
    inside = views.loc[views["unit_id"].notna(), "camera_id"].nunique()
    assert sf_result.units["cameras"].sum() == inside == sf_result.counts["cameras_in_units"]
    assert sf_result.counts["cameras"] == 343
    assert inside + sf_result.counts["cameras_outside_units"] == 343


def test_counts_as_in_the_data_readme(sf_result):
    # data/sf/README.md: Tenderloin about 1,056 incidents and 3 cameras; Bayview 735 and 48; Presidio 1 and 15
    by_unit = sf_result.units.set_index("unit_id")
    assert by_unit.loc["Tenderloin", ["crimes", "cameras"]].tolist() == [1056, 3]
    assert by_unit.loc["Bayview Hunters Point", ["crimes", "cameras"]].tolist() == [735, 48]
    assert by_unit.loc["Presidio", "cameras"] == 15
    assert by_unit.loc["Presidio", "crimes"] != by_unit.loc["Presidio", "crimes"]  # unknown, not 1 or 0
    assert sf_result.counts["incidents_in_units_outside_crime_jurisdiction"] == 1


def test_crime_total_and_population_total(sf_result):
    c = sf_result.counts
    assert c["crime_incidents"] == 10140
    in_units = sf_result.units["crimes"].sum() + c["incidents_in_units_outside_crime_jurisdiction"]
    assert in_units + c["crime_incidents_outside_units"] == 10140
    assert sf_result.units["population"].sum() + c["population_outside_units"] == pytest.approx(805235)
    # 3,332 repeated incident rows and 2 plate readers that no road runs along (equity.roads)
    assert len(sf_result.rejected) == c["rejected_rows"] == 3334


def test_defaults_are_counted(sf_result):
    c = sf_result.counts
    assert (
        c["views_direction_tagged"] + c["views_direction_unknown"] + c["views_direction_default_omni"]
        == c["camera_views"]
    )
    assert c["cameras_height_tagged"] == 0  # the README: none carries height
    assert c["cameras_height_from_mount"] + c["cameras_height_default"] == 343


def test_plate_readers_on_the_roads(sf_result):
    """The bundled 2015 OSM streets: every reader view is matched or listed, no neighbourhood is cordoned, and the
    shares add up (docs/roads.md gives these figures)."""
    c = sf_result.counts
    assert c["alpr_views_matched_to_roads"] + c["alpr_views_not_matched"] == c["camera_views"] == 344
    assert c["alpr_views_not_matched"] == 2
    units = sf_result.units.set_index("unit_id")
    assert (units["roads_logged_m"] <= units["road_m"] + 1e-6).all()
    assert (units["entrances_logged"] <= units["entrances"]).all()
    assert units["entrances"].min() > 0
    assert sf_result.roads.cordoned == []
    assert not units["cordoned"].any()
    assert units["roads_logged_share"].idxmax() == "South of Market"
    assert sf_result.roads.logged_share == pytest.approx(units["roads_logged_m"].sum() / units["road_m"].sum())
