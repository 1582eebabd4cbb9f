"""The HTML report's result tables: each draws a mlbench.reports.summary pivot (the console draws the same ones)."""

from __future__ import annotations

from typing import Any

from mlbench import steps
from mlbench.reports import summary
from mlbench.reports.html.cells import (
    column_cell,
    column_head,
    esc,
    num,
    status_badge,
    table,
    td,
    th,
    time_cell,
    toned,
    txt,
)
from mlbench.reports.summary import fmt


def side_by_side(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> str | None:
    """The console's "Platforms side by side" for the statistics steps (training and deploy have their own)."""
    rows = [r for r in summary.cell_rows(records, manifest)
            if r["step"] not in ("train", "deploy", *summary.ADAPTER_PHASES)]
    if not rows:
        return None
    columns = summary.shown_columns(rows)
    return table([column_head(c) for c in columns], [[column_cell(c, r) for c in columns] for r in rows],
                 "Support, status, grade against the reference, median wall time (± IQR), peak memory", cls="full")


def startup_table(records: list[dict[str, Any]]) -> str | None:
    """Each platform's session start and its native-reader load of each dataset."""
    rows_data = [r for r in summary.cell_rows(records) if r["step"] in summary.ADAPTER_PHASES]
    if not rows_data:
        return None
    body = [[txt(r["adapter"]), txt(r["step"]), txt(r["dataset"] if r["step"] == "load" else ""),
             td(status_badge(r["status"])), time_cell(r["median_wall_s"], r["iqr_wall_s"]),
             num(r["peak_rss_mb"], 4), txt(r["how"], "wrap err") if r["how"] else td()] for r in rows_data]
    head = [th("adapter"), th("phase"), th("dataset"), th("status"), th("seconds", "num"), th("peak MB", "num"),
            th("error")]
    if not any(r["how"] for r in rows_data):
        head, body = head[:-1], [row[:-1] for row in body]
    return table(head, body, "Platform start-up (session) and data loading with each platform's own reader (load)")


def accuracy_table(records: list[dict[str, Any]], manifest: dict[str, Any]) -> str | None:
    """McCullough's table: correct digits of each platform's OLS answer (rows: datasets by NIST's difficulty;
    columns: platforms), the float64 ceiling of each dataset, and what a number cannot say as a note."""
    pivot = summary.accuracy(records, manifest)
    if not pivot["rows"]:
        return None
    adapters = pivot["adapters"]
    head = [th("dataset"), th("difficulty"),
            th("float64 input", "num", "digits left by storing the exact data as float64: the best a platform "
                                      "reading it can do"),
            *(th(a, "num") for a in adapters), th("notes")]
    body = []
    for row in pivot["rows"]:
        cells, notes = [], []
        for adapter in adapters:
            cell = row["cells"].get(adapter)
            if cell is None:
                cells.append(td())
            elif cell["status"] != "ok":
                cells.append(td(status_badge(cell["status"])))
            else:
                worst = cell.get("worst") or {}
                title = f"worst: {worst.get('quantity')} of {worst.get('term')}" if worst.get("term") else None
                style = "num good" if cell["agrees"] else "num bad"
                cells.append(td(esc(fmt(cell["digits"], 3)), style, sort=cell["digits"], title=title))
            if cell and cell["note"]:
                notes.append(f"{adapter}: {cell['note']}")
        if row["not_run"]:
            notes.append(f"not run: {row['not_run']}")
        body.append([txt(row["label"]), txt(row["difficulty"] or ""), num(row["input_digits"], 3), *cells,
                     txt("; ".join(notes), "wrap")])
    digits = manifest.get("digits", 6)
    return table(head, body, f"Correct significant digits of the OLS answer against mlbench's exact reference "
                             f"(minimum over estimate, SE, t, p, R², F); green: at least {digits:g} and the same "
                             "model", cls="full")


def pvalue_cell(value: Any, marker: str = "") -> str:
    """A p-value as the terminal shows it (summary.format_pvalue: R's format.pval), sorted by its value; `marker`
    points to the note below the table that says why (a p-value reported as exactly 0)."""
    sort = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    title = "reported as exactly 0: the tail underflowed" if value == 0 and sort is not None else None
    sup = f"<sup>{esc(marker)}</sup>" if marker else ""
    return td(esc(summary.format_pvalue(value)) + sup, "num", sort=sort, title=title)


def coefficient_table(records: list[dict[str, Any]], reference: dict[str, Any] | None,
                      order: list[str] | None = None) -> str | None:
    grid = summary.coefficient_grid(records, reference, order)
    if grid is None:
        return None
    head = [th("term")]
    for name in grid["names"]:
        head += [th(f"{name}\nestimate", "num"), th(f"{name}\np-value", "num")]
    markers = {name: str(i) for i, name in enumerate(grid["underflow_notes"], 1)}
    rows = []
    for row in grid["rows"]:
        cells = [txt(row["term"])]
        for name, cell in zip(grid["names"], row["cells"], strict=True):
            mark = markers.get(name, "") if cell["underflow"] else ""
            cells += ([td(esc("aliased"), "num muted", title="exactly collinear with earlier terms: R's NA"),
                       td("NA", "num muted")] if cell["aliased"]
                      else [num(cell["estimate"]), pvalue_cell(cell["p_value"], mark)])
        rows.append(cells)
    foot = [[txt(label), *[x for value in values for x in (num(value), td())]] for label, values in grid["fit"]]
    notes = "".join(f'<p class="note"><sup>{markers[name]}</sup> {esc(name)}: {esc(text)}</p>'
                    for name, text in grid["underflow_notes"].items())  # shown, as in the terminal
    return table(head, rows, "OLS coefficients of the full model: estimate and p-value per platform", foot) + notes


def elimination_table(records: list[dict[str, Any]]) -> str | None:
    alpha, rows_data = summary.elimination_rows(records)
    if not rows_data:
        return None
    rows = [[txt(r["adapter"]), txt(r["dropped"], "wrap"), txt(r["kept"], "wrap"), num(r["r_squared"]),
             num(r["adj_r_squared"])] for r in rows_data]
    head = [th("adapter"), th("dropped, in order"), th("kept"), th("refit R²", "num"), th("refit adj. R²", "num")]
    notes = summary.factor_notes(records, "pvalues")
    return table(head, rows, f"Backward elimination: drop the largest p > {alpha}, refit", notes=notes)


def vif_table(records: list[dict[str, Any]]) -> str | None:
    grid = summary.vif_grid(records)
    if grid is None:
        return None
    head = [th("feature")] + [th(a, "num") for a in grid["adapters"]]
    rows = [[txt(feature)] + [num(v) for v in values] for feature, values in grid["rows"]]
    foot = [[txt("dropped")] + [txt(d, "num") for d in grid["dropped"]]]
    return table(head, rows, "Variance inflation factors (with intercept, as car::vif)", foot,
                 notes=grid["notes"])


def _subset_mark(row: dict[str, Any], size: int) -> str:
    same = row["same"].get(size)
    if same is None:
        status = row["status"]
        return td(f'<span class="muted">{esc(status if status != "ok" else "—")}</span>', "center", sort="")
    mark = f'<span class="{"yes" if same else "no"}">{"✓" if same else "✗"}</span>'
    if row["not_best"].get(size):
        mark += ' <span class="muted">≠best</span>'
    chosen = row["chosen"].get(size)
    return td(mark, "center", sort=int(bool(same)), title=", ".join(sorted(chosen)) if chosen else None)


def subset_table(records: list[dict[str, Any]], reference: dict[str, Any]) -> str | None:
    sizes, rows_data = summary.subset_agreement(records, reference)
    if not rows_data:
        return None
    exact = summary.exact_subset_rows(reference, sizes)
    head = [th("size", "num")]
    if exact:
        head += [th("exact best subset (reference)"), th("adj. R²", "num"), th("BIC", "num")]
    several = len({r["dataset"] for r in rows_data}) > 1
    head += [th(f"{r['adapter']}\n{r['method']}" + (f"\n{r['dataset']}" if several else ""), "center")
             for r in rows_data]
    body = []
    for size in sizes:
        row = [num(size)]
        if exact:
            ref = exact["by_size"][size]
            row += [txt(", ".join(map(str, ref.get("features") or [])), "wrap"), num(ref.get("adj_r_squared")),
                    num(ref.get("bic"))]
        body.append(row + [_subset_mark(r, size) for r in rows_data])
    foot_row = [txt("picks")]
    if exact:
        foot_row += [txt(exact["picks"]), td(), td()]
    foot_row += [txt(r["picks"] or "—", "center", title="size picked by adj. R² / Cp / BIC") for r in rows_data]
    return table(head, body, "Subset selection per size: ✓ = same set as the exact reference of the same method; "
                             "≠best = not the best subset of that size", [foot_row])


def truth_table(records: list[dict[str, Any]]) -> str | None:
    rows_data = summary.support_recovery(records)
    if not rows_data:
        return None
    body = [[txt(r["adapter"]), txt(r["method"]),
             *[td(esc(c["text"]), "num", sort=c["precision"]) for c in r["criteria"].values()]] for r in rows_data]
    head = [th("adapter"), th("method"), *(th(label, "num") for _, label in summary.CRITERIA)]
    return table(head, body, "Recovery of the true support: precision / recall of the model each criterion picks")


def cv_table(records: list[dict[str, Any]], reference: dict[str, Any] | None = None) -> str | None:
    """The console's cross-validated MSE table (summary.cv_errors): sizes down, platform x method across."""
    pivot = summary.cv_errors(records, reference)
    if pivot is None:
        return None
    head = [th("size", "num")] + [
        th(f"{c['adapter']}\n{c['method']}" + (f"\n{c['dataset']}" if pivot["several"] and c["dataset"] else ""),
           "num") for c in pivot["columns"]]
    body = []
    for size in pivot["sizes"]:
        row = [num(size)]
        for c in pivot["columns"]:
            value = c["by_size"].get(size)
            smallest = size == c["min_size"]
            row.append(td(esc(fmt(value, 4)) + (" ★" if smallest else ""), "num good" if smallest else "num",
                          sort=value))
        body.append(row)
    folds = f"{pivot['folds']}-fold " if pivot["folds"] else ""
    return table(head, body, f"Cross-validated MSE per subset size ({folds}CV; ★ the smallest: the size "
                             "cross-validation picks)",
                 notes=["Each platform's chosen set of each size refitted by mlbench (OLS) on the same folds, so "
                        "equal sets have equal errors."])


def train_tables(records: list[dict[str, Any]]) -> list[str]:
    out = []
    for grid in summary.train_grid(records):
        metric = grid["metric"].upper()
        head = [th("adapter"), th("model")]
        for size in grid["sizes"]:
            head += [th(f"{size:,} rows\nfit s", "num"), th(f"{size:,} rows\npeak MB", "num"),
                     th(f"{size:,} rows\n{metric}", "num")]
        rows = []
        for r in grid["rows"]:
            row = [txt(r["adapter"]), txt(r["model"])]
            for p in r["points"].values():
                if p is None:
                    row += [td("—", "num"), td(), td()]
                elif p["failed"]:
                    row += [td(status_badge(p["status"]), "num", sort="", title=p["error"]), td(), td()]
                else:
                    spread = summary.spread_text(p["metric_spread"])
                    row += [time_cell(p["fit_s"], p["fit_iqr_s"]), num(p["peak_rss_mb"], 4),
                            td(esc(fmt(p["metric_value"], 4)) + (f' <span class="iqr">{esc(spread)}</span>'
                                                                 if spread else ""), "num", sort=p["metric_value"])]
            rows.append(row)
        out.append(table(head, rows, f"Training ({grid['task']}): median fit seconds (± IQR), peak MB of the process "
                                     f"tree, {metric} on the fixed test set"))
    return out


def scaling_tables(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> list[str]:
    """The cost curve: growth exponents and the extrapolated fit time and memory (marked *), per task."""
    budget = summary.budget_mb(manifest)
    rows_data = summary.growth(records, budget)
    out = []
    for task in dict.fromkeys(r["task"] for r in rows_data):
        head = [th("adapter"), th("model"), th("time b", "num", "fit seconds ~ rows^b"),
                th("memory b", "num", "peak MB above the session's ~ rows^b")]
        for n in summary.EXTRAPOLATED_ROWS:
            head += [th(f"{n:,} rows*\nfit s", "num"), th(f"{n:,} rows*\npeak MB", "num")]
        head.append(th(f"rows at {budget / 1024:.3g} GB" if budget else "rows at budget", "num"))
        rows = []
        for r in (r for r in rows_data if r["task"] == task):
            row = [txt(r["adapter"]), txt(r["model"]), num(r["time_exponent"], 3), num(r["memory_exponent"], 3)]
            for n in summary.EXTRAPOLATED_ROWS:
                row += [num(r["extrapolated"][n]["fit_s"], 3), num(r["extrapolated"][n]["peak_mb"], 3)]
            row.append(num(r["rows_at_budget"], 3))
            rows.append(row)
        sizes = ", ".join(f"{n:,}" for n in sorted({n for r in rows_data if r["task"] == task for n in r["sizes"]}))
        out.append(table(head, rows, f"Scaling ({task}): exponents fitted on {sizes} rows; * extrapolated, not "
                                     "measured"))
    return out


def deploy_table(records: list[dict[str, Any]]) -> str | None:
    rows_data = summary.deploy_rows(records)
    if not rows_data:
        return None
    body = []
    for r in rows_data:
        formats = []
        for kind, raw in (r["formats"] or {}).items():
            if not isinstance(raw, dict):
                continue
            if raw.get("ok"):
                formats.append(f"{kind}: p99 {fmt(raw.get('p99_ms'), 3)} ms, parity {fmt(raw.get('parity_max_abs'), 3)}"
                               f", score {fmt(raw.get('score'), 4)}")
            else:
                formats.append(f"{kind}: {'unavailable' if raw.get('unavailable') else 'failed'}"
                               f" ({raw.get('error')})")
        floor = f"{r['floor_subscore']} {fmt(r['floor'], 4)}" if r["floor_subscore"] else "—"
        body.append([txt(r["adapter"]), txt(r["model"]), td(toned(r["support"], summary.SUPPORT_TONES)),
                     td(status_badge(r["status"])), num(r["score"], 4), txt(r["best_format"] or "—"), txt(floor),
                     td("<br>".join(esc(f) for f in formats) or esc(r["error"] or "—"),
                        "wrap err" if r["error"] and not formats else "wrap")])
    head = [th("adapter"), th("model"), th("support"), th("status"), th("score", "num", "0-100, best format"),
            th("best format"), th("weakest sub-score"), th("formats")]
    return table(head, body, "Deployability: export, reload in a fresh process, parity, latency, footprint",
                 cls="full")


def errors_table(records: list[dict[str, Any]]) -> str | None:
    grouped: dict[tuple[str, str, str, str, str], int] = {}
    for record in summary.measured(records):
        if record.get("status") in summary.FAILED:
            key = (str(record.get("adapter")), steps.label(summary.step_name(record), record.get("variant")),
                   str(record.get("phase")), str(record.get("dataset")), str(record.get("error") or ""))
            grouped[key] = grouped.get(key, 0) + 1
    if not grouped:
        return None
    rows = [[txt(a), txt(s), txt(p), txt(d), num(n), txt(e, "wrap err")] for (a, s, p, d, e), n in grouped.items()]
    head = [th("adapter"), th("step"), th("phase"), th("dataset"), th("times", "num"), th("error")]
    return table(head, rows, "Failed cells (the run went on; see errors.log in the run directory for tracebacks)",
                 cls="full")

