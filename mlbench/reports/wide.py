"""Wide CSV: one row per dataset x adapter x step/variant (plus each adapter's session and load), for a
spreadsheet. The long format (mlbench.reports.csv_export) keeps every record; this one keeps the summary a reader
compares: support, status, grade, median wall seconds and IQR of the fit phase, peak RSS, the headline metric.
Its columns are summary.CELL_COLUMNS (those marked csv), the same list the side-by-side tables are drawn from.

Cells go through the long CSV's formula neutraliser, so a dataset or error text starting with = + - @ cannot
run as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from mlbench.reports import summary
from mlbench.reports.csv_export import _cell
from mlbench.reports.summary import accuracy, cell_rows, glm_accuracy


def wide_columns() -> list[str]:
    """The wide CSV's columns: the keys of summary.CELL_COLUMNS marked csv, in its order."""
    return [column.key for column in summary.CELL_COLUMNS if column.csv]


WIDE_COLUMNS = wide_columns()


def wide_rows(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The pivot as dicts (WIDE_COLUMNS keys), before CSV quoting."""
    run_ids = list(dict.fromkeys(str(r.get("run_id", "")) for r in records))
    run_id = run_ids[0] if len(run_ids) == 1 else "/".join(run_ids)
    return [{"run_id": run_id, **row} for row in cell_rows(records, manifest)]


def records_to_wide_csv(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> str:
    columns = wide_columns()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in wide_rows(records, manifest):
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return out.getvalue()


DIGITS_COLUMNS = [
    "dataset", "nist_name", "difficulty", "float64_input_digits", "adapter", "status", "agrees", "min_digits",
    "certified_min_digits", *("estimate", "std_error", "t_value", "p_value", "r_squared", "adj_r_squared",
                              "f_statistic", "rss"), "worst_quantity", "worst_term", "note",
    *("family", "z_value", "deviance", "null_deviance", "aic", "converged", "iterations"),  # the GLM table's rows
]


def records_to_digits_csv(records: list[dict[str, Any]], manifest: dict[str, Any]) -> str:
    """The accuracy tables (summary.accuracy, then summary.glm_accuracy) in long form: one row per dataset x
    adapter, correct digits per quantity of the pvalues answer; suite members that could not run are rows with
    the reason. GLM rows fill the GLM columns (family, z, deviance, AIC, converged) and leave OLS's empty."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DIGITS_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in accuracy(records, manifest)["rows"]:
        common = {"dataset": row["dataset"], "nist_name": row["label"], "difficulty": row["difficulty"],
                  "float64_input_digits": row["input_digits"]}
        if row["not_run"]:
            writer.writerow({k: _cell(v) for k, v in {**common, "status": "not run", "note": row["not_run"]}.items()})
        for adapter, cell in row["cells"].items():
            worst = cell.get("worst") or {}
            values = {**common, "adapter": adapter, "status": cell["status"], "agrees": cell["agrees"],
                      "min_digits": cell["digits"], "certified_min_digits": cell["certified"],
                      **cell["digits_by_quantity"], "worst_quantity": worst.get("quantity"),
                      "worst_term": worst.get("term"), "note": cell["note"]}
            writer.writerow({k: _cell(values.get(k)) for k in DIGITS_COLUMNS})
    _glm_digits_rows(writer, records, manifest)
    return out.getvalue()


def _glm_digits_rows(writer: csv.DictWriter, records: list[dict[str, Any]], manifest: dict[str, Any]) -> None:
    """The GLM accuracy table (summary.glm_accuracy) in the same long form: one row per case x adapter, the worst
    digits per quantity against the certified MLE, the platform's convergence flag and iterations."""
    for row in glm_accuracy(records, manifest)["rows"]:
        for adapter, cell in row["cells"].items():
            worst = cell.get("worst") or {}
            values = {"dataset": row["dataset"], "family": row["family"], "adapter": adapter,
                      "status": cell["status"], "agrees": cell["agrees"], "min_digits": cell["digits"],
                      **cell["digits_by_quantity"], "worst_quantity": worst.get("quantity"),
                      "worst_term": worst.get("term"), "note": cell["note"], "converged": cell["converged"],
                      "iterations": cell["iterations"]}
            writer.writerow({k: _cell(values.get(k)) for k in DIGITS_COLUMNS})
