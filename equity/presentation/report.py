"""The self-contained HTML report of one analysis, for a council to read.

One file, no external resources (styles inline, no scripts, no fonts to fetch), printable from a browser.
Every string from the data is escaped with :func:`equity.presentation.formatting.esc`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from equity.columns import column
from equity.io.outputs import PERSONAL_DATA_NOTE, UNIT_PAGES_DIR
from equity.metrics import STORY_CLASSES
from equity.presentation import i18n
from equity.presentation.charts import bar_chart, gap_legend, line_chart, unit_map
from equity.presentation.formatting import (
    class_label,
    esc,
    gap_span,
    interval,
    na,
    num,
    pct,
    percent_sign,
    show,
    signed,
    tick,
    whole_pct,
)
from equity.presentation.glossary import glossary_section
from equity.presentation.i18n import _, ngettext
from equity.presentation.story import analysed, holds, questions, summary, term, title
from equity.presentation.unit_page import unit_slugs
from equity.roads import UNIT_COLUMNS as ROAD_COLUMNS
from equity.settings import DETAIL_LEVEL_MEANING, DETAIL_LEVELS_PX_PER_M, Settings

if TYPE_CHECKING:
    from equity.result import StudyResult

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
.analysed{font-size:1.05rem;color:#333;margin-top:.2rem}.summary{font-size:1.05rem}
.first-page h2{margin-top:1rem}.first-page h3{margin:.4rem 0 .1rem;font-size:1rem}
.questions{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:0 1.2rem}
.questions h2{grid-column:1/-1}.questions ul{margin:.2rem 0;padding-left:1.1rem}.questions li{margin:.2rem 0}
a.term{color:inherit;text-decoration:underline dotted}
table{border-collapse:collapse;width:100%;font-size:.85rem;table-layout:auto}th,td{border-bottom:1px solid #e2e2e2;
padding:.25rem .4rem;text-align:right;overflow-wrap:anywhere;hyphens:auto;vertical-align:top}
th{background:#f4f4f4;position:sticky;top:0}td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}
table.settings td,table.counts td{text-align:left}table.settings td:first-child{width:40%}
.under_covered td{background:#fbe3e3}.over_covered td{background:#e1ecf7}.note{color:#555;font-size:.9rem}
.findings li{margin:.4rem 0}td.text,th.text{text-align:left}
.warnings{border:2px solid #b35900;padding:0 1rem;margin:1rem 0}.warnings h2{margin-top:.6rem}
.personal{background:#7f0000;color:#fff;padding:.5rem;font-weight:bold}code{background:#f4f4f4;padding:0 .2rem;
overflow-wrap:anywhere}
.glossary dt{font-weight:bold;margin-top:.5rem}.glossary dd{margin:0 0 0 1.2rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}figure{margin:1rem 0}svg{max-width:100%;height:auto}
.legend{font-size:.85rem}.swatch{display:inline-block;width:14px;height:10px;vertical-align:middle}
@page{size:A4;margin:1.5cm}
@media print{body{margin:0;max-width:none;font-size:10pt;line-height:1.3}th{position:static}a{color:#222}
h1{font-size:14pt;margin:0}h2{font-size:12pt;margin-top:1rem}h2,h3{break-after:avoid}
.first-page{font-size:8.5pt;line-height:1.25}.first-page h2{font-size:11pt;margin:.5rem 0 .2rem}
.first-page h3{font-size:9.5pt}
.analysed,.summary{font-size:9pt;margin:.2rem 0}.warnings{padding:0 .6rem;margin:.4rem 0}
.warnings ul,.questions ul{margin:.1rem 0}.warnings li,.questions li{margin:.05rem 0}
.questions{grid-template-columns:repeat(3,1fr);gap:0 .8rem}.first-page .note{font-size:8pt}
.questions li{font-size:8pt}
.first-page+*{break-before:page}
tr,svg,figure,li,dt,dd{break-inside:avoid}table{font-size:7pt;width:100%;max-width:100%}th,td{padding:.1rem .2rem}
thead{display:table-header-group}a.term{text-decoration:none}}
"""


#: The columns of units.csv that the table of the units shows, in order (labels and formats from
#: :mod:`equity.columns`); a unit without ``robustness`` (no sensitivity runs) shows "not tested".
UNIT_TABLE = (
    "unit_id",
    "class",
    "gap",
    "cameras",
    "cameras_per_km2",
    "covered_share",
    "crimes",
    "crimes_per_1k_smoothed",
    "population",
    "crime_share",
    "coverage_share",
    "robustness",
)


#: The units a class's key finding names, those of the largest gap first; the rest are counted (a page a council
#: reads in two minutes cannot list 99 tracts).
FINDING_UNITS = 5


def data_read(result: StudyResult) -> str:
    """What was read and counted, in one sentence (HTML-escaped): the bookkeeping that opens the section on the
    data, after the findings."""
    c = result.counts
    cam_meta = (getattr(result, "meta", None) or {}).get("cameras") or {}
    if cam_meta.get("format") == "counts per unit":
        return _(
            "{cameras} cameras are counted in the {units} units of analysis (column {column}), without their "
            "locations: no area in view, gap or class can be computed."
        ).format(cameras=num(c["cameras"]), units=num(c["units"]), column=esc(cam_meta.get("column")))
    return _(
        "{cameras} cameras were read; {inside} of them stand inside the {units} units of analysis; {views} camera "
        "views count toward coverage ({tagged} with a tagged direction, {omni} dome or panning cameras seeing all "
        "around, {discs} drawn as low-confidence discs for want of a direction)."
    ).format(
        cameras=num(c["cameras"]),
        inside=num(c["cameras_in_units"]),
        units=num(c["units"]),
        views=num(c["views_in_coverage"]),
        tagged=num(c["views_direction_tagged"]),
        omni=num(c["views_direction_default_omni"]),
        discs=num(c["views_drawn_as_low_confidence_disc"]),
    )


def key_findings(result: StudyResult, n: int = 3) -> list[str]:
    """Plain-language findings with their numbers (HTML-escaped sentences), in the current language. What was read
    (:func:`data_read`) is not a finding: it opens the section on the data."""
    u = result.units
    out = []
    f = result.findings
    if f.crime_known:
        by_id = u.set_index("unit_id", drop=False)
        sens = result.sensitivity
        unc = getattr(result, "uncertainty", None)
        # a unit whose class has a probability below the threshold over the draws of the sources of error (or,
        # without the draws, changes under a sensitivity run) is never listed as a finding
        uncertain = set(unc.uncertain) if unc is not None else set(sens.uncertain) if sens is not None else set()
        for cls in STORY_CLASSES:
            lead = class_label(cls)
            lead = lead[:1].upper() + lead[1:]
            members = [m for m in f.members[cls] if m not in uncertain]
            if not members:
                out.append(
                    (
                        _(
                            "{lead}: no unit is in this class under the thresholds of the methodology and all its "
                            "assumptions."
                        )
                        if f.members[cls]
                        else _("{lead}: no unit is in this class under the thresholds of the methodology.")
                    ).format(lead=esc(lead))
                )
                continue
            items = [
                _(
                    "{unit} ({crime} of recorded crime, {incidents}; {coverage} of the city's area in camera view, "
                    "{cameras})"
                ).format(
                    unit=esc(r["unit_id"]),
                    crime=pct(r["crime_share"]),
                    incidents=ngettext("{n} incident", "{n} incidents", r["crimes"]).format(n=num(r["crimes"], 0)),
                    coverage=pct(r["coverage_share"]),
                    cameras=ngettext("{n} camera", "{n} cameras", r["cameras"]).format(n=num(r["cameras"], 0)),
                )
                for _i, r in by_id.loc[members[:FINDING_UNITS]].iterrows()
            ]
            more = len(members) - FINDING_UNITS
            tail = (
                _("; and {more} more (the table of the units lists them all)").format(more=num(more))
                if more > 0
                else ""
            )
            out.append(
                _("{lead} ({n} of {units} units): ").format(lead=esc(lead), n=num(len(members)), units=num(f.units))
                + "; ".join(items)
                + tail
                + "."
            )
        shortfall = [x for x in f.shortfall if x not in uncertain]
        surplus = [x for x in f.surplus if x not in uncertain]
        if shortfall and surplus:
            lo, hi = by_id.loc[shortfall[0]], by_id.loc[surplus[0]]
            out.append(
                _(
                    "The largest shortfall of coverage against crime is in {low} ({low_gap} percentage points); the "
                    "largest surplus in {high} ({high_gap} points)."
                ).format(
                    low=esc(lo["unit_id"]),
                    low_gap=signed(100 * lo["gap"], 1),
                    high=esc(hi["unit_id"]),
                    high_gap=signed(100 * hi["gap"], 1),
                )
            )
        if unc is not None:
            out.extend(_draws_findings(result))
        elif sens is not None:
            if not sens.uncertain:
                out.append(
                    esc(
                        _(
                            "Every unit's class holds under all the sensitivity runs (ranges, lens widths, "
                            "unknown directions): these findings are robust to those assumptions."
                        )
                    )
                )
            else:
                out.append(
                    _(
                        "Uncertain, and so not reported as findings: the class of {units} changes under at least one "
                        "plausible assumption (see Sensitivity)."
                    ).format(units=", ".join(esc(x) for x in sens.uncertain))
                )
        for e in result.city[:1]:
            if e.value == e.value and unc is not None:
                out.append(_measure_sentence(result, e))
            elif e.value == e.value:
                out.append(
                    _(
                        "City-wide, the {measure} is {value} (95% interval {low} to {high}, {n} units): {reading}."
                    ).format(
                        measure=esc(_(e.name)),
                        value=signed(e.value, 2),
                        low=signed(e.low, 2),
                        high=signed(e.high, 2),
                        n=num(e.n),
                        reading=esc(_(e.interpretation)),
                    )
                )
    else:
        out.append(esc(_("No crime data was given, so the gap between coverage and crime is not computed.")))
    roads = getattr(result, "roads", None)
    if roads is not None and roads.cordoned:
        out.append(
            ngettext(
                "{n} unit is {cordoned} by plate readers: every road entrance into it is logged inward, so no car "
                "enters it by road without being logged: {units}.",
                "{n} units are {cordoned} by plate readers: every road entrance into them is logged inward, so no "
                "car enters them by road without being logged: {units}.",
                len(roads.cordoned),
            ).format(
                n=num(len(roads.cordoned)),
                cordoned=term("cordoned", esc(_("cordoned"))),
                units=", ".join(esc(x) for x in roads.cordoned),
            )
        )
    groups = getattr(result, "groups", None)
    if groups is not None and groups.headline is not None:
        out.append(esc(groups.headline["sentence"]) + " " + esc(_("See “Who lives with the cameras”.")))
    return out


def _draws_findings(result: StudyResult) -> list[str]:
    """What the draws say of the classes: which units' classes fall below the threshold, with their
    probabilities, and the units not in a class of the story that the draws put in one."""
    unc = result.uncertainty
    u = result.units.set_index("unit_id")
    t = tick(unc.threshold)
    head = _(
        "Over {draws} draws of the sources of error (crime counts, cameras missing from the map, unknown "
        "directions, detail level, lens and thresholds; see Uncertainty), "
    ).format(draws=num(unc.draws))
    story = [x for x in unc.uncertain if u.loc[x, "class"] in STORY_CLASSES]
    out = []
    if not story:
        out.append(head + _("every unit named above keeps its class with a probability of at least {t}.").format(t=t))
    else:
        items = [
            _("{unit} ({cls} in {p} of the draws)").format(
                unit=esc(x), cls=esc(class_label(u.loc[x, "class"])), p=whole_pct(u.loc[x, "p_class"])
            )
            for x in story
        ]
        out.append(
            head
            + _("these classes have a probability below {t}, and so are not findings: {items}.").format(
                t=t, items="; ".join(items)
            )
        )
    near = []
    for cls in STORY_CLASSES:
        col = u[f"p_{cls}"]
        for x in u.index[(u["class"] != cls) & (col >= 0.5)]:
            near.append(
                _("{unit} ({cls} in {p} of the draws)").format(
                    unit=esc(x), cls=esc(class_label(cls)), p=whole_pct(col[x])
                )
            )
    if near:
        out.append(
            _(
                "Not in a class of the story under the study's assumptions, but in one in at least half of the "
                "draws: {items}."
            ).format(items="; ".join(near))
        )
    return out


def _measure_sentence(result: StudyResult, e: object) -> str:
    """A city-level measure with the interval of the draws; inconclusive when the interval spans zero."""
    m = result.uncertainty.measures.set_index("measure")
    low, high = m.loc[e.name, "draws_low"], m.loc[e.name, "draws_high"]
    if low <= 0 <= high:
        verdict = esc(_("inconclusive: its interval over the draws of the sources of error spans zero"))
    else:
        verdict = esc(_(e.interpretation))
    outside = (
        " "
        + esc(
            _(
                "The study's value lies outside the draws' interval: the draws add unmapped cameras where mapping "
                "is thin and draw the directions the study leaves out, and these move the measure."
            )
        )
        if not low <= e.value <= high
        else ""
    )
    return (
        _(
            "City-wide, the {measure} is {value} (95% of the draws of the sources of error between {low} and "
            "{high}; {n} units): {verdict}."
        ).format(
            measure=esc(_(e.name)),
            value=signed(e.value, 2),
            low=signed(low, 2),
            high=signed(high, 2),
            n=num(e.n),
            verdict=verdict,
        )
        + outside
    )


def build_report(result: StudyResult, *, title: str | None = None, unit_pages: bool = False) -> str:
    """The report as one HTML document (nothing is written), in the current language (:func:`i18n.use`).

    The first page says what was analysed, then the summary, the caveats that matter for this study and the
    questions to ask; the findings, the tables and the methods follow; what was read and counted, the settings
    and the glossary come last. ``title`` replaces the title the report gives itself (the study's name and what
    it measures). With ``unit_pages`` (the folder writes them beside the report, :mod:`equity.presentation.unit_page`)
    each unit's name in the table links to its page, and a link under the table leads to their index.
    """
    u = result.units.drop(columns="geometry").sort_values("gap", na_position="last")
    heading = esc(title) if title is not None else _title(result)
    parts = [
        f"<!DOCTYPE html><html lang='{i18n.current()}'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{heading}</title><style>{_CSS}</style></head><body>",
        "<section class='first-page'>",
        f"<h1>{heading}</h1>",
        f"<p class='analysed'>{analysed(result)}</p>",
        *([f"<p class='personal'>{esc(PERSONAL_DATA_NOTE)}</p>"] if result.personal_data else []),
        *_summary_section(result),
        *_caveats_box(result),
        *_questions_section(result),
        "<p class='note'>"
        + _(
            "Study: {name}. Generated by equity. Open {map} beside this file for the interactive map; the "
            "{glossary} explains every term."
        ).format(
            name=esc(result.study.name),
            map="<a href='map.html'>map.html</a>",
            glossary="<a href='#glossary'>" + esc(_("glossary")) + "</a>",
        )
        + "</p>",
        "</section>",
        *_warnings_box(result),
        "<h2>" + esc(_("Key findings")) + "</h2><ul class='findings'>",
        *[f"<li>{f}</li>" for f in key_findings(result)],
        "</ul>",
        "<h2>" + esc(_("Units ranked by gap")) + "</h2>",
        "<p class='note'>"
        + _(
            "{gap} = the unit's share of the city's area in camera view minus its share of the city's recorded "
            "crime, in percentage points. Negative: less coverage than its share of crime."
        ).format(gap=term("gap", esc(_("Gap"))))
        + "</p>",
        "<table class='units'><thead><tr>"
        + "".join(_unit_header(name) for name in UNIT_TABLE)
        + "</tr></thead><tbody>",
    ]
    slugs = unit_slugs(u["unit_id"]) if unit_pages else {}
    for _i, row in u.iterrows():
        cells = "".join(f"<td>{_unit_cell(row, name, slugs)}</td>" for name in UNIT_TABLE)
        parts.append(f"<tr class='{esc(row['class'])}'>{cells}</tr>")
    parts.append("</tbody></table>")
    if unit_pages:
        parts.append(
            f"<p class='note'><a href='{UNIT_PAGES_DIR}/index.html'>" + esc(_("A page per unit, to print")) + "</a></p>"
        )
    parts.extend(_groups_section(result))
    parts.extend(_rank_section(result))
    parts.extend(_city_section(result))
    parts.extend(_terrain_section(result))
    parts.extend(_homes_section(result))
    parts.extend(_map_section(result))
    parts.extend(_clusters_section(result))
    parts.extend(_scales_section(result))
    parts.extend(_uncertainty_section(result))
    parts.extend(_sensitivity_section(result))
    parts.extend(_gaps_section(result))
    parts.extend(_operators_section(result))
    parts.extend(_roads_section(result))
    parts.extend(_anomalies_section(result))
    parts.extend(_data_section(result))
    parts.extend(_methodology(result))
    parts.extend(_sources(result))
    parts.extend(glossary_section())
    parts.extend(_limitations(result))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _title(result: StudyResult) -> str:
    """The report's own title (escaped): :func:`equity.presentation.story.title`."""
    return title(result)


#: The glossary entry that a column of the table of the units links its header to.
_COLUMN_TERMS = {
    "class": "classes",
    "gap": "gap",
    "covered_share": "own-area",
    "crimes_per_1k_smoothed": "smoothed-rate",
    "crime_share": "crime-share",
    "coverage_share": "coverage-share",
    "robustness": "class-probability",
    "unit_id": "unit",
}

#: The labels of the columns of the table of the units (:data:`UNIT_TABLE`), registered here so that the catalogs
#: carry their translations; the table passes each column's label (:mod:`equity.columns`) through :func:`_`.
UNIT_TABLE_LABELS = (
    _("Unit"),
    _("Class"),
    _("Gap (points)"),
    _("Cameras"),
    _("Cameras per km²"),
    _("Own area in view"),
    _("Crimes"),
    _("Crimes per 1,000 (smoothed)"),
    _("Residents"),
    _("Share of crime"),
    _("Share of coverage"),
    _("Robustness"),
    # the labels of the groups' exposure measures (equity.settings.GROUP_MEASURES; the buffer's at its default)
    _("Effective cameras per 1,000 residents"),
    _("Cameras within 200 m per 1,000 residents"),
    _("Cameras per 1,000 residents"),
    # the values of the robustness column (equity.uncertainty)
    _("robust"),
    _("uncertain"),
)


def _cell(row: pd.Series, name: str) -> str:
    """A cell of the table of the units: the value in its column's format; robustness in the current language,
    "not tested" without any run."""
    if name not in row:
        return _("not tested")
    text = show(row[name], column(name))
    return _(text) if name == "robustness" and text else text


def _unit_cell(row: pd.Series, name: str, slugs: dict[str, str]) -> str:
    """A cell of the table of the units as HTML (escaped): the unit's name a link to its page when the pages are
    written (``slugs``: :func:`equity.presentation.unit_page.unit_slugs`)."""
    text = esc(_cell(row, name))
    page = slugs.get(str(row["unit_id"])) if name == "unit_id" else None
    return f"<a href='{UNIT_PAGES_DIR}/{esc(page)}'>{text}</a>" if page else text


def _unit_header(name: str) -> str:
    """The header of a column of the table of the units, linked to its glossary entry."""
    label = esc(_(column(name).label))
    key = _COLUMN_TERMS.get(name)
    return f"<th>{term(key, label) if key else label}</th>"


def _summary_section(result: StudyResult) -> list[str]:
    """The summary in plain language (:func:`equity.presentation.story.summary`)."""
    return [
        "<h2>" + esc(_("Summary")) + "</h2>",
        f"<p class='summary'>{' '.join(summary(result))}</p>",
        f"<p class='summary holds'>{' '.join(holds(result))}</p>",
    ]


def _questions_section(result: StudyResult) -> list[str]:
    """Questions to ask, by audience (:func:`equity.presentation.story.questions`)."""
    blocks = "".join(
        f"<div><h3>{esc(who)}</h3><ul>{''.join(f'<li>{q}</li>' for q in qs)}</ul></div>"
        for who, qs in questions(result).items()
    )
    return ["<section class='questions'><h2>" + esc(_("Questions to ask")) + f"</h2>{blocks}</section>"]


def _data_section(result: StudyResult) -> list[str]:
    """What was read and counted: the bookkeeping of the inputs (:func:`data_read`), before the methods."""
    return ["<h2>" + esc(_("What was read")) + "</h2>", f"<p>{data_read(result)}</p>"]


def caveats(result: StudyResult) -> list[str]:
    """What the study's numbers cannot carry, in plain words, for the report's first page (HTML-escaped
    sentences, in the current language): the kind of cameras, the dates of the data, OpenStreetMap's completeness,
    where the crime data does not apply, rates on few residents, how crime is recorded, and that the figures are
    about units. The study's own notes come first, as written."""
    c = result.counts
    s = result.settings
    out = [esc(note) for note in (getattr(result.study, "notes", None) or [])]
    kinds = c.get("camera_kinds") or {}
    total = sum(kinds.values())
    alpr = kinds.get("ALPR", 0)
    if total and alpr / total >= 0.5:
        lead = (
            _("All {total} cameras are").format(total=num(total))
            if alpr == total
            else _("{alpr} of the {total} cameras ({share}) are").format(
                alpr=num(alpr), total=num(total), share=whole_pct(alpr / total)
            )
        )
        out.append(
            lead
            + " "
            + _(
                "licence-plate readers ({alpr}), not CCTV. A plate reader logs the vehicles that pass through a "
                "short capture zone on the road ({fov}°, {range} m in this model); the areas in view here are those "
                "zones. Where ordinary CCTV is missing from the map, this study says nothing about it."
            ).format(alpr="ALPR", fov=tick(s.alpr_fov_deg), range=tick(s.alpr_range_m))
        )
    cam_date = (result.meta.get("cameras") or {}).get("osm_timestamp")
    crime = result.meta.get("crime") or {}
    if cam_date and crime.get("date_max") and str(cam_date)[:4] != str(crime["date_max"])[:4]:
        out.append(
            _(
                "The crime data runs from {start} to {end}, and the camera data is from {cameras}: cameras placed "
                "after the crime was recorded cannot have been placed against it, and crime may have moved since."
            ).format(
                start=esc(i18n.date(crime["date_min"]) if crime.get("date_min") else ""),
                end=esc(i18n.date(crime["date_max"])),
                cameras=esc(i18n.date(str(cam_date))),
            )
        )
    elif crime and not crime.get("date_max"):
        out.append(_undated_crime(crime, cam_date))
    if getattr(result, "roads", None) is not None:
        out.append(street_layer(result, short=True))
    cam_meta = result.meta.get("cameras") or {}
    if cam_meta.get("format") == "counts per unit":
        out.append(
            _(
                "The cameras are counts per unit (column {column}), without locations: the area in view, the gap "
                "and the classes, effective cameras, cameras within a distance of a unit, operators and placement "
                "anomalies cannot be computed and are left empty. Cameras per km² and per 1,000 residents remain."
            ).format(column=esc(cam_meta.get("column")))
        )
    assumed = {k: v for k, v in (c.get("cameras_tags_assumed") or {}).items() if v}
    if assumed:
        tags = ", ".join(f"{esc(tag)} ({num(n)})" for tag, n in assumed.items())
        out.append(
            _(
                "The camera source does not give every camera's tags; these were assumed where a camera lacked "
                "them: {tags}. Every figure that depends on a camera's type, direction or owner rests on that "
                "assumption."
            ).format(tags=tags)
        )
    if not assumed and cam_meta.get("format") != "counts per unit":  # those are not OpenStreetMap's
        out.append(
            esc(
                _(
                    "OpenStreetMap holds only the cameras that volunteers have found and tagged: a unit with no "
                    "camera on the map may have cameras that are not mapped, and mapping is more complete in some "
                    "neighbourhoods than in others."
                )
            )
        )
    if getattr(result, "groups", None) is not None:
        out.append(
            _(
                "The comparison of groups of residents is {ecological}: a group's figure is the average of its "
                "units' figures, weighted by how many of its members live in each, so it says where the group's "
                "members live, not what any one of them experiences (the ecological fallacy). Its intervals treat "
                "the units as a sample of places (a bootstrap over units); they are not margins of error of the "
                "census estimates or of the camera list."
            ).format(ecological=term("ecological", esc(_("ecological"))))
        )
    outside = (result.meta.get("no_crime_data") or {}).get("units_outside") or []
    if outside:
        out.append(
            _(
                "The crime data does not apply to {units} (policed by another agency, as the study declared): no "
                "crime figure or class is given there, rather than a count of zero."
            ).format(units=", ".join(esc(u) for u in outside))
        )
    if "small_population" in result.units:
        few = result.units.loc[result.units["small_population"] == True, "unit_id"].tolist()  # noqa: E712
        if few:
            names = ", ".join(esc(u) for u in few[:5]) + (", ..." if len(few) > 5 else "")
            out.append(
                ngettext(
                    "{n} unit ({names}) has fewer than {min} residents: a rate per resident there moves with each "
                    "incident (and counts visitors' crime against few residents), so rankings use the {smoothed}.",
                    "{n} units ({names}) have fewer than {min} residents: a rate per resident there moves with each "
                    "incident (and counts visitors' crime against few residents), so rankings use the {smoothed}.",
                    len(few),
                ).format(
                    n=num(len(few)),
                    names=names,
                    min=num(float(s.small_population), 0),
                    smoothed=term("smoothed-rate", esc(_("smoothed rate"))),
                )
            )
    categories = c.get("crime_categories") or {}
    drugs = sum(n for name, n in categories.items() if "drug" in name.lower() or "narcotic" in name.lower())
    recorded = (
        " "
        + _(
            "Here {share} of the incidents are drug offences, which are recorded mostly where police look for them."
        ).format(share=whole_pct(drugs / sum(categories.values())))
        if drugs and categories
        else ""
    )
    if crime:
        out.append(
            esc(
                _(
                    "Recorded crime measures reporting and policing as well as crime: offences found by police "
                    "activity are recorded where police patrol, and some crimes are rarely reported."
                )
            )
            + recorded
        )
    out.append(
        _(
            "The figures are about units, not people: a unit's rate or coverage says nothing about any one resident "
            "(the {ecological}), and other boundaries for the units can change the classes and the city-level "
            "measures ({maup})."
        ).format(
            ecological=term("ecological", esc(_("ecological fallacy"))),
            maup=term("maup", esc(_("the modifiable areal unit problem"))),
        )
    )
    return out


def _undated_crime(crime: dict, cam_date: object) -> str:
    """The data-dates caveat of crime data without incident dates (tables of counts per unit): the period it was
    labelled with (``--period``), or that none was given, and the camera data's date (HTML, escaped)."""
    files = ", ".join(esc(f.get("file", "")) for f in crime.get("files") or [])
    what = (
        _("The crime data is counts per unit without incident dates ({files})").format(files=files)
        if files
        else _("The crime data has no incident dates")
    )
    period = crime.get("period")
    when = (
        _("labelled as covering {period}").format(period=esc(period))
        if period
        else _("and no period was given (--period), so the time it covers is not known")
    )
    if cam_date:
        tail = _(
            "the camera data is from {cameras}: cameras placed after the crime was recorded cannot have been placed "
            "against it, and crime may have moved since."
        ).format(cameras=esc(i18n.date(str(cam_date))))
    else:
        tail = _("the date of the camera data is not known either.")
    return f"{what}, {when}; {tail}"


def _caveats_box(result: StudyResult) -> list[str]:
    """The caveats of :func:`caveats` in a box on the first page."""
    items = "".join(f"<li>{c}</li>" for c in caveats(result))
    heading = esc(_("What these numbers cannot carry"))
    return [f"<div class='warnings caveats'><h2>{heading}</h2><ul>{items}</ul></div>"]


def _warnings_box(result: StudyResult) -> list[str]:
    """The ledger's warnings about the data, in a box before the findings (nothing when there are none)."""
    if not result.ledger.warnings:
        return []
    items = "".join(f"<li>{esc(w)}</li>" for w in result.ledger.warnings)
    return ["<div class='warnings'><h2>" + esc(_("Warnings about the data")) + f"</h2><ul>{items}</ul></div>"]


def _ci(value: float, low: float, high: float, digits: int, percent: bool = False) -> str:
    """A value with its interval in brackets (n/a when unknown); a share as a percentage; in the current
    language."""
    if value != value:
        return na()
    k, unit = (100.0, percent_sign()) if percent else (1.0, "")

    def show(x: float) -> str:
        return num(float(k * x), digits) + unit

    if low != low or high != high:
        return show(value)
    return f"{show(value)} ({_('{low} to {high}').format(low=show(low), high=show(high))})"


def _digits(name: str) -> int:
    """Decimals of a group's mean of a column of units.csv: one more than the column's own (two for a share)."""
    c = column(name)
    return 2 if c.format == "percent" else c.digits + 1


EVERY_MEASURE = _("Every measure: each group's mean against all residents'")


def _groups_section(result: StudyResult) -> list[str]:
    """The groups of residents: the comparison in one sentence, the table of their mean exposure with its
    intervals, a chart of the headline measure, the ratios between groups, and what the figures mean."""
    g = result.groups
    if g is None:
        return []
    s = result.settings
    t = g.table
    head = s.group_headline
    label = column(head).label
    parts = ["<h2>" + esc(_("Who lives with the cameras: groups of residents")) + "</h2>"]
    if g.headline is not None:
        parts.append(f"<p><b>{esc(g.headline['sentence'])}</b></p>")
    shown = [m for m in (head, "crimes_per_1k_smoothed") if m in t]
    header = "".join(
        _th(_("{measure} (95% interval)").format(measure=_(column(m).label)), _("Ratio to all residents"))
        for m in shown
    )
    first = _th(_("Group"), _("Counted as"), _("Residents"), _("Share"))
    parts.append(f"<table><thead><tr>{first}{header}</tr></thead><tbody>")
    for _i, r in t.iterrows():
        cells = "".join(
            f"<td>{_ci(r[m], r[f'{m}_low'], r[f'{m}_high'], _digits(m), column(m).format == 'percent')}</td>"
            f"<td>{_ci(r[f'{m}_ratio'], r[f'{m}_ratio_low'], r[f'{m}_ratio_high'], 2)}</td>"
            for m in shown
        )
        parts.append(
            f"<tr><td>{esc(r['group'])}</td><td>{esc(r['definition'])}</td><td>{num(r['population'], 0)}</td>"
            f"<td>{pct(r['population_share'])}</td>{cells}</tr>"
        )
    parts.append("</tbody></table>")
    by_group_note = _("{measure}, by group:").format(measure=_(label))
    parts.append(f"<p class='note'>{esc(by_group_note)}</p>")
    bars = [(str(r["group"]), float(r[head])) for _i, r in t.iterrows()]
    parts.append(bar_chart(bars, unit="", digits=_digits(head)))
    groups = [x for x in t["group"] if x != t["group"].iloc[0]]
    head_cells = "".join(f"<th>{esc(x)}</th>" for x in groups)
    rows = []
    by_group = t.set_index("group")
    for m in g.measures:
        ratio = by_group[[f"{m}_ratio", f"{m}_ratio_low", f"{m}_ratio_high"]]
        cells = "".join(f"<td>{_ci(*ratio.loc[x], 2)}</td>" for x in groups)
        rows.append(f"<tr><td>{esc(_(column(m).label))}</td>{cells}</tr>")
    parts.append(
        "<h3>" + esc(_(EVERY_MEASURE)) + f"</h3>"
        f"<table><thead><tr>{_th(_('Measure'))}{head_cells}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    pairs = g.ratios[g.ratios["measure"] == head]
    if not pairs.empty:
        rows = "".join(
            f"<tr><td>{esc(r['group'])}</td><td>{esc(r['other'])}</td>"
            f"<td>{_ci(r['ratio'], r['ratio_low'], r['ratio_high'], 2)}</td></tr>"
            for _i, r in pairs.iterrows()
        )
        parts.append(
            "<h3>"
            + esc(_("Between groups: {measure}").format(measure=_(label)))
            + "</h3><table><thead><tr>"
            + _th(_("Group"), _("Compared with"), _("Ratio of their means (95% interval)"))
            + f"</tr></thead><tbody>{rows}</tbody></table>"
        )
    note = _(
        "A group's figure is the mean of a unit-level measure over the units, weighted by the group's residents in "
        "each, {formula}: what a member of the group lives with on average. Effective cameras share each camera's "
        "field of view among the units it falls in ({effective}); cameras within {buffer} m count the cameras inside "
        "a unit or within {buffer} m of its boundary; both per 1,000 residents, over units with more than {min} "
        "residents. The crime rate is given for context: a group can live with more cameras because its units "
        "record more crime. Brackets: 95% intervals from {resamples} resamples of the units with replacement (fixed "
        "seed), which treat the units as a sample of places; they do not carry the census estimates' margins of "
        "error. Groups may overlap (race and ethnicity are asked apart). No group with fewer than {group_min} "
        "residents in the study area is reported. groups.csv and group_ratios.csv give every measure."
    ).format(
        formula=_code("Σ_u g_u x_u / Σ_u g_u"),
        effective=_code("E_u = Σ_v |F_v ∩ u| / |F_v|"),
        buffer=tick(s.buffer_m),
        min=num(float(s.per_capita_min_residents), 0),
        resamples=num(2000),
        group_min=num(float(s.group_min_population), 0),
    )
    if g.not_reported:
        note += " " + esc(
            _("Not reported for having fewer than {min} residents in the study area: {groups}.").format(
                min=num(float(s.group_min_population), 0), groups=", ".join(g.not_reported)
            )
        )
    parts.append(f"<p class='note'>{note}</p>")
    return parts


def _rank_section(result: StudyResult) -> list[str]:
    """The concentration of camera exposure over the units ranked by a column (``--rank-by``)."""
    rc = result.rank_concentration
    if rc is None:
        return []
    rows = "".join(
        f"<tr><td>{esc(e.name)}</td><td>{signed(e.value)}</td><td>{interval(e.low, e.high)}</td><td>{num(e.n)}</td>"
        f"<td>{num(e.excluded)}</td></tr>"
        for e in rc.estimates
    )
    colours = ("#1b7837", "#2166ac", "#e66101")
    return [
        "<h2>" + esc(_("Camera exposure by {column}").format(column=rc.column)) + "</h2>",
        "<p class='note'>"
        + _(
            "Units ranked by {column}, lowest first; x: cumulative share of residents, y: cumulative share of the "
            "effective cameras (green), of the area in view (blue) and of the cameras (orange). Below the diagonal: "
            "more goes to the units ranked high. Concentration index {formula}, weighted by residents, with a 95% "
            "bootstrap interval over units."
        ).format(column=esc(rc.column), formula=_code("C = 1 − Σ_k (X_k − X_{k−1})(Y_k + Y_{k−1})"))
        + "</p>",
        "<table><thead><tr>"
        + _th(_("Measure"), _("Value"), _("95% interval"), _("Units"), _("Left out"))
        + f"</tr></thead><tbody>{rows}</tbody></table>",
        line_chart(
            [
                (name.replace("_", " "), list(zip(curve["x"], curve["y"], strict=True)), colour, True)
                for (name, curve), colour in zip(rc.curves.items(), colours, strict=False)
            ],
            x_label=_("cumulative share of residents, by {column}").format(column=rc.column),
            y_label=_("cumulative share"),
            diagonal=True,
        ),
    ]


def _city_section(result: StudyResult) -> list[str]:
    """City-level measures with intervals, and the two charts: concentration curve and crime rate against coverage."""
    if not result.city:
        return []
    rows = "".join(
        f"<tr><td>{esc(_(e.name))}</td><td>{signed(e.value)}</td><td>{interval(e.low, e.high)}</td><td>{num(e.n)}</td>"
        f"<td>{num(e.excluded)}</td><td class='text'>{esc(_(e.interpretation))}</td></tr>"
        for e in result.city
    )
    head = _th(_("Measure"), _("Value"), _("95% interval"), _("Units"), _("Left out")) + _th(_("Reading"), cls="text")
    parts = [
        "<h2>" + esc(_("City-level measures")) + "</h2>",
        "<p class='note'>"
        + esc(
            _(
                "95% intervals from a seeded bootstrap over units (2,000 resamples). The units are not a sample: they "
                "are all of the city's units, and neighbouring units are alike, so this interval is not a sampling "
                "error; read it as how much a measure rests on a few units. The intervals of the sources of error "
                "are in the section Uncertainty. Units without crime data or without residents are left out of the "
                "measures that need them, and counted."
            )
        )
        + "</p>",
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>",
    ]
    curves = result.curves
    if curves is not None:
        parts.append(
            "<h3>"
            + esc(_("Concentration curves"))
            + "</h3><p class='note'>"
            + esc(
                _(
                    "Units ranked by crimes per 1,000 residents, lowest first; x: cumulative share of residents, y: "
                    "cumulative share of the area in view (blue) and of cameras (orange). Below the diagonal: more "
                    "goes to the high-crime units."
                )
            )
            + "</p>"
        )
        parts.append(
            line_chart(
                [
                    (
                        _("coverage"),
                        list(zip(curves.coverage["x"], curves.coverage["y"], strict=True)),
                        "#2166ac",
                        True,
                    ),
                    (_("cameras"), list(zip(curves.cameras["x"], curves.cameras["y"], strict=True)), "#e66101", True),
                ],
                x_label=_("cumulative share of residents"),
                y_label=_("cumulative share"),
                diagonal=True,
            )
        )
        pts = curves.units
        dots = [
            (
                _("{unit}: {rate} crimes per 1,000, {share} in view").format(
                    unit=n, rate=num(float(r), 1), share=pct(float(c))
                ),
                [(r, 100 * c)],
                "#b2182b",
                False,
            )
            for n, r, c in zip(pts["unit_id"].astype(str), pts["crime_rate"], pts["covered_share"], strict=True)
        ]
        parts.append(
            "<h3>"
            + esc(_("Crime rate against coverage"))
            + "</h3><p class='note'>"
            + esc(_("One point per unit: crimes per 1,000 residents (x) and share of its area in camera view, % (y)."))
            + "</p>"
        )
        parts.append(line_chart(dots, x_label=_("crimes per 1,000 residents"), y_label=_("area in view (%)")))
    return parts


def _th(*labels: str, cls: str | None = None) -> str:
    """Header cells of a table, each label escaped (``cls``: the class of every cell)."""
    attr = f" class='{cls}'" if cls else ""
    return "".join(f"<th{attr}>{esc(label)}</th>" for label in labels)


def _map_section(result: StudyResult) -> list[str]:
    """The static map: units coloured by the gap, cameras as dots (no home is drawn)."""
    u = result.units
    span = gap_span(u["gap"])
    cams = result.views.drop_duplicates("camera_id") if len(result.views) else None
    return [
        "<h2>" + esc(_("Map")) + "</h2>",
        "<p class='note'>"
        + esc(
            _(
                "Units coloured by the gap between their share of the area in camera view and their share of "
                "recorded crime; cameras as dots. Hover a unit for its name and gap. map.html beside this report is "
                "the interactive map, with fields of view, crime and every camera's tags."
            )
        )
        + "</p>",
        f"<figure>{unit_map(u, cams)}<figcaption>{gap_legend(span)}</figcaption></figure>",
    ]


def _terrain_section(result: StudyResult) -> list[str]:
    table = result.hillside
    if table is None:
        return []
    rows = "".join(
        f"<tr><td>{esc(r['terrain'])}</td><td>{num(r['units'])}</td><td>{num(r['residents'], 0)}</td>"
        f"<td>{num(r['cameras_per_km2'])}</td><td>{pct(r['covered_share'])}</td><td>{num(r['crimes_per_1k'])}</td></tr>"
        for _i, r in table.iterrows()
    )
    return [
        "<h2>" + esc(_("Hillside and flat units")) + "</h2>",
        "<p class='note'>"
        + esc(
            _(
                "Mean elevation and slope per unit from the DEM; a unit is hillside when its mean slope is at least "
                "{slope} (default {default})."
            ).format(
                slope=tick(result.settings.hillside_slope_pct) + percent_sign(),
                default=tick(Settings.hillside_slope_pct) + percent_sign(),
            )
        )
        + "</p>",
        *_elevation_coverage(result),
        "<table><thead><tr>"
        + _th(_("Terrain"), _("Units"), _("Residents"), _("Cameras per km²"), _("Area in view"), _("Crimes per 1,000"))
        + f"</tr></thead><tbody>{rows}</tbody></table>",
        "<div class='charts'>",
        bar_chart(
            [(r["terrain"], float(r["cameras_per_km2"])) for _i, r in table.iterrows()], unit=_("cameras/km²"), digits=1
        ),
        bar_chart(
            [(r["terrain"], 100 * float(r["covered_share"])) for _i, r in table.iterrows()],
            unit=_("% in view"),
            digits=1,
        ),
        bar_chart(
            [(r["terrain"], float(r["crimes_per_1k"])) for _i, r in table.iterrows()],
            unit=_("crimes per 1,000"),
            digits=1,
        ),
        "</div>",
    ]


def _elevation_coverage(result: StudyResult) -> list[str]:
    """How much of the units, and of the cameras' reach, the DEM gives no elevation for, with the keys of the
    manifest that hold the same shares (two shares of two areas, said apart)."""
    terrain = result.meta.get("terrain")
    if not terrain or "missing_share" not in terrain:
        return []
    s = result.settings
    short = terrain.get("units_without_elevation_data") or {}
    text = _(
        "The DEM gives no elevation for {share} of the units' area (their {cell} m terrain cells; {key} in "
        "manifest.json). A unit's terrain is computed from its cells with an elevation when they make at least {min} "
        "of it (default {default});"
    ).format(
        share=pct(terrain["missing_share"]),
        cell=tick(terrain["cell_size_m"]),
        key=_code("sources.terrain.missing_share"),
        min=tick(100 * s.terrain_min_covered_share) + percent_sign(),
        default=tick(100 * Settings.terrain_min_covered_share) + percent_sign(),
    )
    if short:
        text += " " + esc(
            ngettext(
                "{n} unit falls below and has no terrain figures (“no elevation data”; see Missing data below).",
                "{n} units fall below and have no terrain figures (“no elevation data”; see Missing data below).",
                len(short),
            ).format(n=num(len(short)))
        )
    else:
        text += " " + esc(_("every unit does."))
    partly = result.counts.get("terrain_units_from_covered_cells_only")
    if partly:
        text += " " + ngettext(
            "The terrain of {n} unit is that of its covered cells only (their covered share: {column} in units.csv).",
            "The terrain of {n} units is that of their covered cells only (their covered share: {column} in "
            "units.csv).",
            partly,
        ).format(n=num(partly), column=_code("elevation_covered_share"))
    dem = result.meta.get("dem") or {}
    reach = dem.get("reach_missing_share")
    if reach is not None:
        text += " " + _(
            "Within the cameras' reach, {share} of the {cell} m cells of the viewsheds' surface have no elevation "
            "({key})"
        ).format(share=pct(reach), cell=tick(s.cell_size_m), key=_code("counts.dem_cells_missing_share"))
        text += (
            esc(
                _("; there the ground was taken as flat, at {m} m (--dem-fill flat).").format(
                    m=num(dem["filled_with_m"])
                )
            )
            if reach > 0 and "filled_with_m" in dem
            else "."
        )
    return [f"<p class='note'>{text}</p>"]


def _clusters_section(result: StudyResult) -> list[str]:
    """The global bivariate Moran's I and how many local clusters hold, before and after the false discovery
    rate; it says so when none holds."""
    u = result.units
    if "cluster" not in u:
        return []
    local = int(u["cluster"].str.endswith("around").sum())
    fdr = int(u["cluster_fdr"].str.endswith("around").sum()) if "cluster_fdr" in u else 0
    tested = int(u["cluster"].isin(["not significant"]).sum()) + local
    m = getattr(result, "moran", None)
    text = "<h2>" + esc(_("Spatial clusters")) + "</h2><p>"
    if m is not None:
        verdict = (
            _("no evidence that a unit's crime rate goes with its neighbours' coverage")
            if m.p_value >= 0.05
            else (
                _("units with more crime per resident have neighbours with more coverage")
                if m.i > 0
                else _("units with more crime per resident have neighbours with less coverage")
            )
        )
        text += (
            esc(
                _(
                    "Global bivariate Moran's I of the smoothed crime rate against the neighbours' share of area in "
                    "view: {i} (pseudo p = {p}, {permutations} permutations, {n} units): {verdict}."
                ).format(
                    i=signed(m.i),
                    p=num(float(m.p_value), 3),
                    permutations=num(m.permutations),
                    n=num(m.n),
                    verdict=verdict,
                )
            )
            + " "
        )
    text += (
        esc(
            _("Local clusters at p < 0.05: {local} of {tested} units tested.").format(
                local=num(local), tested=num(tested)
            )
        )
        + " "
    )
    if local and not fdr:
        text += esc(
            _(
                "None of them holds once the false discovery rate over all the units' tests is kept at 0.05: at "
                "p < 0.05 about one unit in twenty would be a cluster by chance alone, so no local cluster is a "
                "finding."
            )
        )
    elif not local:
        text += esc(_("No local cluster is a finding."))
    else:
        names = ", ".join(str(x) for x in u.loc[u["cluster_fdr"].str.endswith("around"), "unit_id"])
        text += esc(
            _("Holding with the false discovery rate kept at 0.05: {n} ({units}).").format(n=num(fdr), units=names)
        )
    return [text + "</p>"]


def _scales_section(result: StudyResult) -> list[str]:
    """The city-level measures at the study's scale and on a finer unit layer, each with whether it holds at
    both, flips, or is inconclusive at one (nothing without a finer layer)."""
    sc = getattr(result, "scales", None)
    if sc is None or not len(sc):
        return []
    rows = "".join(
        f"<tr><td>{esc(r['measure'])}</td><td>{signed(r['coarse'])}</td>"
        f"<td>{interval(r['coarse_low'], r['coarse_high'])}</td><td>{signed(r['fine'])}</td>"
        f"<td>{interval(r['fine_low'], r['fine_high'])}</td>"
        f"<td class='text'>{esc(r['verdict'])}</td></tr>"
        for _i, r in sc.iterrows()
    )
    first = sc.iloc[0]
    flips = sc.loc[sc["verdict"] == "flips", "measure"].tolist()
    note = (
        _("Flips with the scale, and so not a finding at either: {measures}.").format(measures=", ".join(flips))
        if flips
        else _("No measure flips its sign with the scale.")
    )
    text = _(
        "The same study on {coarse} units and on {fine} finer units; intervals from the {interval}. A measure holds "
        "at both scales when its interval lies on the same side of zero at both. Aggregation changes the measures "
        "themselves (the modifiable areal unit problem): a finer grain finds more inequality."
    ).format(coarse=num(int(first["units_coarse"])), fine=num(int(first["units_fine"])), interval=first["interval"])
    head = _th(_("Measure"), _("Units"), _("95% interval"), _("Finer units"), _("95% interval")) + _th(
        _("Verdict"), cls="text"
    )
    return [
        "<h2>" + esc(_("Two scales")) + "</h2>",
        f"<p>{esc(text)} {esc(note)}</p>",
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>",
    ]


def _uncertainty_section(result: StudyResult) -> list[str]:
    """The draws of the sources of error: what they vary, the units' class probabilities, the city-level
    measures' intervals over the draws (inconclusive when they span zero)."""
    unc = getattr(result, "uncertainty", None)
    if unc is None:
        return []
    s = result.settings
    crime = (
        _("Poisson around the recorded count")
        if s.draws_crime_model == "poisson"
        else _("negative binomial around the recorded count (size {size})").format(size=tick(s.draws_crime_dispersion))
    )
    text = _(
        "{draws} draws (seed {seed}), each changing at once: each unit's crime count ({crime}); each mapped camera "
        "left out with probability {omission}, and on average {added} unmapped cameras added in the units with fewer "
        "cameras per km² than the median unit; a direction for each view without one (among {directions} "
        "directions); the detail level and the fixed lens (weights {weights} for the shorter range, the study's and "
        "the longer); the classes' quantiles (±{spread}) and ratios (×/÷ up to {factor}). A class is a finding when "
        "its probability over the draws is at least {threshold}; {below} of {units} units fall below it. The "
        "omission and addition rates are assumptions: no completeness rate of OpenStreetMap's cameras is published."
    ).format(
        draws=num(unc.draws),
        seed=unc.seed,
        crime=crime,
        omission=plain(s.draws_camera_omission),
        added=plain(float(unc.notes.get("unmapped_cameras_expected_per_draw", 0))),
        directions=num(s.draws_directions),
        weights=plain(tuple(s.draws_level_weights)),
        spread=plain(s.draws_threshold_spread),
        factor=plain(s.draws_ratio_factor),
        threshold=tick(unc.threshold),
        below=num(len(unc.uncertain)),
        units=num(len(unc.robustness)),
    )
    parts = ["<h2>" + esc(_("Uncertainty")) + "</h2>", f"<p>{esc(text)}</p>"]
    u = result.units.set_index("unit_id")
    show_units = u.index[
        u["class"].isin(STORY_CLASSES) | (u["p_under_covered"] >= 0.05) | (u["p_over_covered"] >= 0.05)
    ]
    if len(show_units):
        rows = "".join(
            f"<tr><td>{esc(x)}</td><td>{esc(class_label(u.loc[x, 'class']))}</td>"
            f"<td>{num(float(u.loc[x, 'p_under_covered']), 2)}</td><td>{num(float(u.loc[x, 'p_over_covered']), 2)}</td>"
            f"<td>{num(float(u.loc[x, 'p_class']), 2)}</td><td>{esc(_(str(u.loc[x, 'robustness'])))}</td></tr>"
            for x in show_units
        )
        head = _th(
            _("Unit"),
            _("Class"),
            f"P({class_label('under_covered')})",
            f"P({class_label('over_covered')})",
            _("P(its class)"),
            _("Robustness"),
        )
        parts.append(
            "<h3>" + esc(_("Class probabilities")) + f"</h3><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    if len(unc.measures):
        rows = "".join(
            f"<tr><td>{esc(_(r['measure']))}</td><td>{signed(r['value'])}</td>"
            f"<td>{interval(r['draws_low'], r['draws_high'])}</td><td class='text'>"
            + esc(_("inconclusive: spans zero") if r["draws_low"] <= 0 <= r["draws_high"] else _("holds"))
            + "</td></tr>"
            for _i, r in unc.measures.iterrows()
        )
        head = _th(_("Measure"), _("Value"), _("95% of the draws")) + _th(_("Reading"), cls="text")
        parts.append(
            "<h3>"
            + esc(_("City-level measures over the draws"))
            + f"</h3><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        )
    return parts


def _sensitivity_section(result: StudyResult) -> list[str]:
    sens = result.sensitivity
    if sens is None:
        return []
    variants = [c for c in sens.classes.columns if c != "baseline"]
    uncertain = sens.uncertain
    text = _("The analysis was run again under each of these assumptions: {variants}.").format(
        variants="; ".join(variants)
    )
    if sens.skipped:
        text += " " + _("Not run: {skipped} (camera height matters only with buildings or a DEM).").format(
            skipped="; ".join(sens.skipped)
        )
    text += " " + _(
        "{robust} of {units} units keep their class under every one of them. These reruns change one assumption at "
        "a time for every camera at once; whether a class is a finding follows its probability over the draws of "
        "the sources of error (Uncertainty)."
    ).format(robust=num(sens.robust_count), units=num(sens.unit_count))
    parts = ["<h2>" + esc(_("Sensitivity")) + "</h2>", f"<p>{esc(text)}</p>"]
    if len(uncertain):
        head = _th(_("Unit"), _("baseline"), *variants)
        rows = "".join(
            f"<tr><td>{esc(unit)}</td>"
            + "".join(f"<td>{esc(class_label(sens.classes.loc[unit, v]))}</td>" for v in ["baseline", *variants])
            + "</tr>"
            for unit in uncertain
        )
        parts.append(
            "<h3>" + esc(_("Units whose class changes")) + f"</h3><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    m = sens.measures
    head = _th(_("Run"), *[_(str(c)) for c in m.columns])
    rows = "".join(
        f"<tr><td>{esc(_(str(idx)) if idx == 'baseline' else idx)}</td>"
        + "".join(f"<td>{signed(v)}</td>" for v in row.to_numpy())
        + "</tr>"
        for idx, row in m.iterrows()
    )
    parts.append(
        "<h3>" + esc(_("City-level measures under each assumption")) + "</h3>"
        f"<table class='wide'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )
    return parts


def _gaps_section(result: StudyResult) -> list[str]:
    u = result.units
    if "data_gaps" not in u or u["data_gaps"].isna().all():
        return []
    rows = "".join(
        f"<tr><td>{esc(r['unit_id'])}</td><td>{esc(r['data_gaps'])}</td></tr>"
        for _i, r in u[u["data_gaps"].notna()].iterrows()
    )
    return [
        "<h2>"
        + esc(_("Missing data"))
        + "</h2><p class='note'>"
        + esc(_("These units lack data; their measures are shown as n/a, never as zero."))
        + "</p>",
        f"<table><tbody>{rows}</tbody></table>",
    ]


def _homes_section(result: StudyResult) -> list[str]:
    """Cameras that look into homes (camera-level: public infrastructure) and homes in view per unit (counts)."""
    views = result.views
    if "intrusion_score" not in views:
        return []
    c = result.counts
    s = result.settings
    heights = _(" or ").join(f"{tick(h)} m" for h in s.homes_window_heights_m)
    flagged = views[views["looks_into_homes"]].sort_values("intrusion_score", ascending=False)
    text = _(
        "{homes} homes (buildings of a residential type) and {probable} probable homes (buildings of unspecified type "
        "in residential land use, counted apart) lie in the study area. A home counts as seen by a camera when a cell "
        "along one of its façades is visible at the height of a window ({heights} above the ground). A camera's "
        "intrusion score is the share of the private residential land in the part of its view that is either "
        "private residential land or public space (streets, squares, parks): {formula}. A camera is flagged when "
        "I ≥ {flag} and it sees at least one home. No single home is named or drawn in this report."
    ).format(
        homes=num(c.get("homes", 0)),
        probable=num(c.get("probable_homes", 0)),
        heights=esc(heights),
        formula=_code("I = P / (P + Q)"),
        flag=tick(s.homes_flag_share),
    )
    parts = ["<h2>" + esc(_("Cameras that look into homes")) + "</h2>", f"<p>{text}</p>"]
    if flagged.empty:
        parts.append(f"<p>{esc(_('No camera is flagged.'))}</p>")
    else:
        head = _th(
            _("Camera"),
            _("Operator"),
            _("Kind"),
            _("Homes in view"),
            _("Probable homes in view"),
            _("Intrusion score"),
            _("Private land in view (m²)"),
            _("Public space in view (m²)"),
        )
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>")
        for _i, v in flagged.iterrows():
            parts.append(
                f"<tr><td>{esc(v['camera_id'])}</td><td>{esc(v['operator'])}</td><td>{esc(v['kind'])}</td>"
                f"<td>{num(v['homes_in_view'])}</td><td>{num(v['probable_homes_in_view'])}</td>"
                f"<td>{num(float(v['intrusion_score']), 2)}</td><td>{num(float(v['private_m2']), 0)}</td>"
                f"<td>{num(float(v['public_m2']), 0)}</td></tr>"
            )
        parts.append("</tbody></table>")
    u = result.units
    if "homes" in u:
        head = _th(_("Unit"), _("Homes"), _("Seen by a camera"), _("Share"), _("Probable homes"), _("Seen by a camera"))
        parts.append("<h3>" + esc(_("Homes in view per unit")) + f"</h3><table><thead><tr>{head}</tr></thead><tbody>")
        for _i, row in u.iterrows():
            parts.append(
                f"<tr><td>{esc(row['unit_id'])}</td><td>{num(row['homes'], 0)}</td>"
                f"<td>{num(row['homes_in_view'], 0)}</td>"
                f"<td>{pct(row['homes_in_view_share'])}</td><td>{num(row['probable_homes'], 0)}</td>"
                f"<td>{num(row['probable_homes_in_view'], 0)}</td></tr>"
            )
        parts.append("</tbody></table>")
    return parts


def _operators_section(result: StudyResult) -> list[str]:
    ops = result.operators
    if ops is None or ops.empty:
        return []
    has_homes = "share_looking_into_homes" in ops
    head = _th(
        _("Operator"),
        _("Cameras"),
        _("Area in view (km²)"),
        _("Public"),
        _("Private outdoor"),
        _("Indoor"),
        _("Unknown"),
    ) + (_th(_("Looking mostly into homes")) if has_homes else "")
    rows = "".join(
        f"<tr><td>{esc(r['operator'])}</td><td>{num(r['cameras'])}</td><td>{num(float(r['covered_km2']), 3)}</td>"
        f"<td>{num(r['public'])}</td><td>{num(r['outdoor'])}</td><td>{num(r['indoor'])}</td>"
        f"<td>{num(r['unknown_ownership'])}</td>"
        + (f"<td>{pct(r['share_looking_into_homes'])}</td>" if has_homes else "")
        + "</tr>"
        for _i, r in ops.iterrows()
    )
    note = _(
        "Operators as tagged in OpenStreetMap ({operator}), counted together when they share an {wikidata} id or "
        "the same name up to case and spacing; cameras without an operator tag are counted as unknown. Ownership "
        "from {surveillance}. operators_by_unit.csv breaks this down by unit."
    ).format(
        operator="<code>operator</code>",
        wikidata="<code>operator:wikidata</code>",
        surveillance="<code>surveillance</code>",
    )
    return [
        "<h2>" + esc(_("Who watches: operators")) + "</h2>",
        f"<p class='note'>{note}</p>",
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>",
        bar_chart([(r["operator"], float(r["cameras"])) for _i, r in ops.head(12).iterrows()], unit=_("cameras")),
    ]


#: How many units the section on the plate readers' roads lists, those of the largest share of roads logged first
#: (the cordoned units are listed too, wherever they rank; units.csv has every unit).
ROAD_UNITS = 10

#: The columns of units.csv that the table of the plate readers' roads shows, in order: the unit, then every column
#: :mod:`equity.roads` adds.
ROAD_TABLE = ("unit_id", *ROAD_COLUMNS)

#: The labels of :data:`ROAD_TABLE` (:mod:`equity.columns`), registered here so that the catalogs carry them.
ROAD_TABLE_LABELS = (
    _("Road length"),
    _("Road length logged"),
    _("Share of roads logged"),
    _("Share of roads logged, by class"),
    _("Road entrances"),
    _("Entrances logged inward"),
    _("Exits logged outward"),
    _("Cordoned"),
)


def road_units(result: StudyResult, n: int = ROAD_UNITS) -> pd.DataFrame:
    """The units the section on the plate readers' roads lists: the ``n`` of the largest ``roads_logged_share``
    (ties by name), then every cordoned unit not among them."""
    u = result.units.drop(columns="geometry", errors="ignore")
    ranked = u[u["roads_logged_share"].notna()].sort_values(
        ["roads_logged_share", "unit_id"], ascending=[False, True], kind="stable"
    )
    top = ranked.head(n)
    cordoned = u[u["cordoned"].fillna(False).astype(bool) & ~u["unit_id"].isin(top["unit_id"])]
    return pd.concat([top, cordoned])


def _roads_section(result: StudyResult) -> list[str]:
    """The plate readers on the roads (:mod:`equity.roads`, docs/roads.md): what they log, the units of the largest
    share of roads logged and the cordoned ones, how readers were matched to roads, and the street layer."""
    r = getattr(result, "roads", None)
    if r is None or "roads_logged_share" not in result.units:
        return []
    s = result.settings
    c = result.counts
    columns = [x for x in ROAD_TABLE if x != "roads_logged_share_by_class" or r.classed]
    rows = "".join(
        "<tr>" + "".join(f"<td>{esc(show(row[x], column(x)))}</td>" for x in columns) + "</tr>"
        for _i, row in road_units(result).iterrows()
    )
    header = "".join(
        f"<th>{term(k, esc(_(column(x).label))) if (k := _ROAD_TERMS.get(x)) else esc(_(column(x).label))}</th>"
        for x in columns
    )
    unmatched = len(r.unmatched)
    lead = _(
        "{matched} plate-reader views are matched to a road segment and log {segments} segments: {share} of the units' "
        "road length ({logged} of {road} km) is {logged_term} in at least one direction. Of the units' {entrances} "
        "road {entrance_term}, {inward} are logged inward; {cordoned_term}: {cordoned}. {unmatched} views are "
        "matched to no segment (rejected.csv gives each with the nearest segment's distance and angle)."
    ).format(
        matched=num(len(r.readers)),
        segments=num(len(r.segments)),
        share=pct(r.logged_share),
        logged=num(r.roads_logged_m / 1000, 1),
        road=num(r.road_m / 1000, 1),
        logged_term=term("road-logged", esc(_("logged"))),
        entrances=num(int(r.entrances)),
        entrance_term=term("entrance", esc(_("entrances"))),
        inward=num(int(r.entrances_logged)),
        cordoned_term=term("cordoned", esc(_("cordoned units"))),
        cordoned=", ".join(esc(x) for x in r.cordoned) or esc(_("none")),
        unmatched=num(unmatched),
    )
    convention = (
        _(
            "approaching: a reader faces traffic and reads the front plates of the vehicles coming towards it, which "
            "travel at bearing θ + 180°"
        )
        if r.reads == "approaching"
        else _(
            "receding: a reader reads the rear plates of the vehicles moving away from it, which travel at bearing θ"
        )
    )
    method = _(
        "Method: a reader is matched to the nearest road segment (from one intersection to the next) within {dist} m "
        "({dist_setting}) whose axis runs within {angle}° ({angle_setting}) of its tagged direction θ; a reader "
        "without a direction is matched to the nearest segment and counted as logging both directions ({both} of "
        "them). The direction it logs follows the convention “{convention}” ({reads_setting}); which convention "
        "holds depends on how each reader is aimed, which OpenStreetMap does not record: the roads logged in at least "
        "one direction are the same under both, only entrances and exits swap. An {entrance_term} of a unit is a "
        "road segment a car may travel inward with one end inside the unit (inside it shrunk by {tol} m, so that "
        "the intersections of a boundary street are on the boundary) and the other outside; it is logged inward "
        "when a reader on the segment logs travel from the outer end to the inner end. A unit is {cordoned_term} "
        "when it has entrances and every one is logged inward: no car enters it by road without being logged. "
        "Share of roads logged: {formula}. The table lists the {n} units of the largest share and every cordoned "
        "unit; units.csv gives every unit."
    ).format(
        dist=tick(s.alpr_match_m),
        dist_setting=_code("alpr_match_m"),
        angle=tick(s.alpr_match_angle_deg),
        angle_setting=_code("alpr_match_angle_deg"),
        both=num(int(c.get("alpr_views_without_direction_logging_both", 0))),
        convention=esc(convention),
        reads_setting=_code("alpr_reads"),
        entrance_term=term("entrance", esc(_("entrance"))),
        tol=tick(s.cordon_tolerance_m),
        cordoned_term=term("cordoned", esc(_("cordoned"))),
        formula=_code("roads_logged_share = L_logged,u / L_u"),
        n=num(ROAD_UNITS),
    )
    return [
        "<h2>" + esc(_("Plate readers on the roads")) + "</h2>",
        f"<p>{lead}</p>",
        f"<table class='roads'><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>",
        f"<p class='note'>{method}</p>",
        f"<p class='note'>{street_layer(result)}</p>",
    ]


#: The glossary entry that a column of the table of the plate readers' roads links its header to.
_ROAD_TERMS = {"unit_id": "unit", "roads_logged_share": "road-logged", "entrances": "entrance", "cordoned": "cordoned"}


#: The file of the bundled San Francisco streets (data/sf/README.md): OpenStreetMap of 2015, untagged.
def street_layer(result: StudyResult, *, short: bool = False) -> str:
    """Where the street layer of the roads' figures comes from and of when (HTML, escaped), from what the study
    knows of it: its file, the source the study declares (``Study.sources["streets"]``), the date of its
    OpenStreetMap data when it came from ``equity fetch``, and whether it has road classes. ``short``: the caveat
    of the first page, without the file and the declared source."""
    path = result.study.inputs().get("streets")
    name = getattr(path, "name", "") if path is not None else ""
    meta = (getattr(result, "meta", None) or {}).get("streets") or {}
    date = meta.get("osm_timestamp")
    r = getattr(result, "roads", None)
    untagged = r is not None and not r.classed
    if short:
        parts = [
            _("The street layer has no road classes or one-way tags.") if untagged else "",
            _("Its OpenStreetMap data is of {date}.").format(date=i18n.date(str(date)))
            if date
            else _("Its date is not in the data (see the data sources)."),
        ]
        return esc(" ".join(p for p in parts if p))
    declared = (result.study.sources or {}).get("streets")
    text = (
        _("The roads' figures rest on the street layer {file} ({source}), of {date}.").format(
            file=name, source=declared, date=i18n.date(str(date))
        )
        if declared and date
        else _("The roads' figures rest on the street layer {file} ({source}); its date is not stated.").format(
            file=name, source=declared
        )
        if declared
        else _("The roads' figures rest on the street layer {file}, of {date}.").format(
            file=name, date=i18n.date(str(date))
        )
        if date
        else _("The roads' figures rest on the street layer {file}; its source and date are not stated.").format(
            file=name
        )
    )
    if untagged:
        text += " " + _("It has no road classes, so every road weighs the same.")
    return esc(text)


def _anomalies_section(result: StudyResult) -> list[str]:
    views = result.views
    if "anomaly_score" not in views:
        return []
    a = result.anomaly_settings
    half, twice, stricter = result.anomaly_variants
    c = result.counts
    cams = views.drop_duplicates("camera_id").sort_values(["anomaly_rank", "camera_id"], na_position="last")
    flagged = cams[cams["anomaly_flag"].astype(bool)]
    need_unknown = c.get("anomaly_need_unknown_at_data_edge", 0)
    iso_unknown = c.get("anomaly_isolation_unknown_at_data_edge", 0)
    unscored = c.get("anomaly_cameras_too_few_components", 0)
    scores = _(
        "Each camera gets up to three scores between 0 and 1, each its rank among the city's cameras (cameras with "
        "equal values share the middle of the ranks they span): isolation (the distance to its nearest other "
        "camera), low need (how few incidents lie within {radius} m of it; where there is no crime data, how few "
        "residents live within that distance, by area from the population polygons) and intrusion (the share of "
        "private residential land in its view, when buildings were given). The anomaly score is the mean of the "
        "known scores, given to a camera with at least {components} of them; a camera is flagged from {flag}. A flag "
        "is robust when it holds with a radius of {half} m and {twice} m and a threshold of {stricter}. {flagged} "
        "cameras are flagged. These figures are about cameras, which are public infrastructure; they name no home "
        "and no person."
    ).format(
        radius=tick(a.radius_m),
        components=num(a.min_components),
        flag=tick(a.flag_score),
        half=tick(half.radius_m),
        twice=tick(twice.radius_m),
        stricter=tick(stricter.flag_score),
        flagged=num(c["cameras_flagged_as_anomalies"]),
    )
    edge = _(
        "Where the disc around a camera leaves the area the data covers (a camera just outside the study area, on "
        "the shore, at the edge of the extract), its count is taken at the same rate over the whole disc; where "
        "less than {share} of the disc is covered, the count is unknown, never 0. Cameras with no known need for "
        "that reason: {need}; with no known isolation: {isolation}; with too few known scores to be ranked: "
        "{unscored}."
    ).format(
        share=pct(a.min_covered_share),
        need=num(need_unknown),
        isolation=num(iso_unknown),
        unscored=num(unscored),
    )
    parts = [
        "<h2>" + esc(_("Cameras placed against the pattern")) + "</h2>",
        f"<p>{esc(scores)}</p>",
        f"<p>{esc(edge)}</p>",
    ]
    if not flagged.empty:
        rows = "".join(
            f"<tr><td>{int(r['anomaly_rank'])}</td><td>{esc(r['camera_id'])}</td><td>{esc(r['operator_normalised'])}</td>"
            f"<td>{esc(r['unit_id'])}</td><td>{num(float(r['anomaly_score']), 2)}</td>"
            f"<td>{esc(r['anomaly_flag_robustness'])}</td><td>{esc(r['anomaly_explanation'])}</td></tr>"
            for _i, r in flagged.head(20).iterrows()
        )
        head = _th(_("Rank"), _("Camera"), _("Operator"), _("Unit"), _("Score"), _("Flag"), _("Why"))
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return parts


def _methodology(result: StudyResult) -> list[str]:
    s = result.settings
    c = result.counts
    rows = settings_rows(s)
    counts = "".join(f"<tr><td>{esc(k.replace('_', ' '))}</td><td>{esc(plain(v))}</td></tr>" for k, v in c.items())
    code = _code
    views = _(
        "Each camera view is a sector with its apex at the camera, centred on the tagged direction ({direction}, "
        "else {direction2}), {fov}° wide for a fixed camera (360° for dome and panning cameras; the width of a "
        "tagged range such as {range}), out to the distance at which the camera still resolves the chosen level of "
        "detail: {formula} with P = {px} pixels and p = {ppm} pixels per metre, the “{level}” level of EN 62676-4: "
        "{meaning}. A fixed camera with a {fov}° lens thus sees about {metres} m."
    ).format(
        direction=code("camera:direction"),
        direction2=code("direction"),
        fov=tick(s.fixed_fov_deg),
        range=code("90-270"),
        formula=code(f"d = P / (2 p tan(min(f, {tick(s.lens_fov_cap_deg)}°)/2))"),
        px=num(s.sensor_px),
        ppm=tick(s.px_per_m),
        level=esc(s.detail_level),
        meaning=esc(DETAIL_LEVEL_MEANING[s.detail_level]),
        metres=num(float(round(result.fixed_camera_range_m)), 0),
    )
    if s.detail_level == "detection":
        views += " " + esc(
            _(
                "This level is the default on purpose: coverage asks whether a person in a place is in a camera's "
                "image at all, which is what a camera claims to deter and what a recording can later show; it is "
                "not the level at which anyone can be recognised."
            )
        )
    if s.second_detail_level is not None:
        views += " " + _(
            "Coverage is also given at the “{level}” level ({ppm} px/m: {meaning}), each range times {factor} "
            "(units.csv: {column})."
        ).format(
            level=esc(s.second_detail_level),
            ppm=tick(DETAIL_LEVELS_PX_PER_M[s.second_detail_level]),
            meaning=esc(DETAIL_LEVEL_MEANING[s.second_detail_level]),
            factor=plain(s.second_range_factor),
            column=esc(f"covered_share_{s.second_detail_level}"),
        )
    views += " " + _(
        "Licence-plate readers ({tag}) are their capture zone on the road, {fov}° wide and {range} m long at every "
        "level ({n} of them); guards, gunshot detectors and dummy cameras are not cameras and are left out "
        "(rejected.csv)."
    ).format(
        tag=code("surveillance:type=ALPR"),
        fov=tick(s.alpr_fov_deg),
        range=tick(s.alpr_range_m),
        n=num(c.get("camera_kinds", {}).get("ALPR", 0)),
    )
    views += " " + _visibility_text(result)
    directions = (
        _(
            "Cameras without a readable direction: policy “{policy}” ({n} views). Indoor cameras are included in "
            "outdoor coverage ({indoor})."
        )
        if s.include_indoor
        else _(
            "Cameras without a readable direction: policy “{policy}” ({n} views). Indoor cameras are excluded from "
            "outdoor coverage ({indoor})."
        )
    ).format(
        policy=esc(s.unknown_direction), n=num(c["views_direction_unknown"]), indoor=num(c["cameras_indoor_excluded"])
    )
    per_unit = _(
        "Per unit u: {crime_share}; {coverage_share} where V_u is the area of u seen by at least one camera "
        "(overlaps counted once); {gap}; {covered_share} with O_u the unit's open area (outside buildings when "
        "buildings are given); cameras per km² {per_km2}; per 1,000 residents {per_1k}; per 100 crimes {per_100}. "
        "A ratio with a zero denominator is shown as {na}."
    ).format(
        crime_share=code("crime_share = K_u / ΣK"),
        coverage_share=code("coverage_share = V_u / ΣV"),
        gap=code("gap = coverage_share − crime_share"),
        covered_share=code("covered_share = V_u / O_u"),
        per_km2=code("C_u / A_u"),
        per_1k=code("1000 C_u / P_u"),
        per_100=code("100 C_u / K_u"),
        na=esc(na()),
    )
    classes = _(
        "Classes: “{under}” when the unit's crime share is at or above the {high_q} quantile of all units' crime "
        "shares and its coverage share is below {low_ratio} × its crime share; “{over}” when its crime share is at "
        "or below the {low_q} quantile, its coverage share above {high_ratio} × its crime share and at or above the "
        "{cover_q} quantile of the units' coverage shares."
    ).format(
        under=esc(class_label("under_covered")),
        over=esc(class_label("over_covered")),
        high_q=num(s.high_crime_quantile, 2),
        low_ratio=plain(s.low_coverage_ratio),
        low_q=num(s.low_crime_quantile, 2),
        high_ratio=plain(s.high_coverage_ratio),
        cover_q=num(s.high_coverage_quantile, 2),
    )
    measures = _(
        "City-level measures: the {concentration} {c_formula} with units ranked by the empirical-Bayes smoothed "
        "crimes per 1,000 residents (or residents per km²), X the cumulative share of residents and Y the cumulative "
        "share of the area in view (or of cameras); the {gini}, weighted by residents, {g_formula}; Spearman's rank "
        "correlation of smoothed crimes per 1,000 residents with the share of a unit's area in view. Intervals: "
        "percentile bootstrap over units, 2,000 resamples, fixed seed. Need-weighted gap: {need} with a = {a}, "
        "{need_gap}. Spatial clusters: bivariate local Moran's I of crime rate against neighbours' coverage (queen "
        "contiguity, 999 conditional permutations, {p})."
    ).format(
        p=esc("p < 0.05"),
        concentration=term("concentration-index", esc(_("concentration index"))),
        c_formula=code("C = 1 − Σ_k (X_k − X_{k−1})(Y_k + Y_{k−1})"),
        gini=term("gini", esc(_("Gini of cameras per resident"))),
        g_formula=code("G = Σ_i Σ_j w_i w_j |v_i − v_j| / (2 W² v̄)"),
        need=code("need = a·crime_share + (1 − a)·population_share"),
        a=plain(s.need_crime_weight),
        need_gap=code("need_gap = coverage_share − need"),
    )
    population = (
        _(
            "Population is taken from a raster of residents per cell by exact zonal sums: {formula}, with f_uc the "
            "share of cell c's area inside unit u and v_c the residents of cell c (a raster of density is first "
            "turned into residents by each cell's area). People are assumed to live evenly over a cell; cells "
            "without data are missing, not zero, and the residents of the parts of the edge cells outside every "
            "unit are counted, not given to a unit."
        ).format(formula=code("P_u = Σ_c f_uc · v_c"))
        if ((getattr(result, "meta", None) or {}).get("population") or {}).get("source") == "raster zonal sums"
        else _(
            "Population, when taken from another polygon layer, is interpolated by area: {formula}, which keeps "
            "every source polygon's population whole (people are assumed to live evenly over the part of a polygon "
            "inside the units)."
        ).format(formula=code("P_u = Σ_s P_s · area(s ∩ u) / area(s ∩ U)"))
    )
    return [
        "<h2>" + esc(_("Methodology")) + "</h2>",
        f"<p>{views}</p>",
        f"<p>{directions}</p>",
        f"<p>{per_unit}</p>",
        f"<p>{classes}</p>",
        f"<p>{measures}</p>",
        f"<p>{population}</p>",
        "<h3 id='settings'>" + esc(_("Settings")) + "</h3>",
        "<p class='note'>"
        + esc(
            _(
                "Each setting by its name in manifest.json and on the command line, its value in this study and its "
                "default; a value that differs from the default is in bold."
            )
        )
        + "</p>",
        "<table class='settings'><thead><tr><th>" + esc(_("Setting")) + "</th><th>" + esc(_("Value")) + "</th>"
        "<th>" + esc(_("Default")) + f"</th></tr></thead><tbody>{rows}</tbody></table>",
        "<h3>" + esc(_("What was counted and assumed")) + f"</h3><table class='counts'><tbody>{counts}</tbody></table>",
    ]


def _code(text: str) -> str:
    """A formula or a tag as code (escaped)."""
    return f"<code>{esc(text)}</code>"


#: The unit of a setting, by the end of its name (a setting with another ending has no unit: a share, a quantile,
#: a ratio, a weight, a count).
SETTING_UNITS = {"_deg": "°", "_m": " m", "_pct": "%", "_px": " px"}


def plain(value: object, suffix: str = "") -> str:
    """A setting's or a count's value as a reader reads it, in the current language: numbers rounded to at most
    three decimals (``2/3 -> 0.667``) with ``suffix`` (their unit), true and false as yes and no, a list as its
    items, a mapping as ``key: value`` pairs, nothing as a dash. Plain text: escape it for HTML.

    Examples
    --------
    >>> plain(2 / 3), plain(25.0, " m"), plain({"street_lamp": 6.0}, " m"), plain((0.25, 0.5)), plain(None)
    ('0.667', '25 m', 'street_lamp: 6 m', '0.25, 0.5', '—')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return "; ".join(f"{k}: {plain(v, suffix)}" for k, v in value.items()) or "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v, suffix) for v in value) or "—"
    if isinstance(value, int):
        return num(value) + suffix
    if isinstance(value, float):
        if value != value:
            return na()
        digits = len(f"{value:.3f}".rstrip("0").partition(".")[2])
        return num(value, digits) + suffix
    return str(value)


def settings_rows(settings: Settings) -> str:
    """The rows of the settings table: each setting's name, its value with its unit (:data:`SETTING_UNITS`) and its
    default, the value in bold where it differs from the default."""
    defaults = Settings().to_dict()
    rows = []
    for name, value in settings.to_dict().items():
        suffix = next((u for end, u in SETTING_UNITS.items() if name.endswith(end)), "")
        shown = esc(plain(value, suffix))
        default = defaults.get(name)
        changed = name in defaults and value != default
        rows.append(
            f"<tr><td><code>{esc(name)}</code></td><td>{f'<b>{shown}</b>' if changed else shown}</td>"
            f"<td>{esc(plain(default, suffix))}</td></tr>"
        )
    return "".join(rows)


def _sources(result: StudyResult) -> list[str]:
    given = result.study.sources or {}
    items = []
    for role, path in result.study.inputs().items():
        meta = result.meta.get(role, {}) or {}
        extra = []
        if meta.get("osm_timestamp"):
            extra.append(esc(_("OSM data as of {date}").format(date=meta["osm_timestamp"])))
        if meta.get("date_min"):
            extra.append(
                esc(_("incidents dated {start} to {end}").format(start=meta["date_min"], end=meta["date_max"]))
            )
        if role == "units":
            extra.extend(_units_origin(meta))
        if role in ("crime", "crime_table"):  # the period and the tables once, at the first crime file
            extra.extend(_crime_origin(result.meta.get("crime") or {}))
        if role == "population":
            extra.extend(_population_origin(meta, result.counts))
        origin = f"<br><span class='note'>{esc(given[role])}</span>" if role in given else ""
        items.append(
            f"<li><b>{esc(role)}</b>: {esc(path.name)}{' (' + '; '.join(extra) + ')' if extra else ''}{origin}</li>"
        )
    licence = _(
        "Camera data from OpenStreetMap: © OpenStreetMap contributors, available under the Open Database Licence "
        "(ODbL 1.0), {url}. Map tiles © OpenStreetMap contributors. The interactive map uses Leaflet (BSD 2-clause "
        "licence) and folium (MIT licence)."
    ).format(url="https://www.openstreetmap.org/copyright")
    tiles = (result.meta.get("dem") or {}).get("tiles") or []
    if tiles and "dem" not in result.study.inputs():
        items.append(f"<li><b>dem</b>: {_dem_tiles(tiles)}</li>")
    elif tiles:
        items = [item.replace("<b>dem</b>: ", f"<b>dem</b>: {_dem_tiles(tiles)}; ", 1) for item in items]
    return ["<h2>" + esc(_("Data sources")) + "</h2><ul>", *items, "</ul>", f"<p>{esc(licence)}</p>"]


def _dem_tiles(tiles: list) -> str:
    """The tiles of a DEM mosaic, in the order they are laid (escaped)."""
    return esc(
        ngettext(
            "a mosaic of {n} tile, laid in this order (a later one on top): {tiles}",
            "a mosaic of {n} tiles, laid in this order (a later one on top): {tiles}",
            len(tiles),
        ).format(n=num(len(tiles)), tiles=", ".join(str(t) for t in tiles))
    )


def _crime_origin(meta: dict) -> list[str]:
    """The crime data's period label (``--period``) and its tables of counts: each file with its key and count
    columns (escaped)."""
    out = []
    if meta.get("period"):
        out.append(esc(_("period: {period}").format(period=meta["period"])))
    for f in meta.get("files") or []:
        out.append(
            esc(
                _("table {file}: units by column {key}, counts in column {count}").format(
                    file=f.get("file"), key=f.get("key_column"), count=f.get("count_column") or _("rows counted")
                )
            )
        )
    return out


#: Where a population raster's year was read (``year_from`` of
#: :func:`equity.io.population_raster.read_population_raster`), in English: translated where shown.
_YEAR_FROM = {None: _("not stated"), "file name": _("the file name"), "--population-year": "--population-year"}


def _population_origin(meta: dict, counts: dict) -> list[str]:
    """What a population raster gave (:mod:`equity.io.population_raster`): its kind, year, total, the residents
    of its edge cells outside the units and its cells without data (escaped)."""
    if meta.get("source") != "raster zonal sums":
        return []
    kind = (
        _("a raster of residents per cell (assumed: the file does not say)")
        if meta.get("kind") == "counts" and meta.get("counts_assumed")
        else _("a raster of residents per cell")
        if meta.get("kind") == "counts"
        else _("a raster of residents per unit of area, turned into counts by each cell's area")
    )
    out = [esc(kind)]
    if meta.get("year") is not None:
        out.append(
            esc(
                _("year {year} (from {origin})").format(
                    year=meta["year"], origin=_(_YEAR_FROM.get(meta.get("year_from"), meta.get("year_from")))
                )
            )
        )
    out.append(
        esc(
            _(
                "{total} residents in the units; {outside} more on the parts of the edge cells outside every unit"
            ).format(total=num(float(meta.get("total", 0.0)), 0), outside=num(float(meta.get("outside_units", 0.0)), 0))
        )
    )
    touched = counts.get("population_raster_cells_touched")
    nodata = counts.get("population_raster_nodata_cells_touched")
    if touched:
        out.append(
            esc(
                _(
                    "{nodata} of the {touched} cells under the units without data ({share}), missing rather than zero"
                ).format(nodata=num(int(nodata or 0)), touched=num(int(touched)), share=pct((nodata or 0) / touched))
            )
        )
    return out


def _units_origin(meta: dict) -> list[str]:
    """What the units were made of, when not a layer of the user's: one admin_level of the boundaries of an area
    of ``equity fetch``, or grid cells (:mod:`equity.grid`)."""
    from equity.presentation.i18n import _, number

    if meta.get("admin_level") is not None:
        text = _("administrative boundaries at admin_level {level} from OpenStreetMap, clipped to the place")
        return [text.format(level=esc(meta["admin_level"]))]
    if meta.get("cell_kind") in ("square", "hexagon"):
        text = (
            _("square cells of {size} m: {cells} cells, {slivers} of them slivers (under 10% of a cell inside)")
            if meta["cell_kind"] == "square"
            else _("hexagons {size} m across: {cells} cells, {slivers} of them slivers (under 10% of a cell inside)")
        )
        return [
            text.format(
                size=number(meta["cell_size_m"], 0 if float(meta["cell_size_m"]).is_integer() else 1),
                cells=number(meta["cells"]),
                slivers=number(meta["sliver_cells"]),
            )
        ]
    return []


def _visibility_text(result: StudyResult) -> str:
    """One paragraph on how views were clipped: by buildings and terrain, or not at all (HTML, escaped)."""
    surface = result.meta.get("surface")
    if surface is None:
        return esc(_("Buildings and terrain do not block the views here: no buildings or elevation model were given."))
    s = result.settings
    c = result.counts
    parts = [
        (
            _(
                "Views are clipped by what blocks the line of sight on a surface model of {cell} m cells (terrain "
                "from the DEM, resampled bilinearly to the cells, plus buildings): a place counts as seen when a "
                "camera at its mounting height above the ground sees a point {height} m above it (a viewshed "
                "computed with the reference-plane method that GDAL's gdal_viewshed uses)."
            )
            if "dem" in result.meta
            else _(
                "Views are clipped by what blocks the line of sight on a surface model of {cell} m cells (terrain "
                "flat, plus buildings): a place counts as seen when a camera at its mounting height above the "
                "ground sees a point {height} m above it (a viewshed computed with the reference-plane method that "
                "GDAL's gdal_viewshed uses)."
            )
        ).format(cell=tick(surface["cell_size_m"]), height=tick(s.target_height_m))
    ]
    if "buildings" in c:
        parts.append(
            _(
                "Buildings: {n}; height from the height tag for {tagged}, from the number of storeys (3 m each) for "
                "{levels}, and a default by building type for {default}."
            ).format(
                n=num(c["buildings"]),
                tagged=num(c.get("buildings_height_tagged", 0)),
                levels=num(c.get("buildings_height_levels", 0)),
                default=num(c.get("buildings_height_default", 0)),
            )
        )
    moved = c.get("views_observer_moved_off_a_building", 0)
    inside = c.get("views_observer_inside_a_building", 0)
    if moved or inside:
        parts.append(
            _(
                "{moved} cameras whose point lay just inside a building footprint were moved to the nearest open "
                "cell (a camera on a wall); {inside} lying deeper inside a footprint were not computed."
            ).format(moved=num(moved), inside=num(inside))
        )
    return " ".join(esc(p) for p in parts)


def _limitations(result: StudyResult) -> list[str]:
    """The limitations of the method that the first page's caveats (:func:`caveats`) do not state."""
    notes = [
        _("Fields of view are modelled from tags and documented defaults, not surveyed.")
        + (
            ""
            if "surface" in result.meta
            else " "
            + _(
                "No buildings or elevation model were given: views are drawn on flat, open ground, so coverage is "
                "overstated where buildings or hills block them."
            )
        ),
    ]
    if "terrain" not in result.units:
        notes.append(
            _(
                "No elevation model was given, so hillside and flat units are not compared and the terrain does not "
                "block any view."
            )
        )
    if result.counts.get("rejected_rows"):
        notes.append(
            _("{n} input rows were not used; rejected.csv lists each with its reason.").format(
                n=num(result.counts["rejected_rows"])
            )
        )
    items = [f"<li>{esc(n)}</li>" for n in notes]
    return ["<h2>" + esc(_("Limitations")) + "</h2><ul>", *items, "</ul>"]
