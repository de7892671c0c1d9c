"""The exception hierarchy of equity.

Every error a user can cause derives from :class:`InputError`, so that the command line can turn it into
one plain sentence and exit code 2. Messages name the file, the row or field and the offending value.
"""

from __future__ import annotations


class EquityError(Exception):
    """Base class of every error raised on purpose by equity."""


class InputError(EquityError, ValueError):
    """An input file or value is not what was expected (the user's mistake, exit code 2)."""


class InputFileError(InputError, OSError):
    """An input file is missing, unreadable or of an unknown format."""


class InputFormatError(InputError):
    """An input file was read, but its content is not what was expected (columns, geometry, values)."""


class CRSError(InputError):
    """A layer has no CRS, or a metric computation was given a geographic CRS."""


class OutputError(EquityError, OSError):
    """An output folder cannot be written, or holds another study's results."""
