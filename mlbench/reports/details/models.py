"""The model steps' detail tables: training per task, its cost curve (scaling) and deployability."""

from __future__ import annotations

from typing import Any

from mlbench.reports import summary
from mlbench.reports.details.accuracy import status_cell
from mlbench.reports.side_by_side import with_spread
from mlbench.reports.summary import fmt
from mlbench.reports.table import Cell, Column, Layouts, RunView, Table, detail, drawn_apart


@detail("training", "training")
def train_tables(run: RunView) -> list[Layouts]:
    """Per task: rows adapter x model, per size: median fit time (± IQR), peak memory, the headline metric; split
    per size where all sizes do not fit; why a point has no numbers in numbered footnotes."""
    tables: list[Layouts] = []
    for grid in summary.train_grid(run.records):
        metric = grid["metric"].upper()
        table = Table(f"Training ({grid['task']}): median fit time (± IQR), peak MB of the process tree, {metric} "
                      "on the fixed test set", [Column("adapter", key=True), Column("model", key=True)])
        for size in grid["sizes"]:
            table.columns += [Column(f"{size:,}\n{column}", "right", group=f"{size:,} rows")
                              for column in ("fit s", "peak MB", metric)]
        for row in grid["rows"]:
            cells: list[Any] = [row["adapter"], row["model"]]
            for point in row["points"].values():
                if point is None:
                    cells += ["—", "", ""]
                elif point["failed"]:
                    cells += [status_cell(point["status"], point["error"] or None, f"{row['adapter']} {row['model']}"),
                              "", ""]
                else:
                    cells += [Cell(with_spread(point["fit_s"], point["fit_iqr_s"], 3), sort=point["fit_s"]),
                              Cell(fmt(point["peak_rss_mb"], 4), sort=point["peak_rss_mb"]),
                              Cell(with_spread(point["metric_value"], point["metric_spread"], 4),
                                   sort=point["metric_value"])]
            table.add(*cells)
        tables.append([[table]])
    return tables


def rows_text(n: float | None) -> str:
    """A row count in a few characters: 1.5M, 100k, > 1T."""
    if n is None:
        return "—"
    if n >= 1e12:
        return "> 1T"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.3g}"


@detail("scaling", "training")
def scaling_tables(run: RunView) -> list[Layouts]:
    """Per task: the growth exponents of fit time and memory against rows and the cost curve past the sizes that
    ran (extrapolated, marked *), with the rows at which memory would pass the budget (the machine's memory, or
    --budget-memory)."""
    budget = summary.budget_mb(run.manifest)
    rows = summary.growth(run.records, budget)
    tables: list[Layouts] = []
    for task in dict.fromkeys(r["task"] for r in rows):
        mine = [r for r in rows if r["task"] == task]
        budget_label = f"rows at\n{budget / 1024:.3g} GB" if budget else "rows at\nbudget"
        table = Table(f"Scaling ({task}): fit time and peak memory ~ rows^b, fitted on the sizes that ran; "
                      "* extrapolated, not measured",
                      [Column("adapter", key=True), Column("model", key=True),
                       Column("time\nb", "right", lambda b: f"{b:.2f}", tooltip="fit seconds ~ rows^b"),
                       Column("memory\nb", "right", lambda b: "—" if b is None else fmt(b, 2),
                              tooltip="peak MB above the session's ~ rows^b")])
        for n in summary.EXTRAPOLATED_ROWS:
            table.columns += [Column(f"{rows_text(n)}*\nfit s", "right", _positive, group=f"{n:,} rows"),
                              Column(f"{rows_text(n)}*\nMB", "right", _positive, group=f"{n:,} rows")]
        table.columns.append(Column(budget_label, "right", rows_text))
        for row in mine:
            cells = [row["adapter"], row["model"], row["time_exponent"], row["memory_exponent"]]
            for n in summary.EXTRAPOLATED_ROWS:
                point = row["extrapolated"][n]
                cells += [point["fit_s"], point["peak_mb"]]
            cells.append(row["rows_at_budget"])
            table.add(*cells)
        sizes = sorted({n for r in mine for n in r["sizes"]})
        table.footnotes = [f"fitted on {', '.join(rows_text(n) for n in sizes)} rows; memory b is the exponent of "
                           "what the data adds above the session's peak; — where no growth was measured. Two sizes "
                           "fit any curve: trust it more the more sizes ran and the larger they are"]
        tables.append([[table]])
    return tables


def _positive(value: Any) -> str:
    return fmt(value, 3) if value else "—"


def _deploy_console(run: RunView) -> list[Any]:
    from mlbench.reports.console import deploy_tables

    return list(deploy_tables(run.records))


def _deploy_html(run: RunView) -> list[str | None]:
    from mlbench.reports.html.tables import deploy_table

    return [deploy_table(run.records)]


drawn_apart("deploy", "deploy", _deploy_console, _deploy_html)
