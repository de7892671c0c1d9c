"""The outline of a set of cells as polygons: the visible cells of one view, for the map.

Written here, compiled with numba, because the general tools cost more than the viewshed itself:
``rasterio.features.shapes`` (GDAL's polygonize) returns every ring as GeoJSON-like Python lists, and the union
that used to follow it costs a few milliseconds a view. A view's visible cells are traced once, as the cells'
boundary edges chained into rings, and handed to shapely as one ragged array.

The rings: every side of a visible cell whose neighbour (across that side) is not visible is a boundary edge,
directed so that the visible cell lies on its left (east along a cell's south side, north along its east side,
west along its north side, south along its west side, in map coordinates with north up). Each grid corner has
as many outgoing edges as incoming ones, so the edges chain into closed rings. Where two visible cells touch
only at a corner (a saddle, two outgoing edges), the ring turns left, toward the cell it is tracing: cells
are connected through their sides only (4-connectivity, as ``rasterio.features.shapes``' default), so that
two cells touching at a corner are separate parts. Only the corners where a ring turns are kept. By the
shoelace formula ``A = ½ Σ (x_k y_{k+1} - x_{k+1} y_k)`` the outer ring of a part runs counter-clockwise
(``A > 0``) and the rings of its holes clockwise (``A < 0``); a ring belongs to the part (4-connected
component) of the visible cell on its left.
"""

from __future__ import annotations

import numba
import numpy as np
import shapely
from affine import Affine


@numba.njit(cache=True, nogil=True)
def _trace(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Rings of the visible cells of ``mask``: corner rows and columns (grid corners, closed rings), ring
    offsets into them, and a visible cell on the left of each ring (as ``row * ncols + col``)."""
    nrows, ncols = mask.shape
    dr = np.array([0, -1, 0, 1])  # the directions east, north, west, south (counter-clockwise), as steps
    dc = np.array([1, 0, -1, 0])
    out = np.zeros((nrows + 1, ncols + 1), np.uint8)  # bit d: an outgoing boundary edge in direction d
    n_edges = 0
    for r in range(nrows):
        for c in range(ncols):
            if not mask[r, c]:
                continue
            if r == nrows - 1 or not mask[r + 1, c]:  # south side, eastward from the south-west corner
                out[r + 1, c] |= 1
                n_edges += 1
            if c == ncols - 1 or not mask[r, c + 1]:  # east side, northward from the south-east corner
                out[r + 1, c + 1] |= 2
                n_edges += 1
            if r == 0 or not mask[r - 1, c]:  # north side, westward from the north-east corner
                out[r, c + 1] |= 4
                n_edges += 1
            if c == 0 or not mask[r, c - 1]:  # west side, southward from the north-west corner
                out[r, c] |= 8
                n_edges += 1
    rows = np.empty(2 * n_edges + 1, np.int64)
    cols = np.empty(2 * n_edges + 1, np.int64)
    offsets = np.empty(n_edges + 1, np.int64)
    cells = np.empty(n_edges, np.int64)
    n = 0
    k = 0
    offsets[0] = 0
    for i0 in range(nrows + 1):
        for j0 in range(ncols + 1):
            while out[i0, j0]:
                d0 = 0
                while not (out[i0, j0] >> d0) & 1:
                    d0 += 1
                out[i0, j0] &= ~np.uint8(1 << d0)
                # the visible cell on the left of the first edge
                if d0 == 0:
                    cells[k] = (i0 - 1) * ncols + j0
                elif d0 == 1:
                    cells[k] = (i0 - 1) * ncols + j0 - 1
                elif d0 == 2:
                    cells[k] = i0 * ncols + j0 - 1
                else:
                    cells[k] = i0 * ncols + j0
                start = n
                i, j, d = i0 + dr[d0], j0 + dc[d0], d0
                while True:
                    # next direction: left turn first (4-connectivity), then straight on, then right
                    nd = -1
                    for turn in (1, 0, 3):
                        e = (d + turn) % 4
                        if (i == i0 and j == j0 and e == d0) or (out[i, j] >> e) & 1:
                            nd = e
                            break
                    if nd != d:
                        rows[n] = i
                        cols[n] = j
                        n += 1
                    if i == i0 and j == j0 and nd == d0:
                        break
                    out[i, j] &= ~np.uint8(1 << nd)
                    i, j, d = i + dr[nd], j + dc[nd], nd
                rows[n] = rows[start]  # close the ring
                cols[n] = cols[start]
                n += 1
                k += 1
                offsets[k] = n
    return rows[:n], cols[:n], offsets[: k + 1], cells[:k]


@numba.njit(cache=True, nogil=True)
def _label(mask: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """The 4-connected parts of the true cells of ``mask``, numbered from 1 (0 elsewhere), by flood fill."""
    nrows, ncols = mask.shape
    labels = np.zeros(mask.shape, np.int64)
    stack = np.empty(nrows * ncols, np.int64)
    n = 0
    for r0 in range(nrows):
        for c0 in range(ncols):
            if not mask[r0, c0] or labels[r0, c0]:
                continue
            n += 1
            labels[r0, c0] = n
            stack[0] = r0 * ncols + c0
            top = 1
            while top:
                top -= 1
                r, c = divmod(stack[top], ncols)
                for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                    if 0 <= rr < nrows and 0 <= cc < ncols and mask[rr, cc] and not labels[rr, cc]:
                        labels[rr, cc] = n
                        stack[top] = rr * ncols + cc
                        top += 1
    return labels


@numba.njit(cache=True, nogil=True)
def _parts(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """The rings of :func:`_trace` ordered as a multipolygon's: by part (4-connected component), each part's
    outer ring first, then its holes. Returns the corner rows and columns, the rings' offsets into them, and
    the parts' offsets into the rings (the ragged arrays of shapely's ``from_ragged_array``)."""
    rows, cols, offsets, cells = _trace(mask)
    n_rings = len(offsets) - 1
    hole = np.zeros(n_rings, np.bool_)
    n_holes = 0
    for k in range(n_rings):
        # shoelace with x = col, y = -row: positive for a counter-clockwise (outer) ring
        a = 0.0
        for e in range(offsets[k], offsets[k + 1] - 1):
            a += cols[e] * -rows[e + 1] - cols[e + 1] * -rows[e]
        if a < 0:
            hole[k] = True
            n_holes += 1
    part = np.arange(n_rings)
    if n_holes and n_rings - n_holes > 1:  # which part holds each hole: the part of the cell on its left
        labels = _label(mask).ravel()
        for k in range(n_rings):
            part[k] = labels[cells[k]]
    elif n_holes:  # one part holds every hole
        part[:] = 0
    order = np.argsort(part * 2 + hole, kind="mergesort")  # by part, its outer ring first
    out_r = np.empty(len(rows), np.int64)
    out_c = np.empty(len(rows), np.int64)
    ring_at = np.empty(n_rings + 1, np.int64)
    part_at = np.empty(n_rings + 1, np.int64)
    ring_at[0] = 0
    pos = 0
    n_parts = 0
    for idx in range(n_rings):
        k = order[idx]
        if not hole[k]:
            part_at[n_parts] = idx
            n_parts += 1
        for e in range(offsets[k], offsets[k + 1]):
            out_r[pos] = rows[e]
            out_c[pos] = cols[e]
            pos += 1
        ring_at[idx + 1] = pos
    part_at[n_parts] = n_rings
    return out_r, out_c, ring_at, part_at[: n_parts + 1]


def outline(mask: np.ndarray, transform: Affine, *, valid: bool = True) -> object:
    """The cells of ``mask`` that are not 0 as one polygon or multipolygon (None when there are none), in the
    map coordinates of ``transform`` (the mask's upper-left corner and cell size, north up).

    The traced rings make a valid geometry except where a part's outer ring touches itself at a corner (a
    hole that meets it there); ``valid`` (the default) checks for that and mends it with shapely's
    ``make_valid``.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> mask = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1]], np.uint8)
    >>> geom = outline(mask, Affine(1.0, 0.0, 0.0, 0.0, -1.0, 3.0))
    >>> geom.geom_type, geom.area
    ('MultiPolygon', 4.0)
    """
    batch = Outlines(transform)
    batch.add(0, mask, 0, 0)
    geom = batch.geometries(1)[0]
    if geom is not None and valid and not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    return geom


class Outlines:
    """The outlines of many masks (the visible cells of many views on one grid), built as shapely geometries
    all at once: each mask is traced when it is added (:meth:`add`, compiled), and :meth:`geometries` makes
    every polygon from one ragged array, so that the cost per view is the tracing and not the Python calls
    around it."""

    def __init__(self, transform: Affine) -> None:
        self.transform = transform
        self.index: list[int] = []
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.rings: list[np.ndarray] = []
        self.parts: list[np.ndarray] = []

    def add(self, index: int, mask: np.ndarray, r0: int, c0: int) -> None:
        """Trace the cells of ``mask`` that are not 0, a window whose upper-left cell is ``(r0, c0)`` of the
        grid, as the outline of item ``index``."""
        rows, cols, ring_at, part_at = _parts(np.ascontiguousarray(mask))
        if len(part_at) < 2:
            return
        self.index.append(index)
        self.rows.append(rows + r0)
        self.cols.append(cols + c0)
        self.rings.append(ring_at)
        self.parts.append(part_at)

    def geometries(self, n: int) -> np.ndarray:
        """An object array of ``n`` items: the outline of each item added (a Polygon, or a MultiPolygon of
        several parts), None for the others."""
        out = np.full(n, None, dtype=object)
        if not self.index:
            return out
        t = self.transform
        rows = np.concatenate(self.rows)
        cols = np.concatenate(self.cols)
        coords = np.column_stack((t.a * cols + t.b * rows + t.c, t.d * cols + t.e * rows + t.f))
        # offsets of the concatenation: each item's rings and parts shifted by those before it
        n_coords = np.cumsum([0] + [len(r) for r in self.rows[:-1]])
        n_rings = np.cumsum([0] + [len(r) - 1 for r in self.rings[:-1]])
        ring_at = np.concatenate([r[:-1] + k for r, k in zip(self.rings, n_coords, strict=True)] + [[len(rows)]])
        part_at = np.concatenate([p[:-1] + k for p, k in zip(self.parts, n_rings, strict=True)] + [[len(ring_at) - 1]])
        per_item = np.array([len(p) - 1 for p in self.parts])
        geom_at = np.concatenate(([0], np.cumsum(per_item)))
        geoms = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords, (ring_at, part_at, geom_at))
        single = per_item == 1
        geoms[single] = shapely.get_geometry(geoms[single], 0)
        out[np.asarray(self.index)] = geoms
        return out
