"""Plain-data pivots of stored records: the one place a report learns what to show. The console (rich), the wide
CSV, the HTML report and run comparison only draw what these functions return.

Records are dicts as in records.jsonl. Warm-up records never count. A *cell* is one
(dataset, adapter, step, variant); the per-adapter phases `session` and `load` (step None) are cells of their
own, labelled by the phase. Times are medians over the measured ok repeats of the cell's primary phase (`fit`,
or the phase itself for session/load); the IQR uses inclusive quartiles.

The columns of the side-by-side table are declared once, in CELL_COLUMNS: every renderer (console, HTML, wide
CSV) draws its columns from that list, so adding a column is adding a value to cell_rows and one Column here.
"""

from __future__ import annotations

import ast
import math
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from mlbench import grading, steps
from mlbench.stats import metrics

PHASES = ("session", "load", "fit", "predict", "export", "reload")
ADAPTER_PHASES = ("session", "load")
PRIMARY_PHASE = "fit"

CellKey = tuple[str, str, str, str | None]  # dataset, adapter, step (or session/load), variant

# Tones of the values a badge shows; each renderer maps a tone to its own colour (rich style, CSS class).
SUPPORT_TONES = {"native": "good", "emulated": "warn", "unsupported": "dim"}
STATUS_TONES = {"ok": "good", "error": "bad", "timeout": "bad", "skipped": "warn", "unsupported": "dim"}
FAILED = ("error", "timeout")

# How a headline metric is named in a table, and the ones shown as a share.
METRIC_LABELS = {"adj_r_squared": "adj. R²", "max_vif": "max VIF", "share_sizes_same_set": "sizes same",
                 "auc": "AUC", "rmse": "RMSE", "score": "deploy score"}
SHARE_METRICS = ("share_sizes_same_set",)

# The deployability sub-scores in mlbench.deploy.score's order, with the short labels of narrow tables.
SUBSCORE_LABELS = {"portability": "port", "fidelity": "fid", "reproducibility": "repro", "latency": "lat",
                   "throughput": "thru", "cold_start": "cold", "footprint": "foot", "security": "sec"}

# The criteria a subset search picks a size by: (key in results, label).
CRITERIA = grading.PICK_CRITERIA


def measured(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if not r.get("is_warmup")]


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def iqr(values: list[float]) -> float | None:
    if len(values) < 2:
        return None
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[2] - q[0]


def fmt(value: Any, digits: int = 6) -> str:
    """Numbers as every report prints them (`digits` significant digits); None as an em dash, infinities as ∞,
    NaN as NaN."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):  # not a dash: an infinite VIF is an answer, not a missing one
            return "NaN" if math.isnan(value) else "∞" if value > 0 else "-∞"
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e7):
            return f"{value:.{max(digits - 2, 1)}e}"
        return f"{value:.{digits}g}"
    return str(value)


# R's format.pval: p-values below machine epsilon are shown as "< 2e-16" (a computed 1.5e-81 and a reported 0
# say the same thing at double precision).
PVALUE_EPS = 2.220446049250313e-16
PVALUE_FLOOR_TEXT = "< 2e-16"


def format_pvalue(value: Any, digits: int = 4) -> str:
    """A p-value as R's format.pval shows it: `digits` significant digits, scientific below 1e-4, and
    "< 2e-16" below machine epsilon (0 included); None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if value != value:
        return "NaN"
    if value < PVALUE_EPS:
        return PVALUE_FLOOR_TEXT
    if value < 1e-4:
        return f"{value:.{max(digits - 2, 1)}e}"
    return f"{value:.{digits}g}"


def digits_text(value: Any) -> str:
    """Correct digits as McCullough's tables show them (one decimal); None as an em dash."""
    return "—" if value is None else f"{float(value):.1f}"


def spread_text(spread: Any) -> str:
    """The ± part of a median (IQR over repeats, or a metric's range); empty without one."""
    return f"±{fmt(spread, 2)}" if spread is not None else ""


def headline_text(metric: str | None, value: Any) -> tuple[str, str]:
    """(value as shown, metric label) of a cell's headline number; ("", "") when it has none."""
    if metric is None:
        return "", ""
    shown = f"{value:.0%}" if metric in SHARE_METRICS and isinstance(value, int | float) else fmt(value, 4)
    return shown, METRIC_LABELS.get(metric, metric)


_CHOSEN_SIZES = re.compile(r"chosen sizes (\{[^{}]*\}) vs (\{[^{}]*\})")


def _chosen_in_words(found: re.Match[str]) -> str:
    try:
        got, ref = ast.literal_eval(found.group(1)), ast.literal_eval(found.group(2))
    except (ValueError, SyntaxError):
        return found.group(0)
    return f"{grading.picks_text(got)} where the reference's {grading.picks_text(ref)}"


def grade_words(grade: Any) -> tuple[str, str | None]:
    """A grade in the reports' one vocabulary (console and HTML alike): its verdict word as grading says it
    ("agrees", "differs", "valid predictions", "no reference" ...) and the detail after it, or None. The detail
    is in words: a subset's chosen sizes as "adj. R² picks 11, Cp 8, BIC 6" (older records stored a dict)."""
    text = _CHOSEN_SIZES.sub(_chosen_in_words, str(grade or ""))
    word, colon, detail = text.partition(":")
    return (word, detail.strip() or None) if colon else (text, None)


def grade_text(grade: Any) -> str:
    """The whole grade in the reports' words: "differs: adj. R² picks 11, ..." (empty for no grade)."""
    word, detail = grade_words(grade)
    return f"{word}: {detail}" if detail else word


def tone(value: Any, tones: dict[str, str]) -> str | None:
    """The tone of a badge value; values outside the vocabulary (mixed statuses like "error/ok") warn."""
    if not value:
        return None
    return tones.get(str(value), "warn")


# ------------------------------------------------------------------------------------ the side-by-side columns

Kind = Literal["text", "number", "badge", "verdict", "time", "headline", "note"]


@dataclass(frozen=True)
class Column:
    """One column of the per-cell table (cell_rows).

    key: the value's key in cell_rows, also the wide CSV's column name. header: its heading in the side-by-side
    tables (None: the wide CSV only). kind: how it is drawn: text; number (`digits` significant digits); badge
    (coloured by `tones`); verdict (a grade, green when the row's `aux` key is true); time (a median with the
    row's `aux` key as ± spread); headline (a number labelled by the metric named in `aux`); note (wrapped free
    text, red for a failed cell). show: always, if any row has a value ("any"), or if rows differ ("varies").
    """

    key: str
    header: str | None = None
    tooltip: str | None = None
    kind: Kind = "text"
    digits: int = 6
    aux: str | None = None
    tones: dict[str, str] = field(default_factory=dict)
    show: Literal["always", "any", "varies"] = "always"
    csv: bool = True

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "time", "headline")


CELL_COLUMNS = [
    Column("run_id"),  # not in cell_rows: the wide CSV (wide_rows) adds it
    Column("dataset", "dataset", show="varies"),
    Column("n_rows"),
    Column("adapter", "adapter"),
    Column("platform_version"),
    Column("step"),
    Column("variant"),
    Column("label", "step", csv=False),
    Column("phase"),
    Column("support", "support", kind="badge", tones=SUPPORT_TONES),
    Column("status", "status", kind="badge", tones=STATUS_TONES),
    Column("grade", "grade", "the answer against mlbench's exact reference", kind="verdict", aux="agrees"),
    Column("agrees"),
    Column("min_digits", "digits", "correct significant digits against the exact reference: the minimum over every "
                                   "quantity the step reports", kind="number", digits=3),
    Column("vs_r_grade", "vs R", "agreement with the live R adapter's answer in this run", kind="verdict",
           aux="vs_r_agrees", show="any", csv=False),
    Column("median_wall_s", "median s", "median wall seconds of the ok repeats of the cell's fit (session, load: "
                                        "of the phase); ± is their interquartile range", kind="time", digits=3,
           aux="iqr_wall_s"),
    Column("iqr_wall_s"),
    Column("idle_s", "idle s", "seconds of a timed fit in which neither the platform nor mlbench computed (wall "
                               "minus the CPU of the measured processes; its worst repeat): a wait inside the timing, "
                               "shown only where it is at least 0.1 s and over half the wall time", kind="time",
           digits=3, show="any"),
    Column("retry_wall_s", "retry s", "median wall seconds of the cell's retries after its platform died, and of "
                                      "sessions started again (after a death, or by a resumed run), apart from "
                                      "first attempts", kind="time", digits=3, show="any"),
    Column("repeats", "runs", "measured repeats (first attempts)", kind="number"),
    Column("predict_median_s"),
    Column("export_median_s"),
    Column("reload_median_s"),
    Column("peak_rss_mb", "peak MB", "peak RSS of the process tree", kind="number", digits=4),
    Column("metric"),
    Column("metric_value", "headline", "the one number that sums the cell up", kind="headline", aux="metric"),
    Column("how", "how / why", kind="note"),
]


def side_by_side_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cells the side-by-side table shows, the same in the terminal and in HTML: every step's cell but
    training's (its own tables, per size); deploy cells stay (the deploy tables show only the formats that ran).
    Each adapter's session and load are shown apart, as start-up."""
    return [r for r in rows if r["step"] != "train" and r["step"] not in ADAPTER_PHASES]


def shown_columns(rows: list[dict[str, Any]], columns: list[Column] | None = None) -> list[Column]:
    """The columns of a side-by-side table of these rows: those with a header whose `show` rule holds."""
    out = []
    for column in columns or CELL_COLUMNS:
        if column.header is None:
            continue
        values = [r.get(column.key) for r in rows]
        if column.show == "any" and not any(v is not None for v in values):
            continue
        if column.show == "varies" and len(set(map(str, values))) < 2:
            continue
        out.append(column)
    return out


# ------------------------------------------------------------------------------------------------- cells


def step_name(record: dict[str, Any]) -> str:
    """The record's step, or its phase for the per-adapter phases (step None)."""
    return record["step"] if record.get("step") else str(record.get("phase"))


def cell_key(record: dict[str, Any]) -> CellKey:
    return (str(record.get("dataset")), str(record.get("adapter")), step_name(record), record.get("variant"))


def group_cells(records: list[dict[str, Any]]) -> dict[CellKey, list[dict[str, Any]]]:
    """Measured records per cell, cells in first-appearance order."""
    cells: dict[CellKey, list[dict[str, Any]]] = {}
    for record in measured(records):
        cells.setdefault(cell_key(record), []).append(record)
    return cells


def is_retry(record: dict[str, Any]) -> bool:
    """A retried cell, or a session started again (after a platform death, or by a resumed run) and its loads:
    timed apart from first attempts (a fresh session's first calls, with the data reloaded, are not the same
    measurement, and a second start is not a second repeat of the first)."""
    return (record.get("attempt") or 1) > 1 or (record.get("restart") or 0) > 0


def ok_times(rows: list[dict[str, Any]], phase: str, retries: bool = False) -> list[float]:
    """Wall seconds of the ok records of `phase`: first attempts only, or (`retries`) retries only."""
    return [r["wall_s"] for r in rows if r.get("phase") == phase and r.get("status") == "ok"
            and r.get("wall_s") is not None and is_retry(r) == retries]


# A timed phase whose wall time is far above its CPU time waited for something (a poll interval, a lock, I/O):
# shown as "idle s" so a wait never passes for work. Shorter or smaller gaps are scheduling noise.
IDLE_MIN_S = 0.1
IDLE_SHARE = 0.5


def idle_seconds(rows: list[dict[str, Any]], phase: str) -> float | None:
    """The worst wait inside the ok first attempts of `phase`: wall minus CPU seconds where that is at least
    IDLE_MIN_S and more than IDLE_SHARE of the wall time; None when no repeat waited. Only meaningful where the
    platform computes in the measured process tree (not a cluster joined by URL: see `computes_elsewhere`)."""
    flagged = [r["wall_s"] - r["cpu_s"] for r in rows
               if r.get("phase") == phase and r.get("status") == "ok" and not is_retry(r)
               and r.get("wall_s") is not None and r.get("cpu_s") is not None
               and r["wall_s"] - r["cpu_s"] >= max(IDLE_MIN_S, IDLE_SHARE * r["wall_s"])]
    return max(flagged) if flagged else None


def computes_elsewhere(records: list[dict[str, Any]]) -> set[str]:
    """Adapters whose session said their work runs in processes mlbench does not measure (a cluster joined by
    URL, Spark executors): their CPU time is not on the record, so wall above CPU says nothing there."""
    return {str(r.get("adapter")) for r in records
            if r.get("phase") == "session" and (r.get("result") or {}).get("computes_elsewhere")}


def combined_status(rows: list[dict[str, Any]]) -> str:
    """The cell's statuses, each repeat's phase counted by its last attempt (a retry after a platform death
    supersedes the attempt it retried)."""
    last = {(r.get("repeat"), r.get("phase"), r.get("restart") if r.get("step") is None else None): r.get("status")
            for r in rows}
    statuses = sorted({str(s) for s in last.values()})
    return statuses[0] if len(statuses) == 1 else "/".join(statuses)


def first_error(rows: list[dict[str, Any]]) -> str | None:
    return next((str(r["error"]) for r in rows if r.get("error")), None)


def headline(step: str, rows: list[dict[str, Any]]) -> tuple[str | None, float | None]:
    """(metric name, value) that sums the cell up, as its step defines it; (None, None) for session/load."""
    return steps.kind(step).headline(rows) if step in steps.kinds() else (None, None)


def _deviation(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The cell's verdict: the deviation of its last graded record ({} when none is graded)."""
    graded = [r["deviation"] for r in rows if r.get("deviation")]
    return graded[-1] if graded else {}


def _why(rows: list[dict[str, Any]]) -> str:
    return first_error(rows) or str(next(((r.get("params") or {}).get("how") for r in reversed(rows)
                                          if (r.get("params") or {}).get("how")), ""))


def r_agreement(manifest: dict[str, Any] | None) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Each platform's statistics answers graded against R's in the same run, as the runner stored them in
    run.json (`vs_r`), keyed like group_cells: {(dataset, adapter, step, variant): {"agrees", "grade", ...}}."""
    return {(v["dataset"], v["adapter"], v["step"], v.get("variant")): v for v in (manifest or {}).get("vs_r") or []}


def cell_rows(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One summary dict per cell (the keys of CELL_COLUMNS, but run_id, plus vs_r): support, status, grade,
    median time and IQR of the primary phase's ok repeats, peak memory, headline metric, how or why not.

    Ordered by dataset, then adapter (in first-appearance order), session/load first, then steps as run.
    """
    cells = group_cells(records)
    datasets = list(dict.fromkeys(k[0] for k in cells))
    adapters = list(dict.fromkeys(k[1] for k in cells))
    ordered = sorted(cells, key=lambda k: (datasets.index(k[0]), adapters.index(k[1]),
                                           ADAPTER_PHASES.index(k[2]) if k[2] in ADAPTER_PHASES else 2))
    versus_r = r_agreement(manifest)
    elsewhere = computes_elsewhere(records)
    out = []
    for key in ordered:
        dataset, adapter, step, variant = key
        rows = cells[key]
        primary = step if step in ADAPTER_PHASES else PRIMARY_PHASE
        times = ok_times(rows, primary)
        deviation = _deviation(rows)
        metric, value = headline(step, rows)
        peaks = [r["peak_rss_mb"] for r in rows if r.get("peak_rss_mb") is not None]
        vs_r = versus_r.get(key)
        out.append({
            "dataset": dataset,
            "n_rows": rows[-1].get("n_rows"),
            "adapter": adapter,
            "platform_version": rows[-1].get("platform_version"),
            "step": step,
            "variant": variant,
            "label": steps.label(step, variant),
            "phase": primary,
            "support": rows[-1].get("support") if step not in ADAPTER_PHASES else None,
            "status": combined_status(rows),
            "grade": deviation.get("grade"),
            "agrees": deviation.get("agrees"),
            "repeats": len([r for r in rows if r.get("phase") == primary and not is_retry(r)]),
            "median_wall_s": median(list(times)),
            "iqr_wall_s": iqr(times),
            "idle_s": None if step in ADAPTER_PHASES or adapter in elsewhere else idle_seconds(rows, primary),
            "retry_wall_s": median(list(ok_times(rows, primary, retries=True))),
            "predict_median_s": median(list(ok_times(rows, "predict"))),
            "export_median_s": median(list(ok_times(rows, "export"))),
            "reload_median_s": median(list(ok_times(rows, "reload"))),
            "peak_rss_mb": max(peaks) if peaks else None,
            "metric": metric if value is not None else None,
            "metric_value": value,
            "min_digits": deviation.get("min_digits"),
            "vs_r": vs_r,
            "vs_r_grade": (vs_r or {}).get("grade"),
            "vs_r_agrees": (vs_r or {}).get("agrees"),
            "how": _why(rows),
        })
    return out


def best_per_metric(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(what, who, value) lines from cell_rows: the fastest correct answer per statistics step, the best headline
    metric of the model steps (per the metric registry's direction), the fastest fit, the leanest cell."""
    rows = [r for r in rows if r["step"] not in ADAPTER_PHASES]
    lines: list[tuple[str, str, str]] = []
    for step in dict.fromkeys(r["step"] for r in rows):
        cells = [r for r in rows if r["step"] == step and r["status"] == "ok"]
        model_step = step in steps.kinds() and not steps.kind(step).statistics
        correct = [r for r in cells if r["agrees"] and r["median_wall_s"] is not None]
        if not model_step and correct:
            best = min(correct, key=lambda r: r["median_wall_s"])
            lines.append((f"fastest correct {step}", f"{best['adapter']} ({best['label']})",
                          f"{best['median_wall_s']:.3g} s"))
        metric_cells = [r for r in cells if model_step and r["metric_value"] is not None]
        for metric in dict.fromkeys(r["metric"] for r in metric_cells):
            candidates = [r for r in metric_cells if r["metric"] == metric]
            pick = max if metrics.higher_is_better(metric) else min
            best = pick(candidates, key=lambda r: r["metric_value"])
            lines.append((f"best {metric} ({step})", f"{best['adapter']} {best['variant']} at {best['n_rows']:,} rows",
                          f"{best['metric_value']:.4g}"))
        timed = [r for r in cells if r["median_wall_s"] is not None and step == "train"]
        if timed:
            best = min(timed, key=lambda r: r["median_wall_s"])
            lines.append(("fastest fit (train)", f"{best['adapter']} {best['variant']} at {best['n_rows']:,} rows",
                          f"{best['median_wall_s']:.3g} s"))
    peaks = [r for r in rows if r.get("peak_rss_mb") and r["status"] == "ok"]
    if peaks:
        best = min(peaks, key=lambda r: r["peak_rss_mb"])
        lines.append(("least memory", f"{best['adapter']} ({best['step']})", f"{best['peak_rss_mb']:.0f} MB"))
    return lines


def run_header(manifest: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """Run id, scenario name and description, start, status: from run.json, else from the records."""
    scenario = manifest.get("scenario") or {}
    name = scenario.get("name") if isinstance(scenario, dict) else scenario
    return {
        "run_id": manifest.get("run_id") or (records[0].get("run_id") if records else None),
        "scenario": name or (records[0].get("scenario") if records else None),
        "description": scenario.get("description") if isinstance(scenario, dict) else None,
        "started_utc": manifest.get("started_utc"),
        "status": manifest.get("status"),
    }


PhaseKey = tuple[str, str | None, str | None, str | None, str]  # adapter, step, variant, dataset, phase


def phase_samples(records: list[dict[str, Any]]) -> dict[PhaseKey, list[float]]:
    """(adapter, step, variant, dataset, phase) -> wall seconds of every measured ok repeat (step None for the
    per-adapter phases). Every measured key is present, with an empty list when no repeat was ok."""
    samples: dict[PhaseKey, list[float]] = {}
    for record in measured(records):
        key = (str(record.get("adapter")), record.get("step"), record.get("variant"), record.get("dataset"),
               str(record.get("phase")))
        bucket = samples.setdefault(key, [])
        if record.get("status") == "ok" and record.get("wall_s") is not None and not is_retry(record):
            bucket.append(float(record["wall_s"]))
    return samples


def phase_totals(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """adapter -> phase -> seconds: the sum over cells of each cell's median (one pass of the scenario)."""
    totals: dict[str, dict[str, float]] = {}
    for (adapter, _step, _variant, _dataset, phase), values in phase_samples(records).items():
        if values:
            per_adapter = totals.setdefault(adapter, {})
            per_adapter[phase] = per_adapter.get(phase, 0.0) + statistics.median(values)
    return totals


def train_points(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Train cells: task, adapter, model, n_rows, status, fit seconds (median, IQR, all), peak MB, metric."""
    cells: dict[tuple[str, str, str, int], list[dict[str, Any]]] = defaultdict(list)
    for record in measured(records):
        if record.get("step") == "train":
            task = metrics.task_of([record]) or "?"
            cells[(task, str(record["adapter"]), str(record.get("variant")), int(record.get("n_rows") or 0))].append(
                record)
    points = []
    for (task, adapter, model, n_rows), rows in cells.items():
        fits = [r for r in rows if r.get("phase") == "fit"]
        times = ok_times(rows, "fit")
        metric, values = metrics.headline_values(rows)
        peaks = [r["peak_rss_mb"] for r in rows if r.get("peak_rss_mb") is not None]
        failed = bool(fits) and all(r.get("status") != "ok" for r in fits)
        points.append({
            "task": task, "adapter": adapter, "model": model, "n_rows": n_rows,
            "dataset": rows[0].get("dataset"),
            "status": fits[0].get("status") if failed else combined_status(rows),
            "failed": failed,
            "error": first_error(rows),
            "fit_s": median(list(times)), "fit_iqr_s": iqr(times), "fit_times": times,
            "predict_s": median(list(ok_times(rows, "predict"))),
            "peak_rss_mb": max(peaks) if peaks else None,
            "metric": metric, "metric_value": median(list(values)) if values else None,
            "metric_spread": (max(values) - min(values)) if len(values) > 1 else None,
        })
    return points


def train_grid(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The training tables: per task {"task", "metric" (its headline metric), "sizes",
    "rows": [{"adapter", "model", "points": {size: train point or None}}]}, from train_points."""
    points = train_points(records)
    grids = []
    for task in dict.fromkeys(p["task"] for p in points):
        mine = [p for p in points if p["task"] == task]
        sizes = sorted({p["n_rows"] for p in mine})
        by_key = {(p["adapter"], p["model"], p["n_rows"]): p for p in mine}
        rows = [{"adapter": adapter, "model": model,
                 "points": {size: by_key.get((adapter, model, size)) for size in sizes}}
                for adapter, model in dict.fromkeys((p["adapter"], p["model"]) for p in mine)]
        grids.append({"task": task, "metric": metrics.headline_metric(task) or "metric", "sizes": sizes,
                      "rows": rows})
    return grids


EXTRAPOLATED_ROWS = (10_000_000, 100_000_000)  # the sizes benchm-ml reports past 1M, and one step further


def _power_law(sizes: list[float], values: list[float]) -> tuple[float, float] | None:
    """(a, b) of the least-squares line log y = log a + b log n; None with fewer than two sizes."""
    if len(set(sizes)) < 2:
        return None
    logs_n, logs_y = [math.log(n) for n in sizes], [math.log(v) for v in values]
    mean_n, mean_y = statistics.fmean(logs_n), statistics.fmean(logs_y)
    slope = (sum((x - mean_n) * (y - mean_y) for x, y in zip(logs_n, logs_y, strict=True))
             / sum((x - mean_n) ** 2 for x in logs_n))
    return math.exp(mean_y - slope * mean_n), slope


def budget_mb(manifest: dict[str, Any] | None) -> float | None:
    """The memory the cost curve compares against: --budget-memory, else the memory of the machine that ran."""
    manifest = manifest or {}
    if manifest.get("budget_memory_mb"):
        return float(manifest["budget_memory_mb"])
    gb = (manifest.get("environment") or {}).get("memory_gb")
    return float(gb) * 1024 if gb else None


def session_base_mb(records: list[dict[str, Any]]) -> dict[str, float]:
    """Per adapter: the peak memory of its session (the platform started, no data yet), the fixed base under
    every later phase's peak."""
    peaks: dict[str, list[float]] = defaultdict(list)
    for record in records:
        if record.get("phase") == "session" and record.get("status") == "ok" and record.get("peak_rss_mb"):
            peaks[str(record["adapter"])].append(float(record["peak_rss_mb"]))
    return {adapter: statistics.median(values) for adapter, values in peaks.items()}


def growth(records: list[dict[str, Any]], budget: float | None = None) -> list[dict[str, Any]]:
    """The cost curve of each (task, adapter, model) measured at two sizes or more.

    Fit time ~ a·n^b (least squares on log-log over the sizes that ran). Peak memory = base + c·n^d, the base
    being the platform's session peak (interpreter, libraries, JVM heap in use before any data) and d fitted on
    what the data added; a memory exponent needs that part to be positive at two sizes. Both are extrapolated to
    EXTRAPOLATED_ROWS (extrapolations, not measurements; only where the exponent is positive), with the rows at
    which memory would pass `budget` MB."""
    out = []
    bases = session_base_mb(records)
    points = [p for p in train_points(records) if not p["failed"] and p["fit_s"] and p["n_rows"]]
    for task, adapter, model in dict.fromkeys((p["task"], p["adapter"], p["model"]) for p in points):
        mine = sorted((p for p in points if (p["task"], p["adapter"], p["model"]) == (task, adapter, model)),
                      key=lambda p: p["n_rows"])
        time_law = _power_law([float(p["n_rows"]) for p in mine], [float(p["fit_s"]) for p in mine])
        if time_law is None:
            continue
        base = bases.get(adapter, 0.0)
        added = [p for p in mine if p["peak_rss_mb"] and p["peak_rss_mb"] > base]
        memory_law = _power_law([float(p["n_rows"]) for p in added], [float(p["peak_rss_mb"]) - base for p in added])
        row: dict[str, Any] = {
            "task": task, "adapter": adapter, "model": model, "sizes": [p["n_rows"] for p in mine],
            "largest": mine[-1]["n_rows"], "time_exponent": time_law[1], "base_mb": base,
            "memory_exponent": memory_law[1] if memory_law else None, "extrapolated": {},
            "budget_mb": budget, "rows_at_budget": None,
        }
        memory_grows = memory_law is not None and memory_law[1] > 0
        for n in EXTRAPOLATED_ROWS:
            row["extrapolated"][n] = {
                "fit_s": time_law[0] * n ** time_law[1] if time_law[1] > 0 else None,
                "peak_mb": base + memory_law[0] * n ** memory_law[1] if memory_law and memory_grows else None}
        if memory_law and memory_grows and budget and budget > base:
            row["rows_at_budget"] = ((budget - base) / memory_law[0]) ** (1.0 / memory_law[1])
        out.append(row)
    return out


def exact_subsets(reference: dict[str, Any] | None) -> dict[str, Any] | None:
    """The reference's subset answer the tables print beside the platforms: best subsets, else any method's."""
    reference = reference or {}
    exact = reference.get("subset/best") or next(
        (v for k, v in reference.items() if k.startswith("subset/") and isinstance(v, dict) and "by_size" in v),
        None)
    return exact if isinstance(exact, dict) and "by_size" in exact else None


def _picks(result: dict[str, Any] | None) -> str | None:
    """The sizes adj. R² / Cp / BIC pick, as "a/b/c" ("—" for a criterion undefined at every size)."""
    chosen = (result or {}).get("chosen") or {}
    return "/".join(str(chosen.get(key, "—")) for key, _ in CRITERIA) if chosen else None


def subset_agreement(records: list[dict[str, Any]],
                     reference: dict[str, Any] | None = None) -> tuple[list[int], list[dict[str, Any]]]:
    """Sizes, and per (dataset, adapter, method) the last subset record's same-set-as-reference per size.

    Each row: dataset, adapter, method, status, record, same: {size: True | False | None (missing)},
    chosen: {size: the features the platform chose}, not_best: {size: chose other than the exact best subset},
    picks: the sizes adj. R² / Cp / BIC pick ("a/b/c", None without an answer).
    """
    last: dict[tuple[str, str, str], dict[str, Any]] = {}
    for record in measured(records):
        if record.get("step") == "subset":
            last[(str(record.get("dataset")), str(record["adapter"]), str(record.get("variant")))] = record
    sizes: set[int] = set()
    for record in last.values():
        sizes |= {int(k) for k in ((record.get("result") or {}).get("by_size") or {})}
        sizes |= {int(k) for k in ((record.get("deviation") or {}).get("same_set_by_size") or {})}
    for key, value in (reference or {}).items():
        if key.startswith("subset/") and isinstance(value, dict):
            sizes |= {int(k) for k in (value.get("by_size") or {})}
    ordered = sorted(sizes)
    best_by_size = (exact_subsets(reference) or {}).get("by_size") or {}
    rows = []
    for (dataset, adapter, method), record in last.items():
        same_by_size = (record.get("deviation") or {}).get("same_set_by_size") or {}
        by_size = (record.get("result") or {}).get("by_size") or {}
        chosen = {size: list((by_size.get(str(size)) or {}).get("features") or []) for size in ordered}
        best = {size: set((best_by_size.get(str(size)) or {}).get("features") or []) for size in ordered}
        rows.append({"dataset": dataset, "adapter": adapter, "method": method, "status": record.get("status"),
                     "record": record, "same": {size: same_by_size.get(str(size)) for size in ordered},
                     "chosen": chosen,
                     "not_best": {size: bool(best[size]) and set(chosen[size]) != best[size] for size in ordered},
                     "picks": _picks(record.get("result"))})
    return ordered, rows


def subset_summary(records: list[dict[str, Any]],
                   reference: dict[str, Any] | None = None) -> tuple[list[int], list[dict[str, Any]]]:
    """The subset table folded per (dataset, adapter, method), for narrow tables: (sizes, rows) where each row has
    dataset, adapter, method, status, error, grade, agrees, sizes_same (sizes with the same set as the reference
    of the same method), sizes_judged, differs_at and not_best_at (sizes), picks ("a/b/c" by adj. R² / Cp / BIC)
    reference_picks (the reference's of the same method) and fits (the platform fits an emulated search drove;
    None for a native search)."""
    sizes, rows = subset_agreement(records, reference)
    out = []
    for row in rows:
        judged = [size for size in sizes if row["same"].get(size) is not None]
        same_method = (reference or {}).get(f"subset/{row['method']}")
        deviation = row["record"].get("deviation") or {}
        out.append({"dataset": row["dataset"], "adapter": row["adapter"], "method": row["method"],
                    "status": row["status"], "error": row["record"].get("error"), "grade": deviation.get("grade"),
                    "agrees": deviation.get("agrees"), "sizes_same": sum(bool(row["same"][s]) for s in judged),
                    "sizes_judged": len(judged), "differs_at": [s for s in judged if not row["same"][s]],
                    "not_best_at": [s for s in sizes if row["not_best"].get(s)], "picks": row["picks"],
                    "fits": (row["record"].get("result") or {}).get("fits"),
                    "reference_picks": _picks(same_method) if isinstance(same_method, dict) else None})
    return sizes, out


def exact_subset_rows(reference: dict[str, Any] | None, sizes: list[int]) -> dict[str, Any] | None:
    """The reference's columns of the subset table: per size its features, adj. R² and BIC, and its picks."""
    exact = exact_subsets(reference)
    if exact is None:
        return None
    by_size = {size: exact["by_size"].get(str(size)) or {} for size in sizes}
    chosen = exact.get("chosen") or {}
    return {"by_size": by_size,
            "picks": grading.picks_text(chosen)}


def support_recovery(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Synthetic data with a known support: per subset cell, precision / recall of the model each criterion picks.
    Rows: adapter, method, dataset, criteria: {label: {"text", "precision"}}."""
    _sizes, rows = subset_agreement(records)
    out = []
    for r in rows:
        truth = (r["record"].get("deviation") or {}).get("truth")
        if not truth:
            continue
        criteria = {}
        for key, label in CRITERIA:
            q = truth.get(key) or {}
            criteria[label] = {"text": f"{q.get('precision', 0):.2f} / {q.get('recall', 0):.2f} (k={q.get('size')})",
                               "precision": q.get("precision"), "recall": q.get("recall"), "size": q.get("size")}
        out.append({"adapter": r["adapter"], "method": r["method"], "dataset": r["dataset"], "criteria": criteria})
    return out


def cv_errors(records: list[dict[str, Any]], reference: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Cross-validated MSE per subset size (a subset step with `cv_folds`: mlbench's k-fold OLS of the set each
    platform chose, the same folds for every platform), per (dataset, adapter, method), after the exact reference's
    best subsets where it has them; None when no cell has it. The terminal and the HTML report draw this.

    {"folds": k or None, "sizes": [...], "several": several datasets, "columns": [{"adapter" ("reference" for the
    truth), "method", "dataset", "by_size": {size: cv_mse or None}, "min_size": the size of the smallest}]}"""
    sizes, rows = subset_agreement(records, reference)
    columns = []
    exact = exact_subsets(reference)
    candidates = ([("reference", "best" if (reference or {}).get("subset/best") else str(exact.get("method")),
                    None, exact)] if exact else [])
    candidates += [(r["adapter"], r["method"], r["dataset"], r["record"].get("result")) for r in rows]
    folds = {(r["record"].get("params") or {}).get("cv_folds") for r in rows} - {None}
    for adapter, method, dataset, result in candidates:
        by_size_all = (result or {}).get("by_size") or {}
        by_size = {size: _number((by_size_all.get(str(size)) or {}).get("cv_mse")) for size in sizes}
        known = {size: value for size, value in by_size.items() if value is not None}
        if not known:
            continue
        columns.append({"adapter": adapter, "method": method, "dataset": dataset, "by_size": by_size,
                        "min_size": min(known, key=lambda size: known[size])})
    if not any(c["adapter"] != "reference" for c in columns):
        return None
    return {"folds": folds.pop() if len(folds) == 1 else None, "sizes": sizes, "columns": columns,
            "several": len({c["dataset"] for c in columns if c["dataset"] is not None}) > 1}


def deploy_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deploy cells: per (dataset, adapter, model) the last reload result (score, sub-scores, formats, weights,
    reproducibility) or why not."""
    cells: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for record in measured(records):
        if record.get("step") == "deploy":
            cells.setdefault((str(record.get("dataset")), str(record["adapter"]), str(record.get("variant"))),
                             []).append(record)
    rows = []
    for (dataset, adapter, model), group in cells.items():
        reloads = [r for r in group if r.get("phase") == "reload" and r.get("result")]
        result = (reloads[-1]["result"] if reloads else None) or {}
        subscores = result.get("subscores")
        rows.append({
            "dataset": dataset, "adapter": adapter, "model": model, "support": group[-1].get("support"),
            "status": combined_status(group), "score": result.get("score"),
            "subscores": subscores if isinstance(subscores, dict) else None,
            "best_format": result.get("best_format"), "floor": result.get("floor"),
            "floor_subscore": result.get("floor_subscore"),
            "formats": result.get("formats") if isinstance(result.get("formats"), dict) else {},
            "weights": result.get("weights") or {}, "weights_overridden": result.get("weights_overridden") or {},
            "score_version": result.get("score_version"),
            "reproducibility": (result.get("reproducibility") or {}).get("max_abs_diff"),
            "error": first_error(group),
        })
    return rows


def latest_ok(records: list[dict[str, Any]], step: str) -> dict[str, dict[str, Any]]:
    """adapter -> result of its last measured ok record of `step` (the answer every report shows)."""
    found: dict[str, dict[str, Any]] = {}
    for record in measured(records):
        if record.get("step") == step and record.get("status") == "ok" and record.get("result"):
            found[str(record["adapter"])] = record["result"]
    return found


def accuracy(records: list[dict[str, Any]], manifest: dict[str, Any]) -> dict[str, Any]:
    """McCullough's table: per statistics dataset (rows, in NIST's order of difficulty where they are NIST's)
    and adapter (columns), the correct digits of the pvalues answer against the truth and against certified
    values, with what limits them. Datasets a suite could not run are rows with the reason.

    {"adapters": [...], "rows": [{"dataset", "label", "difficulty", "input_digits", "not_run",
      "cells": {adapter: {"status", "digits", "certified", "agrees", "note", "digits_by_quantity"}}}]}
    """
    truth = manifest.get("truth") or {}
    described = {d.get("name"): d for d in manifest.get("datasets") or []}
    last: dict[tuple[str, str], dict[str, Any]] = {}
    for record in measured(records):
        if record.get("step") == "pvalues" and record.get("phase") == "fit":
            last[(str(record["dataset"]), str(record["adapter"]))] = record
    adapters = list(dict.fromkeys(a for _, a in last))
    names = list(dict.fromkeys(d for d, _ in last))

    def nist(name: str) -> dict[str, Any]:
        return ((described.get(name) or {}).get("truth") or {}).get("nist") or {}

    rows = []
    for name in names:
        cells = {}
        for adapter in adapters:
            found = last.get((name, adapter))
            if found is None:
                continue
            record = found
            deviation = record.get("deviation") or {}
            word, detail = grade_words(deviation.get("grade"))
            cells[adapter] = {
                "status": record.get("status"), "digits": deviation.get("min_digits"),
                "certified": (deviation.get("certified") or {}).get("min_digits"),
                "agrees": deviation.get("agrees"), "digits_by_quantity": deviation.get("digits") or {},
                "worst": deviation.get("worst"),
                "note": record.get("error") or (detail if word == "differs" and detail
                                                 and "digits (" not in detail else None),
            }
        info = nist(name)
        rows.append({"dataset": name, "label": info.get("name", name), "difficulty": info.get("difficulty"),
                     "order": info.get("order"), "input_digits": (truth.get(name) or {}).get("float64_input_digits"),
                     "not_run": None, "cells": cells})
    for skipped in manifest.get("datasets_not_run") or []:
        rows.append({"dataset": skipped["name"], "label": skipped.get("label", skipped["name"]),
                     "difficulty": skipped.get("difficulty"), "order": skipped.get("order"), "input_digits": None,
                     "not_run": skipped["reason"], "cells": {}})
    rows = [row for _, row in sorted(enumerate(rows), key=lambda item: (
        item[1]["order"] if item[1]["order"] is not None else 1000, item[0]))]
    return {"adapters": adapters, "rows": rows}


def coefficient_terms(results: dict[str, dict[str, Any]], order: list[str] | None = None) -> list[str]:
    """Every term any platform estimated or aliased (an aliased term keeps its row: R's NA, H2O's removed
    column), in the design's order where known."""
    seen = list(dict.fromkeys(t for res in results.values()
                              for t in [*(res.get("coefficients") or {}), *(res.get("aliased") or [])]))
    rank = {t: i for i, t in enumerate(order or [])}
    return sorted(seen, key=lambda t: (rank.get(t, len(rank)), seen.index(t)))


def latest_ok_records(records: list[dict[str, Any]], step: str) -> dict[str, dict[str, Any]]:
    """adapter -> its last measured ok record of `step` with a result (latest_ok's records)."""
    found: dict[str, dict[str, Any]] = {}
    for record in measured(records):
        if record.get("step") == step and record.get("status") == "ok" and record.get("result"):
            found[str(record["adapter"])] = record
    return found


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def term_digits(got: dict[str, Any], truth: dict[str, Any], cap: float = grading.CAP) -> float:
    """Correct digits of one coefficient against the truth's: the minimum over its estimate, SE, t and p, each on
    the scale the grade reads it."""
    return min(grading.coefficient_digits(got, truth, cap).values())


FIT_ROWS = (("R²", "r_squared"), ("adj. R²", "adj_r_squared"), ("F", "f_statistic"))


def coefficient_grid(records: list[dict[str, Any]], reference: dict[str, Any] | None = None,
                     order: list[str] | None = None) -> dict[str, Any] | None:
    """Each platform's OLS coefficient table side by side, after the reference's (None without a pvalues answer).

    {"names": [reference?, adapters...], "rows": [{"term", "cells": [{"aliased", "estimate", "p_value", "std_error",
      "t_value", "digits", "underflow"}, ...]}], "fit": [(label, [value per name])]} for R², adj. R², F; and
    "reference" (whether names[0] is the exact reference), "platforms" (the adapters), "pass_digits",
    "fit_rows": [{"label", "key", "values", "digits"}]. A cell's `digits` are the term's correct digits against the
    reference (min over estimate, SE, t, p; None for the reference itself, an aliased or non-estimable term, or
    without a reference); `underflow` is a platform's p-value reported as exactly 0 (a tail that underflowed), and
    "underflow_notes" {platform: what its zeros mean, in the words every renderer shows beside the table}.
    """
    found = latest_ok_records(records, "pvalues")
    if not found:
        return None
    results = {adapter: record["result"] for adapter, record in found.items()}
    caps = {adapter: float((record.get("deviation") or {}).get("cap") or grading.CAP)
            for adapter, record in found.items()}
    pass_digits = next((float(r["deviation"]["pass_digits"]) for r in found.values()
                        if (r.get("deviation") or {}).get("pass_digits") is not None), grading.DEFAULT_PASS_DIGITS)
    has_reference = bool(reference and "coefficients" in reference)
    ref: dict[str, Any] = reference if has_reference and reference else {}
    if has_reference:
        results = {"reference": ref, **results}
    ref_coefs = ref.get("coefficients") or {}
    ref_aliased = set(ref.get("aliased") or [])
    rows: list[dict[str, Any]] = []
    for term in coefficient_terms(results, order):
        cells = []
        for name, res in results.items():
            coef = (res.get("coefficients") or {}).get(term) or {}
            aliased = term in (res.get("aliased") or [])
            digits = None
            if has_reference and name != "reference" and not aliased and coef and term in ref_coefs:
                skip = set(ref.get("not_estimable") or []) if set(res.get("aliased") or []) != ref_aliased else set()
                if term not in skip:
                    digits = round(term_digits(coef, ref_coefs[term], caps.get(name, grading.CAP)), 2)
            p_value = coef.get("p_value")
            cells.append({"aliased": aliased, "estimate": coef.get("estimate"), "p_value": p_value,
                          "std_error": coef.get("std_error"), "t_value": coef.get("t_value"), "digits": digits,
                          "underflow": name != "reference" and p_value == 0.0 and not isinstance(p_value, bool)})
        rows.append({"term": term, "cells": cells})
    fit = [(label, [res.get(key) for res in results.values()]) for label, key in FIT_ROWS]
    fit_rows = []
    for label, key in FIT_ROWS:
        digits_row: list[float | None] = []
        for name, res in results.items():
            if not has_reference or name == "reference" or key not in res or key not in ref:
                digits_row.append(None)
                continue
            digits_row.append(round(grading.fit_digits(res, ref, key, caps.get(name, grading.CAP)), 2))
        fit_rows.append({"label": label, "key": key, "values": [res.get(key) for res in results.values()],
                         "digits": digits_row})
    underflow: dict[str, list[str]] = {}
    for row in rows:
        for name, cell in zip(results, row["cells"], strict=True):
            if cell["underflow"]:
                underflow.setdefault(name, []).append(row["term"])
    ref_p = {term: (ref_coefs.get(term) or {}).get("p_value") or 0.0 for term in ref_coefs}
    notes = {name: f"reports p = 0 for {', '.join(terms)}" + (
        f" (the exact reference: {', '.join(format(ref_p.get(t) or 0.0, '.3g') for t in terms)})"
        if has_reference else "") + f": the tail underflowed; shown as {PVALUE_FLOOR_TEXT}, as R's format.pval does"
        for name, terms in underflow.items()}
    return {"names": list(results), "rows": rows, "fit": fit, "reference": has_reference,
            "platforms": [n for n in results if not (has_reference and n == "reference")],
            "pass_digits": pass_digits, "fit_rows": fit_rows, "underflow_notes": notes}


def elimination_rows(records: list[dict[str, Any]]) -> tuple[Any, list[dict[str, Any]]]:
    """Backward elimination by p-value: (alpha, per adapter what it dropped in order, kept, and the refit's R²)."""
    results = latest_ok(records, "pvalues")
    alpha = next(iter(results.values())).get("alpha") if results else None
    return alpha, [{"adapter": adapter, "dropped": ", ".join(map(str, res.get("dropped") or [])) or "none",
                    "kept": ", ".join(map(str, res.get("kept") or [])),
                    "r_squared": (res.get("refit") or {}).get("r_squared"),
                    "adj_r_squared": (res.get("refit") or {}).get("adj_r_squared")} for adapter, res in results.items()]


def factor_notes(records: list[dict[str, Any]], step: str) -> list[str]:
    """One line per factor term of a pvalues or vif result (the first platform's answer): drop1's F-test of the
    term, or car's GVIF with Df and GVIF^(1/(2 Df)); empty when the design has no factor of several columns."""
    results = latest_ok(records, step)
    res = next(iter(results.values()), {})
    by = res.get("by")
    whole = ("whole (drop1 semantics)" if step == "pvalues" else "whole (GVIF^(1/Df) against the threshold)") \
        if by == "term" else "one dummy at a time (--by column)"
    if step == "pvalues":
        tests = res.get("term_tests") or {}
        if by == "column":
            return [f"factors are tested and dropped {whole}"]
        return [f"factor {term} (Df {t['df']}): F = {fmt(t.get('f'))}, p = {format_pvalue(t.get('p'))} "
                f"({next(iter(results))}); factors are tested and dropped {whole}" for term, t in tests.items()]
    table = res.get("gvif") or {}
    return [f"factor {term}: GVIF with Df {t['df']} as car::vif defines it (R answers with car::vif itself, "
            f"the others from their own VIF on sub-models), GVIF^(1/(2 Df)) = {fmt(t.get('gvif_adj'))} "
            f"({next(iter(results))}); factors are removed {whole}" for term, t in table.items() if t["df"] > 1]


def _gvif_rows(result: dict[str, Any] | None) -> dict[str, Any]:
    """A vif result's factor terms as extra rows: label -> the term's GVIF."""
    table = (result or {}).get("gvif") or {}
    return {f"{term} (GVIF, Df {t['df']})": t.get("gvif") for term, t in table.items() if t.get("df", 1) > 1}


def vif_grid(records: list[dict[str, Any]], reference: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Variance inflation factors: {"adapters", "rows": [(feature, [vif per adapter])], "dropped": [text]}; with the
    reference's answer also "reference": [its vif per feature] (None without), "digits": [[correct digits per
    adapter] per feature], "reference_dropped" (text) and "pass_digits". A factor term of several columns adds
    a row of its GVIF ("type (GVIF, Df 2)") after the per-column rows, and a line in "notes"."""
    found = latest_ok_records(records, "vif")
    if not found:
        return None
    results = {adapter: {**(record["result"].get("vif") or {}), **_gvif_rows(record["result"])}
               for adapter, record in found.items()}
    ref_vif = None
    if isinstance((reference or {}).get("vif"), dict):
        ref_vif = {**(reference or {})["vif"], **_gvif_rows(reference)}
    features = list(dict.fromkeys([*(ref_vif or {}), *(f for res in results.values() for f in res)]))
    caps = {a: float((r.get("deviation") or {}).get("cap") or grading.CAP) for a, r in found.items()}
    digits = [[None if ref_vif is None or f not in ref_vif else
               round(grading.correct_digits(_number(res.get(f)), _number(ref_vif[f]), cap=caps[a]), 2)
               for a, res in results.items()] for f in features]
    pass_digits = next((float(r["deviation"]["pass_digits"]) for r in found.values()
                        if (r.get("deviation") or {}).get("pass_digits") is not None), grading.DEFAULT_PASS_DIGITS)
    return {"adapters": list(results),
            "rows": [(f, [res.get(f) for res in results.values()]) for f in features],
            "dropped": [", ".join(map(str, record["result"].get("dropped") or [])) or "none"
                        for record in found.values()],
            "reference": None if ref_vif is None else [ref_vif.get(f) for f in features],
            "reference_dropped": None if ref_vif is None else ", ".join(map(str, (reference or {}).get("dropped")
                                                                           or [])) or "none",
            "threshold": (reference or {}).get("threshold"),
            "digits": digits, "pass_digits": pass_digits, "notes": factor_notes(records, "vif")}


def design_terms(manifest: dict[str, Any]) -> list[str]:
    """Intercept and the statistics dataset's features, in the design's order."""
    return ["Intercept", *((manifest.get("dataset") or {}).get("features") or [])]
