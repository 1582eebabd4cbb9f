"""Wide CSV: one row per dataset x adapter x step/variant (plus each adapter's session and load), for a
spreadsheet. The long format (mlbench.reports.csv) keeps every record; this one keeps the summary a reader
compares: support, status, grade, median wall seconds and IQR of the fit phase, peak RSS, the headline metric.

Cells go through the long CSV's formula neutraliser, so a dataset or error text starting with = + - @ cannot
run as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from mlbench.reports.csv import _cell
from mlbench.reports.summary import cell_rows

WIDE_COLUMNS = [
    "run_id", "dataset", "n_rows", "adapter", "platform_version", "step", "variant", "phase", "support", "status",
    "grade", "agrees", "repeats", "median_wall_s", "iqr_wall_s", "predict_median_s", "export_median_s",
    "reload_median_s", "peak_rss_mb", "metric", "metric_value", "min_digits", "how",
]


def wide_rows(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The pivot as dicts (WIDE_COLUMNS keys), before CSV quoting."""
    run_ids = list(dict.fromkeys(str(r.get("run_id", "")) for r in records))
    run_id = run_ids[0] if len(run_ids) == 1 else "/".join(run_ids)
    return [{"run_id": run_id, **row} for row in cell_rows(records, manifest)]


def records_to_wide_csv(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=WIDE_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in wide_rows(records, manifest):
        writer.writerow({k: _cell(row.get(k)) for k in WIDE_COLUMNS})
    return out.getvalue()


DIGITS_COLUMNS = [
    "dataset", "nist_name", "difficulty", "float64_input_digits", "adapter", "status", "agrees", "min_digits",
    "certified_min_digits", *("estimate", "std_error", "t_value", "p_value", "r_squared", "adj_r_squared",
                              "f_statistic", "rss"), "worst_quantity", "worst_term", "note",
]


def records_to_digits_csv(records: list[dict[str, Any]], manifest: dict[str, Any]) -> str:
    """The accuracy table (summary.accuracy) in long form: one row per dataset x adapter, correct digits per
    quantity of the pvalues answer; suite members that could not run are rows with the reason."""
    from mlbench.reports.summary import accuracy

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
    return out.getvalue()
