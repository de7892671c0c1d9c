"""equity: who do a city's surveillance cameras watch, and who do they protect?

The public face of the package: the modules below, each one concept (see docs/architecture.md). A study in a
notebook::

    import equity

    result = equity.Study(cameras="cameras.osm", units=neighbourhoods_gdf, unit_id="name").run()
    result.units                # one row per unit
    result.write("analysis/")   # the folder ``equity analyze --out analysis/`` writes
    result.explore()            # the interactive map
    result.report()             # the report

Every input of :class:`Study` is a path or a (Geo)DataFrame; the readers of the files are in :mod:`equity.io`.
"""

from importlib.metadata import PackageNotFoundError, version

from equity import cameras, coverage, exposure, groups, io, metrics, population, projection
from equity._errors import CRSError, EquityError, InputError, InputFileError, InputFormatError, OutputError
from equity.settings import Settings
from equity.study import Study, StudyResult

try:
    __version__ = version("equity")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0"

__all__ = [
    "CRSError",
    "EquityError",
    "InputError",
    "InputFileError",
    "InputFormatError",
    "OutputError",
    "Settings",
    "Study",
    "StudyResult",
    "__version__",
    "cameras",
    "coverage",
    "exposure",
    "groups",
    "io",
    "metrics",
    "population",
    "projection",
]
