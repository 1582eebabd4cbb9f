"""The shared metrics equal sklearn.metrics on the same predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from mlbench.stats import metrics


@pytest.fixture
def predictions():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=500)
    prob = np.clip(0.3 * y + rng.uniform(size=500) * 0.7, 0, 1)
    prob[:50] = np.round(prob[:50], 1)  # ties
    return y, prob


def test_classification_metrics_equal_sklearn(predictions):
    y, prob = predictions
    assert metrics.auc(y, prob) == pytest.approx(skm.roc_auc_score(y, prob), rel=1e-12)
    assert metrics.logloss(y, prob) == pytest.approx(skm.log_loss(y, np.clip(prob, 1e-15, 1 - 1e-15)), rel=1e-12)
    assert metrics.accuracy(y, prob) == pytest.approx(skm.accuracy_score(y, prob >= 0.5))


def test_regression_metrics_equal_sklearn():
    rng = np.random.default_rng(1)
    y, pred = rng.normal(size=300), rng.normal(size=300)
    assert metrics.rmse(y, pred) == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)), rel=1e-12)
    assert metrics.r_squared(y, pred) == pytest.approx(skm.r2_score(y, pred), rel=1e-12)


def test_auc_closed_forms():
    assert metrics.auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert metrics.auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5
    assert np.isnan(metrics.auc(np.array([1, 1]), np.array([0.1, 0.2])))
