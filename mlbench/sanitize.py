"""Text that came from outside (a URL given on the command line, a column name read from the data), made safe
to store and to show. The one home of both rules:

- `redact`: the userinfo of every URL (`http://user:password@host`) becomes `***`, in whatever is stored
  (run.json's request and command line, records' error messages, errors.log) or shown (terminal, HTML). The
  platform itself is given the URL as typed.
- `printable`: control characters (ESC sequences that clear the screen or set the title, NUL, BEL...) are
  removed from text before it reaches a terminal (`console(...)`, the rich Console every command prints with,
  applies it to every segment of text it renders; rich's own styling and cursor codes are not text and stay).
"""

from __future__ import annotations

import re
from typing import Any

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@?#]+@")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1 controls but tab and newline


def redact(value: Any) -> Any:
    """`value` with every URL's userinfo replaced by `***`: strings, and the strings inside lists, tuples and
    dicts (keys too); anything else as it is."""
    if isinstance(value, str):
        return _USERINFO.sub(r"\1***@", value)
    if isinstance(value, dict):
        return {redact(k): redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    return value


def printable(text: str) -> str:
    """`text` without control characters (tab and newline kept), for a terminal."""
    return _CONTROL.sub("", text)


def console(**kwargs: Any) -> Any:
    """A rich Console (same arguments) that prints every text segment through `printable`."""
    from rich.console import Console
    from rich.segment import Segment

    class _PrintableConsole(Console):
        def _render_buffer(self, buffer: Any) -> str:  # rich's one place where segments become output
            return super()._render_buffer(
                segment if segment.control else Segment(printable(segment.text), segment.style)
                for segment in buffer)

    return _PrintableConsole(**kwargs)
