"""A mutation fuzzer over the real sample files: values of the wrong type or of hostile content put into their
structure (a JSON member, a CSV cell, an OSM XML attribute), read by every reader. The outcome must be a result
or one of equity's input errors (one sentence), never another exception.

Hypothesis draws the mutations (seeded by its database and derandomised in CI runs through the profile below);
each test tries a bounded number of inputs, counted in its settings.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equity._errors import InputError
from equity.io import buildings_from_file, cameras_from_file, crime_from_file, streets_from_file, units_from_file

FIXTURES = Path(__file__).parent / "data" / "readers"
READERS = [cameras_from_file, crime_from_file, units_from_file, buildings_from_file, streets_from_file]
EXAMPLES = int(os.environ.get("EQUITY_FUZZ_EXAMPLES", "300"))  # more for a longer hunt

#: Values a careless or hostile file puts where another kind of value belongs.
ODD_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "nan", "inf", "1e400", "=1+1", "-", "\x1b]0;x\x07", "3012-01-01", "x" * 5000, "[]"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
ODD_TEXT = st.one_of(
    st.sampled_from(["", "nan", "NaN", "inf", "-inf", "1e400", "-1e400", "=1+1", "@x", "\x1b[31m", "3012-01-01"]),
    st.sampled_from(["0x10", "1,5", "  ", '"', "'", "<", "&amp;", "\u202e", "9" * 40, "-0"]),
    st.text(max_size=20),
)


def _read_all(path: Path) -> None:
    for reader in READERS:
        with contextlib.suppress(InputError):  # a clean refusal is a good outcome; anything else fails
            reader(path)


def _paths(node: object, here: tuple = ()) -> list[tuple]:
    """Every path to a value inside parsed JSON."""
    out = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*here, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*here, i))
    return out


def _replaced(node: object, path: tuple, value: object) -> object:
    if not path:
        return value
    node = copy.copy(node)
    node[path[0]] = _replaced(node[path[0]], path[1:], value)
    return node


JSON_SEEDS = ["cameras_overpass.json", "cameras_turbo.geojson", "cameras_plain.geojson", "units.geojson"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.sampled_from(JSON_SEEDS), where=st.integers(0, 10**6), value=ODD_JSON)
def test_json_samples_with_a_value_of_another_kind(tmp_path, seed, where, value):
    data = json.loads((FIXTURES / seed).read_text())
    paths = _paths(data)
    path = paths[where % len(paths)]
    target = tmp_path / seed
    target.write_text(json.dumps(_replaced(data, path, value)))
    _read_all(target)


CSV_SEEDS = ["cameras.csv", "crime.csv"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.sampled_from(CSV_SEEDS), row=st.integers(0, 10**6), col=st.integers(0, 10**6), value=ODD_TEXT)
def test_csv_samples_with_an_odd_cell(tmp_path, seed, row, col, value):
    lines = (FIXTURES / seed).read_text().splitlines()
    cells = [line.split(",") for line in lines]
    r = row % len(cells)
    c = col % len(cells[r])
    cells[r][c] = '"' + value.replace('"', '""') + '"'
    target = tmp_path / seed
    target.write_text("\n".join(",".join(line) for line in cells) + "\n")
    _read_all(target)


_ATTRIBUTE = re.compile(r'(\b(?:lat|lon|id|k|v|ref|timestamp)=")([^"]*)(")')


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 10**6), value=ODD_TEXT)
def test_osm_xml_sample_with_an_odd_attribute(tmp_path, which, value):
    text = (FIXTURES / "cameras.osm").read_text()
    spots = list(_ATTRIBUTE.finditer(text))
    spot = spots[which % len(spots)]
    escaped = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    target = tmp_path / "cameras.osm"
    target.write_text(text[: spot.start(2)] + escaped + text[spot.end(2) :])
    _read_all(target)
