"""Text from a user or a file is data in every output, never code: a study's name with template syntax."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

READERS = Path(__file__).parent / "data" / "readers"
EQUITY = str(Path(sys.executable).with_name("equity"))


@pytest.mark.parametrize(
    "name",
    [
        "{{ 7 * 7 }} {{ cycler.__init__.__globals__.os.getcwd() }}",  # runs Python when taken as a template
        "{% for x in range(3) %}loop{% endfor %}",  # a statement
        "{% if %}",  # a broken statement: a template engine raises on it
    ],
)
def test_a_name_with_template_syntax_is_written_as_text(tmp_path, name):
    out = tmp_path / "out"
    inputs = ["--cameras", str(READERS / "cameras.osm"), "--units", str(READERS / "units.geojson")]
    run = subprocess.run(
        [EQUITY, "analyze", *inputs, "--name", name, "--out", str(out), "--map-assets", "cdn", "--no-sensitivity"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    page = (out / "map.html").read_text()
    escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    escaped = escaped.replace("'", "&#x27;")
    assert f"<title>{escaped}</title>" in page
    assert "49" not in page.split("<title>")[1].split("</title>")[0]
    assert str(Path.cwd()) not in page
    assert "looploop" not in page
    assert escaped in (out / "report.html").read_text()
