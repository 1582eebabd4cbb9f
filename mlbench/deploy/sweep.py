"""The inference batch sweep: an artifact scored at several rows per call (1, 100, 10,000 by default) in the
scorer's fresh process, each call timed alone, as the single-row latency is.

A deployment meets a model either one request at a time (an online service: latency per call matters) or in
batches (a scoring job: rows per second matters), and formats rank differently on the two: a JVM round trip or a
Spark job costs little per row at 10,000 rows and everything at one. So every batch size gets the same figures,
one row each (long format): calls timed, p25/p50/p75/p99 milliseconds per call and rows/s = rows / median
seconds per call. The median, not the mean, so one slow call (a collection, the other engineer's job on the
machine) does not move it; p25-p75 is its spread.

Cost stays bounded: single-row calls are the scorer's latency calls (the deploy step's `latency_calls`, reused,
not repeated); every larger size runs at most `calls_for(rows)` calls after a short warm-up and stops at the time
cap once `MIN_CALLS` are timed (a row says `capped`). A test set smaller than a batch is repeated to fill it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

BATCH_ROWS = (1, 100, 10_000)
SMALL_CALLS, LARGE_CALLS = 200, 50  # calls per size up to 1,000 rows and above (one row: the latency calls)
WARMUP_CALLS = 2  # a new input shape's first calls allocate: not timed
MIN_CALLS = 3  # timed past the time cap, so a slow format still has a median
TIME_CAP_S = 5.0  # per artifact and batch size, the warm-up included


def calls_for(rows: int) -> int:
    """Enough calls for a p99 where calls are cheap; fewer where each call is 10,000 rows (the cap bounds both)."""
    return SMALL_CALLS if rows <= 1000 else LARGE_CALLS


def summarize(rows: int, samples: Sequence[float], capped: bool) -> dict[str, Any]:
    """One long-format row: per-call percentiles in ms and rows/s = rows / median seconds per call."""
    seconds = np.asarray(samples, dtype=float)
    p25, p50, p75, p99 = (float(v) for v in np.percentile(seconds * 1e3, [25, 50, 75, 99]))
    return {"rows": rows, "calls": len(samples), "p25_ms": p25, "p50_ms": p50, "p75_ms": p75, "p99_ms": p99,
            "rows_s": rows / (p50 / 1e3) if p50 > 0 else None, "seconds": float(seconds.sum()), "capped": capped}


def batch_of(X: np.ndarray, rows: int, call: int) -> np.ndarray:
    """The rows of one call: consecutive test rows, moving on each call, the test set repeated when smaller."""
    if rows > len(X):
        return np.resize(X, (rows, X.shape[1]))
    start = (call * rows) % (len(X) - rows + 1)
    return X[start:start + rows]


def time_calls(predict: Callable[[np.ndarray], Any], X: np.ndarray, rows: int, calls: int, warmup: int,
               cap_s: float) -> dict[str, Any]:
    """Time `calls` calls of `rows` rows each (after `warmup` untimed ones), stopping at `cap_s` seconds from the
    start once MIN_CALLS are timed."""
    started = time.perf_counter()
    for i in range(warmup):
        predict(batch_of(X, rows, i))
    samples: list[float] = []
    capped = False
    for i in range(calls):
        if len(samples) >= MIN_CALLS and time.perf_counter() - started > cap_s:
            capped = True
            break
        batch = batch_of(X, rows, warmup + i)
        t = time.perf_counter()
        predict(batch)
        samples.append(time.perf_counter() - t)
    return summarize(rows, samples, capped)


def sweep(predict: Callable[[np.ndarray], Any], X: np.ndarray, single_row_samples: Sequence[float],
          batch_rows: Sequence[int] = BATCH_ROWS, max_calls: int | None = None, warmup: int = WARMUP_CALLS,
          cap_s: float = TIME_CAP_S) -> list[dict[str, Any]]:
    """One row per batch size; one row per call reuses the latency calls already timed (`single_row_samples`).
    `max_calls` lowers every size's call count and `warmup` can be 0: a format that starts a JVM per call has
    nothing to warm and seconds to pay per call."""
    out = []
    for rows in batch_rows:
        if rows == 1 and single_row_samples:
            out.append(summarize(1, single_row_samples, False))
            continue
        calls = calls_for(rows) if max_calls is None else min(calls_for(rows), max_calls)
        out.append(time_calls(predict, X, rows, calls, min(warmup, calls), cap_s))
    return out
