"""Progress bars for long work: shown on a terminal, silent otherwise (in tests, pipes, notebooks' logs)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from equity._terminal import terminal_text

T = TypeVar("T")


def progress(items: Iterable[T], *, total: int | None = None, desc: str = "", unit: str | None = None) -> Iterator[T]:
    """``items`` wrapped in a tqdm bar on standard error when it is a terminal; as they are otherwise."""
    if not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm

    unit = unit or ("camera" if "camera" in desc else "it")
    desc = terminal_text(desc, 60)  # a file's name among the words
    yield from tqdm(items, total=total, desc=desc, leave=False, unit=unit, unit_scale=unit != "camera")


class ByteProgress:
    """A bar of bytes read out of ``total`` (tqdm on a terminal; nothing otherwise): :meth:`update_to` the
    position reached, :meth:`close` at the end."""

    def __init__(self, total: int, desc: str) -> None:
        self._bar: Any = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, desc=terminal_text(desc, 60), leave=False, unit="B", unit_scale=True, unit_divisor=1024
            )

    def update_to(self, position: int) -> None:
        """Move the bar to ``position`` bytes."""
        if self._bar is not None:
            self._bar.update(max(0, position - self._bar.n))

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()


def byte_progress(total: int, *, desc: str = "") -> ByteProgress:
    """A progress bar over the ``total`` bytes of a file being read (shown on a terminal only)."""
    return ByteProgress(total, desc)
