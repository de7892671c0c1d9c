"""A page per unit that an advocate can print: the unit's numbers against the city's, its cameras and who runs
them, its map, the caveats that apply to it and the dates of the data.

The pages are built from the tables as they are written to the analysis folder (``units.gpkg``,
``cameras.gpkg``, ``operators_by_unit.csv``, ``manifest.json``; :class:`equity.io.outputs.AnalysisTables`), not
from the :class:`~equity.result.StudyResult`, so that ``equity report DIR --unit NAME`` renders the same page
again from a folder written earlier, and a page shows exactly the row of ``units.csv``. The city's figures come
with the tables (:func:`equity.citywide.city_totals`); nothing is computed here.

A page is one self-contained HTML file: styles inline, the map inline SVG (:func:`equity.presentation.charts.
unit_map`), no script, no font or image to fetch, laid out to print on one A4 page. Unit names, operator names
and every other text of the data are escaped (:func:`equity.presentation.formatting.esc`) and never translated;
the page's own sentences are in the language of :func:`equity.presentation.i18n.current`, numbers and dates in
its notation. No home and no person appears on a page: its figures are the unit's totals.

File names are slugs of the unit ids (:func:`unit_slugs`): the ids are the user's text, so a name is made of
``a-z``, ``0-9`` and ``-`` only, never ``index``, and two ids with one slug get ``-2``, ``-3``... in the order
of their ids, the same in every run.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from equity.presentation import i18n
from equity.presentation.charts import unit_map
from equity.presentation.formatting import CLASS_OUTLINE, KIND_COLOURS, class_label, esc
from equity.presentation.i18n import _, ngettext
from equity.settings import DETAIL_LEVELS_PX_PER_M

#: Longest slug of a unit page's file name (before ``.html``, and any ``-N`` that keeps names apart).
SLUG_MAX = 60
#: Names a unit page may not take: the index, and the device names Windows refuses as file names.
RESERVED = frozenset(
    {"index", "con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)

_CSS = """
@page{size:A4;margin:11mm}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#222;line-height:1.35;
max-width:190mm;margin:1.5rem auto;padding:0 4mm;font-size:10.5pt}
nav{font-size:9pt;margin-bottom:2mm}nav a{color:#1f4e79}
h1{font-size:17pt;margin:0 0 1mm}h2{font-size:11pt;margin:3mm 0 1.5mm;border-bottom:1px solid #ccc}
h3{font-size:10pt;margin:2mm 0 1mm}
.sub{color:#555;margin:0 0 2mm}.class{padding:1.5mm 3mm;border-left:4px solid #999;background:#f5f5f5;margin:2mm 0}
.class.under_covered{border-color:#67001f;background:#fbe3e3}.class.over_covered{border-color:#053061;background:#e1ecf7}
.grid{display:grid;grid-template-columns:1.1fr 1fr;gap:0 6mm;align-items:start}
table{border-collapse:collapse;width:100%;font-size:9pt}th,td{border-bottom:1px solid #e2e2e2;padding:.6mm 1.2mm;
text-align:left;vertical-align:top}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th{background:#f4f4f4;font-weight:600}th[scope=row]{background:none;font-weight:normal}
svg.map{display:block;width:100%;height:auto;max-height:95mm}
.legend{font-size:8.5pt;color:#444}.dot{display:inline-block;width:8px;height:8px;border-radius:50%;
vertical-align:middle;margin:0 1mm 0 2mm}
.caveats{border:2px solid #b35900;padding:1mm 4mm;margin-top:3mm}.caveats ul{margin:1mm 0;padding-left:5mm}
.caveats li{margin:.8mm 0}
footer{margin-top:3mm;font-size:8.5pt;color:#555;border-top:1px solid #ccc;padding-top:1.5mm}
.index td a{font-weight:600}.index td.cls{white-space:nowrap}
@media print{body{margin:0;max-width:none;padding:0;font-size:9pt}svg.map{max-height:70mm}h2{margin:2mm 0 1mm}
table{font-size:8.5pt}nav{display:none}a{color:#222;text-decoration:none}
section,tr,li,svg{break-inside:avoid}}
"""


# -- file names -----------------------------------------------------------------------------------------------


def slug(text: Any) -> str:
    """A file-name stem for a unit id: its letters without accents, lower case, other characters as ``-``.

    Examples
    --------
    >>> slug("Bayview Hunters Point"), slug("Castro/Upper Market"), slug("../../etc/passwd"), slug("<b>")
    ('bayview-hunters-point', 'castro-upper-market', 'etc-passwd', 'b')
    >>> slug("Ñuñoa"), slug("東京"), slug("index")
    ('nunoa', 'unit', 'index-unit')
    """
    text = unicodedata.normalize("NFKD", str(text))
    ascii_text = "".join(c for c in text if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:SLUG_MAX].strip("-") or "unit"
    return f"{stem}-unit" if stem in RESERVED else stem


def unit_slugs(ids: Iterable[Any]) -> dict[str, str]:
    """The file name of each unit's page (``<slug>.html``), unique and the same in every run.

    The ids are taken in sorted order (of their text); the first id of a slug gets it, the next ones the first
    of ``-2``, ``-3``... that no other id has taken, so that a name depends on the set of ids, never on the
    table's order.

    Examples
    --------
    >>> unit_slugs(["Nob Hill", "nob hill", "Nob-Hill-2"])
    {'Nob Hill': 'nob-hill.html', 'Nob-Hill-2': 'nob-hill-2.html', 'nob hill': 'nob-hill-3.html'}
    """
    keys = sorted({str(i) for i in ids})
    wanted = {k: slug(k) for k in keys}
    taken: set[str] = set()
    out: dict[str, str] = {}
    # first pass: the ids whose slug no earlier id wants keep it as it is
    for k in keys:
        if wanted[k] not in taken:
            taken.add(wanted[k])
            out[k] = wanted[k]
    for k in keys:
        if k in out:
            continue
        n = 2
        while f"{wanted[k]}-{n}" in taken or f"{wanted[k]}-{n}" in wanted.values():
            n += 1
        out[k] = f"{wanted[k]}-{n}"
        taken.add(out[k])
    return {k: f"{v}.html" for k, v in out.items()}


# -- values ---------------------------------------------------------------------------------------------------


def _known(value: Any) -> bool:
    if value is None or value is pd.NA:
        return False
    try:
        return not math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _na() -> str:
    return _("n/a")


def _number(value: Any, digits: int) -> str:
    return _decimal(float(value), digits, i18n.current()) if _known(value) else _na()


@functools.lru_cache(maxsize=4096)
def _decimal(value: float, digits: int, lang: str) -> str:
    """:func:`equity.presentation.i18n.number`, kept for the pages that repeat it (the city's figures are on
    every page); ``lang`` is the key of the language :func:`i18n.number` reads."""
    return i18n.number(value, digits)


def _percent(value: Any) -> str:
    """A share as a percentage: one decimal, more for small shares (0.05%, not 0.0%)."""
    if not _known(value):
        return _na()
    p = 100 * float(value)
    digits = 1 if p == 0 or abs(p) >= 0.1 else 2 if abs(p) >= 0.01 else 3
    return _("{value}%").format(value=_decimal(p, digits, i18n.current()))


def _points(value: Any) -> str:
    """A difference of two shares in percentage points, signed, two decimals."""
    if not _known(value):
        return _na()
    p = 100 * float(value)
    return ("+" if p > 0 else "") + _decimal(p, 2, i18n.current())


def _flag(value: Any) -> bool:
    """A boolean column as read back from a GeoPackage or CSV (``True``, ``"True"``, ``1``)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value) if _known(value) else False


def _cell(column: str, value: Any, text: str) -> str:
    raw = "" if not _known(value) else repr(float(value))
    return f"<td class='n' data-col='{esc(column)}' data-value='{raw}'>{esc(text)}</td>"


# -- the page -------------------------------------------------------------------------------------------------


def _level_columns(units: pd.DataFrame, manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """The columns of the share in view, the study's level first: (column, level name as EN 62676-4 names it)."""
    settings = manifest.get("settings") or {}
    out = [("covered_share", str(settings.get("detail_level") or "detection"))]
    out += [(c, c.removeprefix("covered_share_")) for c in units.columns if c.startswith("covered_share_")]
    return out


def _numbers(row: Mapping[str, Any], units: pd.DataFrame, tables: Any) -> str:
    city = tables.city or {}
    rows: list[tuple[str, str, Any, Any, Any]] = [
        # (column, label, unit value, city value or None when the city's is not a figure, formatter)
        ("population", _("Residents"), row.get("population"), city.get("population"), lambda v: _number(v, 0)),
        ("area_km2", _("Area (km²)"), row.get("area_km2"), city.get("area_km2"), lambda v: _number(v, 2)),
        ("cameras", _("Cameras"), row.get("cameras"), city.get("cameras"), lambda v: _number(v, 0)),
        (
            "cameras_per_1k_residents",
            _("Cameras per 1,000 residents"),
            row.get("cameras_per_1k_residents"),
            city.get("cameras_per_1k_residents"),
            lambda v: _number(v, 2),
        ),
        (
            "cameras_per_km2",
            _("Cameras per km²"),
            row.get("cameras_per_km2"),
            city.get("cameras_per_km2"),
            lambda v: _number(v, 1),
        ),
    ]
    for col, level in _level_columns(units, tables.manifest):
        rows.append(
            (
                col,
                _("Share of its area in a camera's view, {level} level").format(level=level),
                row.get(col),
                city.get(col),
                _percent,
            )
        )
    rows += [
        ("crimes", _("Recorded crimes"), row.get("crimes"), city.get("crimes"), lambda v: _number(v, 0)),
        (
            "crimes_per_1k",
            _("Crimes per 1,000 residents (raw)"),
            row.get("crimes_per_1k"),
            city.get("crimes_per_1k"),
            lambda v: _number(v, 1),
        ),
        (
            "crimes_per_1k_smoothed",
            _("Crimes per 1,000 residents (smoothed)"),
            row.get("crimes_per_1k_smoothed"),
            city.get("crimes_per_1k_smoothed"),
            lambda v: _number(v, 1),
        ),
        ("crime_share", _("Share of the city's crime"), row.get("crime_share"), None, _percent),
        ("coverage_share", _("Share of the city's area in view"), row.get("coverage_share"), None, _percent),
        ("gap", _("Gap (percentage points)"), row.get("gap"), None, _points),
    ]
    #: the city's share of its own crime and area in view is 1, its gap 0, by their definitions
    whole = {"crime_share": 1.0, "coverage_share": 1.0, "gap": 0.0}
    body = []
    for col, label, value, city_value, fmt in rows:
        shown = whole.get(col, city_value)
        city_cell = _cell(f"city:{col}", shown, fmt(shown))
        body.append(f"<tr><th scope='row'>{esc(label)}</th>{_cell(col, value, fmt(value))}{city_cell}</tr>")
    return (
        f"<table class='numbers'><thead><tr><th></th><th class='n'>{esc(_('This unit'))}</th>"
        f"<th class='n'>{esc(_('City'))}</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"<p class='legend'>{esc(_gap_sentence(row))} {esc(_levels_note(units, tables.manifest or {}))} "
        f"{esc(_city_note())}</p>"
    )


def _levels_note(units: pd.DataFrame, manifest: dict[str, Any]) -> str:
    levels = [
        _("{level}: at least {px} pixels per metre").format(
            level=level, px=_number(DETAIL_LEVELS_PX_PER_M[level], 1 if level == "observation" else 0)
        )
        for _col, level in _level_columns(units, manifest)
        if level in DETAIL_LEVELS_PX_PER_M
    ]
    if not levels:
        return ""
    return _(
        "A place is in a camera's view at a level of EN 62676-4 when the camera sees it sharply enough ({levels}); "
        "the area is the unit's open ground."
    ).format(levels="; ".join(levels))


def _city_note() -> str:
    return _("City: all the units together; its rates are ratios of the totals over the units where both are known.")


def _subtitle() -> str:
    return _("Surveillance cameras, their coverage and crime in this unit, against the city")


def _gap_sentence(row: Mapping[str, Any]) -> str:
    return _(
        "The gap is the unit's share of the city's area in view minus its share of the city's recorded crime: "
        "below 0, the unit gets less camera coverage than its share of crime."
    )


def _class_line(row: Mapping[str, Any], manifest: dict[str, Any]) -> str:
    cls = row.get("class")
    label = class_label(cls)
    p = row.get("p_class")
    robustness = row.get("robustness")
    draws = (manifest.get("uncertainty") or {}).get("draws")
    if str(cls) == "no_data":
        return f"<p class='class'>{esc(_('Class: {label}.').format(label=label))}</p>"
    if _known(p):
        detail = _("it holds in {p} of {n} draws of the sources of error ({robustness})").format(
            p=_percent(p),
            n=_number(draws, 0) if _known(draws) else _na(),
            robustness=_("robust") if str(robustness) == "robust" else _("uncertain"),
        )
    else:
        detail = _("its probability was not computed (the analysis ran without the uncertainty draws)")
    text = _("Class: {label}; {detail}.").format(label=label, detail=detail)
    return f"<p class='class {esc(cls) if cls in CLASS_OUTLINE else ''}'>{esc(text)}</p>"


def _cameras(row: Mapping[str, Any], ops: pd.DataFrame) -> str:
    kinds = [
        (_("Area cameras"), row.get("cameras_cctv")),
        (_("Licence-plate readers"), row.get("cameras_alpr")),
    ]
    owners = [
        (_("Public (surveillance=public)"), row.get("cameras_public")),
        (_("Private, outdoor (surveillance=outdoor)"), row.get("cameras_outdoor")),
        (_("Private, indoor (surveillance=indoor)"), row.get("cameras_indoor")),
        (_("Ownership not tagged"), row.get("cameras_unknown")),
    ]

    def table(items: list[tuple[str, Any]], head: str) -> str:
        cells = "".join(
            f"<tr><td>{esc(label)}</td><td class='n'>{esc(_number(v, 0))}</td></tr>" for label, v in items if _known(v)
        )
        return (
            f"<table><thead><tr><th>{esc(head)}</th><th class='n'>{esc(_('Cameras'))}</th></tr></thead>"
            f"<tbody>{cells}</tbody></table>"
        )

    if len(ops):
        ops = ops.sort_values(["cameras", "operator"], ascending=[False, True], kind="stable")
        lines = []
        for _i, op in ops.iterrows():
            name = op["operator"]
            shown = _("no operator tagged") if str(name) == "unknown" else name
            area = op.get("covered_km2")
            lines.append(
                f"<tr><td>{esc(shown)}</td><td class='n'>{esc(_number(op['cameras'], 0))}</td>"
                f"<td class='n'>{esc(_number(float(area) * 1e6 if _known(area) else None, 0))}</td></tr>"
            )
        operators = (
            f"<table class='operators'><thead><tr><th>{esc(_('Operator'))}</th><th class='n'>{esc(_('Cameras'))}</th>"
            f"<th class='n'>{esc(_('Area in view (m²)'))}</th></tr></thead><tbody>{''.join(lines)}</tbody></table>"
        )
    else:
        operators = f"<p>{esc(_('No camera in this unit has an operator.'))}</p>"
    return (
        f"<h2>{esc(_('Its cameras'))}</h2>{table(kinds, _('Kind'))}{table(owners, _('Ownership'))}"
        f"<h3>{esc(_('Who runs them'))}</h3>{operators}"
    )


def _map(shape: gpd.GeoDataFrame, cams: gpd.GeoDataFrame) -> str:
    svg = unit_map(shape, cams, width=280) if len(shape) and not shape.geometry.is_empty.all() else ""
    kinds = sorted(set(cams["kind"].dropna().astype(str))) if "kind" in cams else []
    dots = "".join(
        f"<span class='dot' style='background:{KIND_COLOURS.get(k, '#666666')}'></span>{esc(_kind_name(k))}"
        for k in kinds
    )
    legend = _("The unit is filled by its gap (red: less coverage than its share of crime; blue: more; grey: unknown).")
    dots_text = esc(_("Dots: the cameras standing in it.")) + (f" {dots}" if dots else "")
    return f"<h2>{esc(_('Map'))}</h2>{svg}<p class='legend'>{esc(legend)} {dots_text}</p>"


def _kind_name(kind: str) -> str:
    names = {
        "camera": _("area camera"),
        "ALPR": _("licence-plate reader"),
        "guard": _("guard"),
        "gunshot_detector": _("gunshot detector"),
    }
    return names.get(kind, kind)


def _caveats(row: Mapping[str, Any], manifest: dict[str, Any]) -> list[str]:
    """The caveats that apply to this unit, as plain sentences."""
    settings = manifest.get("settings") or {}
    gaps = (
        str(row.get("data_gaps") or "") if _known(row.get("data_gaps")) or isinstance(row.get("data_gaps"), str) else ""
    )
    out = []
    if not _known(row.get("crimes")):
        out.append(
            _("No crime data covers this unit: its crime rate, share of crime, gap and class are unknown, not zero.")
        )
    if "no population data" in gaps:
        out.append(_("The unit's residents are unknown: its rates per resident are not computed."))
    elif "no residents" in gaps:
        out.append(_("No one is recorded as living here: its rates per resident are not computed."))
    elif _flag(row.get("small_population")):
        n = settings.get("small_population", 1000)
        out.append(
            _(
                "Fewer than {n} residents live here: each incident moves the raw crime rate by more than 1 per "
                "1,000, so read the smoothed rate."
            ).format(n=_number(n, 0))
        )
    if str(row.get("robustness")) == "uncertain":
        t = settings.get("draws_robust_probability", 0.9)
        out.append(
            _(
                "Its class is uncertain: it holds in {p} of the draws, below {t}; it is not reported as a finding."
            ).format(p=_percent(row.get("p_class")), t=_percent(t))
        )
    if "no elevation data" in gaps or str(row.get("terrain")) == "no elevation data":
        out.append(_("The elevation model covers too little of this unit: whether it is hillside or flat is unknown."))
    if "outside the area of the camera data" in gaps:
        out.append(_("The unit lies outside the area the camera data covers: its cameras are unknown, not zero."))
    cams, alpr = row.get("cameras"), row.get("cameras_alpr")
    if _known(cams) and _known(alpr) and float(cams) > 0 and float(alpr) == float(cams):
        out.append(
            _(
                "Every camera counted here is a licence-plate reader, modelled by its capture zone on the road "
                "({m} m): it reads plates, it does not watch the street around it."
            ).format(m=_number(settings.get("alpr_range_m"), 0))
        )
    if _known(cams) and float(cams) == 0:
        out.append(_("No camera is mapped in this unit: a camera nobody mapped is not counted."))
    return out


def _dates(manifest: dict[str, Any]) -> tuple[str, str | None]:
    """The sentence of the data's dates, and a caveat when cameras and crime are years apart."""
    sources = manifest.get("sources") or {}
    parts = []
    osm = manifest.get("osm_timestamp") or (sources.get("cameras") or {}).get("osm_timestamp")
    if osm:
        parts.append(_("cameras from OpenStreetMap data of {date}").format(date=i18n.date(osm)))
    crime = sources.get("crime") or {}
    lo, hi = crime.get("date_min"), crime.get("date_max")
    if lo and hi:
        parts.append(_("crime recorded from {start} to {end}").format(start=i18n.date(lo), end=i18n.date(hi)))
    gap = None
    if osm and hi:
        years = int(str(osm)[:4]) - int(str(hi)[:4])
        if years >= 2:
            gap = ngettext(
                "The camera data is {n} year newer than the crime data: cameras may have been put up or taken "
                "down in between.",
                "The camera data is {n} years newer than the crime data: cameras may have been put up or taken "
                "down in between.",
                years,
            ).format(n=_number(years, 0))
    text = (_("Data: {parts}.").format(parts="; ".join(parts))) if parts else _("The dates of the data are not known.")
    return text, gap


def _document(title: str, body: str) -> str:
    lang = i18n.current()
    return (
        f"<!DOCTYPE html><html lang='{esc(lang)}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>{body}</body></html>\n"
    )


def render_unit_page(tables: Any, unit_id: str, *, index: str = "index.html", report: str = "../report.html") -> str:
    """The page of one unit, as HTML text.

    Parameters
    ----------
    tables : equity.io.outputs.AnalysisTables
        The analysis's tables as written (``units``, ``cameras`` in a metric CRS, ``operators_by_unit``,
        ``manifest``, ``city``).
    unit_id : str
        The unit (a value of ``units.unit_id``).
    index, report : str
        Where the page's links to the list of the units and to the report lead ("" for no link).
    """
    parts = _parts(tables, [str(unit_id)])
    if str(unit_id) not in parts:
        msg = f"no unit {unit_id!r} in the tables"
        raise KeyError(msg)
    return _page(tables, *parts[str(unit_id)], index=index, report=report)


def _parts(tables: Any, ids: list[str] | None = None) -> dict[str, tuple[dict[str, Any], Any, Any, pd.DataFrame]]:
    """Each unit's row (a dict), outline (a one-row layer), cameras (one row per camera) and operators, selected
    once for all the pages."""
    units = tables.units
    keys = units["unit_id"].astype(str)
    wanted = keys.isin(ids) if ids is not None else pd.Series(True, index=units.index)
    cams = tables.cameras
    # a camera outside every unit has no unit_id: never the unit called "nan" or "None"
    cams = cams[cams.geometry.notna() & cams["unit_id"].notna() & cams["unit_id"].astype(str).isin(set(keys[wanted]))]
    cams = cams.drop_duplicates("camera_id")[["camera_id", "unit_id", "kind", "geometry"]]
    cams_by = dict(tuple(cams.groupby(cams["unit_id"].astype(str), sort=False)))
    ops = tables.operators_by_unit
    ops = ops[ops["unit_id"].notna()] if "unit_id" in ops else ops
    ops_by = dict(tuple(ops.groupby(ops["unit_id"].astype(str), sort=False))) if len(ops) and "unit_id" in ops else {}
    chosen = units[wanted.to_numpy()]
    shapes = chosen[["unit_id", "gap", "class", "geometry"]].copy()
    shapes["gap"] = pd.to_numeric(shapes["gap"], errors="coerce")
    rows = chosen.drop(columns=chosen.geometry.name).to_dict("records")
    out: dict[str, tuple[dict[str, Any], Any, Any, pd.DataFrame]] = {}
    for pos, row in enumerate(rows):
        uid = str(row["unit_id"])
        if uid not in out:
            out[uid] = (row, shapes.iloc[[pos]], cams_by.get(uid, cams.iloc[0:0]), ops_by.get(uid, ops.iloc[0:0]))
    return out


def _page(
    tables: Any, row: Mapping[str, Any], shape: Any, cams: Any, ops: pd.DataFrame, *, index: str, report: str
) -> str:
    units = tables.units
    manifest = tables.manifest or {}
    name = esc(row["unit_id"])
    study = esc(manifest.get("name") or "")
    dates, date_gap = _dates(manifest)
    caveats = _caveats(row, manifest)
    if date_gap:
        caveats.append(date_gap)
    caveats.append(
        _(
            "Cameras are those of the camera data (OpenStreetMap unless another file was given): cameras nobody "
            "recorded are not counted, and recorded crime is crime reported to the police."
        )
    )
    links = [
        f"<a href='{esc(href)}'>{esc(text)}</a>"
        for href, text in ((index, _("All units")), (report, _("The report")))
        if href
    ]
    body = (
        (f"<nav>{' · '.join(links)}</nav>" if links else "")
        + f"<header><h1>{name}</h1><p class='sub'>{esc(_subtitle())}"
        + (f" · {study}" if study else "")
        + f"</p>{_class_line(row, manifest)}</header>"
        + "<div class='grid'><section>"
        + f"<h2>{esc(_('The unit against the city'))}</h2>{_numbers(row, units, tables)}</section>"
        + f"<section>{_map(shape, cams)}{_cameras(row, ops)}</section></div>"
        + f"<section class='caveats'><h2>{esc(_('What to keep in mind'))}</h2><ul>"
        + "".join(f"<li>{esc(c)}</li>" for c in caveats)
        + "</ul></section>"
        + f"<footer>{esc(dates)} "
        + esc(
            _(
                "Figures of units.csv in the analysis folder, where each column is defined; no home and no "
                "person is shown."
            )
        )
        + "</footer>"
    )
    title = _("{unit}: cameras, coverage and crime").format(unit=name)
    return _document(title, body)


def _index_class(row: Any) -> str:
    """The class as the index shows it: its label, and whether it is uncertain over the draws."""
    label = class_label(row.get("class"))
    if str(row.get("robustness")) == "uncertain" and str(row.get("class")) != "no_data":
        return _("{label} (uncertain)").format(label=label)
    return label


def render_index(tables: Any, slugs: dict[str, str], *, report: str = "../report.html") -> str:
    """The list of the unit pages, linking each, with its class, gap and cameras, in the order of the names."""
    units = tables.units
    manifest = tables.manifest or {}
    rows = []
    order = sorted(units.index, key=lambda i: (str(units.at[i, "unit_id"]).casefold(), str(units.at[i, "unit_id"])))
    for i in order:
        row = units.loc[i]
        uid = str(row["unit_id"])
        rows.append(
            f"<tr><td><a href='{esc(slugs[uid])}'>{esc(uid)}</a></td><td class='cls'>{esc(_index_class(row))}</td>"
            f"<td class='n'>{esc(_points(row.get('gap')))}</td><td class='n'>{esc(_number(row.get('cameras'), 0))}</td>"
            f"<td class='n'>{esc(_number(row.get('cameras_per_1k_residents'), 2))}</td></tr>"
        )
    study = manifest.get("name") or ""
    head = "".join(
        f"<th{cls}>{esc(t)}</th>"
        for t, cls in (
            (_("Unit"), ""),
            (_("Class"), ""),
            (_("Gap (percentage points)"), " class='n'"),
            (_("Cameras"), " class='n'"),
            (_("Cameras per 1,000 residents"), " class='n'"),
        )
    )
    body = (
        (f"<nav><a href='{esc(report)}'>{esc(_('The report'))}</a></nav>" if report else "")
        + f"<h1>{esc(_('The units, a page each'))}</h1>"
        + (f"<p class='sub'>{esc(study)}</p>" if study else "")
        + f"<p>{esc(_('Each page sets a unit against the city and prints on one A4 page.'))}</p>"
        + f"<table class='index'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return _document(esc(_("The units, a page each")), body)


def build_pages(tables: Any, *, report: str = "../report.html") -> dict[str, str]:
    """Every unit's page and the index: file name (``index.html``, :func:`unit_slugs`) to HTML text; ``report``
    is where their links to the report lead (from the pages' folder)."""
    slugs = unit_slugs(tables.units["unit_id"].astype(str))
    pages = {"index.html": render_index(tables, slugs, report=report)}
    parts = _parts(tables)
    for uid, name in slugs.items():
        pages[name] = _page(tables, *parts[uid], index="index.html", report=report)
    return pages
