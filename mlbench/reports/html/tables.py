"""The HTML report's result tables: each draws a mlbench.reports.summary pivot (the console draws the same ones)."""

from __future__ import annotations

from typing import Any

from mlbench import steps
from mlbench.reports import summary
from mlbench.reports.html.cells import (
    column_cell,
    column_head,
    num,
    status_badge,
    table,
    td,
    th,
    time_cell,
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
    """Each platform's session start and its native-reader load of each dataset."""
    rows_data = [r for r in summary.cell_rows(records) if r["step"] in summary.ADAPTER_PHASES]
    if not rows_data:
        return None
    body = [[txt(r["adapter"]), txt(r["step"]), txt(r["dataset"] if r["step"] == "load" else ""),
             td(status_badge(r["status"])), time_cell(r["median_wall_s"], r["iqr_wall_s"]),
             num(r["peak_rss_mb"], 4), txt(r["how"], "wrap err") if r["how"] else td()] for r in rows_data]
    head = [th("adapter"), th("phase"), th("dataset"), th("status"), th("seconds", "num"), th("peak MB", "num"),
            th("error")]
    if not any(r["how"] for r in rows_data):
        head, body = head[:-1], [row[:-1] for row in body]
    return table(head, body, "Platform start-up (session) and data loading with each platform's own reader (load)")


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

