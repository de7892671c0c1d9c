"""Who watches: cameras and covered area by operator and by ownership.

Operators are normalised for counting, not rewritten: cameras with the same ``operator:wikidata`` are one
operator; otherwise names are compared without case, repeated spaces and trailing full stops. The label shown
is the spelling most cameras of that operator use. A camera without an operator tag is counted under
"unknown", never dropped.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from equity.coverage import union_of_views

UNKNOWN = "unknown"


def _name_key(name: object) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return None
    return re.sub(r"\s+", " ", name).strip().rstrip(".").casefold()


def normalise_operators(views: pd.DataFrame) -> pd.Series:
    """The normalised operator of every view (its display label), aligned to ``views``.

    Key: ``operator:wikidata`` when tagged (a Wikidata id such as Q1320247), else the name compared without
    case, spacing and a trailing full stop; no operator at all: ``unknown``. Label: the most common spelling
    among the cameras sharing the key (ties: the first in alphabetical order).
    """
    wikidata = views["tags"].map(lambda t: (json.loads(t) if isinstance(t, str) else t or {}).get("operator:wikidata"))
    names = views["operator"]
    keys = [
        (f"wd:{w.strip()}" if isinstance(w, str) and w.strip() else (f"name:{k}" if (k := _name_key(n)) else None))
        for w, n in zip(wikidata, names, strict=True)
    ]
    frame = pd.DataFrame({"key": keys, "name": names.where(names.notna(), None)}, index=views.index)
    labels: dict[str, str] = {}
    named = frame.dropna(subset=["key", "name"])
    for key, group in named.groupby("key"):
        counts = group["name"].map(lambda s: re.sub(r"\s+", " ", str(s)).strip()).value_counts()
        top = counts[counts == counts.max()].index
        labels[key] = sorted(top)[0]
    return (
        frame["key"].map(lambda k: labels.get(k, k.split(":", 1)[1] if isinstance(k, str) else UNKNOWN)).fillna(UNKNOWN)
    )


def operators_table(
    views: gpd.GeoDataFrame, fields: gpd.GeoSeries | None, *, seen: pd.DataFrame | None = None
) -> pd.DataFrame:
    r"""City-wide: each operator's cameras, views, area in view (km², overlaps counted once) and, when the homes
    analysis ran, the share of its cameras that look mostly into homes. Sorted by cameras, most first.

    The area in view of operator ``o`` is either the area of the union of its views' polygons ``fields``
    (open ground), ``A(o) = |∪_{v ∈ o} F_v| / 10⁶`` km², or, with ``seen`` (the viewshed grid's cells, a table
    with ``operator``, ``unit`` and ``m2``, see :func:`equity.engine.run_tiles`), the sum of its seen open
    cells over the whole grid, units or not, ``A(o) = cell² · #{c : open(c), ∃ v ∈ o : seen_v(c)} / 10⁶``
    km², exact on the grid and computed in time linear in the number of views.
    """
    op = views["operator_normalised"]
    totals = seen.groupby("operator")["m2"].sum() if seen is not None else None
    rows = []
    for name, idx in op.groupby(op).groups.items():
        sel = views.loc[idx]
        if totals is not None:
            area = float(totals.get(name, 0.0)) / 1e6
        else:
            polys = fields.loc[idx].dropna()
            polys = polys[~polys.is_empty]
            area = float(union_of_views(polys.to_numpy()).area) / 1e6 if len(polys) else 0.0
        row = {
            "operator": name,
            "cameras": int(sel["camera_id"].nunique()),
            "views": len(sel),
            "covered_km2": area,
            "public": int((sel.drop_duplicates("camera_id")["ownership"] == "public").sum()),
            "outdoor": int((sel.drop_duplicates("camera_id")["ownership"] == "outdoor").sum()),
            "indoor": int((sel.drop_duplicates("camera_id")["ownership"] == "indoor").sum()),
            "unknown_ownership": int((sel.drop_duplicates("camera_id")["ownership"] == "unknown").sum()),
        }
        if "looks_into_homes" in sel:
            flagged = sel.groupby("camera_id")["looks_into_homes"].any()
            row["share_looking_into_homes"] = float(flagged.mean())
        rows.append(row)
    table = pd.DataFrame(rows)
    return table.sort_values(["cameras", "operator"], ascending=[False, True]).reset_index(drop=True)


def by_unit(
    views: gpd.GeoDataFrame,
    fields: gpd.GeoSeries | None,
    units: gpd.GeoDataFrame,
    *,
    seen: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""Per unit and operator: cameras located in the unit, and the area of the unit in that operator's view.

    A long table with columns ``unit_id``, ``operator``, ``cameras`` and ``covered_km2`` (rows only where an
    operator has a camera or a view in the unit). The area of unit ``u`` in view of operator ``o`` is the area
    of ``u ∩ ∪_{v ∈ o} F_v`` on open ground (``fields``), or, with ``seen`` (:func:`operators_table`), its
    seen open cells, ``cell² · #{c : open(c), unit(c) = u, ∃ v ∈ o : seen_v(c)} / 10⁶`` km².
    """
    rows = []
    geoms = units.geometry.to_numpy()
    per_unit = None
    if seen is not None:
        inside = seen[seen["unit"] >= 0]
        per_unit = dict(list(inside.groupby("operator")))
    for name, idx in views.groupby("operator_normalised").groups.items():
        sel = views.loc[idx]
        cams = sel.dropna(subset=["unit_id"]).groupby("unit_id")["camera_id"].nunique()
        if per_unit is not None:
            areas = np.zeros(len(units))
            part = per_unit.get(name)
            if part is not None:
                np.add.at(areas, part["unit"].to_numpy(np.int64), part["m2"].to_numpy(float) / 1e6)
        else:
            polys = fields.loc[idx].dropna()
            polys = polys[~polys.is_empty]
            union = union_of_views(polys.to_numpy()) if len(polys) else None
            areas = (
                shapely.area(shapely.intersection(geoms, union)) / 1e6 if union is not None else np.zeros(len(units))
            )
        for unit_id, area in zip(units["unit_id"], areas, strict=True):
            n = int(cams.get(unit_id, 0))
            if n or area > 0:
                rows.append({"unit_id": unit_id, "operator": name, "cameras": n, "covered_km2": float(area)})
    return pd.DataFrame(rows, columns=["unit_id", "operator", "cameras", "covered_km2"])


def ownership_by_unit(views: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Per unit: cameras by ownership (public, outdoor, indoor, unknown), counted once per camera."""
    first = views.dropna(subset=["unit_id"]).drop_duplicates("camera_id")
    counts = first.groupby(["unit_id", "ownership"]).size().unstack(fill_value=0)
    out = pd.DataFrame(index=units.index)
    for kind in ("public", "outdoor", "indoor", "unknown"):
        col = counts[kind] if kind in counts else pd.Series(dtype=float)
        out[f"cameras_{kind}"] = units["unit_id"].map(col).fillna(0).astype("int64").to_numpy()
    return out
