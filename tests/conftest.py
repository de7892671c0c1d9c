"""Shared fixtures: small synthetic layers built in code, and the --run-network switch for live tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI replays the same examples every run (derandomised), so that a red CI is a change's fault, not a new draw;
# local runs keep drawing new examples
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

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
