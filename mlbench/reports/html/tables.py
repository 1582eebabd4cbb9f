"""The HTML report's result tables: each draws a mlbench.reports.summary pivot (the console draws the same ones)."""

from __future__ import annotations

from typing import Any

from mlbench import steps
from mlbench.reports import summary
from mlbench.reports.details.startup import startup_tables
from mlbench.reports.html.cells import (
    column_cell,
    column_head,
    draw,
    num,
    table,
    th,
    txt,
)


def side_by_side(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> str | None:
    """The console's "Platforms side by side": the same cells (summary.side_by_side_rows)."""
    rows = summary.side_by_side_rows(summary.cell_rows(records, manifest))
    if not rows:
        return None
    columns = summary.shown_columns(rows)
    return table([column_head(c) for c in columns], [[column_cell(c, r) for c in columns] for r in rows],
                 "Support, status, grade against the reference, median wall time (± IQR), peak memory", cls="full")


def startup_table(records: list[dict[str, Any]]) -> str | None:
    """Each platform's session start and its native-reader load of each dataset: the start-up table declared once
    (details/startup.py), in its fullest layout."""
    layouts = startup_tables(summary.cell_rows(records))
    return "".join(draw(table) for table in layouts[0]) if layouts else None


def errors_table(records: list[dict[str, Any]]) -> str | None:
    grouped: dict[tuple[str, str, str, str, str], int] = {}
    for record in summary.measured(records):
        if record.get("status") in summary.FAILED:
            key = (str(record.get("adapter")), steps.label(summary.step_name(record), record.get("variant")),
                   str(record.get("phase")), str(record.get("dataset")), str(record.get("error") or ""))
            grouped[key] = grouped.get(key, 0) + 1
    if not grouped:
        return None
    rows = [[txt(a), txt(s), txt(p), txt(d), num(n), txt(e, "wrap err")] for (a, s, p, d, e), n in grouped.items()]
    head = [th("adapter"), th("step"), th("phase"), th("dataset"), th("times", "num"), th("error")]
    return table(head, rows, "Failed cells (the run went on; see errors.log in the run directory for tracebacks)",
                 cls="full")

