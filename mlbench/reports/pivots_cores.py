"""The core sweep's pivot (`mlbench run train --cores 1,2`): per task, platform, model and size, the median fit
time at each core count, the speed-up over the smallest count and the parallel efficiency. Read through
mlbench.reports.summary (summary.core_sweep), drawn by details/cores.py and html/charts.plot_core_sweep.

The other tables show a sweep at its largest count only (run_data.measured); this pivot reads every count, so
it takes the warm-up and retry filters itself."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from mlbench.reports.summary import first_error, is_retry, median
from mlbench.stats import metrics


def speedup(base_s: float, base_cores: int, time_s: float, cores: int) -> tuple[float, float]:
    """(speed-up, parallel efficiency) of a fit taking `time_s` on `cores` against `base_s` on `base_cores`:
    speed-up t_b / t_N, efficiency speed-up x b / N (with b = 1: t_1 / (N t_N), 1.0 = perfectly parallel)."""
    gain = base_s / time_s
    return gain, gain * base_cores / cores


def fixed_reasons(records: list[dict[str, Any]]) -> dict[str, str]:
    """adapter -> why its cores were not the run's to set (a cluster joined by URL), from its session's result."""
    return {str(r["adapter"]): str(r["result"]["cores_fixed"]) for r in records
            if r.get("phase") == "session" and (r.get("result") or {}).get("cores_fixed")}


def executor_sweeps(records: list[dict[str, Any]]) -> dict[str, str]:
    """adapter -> the cluster whose executors (one core each) its core counts were (Spark on a standalone master
    sized by --cores), from its sessions' results."""
    from mlbench.sanitize import redact

    return {str(r["adapter"]): redact(str(r["result"].get("master"))) for r in records
            if r.get("phase") == "session" and (r.get("result") or {}).get("executor_cores") == 1}


def core_counts(records: list[dict[str, Any]]) -> list[int]:
    """The core counts the training records ran at, ascending."""
    return sorted({int(r["cores"]) for r in records if r.get("step") == "train" and r.get("cores") is not None})


def core_sweep(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Train cells of a run timed at two core counts or more: [{"task", "adapter", "model", "n_rows", "fixed"
    (why the cores were the cluster's, else None), "points": {cores: {"fit_s", "times", "speedup", "efficiency",
    "error"}}}], [] for a run of one count. The base of the speed-up is the smallest count with an ok fit."""
    counts = core_counts(records)
    fixed = fixed_reasons(records)
    if len(counts) < 2:
        return []
    cells: dict[tuple[str, str, str, int], dict[int | None, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list))
    for r in records:
        if r.get("step") == "train" and r.get("phase") == "fit" and not r.get("is_warmup") and not is_retry(r):
            task = metrics.task_of([r]) or "?"
            key = (task, str(r["adapter"]), str(r.get("variant")), int(r.get("n_rows") or 0))
            cells[key][r.get("cores")].append(r)
    rows = []
    for (task, adapter, model, n_rows), by_cores in cells.items():
        points: dict[int | None, dict[str, Any]] = {}
        for cores, fits in sorted(by_cores.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
            times = [float(r["wall_s"]) for r in fits if r.get("status") == "ok" and r.get("wall_s") is not None]
            points[cores] = {"fit_s": median(list(times)), "times": times,
                             "error": None if times else (first_error(fits) or str(fits[0].get("status")))}
        base = next(((c, p["fit_s"]) for c, p in points.items() if c is not None and p["fit_s"]), None)
        for cores, point in points.items():
            gain = efficiency = None
            if base is not None and cores is not None and point["fit_s"]:
                gain, efficiency = speedup(base[1], base[0], point["fit_s"], cores)
            point.update(speedup=gain, efficiency=efficiency)
        rows.append({"task": task, "adapter": adapter, "model": model, "n_rows": n_rows,
                     "fixed": fixed.get(adapter) if None in points else None, "points": points})
    return sorted(rows, key=lambda row: (row["task"], row["n_rows"]))
