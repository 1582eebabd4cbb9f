"""Plain-data pivots of stored records, shared by the wide CSV, the HTML report and run comparison.

Records are dicts as in records.jsonl. Warm-up records never count. A *cell* is one
(dataset, adapter, step, variant); the per-adapter phases `session` and `load` (step None) are cells of their
own, labelled by the phase. Times are medians over the measured repeats of the cell's `fit` phase (or of the
phase itself for session/load); the IQR uses the same inclusive quartiles as the console tables.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from mlbench.stats import metrics

PHASES = ("session", "load", "fit", "predict", "export", "reload")
ADAPTER_PHASES = ("session", "load")
PRIMARY_PHASE = "fit"

CellKey = tuple[str, str, str, str | None]  # dataset, adapter, step (or session/load), variant


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
    """Numbers as the console prints them; None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e7):
            return f"{value:.{max(digits - 2, 1)}e}"
        return f"{value:.{digits}g}"
    return str(value)


def step_name(record: dict[str, Any]) -> str:
    """The record's step, or its phase for the per-adapter phases (step None)."""
    return record["step"] if record.get("step") else str(record.get("phase"))


def step_label(step: str, variant: str | None) -> str:
    return step + (f"/{variant}" if variant else "")


def cell_key(record: dict[str, Any]) -> CellKey:
    return (str(record.get("dataset")), str(record.get("adapter")), step_name(record), record.get("variant"))


def group_cells(records: list[dict[str, Any]]) -> dict[CellKey, list[dict[str, Any]]]:
    """Measured records per cell, cells in first-appearance order."""
    cells: dict[CellKey, list[dict[str, Any]]] = {}
    for record in measured(records):
        cells.setdefault(cell_key(record), []).append(record)
    return cells


def ok_times(rows: list[dict[str, Any]], phase: str) -> list[float]:
    return [r["wall_s"] for r in rows if r.get("phase") == phase and r.get("status") == "ok"
            and r.get("wall_s") is not None]


def combined_status(rows: list[dict[str, Any]]) -> str:
    statuses = sorted({str(r.get("status")) for r in rows})
    return statuses[0] if len(statuses) == 1 else "/".join(statuses)


def headline(step: str, rows: list[dict[str, Any]]) -> tuple[str | None, float | None]:
    """(metric name, value) that sums the cell up, as its step defines it; (None, None) for session/load."""
    from mlbench import steps

    return steps.kind(step).headline(rows) if step in steps.kinds() else (None, None)


def _grade(rows: list[dict[str, Any]]) -> tuple[str | None, bool | None]:
    graded = [r for r in rows if r.get("deviation")]
    if not graded:
        return None, None
    deviation = graded[-1]["deviation"]
    return deviation.get("grade"), deviation.get("agrees")


def _why(rows: list[dict[str, Any]]) -> str:
    error = next((r["error"] for r in rows if r.get("error")), None)
    if error:
        return str(error)
    return str(next(((r.get("params") or {}).get("how") for r in reversed(rows)
                     if (r.get("params") or {}).get("how")), ""))


def r_agreement(manifest: dict[str, Any] | None) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Each platform's statistics answers graded against R's in the same run, as the runner stored them in
    run.json (`vs_r`), keyed like group_cells: {(dataset, adapter, step, variant): {"agrees", "grade", ...}}."""
    return {(v["dataset"], v["adapter"], v["step"], v.get("variant")): v for v in (manifest or {}).get("vs_r") or []}


def cell_rows(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One summary dict per cell: support, status, grade, median time and IQR, peak memory, headline metric.

    Ordered by dataset, then adapter (in first-appearance order), session/load first, then steps as run.
    """
    cells = group_cells(records)
    datasets = list(dict.fromkeys(k[0] for k in cells))
    adapters = list(dict.fromkeys(k[1] for k in cells))
    ordered = sorted(cells, key=lambda k: (datasets.index(k[0]), adapters.index(k[1]),
                                           ADAPTER_PHASES.index(k[2]) if k[2] in ADAPTER_PHASES else 2))
    versus_r = r_agreement(manifest)
    out = []
    for key in ordered:
        dataset, adapter, step, variant = key
        rows = cells[key]
        primary = step if step in ADAPTER_PHASES else PRIMARY_PHASE
        times = ok_times(rows, primary)
        grade, agrees = _grade(rows)
        metric, value = headline(step, rows)
        graded = [r["deviation"] for r in rows if r.get("deviation")]
        deviation: dict[str, Any] = graded[-1] if graded else {}
        peaks = [r["peak_rss_mb"] for r in rows if r.get("peak_rss_mb") is not None]
        out.append({
            "dataset": dataset,
            "n_rows": rows[-1].get("n_rows"),
            "adapter": adapter,
            "platform_version": rows[-1].get("platform_version"),
            "step": step,
            "variant": variant,
            "phase": primary,
            "support": rows[-1].get("support") if step not in ADAPTER_PHASES else None,
            "status": combined_status(rows),
            "grade": grade,
            "agrees": agrees,
            "repeats": len([r for r in rows if r.get("phase") == primary]),
            "median_wall_s": median(list(times)),
            "iqr_wall_s": iqr(times),
            "predict_median_s": median(list(ok_times(rows, "predict"))),
            "export_median_s": median(list(ok_times(rows, "export"))),
            "reload_median_s": median(list(ok_times(rows, "reload"))),
            "peak_rss_mb": max(peaks) if peaks else None,
            "metric": metric if value is not None else None,
            "metric_value": value,
            "min_digits": deviation.get("min_digits"),
            "vs_r": versus_r.get(key),
            "how": _why(rows),
        })
    return out


PhaseKey = tuple[str, str | None, str | None, str | None, str]  # adapter, step, variant, dataset, phase


def phase_samples(records: list[dict[str, Any]]) -> dict[PhaseKey, list[float]]:
    """(adapter, step, variant, dataset, phase) -> wall seconds of every measured ok repeat (step None for the
    per-adapter phases). Every measured key is present, with an empty list when no repeat was ok."""
    samples: dict[PhaseKey, list[float]] = {}
    for record in measured(records):
        key = (str(record.get("adapter")), record.get("step"), record.get("variant"), record.get("dataset"),
               str(record.get("phase")))
        bucket = samples.setdefault(key, [])
        if record.get("status") == "ok" and record.get("wall_s") is not None:
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
            "error": next((r["error"] for r in rows if r.get("error")), None),
            "fit_s": median(list(times)), "fit_iqr_s": iqr(times), "fit_times": times,
            "predict_s": median(list(ok_times(rows, "predict"))),
            "peak_rss_mb": max(peaks) if peaks else None,
            "metric": metric, "metric_value": median(list(values)) if values else None,
            "metric_spread": (max(values) - min(values)) if len(values) > 1 else None,
        })
    return points


def subset_agreement(records: list[dict[str, Any]],
                     reference: dict[str, Any] | None = None) -> tuple[list[int], list[dict[str, Any]]]:
    """Sizes, and per (dataset, adapter, method) the last subset record's same-set-as-reference per size.

    Each row: dataset, adapter, method, status, record, same: {size: True | False | None (missing)}.
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
    rows = []
    for (dataset, adapter, method), record in last.items():
        same_by_size = (record.get("deviation") or {}).get("same_set_by_size") or {}
        same = {size: same_by_size.get(str(size)) for size in ordered}
        rows.append({"dataset": dataset, "adapter": adapter, "method": method, "status": record.get("status"),
                     "record": record, "same": same})
    return ordered, rows


def deploy_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deploy cells: per (dataset, adapter, model) the last reload result (score, sub-scores, formats) or why not."""
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
            "error": next((r["error"] for r in group if r.get("error")), None),
        })
    return rows


def latest_ok(records: list[dict[str, Any]], step: str) -> dict[str, dict[str, Any]]:
    """adapter -> result of its last measured ok record of `step` (as the console tables pick them)."""
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
            grade = str(deviation.get("grade") or "")
            cells[adapter] = {
                "status": record.get("status"), "digits": deviation.get("min_digits"),
                "certified": (deviation.get("certified") or {}).get("min_digits"),
                "agrees": deviation.get("agrees"), "digits_by_quantity": deviation.get("digits") or {},
                "worst": deviation.get("worst"),
                "note": record.get("error") or (grade.removeprefix("differs: ") if grade.startswith("differs")
                                                 and "digits (" not in grade else None),
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


def design_terms(manifest: dict[str, Any]) -> list[str]:
    """Intercept and the statistics dataset's features, in the design's order."""
    return ["Intercept", *((manifest.get("dataset") or {}).get("features") or [])]
