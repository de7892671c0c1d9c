"""The analysis folder: the map and the report built from a result, then every output written at once.

One function, :func:`write_analysis`, called by the command line (``equity analyze``, ``equity demo``) and by
:meth:`equity.result.StudyResult.write`, so that a folder written from a notebook is the folder the command
writes: the same map, report, tables and manifest. The map and the report are built by
:mod:`equity.presentation` (in the language asked for, :func:`equity.presentation.i18n.use`) and written with
the tables by :func:`equity.io.outputs.write_outputs`, atomically.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from equity._errors import InputError
from equity.io.assets import AssetError, map_assets
from equity.io.outputs import write_outputs
from equity.presentation import i18n
from equity.presentation.maps import build_map, render_map
from equity.presentation.report import build_report
from equity.presentation.unit_page import build_pages

log = logging.getLogger(__name__)

__all__ = ["MAP_ASSETS", "map_assets_for", "study_map", "study_report", "write_analysis"]

#: How map.html gets Leaflet: written into it (``inline``), linked from a CDN (``cdn``), or inline when it can
#: be had, else linked with a warning (``auto``).
MAP_ASSETS = ("auto", "inline", "cdn")


def map_assets_for(choice: str, warn: Callable[[str], None] | None = None) -> Any:
    """The assets to inline into the map, or None for CDN links; ``auto`` falls back to the CDN, with a warning
    handed to ``warn`` (by default logged), when Leaflet cannot be had (:func:`equity.io.assets.map_assets`)."""
    if choice not in MAP_ASSETS:
        msg = f"map_assets must be one of {', '.join(MAP_ASSETS)}, not {choice!r}."
        raise InputError(msg)
    if choice == "cdn":
        return None
    try:
        return map_assets()
    except AssetError as exc:
        if choice == "inline":
            raise
        sentence = f"map.html links Leaflet from a CDN and needs network to open: {exc}"
        (warn or log.warning)(sentence)
        return None


def study_map(result: Any, *, lang: str = "en") -> Any:
    """The interactive map of a result (a :class:`folium.Map`, titled with the study's name), in ``lang``."""
    with i18n.use(lang):
        return build_map(result, title=result.study.name)


def study_report(result: Any, *, lang: str = "en") -> str:
    """The report of a result: one self-contained HTML document, in ``lang``."""
    with i18n.use(lang):
        return build_report(result)


def write_analysis(
    result: Any,
    out: str | Path,
    *,
    force: bool = False,
    lang: str = "en",
    map_assets: str = "auto",
    warn: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write the whole analysis folder of ``result`` into ``out``: map.html, report.html, the tables
    (units, cameras, operators, rejected rows, groups), the GeoPackages, a page per unit (``units/``) and
    manifest.json.

    Parameters
    ----------
    result
        A :class:`equity.result.StudyResult`.
    out
        The folder; created when missing. A folder that holds another study's outputs is refused unless
        ``force`` (see :func:`equity.io.outputs.check_output_dir`).
    force
        Replace the outputs of a different study in ``out``.
    lang
        The language of the map and the report (:data:`equity.presentation.i18n.LANGUAGES`).
    map_assets
        ``auto``, ``inline`` or ``cdn`` (:data:`MAP_ASSETS`, :func:`map_assets_for`); recorded in the manifest's
        sources as ``map_assets``.
    warn
        Where the warning of ``auto`` falling back to the CDN goes (by default the log).

    Returns
    -------
    dict of str to Path
        The files written, by name.
    """
    lang = i18n.check_language(lang)
    assets = map_assets_for(map_assets, warn)
    result.meta["map_assets"] = "inline" if assets is not None else "cdn"
    with i18n.use(lang):  # the map, the report and the unit pages, in the reader's language
        map_html = render_map(build_map(result, title=result.study.name), assets=assets)
        report_html = build_report(result, unit_pages=True)
        return write_outputs(
            result,
            out,
            map_html=map_html,
            report_html=report_html,
            force=force,
            unit_pages=build_pages,
            manifest_extra={"language": lang},
        )
