"""McCullough's table: correct digits of each platform's OLS answer per dataset (summary.accuracy)."""

from __future__ import annotations

from typing import Any

from mlbench import grading
from mlbench.reports import summary
from mlbench.reports.table import Cell, Column, Layouts, RunView, Table, detail

STATUS_TONE = {"good": "good", "bad": "bad", "warn": "warn", "dim": "dim"}


def status_cell(status: str, note: str | None = None, where: str = "") -> Cell:
    """A status word in its tone (summary.STATUS_TONES), with its footnote."""
    tone = summary.tone(status, summary.STATUS_TONES)
    return Cell(status, STATUS_TONE.get(tone or ""), note=note, where=where)  # type: ignore[arg-type]


def one_decimal(value: object) -> str:
    return "" if value is None else f"{value:.1f}"


def dataset_ceiling(manifest: dict[str, Any], dataset: str, cell: str = "pvalues") -> float | None:
    """The lowest digits the dataset's float64 input holds of any quantity of `cell` (its stored ceiling), or, for a
    run from before the per-quantity ceiling, the float64-input digits of the estimates; None where neither is
    known (no record needed the ceiling: it binds nowhere)."""
    entry = (manifest.get("truth") or {}).get(dataset) or {}
    items = (entry.get("ceiling") or {}).get(cell)
    if items:
        return min(grading.ceiling_by_quantity(items).values())
    stored = entry.get("float64_input_digits")
    return float(stored) if isinstance(stored, int | float) and not isinstance(stored, bool) else None


def _floor_note(grade: Any) -> str | None:
    """The grade's "at float64's floor (t_value, ...)" in words, for the cell's footnote."""
    word, detail = summary.grade_words(grade)
    return f"{word} {detail}: within the float64 input's own uncertainty" if detail and detail.startswith(
        grading.FLOOR_WORDS) else None


@detail("accuracy", "accuracy")
def accuracy_table(run: RunView) -> list[Layouts]:
    """Correct digits of each platform's OLS answer per dataset, with numbered footnotes for what a number cannot
    say (a different model, an error, a suite member that cannot run), and the float64 ceiling of each dataset.
    Shown for runs over several datasets or NIST's; single-dataset runs have the digits in the side-by-side
    table."""
    pivot = summary.accuracy(run.records, run.manifest)
    rows, adapters = pivot["rows"], pivot["adapters"]
    if not rows or (len(rows) == 1 and rows[0]["difficulty"] is None):
        return []
    digits = run.manifest.get("digits", 6)
    table = Table(f"Correct digits (OLS: min over estimate, SE, t, p, R², F; pass >= {digits:g})",
                  [Column("dataset", key=True), Column("difficulty", key=True),
                   Column("float64\nceiling", "right", one_decimal, key=True,
                          tooltip="the fewest digits of any quantity the float64 data let any computation get "
                                  "right (the truth on copies moved one ulp; NIST's: and on the rounded decimals)"),
                   *(Column(adapter, "right") for adapter in adapters)])
    for row in rows:
        cells: list[Cell] = []
        for adapter in adapters:
            cell = row["cells"].get(adapter)
            where = f"{adapter} on {row['label']}"
            if cell is None:
                cells.append(Cell(""))
            elif cell["status"] != "ok":
                cells.append(status_cell(cell["status"], cell["note"] or None, where))
            else:
                worst = cell.get("worst") or {}
                title = f"worst: {worst.get('quantity')} of {worst.get('term')}" if worst.get("term") else None
                cells.append(Cell("—" if cell["digits"] is None else f"{cell['digits']:.1f}",
                                  "good" if cell["agrees"] else "bad", cell["digits"],
                                  cell["note"] or _floor_note(cell.get("grade")), where, title))
        if row["not_run"]:
            cells = [Cell("not run", "dim", note=f"not run: {row['not_run']}", where=row["label"]) for _ in adapters]
        table.add(row["label"], row["difficulty"] or "",
                  None if row["not_run"] else dataset_ceiling(run.manifest, row["dataset"]), *cells)
    table.footnotes = [
        "float64 ceiling: the fewest digits of any quantity that the data as doubles let any computation get right "
        "(the exact answer on the data moved one ulp, and for NIST's cases on their decimals rounded to doubles); "
        "a platform within a digit of a quantity's ceiling is at float64's floor and passes. Digits are against "
        "mlbench's exact reference, each quantity at most its ceiling.",
    ]
    return [[[table]]]

