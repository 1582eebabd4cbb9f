"""Pivots of the model steps' records: training per task and size, the cost curve (growth exponents,
extrapolation, memory budget) and deployability. Part of mlbench.reports.summary (which re-exports them)."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

from mlbench.reports.summary import combined_status, first_error, iqr, measured, median, ok_times
from mlbench.stats import metrics


def data_footprint(records: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, float]]:
    """Per (adapter, dataset): the data footprint of its ok loads, median MB ("data_mb": the tree's resident MB
    when the load ended, above "base_mb", the tree's after the session started and before its first load; both
    measured by the runner). A size loaded in several sessions (restarts, runs joined) shows their median."""
    found: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for record in records:
        if record.get("phase") == "load" and record.get("status") == "ok" and record.get("data_mb") is not None:
            found[(str(record["adapter"]), str(record.get("dataset")))].append(
                (float(record["data_mb"]), float(record.get("base_rss_mb") or 0.0)))
    return {key: {"data_mb": statistics.median(d for d, _ in values),
                  "base_mb": statistics.median(b for _, b in values)} for key, values in found.items()}


def train_points(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Train cells: task, adapter, model, n_rows, status, fit seconds (median, IQR, all), peak MB, data MB (the
    loaded data's footprint, data_footprint) and the session baseline under it, metric."""
    footprints = data_footprint(records)
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
            **footprints.get((adapter, str(rows[0].get("dataset"))), {"data_mb": None, "base_mb": None}),
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
ROWS_CAP = 1e15  # rows at the memory budget beyond this are shown as "> 1T" (rows_text): no figure means more


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
    what the data added; a memory exponent needs that part to be positive at two sizes. The data footprint alone
    (data_footprint) ~ e·n^f likewise ("data_exponent", extrapolated "data_mb"). All three are extrapolated to
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
        held = [p for p in mine if p["data_mb"] and p["data_mb"] > 0]
        data_law = _power_law([float(p["n_rows"]) for p in held], [float(p["data_mb"]) for p in held])
        data_grows = data_law is not None and data_law[1] > 0
        row: dict[str, Any] = {
            "task": task, "adapter": adapter, "model": model, "sizes": [p["n_rows"] for p in mine],
            "largest": mine[-1]["n_rows"], "time_exponent": time_law[1], "base_mb": base,
            "memory_exponent": memory_law[1] if memory_law else None,
            "data_exponent": data_law[1] if data_law else None, "extrapolated": {},
            "budget_mb": budget, "rows_at_budget": None,
        }
        memory_grows = memory_law is not None and memory_law[1] > 0
        for n in EXTRAPOLATED_ROWS:
            row["extrapolated"][n] = {
                "fit_s": time_law[0] * n ** time_law[1] if time_law[1] > 0 else None,
                "peak_mb": base + memory_law[0] * n ** memory_law[1] if memory_law and memory_grows else None,
                "data_mb": data_law[0] * n ** data_law[1] if data_law and data_grows else None}
        if memory_law and memory_grows and budget and budget > base:
            # in logs, capped: a memory exponent near 0 (memory flat across sizes) puts the budget beyond any
            # float (an OverflowError once, on a 10k/100k ladder); past ROWS_CAP the figure means nothing anyway
            log_rows = math.log((budget - base) / memory_law[0]) / memory_law[1]
            row["rows_at_budget"] = math.exp(min(log_rows, math.log(ROWS_CAP)))
        out.append(row)
    return out


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
