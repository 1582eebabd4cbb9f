"""All terminal output: rich tables drawn from summary's pivots of stored records (dicts, as in records.jsonl).

Nothing here computes a number: each table draws what a mlbench.reports.summary function returns, so the
terminal, the HTML report and the CSVs show the same values for the same cell. The detail tables declared once
(mlbench.reports.details) are printed in their order; the side-by-side table is mlbench.reports.side_by_side.

Every table fits the width it is printed in, and no number is ever cut: the layout engine (`Grid`, `choose`,
`split`, `Notes`) is mlbench.reports.layout. `wide` (or a width of None) prints every table in its fullest layout.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from mlbench.reports import summary
from mlbench.reports.layout import Col, Grid, Layout, grid_of, print_layouts, print_tables
from mlbench.reports.side_by_side import (  # noqa: F401  (compare.py and the CLI draw with these too)
    best_table,
    column_cell,
    status_text,
    styled,
    summary_table,
    verdict,
    with_spread,
)


def scorecard_table(card: dict[str, Any]) -> list[Layout]:
    """The scorecard (declared once: mlbench.reports.scorecard.as_table) in the console's layouts: a narrow
    terminal shows its criteria's groups one after another, the adapter (and total) repeated."""
    from mlbench.reports.scorecard import as_table

    return [[grid_of(as_table(card))]]


ACCURACY_DETAILS = ("accuracy", "glm-accuracy")  # McCullough's tables: OLS (NIST's suite) and GLM (mlbench's)


def render_run(console: Console, manifest: dict[str, Any], records: list[dict[str, Any]],
               wide: bool = False) -> None:
    """Every table of a run, each fitting the console's width (wide: each in full, as wide as it needs)."""
    header = summary.run_header(manifest, records)
    dataset = manifest.get("dataset", {})
    several = [d.get("name") for d in manifest.get("datasets") or []]
    what: list[Any]
    if len(several) > 1:
        what = [" · datasets ", (f"{len(several)} ({several[0]} … {several[-1]})", "bold")]
    else:
        what = [" · dataset ", (str(dataset.get("name", "?")), "bold"),
                f" ({dataset.get('n_rows', '?')} rows, target {dataset.get('target')}, "
                f"sha256 {str(dataset.get('sha256', ''))[:12]})"]
    console.print(Text.assemble(
        ("mlbench", "bold"), " run ", (str(header["run_id"] or "?"), "cyan"), " · scenario ",
        (str(header["scenario"] or "?"), "bold"), *what, f" · status {header['status'] or '?'}",
    ))
    described = manifest.get("datasets") or [dataset]
    for each in described:  # e.g. rows dropped for missing values: said here, once (stderr only with --json)
        for note in each.get("notes") or []:
            console.print(Text(f"  note: {each.get('name')}: {note}" if len(described) > 1 else f"  note: {note}"))
    from mlbench.reports.details import details
    from mlbench.reports.table import RunView
    from mlbench.results import reference_answers

    run = RunView(manifest, records, reference_answers(manifest))
    accuracy_shown = False
    for each in details():
        if accuracy_shown and each.name not in ACCURACY_DETAILS:
            # the accuracy tables show each dataset's p-values: the per-dataset tables after them would mix them
            run, accuracy_shown = RunView(manifest, [r for r in records if r.get("step") != "pvalues"],
                                          run.reference), False
        shown = each.build(run)
        print_tables(console, shown, wide)
        if each.name in ACCURACY_DETAILS and shown and len({r["dataset"] for r in records if r.get("step")}) > 1:
            accuracy_shown = True
    print_layouts(console, summary_table(run.records, manifest), wide)
    print_layouts(console, best_table(run.records, manifest), wide)


def availability_text(row: dict[str, Any]) -> str:
    """An adapter's availability as a listing says it: "yes", or "no: <why>"."""
    if row.get("available"):
        return "yes"
    return f"no: {row['reason']}" if row.get("reason") else "no"


def render_listing(console: Console, title: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print(f"no {title}")
        return
    if "available" in rows[0]:  # adapters: "yes", or "no: <why>" in one column
        rows = [{**{k: v for k, v in row.items() if k != "reason"}, "available": availability_text(row)}
                for row in rows]
    columns = list(rows[0])
    grid = Grid(title, [Col(column, wrap=True, key=index == 0) for index, column in enumerate(columns)])
    for row in rows:
        cells = []
        for column in columns:
            value = row[column]
            if isinstance(value, dict):
                value = ", ".join(f"{k}={v}" for k, v in value.items())
            elif isinstance(value, list):
                value = ", ".join(map(str, value))
            cells.append(Text("" if value is None else str(value)))
        grid.add(*cells)
    print_layouts(console, [[grid]])
