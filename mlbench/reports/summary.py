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
from dataclasses import dataclass, field
from typing import Any, Literal

from mlbench import grading, steps
from mlbench.run_data import is_retry, latest_ok_records, measured  # noqa: F401  (read as summary.X)
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


def with_spread(value: Any, spread: Any, digits: int) -> str:
    """A median and its ± spread (IQR over the repeats, or a metric's range)."""
    extra = spread_text(spread)
    return fmt(value, digits) + (f" {extra}" if extra and value is not None else "")


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
    """The cell's error, else its declared `how` followed by what the platform said actually ran (`result.ran`,
    e.g. sklearnex's oneDAL or stock fallback, each path once over the cell's phases and repeats)."""
    how = str(next(((r.get("params") or {}).get("how") for r in reversed(rows) if (r.get("params") or {}).get("how")),
                   ""))
    ran = dict.fromkeys(str(r["result"]["ran"]) for r in rows if (r.get("result") or {}).get("ran"))
    return first_error(rows) or "; ".join([how, *(f"ran: {each}" for each in ran)] if ran else [how])


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


# The pivots of the model steps (pivots_models) and of the statistics steps (pivots_stats) live in modules of
# their own, which read this one's primitives; they are read through this module too (summary.growth, ...).
PIVOTS = {**dict.fromkeys(["train_points", "train_grid", "budget_mb", "session_base_mb", "growth", "deploy_rows",
                           "data_footprint", "EXTRAPOLATED_ROWS", "ROWS_CAP"], "pivots_models"),
          **dict.fromkeys(["exact_subsets", "subset_agreement", "subset_summary", "exact_subset_rows", "step_ends",
                           "support_recovery", "cv_errors", "latest_ok", "accuracy", "glm_accuracy", "is_glm",
                           "coefficient_terms",
                           "term_digits", "coefficient_grid", "elimination_rows", "factor_notes",
                           "vif_grid", "design_terms", "FIT_ROWS"], "pivots_stats"),
          **dict.fromkeys(["core_sweep", "core_counts", "executor_sweeps"], "pivots_cores")}


def __getattr__(name: str) -> Any:
    if name in PIVOTS:
        import importlib

        return getattr(importlib.import_module(f"mlbench.reports.{PIVOTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
