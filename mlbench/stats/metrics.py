"""The metric registry: one implementation of each metric for every platform, computed by mlbench from each
platform's predictions.

Platforms report metrics differently (H2O's AUC is binned, Spark's areaUnderROC has its own tie handling), so
no platform-reported metric is used: each adapter returns raw predictions and these functions score them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

LOGLOSS_EPS = 1e-15


def auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC by the Mann-Whitney U statistic with average ranks for ties (exact, no binning)."""
    y_true = np.asarray(y_true).astype(bool)
    n_pos = int(y_true.sum())
    n_neg = len(y_true) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    from scipy.stats import rankdata  # here, not at import: scipy.stats costs 0.6 s of start-up

    ranks = rankdata(np.asarray(score, dtype=float))
    return float((ranks[y_true].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def logloss(y_true: np.ndarray, prob: np.ndarray) -> float:
    p = np.clip(np.asarray(prob, dtype=float), LOGLOSS_EPS, 1 - LOGLOSS_EPS)
    y = np.asarray(y_true, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def accuracy(y_true: np.ndarray, prob: np.ndarray, threshold: float = 0.5) -> float:
    return float(np.mean((np.asarray(prob) >= threshold) == np.asarray(y_true).astype(bool)))


def rmse(y_true: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y_true, dtype=float) - np.asarray(pred, dtype=float)) ** 2)))


def r_squared(y_true: np.ndarray, pred: np.ndarray) -> float:
    y = np.asarray(y_true, dtype=float)
    return float(1 - np.sum((y - np.asarray(pred, dtype=float)) ** 2) / np.sum((y - y.mean()) ** 2))


@dataclass(frozen=True)
class Metric:
    """One held-out metric: which task it scores, which direction is better, how to compute it from the test
    target and a platform's predictions (P(y = 1) for classification). The headline metric of a task is the one
    number reports show first for a train cell."""

    name: str
    task: str  # classification | regression
    higher_is_better: bool
    compute: Callable[[np.ndarray, np.ndarray], float]
    headline: bool = False


METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    """Add a metric (or replace one of the same name): every train cell of its task computes it from then on."""
    METRICS[metric.name] = metric
    return metric


for _metric in (Metric("auc", "classification", True, auc, headline=True),
                Metric("logloss", "classification", False, logloss),
                Metric("accuracy", "classification", True, accuracy),
                Metric("rmse", "regression", False, rmse, headline=True),
                Metric("r_squared", "regression", True, r_squared)):
    register(_metric)


def score(task: str, y_true: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
    """Every registered metric of the task."""
    return {m.name: m.compute(y_true, prediction) for m in METRICS.values() if m.task == task}


def headline_metric(task: str | None) -> str | None:
    """The task's headline metric: the latest one registered as such (registering a headline replaces it)."""
    names = [m.name for m in METRICS.values() if m.task == task and m.headline]
    return names[-1] if names else None


def higher_is_better(name: str) -> bool:
    metric = METRICS.get(name)
    return metric.higher_is_better if metric else True


def task_of(rows: list[dict[str, Any]]) -> str | None:
    """The task of a train cell's records (from its params or results)."""
    for r in rows:
        task = (r.get("params") or {}).get("task") or (r.get("result") or {}).get("task")
        if task:
            return str(task)
    return None


def headline_values(rows: list[dict[str, Any]]) -> tuple[str | None, list[float]]:
    """The headline metric of a train cell and its values over the ok predict repeats."""
    name = headline_metric(task_of(rows))
    if name is None:
        return None, []
    return name, [float(r["result"]["metrics"][name]) for r in rows
                  if r.get("phase") == "predict" and r.get("status") == "ok"
                  and isinstance(((r.get("result") or {}).get("metrics") or {}).get(name), int | float)]
