r"""Text for the terminal: every string from a user or a file that the command line writes (its summaries, the
log's warnings, the error sentences, the progress bars' labels) goes through :func:`terminal_text`.

A terminal takes some characters as commands: ESC starts a sequence that can set the window's title, move the
cursor, rewrite what was written or (in some terminals) write to the clipboard; a carriage return writes over
the line; Unicode's bidirectional marks turn the order of what follows. A file name, a tag value or a unit
name that holds them is shown with them as visible escapes (``\x1b``, ``\r``, ``\u202e``), the way Python
writes them in a string, so the reader sees what the file holds and the terminal runs none of it.
"""

from __future__ import annotations

import re

#: C0 and C1 control characters (line ends and tabs too), DEL, the zero-width and bidirectional marks and the
#: byte-order mark: what a terminal takes as a command, or shows as nothing.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: The longest text written whole; a longer one keeps its start and end around an ellipsis.
LIMIT = 1000


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_text(value: object, limit: int | None = LIMIT) -> str:
    r"""``value`` as text that is safe to write to a terminal: its control characters shown as escapes, and cut
    in the middle to at most ``limit`` characters (before escaping) when it is longer.

    Parameters
    ----------
    value : object
        The text (or anything, shown as ``str(value)``).
    limit : int or None
        The most characters kept; the start (two thirds) and the end are kept around "…". None keeps all (for a
        line made of values shortened each).

    Examples
    --------
    >>> terminal_text("cams\x1b]0;title\x07.csv")
    'cams\\x1b]0;title\\x07.csv'
    >>> terminal_text("a" * 20 + "z", limit=10)
    'aaaaaa…aaz'
    """
    text = str(value)
    if limit is not None and len(text) > limit:
        head = (2 * limit) // 3
        text = text[:head] + "…" + text[len(text) - (limit - head - 1) :]
    return _UNSAFE.sub(_escape, text)
