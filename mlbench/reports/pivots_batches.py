"""The inference batch sweep's pivot (mlbench.deploy.sweep): the deploy cells' artifacts at each batch size, in
long format, one row per (dataset, adapter, model, format, rows per call), read by its detail table
(details/batches.py) and its chart (html/charts.plot_batch_sweep)."""

from __future__ import annotations

from typing import Any

from mlbench.reports.pivots_models import deploy_rows
from mlbench.run_data import measured


def batch_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per deploy cell's last reload, per artifact that scored, per batch size: calls timed, p25/p50/p75/p99 ms
    per call, rows/s (rows / median seconds per call) and whether the time cap stopped it."""
    out = []
    for row in deploy_rows(records):
        for kind, raw in row["formats"].items():
            batches = raw.get("batches") if raw.get("ok") else None
            for batch in batches if isinstance(batches, list) else []:
                if isinstance(batch, dict) and isinstance(batch.get("rows"), int):
                    out.append({"dataset": row["dataset"], "adapter": row["adapter"], "model": row["model"],
                                "format": kind, **batch})
    return out


def time_caps(records: list[dict[str, Any]]) -> list[float]:
    """The batch sweep's time caps per batch size (the deploy step's `batch_seconds`) the run's cells used."""
    caps = {float(r["params"]["batch_seconds"]) for r in measured(records)
            if r.get("step") == "deploy" and r.get("phase") == "reload"
            and isinstance(r.get("params"), dict) and isinstance(r["params"].get("batch_seconds"), int | float)}
    return sorted(caps)
