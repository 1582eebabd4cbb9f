"""The side-by-side table in a terminal: every step's cell of the run (summary.side_by_side_rows) with the
columns summary.CELL_COLUMNS declares, each adapter's start-up apart (declared once in details/startup.py), and
the short "best per metric" summary; with how a column's kind looks in a terminal (`column_cell`) and the badges
every console table uses."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from mlbench.reports import summary
from mlbench.reports.details.startup import startup_tables
from mlbench.reports.layout import Col, Grid, Layout, Notes, grid_of, legend
from mlbench.reports.summary import Column, fmt, with_spread

TONE_STYLE = {"good": "green", "warn": "yellow", "bad": "bold red", "dim": "dim"}


def styled(value: Any, tones: dict[str, str]) -> Text:
    """A badge value in its tone's colour."""
    return Text("" if value is None else str(value), style=TONE_STYLE.get(summary.tone(value, tones) or "", ""))


def status_text(status: Any) -> Text:
    return styled(status, summary.STATUS_TONES)


def verdict(grade: Any, agrees: Any) -> Text:
    """A grade in the reports' words (summary.grade_text): green when it agrees, red when it does not."""
    return Text(summary.grade_text(grade), style="green" if agrees else "red" if grade else "")


def column_cell(column: Column, row: dict[str, Any]) -> Text:
    """One cell of a per-cell table (summary.cell_rows), drawn as its column's kind says."""
    value = row.get(column.key)
    aux = row.get(column.aux) if column.aux else None
    if column.kind == "badge":
        return styled(value, column.tones)
    if column.kind == "verdict":
        return verdict(value, aux)
    if column.kind == "number":
        return Text(fmt(value, column.digits))
    if column.kind == "time":
        return Text(with_spread(value, aux, column.digits))
    if column.kind == "headline":
        shown, label = summary.headline_text(aux, value)
        return Text.assemble(shown, (f" {label}" if label else "", "dim"))
    if column.kind == "note":
        return Text(str(value or ""), style="red" if row.get("status") in summary.FAILED else "")
    return Text("" if value is None else str(value))


CELL_KEYS = ("dataset", "adapter", "label")
# The side-by-side columns in the two halves a narrow terminal shows one after the other.
CELL_GROUPS = {**dict.fromkeys(("support", "status", "grade", "min_digits", "vs_r_grade"), "the answer"),
               **dict.fromkeys(("median_wall_s", "repeats", "peak_rss_mb", "metric_value"), "time, memory, headline")}


def cells_layouts(title: str, rows: list[dict[str, Any]]) -> list[Layout]:
    """A side-by-side table of summary.cell_rows rows with the columns summary.shown_columns picks: in full (free
    text in place), then compact: the steps' cells with free text and long grades as numbered footnotes (marked
    on the step), and each platform's start-up and loads in a table of their own."""
    if not rows:
        return []
    columns = summary.shown_columns(rows)
    full = Grid(title, [Col(c.header or c.key, "right" if c.numeric else "left", wrap=c.kind == "note",
                            key=c.key in CELL_KEYS) for c in columns])
    for row in rows:
        full.add(*(column_cell(c, row) for c in columns))

    steps_rows = [r for r in rows if r["step"] not in summary.ADAPTER_PHASES]
    phase_rows = [r for r in rows if r["step"] in summary.ADAPTER_PHASES]
    layout: Layout = []
    several = len({r["dataset"] for r in rows}) > 1
    if steps_rows:
        shown = [c for c in summary.shown_columns(steps_rows) if c.kind != "note"]
        # a number or badge that is the same in every cell (the repeats, an all-ok status) is said once, under it
        constant = [c for c in shown if c.kind in ("number", "badge") and c.key not in CELL_KEYS
                    and len({str(r.get(c.key)) for r in steps_rows}) == 1 and steps_rows[0].get(c.key) is not None]
        shown = [c for c in shown if c not in constant]
        compact = Grid(title, [Col(c.header or c.key, "right" if c.numeric else "left", key=c.key in CELL_KEYS,
                                   group=CELL_GROUPS.get(c.key)) for c in shown])
        notes = Notes()
        markers = _adapter_notes(steps_rows, several, notes)
        keys = [c.key for c in shown]
        for row in steps_rows:
            cells = []
            for column in shown:
                if column.kind == "verdict":
                    aux = row.get(column.aux) if column.aux else None
                    cells.append(verdict(summary.grade_words(row.get(column.key))[0], aux))
                else:
                    cells.append(column_cell(column, row))
            if row["adapter"] in markers and "label" in keys:  # the adapter's footnote, on its first cell
                text, failed = markers.pop(row["adapter"])
                cells[keys.index("label")].append(text, style="red" if failed else "dim")
            compact.add(*cells)
        same = ", ".join(f"{c.header} {fmt(steps_rows[0].get(c.key), c.digits)}" for c in constant)
        compact.notes = [*notes.lines(), *([legend(f"in every cell: {same}")] if constant else [])]
        layout.append(compact)
    if phase_rows:
        layout += [grid_of(table) for table in startup_tables(phase_rows, several)[-1]]
    return [[full], layout]


def _adapter_notes(rows: list[dict[str, Any]], several: bool, notes: Notes) -> dict[str, tuple[str, bool]]:
    """One footnote per adapter: each long grade and each error, then how it answered each step (one text for the
    steps that share it). adapter -> (marker, whether a cell of it failed)."""
    markers = {}
    for adapter in dict.fromkeys(r["adapter"] for r in rows):
        mine = [r for r in rows if r["adapter"] == adapter]
        segments: list[str] = []
        hows: dict[str, list[str]] = {}
        for row in mine:
            where = str(row["label"]) + (f" on {row['dataset']}" if several else "")
            long = [summary.grade_text(row["grade"])] if summary.grade_words(row.get("grade"))[1] else []
            if summary.grade_words(row.get("vs_r_grade"))[1]:
                long.append(f"vs R {summary.grade_text(row['vs_r_grade'])}")
            if row.get("status") in summary.FAILED and row.get("how"):
                long.append(str(row["how"]))
            elif row.get("how"):
                hows.setdefault(str(row["how"]), [])
                if row["label"] not in hows[str(row["how"])]:
                    hows[str(row["how"])].append(str(row["label"]))
            if long:
                segments.append(f"{where}: {'; '.join(long)}")
        # what went wrong first (a grade's detail, an error), then how each step ran: a shortened note keeps it
        segments += [f"{', '.join(labels)}: {how}" for how, labels in hows.items()]
        if segments:
            failed = any(r.get("status") in summary.FAILED for r in mine)
            markers[adapter] = (notes.mark(" · ".join(segments), adapter), failed)
    return markers


def summary_table(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> list[Layout]:
    """The side-by-side cells (summary.side_by_side_rows), each adapter's session and load first."""
    rows = summary.cell_rows(records, manifest)
    shown = {id(r) for r in summary.side_by_side_rows(rows)}
    if not shown:
        return []
    return cells_layouts("Platforms side by side",
                         [r for r in rows if id(r) in shown or r["step"] in summary.ADAPTER_PHASES])


def best_table(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> list[Layout]:
    """A short "best per metric" summary: who was fastest among correct answers, most accurate, leanest."""
    lines = summary.best_per_metric(summary.cell_rows(records, manifest))
    if not lines:
        return []
    grid = Grid("Best per metric", [Col("metric", wrap=True), Col("who", wrap=True), Col("value")])
    for metric, who, value in lines:
        grid.add(metric, who, value)
    return [[grid]]
