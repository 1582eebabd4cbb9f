"""The Spark adapter against R on Advertising, on a local driver and on a loopback standalone cluster.

Every test here starts real JVMs. One module-scoped adapter serves the in-process tests (a Spark session takes
10-30 s to start); the cluster test runs the real CLI against a master and a worker it starts itself.
The training tests load other data units into the shared adapter and load Advertising back when they finish.
The last test closes the shared adapter and checks that its driver JVM is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from mlbench.adapter import DataSource, SessionOptions, TrainSpec
from mlbench.platforms.spark import SparkAdapter
from mlbench.stats import metrics, procedures
from tests.helpers import answer

FEATURES = ["TV", "Radio", "Newspaper"]
TOL = 1e-6
UNDERFLOW_P = 1e-12

_available = SparkAdapter.availability()
pytestmark = [pytest.mark.spark, pytest.mark.skipif(not _available.ok, reason=_available.reason)]


def _r_term(term: str) -> str:
    return "Intercept" if term == "(Intercept)" else term


def _assert_close(value: float, expected: float, what: str) -> None:
    assert abs(value - expected) <= TOL * abs(expected), f"{what}: {value!r} != R {expected!r} (rel tol {TOL})"


def _assert_p(value: float, expected: float, what: str) -> None:
    if value == 0.0 and expected < UNDERFLOW_P:  # Spark's p-values underflow to exactly 0
        return
    _assert_close(value, expected, what)


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
    return alive


@pytest.fixture(scope="module")
def source(advertising) -> DataSource:
    return advertising[1]


@pytest.fixture(scope="module")
def spark(source, tmp_path_factory):
    """One local Spark session for the module, loaded with Advertising; closed (and its JVM checked) at the end."""
    run_dir = tmp_path_factory.mktemp("spark-run")
    adapter = SparkAdapter()
    started = time.perf_counter()
    try:
        adapter.start_session(SessionOptions(run_dir=run_dir, cores=2, memory="1g", log_path=run_dir / "platform.log"))
        session_s = time.perf_counter() - started
        adapter.load(source)
        print(f"spark session {session_s:.1f} s, load {time.perf_counter() - started - session_s:.1f} s")
        yield adapter
    finally:
        pids = adapter.jvm_pids()
        adapter.close()
    assert pids and not _alive(pids), f"driver JVM still alive after close(): {_alive(pids)}"


def test_advertising_pvalues_equal_r(spark, r_advertising):
    result = procedures.pvalues(spark, FEATURES, alpha=0.05)
    full = r_advertising["full_model"]
    assert list(result["coefficients"]) == ["Intercept", *FEATURES]  # Spark lists the intercept last: remapped
    for r_term, expected in full["coefficients"].items():
        got = result["coefficients"][_r_term(r_term)]
        for key in ("estimate", "std_error", "t_value"):
            _assert_close(got[key], expected[key], f"{r_term} {key}")
        _assert_p(got["p_value"], expected["p_value"], f"{r_term} p_value")
    for key in ("r_squared", "adj_r_squared", "f_statistic", "rss"):
        _assert_close(result[key], full[key], key)
    assert result["f_df"] == [3, 196] and result["n_obs"] == 200

    assert result["dropped"] == ["Newspaper"]
    assert result["kept"] == ["TV", "Radio"]
    reduced = r_advertising["reduced_model_tv_radio"]
    _assert_close(result["refit"]["adj_r_squared"], reduced["adj_r_squared"], "refit adj_r_squared")
    for r_term, expected in reduced["coefficients"].items():
        got = result["refit"]["coefficients"][_r_term(r_term)]
        _assert_close(got["estimate"], expected["estimate"], f"refit {r_term} estimate")
        _assert_p(got["p_value"], expected["p_value"], f"refit {r_term} p_value")


def test_advertising_vif_equals_r(spark, advertising, r_advertising):
    """VIF emulated by mlbench from Spark's auxiliary R², driven as a run drives it."""
    vif = answer(spark, "vif", advertising[0], threshold=10)["vif"]
    assert list(vif) == FEATURES
    for name, expected in r_advertising["vif_full_model"].items():
        _assert_close(vif[name], expected, f"VIF {name}")
    r2 = spark.r_squared(["Newspaper"], "TV")
    _assert_close(1 / (1 - r2), r_advertising["vif_tv_regressed_on_newspaper"], "VIF TV|N")


def test_rss_is_one_spark_fit(spark, r_advertising):
    _assert_close(spark.rss(FEATURES), r_advertising["full_model"]["rss"], "rss")
    _assert_close(spark.rss(["TV", "Radio"]), r_advertising["reduced_model_tv_radio"]["rss"], "rss TV+Radio")


def test_backward_on_fewer_rows_than_columns_is_graded_along_the_branch_it_took(trainer, tmp_path):
    """The 6 x 7 design of tests/test_ties_and_shapes.py: every set of 5 full-rank columns fits exactly, and
    Spark breaks that tie by the noise of its RSS; its path is graded against the truth's path from its branch
    (the path's validity is checked in fractions there, for statsmodels and scikit-learn driven the same way)."""
    from mlbench import grading, steps
    from mlbench.design import build_design
    from mlbench.stats.reference import ReferenceFitter
    from tests.test_ties_and_shapes import _frame, exact_rss

    design = build_design(_frame(), "y")
    design.frame.to_parquet(tmp_path / "tie.parquet", index=False)
    design.frame.to_csv(tmp_path / "tie.csv", index=False)
    trainer.load(DataSource("tie", tmp_path / "tie.parquet", tmp_path / "tie.csv", "y", design.features, 6))
    fitter = ReferenceFitter(design.frame, "y")
    ctx = procedures.StepContext(features=design.features, X=design.X, y=design.y, support="emulated",
                                 rank=fitter.rank(design.features))
    spec = steps.parse_spec({"step": "subset", "methods": ["backward"]})
    got = steps.compute(spec, "backward", trainer, ctx, steps.capability(SparkAdapter, "subset", "backward"))
    reference = procedures.StepContext(features=ctx.features, X=ctx.X, y=ctx.y, support="reference", rank=ctx.rank)
    truth = steps.compute(spec, "backward", fitter, reference)
    verdict = grading.grade_subset(
        got, truth, 6.0, branch=lambda sets: procedures.subset_branch(fitter, reference, "backward", sets, None))
    mine = {k: v["features"] for k, v in got["by_size"].items()}
    assert exact_rss(mine["5"]) == 0 and set(mine) == {"1", "2", "3", "4", "5"}
    if set(mine["5"]) == set(truth["by_size"]["5"]["features"]):  # Spark's noise broke it the truth's way
        assert verdict["grade"] == "agrees", verdict["grade"]
    else:
        assert verdict["grade"] == "agrees (tie at step 1)", verdict["grade"]
        assert verdict["branch"] == mine


def test_describe(spark):
    facts = spark.describe()
    assert facts["master"] == "local[2]"
    assert facts["spark_version"].split(".")[0] == "4"


def test_driver_listens_on_loopback_only(spark):
    for pid in _alive(spark.jvm_pids()):
        for conn in psutil.Process(pid).net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN:
                assert conn.laddr.ip in ("127.0.0.1", "::ffff:127.0.0.1", "::1"), conn


# ----- training: Spark ML estimators on a learnable synthetic task --------------------------------------------


@pytest.fixture
def trainer(spark, source):
    """The shared adapter, for a test that loads a training unit; Advertising is loaded back afterwards."""
    yield spark
    spark.load(source)


def _sklearn_logistic(source: DataSource, test_path: Path | None = None) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    train = pd.read_parquet(source.parquet_path)
    test = pd.read_parquet(test_path or source.test_parquet_path)
    model = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000)  # C=inf: unpenalised (penalty=None)
    model.fit(train[source.features].to_numpy(), train[source.target].to_numpy())
    return model.predict_proba(test[source.features].to_numpy())[:, 1]


def test_classifiers_learn_a_learnable_task(trainer, classification_task):
    source, y_test = classification_task
    trainer.load(source)
    assert (trainer.n_rows, trainer.n_test) == (2000, 1000)
    specs = {
        "logistic": TrainSpec("logistic", "classification"),
        "random_forest": TrainSpec("random_forest", "classification", trees=30, max_depth=4),
        "gbm": TrainSpec("gbm", "classification", trees=30, max_depth=4),
    }
    for family, spec in specs.items():
        started = time.perf_counter()
        model = trainer.fit(spec)
        fitted = time.perf_counter()
        prediction = trainer.predict(model)
        print(f"spark {family}: fit {fitted - started:.2f} s, predict {time.perf_counter() - fitted:.2f} s")
        assert isinstance(prediction, np.ndarray) and prediction.dtype == np.float64
        assert prediction.shape == y_test.shape, family
        assert ((prediction >= 0) & (prediction <= 1)).all(), family  # P(y = 1), not the 0/1 prediction
        assert metrics.auc(y_test, prediction) > 0.7, family
    forest = trainer.fit(specs["random_forest"])
    assert forest.getNumTrees == 30 and forest.getMaxDepth() == 4
    gbm = trainer.fit(specs["gbm"])
    assert gbm.getNumTrees == 30 and gbm.getStepSize() == 0.1


def test_logistic_predictions_equal_sklearn_row_by_row(trainer, classification_task):
    """The same unpenalised model, and the test file's row order: P(y = 1) agrees with sklearn's per row."""
    source, _ = classification_task
    trainer.load(source)
    prediction = trainer.predict(trainer.fit(TrainSpec("logistic", "classification")))
    expected = _sklearn_logistic(source)
    assert np.max(np.abs(prediction - expected)) < 1e-4
    assert np.corrcoef(prediction, expected)[0, 1] > 0.999999


def test_row_order_survives_a_test_file_read_in_many_partitions(trainer, classification_task, tmp_path):
    """Many row groups split over many partitions still come back in the file's order."""
    source, _ = classification_task
    test = pd.read_parquet(source.test_parquet_path)
    test.to_parquet(tmp_path / "test.parquet", index=False, row_group_size=50)
    split = DataSource(source.name, source.parquet_path, source.csv_path, source.target, source.features,
                       source.n_rows, test_parquet_path=tmp_path / "test.parquet", task=source.task)
    conf = trainer._spark.conf
    previous = conf.get("spark.sql.files.maxPartitionBytes")
    conf.set("spark.sql.files.maxPartitionBytes", "8k")
    try:
        trainer.load(split)
        assert trainer._test.rdd.getNumPartitions() > 4
        prediction = trainer.predict(trainer.fit(TrainSpec("logistic", "classification")))
    finally:
        conf.set("spark.sql.files.maxPartitionBytes", previous)
    assert np.max(np.abs(prediction - _sklearn_logistic(source, tmp_path / "test.parquet"))) < 1e-4


def test_linear_regression_beats_the_mean(trainer, regression_task):
    from sklearn.linear_model import LinearRegression

    source, y_test = regression_task
    trainer.load(source)
    prediction = trainer.predict(trainer.fit(TrainSpec("linear", "regression")))
    assert prediction.shape == y_test.shape
    assert metrics.r_squared(y_test, prediction) > 0.4
    train, test = pd.read_parquet(source.parquet_path), pd.read_parquet(source.test_parquet_path)
    ols = LinearRegression().fit(train[source.features].to_numpy(), train[source.target].to_numpy())
    assert np.max(np.abs(prediction - ols.predict(test[source.features].to_numpy()))) < 1e-6
    for family in ("random_forest", "gbm"):
        trees = trainer.predict(trainer.fit(TrainSpec(family, "regression", trees=30, max_depth=4)))
        assert metrics.r_squared(y_test, trees) > 0.3, family


def test_load_assembles_and_caches_and_a_new_load_unpersists(trainer, source, classification_task, regression_task):
    from pyspark import StorageLevel

    from mlbench.platforms.spark import _TRAIN_FEATURES_COL

    def persisted() -> int:
        return int(trainer._sc._jsc.getPersistentRDDs().size())

    trainer.load(classification_task[0])
    first_train, first_test = trainer._frame, trainer._test
    assert first_test.columns == [_TRAIN_FEATURES_COL]  # assembled in load: fit times the estimator only
    assert _TRAIN_FEATURES_COL in first_train.columns
    assert first_train.storageLevel != StorageLevel.NONE and first_test.storageLevel != StorageLevel.NONE
    assert persisted() == 2

    trainer.load(regression_task[0])
    assert first_train.storageLevel == StorageLevel.NONE and first_test.storageLevel == StorageLevel.NONE
    assert persisted() == 2

    trainer.load(source)  # a statistics unit: no test set, nothing assembled
    assert trainer._test is None and persisted() == 1
    assert _TRAIN_FEATURES_COL not in trainer._frame.columns


# ----- standalone cluster on loopback, driven through the real CLI -------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spark_class(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    import pyspark

    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    with log.open("wb") as fh:  # the child keeps its own descriptor
        return subprocess.Popen([str(spark_class), *args], stdout=fh, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def _alive_workers(webui_port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{webui_port}/json/", timeout=2) as response:
            state = json.load(response)
    except (OSError, ValueError):
        return 0
    return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _group_members(pgid: int) -> list[int]:
    members = []
    for p in psutil.process_iter(["pid"]):
        with contextlib.suppress(psutil.Error, ProcessLookupError):  # any process may exit while we look
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                members.append(p.pid)
    return members


# ----- last: the shared session's close() ------------------------------------------------------------------


def test_close_ends_the_driver_jvm_and_a_new_session_can_start(spark, source, tmp_path):
    from pyspark import SparkContext

    pids = spark.jvm_pids()
    assert _alive(pids)
    spark.close()
    assert not _alive(pids), f"driver JVM still alive after close(): {_alive(pids)}"
    assert SparkContext._gateway is None and SparkContext._jvm is None
    spark.close()  # safe twice

    again = SparkAdapter()  # a later session in the same Python process
    try:
        again.start_session(SessionOptions(run_dir=tmp_path, cores=1, memory="1g"))
        again.load(source)
        assert again.describe()["master"] == "local[1]"
        assert abs(again.rss(["TV", "Radio"]) - 556.913980067619) <= 1e-6 * 556.913980067619
    finally:
        again_pids = again.jvm_pids()
        again.close()
    assert again_pids and not _alive(again_pids)
