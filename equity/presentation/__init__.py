"""What a reader sees of one analysis: the folium map, the self-contained HTML report and their charts.

These modules read a :class:`equity.result.StudyResult` and compute nothing: every figure they show is a
value of the result (a column of its tables, a count of its ledger, a summary filled by
:func:`equity.analysis.analyse`). They format values, choose which rows to show and order them for display.

- :mod:`~equity.presentation.formatting`: HTML escaping, number formats (an output column's from its record in
  :mod:`equity.columns`), palettes, the gap's colour scale;
- :mod:`~equity.presentation.maps`: the folium map (``build_map``, ``render_map``);
- :mod:`~equity.presentation.maplayer`: the compact vector layer the map draws its units and cameras with;
- :mod:`~equity.presentation.charts`: the report's charts and static map as inline SVG;
- :mod:`~equity.presentation.choropleth`: the display classes of cameras per resident (or per km²), shown
  instead of the gap when a study has no crime data;
- :mod:`~equity.presentation.report`: the report (``build_report``).
"""
