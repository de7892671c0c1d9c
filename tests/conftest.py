"""Shared fixtures: small synthetic layers built in code, and the --run-network switch for live tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI replays the same examples every run (derandomised), so that a red CI is a change's fault, not a new draw;
# local runs keep drawing new examples
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

#: Classic script-injection payloads, fed through every displayed tag and column.
PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "' onmouseover='alert(1)",
]

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-network",
        action="store_true",
        default=False,
        help="run tests marked 'network' (they reach OpenStreetMap's servers)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-network"):
        return
    skip = pytest.mark.skip(reason="needs the internet; run with --run-network")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def data_dir() -> Path:
    """Folder of the small test fixtures."""
    return DATA


@pytest.fixture
def sf_dir() -> Path:
    """Folder of the bundled San Francisco demo data."""
    return REPO / "data" / "sf"


@pytest.fixture
def hostile_study(tmp_path):
    rows = ["id,lon,lat,man_made,operator,name,surveillance,camera:type,direction,camera:mount"]
    for i, payload in enumerate(PAYLOADS):
        p = payload.replace('"', '""')
        rows.append(f'node/{i + 1},{-122.41 + i * 0.001},37.78,surveillance,"{p}","{p}",public,fixed,"{p}",wall')
    rows.append("node/99,-122.405,37.781,surveillance,ok,ok,public,dome,,pole")
    (tmp_path / "cams.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    unit_name = json.dumps(PAYLOADS[1])
    (tmp_path / "units.geojson").write_text(
        '{"type":"FeatureCollection","features":['
        f'{{"type":"Feature","properties":{{"name":{unit_name},"pop":10}},"geometry":{{"type":"Polygon",'
        '"coordinates":[[[-122.42,37.77],[-122.39,37.77],[-122.39,37.79],[-122.42,37.79],[-122.42,37.77]]]}},'
        '{"type":"Feature","properties":{"name":"<b>bold</b>","pop":5},"geometry":{"type":"Polygon",'
        '"coordinates":[[[-122.39,37.77],[-122.37,37.77],[-122.37,37.79],[-122.39,37.79],[-122.39,37.77]]]}}]}',
        encoding="utf-8",
    )
    (tmp_path / "crime.csv").write_text("lon,lat,category\n-122.41,37.781,<script>x</script>\n-122.38,37.78,A\n")
    from equity.study import Study

    return Study(
        sensitivity=False,
        cameras=tmp_path / "cams.csv",
        units=tmp_path / "units.geojson",
        unit_id="name",
        crime=tmp_path / "crime.csv",
        population="pop",
        name="<i>study</i>",
    )


def _demo_folder(tmp_path_factory: pytest.TempPathFactory, lang: str) -> Path:
    """The San Francisco demo's analysis folder, written by the command in ``lang``."""
    from click.testing import CliRunner

    from equity.cli import cli

    out = tmp_path_factory.mktemp(f"demo-{lang}")
    res = CliRunner().invoke(cli, ["-q", "demo", "--out", str(out), "--map-assets", "cdn", "--lang", lang])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="session")
def english(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's folder in English, written once for every test of the report that reads it (never changed)."""
    return _demo_folder(tmp_path_factory, "en")


@pytest.fixture(scope="session")
def spanish(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's folder in Spanish, written once (never changed)."""
    return _demo_folder(tmp_path_factory, "es")
