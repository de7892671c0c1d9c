"""The table of output columns: every column an analysis writes has a record, in the order it is written, and
docs/columns.md is the table's text."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from equity.analysis import HOME_UNIT_COLUMNS
from equity.cameras import VIEW_COLUMNS
from equity.columns import CAMERAS, TABLES, UNITS, Format, column, markdown
from equity.io.outputs import write_outputs
from equity.metrics import EQUITY_COLUMNS
from equity.settings import DETAIL_LEVELS_PX_PER_M, Settings
from equity.study import Study
from tests.test_study_visibility import _write_dem

ROOT = Path(__file__).resolve().parents[1]
BOUNDS = (24.9351762, 60.1641550, 24.9534145, 60.1791130)  # the Helsinki extract's header box


def test_docs_are_the_column_table():
    """docs/columns.md is written by ``python -m equity.columns > docs/columns.md``: run it after a change."""
    assert (ROOT / "docs" / "columns.md").read_text(encoding="utf-8") == markdown()


def test_records_are_well_formed():
    formats = set(typing.get_args(Format))
    for table, records in TABLES.items():
        names = [c.name for c in records]
        assert len(names) == len(set(names)), table
        for c in records:
            assert c.format in formats, (table, c.name)
            assert c.label, (table, c.name)
            assert c.description.endswith("."), (table, c.name)
            assert c.format == "text" or c.unit or c.format in ("class", "boolean"), (table, c.name)
    assert column("gap").format == "points"
    with pytest.raises(KeyError):
        column("no_such_column")


def _study(tmp: Path) -> Study:
    """Helsinki with buildings, streets, a DEM, crime and residents: every optional column is written."""
    pbf = ROOT / "data" / "helsinki" / "Helsinki.osm.pbf"
    x0, y0, x1, y1 = BOUNDS
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    cells = {"SW": (x0, y0, mx, my), "SE": (mx, y0, x1, my), "NW": (x0, my, mx, y1), "NE": (mx, my, x1, y1)}
    feats = [
        {
            "type": "Feature",
            "properties": {"name": name, "pop": 1000 * (i + 1), "kids": 300 * (i + 1)},
            "geometry": {"type": "Polygon", "coordinates": [[[a, b], [c, b], [c, d], [a, d], [a, b]]]},
        }
        for i, (name, (a, b, c, d)) in enumerate(cells.items())
    ]
    (tmp / "units.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    step, pad = 0.0005, 20
    ny, nx = int((y1 - y0) / step) + 2 * pad, int((x1 - x0) / step) + 2 * pad
    rows, cols = np.mgrid[0:ny, 0:nx]
    _write_dem(tmp / "dem.tif", 10 + 3.0 * rows + 0.5 * cols, lon0=x0 - pad * step, lat1=y1 + pad * step, step=step)
    rng = np.random.default_rng(1)
    lon, lat = x0 + (x1 - x0) * rng.random(200), y0 + (y1 - y0) * rng.random(200)
    pd.DataFrame({"id": range(200), "lon": lon.round(6), "lat": lat.round(6), "date": "2024-01-01"}).to_csv(
        tmp / "crime.csv", index=False
    )
    return Study(
        cameras=pbf,
        units=tmp / "units.geojson",
        buildings=pbf,
        streets=pbf,
        dem=tmp / "dem.tif",
        crime=tmp / "crime.csv",
        population="pop",
        groups="Kids=kids",
        settings=Settings(unknown_direction="disc"),
        name="Helsinki",
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("columns")
    result = _study(tmp).run()
    write_outputs(result, tmp / "out", map_html="", report_html="", force=True)
    return tmp / "out"


@pytest.mark.parametrize("table", list(TABLES))
def test_every_output_column_has_a_record_in_order(written, table):
    header = pd.read_csv(written / table, nrows=0).columns.tolist()
    # the columns of a second detail level are written for the study's one (recognition by default)
    others = {
        f"covered_{what}_{level}"
        for level in DETAIL_LEVELS_PX_PER_M
        if level != "recognition"
        for what in ("km2", "share")
    }
    records = [c.name for c in TABLES[table] if c.name not in others]
    assert [name for name in header if name not in records] == [], f"{table}: columns without a record"
    assert header == records, f"{table}: the records are not in the order the table is written"


def test_declared_columns_have_records():
    """The column lists the analysis declares (a quick check; the written tables are checked above)."""
    units = {c.name for c in UNITS}
    assert set(EQUITY_COLUMNS) | set(HOME_UNIT_COLUMNS) <= units
    assert set(VIEW_COLUMNS) <= {c.name for c in CAMERAS}
