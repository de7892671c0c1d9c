"""Homes in view: which cameras look into private homes, reported without exposing the people who live there.

A camera's view is split by the land it falls on: private residential land (homes' yards and residential
land use), public space (streets, squares, parks) and other land. A home counts as seen by a camera when a cell
along one of its façades (an open cell within ``ring_m`` of its footprint) is visible at a window height, the
ground floor's (1.5 m) or the first floor's (4.5 m), or when a cell of its yard (private residential land
within ``yard_m`` of it) is visible at a person's height. These settings (:class:`HomeSettings`) are the
``homes_`` fields of :class:`equity.settings.Settings`.

Privacy: everything this module returns about a camera is about public infrastructure and may be published;
what it returns about single homes (:attr:`HomesInView.per_home`) is personal data and is written only in an
internal analysis (``privacy="internal"``). Public outputs carry counts and shares per camera and per unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numba
import numpy as np
import pandas as pd

from equity._progress import progress
from equity.projection import grid_north_offset
from equity.settings import Settings
from equity.visibility import Surface, vertical_fov
from equity.visibility.surface import burn_polygons
from equity.visibility.viewshed import sector_box, viewshed_window_heights

#: OSM ``building`` values of homes (https://wiki.openstreetmap.org/wiki/Key:building, "Accommodation").
RESIDENTIAL_BUILDINGS = frozenset(
    {
        "house",
        "residential",
        "apartments",
        "detached",
        "semidetached_house",
        "terrace",
        "bungalow",
        "dormitory",
        "farm",
        "cabin",
        "houseboat",
        "static_caravan",
        "stilt_house",
        "ger",
        "trullo",
        "annexe",
    }
)

#: ``building`` values that say nothing about use: inside residential land use they count as probable homes.
UNSPECIFIED_BUILDINGS = frozenset({"yes", "building", "true", "1"})

#: Land classes of the surface's cells.
LAND_OTHER, LAND_PRIVATE, LAND_PUBLIC, LAND_BUILDING = 0, 1, 2, 3


@dataclass(frozen=True)
class HomeSettings:
    """The settings of the homes-in-view analysis: the ``homes_`` fields of :class:`equity.settings.Settings`,
    documented there, without their prefix. ``HomeSettings()`` holds their defaults; a study's come from
    :meth:`from_settings`."""

    window_heights_m: tuple[float, ...] = Settings.homes_window_heights_m
    ring_m: float = Settings.homes_ring_m
    yard_m: float = Settings.homes_yard_m
    yard_min_m2: float = Settings.homes_yard_min_m2
    street_half_width_m: float = Settings.homes_street_half_width_m
    flag_share: float = Settings.homes_flag_share

    @classmethod
    def from_settings(cls, settings: Settings) -> HomeSettings:
        """The ``homes_`` fields of ``settings``."""
        return cls(
            window_heights_m=settings.homes_window_heights_m,
            ring_m=settings.homes_ring_m,
            yard_m=settings.homes_yard_m,
            yard_min_m2=settings.homes_yard_min_m2,
            street_half_width_m=settings.homes_street_half_width_m,
            flag_share=settings.homes_flag_share,
        )


def classify_homes(
    buildings: gpd.GeoDataFrame, residential: gpd.GeoSeries | None = None, *, home_column: str | None = None
) -> pd.Series:
    """``home``, ``probable`` or None for each building.

    A building is a home when its ``building`` value is in :data:`RESIDENTIAL_BUILDINGS` (or, with
    ``home_column``, when that column of the building's tags reads yes/true/1); a building of unspecified type
    (``building=yes``) whose centre lies in residential land use is a probable home, counted apart.
    """
    if home_column is not None:
        marks = buildings["tags"].map(lambda t: str(t.get(home_column, "")).strip().lower() in ("yes", "true", "1"))
        return pd.Series(np.where(marks, "home", None), index=buildings.index, dtype=object)
    kind = buildings["building"].astype(str).str.strip().str.lower()
    out = pd.Series(np.where(kind.isin(RESIDENTIAL_BUILDINGS), "home", None), index=buildings.index, dtype=object)
    if residential is not None and len(residential):
        unspecified = kind.isin(UNSPECIFIED_BUILDINGS)
        centres = buildings.geometry.representative_point()
        inside = centres.intersects(residential.union_all())
        out[unspecified & inside & out.isna()] = "probable"
    return out


def land_classes(
    surface: Surface,
    homes: gpd.GeoDataFrame,
    *,
    residential: gpd.GeoSeries | None = None,
    public: gpd.GeoSeries | None = None,
    streets: gpd.GeoSeries | None = None,
    settings: HomeSettings | None = None,
    yard_cells: np.ndarray | None = None,
) -> np.ndarray:
    """The land class of every cell: private residential, public, building or other (uint8).

    Private residential land is residential land use and every home's yard (its footprint widened by
    ``yard_m``); public space is squares, parks and the like, and every street widened by
    ``street_half_width_m``; public space wins where the two overlap (a street through a residential area is
    public); building cells are buildings whatever the land around them. ``yard_cells``, the cells within
    ``yard_m`` of a home when they are known already (:func:`home_strips`), saves burning them again.
    """
    hs = settings or HomeSettings()
    land = np.full(surface.shape, LAND_OTHER, np.uint8)
    private = []
    if residential is not None:
        private.extend(g for g in residential if g is not None)
    if yard_cells is None:
        private.extend(homes.geometry.buffer(hs.yard_m))
    if private:
        burn_polygons(np.array(private, dtype=object), np.full(len(private), LAND_PRIVATE), land, surface.transform)
    if yard_cells is not None:
        land[yard_cells > 0] = LAND_PRIVATE
    shared = []
    if public is not None:
        shared.extend(g for g in public if g is not None)
    if streets is not None and len(streets):
        shared.extend(streets.buffer(hs.street_half_width_m))
    if shared:
        burn_polygons(np.array(shared, dtype=object), np.full(len(shared), LAND_PUBLIC), land, surface.transform)
    land[surface.building > 0] = LAND_BUILDING
    return land


def facade_rings(surface: Surface, homes: gpd.GeoDataFrame, settings: HomeSettings | None = None) -> np.ndarray:
    """For every open cell within ``ring_m`` of a home, the home's position in ``homes`` plus 1 (else 0)."""
    hs = settings or HomeSettings()
    return home_strips(surface, homes, hs.ring_m)


def yard_labels(
    surface: Surface,
    homes: gpd.GeoDataFrame,
    land: np.ndarray,
    settings: HomeSettings | None = None,
    yard_cells: np.ndarray | None = None,
) -> np.ndarray:
    """For every private residential cell within ``yard_m`` of a home, the home's position plus 1 (else 0):
    the home's yard (the nearest home's, where yards meet: smaller homes are drawn last). ``yard_cells``,
    :func:`home_strips` at ``yard_m`` when known already, saves burning them again."""
    hs = settings or HomeSettings()
    labels = home_strips(surface, homes, hs.yard_m) if yard_cells is None else yard_cells.copy()
    labels[land != LAND_PRIVATE] = 0
    return labels


def home_strips(surface: Surface, homes: gpd.GeoDataFrame, distance: float) -> np.ndarray:
    """For every open cell within ``distance`` of a home, the home's position in ``homes`` plus 1 (else 0);
    where two homes' strips meet, the smaller home's (larger homes are drawn first)."""
    labels = np.zeros(surface.shape, np.int32)
    if len(homes):
        # larger homes first, so that where two strips meet the smaller home keeps its own
        order = np.argsort(-homes.geometry.area.to_numpy(), kind="stable")
        geoms = homes.geometry.buffer(distance).to_numpy()
        burn_polygons(geoms[order], order + 1, labels, surface.transform)
    labels[surface.building > 0] = 0
    return labels


@dataclass
class HomesInView:
    """What each camera view sees of homes, and (personal data) which cameras see each home.

    Attributes
    ----------
    per_view : pandas.DataFrame
        Aligned to the views: ``homes_in_view``, ``probable_homes_in_view``, ``private_m2``, ``public_m2``,
        ``other_m2``, ``intrusion_score`` and ``looks_into_homes``.
    per_home : pandas.DataFrame
        Aligned to the homes: ``seen_by`` (number of views that see it). Personal data: internal use only.
    """

    per_view: pd.DataFrame
    per_home: pd.DataFrame


def homes_in_view(
    views: gpd.GeoDataFrame,
    surface: Surface,
    homes: gpd.GeoDataFrame,
    land: np.ndarray,
    rings: np.ndarray,
    observer: pd.DataFrame,
    settings: Settings | None = None,
    home_settings: HomeSettings | None = None,
    yards: np.ndarray | None = None,
    public_known: bool = True,
) -> HomesInView:
    r"""Homes seen by each view, and the split of its view between private and public land.

    For a view whose visible open cells (at the person height of the coverage analysis) cover ``P`` m² of
    private residential land and ``Q`` m² of public space, its intrusion score is

    .. math:: I = P / (P + Q)

    (empty when it sees neither): 0 for a camera that sees only streets and squares, 1 for one that sees only
    homes' yards and residential land. A view "looks into homes" when ``I >= flag_share`` and it sees at least
    one home. A home is seen when a cell of its façade strip is visible at one of the window heights, or a
    cell of its yard (:func:`yard_labels`, passed as ``yards``; computed when None) at the person height.
    ``observer`` gives each view's observer cell and height, as computed by
    :func:`equity.visibility.viewsheds`. With ``public_known`` False (no street network and no public spaces
    were given) the public area is unknown, and the score is left empty rather than read as 1.
    ``home_settings`` default to :meth:`HomeSettings.from_settings` of ``settings``.
    """
    s = settings or Settings()
    sweep = HomesSweep(views, surface, homes, land, rings, s, home_settings, yards)
    status = observer["status"].to_numpy()
    rows, cols = observer["row"].to_numpy(np.int64), observer["col"].to_numpy(np.int64)
    heights = observer["observer_m"].to_numpy(float)
    nrows, ncols = surface.shape
    for i in progress(range(len(views)), total=len(views), desc="homes in view of cameras"):
        if status[i] not in ("ok", "moved off a building"):
            continue
        r, c, zo = int(rows[i]), int(cols[i]), float(heights[i])
        r0, r1, c0, c1 = sector_box(
            r, c, float(sweep.rng[i]), surface.cell, float(sweep.bearing[i]), float(sweep.fov[i]), nrows, ncols
        )
        window = np.zeros((r1 - r0 + 1, c1 - c0 + 1), np.uint8)
        facade = np.zeros_like(window)
        sweep.kernel(window, facade, i, r, c, zo, r0, c0)
        sweep.view(i, r0, c0, window, facade)
    return sweep.result(public_known=public_known)


class HomesSweep:
    """The homes-in-view analysis one view at a time, from the view's window at the person height and its
    window at the window heights (both from the coverage sweep, so that nothing is swept twice:
    :func:`equity.visibility.viewsheds` hands them over). See :func:`homes_in_view` for what it computes."""

    def __init__(
        self,
        views: gpd.GeoDataFrame,
        surface: Surface,
        homes: gpd.GeoDataFrame,
        land: np.ndarray,
        rings: np.ndarray,
        settings: Settings | None = None,
        home_settings: HomeSettings | None = None,
        yards: np.ndarray | None = None,
    ) -> None:
        self.s = settings or Settings()
        self.hs = home_settings or HomeSettings.from_settings(self.s)
        self.surface, self.land, self.rings = surface, land, rings
        self.yards = yard_labels(surface, homes, land, self.hs) if yards is None else yards
        n = len(views)
        self.index = views.index
        self.homes_index = homes.index
        kinds = homes["home"].to_numpy() if len(homes) else np.array([], dtype=object)
        self.probable = np.array([k == "probable" for k in kinds], bool)
        self.seen_by = np.zeros(len(homes), np.int64)
        self.cols = {
            k: np.zeros(n) for k in ("homes_in_view", "probable_homes_in_view", "private_m2", "public_m2", "other_m2")
        }
        offsets = grid_north_offset(views.geometry) if n else np.zeros(0)
        direction = views["direction_deg"].to_numpy(float)
        self.bearing = np.where(np.isnan(direction), 0.0, direction) + offsets
        self.fov = views["fov_deg"].to_numpy(float)
        self.rng = views["range_m"].to_numpy(float)
        self.tilt = views["tilt_deg"].to_numpy(float)
        self.vfov = np.array([vertical_fov(f, self.s.lens_fov_cap_deg) if f == f else 0.0 for f in self.fov])

    def kernel(self, out: np.ndarray, facade: np.ndarray, i: int, r: int, c: int, zo: float, r0: int, c0: int) -> int:
        """Sweep view ``i`` from cell ``(r, c)`` at height ``zo`` into ``out`` (targets at the person height)
        and ``facade`` (targets at the window heights), windows whose upper-left cell is ``(r0, c0)``."""
        return viewshed_window_heights(
            self.surface.dsm,
            r,
            c,
            zo,
            self.s.target_height_m,
            self.surface.cell,
            float(self.rng[i]),
            float(self.bearing[i]),
            float(self.fov[i]),
            float(self.tilt[i]),
            float(self.vfov[i]),
            self.s.curvature_coeff,
            out,
            r0,
            c0,
            np.asarray(self.hs.window_heights_m, np.float64),
            facade,
        )

    def view(self, i: int, r0: int, c0: int, window: np.ndarray, facade: np.ndarray) -> None:
        """Add view ``i`` from its windows (upper-left cell ``(r0, c0)``): ``window``, the cells seen at the
        person height, and ``facade``, those seen at a window height
        (:func:`equity.visibility.viewshed.viewshed_window_heights`)."""
        cell = self.surface.cell
        counts, yard_cells, facade_cells = _view_cells(window, facade, self.land, self.yards, self.rings, r0, c0)
        self.cols["private_m2"][i] = counts[LAND_PRIVATE] * cell * cell
        self.cols["public_m2"][i] = counts[LAND_PUBLIC] * cell * cell
        self.cols["other_m2"][i] = counts[LAND_OTHER] * cell * cell
        labels, n_cells = np.unique(yard_cells, return_counts=True)
        seen_yards = labels[n_cells * cell * cell >= self.hs.yard_min_m2]
        seen = np.unique(np.concatenate([facade_cells, seen_yards])) - 1
        if len(seen) == 0:
            return
        self.seen_by[seen] += 1
        probable = int(self.probable[seen].sum())
        self.cols["probable_homes_in_view"][i] = probable
        self.cols["homes_in_view"][i] = len(seen) - probable

    def result(self, *, public_known: bool = True) -> HomesInView:
        """The figures of the views added, aligned to the views (zeros for the others)."""
        per_view = pd.DataFrame(self.cols, index=self.index)
        for col in ("homes_in_view", "probable_homes_in_view"):
            per_view[col] = per_view[col].astype("int64")
        classified = per_view["private_m2"] + per_view["public_m2"]
        per_view["intrusion_score"] = (per_view["private_m2"] / classified.where(classified > 0)).astype(float)
        if not public_known:  # without streets or public spaces, Q is unknown, not zero: no score, no flag
            per_view["intrusion_score"] = np.nan
        per_view["looks_into_homes"] = (per_view["intrusion_score"] >= self.hs.flag_share) & (
            per_view["homes_in_view"] + per_view["probable_homes_in_view"] > 0
        )
        return HomesInView(per_view=per_view, per_home=pd.DataFrame({"seen_by": self.seen_by}, index=self.homes_index))


@numba.njit(cache=True, nogil=True)
def _view_cells(
    window: np.ndarray,
    facade: np.ndarray,
    land: np.ndarray,
    yards: np.ndarray,
    rings: np.ndarray,
    r0: int,
    c0: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """For the cells of a view's windows (upper-left cell ``(r0, c0)`` of the rasters): the count of each
    land class among the cells of ``window`` (seen at the person height), their yard labels (one per cell,
    non-zero only), and the façade labels of the cells of ``facade`` (seen at a window height).

    Only the rectangle of the windows' seen cells is read from the rasters: the windows are swept first for
    the rows and columns that hold a seen cell (a view's sector fills a fraction of its square window)."""
    nrows, ncols = window.shape
    counts = np.zeros(LAND_BUILDING + 1, np.int64)
    lo_r, hi_r, lo_c, hi_c = nrows, -1, ncols, -1
    for i in range(nrows):
        first = -1
        last = -1
        for j in range(ncols):
            if window[i, j] | facade[i, j]:
                if first < 0:
                    first = j
                last = j
        if first >= 0:
            lo_r = min(lo_r, i)
            hi_r = i
            lo_c = min(lo_c, first)
            hi_c = max(hi_c, last)
    n_cells = max(0, hi_r - lo_r + 1) * max(0, hi_c - lo_c + 1)
    yard_found = np.empty(n_cells, yards.dtype)
    facade_found = np.empty(n_cells, rings.dtype)
    n_yard = 0
    n_facade = 0
    for i in range(lo_r, hi_r + 1):
        for j in range(lo_c, hi_c + 1):
            if window[i, j]:
                counts[land[r0 + i, c0 + j]] += 1
                if yards[r0 + i, c0 + j] > 0:
                    yard_found[n_yard] = yards[r0 + i, c0 + j]
                    n_yard += 1
            if facade[i, j] and rings[r0 + i, c0 + j] > 0:
                facade_found[n_facade] = rings[r0 + i, c0 + j]
                n_facade += 1
    return counts, yard_found[:n_yard], facade_found[:n_facade]


def homes_by_unit(homes: gpd.GeoDataFrame, seen_by: pd.Series, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per unit: homes and probable homes, and those seen by at least one camera (counts and share).

    A home belongs to the unit that holds its centre. Only these aggregates leave the analysis in public mode.
    """
    from equity.coverage import assign_units

    out = pd.DataFrame(index=units.index)
    if len(homes) == 0:
        for col in ("homes", "probable_homes", "homes_in_view", "probable_homes_in_view"):
            out[col] = 0
        out["homes_in_view_share"] = np.nan
        return out
    unit_of = assign_units(gpd.GeoSeries(homes.geometry.representative_point(), crs=homes.crs), units)
    frame = pd.DataFrame({"unit": unit_of, "kind": homes["home"].to_numpy(), "seen": seen_by.to_numpy() > 0})
    for col, kind, seen_only in (
        ("homes", "home", False),
        ("probable_homes", "probable", False),
        ("homes_in_view", "home", True),
        ("probable_homes_in_view", "probable", True),
    ):
        sel = frame[(frame["kind"] == kind) & (frame["seen"] | (not seen_only))]
        out[col] = units["unit_id"].map(sel.groupby("unit").size()).fillna(0).astype("int64").to_numpy()
    out["homes_in_view_share"] = (out["homes_in_view"] / out["homes"].where(out["homes"] > 0)).astype(float)
    return out
