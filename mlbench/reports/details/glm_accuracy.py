"""McCullough's table for GLMs: per case of the GLM accuracy suite and platform, the worst correct digits of the
estimates and of the SEs against the certified MLE, and whether the platform said it converged
(summary.glm_accuracy). Its own builder beside the OLS one (details/accuracy.py): the two suites grade different
quantities against different truths (exact rationals there, a certified ball here; no float64 input ceiling
here, the cases are generated as doubles)."""

from __future__ import annotations

from typing import Any

from mlbench.reports import summary
from mlbench.reports.details.accuracy import status_cell
from mlbench.reports.table import Cell, Column, Layouts, RunView, Table, detail

CONVERGED = {True: "yes", False: "no", None: "—"}


def _digits(value: Any) -> str:
    return "—" if value is None else f"{value:.1f}"


def _converged_cell(cell: dict[str, Any], where: str) -> Cell:
    said = cell.get("converged")
    note = (f"said it did not converge ({cell.get('iterations')} iterations)" if said is False else None)
    return Cell(CONVERGED[said], "bad" if said is False else ("dim" if said is None else None),
                note=note, where=where, title=None if cell.get("iterations") is None else
                f"{cell['iterations']} iterations")


def _digit_cell(cell: dict[str, Any], quantity: str, where: str, note: bool) -> Cell:
    value = cell.get(quantity)
    worst = cell.get("worst") or {}
    return Cell(_digits(value), "good" if cell.get("agrees") else "bad", value,
                cell.get("note") if note else None, where,
                f"worst: {worst.get('quantity')} of {worst.get('term')}" if worst.get("term") else None)


def _compact_cell(cell: dict[str, Any], where: str) -> Cell:
    """est/SE in one cell; ! where the platform said it did not converge (footnoted)."""
    mark = "!" if cell.get("converged") is False else ""
    text = f"{_digits(cell.get('estimate'))}/{_digits(cell.get('std_error'))}{mark}"
    said = "said it did not converge" if mark and "did not converge" not in (cell.get("note") or "") else None
    notes = [n for n in (cell.get("note"), said) if n]
    return Cell(text, "good" if cell.get("agrees") else "bad", cell.get("digits"), "; ".join(notes) or None, where)


@detail("glm-accuracy", "accuracy")
def glm_accuracy_table(run: RunView) -> list[Layouts]:
    """The GLM accuracy suite in correct digits per case and platform: the fullest layout gives estimate digits,
    SE digits and the platform's convergence flag in three columns per platform; the compact one `est/SE` in
    one. Shown when a run has GLM pvalues cells on several datasets (the suite); a single GLM dataset has its
    digits in the side-by-side table."""
    pivot = summary.glm_accuracy(run.records, run.manifest)
    rows, adapters = pivot["rows"], pivot["adapters"]
    if len(rows) < 2:
        return []
    digits = run.manifest.get("digits", 6)
    title = f"Correct digits, GLMs (worst term, against the certified MLE; pass >= {digits:g} on every quantity)"
    keys = [Column("case", key=True), Column("family", key=True)]
    full = Table(title, [*keys, *(c for a in adapters for c in (
        Column(f"{a}\nest", "right", group=a), Column(f"{a}\nSE", "right", group=a),
        Column(f"{a}\nconv.", "center", group=a,
               tooltip="whether the platform said its fit converged (— it does not say)")))])
    compact = Table(title, [*keys, *(Column(a, "right") for a in adapters)])
    for row in rows:
        wide: list[Cell] = []
        narrow: list[Cell] = []
        for adapter in adapters:
            cell = row["cells"].get(adapter)
            where = f"{adapter} on {row['label']}"
            if cell is None:
                wide += [Cell(""), Cell(""), Cell("")]
                narrow.append(Cell(""))
            elif cell["status"] != "ok":
                status = status_cell(cell["status"], cell["note"] or None, where)
                wide += [status, Cell(""), Cell("")]
                narrow.append(status)
            else:
                wide += [_digit_cell(cell, "estimate", where, True), _digit_cell(cell, "std_error", where, False),
                         _converged_cell(cell, where)]
                narrow.append(_compact_cell(cell, where))
        full.add(row["label"], row["family"] or "", *wide)
        compact.add(row["label"], row["family"] or "", *narrow)
    legend = ("the worst correct digits over the terms (McCullough's LRE, capped at 15) against the MLE certified "
              "in arbitrary precision (mlbench.stats.glm_exact); green: every graded quantity (also z, p, deviance, "
              "AIC) passes.")
    full.footnotes = [f"est, SE: {legend} conv.: the platform's own convergence flag."]
    compact.footnotes = [f"est/SE: {legend} !: the platform said it did not converge."]
    return [[[full], [compact]]]
