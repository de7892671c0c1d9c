"""The first page of the report, the story told in plain words: what was analysed, a summary of what the results
say and what they do not, and the questions they raise for the camera operators, the police and the council.

Every sentence is drawn from figures the analysis already computed (:class:`equity.result.StudyResult`): the
units' shares, classes and class probabilities, the city-level measures and their intervals over the draws of
the sources of error, the operators table. Nothing here computes a measure; it picks the units to name (those
of the largest shares) and says which findings hold under uncertainty.

Sentences are written in English and marked for translation (:mod:`equity.presentation.i18n`); unit names,
operator names and dates are the data's own and are only escaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from equity.metrics import STORY_CLASSES
from equity.presentation import i18n
from equity.presentation.formatting import class_label, esc, num, pct, signed, tick, whole_pct
from equity.presentation.i18n import _, ngettext

if TYPE_CHECKING:
    from equity.result import StudyResult

#: How many units the summary names for the largest shares of cameras, crime and residents.
NAMED = 3

#: The names and readings of the city-level measures (:func:`equity.inequality.city_measures`), registered here so
#: that the catalogs carry their translations; the report passes the measure's own name through :func:`_`.
MEASURE_TEXTS = (
    _("concentration index of coverage by crime rate"),
    _("concentration index of cameras by crime rate"),
    _("concentration index of coverage by population density"),
    _("Gini of cameras per resident"),
    _("Spearman of crime rate and coverage"),
    _("above 0: camera coverage goes to the units with more crime per resident; below 0: to those with less"),
    _("above 0: cameras stand in the units with more crime per resident; below 0: in those with less"),
    _("above 0: coverage goes to the densely populated units; below 0: to the sparsely populated"),
    _("0: every resident lives with the same number of cameras per resident; toward 1: a few units have them all"),
    _("+1: the more crime per resident, the larger the share of a unit in view; -1: the reverse; 0: no relation"),
    # the labels of the classes of units (equity.metrics.CLASS_LABELS), shown by formatting.class_label
    _("high crime, low coverage"),
    _("low crime, high coverage"),
    _("neither"),
    _("no crime data"),
)


#: How many units a sentence of the summary names before it counts the rest (a city of 791 tracts).
SHOWN = 5


def _more(n: int) -> str:
    """The tail of a list cut at :data:`SHOWN` names: how many more there are (nothing when none)."""
    more = n - SHOWN
    return _("; and {more} more (the table of the units lists them all)").format(more=num(more)) if more > 0 else ""


def _capped(units: list) -> str:
    """The first :data:`SHOWN` of ``units`` (escaped), and how many more."""
    return ", ".join(esc(x) for x in units[:SHOWN]) + _more(len(units))


def term(key: str, text: str) -> str:
    """``text`` (already escaped) as a link to the glossary's entry ``key`` (:mod:`equity.presentation.glossary`)."""
    return f"<a class='term' href='#g-{key}'>{text}</a>"


def _names(frame: pd.DataFrame, column: str, show: Any) -> str:
    """The units of the largest ``column`` values, each with its value: ``A (14.1%), B (5.7%)``."""
    top = frame[frame[column].notna() & (frame[column] > 0)].sort_values(column, ascending=False, kind="stable")
    return ", ".join(f"{esc(r['unit_id'])} ({show(r[column])})" for _i, r in top.head(NAMED).iterrows())


def title(result: StudyResult) -> str:
    """The report's title: the study's name and what it measures (escaped)."""
    return esc(_("{name}: surveillance camera coverage and crime").format(name=result.study.name))


def analysed(result: StudyResult) -> str:
    """One sentence that says what was analysed: the cameras and their date, the units, the crime and its dates,
    the residents (escaped)."""
    c = result.counts
    meta = getattr(result, "meta", None) or {}
    cams = meta.get("cameras") or {}
    crime = meta.get("crime") or {}
    n = int(c.get("cameras", 0))
    parts = [ngettext("{n} camera", "{n} cameras", n).format(n=num(n))]
    if cams.get("osm_timestamp"):
        parts[0] += " " + _("(OpenStreetMap, as of {date})").format(date=i18n.date(str(cams["osm_timestamp"])))
    units = int(c.get("units", len(result.units)))
    parts.append(ngettext("{n} unit of analysis", "{n} units of analysis", units).format(n=num(units)))
    incidents = c.get("crime_incidents")
    if incidents is not None and crime.get("date_min"):
        parts.append(
            _("{n} recorded incidents from {start} to {end}").format(
                n=num(int(incidents)), start=i18n.date(crime["date_min"]), end=i18n.date(crime["date_max"])
            )
        )
    elif incidents is not None:
        parts.append(_("{n} recorded incidents").format(n=num(int(incidents))))
    if "population" in result.units and result.units["population"].notna().any():
        parts.append(_("{n} residents").format(n=num(float(result.units["population"].sum()), 0)))
    return esc(_("What was analysed: {parts}.").format(parts="; ".join(parts)))


def summary(result: StudyResult) -> list[str]:
    """The summary in plain language, a list of sentences (HTML, escaped): who has the cameras, who has the crime,
    where the residents of the two classes live (what holds under uncertainty is :func:`holds`)."""
    u = result.units
    c = result.counts
    out = []
    counted = ((getattr(result, "meta", None) or {}).get("cameras") or {}).get("format") == "counts per unit"
    n_cams = int(c.get("cameras_in_units", u["cameras"].sum()))
    none = int((u["cameras"] == 0).sum())
    if not counted and "coverage_share" in u and u["coverage_share"].notna().any():
        out.append(
            ngettext(
                "Of the {n} cameras in the units, the largest shares of the city's {area} are in {names}; "
                "{none} of the {units} units has no camera on the map.",
                "Of the {n} cameras in the units, the largest shares of the city's {area} are in {names}; "
                "{none} of the {units} units have no camera on the map.",
                none,
            ).format(
                n=num(n_cams),
                area=term("coverage-share", esc(_("area in camera view"))),
                names=_names(u, "coverage_share", pct),
                none=num(none),
                units=num(len(u)),
            )
        )
    else:
        out.append(
            ngettext(
                "Of the {n} cameras in the units, most stand in {names}; {none} of the {units} units has none.",
                "Of the {n} cameras in the units, most stand in {names}; {none} of the {units} units have none.",
                none,
            ).format(n=num(n_cams), names=_names(u, "cameras", num), none=num(none), units=num(len(u)))
        )
    road = roads_sentence(result)
    if road:
        out.append(road)
    f = result.findings
    if f is None or not f.crime_known:
        out.append(esc(_("No crime data was given, so the gap between coverage and crime is not computed.")))
        return out
    out.append(
        _("The largest shares of the city's {crime} are in {names}.").format(
            crime=term("crime-share", esc(_("recorded crime"))), names=_names(u, "crime_share", pct)
        )
    )
    if "population" in u:
        by_id = u.set_index("unit_id")
        lives = []
        for cls in STORY_CLASSES:
            members = [x for x in f.members.get(cls) or [] if x not in _uncertain(result)]
            if members:
                lives.append(
                    _("{residents} residents live in the {n} units of the class “{cls}”").format(
                        residents=num(float(by_id.loc[members, "population"].sum()), 0),
                        n=num(len(members)),
                        cls=term("classes", esc(class_label(cls))),
                    )
                )
        if lives:
            out.append("; ".join(lives) + ".")
    groups = getattr(result, "groups", None)
    if groups is not None and groups.headline is not None:
        if i18n.current() == i18n.SOURCE_LANGUAGE:  # the groups' sentence is written by equity.groups, in English
            out.append(esc(groups.headline["sentence"]))
        else:
            out.append(esc(_("The comparison of groups of residents is in the section “Who lives with the cameras”.")))
    return out


def roads_sentence(result: StudyResult) -> str:
    """What the plate readers do on the roads (:mod:`equity.roads`), in one sentence (HTML, escaped): the share of
    the units' road length logged in at least one direction, how many of the units' road entrances are logged
    inward, and the cordoned units (or none). Empty without a street layer (``result.roads`` is None)."""
    r = getattr(result, "roads", None)
    if r is None:
        return ""
    cordoned = _capped(list(r.cordoned)) if r.cordoned else esc(_("none"))
    return _(
        "Plate readers log {share} of the units' road length ({logged}) and {n_logged} of their {n} road "
        "{entrances} inward; {cordoned_term}: {cordoned}."
    ).format(
        share=pct(r.logged_share),
        logged=term("road-logged", esc(_("roads logged"))),
        n_logged=num(int(r.entrances_logged)),
        n=num(int(r.entrances)),
        entrances=term("entrance", esc(_("entrances"))),
        cordoned_term=term("cordoned", esc(_("cordoned units"))),
        cordoned=cordoned,
    )


def _uncertain(result: StudyResult) -> set:
    """The units whose class is not a finding: below the threshold over the draws, or (without the draws) changed
    by a sensitivity run."""
    unc = getattr(result, "uncertainty", None)
    if unc is not None:
        return set(unc.uncertain)
    return set(getattr(getattr(result, "sensitivity", None), "uncertain", None) or [])


def holds(result: StudyResult) -> list[str]:
    """What holds under the draws of the sources of error (or the sensitivity runs) and what does not."""
    out = []
    u = result.units.set_index("unit_id")
    f = result.findings
    unc = getattr(result, "uncertainty", None)
    sens = getattr(result, "sensitivity", None)
    story = [x for cls in STORY_CLASSES for x in ((f.members.get(cls) or []) if f is not None else [])]
    if unc is not None:
        weak = [x for x in story if x in set(unc.uncertain)]
        groups = []
        for cls in STORY_CLASSES:
            sure = [x for x in (f.members.get(cls) or []) if x not in set(unc.uncertain)]
            if sure:
                groups.append(
                    _("“{cls}”: {units}").format(cls=term("classes", esc(class_label(cls))), units=_capped(sure))
                )
        if groups:
            out.append(
                _(
                    "Over {draws} {draws_term}, these classes hold, each unit's with a probability of at least {t} "
                    "({p_term}): {groups}."
                ).format(
                    draws=num(unc.draws),
                    draws_term=term("draws", esc(_("draws of the sources of error"))),
                    t=tick(unc.threshold),
                    p_term=term("class-probability", esc(_("class probability"))),
                    groups="; ".join(groups),
                )
            )
        if weak:
            items = [
                _("{unit} ({cls} in {p} of the draws)").format(
                    unit=esc(x), cls=esc(class_label(u.loc[x, "class"])), p=whole_pct(u.loc[x, "p_class"])
                )
                for x in weak[:SHOWN]
            ]
            out.append(
                ngettext(
                    "{n} unit's class does not hold under uncertainty, and is not a finding: {items}.",
                    "{n} units' classes do not hold under uncertainty, and are not findings: {items}.",
                    len(weak),
                ).format(n=num(len(weak)), items="; ".join(items) + _more(len(weak)))
            )
        measures = unc.measures
        if len(measures) and result.city:
            e = result.city[0]
            row = measures.set_index("measure").loc[e.name] if e.name in set(measures["measure"]) else None
            if row is not None and e.value == e.value:
                low, high = row["draws_low"], row["draws_high"]
                verdict = (
                    _("its interval over the draws ({low} to {high}) spans zero: inconclusive")
                    if low <= 0 <= high
                    else _("its interval over the draws ({low} to {high}) lies on one side of zero: it holds")
                ).format(low=signed(low, 2), high=signed(high, 2))
                out.append(
                    _("City-wide, the {measure} is {value} ({reading}); {verdict}.").format(
                        measure=term(_measure_key(e.name), esc(_(e.name))),
                        value=signed(e.value, 2),
                        reading=esc(_(e.interpretation)),
                        verdict=verdict,
                    )
                )
    elif sens is not None:
        if sens.uncertain:
            out.append(
                _("The class of {units} changes under at least one plausible assumption, and is not a finding.").format(
                    units=_capped(sens.uncertain)
                )
            )
        else:
            out.append(esc(_("Every unit's class holds under all the sensitivity runs.")))
    else:
        out.append(esc(_("No draws of the sources of error were run: no finding here is tested against them.")))
    if "cluster" in result.units:
        local = int(result.units["cluster"].str.endswith("around").sum())
        fdr = int(result.units["cluster_fdr"].str.endswith("around").sum()) if "cluster_fdr" in result.units else 0
        if local and not fdr:
            out.append(
                _("None of the {n} local {clusters} holds once the {fdr} is controlled.").format(
                    n=num(local),
                    clusters=term("clusters", esc(_("clusters of crime and coverage"))),
                    fdr=term("fdr", esc(_("false discovery rate"))),
                )
            )
    return out


def _measure_key(name: str) -> str:
    """The glossary entry of a city-level measure, by its name."""
    if name.startswith("concentration index"):
        return "concentration-index"
    if name.startswith("Gini"):
        return "gini"
    return "spearman"


def questions(result: StudyResult) -> dict[str, list[str]]:
    """Questions the findings raise, for the camera operators, the police and the council (HTML, escaped), in
    that order; an audience without a question is left out."""
    u = result.units.set_index("unit_id", drop=False)
    c = result.counts
    meta = getattr(result, "meta", None) or {}
    f = result.findings
    uncertain = _uncertain(result)
    operator, police, council = [], [], []

    ops = getattr(result, "operators", None)
    total = int(c.get("cameras", 0))
    if ops is not None and not ops.empty:
        known = ops[ops["operator"] != "unknown"]
        if not known.empty:
            top = known.iloc[0]
            operator.append(
                _(
                    "{operator} runs {n} of the {total} cameras on the map: what do they record, how long are the "
                    "recordings kept, and who may see them?"
                ).format(operator=esc(top["operator"]), n=num(int(top["cameras"])), total=num(total))
            )
    kinds = c.get("camera_kinds") or {}
    if kinds and kinds.get("ALPR", 0) / max(sum(kinds.values()), 1) >= 0.5:
        operator.append(
            esc(
                _(
                    "The licence-plate readers log every vehicle that passes: with which agencies are their records "
                    "shared, and for how long are they kept?"
                )
            )
        )
    unknown = int(c.get("cameras_without_operator", 0))
    if unknown:
        operator.append(
            ngettext(
                "Who runs the {n} camera that carries no operator on the map?",
                "Who runs the {n} cameras that carry no operator on the map?",
                unknown,
            ).format(n=num(unknown))
        )
    flagged = int(c.get("cameras_flagged_as_anomalies", 0))
    if flagged:
        operator.append(
            ngettext(
                "Why does the {n} camera flagged as placed against the pattern stand where it does?",
                "Why do the {n} cameras flagged as placed against the pattern stand where they do?",
                flagged,
            ).format(n=num(flagged))
        )

    crime = meta.get("crime") or {}
    if f is not None and f.crime_known:
        short = [x for x in f.shortfall if x not in uncertain]
        if short:
            r = u.loc[short[0]]
            police.append(
                _(
                    "{unit} has {crime} of the city's recorded crime and {coverage} of the city's area in camera view: "
                    "how much of its recorded crime was reported by residents, and how much found by patrols?"
                ).format(unit=esc(r["unit_id"]), crime=pct(r["crime_share"]), coverage=pct(r["coverage_share"]))
            )
    categories = c.get("crime_categories") or {}
    drugs = sum(n for name, n in categories.items() if "drug" in name.lower() or "narcotic" in name.lower())
    if drugs and categories:
        police.append(
            _(
                "{share} of the incidents are drug offences, which are recorded where police look for them: where "
                "did those patrols go, and why there?"
            ).format(share=whole_pct(drugs / sum(categories.values())))
        )
    if crime.get("date_max"):
        police.append(
            _(
                "The crime data ends on {date}: can the police give the counts since then, in the same categories, "
                "so that the study can be run again?"
            ).format(date=esc(i18n.date(crime["date_max"])))
        )
    outside = (meta.get("no_crime_data") or {}).get("units_outside") or []
    if outside:
        police.append(
            _("Which agency records crime in {units}, and will it share its counts?").format(units=_capped(outside))
        )

    if f is not None and f.crime_known:
        surplus = [x for x in f.surplus if x not in uncertain]
        if surplus:
            r = u.loc[surplus[0]]
            council.append(
                _(
                    "{unit} has {coverage} of the city's area in camera view with {crime} of its recorded crime: who "
                    "decided to place the cameras there, and on what evidence?"
                ).format(unit=esc(r["unit_id"]), coverage=pct(r["coverage_share"]), crime=pct(r["crime_share"]))
            )
        under = [x for x in (f.members.get("under_covered") or []) if x not in uncertain]
        if under:
            council.append(
                _(
                    "What do the residents of {units} (high crime, low coverage) ask for: more cameras, or other "
                    "measures?"
                ).format(units=", ".join(esc(x) for x in under[:NAMED]))
            )
        weak = [x for x in uncertain if x in u.index and u.loc[x, "class"] in STORY_CLASSES]
        if weak:
            council.append(
                _(
                    "The class of {units} is uncertain: which data (a register of cameras, newer crime counts) would "
                    "settle it?"
                ).format(units=_capped(weak))
            )
    from_osm = bool((meta.get("cameras") or {}).get("osm_timestamp"))
    council.append(
        esc(
            _(
                "Is there a public register of the city's cameras and plate readers, with their operators and "
                "purposes? Without one, a study like this rests on what volunteers have mapped."
            )
            if from_osm
            else _(
                "Is there a public register of all the city's cameras and plate readers, of every owner, with their "
                "purposes? This study sees only the cameras of its list."
            )
        )
    )
    audiences = {
        _("To the camera operators"): operator,
        _("To the police"): police,
        _("To the council"): council,
    }
    return {who: qs for who, qs in audiences.items() if qs}
