"""Measure exported artifacts the way a deployment would meet them: each in a fresh scorer process.

The runner exports a trained model, then for every artifact launches `python -m mlbench.deploy.scorer`, samples
the peak RSS of that process tree while it runs, and compares its batch predictions with the training
session's (parity). `summarize` turns the raw figures into per-format sub-scores and the cell's score.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from mlbench.deploy import score as scoring
from mlbench.deploy import sweep
from mlbench.deploy.loaders import KINDS, Artifact
from mlbench.measure import wait_with_peak
from mlbench.procs import kill_tree

JVM_PER_CALL_LATENCY_CALLS = 5  # mojo_predict_pandas starts a JVM per call: 1000 calls would take ~20 minutes
SCORER_TIMEOUT_S = 900


def _size_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size if path.exists() else 0


def score_artifact(art: Artifact, test_x: Path, reference: np.ndarray, task: str, latency_calls: int,
                   warmup_calls: int, work_dir: Path, batch_rows: Sequence[int] = sweep.BATCH_ROWS,
                   batch_seconds: float = sweep.TIME_CAP_S) -> dict[str, Any]:
    """Raw deployability figures of one artifact, measured in a fresh process; `batch_rows` the rows per call of
    the batch sweep (empty: none), each size's calls capped at `batch_seconds`."""
    kind = KINDS[art.kind]
    stem = work_dir / f"{Path(art.path).name}.{art.kind}"
    per_call_jvm = art.kind == "h2o-mojo-pandas"
    calls = JVM_PER_CALL_LATENCY_CALLS if per_call_jvm else latency_calls
    request: dict[str, Any] = {
        "artifact": asdict(art), "test_x": str(test_x), "latency_calls": calls,
        "warmup_calls": min(warmup_calls, calls), "predictions_out": str(stem) + ".pred.npy",
        "result_out": str(stem) + ".result.json", "launched_at": time.time(),
    }
    if batch_rows:
        request["sweep"] = {"rows": list(batch_rows), "cap_s": batch_seconds,
                            "max_calls": JVM_PER_CALL_LATENCY_CALLS if per_call_jvm else None,
                            "warmup": 0 if per_call_jvm else sweep.WARMUP_CALLS}
    request_path = Path(str(stem) + ".request.json")
    request_path.write_text(json.dumps(request), encoding="utf-8")
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "DO_NOT_TRACK": "1"}
    with open(str(stem) + ".log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "mlbench.deploy.scorer", str(request_path)],
                                stdout=log, stderr=log, env=env, start_new_session=True)
        try:
            peak, timed_out = wait_with_peak(proc, timeout=SCORER_TIMEOUT_S)
        except BaseException:  # Ctrl-C or the run stopped: the scorer (its own session) and its JVM go too
            kill_tree(proc.pid)
            raise
        if timed_out:
            kill_tree(proc.pid)
        proc.wait()
    facts: dict[str, Any] = {"needs_jvm": kind.needs_jvm, "needs_training_library": kind.needs_training_library,
             "runs_code_on_load": kind.runs_code_on_load, "scorer": kind.scorer,
             "size_bytes": _size_bytes(Path(art.path))}
    result_path = Path(request["result_out"])
    if not result_path.exists():
        why = (f"scorer process timed out after {SCORER_TIMEOUT_S:g} s and was stopped" if timed_out
               else f"scorer process exited with code {proc.returncode} and no result")
        return {**facts, "ok": False, "error": why}
    result = json.loads(result_path.read_text(encoding="utf-8"))
    if not result.get("ok"):
        return {**facts, **result}
    predictions = np.load(request["predictions_out"])
    parity = float(np.max(np.abs(predictions - reference))) if predictions.shape == reference.shape else None
    result.update(facts)
    result["parity_max_abs"] = parity
    if task == "classification" and parity is not None:
        result["label_agreement"] = float(np.mean((predictions >= 0.5) == (reference >= 0.5)))
    result["scorer_peak_rss_mb"] = peak / 2**20
    result["footprint_mb"] = result["scorer_peak_rss_mb"] + facts["size_bytes"] / 2**20
    return result


def summarize(formats: dict[str, dict[str, Any]], reproducibility: dict[str, Any] | None,
              config: dict[str, Any]) -> dict[str, Any]:
    """Per-format sub-scores and totals; the cell's score is its best format's (a team deploys one format)."""
    repro = None if reproducibility is None else reproducibility.get("max_abs_diff")
    best_kind, best = None, None
    for kind, raw in formats.items():
        if not raw.get("ok"):
            continue
        raw["subscores"] = scoring.subscores(kind, raw, repro, config)
        raw.update(scoring.total(raw["subscores"], config))
        if best is None or raw["score"] > best["score"]:
            best_kind, best = kind, raw
    summary: dict[str, Any] = {"formats": formats, "reproducibility": reproducibility,
                               "weights": config["weights"], "weights_overridden": config["overridden"],
                               "score_version": config["version"]}
    if best is not None:
        summary.update(best_format=best_kind, score=best["score"], subscores=best["subscores"], floor=best["floor"],
                       floor_subscore=best["floor_subscore"])
    return summary


def wait_for_health(port: int, server: subprocess.Popen[bytes], timeout_s: float = 120.0) -> bool:
    """Whether `mlbench serve` on this loopback port answered /health before it exited or `timeout_s` passed."""
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
            return True
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                return False
            time.sleep(0.2)


def http_latency(art: Artifact, test_x: Path, calls: int, work_dir: Path) -> dict[str, Any]:
    """Serve the artifact with `mlbench serve` on a free loopback port and time single-row POST /predict."""
    import socket
    import urllib.request

    X = np.load(test_x)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with open(work_dir / f"serve-{art.kind}.log", "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "mlbench", "serve", art.path, "--port", str(port),
                                   "--trust"], stdout=log, stderr=log, start_new_session=True)
    try:
        if not wait_for_health(port, server):
            return {"http_error": "the server did not come up"}
        samples = []
        for i in range(calls + 20):
            body = json.dumps({"rows": X[i % len(X): i % len(X) + 1].tolist()}).encode()
            request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=body,
                                             headers={"Content-Type": "application/json"})
            t = time.perf_counter()
            urllib.request.urlopen(request, timeout=30).read()
            if i >= 20:  # the first 20 are the warm-up
                samples.append(time.perf_counter() - t)
        ms = np.asarray(samples) * 1e3
        return {"http_p50_ms": float(np.percentile(ms, 50)), "http_p99_ms": float(np.percentile(ms, 99)),
                "http_calls": len(samples)}
    finally:
        kill_tree(server.pid)
