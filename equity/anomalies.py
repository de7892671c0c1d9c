"""Cameras placed against the pattern: far from other cameras, far from crime, looking into homes.

Each camera (its first view stands for it) gets three component scores in [0, 1], each its rank in the city's
distribution, so that they can be compared and averaged:

- isolation ``s_iso = F_d(d)``: ``d`` the distance to the nearest other camera, ``F_d`` the share of the city's
  cameras whose nearest other camera is at most as far (1: the most isolated camera);
- low need ``s_need = 1 - G_k(k)``: ``k`` the incidents within ``radius_m`` of the camera, ``G_k`` the share
  of the city's cameras with strictly fewer (1: no camera has less crime around it); without crime data, the
  residents per km² of the camera's unit stand in for ``k``;
- intrusion ``s_int``: the intrusion score of :mod:`equity.homes` (the share of private residential land in
  the part of its view that is private or public); unknown when no buildings were given.

The anomaly score is the mean of the known components, ``A = mean(s_iso, s_need, s_int)``, and a camera is
flagged when ``A >= flag_score``. Public mode: the explanation of a flag gives distances, counts and shares;
never a home or a person.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from equity.settings import Settings


@dataclass(frozen=True)
class AnomalySettings:
    """Thresholds of the anomaly scores: the ``anomaly_`` fields of :class:`equity.settings.Settings`,
    documented there, without their prefix (``radius_m``, ``flag_score``, ``lonely_m``). ``AnomalySettings()``
    holds their defaults; a study's come from :meth:`from_settings`."""

    radius_m: float = Settings.anomaly_radius_m
    flag_score: float = Settings.anomaly_flag_score
    lonely_m: float = Settings.anomaly_lonely_m

    @classmethod
    def from_settings(cls, settings: Settings) -> AnomalySettings:
        """The ``anomaly_`` fields of ``settings``."""
        return cls(
            radius_m=settings.anomaly_radius_m,
            flag_score=settings.anomaly_flag_score,
            lonely_m=settings.anomaly_lonely_m,
        )


def _rank(values: np.ndarray) -> np.ndarray:
    """Empirical CDF at each value: the share of values at most as large (ties share the larger rank)."""
    s = pd.Series(values)
    return (s.rank(method="max") / s.notna().sum()).to_numpy()


def _share_below(values: np.ndarray) -> np.ndarray:
    """The share of values strictly smaller than each value."""
    s = pd.Series(values)
    return ((s.rank(method="min") - 1) / s.notna().sum()).to_numpy()


def incidents_within(cameras: gpd.GeoDataFrame, crime: gpd.GeoDataFrame, radius_m: float) -> np.ndarray:
    """The number of incidents within ``radius_m`` of each camera: ``#{j : |c_i - p_j| <= r}``.

    Counted with a k-d tree (scipy's ``cKDTree.query_ball_point`` with ``return_length``), which returns the
    counts without listing the pairs: a million incidents around a few thousand cameras are millions of pairs,
    which a spatial index query would hold in memory.

    Examples
    --------
    >>> cams = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 1000], [0, 0]), crs=3857)
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 100, 150, 151, 1000], [0] * 5), crs=3857)
    >>> incidents_within(cams, pts, 150).tolist()
    [3, 1]
    """
    if not len(cameras) or not len(crime):
        return np.zeros(len(cameras), dtype=int)
    tree = cKDTree(shapely.get_coordinates(crime.geometry.to_numpy()))
    return np.asarray(
        tree.query_ball_point(shapely.get_coordinates(cameras.geometry.to_numpy()), radius_m, return_length=True),
        dtype=int,
    )


def nearest_other(cameras: gpd.GeoDataFrame) -> np.ndarray:
    """The distance from each camera to the nearest other camera at another place, in metres (NaN with fewer
    than two places): cameras on the same point (several cameras on one pole) do not count as each other's
    neighbours.

    Found with a k-d tree (scipy's ``cKDTree``) over the distinct places: the two nearest places of each place
    are itself and its nearest other place, and each camera takes its place's distance. Cameras that share a
    point are one place, so that many cameras on one point cost no more than one (counting them instead made
    100,000 cameras on one point take 33 s). shapely's ``STRtree.query_nearest`` answers the same question
    (with ``exclusive=True``) about fifteen times slower.

    Examples
    --------
    >>> cams = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 0, 30, 100], [0, 0, 40, 0]), crs=3857)
    >>> nearest_other(cams).tolist()
    [50.0, 50.0, 50.0, 80.62257748298549]
    """
    geoms = cameras.geometry.to_numpy()
    located = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))  # the others stay NaN
    out = np.full(len(cameras), np.nan)
    n = len(located)
    if n < 2:
        return out
    xy = shapely.get_coordinates(geoms[located])
    places, place_of = np.unique(xy, axis=0, return_inverse=True)
    if len(places) < 2:  # every camera on one point: no other place
        return out
    dist, _ = cKDTree(places).query(places, k=2)
    found = dist[:, 1][np.ravel(place_of)]
    out[located] = found
    return out


def anomaly_scores(
    cameras: gpd.GeoDataFrame,
    crime: gpd.GeoDataFrame | None,
    *,
    intrusion: pd.Series | None = None,
    density: pd.Series | None = None,
    settings: AnomalySettings | None = None,
    period: str | None = None,
    nearest_m: np.ndarray | None = None,
    incidents: np.ndarray | None = None,
    explain: bool = True,
) -> pd.DataFrame:
    """Component scores, anomaly score, rank, flag and a one-sentence explanation per camera.

    Parameters
    ----------
    cameras : geopandas.GeoDataFrame
        One row per camera (metric CRS) with ``camera_id``.
    crime : geopandas.GeoDataFrame or None
        Incident points (same CRS), or None when there is no crime data.
    intrusion : pandas.Series, optional
        Intrusion score per camera (aligned to ``cameras``; NaN where unknown).
    density : pandas.Series, optional
        Residents per km² of each camera's unit: the stand-in for need without crime data.
    period : str, optional
        The crime data's period in words ("2012-07-01 to 2012-12-31"), for the explanations.
    nearest_m : numpy.ndarray, optional
        :func:`nearest_other` of the cameras, when it is known already.
    incidents : numpy.ndarray, optional
        :func:`incidents_within` the settings' radius of each camera, when it is known already.
    explain : bool
        Write the explanations of the flagged cameras (default); off for the variants of
        :func:`flag_sensitivity`, which only read the flags.
    """
    a = settings or AnomalySettings()
    n = len(cameras)
    nearest = nearest_other(cameras) if nearest_m is None else np.asarray(nearest_m, float)
    out = pd.DataFrame({"nearest_camera_m": nearest}, index=cameras.index)
    out["isolation_score"] = _rank(nearest) if n > 1 else np.nan
    if crime is not None and len(crime):
        counts = incidents_within(cameras, crime, a.radius_m) if incidents is None else np.asarray(incidents)
        out["incidents_nearby"] = counts
        out["need_score"] = 1.0 - _share_below(counts.astype(float))
        out["need_basis"] = f"incidents within {a.radius_m:g} m"
    elif density is not None:
        out["incidents_nearby"] = np.nan
        out["need_score"] = 1.0 - _share_below(density.to_numpy(float))
        out["need_basis"] = "residents per km² of its unit"
    else:
        out["incidents_nearby"] = np.nan
        out["need_score"] = np.nan
        out["need_basis"] = "unknown"
    out["intrusion_component"] = intrusion.to_numpy(float) if intrusion is not None else np.nan
    comps = out[["isolation_score", "need_score", "intrusion_component"]]
    out["anomaly_score"] = comps.mean(axis=1, skipna=True)
    out["anomaly_components"] = comps.notna().sum(axis=1)
    out["anomaly_rank"] = out["anomaly_score"].rank(ascending=False, method="min").astype("Int64")
    out["anomaly_flag"] = out["anomaly_score"] >= a.flag_score
    explanation = np.full(n, None, dtype=object)
    flagged = np.flatnonzero(out["anomaly_flag"].to_numpy(bool)) if explain else np.zeros(0, int)
    # one sentence per flagged camera only (walking the rows of a frame is slow)
    explanation[flagged] = [_explain(row, a, period) for _, row in out.iloc[flagged].iterrows()]
    out["anomaly_explanation"] = explanation
    return out


def _explain(row: pd.Series, a: AnomalySettings, period: str | None) -> str:
    parts = []
    d = row["nearest_camera_m"]
    if d == d:
        parts.append(
            f"no other camera within {a.lonely_m:g} m" if d >= a.lonely_m else f"nearest other camera {d:.0f} m away"
        )
    k = row["incidents_nearby"]
    if k == k:
        when = f" between {period}" if period else ""
        parts.append(f"{int(k)} incident{'s' if k != 1 else ''} within {a.radius_m:g} m{when}")
    elif row["need_basis"] != "unknown":
        parts.append(f"few residents around (need ranked {100 * (1 - row['need_score']):.0f}th percentile)")
    i = row["intrusion_component"]
    if i == i:
        parts.append(f"{100 * i:.0f}% of the private and public land in its view is homes and their yards")
    return "; ".join(parts)


def flag_variants(settings: AnomalySettings) -> list[AnomalySettings]:
    """The thresholds under which a flag must also hold to be robust, in this order: half the radius, twice
    the radius, and a flag score 0.05 higher (at most 1; a lower one would only add flags).

    Examples
    --------
    >>> [(v.radius_m, round(v.flag_score, 2)) for v in flag_variants(AnomalySettings())]
    [(75.0, 0.9), (300.0, 0.9), (150.0, 0.95)]
    """
    b = settings
    return [
        AnomalySettings(radius_m=b.radius_m / 2, flag_score=b.flag_score, lonely_m=b.lonely_m),
        AnomalySettings(radius_m=b.radius_m * 2, flag_score=b.flag_score, lonely_m=b.lonely_m),
        AnomalySettings(radius_m=b.radius_m, flag_score=min(1.0, b.flag_score + 0.05), lonely_m=b.lonely_m),
    ]


def flag_sensitivity(
    cameras: gpd.GeoDataFrame, crime: gpd.GeoDataFrame | None, base: pd.DataFrame, **kwargs: object
) -> pd.Series:
    """Whether each flag survives plausible changes of the thresholds: half and twice the radius, and a flag
    score 0.05 higher. ``robust`` when flagged under all of them, ``fragile`` when flagged in the baseline but
    not under one of them; None for cameras not flagged."""
    b = kwargs.pop("settings", None) or AnomalySettings()
    variants = flag_variants(b)
    survive = base["anomaly_flag"].copy()
    nearest = base["nearest_camera_m"].to_numpy(float)  # the same cameras: the same neighbours
    for v in variants:
        same_radius = v.radius_m == b.radius_m and "incidents_nearby" in base and base["incidents_nearby"].notna().all()
        scores = anomaly_scores(
            cameras,
            crime,
            settings=v,
            nearest_m=nearest,
            incidents=base["incidents_nearby"].to_numpy() if same_radius else None,
            explain=False,
            **kwargs,
        )
        survive &= scores["anomaly_flag"]
    out = pd.Series(None, index=base.index, dtype=object)
    out[base["anomaly_flag"]] = np.where(survive[base["anomaly_flag"]], "robust", "fragile")
    return out
