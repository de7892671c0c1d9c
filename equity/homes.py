"""Homes in view: which cameras look into private homes, reported without exposing the people who live there.

A camera's view is split by the land it falls on: private residential land (homes' yards and residential
land use), public space (streets, squares, parks) and other land. A home counts as seen by a camera when a cell
along one of its façades (an open cell within :attr:`HomeSettings.ring_m` of its footprint) is visible at a
window height, the ground floor's (1.5 m) or the first floor's (4.5 m), or when a cell of its yard (private
residential land within :attr:`HomeSettings.yard_m` of it) is visible at a person's height.

Privacy: everything this module returns about a camera is about public infrastructure and may be published;
what it returns about single homes (:attr:`HomesInView.per_home`) is personal data and is written only in an
internal analysis (``privacy="internal"``). Public outputs carry counts and shares per camera and per unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from equity._progress import progress
from equity.cameras import grid_north_offset
from equity.settings import Settings
from equity.visibility import Surface, vertical_fov
from equity.visibility.surface import burn_polygons
from equity.visibility.viewshed import viewshed_window

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
    """Documented defaults of the homes-in-view analysis.

    Attributes
    ----------
    window_heights_m
        Heights above the ground at which a façade is looked at: a ground-floor window (1.5 m) and a
        first-floor window (4.5 m).
    ring_m
        Width of the strip along a home's footprint whose cells stand for its façade (2 m).
    yard_m
        Distance around a home counted as its private yard when no residential land use is mapped (10 m);
        streets and public spaces inside it stay public.
    yard_min_m2
        Area of a home's yard that a camera must see for the home to count as seen through its yard (20 m²):
        a glimpse of a strip of land in front of a garden wall is not a look into the yard.
    street_half_width_m
        Half the width given to a street centre line to make it public space (4 m: an 8 m street).
    flag_share
        A camera "looks mostly into homes" when its intrusion score is at least this share (0.5) and it sees
        at least one home.
    """

    window_heights_m: tuple[float, ...] = (1.5, 4.5)
    ring_m: float = 2.0
    yard_m: float = 10.0
    yard_min_m2: float = 20.0
    street_half_width_m: float = 4.0
    flag_share: float = 0.5


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
) -> np.ndarray:
    """The land class of every cell: private residential, public, building or other (uint8).

    Private residential land is residential land use and every home's yard (its footprint widened by
    ``yard_m``); public space is squares, parks and the like, and every street widened by
    ``street_half_width_m``; public space wins where the two overlap (a street through a residential area is
    public); building cells are buildings whatever the land around them.
    """
    hs = settings or HomeSettings()
    land = np.full(surface.shape, LAND_OTHER, np.uint8)
    private = []
    if residential is not None:
        private.extend(g for g in residential if g is not None)
    private.extend(homes.geometry.buffer(hs.yard_m))
    if private:
        burn_polygons(np.array(private, dtype=object), np.full(len(private), LAND_PRIVATE), land, surface.transform)
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
    return _home_labels(surface, homes, hs.ring_m)


def yard_labels(
    surface: Surface, homes: gpd.GeoDataFrame, land: np.ndarray, settings: HomeSettings | None = None
) -> np.ndarray:
    """For every private residential cell within ``yard_m`` of a home, the home's position plus 1 (else 0):
    the home's yard (the nearest home's, where yards meet: smaller homes are drawn last)."""
    hs = settings or HomeSettings()
    labels = _home_labels(surface, homes, hs.yard_m)
    labels[land != LAND_PRIVATE] = 0
    return labels


def _home_labels(surface: Surface, homes: gpd.GeoDataFrame, distance: float) -> np.ndarray:
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
    """
    s = settings or Settings()
    hs = home_settings or HomeSettings()
    if yards is None:
        yards = yard_labels(surface, homes, land, hs)
    n = len(views)
    cell = surface.cell
    kinds = homes["home"].to_numpy() if len(homes) else np.array([], dtype=object)
    probable = np.array([k == "probable" for k in kinds], bool)
    seen_by = np.zeros(len(homes), np.int64)
    cols = {k: np.zeros(n) for k in ("homes_in_view", "probable_homes_in_view", "private_m2", "public_m2", "other_m2")}
    offsets = grid_north_offset(views.geometry) if n else np.zeros(0)
    nrows, ncols = surface.shape
    for i in progress(range(n), total=n, desc="homes in view of cameras"):
        status = observer["status"].iloc[i]
        if status not in ("ok", "moved off a building"):
            continue
        r, c = int(observer["row"].iloc[i]), int(observer["col"].iloc[i])
        zo = float(observer["observer_m"].iloc[i])
        fov = float(views["fov_deg"].iloc[i])
        rng = float(views["range_m"].iloc[i])
        direction = views["direction_deg"].iloc[i]
        bearing = (0.0 if pd.isna(direction) else float(direction)) + float(offsets[i])
        tilt = views["tilt_deg"].iloc[i]
        tilt = np.nan if pd.isna(tilt) else float(tilt)
        vfov = vertical_fov(fov, s.lens_fov_cap_deg)
        reach = math.floor(rng / cell)
        r0, r1 = max(0, r - reach), min(nrows - 1, r + reach)
        c0, c1 = max(0, c - reach), min(ncols - 1, c + reach)
        window = np.zeros((r1 - r0 + 1, c1 - c0 + 1), np.uint8)
        viewshed_window(
            surface.dsm,
            r,
            c,
            zo,
            s.target_height_m,
            cell,
            rng,
            bearing,
            fov,
            tilt,
            vfov,
            s.curvature_coeff,
            window,
            r0,
            c0,
        )
        land_w = land[r0 : r1 + 1, c0 : c1 + 1][window > 0]
        cols["private_m2"][i] = np.count_nonzero(land_w == LAND_PRIVATE) * cell * cell
        cols["public_m2"][i] = np.count_nonzero(land_w == LAND_PUBLIC) * cell * cell
        cols["other_m2"][i] = np.count_nonzero(land_w == LAND_OTHER) * cell * cell
        yard_w = yards[r0 : r1 + 1, c0 : c1 + 1]
        yard_cells = yard_w[(window > 0) & (yard_w > 0)]
        labels, n_cells = np.unique(yard_cells, return_counts=True)
        seen_yards = labels[n_cells * cell * cell >= hs.yard_min_m2]
        ring_w = rings[r0 : r1 + 1, c0 : c1 + 1]
        seen_facades = np.zeros(0, np.int32)
        if ring_w.any():
            facade = np.zeros_like(window)
            for height in hs.window_heights_m:
                viewshed_window(
                    surface.dsm,
                    r,
                    c,
                    zo,
                    height,
                    cell,
                    rng,
                    bearing,
                    fov,
                    tilt,
                    vfov,
                    s.curvature_coeff,
                    facade,
                    r0,
                    c0,
                )
            seen_facades = ring_w[(facade > 0) & (ring_w > 0)]
        seen = np.unique(np.concatenate([seen_facades, seen_yards])) - 1
        if len(seen) == 0:
            continue
        seen_by[seen] += 1
        cols["probable_homes_in_view"][i] = int(probable[seen].sum())
        cols["homes_in_view"][i] = len(seen) - cols["probable_homes_in_view"][i]
    per_view = pd.DataFrame(cols, index=views.index)
    for col in ("homes_in_view", "probable_homes_in_view"):
        per_view[col] = per_view[col].astype("int64")
    classified = per_view["private_m2"] + per_view["public_m2"]
    per_view["intrusion_score"] = (per_view["private_m2"] / classified.where(classified > 0)).astype(float)
    if not public_known:  # without streets or public spaces, Q is unknown, not zero: no score, no flag
        per_view["intrusion_score"] = np.nan
    per_view["looks_into_homes"] = (per_view["intrusion_score"] >= hs.flag_share) & (
        per_view["homes_in_view"] + per_view["probable_homes_in_view"] > 0
    )
    return HomesInView(per_view=per_view, per_home=pd.DataFrame({"seen_by": seen_by}, index=homes.index))


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
