"""equity: who do a city's surveillance cameras watch, and who do they protect?

The public face of the package: the modules below, each one concept (see docs/architecture.md).
"""

from importlib.metadata import PackageNotFoundError, version

from equity import cameras, coverage, exposure, groups, metrics, population, projection
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
    "metrics",
    "population",
    "projection",
]
