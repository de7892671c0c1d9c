"""Progress bars for long work: shown on a terminal, silent otherwise (in tests, pipes, notebooks' logs)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], *, total: int | None = None, desc: str = "") -> Iterator[T]:
    """``items`` wrapped in a tqdm bar on standard error when it is a terminal; as they are otherwise."""
    if not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, leave=False, unit="camera" if "camera" in desc else "it")
