"""The viewshed kernel: which cells of a surface one camera sees, restricted to its sector and range.

Written here, compiled with numba, because none of the libraries at hand has a viewshed that is both fast and
restricted to a camera's sector: GDAL's computes a whole rectangle around the observer (and needs a dataset
per call), and the Python packages that wrap it add more overhead than the sweep itself costs.

The algorithm is the reference-plane sweep of Wang, Robinson and White (2000), "Generating viewsheds without
using sightlines" (Photogrammetric Engineering and Remote Sensing 66(1)), in the "edge" interpolation that
GDAL's ``gdal_viewshed`` uses, so that the two agree cell for cell on the same surface. Rows are swept
outward from the observer's row; within a row, cells outward from the observer's column. Every cell ``p``
gets the height ``z(p)`` that a point there must reach to be seen, interpolated on the line of sight from two
cells nearer the observer whose horizons are known. With the observer at height ``Zo``, a cell ``a`` rows and
``b`` columns away, ``L`` the previous row's stored horizons and ``C`` the current row's, ``q`` the cell next
to ``p`` toward the observer's column:

- along the observer's row or column: ``z = line(n, Z1) = Z1 + (Z1 - Zo) / (n - 1)``, with ``Z1`` the
  horizon of the cell one step nearer;
- ``b >= a``: ``z = edge(a, b, L[q], C[q])``; ``b < a``: ``z = edge(b, a, L[q], L[p])``, where
  ``edge(i, j, Za, Zb) = ((Za - Zo) i + (Zb - Zo)(j - i)) / (j - 1) + Zo`` (and ``line(i, Za)`` when
  ``i == j``).

A cell is visible when its surface height plus the target height reaches the horizon: ``h + tz >= z``. Its
stored horizon is ``max(h, z)``. Heights are corrected for the Earth's curvature and refraction,
``h' = h - cc r^2 / (2 R)`` with ``r`` the distance in metres, ``R`` = 6,378,137 m and ``cc`` the
coefficient (0.85714 for visible light; 0 to switch it off), as GDAL does.

Where this kernel departs from GDAL 3.6, on purpose: the 8 cells around the observer are always visible and
keep their own height as horizon (GDAL 3.6 uses the ground height under the observer, without the
observer's height, as their horizon, which hides them from a camera on a mast over a slope; GDAL 3.10 made
them visible too).

A camera's sector (a direction and a horizontal field of view), its range and, where the tilt is known, its
vertical field of view limit what is seen. The sweep visits only the rows of the sector's bounding box and,
in each row, only the columns of the sector widened by :data:`SPAN_MARGIN` cells, so that the work per
camera grows with the sector's area (range squared times fov/360) and never with the raster's size.
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: Cells added on each side of a sector's span in every line of the sweep. A cell just outside the swept
#: spans is read with the larger of its own height and the horizon at the nearest end of the span. With 3 cells,
#: a sector agrees with the full-circle sweep clipped to it on 99.9 % of its cells or more on rough surfaces
#: (the worst of 1,440 sector and surface draws in the test suite's generator: 99.88 %).
SPAN_MARGIN = 3

EARTH_RADIUS_M = 6378137.0


@numba.njit(cache=True, inline="always")
def _line(n: int, za: float, zo: float) -> float:
    if n == 1:
        return za
    return (za - zo) / (n - 1) + za


@numba.njit(cache=True, inline="always")
def _edge(i: int, j: int, za: float, zb: float, zo: float) -> float:
    if i == j:
        return _line(i, za, zo)
    return ((za - zo) * i + (zb - zo) * (j - i)) / (j - 1) + zo


@numba.njit(cache=True, inline="always")
def _span(
    u: float,
    mx: float,
    my: float,
    nx: float,
    ny: float,
    rc: float,
    sx1: float,
    sy1: float,
    sx2: float,
    sy2: float,
    sector: bool,
    convex: bool,
) -> tuple[float, float]:
    """Offsets ``v`` along a cone's line ``p = u m + v n`` (x east, y north; ``m``, ``n`` unit vectors) that
    lie in the disc of radius ``rc`` and, for a convex sector, between its edges ``e1`` (first clockwise) and
    ``e2``. Returns ``(lo, hi)``, empty when ``lo > hi``.
    """
    if u > rc:
        return 1.0, -1.0
    half = math.sqrt(rc * rc - u * u)
    lo, hi = -half, half
    if not (sector and convex):
        return lo, hi
    ox, oy = u * mx, u * my
    # inside edge 1: cross(e1, p) <= 0; inside edge 2: cross(e2, p) >= 0, with cross(a, b) = ax by - ay bx
    for k in range(2):
        ex, ey, sgn = (sx1, sy1, 1.0) if k == 0 else (sx2, sy2, -1.0)
        c0 = sgn * (ex * oy - ey * ox)  # constraint: c0 + v * c1 <= 0
        c1 = sgn * (ex * ny - ey * nx)
        if c1 > 1e-12:  # the same 1e-9 tolerance as the test of each cell
            hi = min(hi, (1e-9 - c0) / c1)
        elif c1 < -1e-12:
            lo = max(lo, (1e-9 - c0) / c1)
        elif c0 > 1e-9:
            return 1.0, -1.0
    return lo, hi


@numba.njit(cache=True, inline="always")
def _inside(
    h: float,
    z: float,
    tz: float,
    dxc: float,
    dyc: float,
    d2: float,
    zo: float,
    cell: float,
    sx1: float,
    sy1: float,
    sx2: float,
    sy2: float,
    sector: bool,
    convex: bool,
    limit_v: bool,
    tan_lo: float,
    tan_hi: float,
) -> bool:
    """Is a cell seen: its top reaches the horizon, it lies in the sector and in the vertical field of view.

    Written without unpredictable branches: whether a cell is seen flips at random on a rough surface, and a
    mispredicted branch costs more than the arithmetic.
    """
    vis = h + tz >= z
    if sector:
        c1 = sx1 * dyc - sy1 * dxc  # cross(edge 1, p)
        c2 = sx2 * dyc - sy2 * dxc  # cross(edge 2, p)
        if convex:
            vis = vis & (c1 <= 1e-9) & (c2 >= -1e-9)
        else:
            vis = vis & ((c2 >= -1e-9) | (c1 <= 1e-9))
    if limit_v:
        dist = math.sqrt(d2) * cell
        vis = vis & ((zo - h - tz) <= dist * tan_hi) & ((zo - h) >= dist * tan_lo)
    return vis


@numba.njit(cache=True, nogil=True)
def sector_box(
    row: int, col: int, range_m: float, cell: float, bearing_deg: float, fov_deg: float, nrows: int, ncols: int
) -> tuple[int, int, int, int]:
    """The rows ``r0..r1`` and columns ``c0..c1`` (inclusive) of a raster of ``nrows`` by ``ncols`` cells that
    hold every cell the kernel may write for an observer on ``(row, col)``, within the square of its range.

    For a sector of 180° or less: the bounding box of the sector (apex, the two ends of its arc, and the points
    of the arc due north, east, south and west when the sector spans them) widened by :data:`SPAN_MARGIN`
    plus 2 cells, since the sweep writes (0 or 1) the cells of its lines' margins along the axes and
    diagonals, up to ``SPAN_MARGIN + 1`` cells beyond the sector. A wider sector is swept over its whole disc:
    the square of its range.

    A window of this box is all a view needs: for a 60° sector about a third of the square around its range,
    which every later step that reads the window (counting, outlines, homes) no longer walks through.
    """
    rc = range_m / cell
    irc = math.floor(rc)
    r0, r1 = max(0, row - irc), min(nrows - 1, row + irc)
    c0, c1 = max(0, col - irc), min(ncols - 1, col + irc)
    if fov_deg > 180.0:  # the kernel's sweep of a reflex sector covers its disc
        return r0, r1, c0, c1
    half = fov_deg / 2.0
    x_lo, x_hi, y_lo, y_hi = 0.0, 0.0, 0.0, 0.0  # east and north offsets, in cells
    for k in range(6):
        if k < 2:
            a = bearing_deg - half if k == 0 else bearing_deg + half
        else:
            a = 90.0 * (k - 2)
            diff = (a - bearing_deg + 180.0) % 360.0 - 180.0
            if abs(diff) > half + 1e-6:
                continue
        x = rc * math.sin(math.radians(a))
        y = rc * math.cos(math.radians(a))
        x_lo, x_hi = min(x_lo, x), max(x_hi, x)
        y_lo, y_hi = min(y_lo, y), max(y_hi, y)
    pad = SPAN_MARGIN + 2
    return (
        max(r0, row - math.ceil(y_hi) - pad),
        min(r1, row - math.floor(y_lo) + pad),
        max(c0, col + math.floor(x_lo) - pad),
        min(c1, col + math.ceil(x_hi) + pad),
    )


@numba.njit(cache=True, nogil=True)
def viewshed_window(
    surface: np.ndarray,
    row: int,
    col: int,
    observer_z: float,
    target_h: float,
    cell: float,
    range_m: float,
    bearing_deg: float,
    fov_deg: float,
    tilt_deg: float,
    vfov_deg: float,
    curv_coeff: float,
    out: np.ndarray,
    r0: int,
    c0: int,
) -> int:
    """Sweep one observer and mark its visible cells (1) in ``out``, a window of the surface (see
    :func:`viewshed_window_heights` for the parameters and the algorithm)."""
    return viewshed_window_heights(
        surface,
        row,
        col,
        observer_z,
        target_h,
        cell,
        range_m,
        bearing_deg,
        fov_deg,
        tilt_deg,
        vfov_deg,
        curv_coeff,
        out,
        r0,
        c0,
        np.empty(0, np.float64),
        np.empty((0, 0), np.uint8),
    )


@numba.njit(cache=True, nogil=True)
def viewshed_window_heights(
    surface: np.ndarray,
    row: int,
    col: int,
    observer_z: float,
    target_h: float,
    cell: float,
    range_m: float,
    bearing_deg: float,
    fov_deg: float,
    tilt_deg: float,
    vfov_deg: float,
    curv_coeff: float,
    out: np.ndarray,
    r0: int,
    c0: int,
    heights: np.ndarray,
    out_heights: np.ndarray,
) -> int:
    """Sweep one observer and mark its visible cells (1) in ``out``, a window of the surface, and the cells
    seen at one of the target ``heights`` at least in ``out_heights`` (:func:`viewshed_window` is this without
    ``heights``). The horizon of a cell does not depend on the target's height (it is made of the surface's
    heights only), so one sweep decides any number of target heights: what a sweep at each height would give,
    OR-ed, at the cost of one more test per cell and height.

    The sweep runs in four cones around the observer (north, south, east and west of the diagonals): in
    the northern and southern cones row by row, in the eastern and western cones column by column. Each
    cell depends only on two cells of the previous line of its cone, so the cells of one line are
    independent of each other, which keeps the processor's pipeline full; the formulas are those of the
    row-by-row sweep described in the module's docstring.

    Parameters
    ----------
    surface : 2-D float array
        Surface heights (terrain plus buildings) in metres, north up, square cells of ``cell`` metres.
        NaN marks unknown heights; a NaN cell is never visible and does not block.
    row, col : int
        The observer's cell.
    observer_z : float
        Height of the camera in metres (ground plus mounting height).
    target_h : float
        Height above the surface that must be seen (1.7 m for a person's head; 0 for the ground).
    cell : float
        Cell size in metres.
    range_m : float
        Maximum distance from cell centre to cell centre in metres.
    bearing_deg, fov_deg : float
        Centre and width of the horizontal field of view, degrees clockwise from grid north; 360 for all
        around.
    tilt_deg, vfov_deg : float
        Depression of the optical axis below the horizontal and the vertical field of view, in degrees;
        NaN tilt means no vertical limit. A target counts as seen when the segment from its foot to its
        top meets the vertical field of view.
    curv_coeff : float
        Curvature and refraction coefficient ``cc`` (0 for none).
    out : 2-D uint8 array
        Window of the result; cell ``(r, c)`` of the surface is ``out[r - r0, c - c0]``. It must cover the
        observer's :func:`sector_box`. Only visible cells are written (set to 1), so that one array can
        collect several cameras.
    r0, c0 : int
        Offsets of the window in the surface.
    heights : 1-D float array
        More target heights (empty for none), decided in the same sweep.
    out_heights : 2-D uint8 array
        Window of the cells seen at one of ``heights`` at least (the shape of ``out``; ignored when
        ``heights`` is empty).

    Returns
    -------
    int
        Number of visible cells.
    """
    nrows, ncols = surface.shape
    out_h, out_w = out.shape
    rc = range_m / cell
    rc2 = rc * rc
    curv = curv_coeff * cell * cell / (2.0 * EARTH_RADIUS_M)  # per squared cell offset
    sector = fov_deg < 360.0 - 1e-9
    convex = sector and fov_deg <= 180.0
    half = math.radians(min(fov_deg, 360.0) / 2.0)
    b = math.radians(bearing_deg)
    sx1, sy1 = math.sin(b - half), math.cos(b - half)
    sx2, sy2 = math.sin(b + half), math.cos(b + half)
    limit_v = not math.isnan(tilt_deg)
    # vertical field of view as tangents of the depressions of its upper and lower edges (+-inf beyond 90)
    tan_hi = np.inf
    tan_lo = -np.inf
    if limit_v:
        upper = tilt_deg + vfov_deg / 2.0  # lowest ray of the image, the largest depression
        lower = tilt_deg - vfov_deg / 2.0
        tan_hi = math.tan(math.radians(upper)) if upper < 90.0 else np.inf
        tan_lo = math.tan(math.radians(lower)) if lower > -90.0 else -np.inf
    zo = observer_z
    tz = target_h
    irc = math.floor(rc)
    inv = np.empty(irc + 2, np.float64)  # inv[n] = 1 / n: the sweep multiplies instead of dividing
    inv[0] = 0.0
    for n in range(1, irc + 2):
        inv[n] = 1.0 / n
    size = 2 * irc + 3
    off = irc + 1  # index of v = 0 in the line arrays
    prev = np.empty(size, np.float64)
    cur = np.empty(size, np.float64)
    count = 0

    b_r0, b_r1, b_c0, b_c1 = sector_box(row, col, range_m, cell, bearing_deg, fov_deg, nrows, ncols)
    if b_r0 < r0 or b_r1 >= r0 + out_h or b_c0 < c0 or b_c1 >= c0 + out_w:
        raise ValueError("the output window does not cover the observer's sector (see sector_box)")

    flat_s = surface.reshape(-1)  # flat views: one multiply-add per cell instead of two-dimensional indexing
    flat_o = out.reshape(-1)
    n_heights = heights.shape[0]
    if n_heights and out_heights.shape != out.shape:
        raise ValueError("out_heights must have the shape of out")
    flat_h = out_heights.reshape(-1)
    h0 = surface[row, col]
    if h0 == h0:
        out[row - r0, col - c0] = 1
        if n_heights:
            out_heights[row - r0, col - c0] = 1
        count += 1

    for cone in range(4):
        # major axis m and minor axis n as (row step, col step) and as (x east, y north)
        if cone == 0:  # north
            mr, mc, nr, nc = -1, 0, 0, 1
        elif cone == 1:  # south
            mr, mc, nr, nc = 1, 0, 0, 1
        elif cone == 2:  # east
            mr, mc, nr, nc = 0, 1, 1, 0
        else:  # west
            mr, mc, nr, nc = 0, -1, 1, 0
        mx, my, nx, ny = float(mc), float(-mr), float(nc), float(-nr)
        own_diagonals = cone < 2  # the diagonals are output by the northern and southern cones
        # the raster's edges along the minor axis (the same for every line of the cone)
        if nr != 0:
            v_min, v_max = -row, nrows - 1 - row
        else:
            v_min, v_max = -col, ncols - 1 - col
        prev_lo = 0
        prev_hi = 0
        prev[off] = h0 - 0.0  # the observer's cell (read only by the formulas of its 8 neighbours)
        u = 1
        while u <= irc:
            # the line's span of v: in the cone (|v| <= u), the disc, the sector (widened), the raster
            lo_f, hi_f = _span(float(u), mx, my, nx, ny, rc, sx1, sy1, sx2, sy2, sector, convex)
            if lo_f > hi_f:
                if u >= 2:
                    break
                lo, hi = 0, -1
            else:
                # widened by the margin for a sector, but never beyond the disc: every swept cell is in range
                chord = math.floor(math.sqrt(max(rc2 - float(u * u), 0.0)))
                margin = SPAN_MARGIN if sector else 0
                lo = max(-u, -chord, math.floor(lo_f) - margin)
                hi = min(u, chord, math.ceil(hi_f) + margin)
            if u == 1:
                lo = min(lo, -1)
                hi = max(hi, 1)
            # the raster's edges
            base_r = row + mr * u
            base_c = col + mc * u
            if base_r < 0 or base_r >= nrows or base_c < 0 or base_c >= ncols:
                break
            lo = max(lo, v_min)
            hi = min(hi, v_max)
            if lo > hi:
                u += 1
                continue
            # cells of the previous line outside its swept span: their own height is their horizon
            pu = u - 1
            pu2 = float(pu * pu)
            p_lo = max(lo - 1, -pu, v_min)
            p_hi = min(hi + 1, pu, v_max)
            if prev_lo > prev_hi:
                prev_lo = p_hi + 1
                prev_hi = p_hi
                edge_lo = -np.inf
                edge_hi = -np.inf
            else:
                edge_lo = prev[prev_lo + off]
                edge_hi = prev[prev_hi + off]
            for v in range(p_lo, min(prev_lo - 1, p_hi) + 1):
                hv = surface[row + mr * pu + nr * v, col + mc * pu + nc * v] - curv * (pu2 + v * v)
                prev[v + off] = max(hv, edge_lo) if edge_lo == edge_lo else hv
            for v in range(max(prev_hi + 1, p_lo), p_hi + 1):
                hv = surface[row + mr * pu + nr * v, col + mc * pu + nc * v] - curv * (pu2 + v * v)
                prev[v + off] = max(hv, edge_hi) if edge_hi == edge_hi else hv
            u2 = float(u * u)
            iu1 = inv[u - 1]
            fu_iu1 = float(u) * iu1
            z_const = zo - zo * fu_iu1
            s_base = base_r * ncols + base_c  # flat index of (u, 0) in the surface
            s_step = nr * ncols + nc
            o_base = (base_r - r0) * out_w + (base_c - c0)
            o_step = nr * out_w + nc
            # four kinds of cells, each in a loop of its own so that the loops carry no branches but the
            # test of visibility: the axis (v = 0), the diagonals (|v| = u), and the two sides in between
            for j in range(3):
                v = (0, -u, u)[j]
                if v < lo or v > hi:
                    continue
                k = v + off
                d2 = u2 + float(v * v)
                h = flat_s[s_base + s_step * v] - curv * d2
                if u == 1:
                    z = -np.inf  # the 8 neighbours of the observer: nothing between them and the camera
                else:
                    zd = prev[k] if v == 0 else (prev[k - 1] if v > 0 else prev[k + 1])
                    z = (zd - zo) * iu1 + zd
                if h != h:
                    cur[k] = z
                    continue
                cur[k] = h if h > z else z
                vis = _inside(
                    h,
                    z,
                    tz,
                    float(mc * u + nc * v),
                    float(-(mr * u + nr * v)),
                    d2,
                    zo,
                    cell,
                    sx1,
                    sy1,
                    sx2,
                    sy2,
                    sector,
                    convex,
                    limit_v,
                    tan_lo,
                    tan_hi,
                )
                if (v == u or v == -u) and not own_diagonals:
                    continue
                flat_o[o_base + o_step * v] |= vis
                count += vis
                for t in range(n_heights):
                    if _inside(
                        h,
                        z,
                        heights[t],
                        float(mc * u + nc * v),
                        float(-(mr * u + nr * v)),
                        d2,
                        zo,
                        cell,
                        sx1,
                        sy1,
                        sx2,
                        sy2,
                        sector,
                        convex,
                        limit_v,
                        tan_lo,
                        tan_hi,
                    ):
                        flat_h[o_base + o_step * v] = 1
                        break
            if u > 1:
                # inside a convex sector the cells between the exact span's ends need no test of the sector;
                # the margin's cells outside it are swept for their horizons only
                if convex:
                    in_lo = math.ceil(lo_f)
                    in_hi = math.floor(hi_f)
                else:
                    in_lo = lo
                    in_hi = hi
                test_sector = sector and not convex
                for side in range(2):
                    if side == 0:
                        v_from, v_to, sgn = max(lo, 1), min(hi, u - 1), 1
                    else:
                        v_from, v_to, sgn = max(lo, 1 - u), min(hi, -1), -1
                    for seg in range(3):  # margin before, the sector itself, margin after
                        if seg == 0:
                            a, b, emit = v_from, min(v_to, in_lo - 1), False
                        elif seg == 1:
                            a, b, emit = max(v_from, in_lo), min(v_to, in_hi), True
                        else:
                            a, b, emit = max(v_from, in_hi + 1), v_to, False
                        for v in range(a, b + 1):
                            k = v + off
                            av = v * sgn
                            d2 = u2 + float(av * av)
                            h = flat_s[s_base + s_step * v] - curv * d2
                            # ((zd - zo) av + (zp - zo)(u - av)) / (u - 1) + zo, with w = av / (u - 1)
                            w = av * iu1
                            z = prev[k - sgn] * w + prev[k] * (fu_iu1 - w) + z_const
                            if h != h:
                                cur[k] = z
                                continue
                            cur[k] = h if h > z else z
                            if emit:
                                vis = _inside(
                                    h,
                                    z,
                                    tz,
                                    float(mc * u + nc * v),
                                    float(-(mr * u + nr * v)),
                                    d2,
                                    zo,
                                    cell,
                                    sx1,
                                    sy1,
                                    sx2,
                                    sy2,
                                    test_sector,
                                    False,
                                    limit_v,
                                    tan_lo,
                                    tan_hi,
                                )
                                flat_o[o_base + o_step * v] |= vis
                                count += vis
                                for t in range(n_heights):
                                    if _inside(
                                        h,
                                        z,
                                        heights[t],
                                        float(mc * u + nc * v),
                                        float(-(mr * u + nr * v)),
                                        d2,
                                        zo,
                                        cell,
                                        sx1,
                                        sy1,
                                        sx2,
                                        sy2,
                                        test_sector,
                                        False,
                                        limit_v,
                                        tan_lo,
                                        tan_hi,
                                    ):
                                        flat_h[o_base + o_step * v] = 1
                                        break
            tmp = prev
            prev = cur
            cur = tmp
            prev_lo = lo
            prev_hi = hi
            u += 1
    return count


@numba.njit(cache=True, parallel=True)
def count_visible(
    surface: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    observer_z: np.ndarray,
    range_m: np.ndarray,
    bearing_deg: np.ndarray,
    fov_deg: np.ndarray,
    tilt_deg: np.ndarray,
    vfov_deg: np.ndarray,
    target_h: float,
    cell: float,
    curv_coeff: float,
    n_threads: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Run :func:`viewshed_window` for many observers and count, for every cell, the observers that see it.

    The observers are dealt round-robin to ``n_threads`` threads; each thread adds its observers' windows into
    a count raster of its own, and the rasters are summed at the end, so that no two threads write the same
    memory. Returns the count raster (uint16) and the number of visible cells of each observer.
    """
    nrows, ncols = surface.shape
    n = rows.shape[0]
    counts = np.zeros((n_threads, nrows, ncols), np.uint16)
    visible = np.zeros(n, np.int64)
    for t in numba.prange(n_threads):
        for i in range(t, n, n_threads):
            reach = math.floor(range_m[i] / cell)
            r0 = max(0, rows[i] - reach)
            r1 = min(nrows - 1, rows[i] + reach)
            c0 = max(0, cols[i] - reach)
            c1 = min(ncols - 1, cols[i] + reach)
            window = np.zeros((r1 - r0 + 1, c1 - c0 + 1), np.uint8)
            visible[i] = viewshed_window(
                surface,
                rows[i],
                cols[i],
                observer_z[i],
                target_h,
                cell,
                range_m[i],
                bearing_deg[i],
                fov_deg[i],
                tilt_deg[i],
                vfov_deg[i],
                curv_coeff,
                window,
                r0,
                c0,
            )
            mine = counts[t]
            for r in range(r1 - r0 + 1):
                for c in range(c1 - c0 + 1):
                    mine[r0 + r, c0 + c] += window[r, c]
    total = np.zeros((nrows, ncols), np.uint16)
    for t in range(n_threads):
        total += counts[t]
    return total, visible
