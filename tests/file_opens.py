"""Counting the opens of input files, for the tests that hold the readers and the study to one open a file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest


class Opens:
    """Counts the opens of the files of one folder with the kernel's inotify: every open(2) of a watched file is
    an event, whoever opens it (Python, pandas, GDAL through pyogrio and rasterio, or pyosmium). Reads and closes
    are watched as well as opens: the kernel merges an event into the one before it when they are the same and
    not yet read, so a second open made while the first is still open would be missed without the reads in
    between."""

    def __init__(self, folder: Path) -> None:
        inotify_simple = pytest.importorskip("inotify_simple")
        flags = inotify_simple.flags
        self._ino = inotify_simple.INotify()
        self._ino.add_watch(str(folder), flags.OPEN | flags.ACCESS | flags.CLOSE_NOWRITE | flags.CLOSE_WRITE)
        self._open = flags.OPEN

    def read(self) -> Counter:
        """The opens counted since the watch began, by file name; the watch ends."""
        with self._ino:
            return Counter(e.name for e in self._ino.read(timeout=100) if e.mask & self._open)
