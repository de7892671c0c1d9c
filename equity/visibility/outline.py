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


def outline(mask: np.ndarray, transform: Affine, *, valid: bool = True) -> object:
    """The cells of ``mask`` that are not 0 as one polygon or multipolygon (None when there are none), in the
    map coordinates of ``transform`` (the mask's upper-left corner and cell size, north up).

    The traced rings make a valid geometry except where a part's outer ring touches itself at a corner (a
    hole that meets it there); ``valid`` (the default) checks for that and mends it with shapely's
    ``make_valid``. A caller that simplifies the outline and checks the result, as
    :func:`equity.visibility.viewsheds` does, can skip the check (``valid=False``): it costs as much as the
    tracing.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> mask = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1]], np.uint8)
    >>> geom = outline(mask, Affine(1.0, 0.0, 0.0, 0.0, -1.0, 3.0))
    >>> geom.geom_type, geom.area
    ('MultiPolygon', 4.0)
    """
    visible = np.ascontiguousarray(mask != 0)
    if not visible.any():
        return None
    rows, cols, offsets, cells = _trace(visible)
    x = transform.a * cols + transform.b * rows + transform.c
    y = transform.d * cols + transform.e * rows + transform.f
    signed = _signed_areas(cols.astype(float), -rows.astype(float), offsets)
    hole = signed < 0
    if (~hole).sum() > 1 and hole.any():  # which part holds each hole: the 4-connected part of its left cell
        part = _label(visible).ravel()[cells]
    elif hole.any():  # one part, holding every hole
        part = np.zeros(len(hole), np.int64)
    else:  # no holes: every ring is a part
        part = np.arange(len(hole))
    order = np.lexsort((hole, part))  # by part, its outer ring first
    counts = np.diff(offsets)[order]
    starts = offsets[:-1][order]
    index = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(counts.sum())
    coords = np.column_stack((x[index], y[index]))
    ring_offsets = np.concatenate(([0], np.cumsum(counts)))
    firsts = np.flatnonzero(~hole[order])
    polygon_offsets = np.append(firsts, len(order))
    geom = shapely.from_ragged_array(
        shapely.GeometryType.MULTIPOLYGON, coords, (ring_offsets, polygon_offsets, np.array([0, len(firsts)]))
    )[0]
    if len(firsts) == 1:
        geom = geom.geoms[0]
    if valid and not shapely.is_valid(geom):  # a part's outer ring touching itself at a corner: a hole there
        geom = shapely.make_valid(geom)
    return geom


def _signed_areas(x: np.ndarray, y: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Shoelace area of every closed ring ``[offsets[k], offsets[k + 1])``: positive counter-clockwise."""
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross = np.append(cross, 0.0)
    last = offsets[1:] - 1  # the closing vertex: its term would pair it with the next ring's first
    cross[last] = 0.0
    sums = np.add.reduceat(cross, offsets[:-1])
    return 0.5 * sums
