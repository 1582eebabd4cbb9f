"""The train step: each in-process adapter learns a learnable task; the CLI runs the ladder end to end."""

from __future__ import annotations

import numpy as np
import pytest

from mlbench import steps
from mlbench.adapter import DataSource, SessionOptions, TrainSpec
from mlbench.datasets import parse_size, synthetic_task
from mlbench.errors import MlbenchError
from mlbench.platforms.sklearn import SklearnAdapter
from mlbench.platforms.statsmodels import StatsmodelsAdapter
from mlbench.platforms.xgboost import XGBoostAdapter
from mlbench.stats import metrics
from tests.conftest import run_json


def task_source(tmp_path, task: str, n: int = 2000) -> tuple[DataSource, np.ndarray]:
    train = synthetic_task(task, n, seed=1).frame
    test = synthetic_task(task, 1000, seed=2).frame
    train.to_parquet(tmp_path / "train.parquet", index=False)
    test.to_parquet(tmp_path / "test.parquet", index=False)
    features = [c for c in train.columns if c != "y"]
    source = DataSource(f"{task}-{n}", tmp_path / "train.parquet", tmp_path / "train.parquet", "y", features, n,
                        test_parquet_path=tmp_path / "test.parquet", task=task)
    return source, test["y"].to_numpy()


CASES = [
    (SklearnAdapter, ["logistic", "random_forest", "gbm"]),
    (StatsmodelsAdapter, ["logistic"]),
    (XGBoostAdapter, ["logistic", "random_forest", "gbm"]),
]


@pytest.mark.parametrize(("cls", "families"), CASES, ids=[c[0].name for c in CASES])
def test_each_model_learns_a_learnable_task(cls, families, tmp_path):
    source, y_test = task_source(tmp_path, "classification")
    adapter = cls()
    adapter.start_session(SessionOptions(run_dir=tmp_path))
    adapter.load(source)
    for family in families:
        prediction = adapter.predict(adapter.fit(TrainSpec(family, "classification", trees=30, max_depth=4)))
        assert prediction.shape == y_test.shape
        assert metrics.auc(y_test, prediction) > 0.7, family


@pytest.mark.parametrize("cls", [SklearnAdapter, StatsmodelsAdapter, XGBoostAdapter], ids=lambda c: c.name)
def test_linear_regression_beats_the_mean(cls, tmp_path):
    source, y_test = task_source(tmp_path, "regression")
    adapter = cls()
    adapter.start_session(SessionOptions(run_dir=tmp_path))
    adapter.load(source)
    prediction = adapter.predict(adapter.fit(TrainSpec("linear", "regression")))
    assert metrics.r_squared(y_test, prediction) > 0.4


def test_statsmodels_declares_trees_unsupported():
    assert steps.capability(StatsmodelsAdapter, "train", "gbm").support.value == "unsupported"
    assert steps.capability(XGBoostAdapter, "pvalues").support.value == "unsupported"


def test_sizes_parse():
    assert [parse_size(s) for s in ("10k", "100k", "1m", "2500")] == [10_000, 100_000, 1_000_000, 2500]
    with pytest.raises(MlbenchError):
        parse_size("lots")


def test_cli_train_ladder_records_fit_and_predict_phases(tmp_path):
    records = run_json("run", "train", "--adapters", "sklearn,statsmodels,xgboost", "--sizes", "2k,4k", "--json",
                       "--out", str(tmp_path))
    sessions = [r for r in records if r["phase"] == "session"]
    assert len(sessions) == 3  # one session per adapter per run, not per cell
    loads = {(r["adapter"], r["dataset"]) for r in records if r["phase"] == "load"}
    assert len(loads) == 3 * 4  # 2 tasks x 2 sizes per adapter
    predicts = [r for r in records if r["phase"] == "predict"]
    assert predicts and all(r["status"] == "ok" for r in predicts)
    for record in predicts:
        assert record["peak_rss_mb"] > 0 and record["result"]["n_test"] == 10_000
        if record["params"]["task"] == "classification":
            assert record["result"]["metrics"]["auc"] > 0.7
    unsupported = [r for r in records if r["status"] == "unsupported"]
    assert {r["adapter"] for r in unsupported} == {"statsmodels"}
