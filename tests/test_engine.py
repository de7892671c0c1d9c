"""The tiled engine: the same units.csv and cameras.csv whatever the tiling and whatever runs the tiles (in the
process, a process pool, a Dask LocalCluster of 2 worker processes, one of which is killed mid-run)."""

from __future__ import annotations

import importlib.util
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

from equity.demo import demo_study
from equity.engine import Engine, grid_over, plan_tiles
from equity.io.outputs import cameras_for_output, units_for_output
from equity.settings import Settings
from equity.study import Study

ROOT = Path(__file__).resolve().parents[1]


def _synthetic_city():
    spec = importlib.util.spec_from_file_location("synthetic_city", ROOT / "benchmarks" / "synthetic_city.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A synthetic hillside city of 400 cameras (1.3 km a side) with buildings, a DEM, units and crime."""
    out = tmp_path_factory.mktemp("city")
    _synthetic_city().generate(400, out, seed=7)
    return out


def _study(d: Path, engine: Engine, **kw) -> Study:
    return Study(
        cameras=d / "cameras.osm",
        units=d / "units.geojson",
        unit_id="name",
        crime=d / "crime.csv",
        population="population",
        buildings=d / "buildings.gpkg",
        dem=d / "dem.tif",
        sensitivity=False,
        statistics=False,
        settings=Settings(range_m=100.0, cell_size_m=2.0),
        engine=engine,
        **kw,
    )


def _csvs(result) -> tuple[str, str]:
    """units.csv and cameras.csv as write_outputs writes them."""
    units = units_for_output(result).drop(columns="geometry").to_csv(index=False, lineterminator="\n")
    cams = cameras_for_output(result).drop(columns="geometry").to_csv(index=False, lineterminator="\n")
    return units, cams


def _same(a, b) -> None:
    assert _csvs(a) == _csvs(b)
    assert a.sectors.notna().equals(b.sectors.notna())
    both = a.sectors.notna()
    assert a.sectors[both].geom_equals_exact(b.sectors[both], tolerance=0).all()
    crime_a, crime_b = a.units["crimes_in_view"], b.units["crimes_in_view"]
    assert crime_a.equals(crime_b)
    pd.testing.assert_frame_equal(a.operators, b.operators)
    pd.testing.assert_frame_equal(a.operators_by_unit, b.operators_by_unit)


@pytest.fixture(scope="module")
def untiled(city):
    return _study(city, Engine(tile_cells=100_000)).run()


def test_plan_tiles_cover_every_cell_once():
    grid = grid_over((0.0, 0.0, 1000.0, 730.0), 1.0)
    tiles = plan_tiles(grid, 256, 40)
    owner = np.zeros(grid.shape, np.int64)
    for t in tiles:
        r0, r1, c0, c1 = t.core
        owner[r0:r1, c0:c1] += 1
        w = t.window
        assert w[0] == max(0, r0 - 40)
        assert w[3] == min(grid.shape[1], c1 + 40)
    assert (owner == 1).all()


def test_tiled_run_is_identical_to_one_grid(city, untiled):
    tiled = _study(city, Engine(tile_cells=150)).run()
    assert tiled.meta["surface"]["tiles"] > 9
    assert untiled.meta["surface"]["tiles"] == 1
    assert untiled.units["covered_km2"].sum() > 0
    assert untiled.views["homes_in_view"].sum() > 0
    _same(untiled, tiled)


def test_operators_area_in_view_from_the_cells(untiled):
    """Each operator's area in view is its seen open cells, each counted once: at most the sum of its views',
    and within a unit at most the unit's area in view; together at least the units' area in view."""
    ops = untiled.operators.set_index("operator")
    views = untiled.views
    for name, group in views.groupby("operator_normalised"):
        m2 = ops.loc[name, "covered_km2"] * 1e6
        assert m2 <= group["visible_m2"].sum() + 1e-6
        assert (m2 > 0) == (group["visible_m2"].sum() > 0)
    assert ops["covered_km2"].sum() >= untiled.units["covered_km2"].sum() - 1e-9
    per_unit = untiled.operators_by_unit.merge(untiled.units[["unit_id", "covered_km2"]], on="unit_id")
    assert (per_unit["covered_km2_x"] <= per_unit["covered_km2_y"] + 1e-9).all()
    assert (
        per_unit.groupby("unit_id")["covered_km2_x"]
        .sum()
        .ge(untiled.units.set_index("unit_id")["covered_km2"].reindex(per_unit["unit_id"].unique()) - 1e-9)
        .all()
    )


def test_process_pool_is_identical(city, untiled):
    with Engine(workers=2, tile_cells=250) as engine:
        pooled = _study(city, engine).run()
    _same(untiled, pooled)


@pytest.fixture(scope="module")
def dask_engine():
    pytest.importorskip("distributed")
    engine = Engine(scheduler="local", workers=2, tile_cells=250)
    yield engine
    engine.close()


def test_dask_local_cluster_is_identical(city, untiled, dask_engine):
    result = _study(city, dask_engine).run()
    assert len(dask_engine.client().scheduler_info(n_workers=-1)["workers"]) == 2
    _same(untiled, result)


def test_dask_retries_the_tile_of_a_killed_worker(city, untiled, dask_engine):
    client = dask_engine.client()
    pids = client.run(os.getpid)
    out: dict = {}

    def run() -> None:
        try:
            out["result"] = _study(city, dask_engine).run()
        except BaseException as err:
            out["error"] = err

    thread = threading.Thread(target=run)
    thread.start()
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline and thread.is_alive():
        busy = [w for w, tasks in client.processing().items() if tasks and w in pids]
        if busy:
            killed = pids[busy[0]]
            os.kill(killed, signal.SIGKILL)
        else:
            time.sleep(0.05)
    thread.join(timeout=240)
    assert killed is not None, "no tile was seen running"
    assert "error" not in out, out.get("error")
    _same(untiled, out["result"])
    client.wait_for_workers(2, timeout=60)
    assert killed not in client.run(os.getpid).values()


def test_sf_demo_tiled_is_identical(tmp_path):
    """The SF demo's cameras on a sloping DEM at 5 m cells: one grid against 1.5 km tiles."""
    dem = tmp_path / "sf_dem.tif"
    x0, y0, cell, n = -122.56, 37.86, 0.001, 240
    rows, cols = np.mgrid[0:n, 0:n]
    z = (20 + 2.0 * rows + 40 * np.sin(cols / 9.0)).astype(np.float32)
    with rasterio.open(
        dem, "w", driver="GTiff", height=n, width=n, count=1, dtype="float32", crs="EPSG:4326",
        transform=Affine(cell, 0, x0, 0, -cell, y0),
    ) as dst:  # fmt: skip
        dst.write(z, 1)

    def study(engine: Engine) -> Study:
        return demo_study(
            dem=dem,
            sensitivity=False,
            statistics=False,
            settings=Settings(cell_size_m=5.0),
            engine=engine,
        )

    one = study(Engine(tile_cells=100_000)).run()
    tiled = study(Engine(tile_cells=300)).run()
    assert tiled.meta["surface"]["tiles"] > 20
    assert one.units["covered_km2"].sum() > 0
    _same(one, tiled)


def test_engine_options_are_checked():
    with pytest.raises(ValueError, match="scheduler must be"):
        Engine(scheduler="somewhere")
    with pytest.raises(ValueError, match="workers must be"):
        Engine(workers=0)
