"""Other ways to run a study on the real SF data: crime counts per unit, a population column, filters."""

from __future__ import annotations

import json

import pandas as pd
import pyogrio
import pytest

from equity._errors import InputError, InputFormatError
from equity.study import Study

COUNT_COLUMNS = ["Vandalism", "Robbery", "Drugs", "CarTheft"]


@pytest.fixture(scope="module")
def block_group_result(request):
    sf = request.config.rootpath / "data" / "sf"
    return Study(
        sensitivity=False,
        cameras=sf / "cameras.osm",
        units=sf / "block_groups.geojson",
        unit_id="GEO_ID",
        crime_columns=COUNT_COLUMNS,
        population="Population",
    ).run()


def test_counts_per_unit_from_columns(block_group_result, sf_dir):
    layer = pyogrio.read_dataframe(sf_dir / "block_groups.geojson")
    units = block_group_result.units
    assert len(units) == 579
    assert units["crimes"].sum() == layer[COUNT_COLUMNS].to_numpy().sum()
    assert units["population"].sum() == layer["Population"].sum()
    assert units["crimes_in_view"].isna().all()  # unknown without incident points, not zero
    assert units["cameras"].sum() == block_group_result.counts["cameras_in_units"]
    assert set(units["class"]) <= {"under_covered", "over_covered", "other"}


def test_category_and_date_filters(sf_dir):
    result = Study(
        sensitivity=False,
        cameras=sf_dir / "cameras.osm",
        units=sf_dir / "neighborhoods.geojson",
        crime=sf_dir / "crime_incidents_2012H2.csv",
        categories=["robbery"],
        since="2012-10-01",
        until="2012-10-31",
    ).run()
    crime = result.crime
    assert set(crime["category"]) == {"ROBBERY"}
    assert crime["date"].min() >= pd.Timestamp("2012-10-01")
    assert crime["date"].max() <= pd.Timestamp("2012-10-31")
    assert result.counts["crime_rows_filtered_category"] > 0
    assert result.units["population"].isna().all()  # no population given: unknown, not zero


def test_both_crime_sources_is_an_error(sf_dir):
    with pytest.raises(InputError, match="not both"):
        Study(
            sensitivity=False,
            cameras=sf_dir / "cameras.osm",
            units=sf_dir / "block_groups.geojson",
            crime=sf_dir / "crime_incidents_2012H2.csv",
            crime_columns=["Robbery"],
        ).run()


def test_missing_population_column_names_the_columns(sf_dir):
    with pytest.raises(InputFormatError, match="no population column 'Pop2020'"):
        Study(
            sensitivity=False,
            cameras=sf_dir / "cameras.osm",
            units=sf_dir / "neighborhoods.geojson",
            population="Pop2020",
        ).run()


def test_missing_crime_column(sf_dir):
    with pytest.raises(InputFormatError, match="no crime count column 'Assault'"):
        Study(
            sensitivity=False,
            cameras=sf_dir / "cameras.osm",
            units=sf_dir / "block_groups.geojson",
            crime_columns=["Assault"],
        ).run()


def test_manifest_ready_counts_are_json(block_group_result):
    json.dumps(block_group_result.counts)


def test_unreadable_crime_count_is_an_error(tmp_path, sf_dir):
    units = tmp_path / "units.geojson"
    text = (sf_dir / "block_groups.geojson").read_text()
    units.write_text(text.replace('"Robbery": 1,', '"Robbery": "x",', 1))
    with pytest.raises(InputFormatError, match="crime count column 'Robbery' holds 'x'"):
        Study(sensitivity=False, cameras=sf_dir / "cameras.osm", units=units, crime_columns=["Robbery"]).run()
