"""The bundled demos: where their data lies and the studies that analyse them.

``equity demo`` runs San Francisco (:func:`demo_study`), ``equity demo chicago`` Chicago (:func:`chicago_study`).
San Francisco stays the default: its cameras are OpenStreetMap data, the input equity is built for, with
directions, kinds and operators to model, and incidents with places and dates, so every part of the analysis
runs (crime in view, placement anomalies, operators); the README's first command, the tests and the notebook
rest on it. Chicago is the second demo: an official list of cameras with no tags (every camera an assumption)
and crime as rates per tract (no incident can be placed in a view), but census demographics of matching
years, which San Francisco's bundle lacks: it is the demo of the groups of residents.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from equity._errors import InputFileError
from equity.study import Study

DEMO_FILES = (
    "cameras.osm",
    "neighborhoods.geojson",
    "crime_incidents_2012H2.csv",
    "block_groups.geojson",
    "streets_osm_2015.geojson",
)


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
    "streets": "Every OpenStreetMap street way of San Francisco as of 2015, geometry only (no tags: no highway class, "
    "name or oneway; not split at intersections, so noded into a graph by equity.network), from repository "
    "Lumiukko/diku_ide_2015 (commit a651236f); ODbL 1.0, © OpenStreetMap contributors. Ten years older than the "
    "cameras: streets built since are missing",
}


#: The output folder of each demo by default.
DEMO_OUT = {"sf": "maps/sf-demo", "chicago": "maps/chicago-demo"}


def demo_data_dir(city: str = "sf") -> Path:
    """The folder of a demo's data (``sf`` or ``chicago``): inside the installed package, or ``data/<city>`` of
    a checkout."""
    names = CHICAGO_FILES if city == "chicago" else DEMO_FILES
    candidates = [Path(str(files("equity"))) / "data" / city, Path(__file__).resolve().parents[1] / "data" / city]
    for folder in candidates:
        if all((folder / name).is_file() for name in names):
            return folder
    which = "Chicago" if city == "chicago" else "San Francisco"
    msg = f"The {which} demo data is missing (looked in {', '.join(str(c) for c in candidates)})."
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
        streets=d / "streets_osm_2015.geojson",
        name="San Francisco demo",
        sources=DEMO_SOURCES,
        **options,  # type: ignore[arg-type]
    )


CHICAGO_FILES = (
    "chicago_pod_cameras_2016.geojson",
    "chi_sdoh_tracts_2014.shp",
    "chi_sdoh_tracts_2014.shx",
    "chi_sdoh_tracts_2014.dbf",
    "chi_sdoh_tracts_2014.prj",
)

#: Provenance and licence of each file of the Chicago bundle (from data/chicago/README.md).
CHICAGO_SOURCES = {
    "cameras": "Chicago Police Department 'Police Observation Device' (POD) camera locations, obtained by a "
    "public-records (FOIA) request by Lucy Parsons Labs and published as a web map in January 2016 (repository "
    "redshiftzero/policesurveillance, pod.html, commit 532dd37); public record; no directions, heights or types",
    "units": "Census tracts (2010 geography) with the Center for Spatial Data Science's Chicago SDOH variables: "
    "ACS 2010-14 population and race and ethnicity shares, 2015 crime rates of the City of Chicago (repository "
    "lanselin/notebooks_for_spatial_clustering, datasets/Chi-SDOH.zip, commit d7bbbce); MIT",
}

#: Tags assumed for every POD camera (the list carries none): a Police Observation Device is a pole-mounted,
#: usually pan-tilt-zoom camera of the police, so each is drawn as a disc (see data/chicago/README.md).
CHICAGO_CAMERA_TAGS = {
    "surveillance:type": "camera",
    "camera:type": "dome",
    "camera:mount": "pole",
    "surveillance": "public",
    "operator": "Chicago Police Department",
}

#: The groups of the Chicago demo: the tracts' percentages of residents who are Black, White and Hispanic or
#: Latino, of their 2014 population. ``White`` is the ACS's race "White" of any ethnicity: it includes White
#: Hispanic residents, so White and Latino overlap (the three shares of a tract add up to more than 100 % in half
#: the tracts); see data/chicago/README.md.
CHICAGO_GROUPS = "Black=Blk14P%Pop2014,White=Wht14P%Pop2014,Latino=Hisp14P%Pop2014"


#: What a reader of the Chicago demo must be told (data/chicago/README.md), first among the report's caveats.
CHICAGO_NOTES = [
    "The camera list is a 2015/16 snapshot of the police's POD network (717 cameras); the network is far larger "
    "today, and cameras of other owners are not in it.",
    "No POD camera comes with a type, direction or height: each is assumed to be a pole-mounted pan-tilt-zoom "
    "camera that can look all around, drawn as a disc.",
    "Crime is available only as 2015 rates per tract, not as incidents: each tract's crimes are its violent and "
    "property crime rates times its 2014 residents, and nothing can be said about crimes inside a camera's view.",
    "The demographics are American Community Survey 2010-14 estimates, with margins of error that this bundle "
    'does not carry. "White" is the census race of any ethnicity, so it overlaps "Latino" (Hispanic or '
    "Latino of any race); the groups are not exclusive.",
]


def chicago_study(**options: object) -> Study:
    """The Chicago demo: the 717 POD cameras of 2015/16 as pan-tilt-zoom discs (:data:`CHICAGO_CAMERA_TAGS`),
    the 791 census tracts with their 2014 residents, crimes estimated from the 2015 violent and property crime
    rates (incidents per resident) times the residents, the groups :data:`CHICAGO_GROUPS`, and the units ranked
    by their share of residents in poverty (``Pov14``) for the concentration curves."""
    d = demo_data_dir("chicago")
    return Study(
        cameras=d / "chicago_pod_cameras_2016.geojson",
        units=d / "chi_sdoh_tracts_2014.shp",
        unit_id="geoid10",
        crime_rates=["VCRIMERT15", "PCRIMERT15"],
        crime_rate_per=1.0,
        population="Pop2014",
        groups=CHICAGO_GROUPS,
        rank_by="Pov14",
        camera_tags=dict(CHICAGO_CAMERA_TAGS),
        name="Chicago demo",
        sources=CHICAGO_SOURCES,
        notes=list(CHICAGO_NOTES),
        **options,  # type: ignore[arg-type]
    )
