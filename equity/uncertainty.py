r"""Class probabilities from the sources of error, by simulation draw by draw, without rerunning the study.

Each draw changes, at once, what the data and the model do not know:

- **crime counts**: each unit's recorded count ``K_u`` is replaced by a draw of a Poisson variable of mean
  ``K_u`` (``Settings.draws_crime_model = "poisson"``), or of a negative binomial of mean ``K_u`` and variance
  ``K_u + K_u^2 / r`` (``"negative_binomial"``, ``r = draws_crime_dispersion``): the recorded count is one
  realisation of the incidents a unit's risk produces;
- **camera completeness**: each mapped camera (all its views together) is left out with probability
  ``draws_camera_omission``; and ``N ~ Poisson(lambda)`` unmapped cameras are added, ``lambda =
  draws_unmapped_share * (cameras in the units)``, in the units where mapping is thin (cameras per km² below
  the units' median), a unit drawn in proportion to its area, each camera a copy of a random mapped view's lens
  and range at a random point of the unit looking in a random direction (open ground only);
- **unknown directions**: a view whose direction is not tagged gets one of ``draws_directions`` directions
  (every ``360 / draws_directions`` degrees, the discretisation), with equal probability, and the sector of its
  lens; it is not skipped;
- **detail level and lens**: the detail level is the study's, the next one with a shorter range or the next
  with a longer range, with probabilities ``draws_level_weights``; the fixed lens is 0.75, 1 or 1.5 times
  ``fixed_fov_deg`` with probabilities ``draws_lens_weights`` (the same pairs as the sensitivity runs);
- **class thresholds**: the three quantiles of the classes move by ``U(-d, d)``, ``d = draws_threshold_spread``,
  and the two ratios are multiplied by ``f^U(-1, 1)``, ``f = draws_ratio_factor``.

Each draw's classes follow :func:`equity.metrics.classify` (:func:`classify_draws` is its vectorised form), and
``p_c(u)`` is the share of the draws in which unit ``u`` has class ``c``. A unit's class is *robust* when the
probability of its class is at least ``draws_robust_probability``.

Why the draws are cheap. The geometry of a draw is a choice among few alternatives per view (a scenario of
level and lens for the whole draw; one direction per unknown view; kept or left out), so every alternative of
every view is turned once into the cells of a grid it covers (:func:`prepare`), and the cells of each scenario
are grouped into *atoms*: the cells of one unit covered by the same set of alternatives. A draw's area in view
of unit ``u`` is then

.. math:: V_u = \sum_{a \in u} |a| \cdot [\exists p \in S(a) : x_p = 1]

with ``S(a)`` the alternatives covering atom ``a`` and ``x_p`` whether the draw keeps alternative ``p``: a
sparse matrix product, not a union of polygons. On open ground the cells are ``draws_cell_m`` squares and a
view's alternative is the cells whose centre lies within its range and lens (the exact sector, where the study
draws it with ``arc_segments`` chords). With a surface model they are the study's own cells: each view's
viewshed (the outline the tiles traced) burned back onto the grid, less the building cells, which are exactly
the cells the study counted; a shorter range or a narrower lens keeps the viewshed's cells within it (the lines
of sight are the same), while a longer range or a wider lens keeps the study's viewshed (the kernel would have to
run again), so with buildings or a DEM those alternatives understate the spread; unknown directions and
unmapped cameras are not drawn there (a camera's view needs the kernel), and the ledger says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from rasterio import features
from scipy import sparse

from equity.cameras import normalise_cameras
from equity.inequality import city_measures
from equity.projection import grid_north_offset
from equity.rates import smoothed_rate_per_1k
from equity.settings import DETAIL_LEVELS_PX_PER_M, Settings

#: The classes whose probabilities are computed, in the order of the columns.
CLASSES = ("under_covered", "over_covered", "other", "no_data")

#: Detail levels from the shortest range to the longest.
_LEVELS = list(DETAIL_LEVELS_PX_PER_M)

#: Lens factors of the draws (as the sensitivity runs'), with the weights ``Settings.draws_lens_weights``.
LENS_FACTORS = (0.75, 1.0, 1.5)

#: Side of the square tiles, in cells, in which the cells are made and grouped into atoms (bounds the memory:
#: only the views that reach a tile are turned into its cells at once).
_TILE_CELLS = 1024

#: The pool of places of unmapped cameras holds this many times what a draw adds at most (but for a chance below
#: 1e-4), and each draw takes its cameras at random from the pool: with a pool of one draw's size, every draw would
#: put them in the same places, and a unit's probability would hang on where one set of places fell (on the demo,
#: Excelsior's moved from 0.36 to 0.12 with the pool's seed; with 30, over three seeds: 0.47 to 0.55).
POOL_FACTOR = 30

#: ... but no more than 2,000 places (nor fewer than a draw needs): a draw that adds many cameras averages over
#: their places already, and each place costs its cells once.
POOL_MAX = 2000

#: Draws whose covered areas are computed in one matrix product (bounds the memory: atoms x batch).
_BATCH = 64


@dataclass
class Scenario:
    """One combination of detail level and fixed lens, its probability, and its atoms.

    Attributes
    ----------
    name : str
        ``"<level>, lens <deg> degrees"``.
    weight : float
        Probability that a draw takes this scenario.
    members : scipy.sparse.csr_matrix
        Atoms x alternatives, 1 where the alternative covers the atom.
    area : scipy.sparse.csr_matrix
        Units x atoms, the atom's area in m² in its unit's row.
    """

    name: str
    weight: float
    members: Any
    area: Any


@dataclass
class Prepared:
    """What every draw reads: the alternatives of the views, the atoms of each scenario, and the cameras.

    Attributes
    ----------
    scenarios : list of Scenario
    alt_item : numpy.ndarray
        For each alternative, the item (a view, or an unmapped camera of the pool) it belongs to.
    alt_dir : numpy.ndarray
        For each alternative, its direction's number (0 for a view with one direction).
    item_camera : numpy.ndarray
        For each item, the position of its camera among :attr:`cameras` (-1 for the pool's cameras).
    item_pool : numpy.ndarray
        For each item, its position in the pool of unmapped cameras (-1 for a mapped view).
    item_multi : numpy.ndarray
        For each item, whether its direction is drawn among ``directions``.
    camera_unit : numpy.ndarray
        For each mapped camera, the position of its unit (-1 outside the units).
    pool_unit : numpy.ndarray
        For each camera of the pool, the position of its unit.
    pool_rate : float
        Expected number of unmapped cameras added per draw.
    directions : int
        Directions an unknown view is drawn among.
    cell_m : float
        Side of the cells, in metres.
    notes : dict
        Counts of what was drawn and what was not, for the ledger.
    """

    scenarios: list[Scenario]
    alt_item: np.ndarray
    alt_dir: np.ndarray
    item_camera: np.ndarray
    item_pool: np.ndarray
    item_multi: np.ndarray
    camera_unit: np.ndarray
    pool_unit: np.ndarray
    pool_rate: float
    directions: int
    cell_m: float
    notes: dict = field(default_factory=dict)


@dataclass
class Uncertainty:
    """The draws' results.

    Attributes
    ----------
    probabilities : pandas.DataFrame
        One row per unit (``unit_id`` index): ``p_under_covered``, ``p_over_covered``, ``p_other``, ``p_no_data``
        and ``p_class``, the probability of the unit's class in the study.
    robustness : pandas.Series
        ``robust`` when ``p_class >= threshold``, else ``uncertain``.
    measures : pandas.DataFrame
        One row per city-level measure: ``measure``, ``value`` (the study's), ``draws_low``, ``draws_high``
        (the 2.5 and 97.5 percentiles over the draws), ``draws_median`` and ``draws_finite``.
    scenarios : pandas.DataFrame
        ``scenario``, ``weight``, ``atoms``, ``draws``.
    draws, seed : int
    threshold : float
        ``Settings.draws_robust_probability``.
    notes : dict
        Counts for the ledger (views drawn, directions, pool of unmapped cameras, ...).
    seconds : dict
        ``prepare`` and ``draws``: the time each took.
    """

    probabilities: pd.DataFrame
    robustness: pd.Series
    measures: pd.DataFrame
    scenarios: pd.DataFrame
    draws: int
    seed: int
    threshold: float
    notes: dict
    seconds: dict

    @property
    def uncertain(self) -> list:
        """The units whose class has a probability below the threshold, in the order of the units."""
        return self.robustness[self.robustness == "uncertain"].index.tolist()

    def holds(self, unit: Any) -> bool:
        """Whether a unit's class has at least the threshold's probability."""
        return bool(self.robustness.get(unit) == "robust")


# ---------------------------------------------------------------------------------------------- alternatives


def _options(weights: tuple[float, ...], values: list[Any]) -> list[tuple[Any, float]]:
    """Values with positive weight and a value, their weights renormalised to 1."""
    pairs = [(v, float(w)) for v, w in zip(values, weights, strict=True) if v is not None and w > 0]
    total = sum(w for _, w in pairs)
    return [(v, w / total) for v, w in pairs]


def scenario_settings(s: Settings) -> list[tuple[str, Settings, float]]:
    """The scenarios of level and lens, each with its settings and probability (levels at the end of the
    scale and weights of 0 are left out, the others renormalised)."""
    i = _LEVELS.index(s.detail_level)
    levels = _options(
        s.draws_level_weights,
        [_LEVELS[i - 1] if i > 0 else None, s.detail_level, _LEVELS[i + 1] if i + 1 < len(_LEVELS) else None],
    )
    lenses = _options(s.draws_lens_weights, [min(360.0, f * s.fixed_fov_deg) for f in LENS_FACTORS])
    out = []
    for level, wl in levels:
        for fov, wf in lenses:
            out.append((f"{level}, lens {fov:g} degrees", s.replace(detail_level=level, fixed_fov_deg=fov), wl * wf))
    return out


def _wrap(deg: np.ndarray) -> np.ndarray:
    """Angles to [-180, 180)."""
    return (np.asarray(deg) + 180.0) % 360.0 - 180.0


def _sector_bounds(x: np.ndarray, y: np.ndarray, r: np.ndarray, bearing: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Bounds (minx, miny, maxx, maxy) of sectors: the apex, the two ends of the arc and the points of the arc
    due north, east, south and west when the arc holds them (a disc when ``half`` is 180)."""
    angles = [bearing - half, bearing + half]
    xs, ys = [x], [y]
    for a in angles:
        xs.append(x + r * np.sin(np.radians(a)))
        ys.append(y + r * np.cos(np.radians(a)))
    for cardinal in (0.0, 90.0, 180.0, 270.0):
        inside = (np.abs(_wrap(cardinal - bearing)) <= half) | (half >= 180)
        xs.append(np.where(inside, x + r * np.sin(np.radians(cardinal)), x))
        ys.append(np.where(inside, y + r * np.cos(np.radians(cardinal)), y))
    xs, ys = np.vstack(xs), np.vstack(ys)
    return np.column_stack([xs.min(axis=0), ys.min(axis=0), xs.max(axis=0), ys.max(axis=0)])


def _tile_labels(
    tr: int, tc: int, cell: float, units: gpd.GeoDataFrame, unit_tree: Any, buildings: Any, building_tree: Any
) -> np.ndarray:
    """The position of the unit holding each cell of a tile (-1 outside every unit, and on a building when
    ``buildings`` is given), as a raster whose row 0 is the tile's northern row."""
    import shapely

    t = _TILE_CELLS
    transform = Affine(cell, 0, tc * t * cell, 0, -cell, (tr + 1) * t * cell)
    window = shapely.box(tc * t * cell, tr * t * cell, (tc + 1) * t * cell, (tr + 1) * t * cell)
    geoms = units.geometry.to_numpy()
    near = unit_tree.query(window, predicate="intersects")
    labels = np.full((t, t), -1, np.int32)
    if len(near):
        labels = features.rasterize(
            [(geoms[i], int(i)) for i in near], out_shape=(t, t), transform=transform, fill=-1, dtype="int32"
        )
    if buildings is not None:
        bgeoms = buildings.geometry.to_numpy()
        bnear = building_tree.query(window, predicate="intersects")
        if len(bnear):
            built = features.rasterize(
                [(bgeoms[i], 1) for i in bnear], out_shape=(t, t), transform=transform, fill=0, dtype="uint8"
            )
            labels[built > 0] = -1
    return labels


def _tile_pairs(
    items: np.ndarray,
    tr: int,
    tc: int,
    cell: float,
    x: np.ndarray,
    y: np.ndarray,
    bbox: np.ndarray,
    rmax: np.ndarray,
    wedge: np.ndarray,
    geoms: np.ndarray | None,
) -> tuple[np.ndarray, ...]:
    """Every (item, cell) pair of a tile that an item's largest footprint covers: the item, the cell (row x
    tile + column, row 0 in the north), the distance of the cell's centre from the camera and its grid bearing.

    On open ground the footprint is the sector of the item's longest range and widest lens, ``wedge`` (the
    half-width around ``bbox``'s bearing column; 180 for a disc); with ``geoms`` it is the item's polygon."""
    t = _TILE_CELLS
    wc0, wr0 = tc * t, tr * t
    out_i, out_c, out_d, out_b = [], [], [], []
    for i in items:
        c0 = max(int(np.floor(bbox[i, 0] / cell)), wc0)
        c1 = min(int(np.floor(bbox[i, 2] / cell)), wc0 + t - 1)
        r0 = max(int(np.floor(bbox[i, 1] / cell)), wr0)
        r1 = min(int(np.floor(bbox[i, 3] / cell)), wr0 + t - 1)
        if c0 > c1 or r0 > r1:
            continue
        if geoms is not None:
            mask = features.rasterize(
                [(geoms[i], 1)],
                out_shape=(r1 - r0 + 1, c1 - c0 + 1),
                transform=Affine(cell, 0, c0 * cell, 0, -cell, (r1 + 1) * cell),
            ).astype(bool)
            rr, cc = np.nonzero(mask)
            rows, cols = r1 - rr, c0 + cc
            dx = (cols + 0.5) * cell - x[i]
            dy = (rows + 0.5) * cell - y[i]
            d = np.hypot(dx, dy)
            b = np.degrees(np.arctan2(dx, dy))
        else:
            cols_a = np.arange(c0, c1 + 1)
            rows_a = np.arange(r0, r1 + 1)
            dx, dy = np.meshgrid((cols_a + 0.5) * cell - x[i], (rows_a + 0.5) * cell - y[i])
            d = np.hypot(dx, dy)
            rr, cc = np.nonzero(d <= rmax[i])  # the bearing only where the range reaches
            dx, dy, d = dx[rr, cc], dy[rr, cc], d[rr, cc]
            b = np.degrees(np.arctan2(dx, dy))
            if wedge[i] < 180:
                keep = (np.abs(_wrap(b - bbox[i, 4])) <= wedge[i]) | (d < cell / 2)
                rr, cc, d, b = rr[keep], cc[keep], d[keep], b[keep]
            rows, cols = rows_a[rr], cols_a[cc]
        out_i.append(np.full(len(rows), i, np.int32))
        out_c.append(((wr0 + t - 1 - rows) * t + (cols - wc0)).astype(np.int64))
        out_d.append(d.astype(np.float32))
        out_b.append(b.astype(np.float32))
    if not out_i:
        z = np.zeros(0)
        return z.astype(np.int32), z.astype(np.int64), z.astype(np.float32), z.astype(np.float32)
    cells = np.concatenate(out_c)
    order = np.argsort(cells, kind="stable")
    return (np.concatenate(out_i)[order], cells[order], np.concatenate(out_d)[order], np.concatenate(out_b)[order])


def _pool(
    units: gpd.GeoDataFrame, table: pd.DataFrame, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` places for unmapped cameras: in the units whose cameras per km² are below the units' median, a unit
    drawn in proportion to its area, a point drawn uniformly in it. Returns x, y and the unit's position."""
    density = (table["cameras"] / table["area_km2"]).to_numpy(float)
    thin = np.flatnonzero(density < np.nanmedian(density))
    if not len(thin) or n == 0:
        z = np.zeros(0)
        return z, z, z.astype(np.int64)
    area = table["area_km2"].to_numpy(float)[thin]
    which = thin[rng.choice(len(thin), size=n, p=area / area.sum())]
    geoms = units.geometry.to_numpy()
    xs, ys = np.empty(n), np.empty(n)
    import shapely

    for k, u in enumerate(which):
        g = geoms[u]
        x0, y0, x1, y1 = g.bounds
        for _ in range(1000):
            px, py = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if shapely.contains_xy(g, px, py):
                break
        else:  # pragma: no cover - a unit too thin to hit: its representative point
            p = g.representative_point()
            px, py = p.x, p.y
        xs[k], ys[k] = px, py
    return xs, ys, which.astype(np.int64)


def prepare(
    views: gpd.GeoDataFrame,
    cameras: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    table: pd.DataFrame,
    settings: Settings,
    *,
    footprints: gpd.GeoSeries | None = None,
    buildings: gpd.GeoDataFrame | None = None,
) -> Prepared:
    """Turn every alternative of every view into cells once, and the cells of each scenario into atoms.

    Parameters
    ----------
    views
        The study's views (:func:`equity.cameras.normalise_cameras`), with ``unit_id``.
    cameras
        The raw cameras the views came from (to normalise them again under each scenario).
    units
        The units, in the metric CRS.
    table
        The study's units table (``cameras``, ``area_km2``), aligned to ``units``.
    settings
        The study's settings.
    footprints
        The views' viewsheds (with buildings or a DEM): the cells are the study's, the views' alternatives
        only take cells away from them, and ``buildings`` marks the cells that are not open. None on open
        ground.
    """
    s = settings
    rng = np.random.default_rng([s.draws_seed, 1])
    surface = footprints is not None
    cell = s.cell_size_m if surface else s.draws_cell_m
    scen = scenario_settings(s)
    # each scenario's views (the same rows as the study's: one record per view whatever the model's numbers)
    model = [normalise_cameras(cameras, ss.replace(unknown_direction="disc")) for _, ss, _ in scen]
    for m in model:
        if len(m) != len(views) or not (m.index == views.index).all():  # pragma: no cover - a model change
            msg = "the scenarios' views do not match the study's"
            raise RuntimeError(msg)
    alpr = (views["kind"] == "ALPR").to_numpy()
    unknown = (views["direction_source"] == "unknown").to_numpy()
    excluded_other = views["excluded_reason"].fillna("").str.startswith("indoor").to_numpy()
    known = views["in_coverage"].to_numpy(bool) & views["fov_deg"].notna().to_numpy() & ~unknown
    multi = unknown & ~excluded_other & ~surface  # drawn directions need no kernel only on open ground
    use = known | multi
    if surface:
        has = np.array([g is not None and not g.is_empty for g in footprints.reindex(views.index).to_numpy()])
        use = use & has
    sel = np.flatnonzero(use)
    offsets = grid_north_offset(views.geometry)
    # per scenario and item: range and lens; unknown views take the lens of their kind
    rng_s = np.column_stack([m["range_m"].to_numpy(float) for m in model])
    fov_s = np.column_stack(
        [
            np.where(unknown, np.where(alpr, ss.alpr_fov_deg, ss.fixed_fov_deg), m["fov_deg"].to_numpy(float))
            for m, (_, ss, _) in zip(model, scen, strict=True)
        ]
    )
    direction = views["direction_deg"].to_numpy(float)
    # the pool of unmapped cameras (open ground only): copies of random mapped views
    n_in_units = int(views.loc[views["unit_id"].notna(), "camera_id"].nunique())
    rate = 0.0 if surface else s.draws_unmapped_share * n_in_units
    # the pool holds POOL_FACTOR times the number a draw adds but for a chance below 1e-4 (Poisson's tail
    # beyond 4 standard deviations and a few), so that the draws' places vary as fresh places would
    tail = int(np.ceil(rate + 4 * np.sqrt(rate) + 3)) if rate > 0 else 0
    pool_n = max(tail, min(POOL_FACTOR * tail, POOL_MAX))
    px, py, pool_unit = _pool(units, table, pool_n, rng)
    pool_n = len(px)
    templates = rng.choice(np.flatnonzero(known), size=pool_n) if pool_n and known.any() else np.zeros(0, np.int64)
    pool_n = len(templates)
    px, py, pool_unit = px[:pool_n], py[:pool_n], pool_unit[:pool_n]
    pool_dir = rng.uniform(0, 360, pool_n)

    item_x = np.concatenate([views.geometry.x.to_numpy()[sel], px])
    item_y = np.concatenate([views.geometry.y.to_numpy()[sel], py])
    item_r = np.vstack([rng_s[sel], rng_s[templates]]) if pool_n else rng_s[sel]
    item_f = np.vstack([fov_s[sel], fov_s[templates]]) if pool_n else fov_s[sel]
    item_bearing = np.concatenate([direction[sel] + offsets[sel], pool_dir])  # grid bearings (NaN: drawn)
    item_multi = np.concatenate([multi[sel], np.zeros(pool_n, bool)])
    camera_codes, _camera_names = pd.factorize(views["camera_id"])
    item_camera = np.concatenate([camera_codes[sel], np.full(pool_n, -1)])
    item_pool = np.concatenate([np.full(len(sel), -1), np.arange(pool_n)])
    unit_pos = pd.Series(np.arange(len(units)), index=units["unit_id"].to_numpy())
    first = ~pd.Series(camera_codes).duplicated().to_numpy()
    camera_unit = views["unit_id"].map(unit_pos).fillna(-1).astype(np.int64).to_numpy()[first]
    base_r = views["range_m"].to_numpy(float)[sel]
    base_f = views["fov_deg"].to_numpy(float)[sel]

    import shapely

    k = s.draws_directions
    # alternatives: (item, direction) with direction 0 for items of one direction
    n_items = len(item_x)
    n_dirs = np.where(item_multi, k, 1)
    alt_start = np.concatenate([[0], np.cumsum(n_dirs)])
    alt_item = np.repeat(np.arange(n_items), n_dirs)
    alt_dir = np.arange(len(alt_item)) - alt_start[alt_item]
    hashes = rng.integers(1, 2**63 - 1, size=len(alt_item), dtype=np.int64).astype(np.uint64)
    unit_salt = rng.integers(1, 2**63 - 1, size=len(units) + 1, dtype=np.int64).astype(np.uint64)

    rmax = np.nanmax(item_r, axis=1) if n_items else np.zeros(0)
    fmax = np.nanmax(item_f, axis=1) if n_items else np.zeros(0)
    geoms = None
    bbox = np.zeros((n_items, 5))
    if surface:
        geoms = footprints.reindex(views.index).to_numpy()[sel]
        bbox[:, :4] = shapely.bounds(geoms)
    bbox[:, 4] = np.where(np.isnan(item_bearing), 0.0, item_bearing)
    wedge = np.where(item_multi | (fmax >= 360) | np.isnan(item_bearing), 180.0, fmax / 2)
    if not surface:
        bbox[:, :4] = _sector_bounds(item_x, item_y, rmax, bbox[:, 4], wedge)
    tile_m = _TILE_CELLS * cell
    tiles: dict[tuple[int, int], list[int]] = {}
    t_c0, t_r0 = np.floor(bbox[:, 0] / tile_m).astype(int), np.floor(bbox[:, 1] / tile_m).astype(int)
    t_c1, t_r1 = np.floor(bbox[:, 2] / tile_m).astype(int), np.floor(bbox[:, 3] / tile_m).astype(int)
    for i in range(n_items):
        for tr in range(t_r0[i], t_r1[i] + 1):
            for tc in range(t_c0[i], t_c1[i] + 1):
                tiles.setdefault((tr, tc), []).append(i)
    unit_tree = shapely.STRtree(units.geometry.to_numpy())
    blds = buildings if surface and buildings is not None and len(buildings) else None
    building_tree = shapely.STRtree(blds.geometry.to_numpy()) if blds is not None else None
    blocks: list[list[tuple[Any, Any]]] = [[] for _ in scen]
    n_cells = 0
    for (tr, tc), members in sorted(tiles.items()):
        it, cl, ds, br = _tile_pairs(np.asarray(members), tr, tc, cell, item_x, item_y, bbox, rmax, wedge, geoms)
        if not len(it):
            continue
        labels = _tile_labels(tr, tc, cell, units, unit_tree, blds, building_tree).ravel()
        lb = labels[cl]
        inside = lb >= 0
        it, cl, ds, br, lb = it[inside], cl[inside], ds[inside], br[inside], lb[inside]
        n_cells += int(np.count_nonzero(np.r_[True, cl[1:] != cl[:-1]])) if len(cl) else 0
        for j in range(len(scen)):
            alt, pos = _pieces(
                j, it, ds, br, item_r, item_f, item_bearing, item_multi, alt_start, k, cell, surface, base_r, base_f
            )
            sc = _atoms("", 0.0, alt, cl[pos], lb[pos], hashes, unit_salt, len(alt_item), len(units), cell)
            blocks[j].append((sc.members, sc.area))
    scenarios = []
    for j, (name, _, weight) in enumerate(scen):
        if blocks[j]:
            members = sparse.vstack([m for m, _ in blocks[j]], format="csr")
            area = sparse.hstack([a for _, a in blocks[j]], format="csr")
        else:
            members = sparse.csr_matrix((0, len(alt_item)), dtype=np.float32)
            area = sparse.csr_matrix((len(units), 0))
        scenarios.append(Scenario(name, weight, members, area))
    scenarios = _merge_same(scenarios)
    notes = {
        "views_drawn": len(sel),
        "views_unknown_direction_drawn": int(multi.sum()),
        "views_unknown_direction_not_drawn": int((unknown & ~excluded_other & ~multi).sum()),
        "unmapped_cameras_expected_per_draw": round(rate, 3),
        "unmapped_cameras_pool": int(pool_n),
        "cells": n_cells,
        "cell_m": cell,
        "alternatives": len(alt_item),
        "scenarios": len(scenarios),
        "atoms": int(sum(sc.members.shape[0] for sc in scenarios)),
    }
    return Prepared(
        scenarios=scenarios,
        alt_item=alt_item,
        alt_dir=alt_dir,
        item_camera=item_camera,
        item_pool=item_pool,
        item_multi=item_multi,
        camera_unit=camera_unit,
        pool_unit=pool_unit,
        pool_rate=rate,
        directions=k,
        cell_m=cell,
        notes=notes,
    )


def _pieces(
    j: int,
    it: np.ndarray,
    ds: np.ndarray,
    br: np.ndarray,
    item_r: np.ndarray,
    item_f: np.ndarray,
    item_bearing: np.ndarray,
    item_multi: np.ndarray,
    alt_start: np.ndarray,
    k: int,
    cell: float,
    surface: bool,
    base_r: np.ndarray,
    base_f: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The alternatives of scenario ``j`` covering each pair (item, cell): the alternative and the pair's
    position, in the order of the cells. On open ground a view's alternative is its cells within its range and
    lens; with a surface model, the study's viewshed less what a shorter range or a narrower lens leaves out;
    a view of drawn direction has one alternative per direction ``d * 360 / k``."""
    r, f = item_r[it, j], item_f[it, j]
    single = ~item_multi[it]
    pos = np.flatnonzero(single)
    off = np.abs(_wrap(br[pos] - item_bearing[it[pos]]))
    if surface:
        ok = ((r[pos] >= base_r[it[pos]]) | (ds[pos] <= r[pos])) & ((f[pos] >= base_f[it[pos]]) | (off <= f[pos] / 2))
    else:
        ok = (ds[pos] <= r[pos]) & ((f[pos] >= 360) | (off <= f[pos] / 2) | (ds[pos] < cell / 2))
    alts, poss = [alt_start[it[pos[ok]]]], [pos[ok]]
    mpos = np.flatnonzero(~single)
    for d in range(k if len(mpos) else 0):
        ok = (ds[mpos] <= r[mpos]) & (
            (np.abs(_wrap(br[mpos] - d * 360.0 / k)) <= f[mpos] / 2) | (ds[mpos] < cell / 2) | (f[mpos] >= 360)
        )
        alts.append(alt_start[it[mpos[ok]]] + d)
        poss.append(mpos[ok])
    alt, pos = np.concatenate(alts), np.concatenate(poss)
    order = np.argsort(pos, kind="stable")  # back in the order of the cells
    return alt[order], pos[order]


def _atoms(
    name: str,
    weight: float,
    alt: np.ndarray,
    cell: np.ndarray,
    unit: np.ndarray,
    hashes: np.ndarray,
    salt: np.ndarray,
    n_alt: int,
    n_units: int,
    cell_m: float,
) -> Scenario:
    """Group one scenario's cells into atoms: the cells of one unit covered by the same alternatives.

    The set of alternatives covering a cell is told by a 64-bit sum of random numbers, one per alternative,
    salted with the unit's (two different sets share a sum with probability about 2^-64 per pair)."""
    if not len(cell):
        empty = sparse.csr_matrix((0, n_alt), dtype=np.float32)
        return Scenario(name, weight, empty, sparse.csr_matrix((n_units, 0)))
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    with np.errstate(over="ignore"):
        key = np.add.reduceat(hashes[alt], starts) + salt[unit[starts] + 1]
    atoms, atom_of_cell = np.unique(key, return_inverse=True)
    n_atoms = len(atoms)
    cell_unit = unit[starts]
    atom_unit = np.empty(n_atoms, np.int64)
    atom_unit[atom_of_cell] = cell_unit
    atom_cells = np.bincount(atom_of_cell, minlength=n_atoms)
    atom_of_pair = np.repeat(atom_of_cell, np.diff(np.append(starts, len(cell))))
    pair = np.unique(atom_of_pair.astype(np.int64) * n_alt + alt)
    members = sparse.csr_matrix((np.ones(len(pair), np.float32), (pair // n_alt, pair % n_alt)), shape=(n_atoms, n_alt))
    area = sparse.csr_matrix(
        (atom_cells * cell_m**2, (atom_unit, np.arange(n_atoms))), shape=(n_units, n_atoms), dtype=np.float64
    )
    return Scenario(name, weight, members, area)


def _merge_same(scenarios: list[Scenario]) -> list[Scenario]:
    """Scenarios with the same atoms (a level or lens that changes no view: plate readers keep their zone) are
    one, their weights summed."""
    out: list[Scenario] = []
    for sc in scenarios:
        for o in out:
            if (
                o.members.shape == sc.members.shape
                and o.area.shape == sc.area.shape
                and (o.members != sc.members).nnz == 0
                and (o.area != sc.area).nnz == 0
            ):
                o.weight += sc.weight
                o.name += "; " + sc.name
                break
        else:
            out.append(sc)
    return out


# ----------------------------------------------------------------------------------------------------- draws


def _quantile_rows(values: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Each row's ``q[row]`` quantile, linear interpolation between order statistics (as pandas)."""
    v = np.sort(values, axis=1)
    m = v.shape[1]
    pos = q * (m - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, m - 1)
    frac = pos - lo
    rows = np.arange(len(v))
    return v[rows, lo] + (v[rows, hi] - v[rows, lo]) * frac


def classify_draws(
    crime_share: np.ndarray,
    coverage_share: np.ndarray,
    high_crime_q: np.ndarray,
    low_crime_q: np.ndarray,
    low_ratio: np.ndarray,
    high_ratio: np.ndarray,
    high_coverage_q: np.ndarray,
) -> np.ndarray:
    """The classes of :func:`equity.metrics.classify` for many draws at once.

    ``crime_share`` and ``coverage_share`` are draws x units (NaN where unknown; the units whose crime is known
    are the same in every draw); the thresholds are one value per draw. Returns draws x units codes, positions
    in :data:`CLASSES`.
    """
    n_draws, n_units = crime_share.shape
    out = np.full((n_draws, n_units), CLASSES.index("no_data"), np.int8)
    known = ~np.isnan(crime_share[0]) if n_draws else np.zeros(n_units, bool)
    if not known.any():
        return out
    c = crime_share[:, known]
    v = coverage_share[:, known]
    q_hi = _quantile_rows(c, high_crime_q)[:, None]
    q_lo = _quantile_rows(c, low_crime_q)[:, None]
    v_ok = ~np.isnan(v).all(axis=1)
    q_cov = np.full(n_draws, np.nan)
    if v_ok.any():
        vv = v[v_ok]
        # quantile over the known coverage shares of each draw (all known, or all unknown when nothing is seen)
        q_cov[v_ok] = _quantile_rows(vv, high_coverage_q[v_ok])
    with np.errstate(invalid="ignore"):
        under = (c >= q_hi) & (c > 0) & (v < low_ratio[:, None] * c)
        over = (c <= q_lo) & (v > high_ratio[:, None] * c) & (v >= q_cov[:, None])
    cls = np.full(c.shape, CLASSES.index("other"), np.int8)
    cls[under] = CLASSES.index("under_covered")
    cls[over] = CLASSES.index("over_covered")
    cls[np.isnan(v)] = CLASSES.index("no_data")
    out[:, known] = cls
    return out


@dataclass
class DrawValues:
    """The values of every draw: covered area (m²), cameras and crimes per unit, and the classes
    (codes into :data:`CLASSES`), each draws x units; the scenario of each draw."""

    covered: np.ndarray
    cameras: np.ndarray
    crimes: np.ndarray
    classes: np.ndarray
    scenario: np.ndarray


def run_draws(prepared: Prepared, crimes: np.ndarray, settings: Settings, draws: int | None = None) -> DrawValues:
    """Draw ``draws`` times (``settings.draws`` by default) with the seeded generator ``settings.draws_seed``.

    ``crimes``: each unit's recorded count (NaN where unknown, left unknown in every draw).
    """
    s = settings
    n = s.draws if draws is None else draws
    p = prepared
    rng = np.random.default_rng([s.draws_seed, 2])
    n_units = len(crimes)
    weights = np.array([sc.weight for sc in p.scenarios])
    scenario = rng.choice(len(p.scenarios), size=n, p=weights / weights.sum()) if p.scenarios else np.zeros(n, np.int64)
    n_cams = len(p.camera_unit)
    kept_camera = rng.random((n, n_cams)) >= s.draws_camera_omission
    n_pool = len(p.pool_unit)
    added = np.minimum(rng.poisson(p.pool_rate, n), n_pool) if n_pool else np.zeros(n, np.int64)
    # the first `added` cameras of a random order of the pool
    pool_rank = np.argsort(np.argsort(rng.random((n, n_pool)), axis=1), axis=1) if n_pool else np.zeros((n, 0))
    pool_kept = pool_rank < added[:, None]
    direction = rng.integers(0, p.directions, (n, len(p.item_multi)))
    # the alternatives each draw keeps
    item_kept = np.where(
        p.item_camera[None, :] >= 0,
        kept_camera[:, np.maximum(p.item_camera, 0)] if n_cams else False,
        pool_kept[:, np.maximum(p.item_pool, 0)] if n_pool else False,
    )
    covered = np.zeros((n, n_units))
    for j, sc in enumerate(p.scenarios):
        rows = np.flatnonzero(scenario == j)
        for b in range(0, len(rows), _BATCH):
            r = rows[b : b + _BATCH]
            x = item_kept[r][:, p.alt_item] & (~p.item_multi[p.alt_item] | (direction[r][:, p.alt_item] == p.alt_dir))
            hit = sc.members @ x.T.astype(np.float32)  # atoms x draws: kept alternatives covering the atom
            covered[r] = (sc.area @ (hit > 0).astype(np.float64)).T
    # cameras per unit: the kept mapped cameras and the added ones
    cams = np.zeros((n, n_units))
    inside = p.camera_unit >= 0
    for u_pos, k in ((p.camera_unit[inside], kept_camera[:, inside]), (p.pool_unit, pool_kept)):
        if len(u_pos):
            onehot = sparse.csr_matrix(
                (np.ones(len(u_pos)), (np.arange(len(u_pos)), u_pos)), shape=(len(u_pos), n_units)
            )
            cams += (onehot.T @ k.T.astype(np.float64)).T
    drawn = _draw_crimes(rng, crimes, n, s)
    total_crime = np.nansum(drawn, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        crime_share = np.where(total_crime > 0, drawn / total_crime, np.nan)
    known = ~np.isnan(crimes)
    pool = known if known.any() else np.ones(n_units, bool)
    total_cover = covered[:, pool].sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage_share = np.where(total_cover > 0, covered / total_cover, np.nan)
    coverage_share[:, ~pool] = np.nan
    d = s.draws_threshold_spread
    f = np.log(s.draws_ratio_factor)
    hq = np.clip(s.high_crime_quantile + rng.uniform(-d, d, n), 0, 1)
    lq = np.clip(s.low_crime_quantile + rng.uniform(-d, d, n), 0, 1)
    cq = np.clip(s.high_coverage_quantile + rng.uniform(-d, d, n), 0, 1)
    lr = s.low_coverage_ratio * np.exp(rng.uniform(-f, f, n))
    hr = s.high_coverage_ratio * np.exp(rng.uniform(-f, f, n))
    classes = classify_draws(crime_share, coverage_share, hq, lq, lr, hr, cq)
    return DrawValues(covered=covered, cameras=cams, crimes=drawn, classes=classes, scenario=scenario)


def _draw_crimes(rng: np.random.Generator, crimes: np.ndarray, n: int, s: Settings) -> np.ndarray:
    """Each unit's count, drawn around the recorded one (NaN stays NaN)."""
    k = np.asarray(crimes, float)
    known = ~np.isnan(k)
    out = np.full((n, len(k)), np.nan)
    mean = np.broadcast_to(k[known], (n, int(known.sum())))
    if s.draws_crime_model == "poisson":
        out[:, known] = rng.poisson(mean)
    else:
        r = s.draws_crime_dispersion
        # a gamma-Poisson mixture: mean k, variance k + k^2 / r
        out[:, known] = rng.poisson(rng.gamma(r, mean / r))
    return out


def probabilities(
    classes: np.ndarray, unit_ids: Any, baseline: Any, threshold: float
) -> tuple[pd.DataFrame, pd.Series]:
    """Each unit's share of draws in each class, the probability of its class in the study (``p_class``) and
    its robustness (``robust`` when ``p_class >= threshold``)."""
    index = pd.Index(unit_ids, name="unit_id")
    out = pd.DataFrame(index=index)
    for i, c in enumerate(CLASSES):
        out[f"p_{c}"] = (classes == i).mean(axis=0) if len(classes) else np.nan
    base = np.asarray(baseline, dtype=object)
    out["p_class"] = [out.iloc[i][f"p_{c}"] if c in CLASSES else np.nan for i, c in enumerate(base)]
    robust = pd.Series(
        np.where(out["p_class"].to_numpy(float) >= threshold, "robust", "uncertain"), index=index, name="robustness"
    )
    return out, robust


def measure_intervals(units: pd.DataFrame, values: DrawValues, *, level: float = 0.95, every: int = 1) -> pd.DataFrame:
    """The city-level measures (:func:`equity.inequality.city_measures`) of every ``every``-th draw, and the
    percentile interval of each over the draws. The smoothed crime rate is computed again from each draw's
    counts; population, areas and open areas are the study's."""
    base = pd.DataFrame(
        {
            "population": units["population"].to_numpy(float),
            "area_km2": units["area_km2"].to_numpy(float),
            "open_km2": units["open_km2"].to_numpy(float),
        }
    )
    study = {e.name: e.value for e in city_measures(units, samples=0)}
    rows: dict[str, list[float]] = {name: [] for name in study}
    for d in range(0, len(values.covered), every):
        t = base.copy()
        t["crimes"] = values.crimes[d]
        t["cameras"] = values.cameras[d]
        t["covered_km2"] = values.covered[d] / 1e6
        with np.errstate(invalid="ignore", divide="ignore"):
            t["covered_share"] = t["covered_km2"] / t["open_km2"].where(t["open_km2"] > 0)
        t["crimes_per_1k_smoothed"] = smoothed_rate_per_1k(t["crimes"], t["population"])
        for e in city_measures(t, samples=0):
            rows[e.name].append(e.value)
    alpha = (1 - level) / 2
    out = []
    for name, vals in rows.items():
        v = np.asarray(vals, float)
        v = v[np.isfinite(v)]
        q = np.quantile(v, [alpha, 0.5, 1 - alpha]) if len(v) else [np.nan] * 3
        out.append(
            {
                "measure": name,
                "value": study[name],
                "draws_low": float(q[0]),
                "draws_median": float(q[1]),
                "draws_high": float(q[2]),
                "draws_finite": len(v),
            }
        )
    return pd.DataFrame(out)


def uncertainty(inputs: Any, result: Any, *, draws: int | None = None, measures: bool = True) -> Uncertainty:
    """The draws of a study's result (:class:`equity.result.StudyResult` of :func:`equity.analysis.analyse`
    on ``inputs``): prepare the alternatives once, draw, and summarise."""
    import time

    s = result.settings
    t0 = time.perf_counter()
    units = result.units
    footprints = result.sectors if inputs.has_surface else None
    prepared = prepare(
        result.views,
        inputs.cameras,
        inputs.units,
        units,
        s,
        footprints=footprints,
        buildings=inputs.buildings if inputs.has_surface else None,
    )
    t1 = time.perf_counter()
    values = run_draws(prepared, units["crimes"].to_numpy(float), s, draws)
    probs, robust = probabilities(values.classes, units["unit_id"], units["class"], s.draws_robust_probability)
    t2 = time.perf_counter()
    table = measure_intervals(units, values) if measures else pd.DataFrame()
    t3 = time.perf_counter()
    counts = np.bincount(values.scenario, minlength=len(prepared.scenarios))
    scen = pd.DataFrame(
        {
            "scenario": [sc.name for sc in prepared.scenarios],
            "weight": [sc.weight for sc in prepared.scenarios],
            "atoms": [sc.members.shape[0] for sc in prepared.scenarios],
            "draws": counts[: len(prepared.scenarios)],
        }
    )
    return Uncertainty(
        probabilities=probs,
        robustness=robust,
        measures=table,
        scenarios=scen,
        draws=len(values.classes),
        seed=s.draws_seed,
        threshold=s.draws_robust_probability,
        notes=prepared.notes,
        seconds={"prepare": t1 - t0, "draws": t2 - t1, "measures": t3 - t2},
    )


def with_uncertainty(inputs: Any, result: Any) -> Any:
    """Add the draws to ``result``: ``result.uncertainty``, the columns ``p_under_covered``, ``p_over_covered``
    and ``p_class`` of the units, their ``robustness`` from the probabilities, and the ledger's counts."""
    u = uncertainty(inputs, result)
    result.uncertainty = u
    ids = result.units["unit_id"]
    if "robustness" in result.units:  # written after the probabilities it follows from
        result.units = result.units.drop(columns="robustness")
    for col in ("p_under_covered", "p_over_covered", "p_class"):
        result.units[col] = ids.map(u.probabilities[col]).to_numpy()
    result.units["robustness"] = ids.map(u.robustness).to_numpy()
    ledger = result.ledger
    ledger.count("draws", u.draws)
    ledger.count("draws_units_uncertain", len(u.uncertain))
    for key, value in u.notes.items():
        ledger.count(f"draws_{key}", value)
    if u.notes.get("views_unknown_direction_not_drawn"):
        ledger.warn(
            f"{u.notes['views_unknown_direction_not_drawn']} views of unknown direction were not drawn in the "
            "uncertainty draws: with buildings or a DEM a drawn direction would need the viewshed kernel again."
        )
    return result
