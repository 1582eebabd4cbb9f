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
from mlbench.reports.layout import Col, Grid, Layout, Notes, legend, print_layouts, print_tables
from mlbench.reports.side_by_side import (  # noqa: F401  (compare.py and the CLI draw with these too)
    best_table,
    column_cell,
    startup_grid,
    status_text,
    styled,
    summary_table,
    verdict,
    with_spread,
)
from mlbench.reports.summary import fmt


def scorecard_table(card: dict[str, Any]) -> list[Layout]:
    """The scorecard: adapters down, criteria across in their groups (a narrow terminal shows the groups one
    after another), ★ the best per column, "not measured" cells naming the scenario in footnotes."""
    from mlbench.reports.scorecard import not_measured_text

    notes = Notes()
    columns = [Col("adapter", key=True)]
    for c in card["criteria"]:
        columns.append(Col(c["label"].replace(" ", "\n", 1), "right" if c["better"] else "left", group=c["group"]))
    if card["weights"]:
        columns.append(Col("total", "right", key=True))
    weights = card["weights"]
    grid = Grid("Scorecard", columns)  # a short title, on one line at any width; what it shows in the caption
    caption = "measured per platform; " + (
        "sub-score after each figure; total = weighted mean: " + ", ".join(f"{k} {v:g}" for k, v in weights.items())
        if weights else "★ best per column, nothing ranked")
    for row in card["rows"]:
        cells: list[Text | str] = [row["adapter"]]
        for c in card["criteria"]:
            cell = row["cells"][c["key"]]
            if cell is None:
                command = card["not_measured"].get(c["key"])
                cells.append(Text("—" + (notes.mark(not_measured_text(command)) if command else ""), style="dim"))
                continue
            best = row["adapter"] in card["best"].get(c["key"], [])
            sub = (row.get("subscores") or {}).get(c["key"])
            text = Text(str(cell["text"]) + (" ★" if best else ""), style="bold green" if best else "")
            if sub is not None:
                text.append(f" {sub:g}", style="dim")
            cells.append(text)
        if weights:
            cells.append(fmt(row.get("total"), 3))
        grid.add(*cells)
    grid.notes = [legend(caption), *notes.lines(),
                  legend(f"runs: {', '.join(str(r) for r in card['runs'])}; each figure's run and cell: --format json")]
    return [[grid]]


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
    for each in details():
        shown = each.build(run)
        print_tables(console, shown, wide)
        if each.name == "accuracy" and shown and len({r["dataset"] for r in records if r.get("step")}) > 1:
            # the accuracy table shows each dataset's p-values: the per-dataset tables after it would mix them
            run = RunView(manifest, [r for r in records if r.get("step") != "pvalues"], run.reference)
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
