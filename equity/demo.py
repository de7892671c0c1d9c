"""The bundled San Francisco demo: where its data lies and the study that analyses it."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from equity._errors import InputFileError
from equity.study import Study

DEMO_FILES = ("cameras.osm", "neighborhoods.geojson", "crime_incidents_2012H2.csv", "block_groups.geojson")


def demo_data_dir() -> Path:
    """The folder of the San Francisco demo data: inside the installed package, or ``data/sf`` of a checkout."""
    candidates = [Path(str(files("equity"))) / "data" / "sf", Path(__file__).resolve().parents[1] / "data" / "sf"]
    for folder in candidates:
        if all((folder / name).is_file() for name in DEMO_FILES):
            return folder
    msg = f"The San Francisco demo data is missing (looked in {', '.join(str(c) for c in candidates)})."
    raise InputFileError(msg)


def demo_study(**options: object) -> Study:
    """The demo: SF cameras from OSM, the 41 analysis neighbourhoods, SFPD incidents July-December 2012,
    population interpolated from the 2010 census block groups.
    """
    d = demo_data_dir()
    return Study(
        cameras=d / "cameras.osm",
        units=d / "neighborhoods.geojson",
        unit_id="nhood",
        crime=d / "crime_incidents_2012H2.csv",
        population=d / "block_groups.geojson",
        population_column="Population",
        name="San Francisco demo",
        **options,  # type: ignore[arg-type]
    )
