"""Every notebook in notebooks/ runs from top to bottom without an error, writing its outputs into a temporary
folder (the environment variable ``EQUITY_NOTEBOOK_OUT``, which the notebooks read)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def run(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def errors(nb: nbformat.NotebookNode) -> list:
    return [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def check_geodataframe_notebook(nb: nbformat.NotebookNode, out: Path) -> None:
    """Notebook 02 builds its study from frames only, shows the map and the report, and its manifest records each
    frame by its rows and hash."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for role in ("cameras", "units", "crime", "population"):
        assert manifest["inputs"][role]["in_memory"] == "GeoDataFrame", role
    assert manifest["inputs"]["units"]["rows"] == 41
    printed = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if "text" in o
    )
    assert "the units GeoDataFrame has no CRS" in printed
    shown = [o for c in nb.cells[-2:] for o in c.get("outputs", []) if o.get("output_type") == "execute_result"]
    assert len(shown) == 2
    assert all("text/html" in o["data"] for o in shown)  # the map and the report, shown in the notebook
    assert shown[1]["data"]["text/html"].startswith("<iframe srcdoc=")


#: What is checked of a notebook beyond running and writing its folder, by name.
CHECKS = {"02_your_city_from_geodataframes.ipynb": check_geodataframe_notebook}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setenv("EQUITY_NOTEBOOK_OUT", str(out))  # the kernel inherits it
    nb = run(path)
    assert not errors(nb)
    assert (out / "manifest.json").is_file()  # every notebook writes its analysis folder there
    assert (out / "report.html").is_file()
    if path.name in CHECKS:
        CHECKS[path.name](nb, out)


def test_the_checked_notebooks_exist():
    assert set(CHECKS) <= {p.name for p in NOTEBOOKS}


def test_there_is_a_notebook():
    assert NOTEBOOKS
