"""The statistics steps' detail tables: OLS coefficients, backward elimination, VIF, subsets, the true support's
recovery and cross-validated MSE (summary's pivots)."""

from __future__ import annotations

from typing import Any

from mlbench.reports import summary
from mlbench.reports.summary import fmt
from mlbench.reports.table import Cell, Column, Layouts, Plain, RunView, Table, detail, drawn_apart


def _console(name: str, *args: str) -> Any:
    def draw(run: RunView) -> list[Any]:
        from mlbench.reports import console

        values = {"reference": run.reference, "pvalues": run.reference.get("pvalues"),
                  "vif": run.reference.get("vif"), "order": summary.design_terms(run.manifest)}
        return [getattr(console, name)(run.records, *(values[a] for a in args))]
    return draw


def _html(name: str, *args: str) -> Any:
    def draw(run: RunView) -> list[str | None]:
        from mlbench.reports.html import tables

        values = {"reference": run.reference, "pvalues": run.reference.get("pvalues"),
                  "order": summary.design_terms(run.manifest)}
        return [getattr(tables, name)(run.records, *(values[a] for a in args))]
    return draw


drawn_apart("coefficients", "pvalues", _console("coefficient_table", "pvalues", "order"),
            _html("coefficient_table", "pvalues", "order"))


@detail("elimination", "pvalues")
def elimination_table(run: RunView) -> list[Layouts]:
    """Backward elimination by p-value: what each platform dropped, in order, and the refit."""
    alpha, rows = summary.elimination_rows(run.records)
    if not rows:
        return []
    table = Table(f"Backward elimination (drop the largest p > {alpha}, refit)",
                  [Column("adapter", key=True), Column("dropped, in order", wrap=True), Column("kept", wrap=True),
                   Column("refit R²", "right", fmt), Column("refit adj. R²", "right", fmt)])
    for row in rows:
        table.add(row["adapter"], row["dropped"], row["kept"], row["r_squared"], row["adj_r_squared"])
    table.footnotes = [Plain(line) for line in summary.factor_notes(run.records, "pvalues")]
    return [[[table]]]


drawn_apart("vif", "vif", _console("vif_table", "vif"), _html("vif_table"))
drawn_apart("subsets", "subsets", _console("subset_table", "reference"), _html("subset_table", "reference"))


@detail("truth", "subsets")
def truth_table(run: RunView) -> list[Layouts]:
    """Synthetic data: precision and recall of the model each criterion picks, against the true support; compact:
    the same as numbers."""
    rows = summary.support_recovery(run.records)
    if not rows:
        return []
    title = "Recovery of the true support (precision / recall of the picked model)"
    labels = [label for _, label in summary.CRITERIA]
    full = Table(title, [Column("adapter", key=True), Column("method", key=True), *(Column(x) for x in labels)])
    compact = Table(title, [Column("adapter", key=True), Column("method", key=True), *(Column(x) for x in labels)])
    for row in rows:
        full.add(row["adapter"], row["method"], *[Cell(c["text"], sort=c.get("precision"))
                                                  for c in row["criteria"].values()])
        compact.add(row["adapter"], row["method"],
                    *[f"{c.get('precision') or 0:.2f}/{c.get('recall') or 0:.2f} k={c.get('size')}"
                      for c in row["criteria"].values()])
    return [[[full], [compact]]]


@detail("cv", "subsets")
def cv_table(run: RunView) -> list[Layouts]:
    """Cross-validated MSE of the set each platform chose, per size (summary.cv_errors): sizes down, platform x
    method across (the exact reference's best subsets first), the smallest of each column marked ★."""
    pivot = summary.cv_errors(run.records, run.reference)
    if pivot is None:
        return []
    folds = f" ({pivot['folds']}-fold)" if pivot["folds"] else ""
    table = Table(f"Cross-validated MSE per subset size{folds}", [Column("size", "right", key=True)])
    for column in pivot["columns"]:
        header = f"{column['adapter']}\n{column['method']}" + (
            f"\n{column['dataset']}" if pivot["several"] and column["dataset"] else "")
        table.columns.append(Column(header, "right", key=column["adapter"] == "reference"))
    for size in pivot["sizes"]:
        cells: list[Any] = [Cell(str(size), sort=size)]
        for column in pivot["columns"]:
            value = column["by_size"].get(size)
            smallest = size == column["min_size"]
            cells.append(Cell(fmt(value, 4) + (" ★" if smallest else ""), "best" if smallest else None, value))
        table.add(*cells)
    table.footnotes = ["★ the smallest: the size cross-validation picks. Each platform's chosen set of each size "
                       "is refitted by mlbench (OLS) on the same folds, so equal sets have equal errors"]
    return [[[table]]]
