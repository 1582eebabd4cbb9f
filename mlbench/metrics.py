"""One metric implementation for every platform: computed by mlbench from each platform's predictions.

Platforms report metrics differently (H2O's AUC is binned, Spark's areaUnderROC has its own tie handling), so
no platform-reported metric is used: each adapter returns raw predictions and these functions score them.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import rankdata

LOGLOSS_EPS = 1e-15


def auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC by the Mann-Whitney U statistic with average ranks for ties (exact, no binning)."""
    y_true = np.asarray(y_true).astype(bool)
    n_pos = int(y_true.sum())
    n_neg = len(y_true) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
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


def score(task: str, y_true: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
    """Classification: `prediction` is P(class 1); regression: the predicted value."""
    if task == "classification":
        return {"auc": auc(y_true, prediction), "logloss": logloss(y_true, prediction),
                "accuracy": accuracy(y_true, prediction)}
    return {"rmse": rmse(y_true, prediction), "r_squared": r_squared(y_true, prediction)}
