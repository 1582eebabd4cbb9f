"""Each platform's start-up (its session) and its own reader's load of each dataset, declared once.

Not a `detail` printed on its own: it belongs to the side-by-side table, whose rows are every step's cell. The
HTML draws the fullest layout under the side-by-side table (a row per platform and phase, with its status and
error); the terminal's side-by-side table has these rows in its full layout and, in its compact one, this table's
compact layout beside it (a line per platform and dataset, a failure's reason in a numbered footnote).
"""

from __future__ import annotations

from typing import Any

from mlbench.reports import summary
from mlbench.reports.details.accuracy import status_cell
from mlbench.reports.summary import fmt, with_spread
from mlbench.reports.table import Cell, Column, Layouts, Table

FULL_TITLE = "Platform start-up (session) and data loading with each platform's own reader (load)"
COMPACT_TITLE = "Start-up and loading with its own reader"


def startup_tables(rows: list[dict[str, Any]], several: bool | None = None) -> Layouts:
    """The session and load rows of summary.cell_rows (ADAPTER_PHASES) as the start-up table's layouts, fullest
    first; `several`: whether the run has several datasets (the dataset a key column), from `rows` by default."""
    rows = [r for r in rows if r["step"] in summary.ADAPTER_PHASES]
    if not rows:
        return []
    several = len({r["dataset"] for r in rows}) > 1 if several is None else several
    return [[_full(rows)], [_compact(rows, several)]]


def _seconds(row: dict[str, Any]) -> Cell:
    return Cell(with_spread(row["median_wall_s"], row["iqr_wall_s"], 3), sort=row["median_wall_s"])


def _full(rows: list[dict[str, Any]]) -> Table:
    """A row per platform and phase: status, median seconds (± IQR), peak memory, and why it failed."""
    errors = any(r["how"] for r in rows)
    table = Table(FULL_TITLE, [Column("adapter"), Column("phase"), Column("dataset"), Column("status"),
                               Column("seconds", "right"), Column("peak MB", "right", lambda v: fmt(v, 4)),
                               *([Column("error", wrap=True)] if errors else [])])
    for r in rows:
        table.add(r["adapter"], r["step"], r["dataset"] if r["step"] == "load" else "", status_cell(r["status"]),
                  _seconds(r), r["peak_rss_mb"], *([Cell(str(r["how"] or ""), "bad")] if errors else []))
    return table


def _compact(rows: list[dict[str, Any]], several: bool) -> Table:
    """A line per platform (and dataset): the session's and the load's seconds and the peak of the two; a
    failure's status with its reason in a numbered footnote."""
    table = Table(COMPACT_TITLE, [Column("adapter", key=True), *([Column("dataset", key=True)] if several else []),
                                  Column("session s", "right"), Column("load s", "right"),
                                  Column("peak MB", "right", lambda v: fmt(v, 4))])

    def seconds(row: dict[str, Any] | None) -> Cell | str:
        if row is None:
            return ""
        if row["status"] != "ok":
            where = f"{row['adapter']} {row['label']}" + (f" on {row['dataset']}" if several else "")
            return status_cell(row["status"], str(row["how"]) if row.get("how") else None, where)
        return _seconds(row)

    for adapter in dict.fromkeys(r["adapter"] for r in rows):
        session = next((r for r in rows if r["adapter"] == adapter and r["step"] == "session"), None)
        loads: list[dict[str, Any] | None] = [r for r in rows if r["adapter"] == adapter and r["step"] == "load"]
        for index, load in enumerate(loads or [None]):
            mine = [r for r in (session if index == 0 else None, load) if r is not None]
            peaks = [r["peak_rss_mb"] for r in mine if r.get("peak_rss_mb") is not None]
            table.add(adapter, *([str(load["dataset"]) if load else ""] if several else []),
                      seconds(session if index == 0 else None), seconds(load), max(peaks) if peaks else None)
    return table
