"""Square and hexagonal cells (equity.grid): known answers on known areas, and properties on drawn ones."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equity._errors import CRSError, InputError
from equity.grid import MAX_CELLS, cell_area, grid_cells, parse_grid, slivers

UTM = "EPSG:32717"  # UTM zone 17 south (Quito's): metres


def _area(*polygons: shapely.Geometry, crs: str = UTM) -> gpd.GeoSeries:
    return gpd.GeoSeries(list(polygons), crs=crs)


# ---------------------------------------------------------------------------------------------------------------
# known answers


def test_squares_on_an_aligned_rectangle():
    cells = grid_cells(_area(shapely.box(500_000, 9_970_000, 502_000, 9_971_000)), "square", 500)
    assert len(cells) == 8  # 4 columns by 2 rows
    assert cells.geometry.area.tolist() == [250_000.0] * 8
    assert cells["cell_share"].tolist() == [1.0] * 8
    assert cells["unit_id"].iloc[0] == "sq500m_1000_19940"  # 500,000 / 500 and 9,970,000 / 500
    assert cells["unit_id"].is_unique
    assert set(cells["cell_kind"]) == {"square"}
    assert set(cells["cell_size_m"]) == {500.0}
    assert cells.crs == UTM


def test_squares_on_a_rectangle_off_the_grid():
    # 2,000 m by 1,000 m with its corner 250 m off the grid's lines: 5 columns by 3 rows, cut along the edges
    cells = grid_cells(_area(shapely.box(250, 250, 2250, 1250)), "square", 500)
    assert len(cells) == 15
    shares = sorted(cells["cell_share"].round(9).tolist())
    assert shares == [0.25] * 4 + [0.5] * 8 + [1.0] * 3
    assert cells.geometry.area.sum() == pytest.approx(2_000_000)
    assert slivers(cells) == 0
    assert slivers(cells, 0.3) == 4


def test_a_cell_touching_the_area_along_an_edge_is_dropped():
    cells = grid_cells(_area(shapely.box(0, 0, 1000, 500)), "square", 500)
    assert sorted(cells["unit_id"]) == ["sq500m_0_0", "sq500m_1_0"]  # not the row above nor the column right


def test_hexagon_areas_and_shape():
    assert cell_area("hexagon", 500) == pytest.approx(math.sqrt(3) / 2 * 500**2)
    cells = grid_cells(_area(shapely.box(0, 0, 5000, 5000)), "hexagon", 500)
    whole = cells[cells["cell_share"] == 1.0]
    assert len(whole) > 50
    assert np.allclose(whole.geometry.area, 216_506.35, atol=0.01)
    hexagon = whole.geometry.iloc[0]
    ring = np.asarray(hexagon.exterior.coords)
    assert len(ring) == 7  # six vertices, closed
    edges = np.hypot(*np.diff(ring, axis=0).T)
    assert np.allclose(edges, 500 / math.sqrt(3))  # edge = circumradius = S / sqrt(3)
    minx, _, maxx, _ = hexagon.bounds
    assert maxx - minx == pytest.approx(500)  # S across the flats
    # neighbours in a row are 500 m apart, centre to centre
    centres = np.array([(c.x, c.y) for c in whole.geometry.centroid])
    nearest = [np.sort(np.hypot(*(centres - c).T))[1] for c in centres]
    assert np.allclose(nearest, 500)
    assert cells.geometry.area.sum() == pytest.approx(25_000_000)


def test_hexagon_ids_are_axial_coordinates():
    cells = grid_cells(_area(shapely.Point(0, 0).buffer(10)), "hexagon", 500).set_index("unit_id")
    assert list(cells.index) == ["hex500m_0_0"]  # the hexagon centred on the CRS's origin
    assert cells.geometry.iloc[0].area == pytest.approx(shapely.Point(0, 0).buffer(10).area)


def test_ids_are_stable_over_another_area():
    big = grid_cells(_area(shapely.box(0, 0, 3000, 3000)), "hexagon", 400).set_index("unit_id")
    small = grid_cells(_area(shapely.box(1000, 1000, 2000, 2000)), "hexagon", 400).set_index("unit_id")
    assert set(small.index) <= set(big.index)
    for uid, geom in small.geometry.items():
        assert big.geometry[uid].contains(geom.buffer(-1e-6)) or geom.area < 1


def test_neighbouring_hexagons_share_their_vertices_exactly():
    cells = grid_cells(_area(shapely.box(0, 0, 2000, 2000)), "hexagon", 300)
    whole = cells[cells["cell_share"] == 1.0].geometry
    vertices = [tuple(v) for g in whole for v in np.asarray(g.exterior.coords)[:-1]]
    counts = np.unique(np.array(vertices), axis=0, return_counts=True)[1]
    assert counts.max() == 3  # an inner vertex is the corner of three hexagons, bit for bit


def test_geographic_crs_is_refused():
    with pytest.raises(CRSError, match="study area"):
        grid_cells(_area(shapely.box(-78.52, -0.23, -78.5, -0.215), crs="EPSG:4326"), "square", 500)


def test_too_many_cells():
    with pytest.raises(InputError, match=r"would have about .* cells \(at most 200,000\); choose larger cells"):
        grid_cells(_area(shapely.box(0, 0, 100_000, 100_000)), "square", 100)
    assert MAX_CELLS == 200_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("grid:500", ("square", 500.0)),
        ("hex:250", ("hexagon", 250.0)),
        ("HEX : 1000m", ("hexagon", 1000.0)),
        ("grid:12.5", ("square", 12.5)),
        ("units.geojson", None),
        ("data/grid.gpkg", None),
    ],
)
def test_parse_grid(text, expected):
    assert parse_grid(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("grid:", "a grid is named grid:SIZE or hex:SIZE"),
        ("hex:big", "a grid is named"),
        ("grid:5", "between 10 and 100,000 metres, not 5"),
        ("hex:200000", "not 200000"),
    ],
)
def test_parse_grid_refuses(text, message):
    with pytest.raises(InputError, match=message):
        parse_grid(text)


# ---------------------------------------------------------------------------------------------------------------
# properties: the cells cover the area exactly, without overlap, each inside its whole cell

coordinate = st.floats(min_value=-3000, max_value=3000, allow_nan=False)


@st.composite
def areas(draw) -> shapely.Geometry:
    """A polygon: the convex hull of 3 to 8 points, or a disc, or two boxes (maybe apart), about 6 km across."""
    kind = draw(st.sampled_from(["hull", "disc", "boxes"]))
    if kind == "hull":
        points = draw(st.lists(st.tuples(coordinate, coordinate), min_size=3, max_size=8))
        geom = shapely.convex_hull(shapely.MultiPoint(points))
    elif kind == "disc":
        geom = shapely.Point(draw(coordinate), draw(coordinate)).buffer(draw(st.floats(50, 2500)))
    else:
        x, y, w, h = (draw(coordinate) for _ in range(4))
        geom = shapely.union(shapely.box(x, y, x + abs(w) + 20, y + abs(h) + 20), shapely.box(-x, -y, 100 - x, 80 - y))
    if geom.area < 100:
        geom = geom.buffer(50)
    return shapely.affinity.translate(geom, 500_000, 9_970_000)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(area=areas(), kind=st.sampled_from(["square", "hexagon"]), size=st.floats(min_value=150, max_value=2000))
def test_cells_cover_the_area_exactly_without_overlap(area, kind, size):
    cells = grid_cells(_area(area), kind, size)
    geoms = cells.geometry.to_numpy()
    total = float(shapely.area(geoms).sum())
    assert total == pytest.approx(area.area, rel=1e-9, abs=1e-6)  # the parts add up to the area
    union = shapely.union_all(geoms)
    assert shapely.symmetric_difference(union, area).area <= 1e-6 * area.area + 1e-6  # and cover it
    # no two cells overlap: their areas add up to their union's
    assert union.area == pytest.approx(total, rel=1e-9, abs=1e-6)
    full = cell_area(kind, size)
    assert (cells["cell_share"] > 0).all()
    assert (cells["cell_share"] <= 1).all()
    assert np.allclose(cells["cell_share"], shapely.area(geoms) / full)
    assert cells["unit_id"].is_unique
