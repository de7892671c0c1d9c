"""The crime CSV is read in chunks: the result must not depend on the chunk size, nor on where the text is cut
into blocks for decoding."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from equity.io import crime_from_file
from equity.io._common import DecodedText, read_csv_table

DATA = Path(__file__).parent / "data"
FILES = [
    DATA / "readers" / "crime.csv",
    DATA / "broken" / "crime_semicolon_decimal_comma.csv",
    DATA / "broken" / "crime_mixed_encoding.csv",
    DATA / "broken" / "crime_bad_dates.csv",
]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("chunksize", [1, 3, 7])
def test_chunk_size_does_not_change_the_result(path, chunksize):
    options = {"since": "2012-01-01", "until": "2012-12-31"}
    whole = crime_from_file(path, **options)
    chunked = crime_from_file(path, chunksize=chunksize, **options)
    pd.testing.assert_frame_equal(pd.DataFrame(whole.data), pd.DataFrame(chunked.data))
    pd.testing.assert_frame_equal(whole.rejected, chunked.rejected)
    assert whole.counts == chunked.counts


@pytest.mark.parametrize("block_size", [1, 2, 5, 64])
def test_decoding_by_blocks_keeps_characters_whole(block_size):
    text = "a,b\nCafé,Müller\nSão,Paulo\n"
    raw = text.encode("utf-8").replace("São".encode(), "São".encode("latin-1"))  # one latin-1 line
    decoded = DecodedText(io.BytesIO(b"\xef\xbb\xbf" + raw), block_size=block_size)
    assert decoded.read() == text
    assert decoded.cp1252_lines == 1


def test_a_latin1_line_inside_utf8_keeps_the_other_lines_utf8(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("lon,lat,operator\n1,2,Müller\n".encode() + "3,4,Société\n".encode("latin-1"))
    table, counts = read_csv_table(path)
    assert table["operator"].tolist() == ["Müller", "Société"]
    assert counts == {"csv_read_as_cp1252": 1}
