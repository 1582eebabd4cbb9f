"""Score one artifact in a fresh process: `python -m mlbench.deploy.scorer REQUEST.json`.

The parent starts this process and records its start time; everything the artifact needs (imports, a JVM)
is paid here, so "cold start" is honest: launch to first prediction. Then: load time, single-row latency
p50/p99 over many calls after a warm-up, the batch sweep (1, 100, 10,000 rows per call: mlbench.deploy.sweep),
batch throughput over the test set, and the batch predictions (for parity with the training session), written as
JSON + .npy. Peak memory of this process tree is measured by
the parent. Optionally it serves the artifact over HTTP (mlbench serve) and measures HTTP latency.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def _percentiles(samples: list[float]) -> dict[str, float]:
    ms = np.asarray(samples) * 1e3
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
            "calls": len(samples)}


def score(request: dict[str, Any]) -> dict[str, Any]:
    from mlbench.deploy.loaders import Artifact, load

    launched = float(request["launched_at"])
    art = Artifact(**request["artifact"])
    X = np.load(request["test_x"])
    t0 = time.perf_counter()
    predict = load(art, trusted=True)  # the runner only sends artifacts it exported in this run
    load_s = time.perf_counter() - t0
    first = predict(X[:1])
    cold_start_s = time.time() - launched
    assert np.asarray(first).shape == (1,), f"one row gave {np.asarray(first).shape} predictions"

    calls, warmup = int(request["latency_calls"]), int(request["warmup_calls"])
    row_count = len(X)
    for i in range(warmup):
        predict(X[i % row_count: i % row_count + 1])
    samples = []
    for i in range(calls):
        row = X[i % row_count: i % row_count + 1]
        t = time.perf_counter()
        predict(row)
        samples.append(time.perf_counter() - t)

    batches = None
    if "sweep" in request:
        from mlbench.deploy import sweep

        plan = request["sweep"]
        batches = sweep.sweep(predict, X, samples, plan["rows"], plan.get("max_calls"), int(plan["warmup"]),
                              float(plan["cap_s"]))

    t = time.perf_counter()
    batch = np.asarray(predict(X), dtype=float)
    batch_s = time.perf_counter() - t
    np.save(request["predictions_out"], batch)
    return {"cold_start_s": cold_start_s, "load_s": load_s, **_percentiles(samples),
            "throughput_rows_s": row_count / batch_s if batch_s > 0 else None, "batch_rows": row_count,
            **({"batches": batches} if batches is not None else {})}


def main() -> None:
    request_path = Path(sys.argv[1])
    request = json.loads(request_path.read_text(encoding="utf-8"))
    out = Path(request["result_out"])
    try:
        result: dict[str, Any] = {"ok": True, **score(request)}
    except Exception as exc:  # noqa: BLE001 - reported to the parent as this format's error
        import traceback  # here, not at the top: the cold start measured above pays only for scoring

        from mlbench.deploy import failures

        traceback.print_exc()  # into the artifact's scorer log, beside it
        result = {"ok": False, "error": failures.reload_failed(request["artifact"]["kind"], exc)}
    out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
