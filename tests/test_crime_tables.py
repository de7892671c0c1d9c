"""Crime tables: counts per unit read from CSV, JSON and Excel, joined to the units by id or by name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from equity._errors import InputFileError, InputFormatError
from equity.cli import cli
from equity.io import crime_from_file, units_from_file
from equity.io.crime_tables import (
    CountTable,
    CountTableError,
    crimes_from_tables,
    file_category,
    join_count_table,
    normalise_name,
    parse_counts,
    read_count_table,
)

DATA = Path(__file__).parent / "data" / "crime_tables"
SF = Path(__file__).parents[1] / "data" / "sf"

#: Urban parishes of Quito, as the unit layer names them.
QUITO = [
    "Iñaquito",
    "Belisario Quevedo",
    "San Juan",
    "Itchimbía",
    "Mariscal Sucre",
    "Rumipamba",
    "Centro Histórico",
    "La Magdalena",
]

#: Robberies and thefts per parish in the two category files (quito_robo_2023.csv, quito_hurto_2023.csv).
ROBO = {"Iñaquito": 412, "Belisario Quevedo": 187, "San Juan": 265, "Itchimbía": 98, "Mariscal Sucre": 1204}
ROBO["Centro Histórico"] = 733
HURTO = {"Iñaquito": 530, "Belisario Quevedo": 201, "San Juan": 174, "Itchimbía": 66, "Mariscal Sucre": 1487}
HURTO["Centro Histórico"] = 902


@pytest.fixture
def quito() -> pd.DataFrame:
    return pd.DataFrame({"unit_id": QUITO})


def by_unit(join, units: pd.DataFrame) -> dict[str, float]:
    return dict(zip(units["unit_id"], join.crimes.to_numpy(), strict=True))


# --- names and values -------------------------------------------------------------------------------------------


def test_names_compared_without_case_accents_or_spaces():
    assert normalise_name("INAQUITO") == normalise_name("Iñaquito") == "inaquito"
    assert normalise_name(" belisario  quevedo ") == normalise_name("Belisario Quevedo")
    assert normalise_name("CENTRO HISTÓRICO") == normalise_name("Centro Historico")
    assert normalise_name("San Juan") != normalise_name("San Juan de Calderón")
    assert normalise_name("Østerbro") != normalise_name("Æsterbro")  # letters that do not decompose stay
    assert normalise_name("ЦЕНТРАЛЬНЫЙ  район") == normalise_name("Центральный район") != ""
    assert normalise_name("Łódź") == "łodz"


ACCENTED = dict(zip("áéíóúüñ", "aeiouun", strict=True))


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéíóúüñ ", min_size=1, max_size=30))
def test_normalised_name_ignores_case_accents_and_spacing(name):
    plain = "".join(ACCENTED.get(c, c) for c in name)
    spaced = "  " + name.replace(" ", " \t ").upper() + " "
    assert normalise_name(name) == normalise_name(plain) == normalise_name(spaced)


def test_counts_parsed_with_reasons():
    values, reasons = parse_counts(pd.Series(["12", "1,234", "1 234", 7, 3.0, "s/d", "-4", "2.5", None, True]))
    assert values.iloc[:5].tolist() == [12, 1234, 1234, 7, 3]
    assert values.iloc[5:].isna().all()
    assert reasons.tolist()[5:] == [
        "count is not a number",
        "count is negative",
        "count is not a whole number",
        "count is empty",
        "count is not a number",
    ]


def test_category_from_the_file_name():
    assert file_category(Path("robbery_2023.csv"), None) == "robbery_2023"
    assert file_category(Path("robbery_2023.csv"), r"^(?P<category>[a-z]+)_\d{4}$") == "robbery"
    assert file_category(Path("robbery_2023.csv"), r"\d{4}") == "2023"
    with pytest.raises(InputFormatError, match="does not match the file's name 'robbery_2023'"):
        file_category(Path("robbery_2023.csv"), r"^theft")


# --- the Quito parishes: accented names, one name that matches nothing ---------------------------------------------


def test_json_of_counts_per_parish_joined_by_name(quito):
    table = read_count_table(DATA / "quito_robos_2023.json")
    join = join_count_table(table, quito, count="robos")
    crimes = by_unit(join, quito)
    assert crimes["Iñaquito"] == 412  # "INAQUITO"
    assert crimes["Belisario Quevedo"] == 187  # " belisario  quevedo ", the repeated row set aside
    assert crimes["Mariscal Sucre"] == 1204  # "1,234"-style text
    assert crimes["Centro Histórico"] == 733
    assert np.isnan(crimes["Rumipamba"])  # "s/d": no count, not zero
    assert np.isnan(crimes["La Magdalena"])  # a negative count
    rejected = join.rejected.set_index("record")
    assert rejected.loc["record 6", "reason"] == "count is not a number"
    assert rejected.loc["record 10", "reason"] == "count is negative"
    assert rejected.loc["record 9", "reason"].startswith("another row for the same unit")
    assert "record 2" in rejected.loc["record 9", "reason"]
    unmatched = rejected.loc["record 8"]
    assert unmatched["reason"] == "no unit has this id or name"
    assert unmatched["value"].startswith("'Cumbayá'")
    sentence = next(w for w in join.warnings if "no unit of the study" in w)
    assert "1 row names no unit of the study, so 57 crimes are not counted: 'Cumbayá'" in sentence


def test_unmatched_name_lists_the_closest_unit_names(quito, tmp_path):
    path = tmp_path / "robos.json"
    path.write_text(json.dumps([{"parroquia": "Belisario Quebedo", "robos": 3}, {"parroquia": "San Juan", "robos": 5}]))
    join = join_count_table(read_count_table(path), quito)
    row = join.rejected.iloc[0]
    assert row["value"] == "'Belisario Quebedo' (closest: 'Belisario Quevedo')"
    assert "'Belisario Quebedo' (closest: 'Belisario Quevedo')" in " ".join(join.warnings)


def test_key_and_count_guessed_and_the_guess_stated(quito, tmp_path):
    path = tmp_path / "robos.json"
    path.write_text(json.dumps({"data": [{"n": "12", "zona": "IÑAQUITO"}, {"n": "4", "zona": "san juan"}]}))
    join = join_count_table(read_count_table(path), quito)
    assert join.meta["key_column"] == "zona"
    assert join.meta["key_guessed"]
    assert join.meta["count_column"] == "n"
    assert join.meta["count_guessed"]
    assert "guessed the column 'zona' as the units' ids or names (it matches 2 of 2 rows)" in join.warnings[0]
    assert "the column 'n' as the crime counts (the only numeric column)" in join.warnings[0]


def test_several_numeric_columns_named_in_one_sentence(quito):
    with pytest.raises(InputFormatError) as err:
        crimes_from_tables([DATA / "quito_robos_2023.json"], quito)
    assert str(err.value) == (
        f"{DATA / 'quito_robos_2023.json'}: several numeric columns ('robos', 'anio'); name the column with the "
        "crime counts with --crime-table-count."
    )


def test_join_by_unit_id_with_names_in_another_column(tmp_path):
    units = pd.DataFrame({"unit_id": ["101", "102", "103"], "nombre": ["Iñaquito", "San Juan", "Rumipamba"]})
    ids = tmp_path / "by_id.csv"
    ids.write_text("codigo,delitos\n101,7\n102.0,3\n")
    join = join_count_table(read_count_table(ids), units)
    assert join.crimes.tolist()[:2] == [7, 3]
    assert np.isnan(join.crimes.iloc[2])
    names = tmp_path / "by_name.csv"
    names.write_text("Parroquia,Delitos\nRUMIPAMBA,9\n")
    join = join_count_table(read_count_table(names), units)
    assert join.crimes.iloc[2] == 9


def test_numeric_ids_and_counts_not_guessed_apart(tmp_path):
    units = pd.DataFrame({"unit_id": ["1", "2", "3"]})
    path = tmp_path / "districts.csv"
    path.write_text("district,robberies\n1,2\n2,3\n3,1\n")
    with pytest.raises(InputFormatError, match="the numeric columns 'district', 'robberies' all hold values that are"):
        crimes_from_tables([path], units)
    join = crimes_from_tables([path], units, key="district")
    assert join.crimes.tolist() == [2, 3, 1]


def test_repeated_unit_after_a_bad_count_stays_unknown(quito, tmp_path):
    path = tmp_path / "robos.csv"
    path.write_text("parroquia,robos\nSan Juan,n/d\nSAN JUAN,12\n")
    with pytest.raises(InputFormatError, match="no numeric column besides the key"):  # one number in two values
        crimes_from_tables([path], quito)
    join = crimes_from_tables([path], quito, count="robos")
    assert np.isnan(by_unit(join, quito)["San Juan"])
    assert join.rejected["reason"].tolist() == [
        "another row for the same unit and this file comes first (line 2); the first is the one read",
        "count is not a number",
    ]


def test_missing_unit_is_unknown_unless_the_table_is_complete(quito):
    files = [DATA / "quito_robo_2023.csv"]
    join = crimes_from_tables(files, quito)
    crimes = by_unit(join, quito)
    assert np.isnan(crimes["Rumipamba"])
    assert np.isnan(crimes["La Magdalena"])
    assert join.counts["units_without_count"] == 2
    assert any("2 of 8 units have no count in the crime tables" in w for w in join.warnings)
    complete = crimes_from_tables(files, quito, complete=True)
    assert by_unit(complete, quito)["Rumipamba"] == 0
    assert complete.counts["units_missing_taken_as_zero"] == 2
    assert any("taken to have 0 crimes there (--crime-table-complete" in w for w in complete.warnings)


def test_complete_table_keeps_a_set_aside_count_unknown(quito):
    complete = crimes_from_tables([DATA / "quito_robos_2023.json"], quito, count="robos", complete=True)
    crimes = by_unit(complete, quito)
    assert np.isnan(crimes["Rumipamba"])  # "s/d": listed, its count unknown
    assert np.isnan(crimes["La Magdalena"])  # a negative count
    assert crimes["Itchimbía"] == 98
    assert complete.counts["units_missing_taken_as_zero"] == 0
    assert complete.counts["units_without_count"] == 2
    assert any("2 of 8 units have a row whose count was set aside" in w for w in complete.warnings)


def test_long_form_with_a_bad_count_leaves_that_category_unknown(quito, tmp_path):
    path = tmp_path / "delitos.csv"
    path.write_text("parroquia,category,cantidad\nSan Juan,robo,s/d\nSan Juan,hurto,4\nIñaquito,robo,3\n")
    join = crimes_from_tables([path], quito, count="cantidad")
    assert np.isnan(join.by_category.loc[2, "robo"])  # San Juan: its robbery count unreadable
    assert join.by_category.loc[2, "hurto"] == 4
    assert join.by_category.loc[0, "hurto"] == 0  # Iñaquito listed without a theft row: none
    assert np.isnan(by_unit(join, quito)["San Juan"])


# --- several files, wrappers, Excel -------------------------------------------------------------------------------


def test_two_files_by_category_sum_to_the_totals(quito):
    join = crimes_from_tables([DATA / "quito_robo_2023.csv", DATA / "quito_hurto_2023.csv"], quito)
    crimes = by_unit(join, quito)
    for parish in ROBO:
        assert crimes[parish] == ROBO[parish] + HURTO[parish]
    assert join.meta["categories"] == ["quito_robo_2023", "quito_hurto_2023"]
    assert join.meta["crimes_by_category"] == {
        "quito_robo_2023": sum(ROBO.values()),
        "quito_hurto_2023": sum(HURTO.values()),
    }
    only = crimes_from_tables(
        [DATA / "quito_robo_2023.csv", DATA / "quito_hurto_2023.csv"],
        quito,
        category=r"quito_(?P<category>[a-z]+)_",
        categories=["hurto"],
    )
    assert by_unit(only, quito)["Iñaquito"] == HURTO["Iñaquito"]


def test_one_row_per_category_summed_and_repeated_rows_set_aside(quito):
    join = crimes_from_tables([DATA / "quito_delitos_2023.csv"], quito, category="tipo_delito", count="cantidad")
    crimes = by_unit(join, quito)
    assert crimes["Iñaquito"] == ROBO["Iñaquito"] + HURTO["Iñaquito"]
    assert crimes["San Juan"] == ROBO["San Juan"] + HURTO["San Juan"]  # the repeated "hurto" row once
    assert crimes["Itchimbía"] == 98  # listed: its category without a row counts nothing
    assert np.isnan(crimes["Rumipamba"])  # not listed: unknown
    assert sorted(join.by_category.columns) == ["hurto", "robo"]
    assert join.rejected["reason"].tolist() == [
        "another row for the same unit and category 'hurto' comes first (line 7); the first is the one read"
    ]


def test_ckan_answer_equals_the_point_counts():
    units = units_from_file(SF / "neighborhoods.geojson").data
    join = crimes_from_tables([DATA / "sf_robbery_2012h2_ckan.json"], units, complete=True)
    assert join.meta["files"][0]["count_column"] == "incident_count"  # CKAN's _id is not a count
    assert join.meta["files"][0]["category_column"] == "incident_category"
    expected = point_counts(units, categories=["ROBBERY"])
    assert join.crimes.to_numpy().tolist() == expected.to_numpy().tolist()
    assert join.crimes.sum() == 2044


def test_socrata_rows_json_and_name_count_object(quito, tmp_path):
    rows = {
        "meta": {"view": {"columns": [{"fieldName": ":id", "name": "sid"}, {"fieldName": "parroquia"}, {"name": "n"}]}},
        "data": [["row-1", "Iñaquito", "5"], ["row-2", "SAN JUAN", "2"]],
    }
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(rows))
    assert by_unit(crimes_from_tables([path], quito, complete=True), quito)["San Juan"] == 2
    pairs = tmp_path / "pairs.json"
    pairs.write_text(json.dumps({"Iñaquito": 5, "Centro Histórico": "8"}, ensure_ascii=False))
    assert by_unit(crimes_from_tables([pairs], quito, complete=True), quito)["Centro Histórico"] == 8


def test_dataframe_held_in_a_notebook(quito):
    frame = pd.DataFrame({"Parroquia": ["IÑAQUITO", "rumipamba", "Quitumbe"], "Robos": [412, 0, 5]})
    join = crimes_from_tables([frame], quito)
    crimes = by_unit(join, quito)
    assert crimes["Iñaquito"] == 412
    assert crimes["Rumipamba"] == 0
    assert join.rejected[["source", "record", "reason"]].values.tolist() == [
        ["table 1", "row 3", "no unit has this id or name"]
    ]


def test_excel_workbook_written_by_openpyxl(quito, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Robos 2023"
    sheet.append(["Robos por parroquia, 2023"])  # a title row above the header: the table starts below
    sheet.append([])
    sheet.append(["Parroquia", "Robos"])
    for parish, n in ROBO.items():
        sheet.append([parish.upper(), n])
    sheet.append(["Rumipamba", "n/d"])
    path = tmp_path / "robos.xlsx"
    book.save(path)
    join = crimes_from_tables([path], quito)
    crimes = by_unit(join, quito)
    assert {p: crimes[p] for p in ROBO} == ROBO
    assert join.meta["files"][0]["format"] == "xlsx"
    assert join.rejected["record"].tolist() == ["sheet 'Robos 2023' row 10"]
    assert join.rejected["reason"].tolist() == ["count is not a number"]


def test_excel_with_a_repeated_header_name(quito, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Parroquia", "Total", "Total"])
    book.active.append(["San Juan", 4, 2023])
    path = tmp_path / "r.xlsx"
    book.save(path)
    assert list(read_count_table(path).frame.columns) == ["Parroquia", "Total", "Total.1"]
    join = crimes_from_tables([path], quito, count="Total", complete=True)
    assert by_unit(join, quito)["San Juan"] == 4


@pytest.mark.parametrize(
    ("name", "content", "error", "match"),
    [
        (
            "layer.json",
            '{"type": "FeatureCollection", "features": []}',
            InputFormatError,
            "a GeoJSON layer, not a table",
        ),
        ("x.json", '{"a": [1], "b": [2]}', InputFormatError, "no list of records found"),
        ("x.json", "[1, 2]", InputFormatError, "record 1 is 1, not an object"),
        ("x.json", "{broken", InputFormatError, "not valid JSON"),
        ("x.xls", "\xd0\xcf", InputFileError, "old binary Excel file"),
    ],
)
def test_bad_tables_refused_in_one_sentence(tmp_path, name, content, error, match):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(error, match=match):
        read_count_table(path)


def test_no_column_matches_the_units(quito, tmp_path):
    path = tmp_path / "distritos.json"
    path.write_text(json.dumps([{"distrito": "Norte", "robos": 3}, {"distrito": "Sur", "robos": 4}]))
    with pytest.raises(InputFormatError, match="no column of the table holds the units' ids or names"):
        crimes_from_tables([path], quito)
    with pytest.raises(InputFormatError, match="none of the values of column 'distrito'"):
        crimes_from_tables([path], quito, key="distrito")
    with pytest.raises(InputFormatError, match=r"no column 'zona' \(--crime-table-key\)"):
        crimes_from_tables([path], quito, key="zona")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 5000)), min_size=len(QUITO), max_size=len(QUITO)), st.randoms())
def test_join_returns_the_counts_written_in_any_order_and_spelling(counts, rnd):
    assume(any(n is not None for n in counts))
    units = pd.DataFrame({"unit_id": QUITO})
    rows = [(name, n) for name, n in zip(QUITO, counts, strict=True) if n is not None]
    rnd.shuffle(rows)
    spelled = [(rnd.choice([str.upper, str.lower, lambda s: f"  {s} "])(name), n) for name, n in rows]
    frame = pd.DataFrame([*spelled, ("San Juan de Calderón", 1)], columns=["parroquia", "robos"], dtype=object)
    table = CountTable(Path("t.csv"), frame, [f"line {i + 2}" for i in range(len(frame))], "csv")
    join = join_count_table(table, units)
    for name, n in zip(QUITO, counts, strict=True):
        got = by_unit(join, units)[name]
        assert np.isnan(got) if n is None else got == n


# --- crime given as points that is a table; the command line on San Francisco --------------------------------------


def point_counts(units: pd.DataFrame, categories: list[str] | None = None) -> pd.Series:
    """Incidents per neighbourhood as equity counts them from the points (one per incident number)."""
    from equity import coverage
    from equity.projection import metric_crs, to_metric

    crs = metric_crs(units)
    metric = to_metric(units, crs)
    points = to_metric(crime_from_file(SF / "crime_incidents_2012H2.csv", categories=categories).data, crs)
    return coverage.crimes_by_unit(points, metric)["crimes"]


def test_excel_given_as_crime_is_told_apart(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Neighborhood", "Robberies"])
    book.active.append(["Mission", 4])
    book.save(tmp_path / "robberies.xlsx")
    with pytest.raises(CountTableError, match=r"robberies\.xlsx: a table of counts per unit"):
        crime_from_file(tmp_path / "robberies.xlsx")


def test_count_table_given_as_crime_is_told_apart(tmp_path):
    path = tmp_path / "robos.json"
    path.write_text(json.dumps({"data": [{"distrito": "Norte", "robos": "3"}]}))
    with pytest.raises(CountTableError, match=r"a table of counts per unit .* give it with --crime-table"):
        crime_from_file(path)
    notes = tmp_path / "notes.csv"  # no coordinates and no numbers: not a table of counts either
    notes.write_text("parroquia,nota\nSan Juan,alta\n")
    with pytest.raises(InputFormatError, match="no longitude and no latitude column") as err:
        crime_from_file(notes)
    assert not isinstance(err.value, CountTableError)


@pytest.fixture(scope="module")
def sf_tables(tmp_path_factory) -> tuple[Path, list[Path], pd.Series]:
    """The SF neighbourhoods, one table per category of data/sf's incidents (names upper-cased, units without
    incidents of the category left out), and the point counts per neighbourhood."""
    folder = tmp_path_factory.mktemp("sf_tables")
    units_path = folder / "neighborhoods.geojson"
    shutil.copy(SF / "neighborhoods.geojson", units_path)
    units = units_from_file(units_path).data
    from equity import coverage
    from equity.projection import metric_crs, to_metric

    crs = metric_crs(units)
    incidents = crime_from_file(SF / "crime_incidents_2012H2.csv").data
    unit = coverage.assign_units(to_metric(incidents, crs), to_metric(units, crs))
    frame = pd.DataFrame({"unit": unit.to_numpy(), "category": incidents["category"].to_numpy()}).dropna()
    tables = []
    for category, rows in frame.groupby("category"):
        n = rows.groupby("unit").size()
        path = folder / (category.lower().replace("/", "_").replace(" ", "_") + "_2012h2.csv")
        pd.DataFrame({"Neighborhood": [u.upper() for u in n.index], "Incidents": n.to_numpy()}).to_csv(
            path, index=False
        )
        tables.append(path)
    return units_path, tables, point_counts(units).set_axis(units["unit_id"])


def run(args: list[str]) -> object:
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_cli_tables_per_category_equal_the_point_counts(sf_tables, tmp_path):
    units_path, tables, expected = sf_tables
    out = tmp_path / "out"
    args = ["analyze", "--cameras", str(SF / "cameras.osm"), "--units", str(units_path), "--no-sensitivity"]
    args += [a for t in tables for a in ("--crime-table", str(t))]
    args += ["--crime-table-complete", "--period", "July-December 2012", "--map-assets", "inline", "--out", str(out)]
    result = run(args)
    assert result.exit_code == 0, result.output
    assert (
        "4 tables (drug_narcotic_2012h2.csv, robbery_2012h2.csv, vandalism_2012h2.csv, vehicle_theft_2012h2.csv)"
        in (result.output)
    )
    assert "guessed in each the column 'Neighborhood' as the units' ids or names" in result.output
    units = pd.read_csv(out / "units.csv").set_index("unit_id")
    assert units["crimes"].reindex(expected.index).tolist() == expected.tolist()
    assert units["crimes"].sum() == 10128
    manifest = json.loads((out / "manifest.json").read_text())
    crime = manifest["sources"]["crime"]
    assert crime["period"] == "July-December 2012"
    assert crime["format"] == "table of counts per unit"
    assert [f["category"] for f in crime["files"]] == [
        "drug_narcotic_2012h2",
        "robbery_2012h2",
        "vandalism_2012h2",
        "vehicle_theft_2012h2",
    ]
    # McLaren Park, Lincoln Park, Seacliff and the Presidio have no incident of some category: no row, 0 (complete)
    assert manifest["counts"]["crime_table_units_missing_taken_as_zero"] == 4
    assert "crime_table" in manifest["inputs"]
    assert "crime_table_4" in manifest["inputs"]


def test_cli_table_without_complete_leaves_missing_units_unknown(sf_tables, tmp_path):
    units_path, tables, _expected = sf_tables
    robbery = next(t for t in tables if t.name.startswith("robbery"))
    out = tmp_path / "out"
    result = run(
        [
            "analyze",
            "--cameras",
            str(SF / "cameras.osm"),
            "--units",
            str(units_path),
            "--no-sensitivity",
            "--crime-table",
            str(robbery),
            "--map-assets",
            "inline",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    units = pd.read_csv(out / "units.csv").set_index("unit_id")
    listed = set(pd.read_csv(robbery)["Neighborhood"])
    missing = {u.upper() for u in units.index[units["crimes"].isna()]}
    assert len(missing) == 41 - len(listed) == 3
    assert missing.isdisjoint(listed)
    assert "3 of 41 units have no count in the crime tables" in result.output


def test_cli_crime_json_of_counts_is_joined(sf_tables, tmp_path):
    units_path, _, _expected = sf_tables
    ckan = tmp_path / "robbery.json"
    shutil.copy(DATA / "sf_robbery_2012h2_ckan.json", ckan)
    out = tmp_path / "out"
    result = run(
        [
            "analyze",
            "--cameras",
            str(SF / "cameras.osm"),
            "--units",
            str(units_path),
            "--no-sensitivity",
            "--crime",
            str(ckan),
            "--map-assets",
            "inline",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "given as incident points (--crime), it is a table of counts per unit" in result.output
    units = pd.read_csv(out / "units.csv")
    assert units["crimes"].sum() == 2044


def test_cli_crime_json_that_cannot_be_joined_names_crime_table(sf_tables, tmp_path):
    units_path, _, _ = sf_tables
    path = tmp_path / "districts.json"
    path.write_text(json.dumps([{"district": "NORTHERN", "count": "12"}, {"district": "SOUTHERN", "count": "30"}]))
    result = CliRunner().invoke(
        cli,
        [
            "analyze",
            "--cameras",
            str(SF / "cameras.osm"),
            "--units",
            str(units_path),
            "--no-sensitivity",
            "--crime",
            str(path),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 2
    assert "a table of counts per unit, not incident points" in result.output
    assert "give it with --crime-table" in result.output
    assert "cannot read it as a crime layer" not in result.output


def test_cli_options_that_contradict(sf_tables, tmp_path):
    units_path, tables, _ = sf_tables
    base = ["analyze", "--cameras", str(SF / "cameras.osm"), "--units", str(units_path), "--out", str(tmp_path)]
    both = CliRunner().invoke(
        cli, [*base, "--crime", str(SF / "crime_incidents_2012H2.csv"), "--crime-table", str(tables[0])]
    )
    assert both.exit_code == 2
    assert "not both" in both.output
    dated = CliRunner().invoke(cli, [*base, "--crime-table", str(tables[0]), "--since", "2012-08-01"])
    assert dated.exit_code == 2
    assert "no incident dates for --since and --until" in dated.output
    two = tmp_path / "robbery_by_year.csv"
    two.write_text("Neighborhood,Incidents,Year\nMISSION,120,2012\nTENDERLOIN,210,2012\n")
    numbers = CliRunner().invoke(cli, [*base, "--crime-table", str(two)])
    assert numbers.exit_code == 2
    assert numbers.output == (
        f"equity: error: {two}: several numeric columns ('Incidents', 'Year'); name the column with the crime "
        "counts with --crime-table-count.\n"
    )
    period = CliRunner().invoke(cli, [*base, "--period", "2023"])
    assert period.exit_code == 2
    assert "--period labels the crime data's period" in period.output


def test_study_api_records_the_period_and_keeps_the_jurisdiction():
    from equity.study import Study

    study = Study(
        cameras=SF / "cameras.osm",
        units=SF / "neighborhoods.geojson",
        crime_table=[DATA / "sf_robbery_2012h2_ckan.json"],
        crime_table_complete=True,
        no_crime_data=["Presidio"],
        period="July-December 2012",
        sensitivity=False,
        statistics=False,
    )
    result = study.run()
    assert result.meta["crime"]["period"] == "July-December 2012"
    assert result.meta["crime"]["files"][0]["category"] is None  # the categories come from incident_category
    assert result.meta["crime"]["categories"] == ["Robbery"]
    crimes = result.units.set_index("unit_id")["crimes"]
    assert np.isnan(crimes["Presidio"])  # declared outside the crime data: unknown, though the table is complete
    assert crimes["Seacliff"] == 0  # no row, and the table is complete
    records = json.loads((DATA / "sf_robbery_2012h2_ckan.json").read_text())["result"]["records"]
    presidio = sum(r["incident_count"] for r in records if r["analysis_neighborhood"] == "Presidio")
    assert crimes.sum() == 2044 - presidio


def test_cli_unmatched_name_in_rejected_csv_with_the_closest_names(sf_tables, tmp_path):
    units_path, tables, _ = sf_tables
    robbery = next(t for t in tables if t.name.startswith("robbery"))
    misspelt = tmp_path / "robbery.csv"
    misspelt.write_text(robbery.read_text().replace("\nMISSION,", "\nMISION DISTRICT,"))
    out = tmp_path / "out"
    result = run(
        [
            "analyze",
            "--cameras",
            str(SF / "cameras.osm"),
            "--units",
            str(units_path),
            "--no-sensitivity",
            "--crime-table",
            str(misspelt),
            "--map-assets",
            "inline",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    rejected = pd.read_csv(out / "rejected.csv")
    row = rejected[rejected["source"] == "robbery.csv"].iloc[0]
    assert row["reason"] == "no unit has this id or name"
    assert row["value"] == "'MISION DISTRICT' (closest: 'Mission', 'Mission Bay')"
    assert "1 row names no unit of the study" in result.output
    units = pd.read_csv(out / "units.csv").set_index("unit_id")
    assert np.isnan(units.loc["Mission", "crimes"])  # its row matched nothing: unknown, not zero


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**6) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
RECORDS = st.lists(
    st.fixed_dictionaries(
        {"parroquia": st.sampled_from([*QUITO, "INAQUITO", "Cumbayá", "", "101"]) | st.text(max_size=10)},
        optional={"robos": JSON_VALUES, "anio": st.integers(2000, 2030)},
    ),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        JSON_VALUES, RECORDS, RECORDS.map(lambda r: {"data": r}), RECORDS.map(lambda r: {"result": {"records": r}})
    )
)
def test_any_json_is_read_and_joined_or_refused_in_a_sentence(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("json") / "table.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    units = pd.DataFrame({"unit_id": QUITO})
    try:
        join = crimes_from_tables([path], units)
    except (InputFormatError, InputFileError) as err:
        refusal = str(err)
    else:
        refusal = None
    if refusal is not None:
        assert refusal.startswith(f"{path}: ")
        return
    finite = join.crimes.dropna()
    assert ((finite >= 0) & (finite == finite.round())).all()
    assert len(join.crimes) == len(units)
