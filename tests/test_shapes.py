"""The training data's shapes (mlbench.shapes): tall, wide (p >> n) and sparse (95% zeros, CSR to the platforms
that take it). The generator's properties, its planted signal recovered by least squares against the closed-form
sampling distribution, a small training run per shape, and CSR reaching scikit-learn and xgboost undensified."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

from mlbench import shapes, units
from mlbench.adapter import SessionOptions, TrainSpec
from mlbench.datasets import synthetic_task
from mlbench.errors import MlbenchError
from mlbench.platforms.sklearn import SklearnAdapter
from mlbench.platforms.xgboost import XGBoostAdapter
from mlbench.stats import metrics
from tests.conftest import expect_usage_error, run_cli, run_json

WIDE, SPARSE = shapes.SHAPES["wide"], shapes.SHAPES["sparse"]


@pytest.mark.parametrize(("shape", "n", "p"), [("tall", 300, 10), ("wide", 200, 1000), ("sparse", 400, 100)])
def test_each_shape_has_its_rows_and_columns_and_is_deterministic(shape, n, p):
    first = synthetic_task("classification", n, p, seed=7, shape=shape)
    again = synthetic_task("classification", n, p, seed=7, shape=shape)
    other = synthetic_task("classification", n, p, seed=8, shape=shape)
    assert first.frame.shape == (n, p + 1)
    assert first.sha256 == again.sha256 and first.sha256 != other.sha256
    assert first.frame.equals(again.frame)
    assert set(np.unique(first.frame["y"])) == {0.0, 1.0}
    assert (first.sparse is not None) == (shape == "sparse")


def test_sparse_is_95_percent_zeros_and_its_csr_equals_the_dense_copy():
    data = synthetic_task("regression", 2000, 300, seed=3, shape="sparse")
    X = data.sparse
    assert sp.issparse(X) and X.format == "csr"
    assert abs(X.nnz / (2000 * 300) - shapes.DENSITY) < 1e-3
    dense = data.frame.drop(columns="y").to_numpy()
    assert np.count_nonzero(dense) == X.nnz
    assert np.array_equal(X.toarray(), dense)
    per_column = np.diff(X.tocsc().indptr) / 2000  # no column far from 5%: a binomial(2000, 0.05) within 6 SE
    assert np.all(np.abs(per_column - 0.05) < 6 * np.sqrt(0.05 * 0.95 / 2000))
    foot = shapes.footprint(X)
    assert foot["dense_bytes"] == 2000 * 300 * 8 and foot["csr_bytes"] < foot["dense_bytes"] / 5


def test_planted_coefficients_do_not_depend_on_the_seed():
    """The test set is drawn with seed + 1: it must share the training set's signal."""
    a = synthetic_task("regression", 100, 1000, seed=1, shape="wide").truth
    b = synthetic_task("regression", 100, 1000, seed=2, shape="wide").truth
    assert a["coefficients"] == b["coefficients"] and len(a["support"]) == WIDE.planted


def _chi2_of_estimate(X: np.ndarray, y: np.ndarray, beta: np.ndarray) -> float:
    """(b̂ - b)' X'X (b̂ - b) / σ² with σ = 1: chi-square with p degrees of freedom when the model holds (the
    closed-form sampling distribution of least squares, b̂ ~ N(b, σ² (X'X)⁻¹))."""
    xtx = X.T @ X
    xtx = xtx.toarray() if sp.issparse(xtx) else xtx  # the 100 x 100 product of the CSR, dense to solve
    estimate = np.linalg.solve(xtx, X.T @ y)
    diff = estimate - beta
    return float(diff @ xtx @ diff)


def test_least_squares_recovers_the_planted_coefficients_of_wide_data():
    """p >> n: 150 rows of 1,000 columns; least squares on the 10 planted columns (the known support) recovers
    their coefficients within the chi-square bound of the closed form, and nothing is left in the residual but
    the unit noise."""
    data = synthetic_task("regression", 150, 1000, seed=11, shape="wide")
    support = data.truth["support"]
    X = data.frame[support].to_numpy()
    y = data.frame["y"].to_numpy()
    beta = np.array([data.truth["coefficients"][c] for c in support])
    assert _chi2_of_estimate(X, y, beta) < stats.chi2.ppf(0.999, len(support))
    residual = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    assert stats.chi2.ppf(0.0005, 140) < residual @ residual < stats.chi2.ppf(0.9995, 140)  # σ² = 1, n - k df


def test_least_squares_on_the_csr_recovers_every_coefficient_of_sparse_data():
    """All 100 columns fitted from the CSR itself (X'X by sparse products): the 50 planted coefficients and the 50
    zeros, within the chi-square bound with 100 degrees of freedom; and the signal's standard deviation is the
    documented SIGNAL_SD."""
    data = synthetic_task("regression", 6000, 100, seed=5, shape="sparse")
    X, y = data.sparse, data.frame["y"].to_numpy()
    beta = np.zeros(100)
    for name, value in data.truth["coefficients"].items():
        beta[int(name[1:]) - 1] = value
    assert np.count_nonzero(beta) == SPARSE.planted
    assert _chi2_of_estimate(X, y, beta) < stats.chi2.ppf(0.999, 100)
    assert abs(np.std(X @ beta) - shapes.SIGNAL_SD) < 0.1


def test_unknown_shape_and_too_many_wide_rows_are_one_line_errors():
    with pytest.raises(MlbenchError, match="unknown shape 'wdie'; did you mean 'wide'"):
        shapes.check("wdie")
    with pytest.raises(MlbenchError, match="fewer rows than its 2,000 columns: size 10,000"):
        shapes.check_sizes(WIDE, [500, 10_000], 2000)
    assert shapes.ladder(WIDE, None, [10_000, 100_000], None) == list(WIDE.sizes)  # --shape on the tall scenario
    assert shapes.ladder(WIDE, None, [300], "wide") == [300]  # a scenario written for the shape keeps its sizes
    assert shapes.ladder(WIDE, [400], [300], "wide") == [400]


def test_cli_refuses_an_unknown_shape(tmp_path):
    expect_usage_error(run_cli("run", "train", "--shape", "sparce", "--out", str(tmp_path)),
                       "did you mean 'sparse'")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("extends: train\nshape: tal\n")
    expect_usage_error(run_cli("run", str(scenario), "--out", str(tmp_path)), "did you mean 'tall'")


def _sparse_source(tmp_path):
    train = synthetic_task("classification", 1500, 100, seed=1, shape="sparse")
    test = synthetic_task("classification", 500, 100, seed=2, shape="sparse")
    unit = units.unit(train, [], tmp_path, test.frame, "classification", test_sparse=test.sparse)
    return unit.source, test.frame["y"].to_numpy()


def test_csr_reaches_sklearn_and_xgboost_as_csr(tmp_path, monkeypatch):
    import xgboost as xgb

    source, y_test = _sparse_source(tmp_path)
    assert source.sparse_path.suffix == ".npz" and source.test_sparse_path is not None
    seen: list[str] = []
    original = xgb.XGBClassifier.fit

    def spy(self, X, y, **kwargs):
        seen.append(type(X).__name__)
        return original(self, X, y, **kwargs)

    monkeypatch.setattr(xgb.XGBClassifier, "fit", spy)
    xgboost = XGBoostAdapter()
    xgboost.start_session(SessionOptions(run_dir=tmp_path))
    xgboost.load(source)
    assert sp.issparse(xgboost.X) and sp.issparse(xgboost.X_test)
    model = xgboost.fit(TrainSpec("gbm", "classification", trees=20, max_depth=3))
    assert seen == ["csr_matrix"]
    assert metrics.auc(y_test, xgboost.predict(model)) > 0.6

    sklearn = SklearnAdapter()
    sklearn.start_session(SessionOptions(run_dir=tmp_path))
    sklearn.load(source)
    assert sklearn.frame is None  # the dense copy is never read
    handed: list[str] = []
    estimator = sklearn._estimator
    monkeypatch.setattr(sklearn, "_estimator", lambda module, name: _recording(estimator(module, name), handed))
    for family in ("logistic", "random_forest", "gbm"):
        model = sklearn.fit(TrainSpec(family, "classification", trees=20, max_depth=4))
        assert metrics.auc(y_test, sklearn.predict(model)) > 0.6, family
    assert handed == ["csr_matrix", "csr_matrix", "ndarray"]  # HistGradientBoosting takes no sparse input


def _recording(cls, handed):
    class Recording(cls):
        def fit(self, X, y, *args, **kwargs):
            handed.append(type(X).__name__)
            return super().fit(X, y, *args, **kwargs)

    Recording.__name__ = cls.__name__
    return Recording


SCENARIO = """extends: train
adapters: [sklearn]
test_rows: 1000
shape: {shape}
sizes: [{size}]
steps:
  - {{step: train, task: classification, models: [logistic, random_forest], trees: 20, features: {features}}}
  - {{step: train, task: regression, models: [linear, random_forest], trees: 20, features: {features}}}
"""


@pytest.mark.parametrize(("shape", "size", "features"), [("tall", 1000, 10), ("wide", 500, 1000),
                                                         ("sparse", 2000, 100)])
def test_sklearn_trains_on_each_shape(shape, size, features, tmp_path):
    """The ladder on each shape, from a scenario that names it (the gbm left out: HistGradientBoosting on 1,000
    columns takes a minute here; its densified CSR path is tested above)."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO.format(shape=shape, size=size, features=features))
    records = run_json("run", str(scenario), "--json", "--out", str(tmp_path))
    predicts = [r for r in records if r["phase"] == "predict"]
    assert len(predicts) == 4 and all(r["status"] == "ok" for r in predicts)
    assert all(r["result"]["n_test"] == 1000 for r in predicts)
    best_auc = max(r["result"]["metrics"]["auc"] for r in predicts if r["params"]["task"] == "classification")
    assert best_auc > 0.6
    best_rmse = min(r["result"]["metrics"]["rmse"] for r in predicts if r["params"]["task"] == "regression")
    if shape != "tall":  # below the standard deviation of y itself (the signal's SIGNAL_SD and the unit noise)
        assert best_rmse < 0.95 * np.sqrt(1 + shapes.SIGNAL_SD**2)
    run = next(tmp_path.glob("*/run.json")).read_text()
    assert (f"shape={shape}" in run) == (shape != "tall")
    if shape == "sparse":
        assert "nnz 10,000 of 200,000 (5.00% nonzero)" in run
