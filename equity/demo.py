"""The bundled San Francisco demo: where its data lies and the study that analyses it."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from equity._errors import InputFileError
from equity.study import Study

DEMO_FILES = ("cameras.osm", "neighborhoods.geojson", "crime_incidents_2012H2.csv", "block_groups.geojson")


#: Provenance and licence of each file of the bundle (from data/sf/README.md).
DEMO_SOURCES = {
    "cameras": "OpenStreetMap man_made=surveillance nodes inside San Francisco, Overpass export of 2025-10-04 "
    "(repository masonzbirkett/alpr-sync-usa, commit 84568483); ODbL 1.0, © OpenStreetMap contributors",
    "units": "San Francisco's 41 Analysis Neighborhoods, DataSF via repository sfchronicle/sf-shapefiles "
    "(commit 93e4ef66); public data of the City and County of San Francisco",
    "crime": "SFPD Crime Incident Reporting System via DataSF, July-December 2012 (robbery, drugs/narcotics, "
    "vehicle theft, vandalism), as packaged by the GeoDa Center (repository stuartlynn/data-and-lab, commit "
    "bf07c98f); CC0 1.0",
    "population": "US Census 2010 block groups, as packaged by the GeoDa Center (repository "
    "stuartlynn/data-and-lab, commit b75fcef1); public domain",
}


def demo_data_dir() -> Path:
    """The folder of the San Francisco demo data: inside the installed package, or ``data/sf`` of a checkout."""
    candidates = [Path(str(files("equity"))) / "data" / "sf", Path(__file__).resolve().parents[1] / "data" / "sf"]
    for folder in candidates:
        if all((folder / name).is_file() for name in DEMO_FILES):
            return folder
    msg = f"The San Francisco demo data is missing (looked in {', '.join(str(c) for c in candidates)})."
    raise InputFileError(msg)


#: Units of the demo where SFPD's incident data does not apply: the Presidio is a national park site (the
#: Presidio Trust and the National Park Service), policed by the United States Park Police, whose incidents are
#: not in SFPD's data (one SFPD incident lies there in July-December 2012). See data/sf/README.md.
NO_CRIME_DATA = ("Presidio",)


def demo_study(**options: object) -> Study:
    """The demo: SF cameras from OSM, the 41 analysis neighbourhoods, SFPD incidents July-December 2012,
    population interpolated from the 2010 census block groups. The Presidio is outside the crime data's
    jurisdiction (:data:`NO_CRIME_DATA`).
    """
    d = demo_data_dir()
    return Study(
        cameras=d / "cameras.osm",
        units=d / "neighborhoods.geojson",
        unit_id="nhood",
        crime=d / "crime_incidents_2012H2.csv",
        no_crime_data=list(NO_CRIME_DATA),
        population=d / "block_groups.geojson",
        population_column="Population",
        name="San Francisco demo",
        sources=DEMO_SOURCES,
        **options,  # type: ignore[arg-type]
    )
