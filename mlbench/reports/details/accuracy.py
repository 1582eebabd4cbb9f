"""McCullough's table: correct digits of each platform's OLS answer per dataset (summary.accuracy)."""

from __future__ import annotations

from mlbench.reports import summary
from mlbench.reports.table import Cell, Column, Layouts, RunView, Table, detail

STATUS_TONE = {"good": "good", "bad": "bad", "warn": "warn", "dim": "dim"}


def status_cell(status: str, note: str | None = None, where: str = "") -> Cell:
    """A status word in its tone (summary.STATUS_TONES), with its footnote."""
    tone = summary.tone(status, summary.STATUS_TONES)
    return Cell(status, STATUS_TONE.get(tone or ""), note=note, where=where)  # type: ignore[arg-type]


def _one_decimal(value: object) -> str:
    return "" if value is None else f"{value:.1f}"


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
                   Column("float64\ninput", "right", _one_decimal, key=True,
                          tooltip="digits left by storing the exact data as float64: the best a platform reading "
                                  "it can do"),
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
                                  "good" if cell["agrees"] else "bad", cell["digits"], cell["note"] or None, where,
                                  title))
        if row["not_run"]:
            cells = [Cell("not run", "dim", note=f"not run: {row['not_run']}", where=row["label"]) for _ in adapters]
        table.add(row["label"], row["difficulty"] or "", row["input_digits"], *cells)
    table.footnotes = [
        "float64 input: the digits left by storing the exact data as float64 (the best any platform reading it "
        "can do); digits are against mlbench's exact reference.",
    ]
    return [[[table]]]

