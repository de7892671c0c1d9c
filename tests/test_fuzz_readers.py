"""Every reader on random bytes, and on random cuts of real files: a clean InputError or a result, never another
exception and never a hang."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equity._errors import InputError
from equity.io import buildings_from_file, cameras_from_file, crime_from_file, streets_from_file, units_from_file

READERS = [cameras_from_file, crime_from_file, units_from_file, buildings_from_file, streets_from_file]
SUFFIXES = [".osm", ".osm.pbf", ".osm.bz2", ".json", ".geojson", ".csv", ".gpkg", ".txt"]
FIXTURES = Path(__file__).parent / "data" / "readers"
SEEDS = sorted(
    p
    for p in FIXTURES.iterdir()
    if p.suffix in (".osm", ".csv", ".geojson", ".json", ".pbf", ".bz2") and p.stat().st_size
)


def _read(reader, path: Path) -> None:
    start = time.perf_counter()
    with contextlib.suppress(InputError):  # a clean error is a good outcome; any other exception fails the test
        reader(path)
    assert time.perf_counter() - start < 10, f"{reader.__name__} took too long on {path.name}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2048), suffix=st.sampled_from(SUFFIXES), which=st.integers(0, len(READERS) - 1))
def test_random_bytes(tmp_path, data, suffix, which):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    _read(READERS[which], path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.sampled_from(SEEDS),
    cut=st.floats(0.05, 0.95),
    flip=st.integers(0, 255),
    which=st.integers(0, len(READERS) - 1),
)
def test_damaged_real_files(tmp_path, seed, cut, flip, which):
    raw = bytearray(seed.read_bytes())
    raw = raw[: max(1, int(len(raw) * cut))]  # truncated
    raw[len(raw) // 2] ^= flip  # and one byte changed
    path = tmp_path / seed.name
    path.write_bytes(bytes(raw))
    _read(READERS[which], path)


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
def test_every_reader_refuses_an_empty_file(tmp_path, reader):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        reader(path)
