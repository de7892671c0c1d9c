r"""Square and hexagonal cells over a study area: units of analysis where no boundaries are at hand.

A grid answers "where are the cameras?" without the districts of an administration, whose lines were drawn for
other purposes (and whose sizes differ so much that per-unit figures mix small and large areas). Every cell of a
grid has the same size, so a cell's count of cameras is also a density.

The tiling is a pure function of the study area's polygon (in a metric CRS, see :mod:`equity.projection`) and the
cell size; reading the area is the job of :mod:`equity.io.units`.

**Square cells** ``grid:S``: squares of side ``S`` metres, area ``S²``, with edges on the multiples of ``S`` of
the metric CRS's eastings and northings.

**Hexagonal cells** ``hex:S``: regular hexagons with two vertical edges ("pointy-top"), ``S`` metres across
their flats, which is also the distance between the centres of two neighbouring cells (as ``S`` is for squares).
Their circumradius (and edge length) is ``R = S / sqrt(3)`` and their area

.. math:: A = \frac{\sqrt{3}}{2} S^2

(``hex:500``: edge 288.675 m, area 216,506 m²). The hexagons are computed here in metres rather than taken from
Uber's H3 (``h3``, or ``tobler.util.h3fy``) because H3 offers 16 fixed resolutions, each with cells about 7
times smaller in area than the last (average hexagon area 0.737 km² at resolution 8, 0.105 km² at 9, in H3's
table of cell areas), so ``hex:500`` (0.217 km²) could not mean 500 m; and H3 cells are drawn on an
icosahedron, so their areas vary with their place on it and are not equal in the local metric CRS.
A hexagon ``(q, r)`` in axial coordinates has its centre at

.. math:: x = S \, (q + r/2), \qquad y = \tfrac{3}{2} R \, r

and its six vertices at ``x ± S/2, y ± R/2`` and ``x, y ± R``. Vertices are computed on the lattice of multiples
of ``S/2`` (east) and ``R/2`` (north), so that neighbouring hexagons share their vertices exactly.

**Ids** are stable: the same cell size and CRS give the same id to the same cell, whatever the area. A square's
id is ``sq<S>m_<i>_<j>`` with ``i = floor(x / S)``, ``j = floor(y / S)`` of its lower-left corner; a hexagon's is
``hex<S>m_<q>_<r>``. The CRS is recorded beside the cells (:func:`grid_cells` returns a layer in it).

**Clipping.** Each cell is intersected with the study area. A cell with no area left (wholly outside, or touching
it only along an edge or at a point) is dropped. A cell partly outside is kept with the part inside, whatever its
size, so that the cells cover the area exactly and totals over cells are the area's totals; its ``cell_share``
(the part's area over a whole cell's) says how much of it is left. Cells with ``cell_share`` below
:data:`SLIVER_SHARE` are slivers along the edge: counted, and their per-area figures rest on little ground.

**Water.** The study area is taken as given: a city's administrative boundary often includes a lake, a river or
the sea (coastal boundaries run out into territorial waters), and cells over water are kept as units with no
cameras. Give ``--area`` a polygon of the land for a grid of land only.
"""

from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import shapely

from equity._errors import InputError
from equity.projection import require_metric

#: The kinds of grid by the word that names them in ``--units KIND:SIZE``.
KINDS = {"grid": "square", "hex": "hexagon"}
#: Cells with less than this share of a whole cell inside the area are counted as slivers.
SLIVER_SHARE = 0.1
#: The smallest and largest cell size accepted, in metres: below 10 m a cell is smaller than a camera's view;
#: above 100 km the metric CRS of one study area no longer holds.
MIN_SIZE_M, MAX_SIZE_M = 10.0, 100_000.0
#: At most this many cells: a finer grid is refused (each cell is a unit of every table and the map).
MAX_CELLS = 200_000

_SPEC = re.compile(r"^\s*(grid|hex)\s*:\s*([0-9]+(?:\.[0-9]+)?)\s*(?:m)?\s*$", re.IGNORECASE)


def parse_grid(text: str) -> tuple[str, float] | None:
    """The kind and size of a grid named ``grid:500`` or ``hex:500`` (an optional ``m`` after the number);
    None when ``text`` does not name a grid (it is a file).

    Examples
    --------
    >>> parse_grid("hex:250")
    ('hexagon', 250.0)
    >>> parse_grid("grid:500m")
    ('square', 500.0)
    >>> parse_grid("neighbourhoods.geojson") is None
    True
    """
    match = _SPEC.match(str(text))
    if match is None:
        if re.match(r"^\s*(grid|hex)\s*:", str(text), re.IGNORECASE):
            msg = f"--units {text!r}: a grid is named grid:SIZE or hex:SIZE with SIZE in metres, e.g. grid:500."
            raise InputError(msg)
        return None
    size = float(match.group(2))
    if not MIN_SIZE_M <= size <= MAX_SIZE_M:
        msg = (
            f"--units {text!r}: the cell size must be between {MIN_SIZE_M:g} and {MAX_SIZE_M:,.0f} metres, "
            f"not {size:g}."
        )
        raise InputError(msg)
    return KINDS[match.group(1).lower()], size


def cell_area(kind: str, size: float) -> float:
    """The area of a whole cell in m²: ``S²`` for a square, ``sqrt(3)/2 * S²`` for a hexagon.

    Examples
    --------
    >>> cell_area("square", 500)
    250000.0
    >>> round(cell_area("hexagon", 500))
    216506
    """
    if kind == "square":
        return float(size) ** 2
    if kind == "hexagon":
        return math.sqrt(3) / 2 * float(size) ** 2
    msg = f"unknown kind of cell {kind!r}; expected 'square' or 'hexagon'."
    raise ValueError(msg)


def grid_cells(area: gpd.GeoDataFrame | gpd.GeoSeries, kind: str, size: float) -> gpd.GeoDataFrame:
    """Cells of ``kind`` and ``size`` over ``area``, clipped to it.

    Parameters
    ----------
    area : geopandas.GeoDataFrame or GeoSeries
        The study area: polygons in a metric CRS (their union is tiled).
    kind : {"square", "hexagon"}
        Square cells of side ``size``, or hexagons ``size`` across their flats (see the module's docstring).
    size : float
        Metres.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell with area inside ``area``, in ``area``'s CRS, ordered by id: ``unit_id`` (stable, see the
        module's docstring), ``cell_kind``, ``cell_size_m``, ``cell_share`` (the area inside over a whole cell's
        area, in (0, 1]), and the clipped geometry.

    Raises
    ------
    CRSError
        ``area`` is not in a metric CRS.
    InputError
        ``area`` has no area, or the grid would have more than :data:`MAX_CELLS` cells.
    """
    require_metric(gpd.GeoDataFrame(geometry=gpd.GeoSeries(area.geometry)), "study area")
    whole = shapely.union_all(np.asarray(area.geometry.to_numpy()))
    if whole.is_empty or whole.area <= 0:
        msg = "The study area has no area; give a polygon layer (--area)."
        raise InputError(msg)
    full = cell_area(kind, size)
    minx, miny, maxx, maxy = whole.bounds
    expected = (maxx - minx + 2 * size) * (maxy - miny + 2 * size) / full
    if expected > MAX_CELLS:
        msg = (
            f"A grid of {size:g} m cells over a study area of {(maxx - minx) / 1000:.1f} km by "
            f"{(maxy - miny) / 1000:.1f} km would have about {expected:,.0f} cells (at most {MAX_CELLS:,}); "
            "choose larger cells."
        )
        raise InputError(msg)
    if kind == "square":
        ids, cells = _squares(whole.bounds, size)
    elif kind == "hexagon":
        ids, cells = _hexagons(whole.bounds, size)
    else:
        msg = f"unknown kind of cell {kind!r}; expected 'square' or 'hexagon'."
        raise ValueError(msg)
    shapely.prepare(whole)
    touching = shapely.intersects(whole, cells)
    ids, cells = ids[touching], cells[touching]
    inside = shapely.contains_properly(whole, cells)
    clipped = cells.copy()
    clipped[~inside] = shapely.intersection(cells[~inside], whole)
    clipped = np.array([_polygonal(g) for g in clipped], dtype=object)
    areas = shapely.area(clipped)
    keep = areas > 0
    order = np.argsort(ids[keep], kind="stable")
    return gpd.GeoDataFrame(
        {
            "unit_id": ids[keep][order],
            "cell_kind": kind,
            "cell_size_m": float(size),
            "cell_share": np.minimum(areas[keep][order] / full, 1.0),
        },
        geometry=clipped[keep][order],
        crs=area.crs,
    )


def slivers(cells: gpd.GeoDataFrame, share: float = SLIVER_SHARE) -> int:
    """The number of cells with less than ``share`` of a whole cell inside the area."""
    return int((cells["cell_share"] < share).sum())


def _squares(bounds: tuple[float, float, float, float], size: float) -> tuple[np.ndarray, np.ndarray]:
    """Every square of the grid anchored at the CRS's origin that meets ``bounds``: ids and polygons."""
    minx, miny, maxx, maxy = bounds
    i = np.arange(math.floor(minx / size), math.floor(maxx / size) + 1)
    j = np.arange(math.floor(miny / size), math.floor(maxy / size) + 1)
    ii, jj = (a.ravel() for a in np.meshgrid(i, j))
    x0, y0 = ii * size, jj * size
    x1, y1 = (ii + 1) * size, (jj + 1) * size
    cells = shapely.box(x0, y0, x1, y1)
    tag = f"{size:g}"
    ids = np.array([f"sq{tag}m_{a}_{b}" for a, b in zip(ii.tolist(), jj.tolist(), strict=True)], dtype=object)
    return ids, cells


def _hexagons(bounds: tuple[float, float, float, float], size: float) -> tuple[np.ndarray, np.ndarray]:
    """Every pointy-top hexagon ``size`` across its flats whose box meets ``bounds``: ids and polygons.

    Vertices are ``(half_s * m, half_r * n)`` for whole numbers ``m, n`` (``half_s = S/2``, ``half_r = R/2``),
    so that neighbours share theirs bit for bit.
    """
    minx, miny, maxx, maxy = bounds
    radius = size / math.sqrt(3)
    half_s, half_r = size / 2, radius / 2
    row = 1.5 * radius  # distance between the centres of two rows
    rows = np.arange(math.floor((miny - radius) / row), math.ceil((maxy + radius) / row) + 1)
    qs, rs = [], []
    for r in rows.tolist():
        q0 = math.floor((minx - size) / size - r / 2)
        q1 = math.ceil((maxx + size) / size - r / 2)
        qs.extend(range(q0, q1 + 1))
        rs.extend([r] * (q1 - q0 + 1))
    q, r = np.array(qs), np.array(rs)
    m = 2 * q + r  # the centre's x in half-widths
    n = 3 * r  # the centre's y in half-radii
    # pointy-top, counter-clockwise from the lower right: (+S/2, -R/2), (+S/2, +R/2), (0, +R), (-S/2, +R/2), ...
    dm = np.array([1, 1, 0, -1, -1, 0, 1])
    dn = np.array([-1, 1, 2, 1, -1, -2, -1])
    xs = (m[:, None] + dm[None, :]) * half_s
    ys = (n[:, None] + dn[None, :]) * half_r
    cells = shapely.polygons(np.stack([xs, ys], axis=-1))
    tag = f"{size:g}"
    ids = np.array([f"hex{tag}m_{a}_{b}" for a, b in zip(q.tolist(), r.tolist(), strict=True)], dtype=object)
    box = shapely.box(minx, miny, maxx, maxy)
    meets = shapely.intersects(box, cells)
    return ids[meets], cells[meets]


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of an intersection (a cell touching the area along an edge leaves a line: no area)."""
    if geom is None or geom.is_empty:
        return shapely.Polygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon") and g.area > 0]
    return shapely.union_all(parts) if parts else shapely.Polygon()
