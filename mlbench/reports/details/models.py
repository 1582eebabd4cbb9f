"""The model steps' detail tables: training per task, its cost curve (scaling) and deployability."""

from __future__ import annotations

from typing import Any

from mlbench.reports import summary
from mlbench.reports.summary import fmt
from mlbench.reports.table import Column, Layouts, RunView, Table, detail, drawn_apart


def _train_console(run: RunView) -> list[Any]:
    from mlbench.reports.console import train_tables

    return list(train_tables(run.records))


def _train_html(run: RunView) -> list[str | None]:
    from mlbench.reports.html.tables import train_tables

    return list(train_tables(run.records))


drawn_apart("training", "training", _train_console, _train_html)


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
