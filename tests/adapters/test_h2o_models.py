"""The H2O adapter's model steps on a real H2O JVM: training fits on the cluster and only the prediction column
comes back (each model learns, logistic equals sklearn's, the cluster is left clean); deployability exports a
MOJO per kind that scores what the cluster scored without it. Statistics and sessions: test_h2o.py; the shared
session: tests/adapters/conftest.py."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pytest

from mlbench import steps
from mlbench.adapter import DataSource, SessionOptions, TrainSpec
from mlbench.errors import UnsupportedStep
from mlbench.platforms.h2o import H2OAdapter
from mlbench.stats import metrics
from tests.adapters.conftest import Session, java_descendants

pytestmark = pytest.mark.h2o


# ----- training: fit on the cluster, only the prediction column comes back ---------------------------------


def _cluster_keys() -> set[str]:
    """Every frame and model key on the cluster (h2o.ls would warn about polars on the way)."""
    import h2o

    frames = h2o.api("GET /3/Frames")["frames"]
    models = h2o.api("GET /3/Models")["models"]
    return {f["frame_id"]["name"] for f in frames} | {m["model_id"]["name"] for m in models}


def _train(session: Session, source: DataSource, spec: TrainSpec) -> np.ndarray:
    adapter = session.use(source)
    started = time.perf_counter()
    model = adapter.fit(spec)
    fitted = time.perf_counter()
    try:
        prediction = adapter.predict(model)
    finally:
        adapter.release(model)  # as the runner does after predict (and export)
    session.timings[f"fit {spec.family}"] = fitted - started
    session.timings[f"predict {spec.family}"] = time.perf_counter() - fitted
    return prediction


def test_train_capabilities_are_native():
    for family in ("linear", "logistic", "random_forest", "gbm"):
        assert steps.capability(H2OAdapter, "train", family).support.value == "native", family


def test_load_reads_the_test_set_and_makes_the_target_a_factor(h2o_session, classification_task):
    source, y_test = classification_task
    adapter = h2o_session.use(source)
    facts = adapter.describe()
    assert facts["reader"] == facts["test_reader"] == "parquet"
    assert (adapter.frame.nrows, adapter.test.nrows) == (2000, len(y_test))
    for frame in (adapter.frame, adapter.test):
        assert frame.types["y"] == "enum"
        assert frame["y"].levels() == [["0", "1"]]
        assert all(frame.types[c] in ("real", "int") for c in source.features)
    # the converted frames under our keys, and nothing else: the parsed originals are gone
    assert _cluster_keys() == {adapter.frame.frame_id, adapter.test.frame_id}
    assert adapter.frame.frame_id.startswith("mlbench_") and adapter.test.frame_id.startswith("mlbench_")


@pytest.mark.parametrize(("family", "params"), [
    ("logistic", {}),
    ("random_forest", {"trees": 30, "max_depth": 4}),
    ("gbm", {"trees": 30, "max_depth": 4}),
])
def test_each_model_learns_a_learnable_task(h2o_session, classification_task, family, params):
    source, y_test = classification_task
    prediction = _train(h2o_session, source, TrainSpec(family, "classification", **params))
    assert isinstance(prediction, np.ndarray) and prediction.dtype == np.float64
    assert prediction.shape == y_test.shape
    assert np.all((prediction >= 0) & (prediction <= 1))  # P(y = 1), not a class label
    assert metrics.auc(y_test, prediction) > 0.7, family


@pytest.mark.filterwarnings("ignore:'penalty' was deprecated:FutureWarning")  # sklearn 1.8 on penalty=None
def test_logistic_equals_sklearns_unpenalised_logistic(h2o_session, classification_task, tmp_path):
    import statsmodels.api as sm

    from mlbench.platforms.sklearn import SklearnAdapter

    source, y_test = classification_task
    prediction = _train(h2o_session, source, TrainSpec("logistic", "classification"))
    sklearn = SklearnAdapter()  # the model the benchmark puts beside it: LogisticRegression(penalty=None)
    sklearn.start_session(SessionOptions(run_dir=tmp_path))
    sklearn.load(source)
    expected = sklearn.predict(sklearn.fit(TrainSpec("logistic", "classification")))
    assert abs(metrics.auc(y_test, prediction) - metrics.auc(y_test, expected)) < 1e-4
    # H2O's IRLSM lands on the maximum-likelihood fit itself (Newton to 1e-12); lbfgs at its default tolerance
    # stops ~1e-3 away in probability, which is why the comparison with sklearn is on AUC
    train, test = pd.read_parquet(source.parquet_path), pd.read_parquet(source.test_parquet_path)
    mle = sm.Logit(train["y"], sm.add_constant(train[source.features])).fit(method="newton", tol=1e-12, disp=0)
    exact = mle.predict(sm.add_constant(test[source.features])).to_numpy()
    np.testing.assert_allclose(prediction, exact, rtol=0, atol=1e-7)


def test_linear_regression_beats_the_mean(h2o_session, regression_task):
    from sklearn.linear_model import LinearRegression

    source, y_test = regression_task
    adapter = h2o_session.use(source)
    assert adapter.frame.types["y"] == "real" and adapter.test.types["y"] == "real"  # regression: no factor
    prediction = _train(h2o_session, source, TrainSpec("linear", "regression"))
    assert prediction.shape == y_test.shape
    assert metrics.r_squared(y_test, prediction) > 0.4
    train, test = pd.read_parquet(source.parquet_path), pd.read_parquet(source.test_parquet_path)
    expected = LinearRegression().fit(train[source.features], train["y"]).predict(test[source.features])
    np.testing.assert_allclose(prediction, expected, rtol=1e-6, atol=1e-8)  # lambda_=0 gaussian GLM is OLS


@pytest.mark.parametrize("family", ["random_forest", "gbm"])
def test_tree_regressors_predict_values(h2o_session, regression_task, family):
    source, y_test = regression_task
    prediction = _train(h2o_session, source, TrainSpec(family, "regression", trees=30, max_depth=4))
    assert prediction.shape == y_test.shape
    assert metrics.r_squared(y_test, prediction) > 0.4


def test_training_is_quiet_and_leaves_the_cluster_clean(h2o_session, classification_task, capfd):
    source, _ = classification_task
    adapter = h2o_session.use(source)  # replaces the regression frames: they must be gone from the cluster
    loaded = {adapter.frame.frame_id, adapter.test.frame_id}
    assert _cluster_keys() == loaded
    capfd.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a warning escapes the adapter
        for family in ("logistic", "random_forest", "gbm"):
            model = adapter.fit(TrainSpec(family, "classification", trees=10, max_depth=3))
            assert model.model_id in _cluster_keys()  # kept on the cluster until release
            adapter.predict(model)
            assert _cluster_keys() == loaded | {model.model_id}  # predict leaves only the model (for export)
            adapter.release(model)
            adapter.release(model)  # safe to call twice
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert _cluster_keys() == loaded  # no models, prediction frames or column slices left behind


def test_train_refuses_what_it_cannot_do(h2o_session, classification_task):
    source, _ = classification_task
    adapter = h2o_session.use(source)
    with pytest.raises(UnsupportedStep):
        adapter.fit(TrainSpec("svm", "classification"))
    with pytest.raises(RuntimeError, match="factor"):  # a regression on a factor target would be a classifier
        adapter.fit(TrainSpec("gbm", "regression"))
    assert _cluster_keys() == {adapter.frame.frame_id, adapter.test.frame_id}


# ----- deployability: MOJO export, scored without the cluster -----------------------------------------------

MOJO_PARITY = 1e-9  # the requirement: a MOJO scores what the cluster scored
KINDS = ("h2o-mojo-pandas", "h2o-mojo-jvm")


@dataclass
class Exported:
    prediction: np.ndarray  # the training session's predictions on the test set
    listing: dict[str, Any]  # what export returned
    directory: Path


def _mojo_servers() -> dict[int, psutil.Process]:
    """MojoServer JVMs started (directly or not) by this test process."""
    found = {}
    for pid, proc in java_descendants().items():
        with contextlib.suppress(psutil.Error):
            if "MojoServer" in proc.cmdline():
                found[pid] = proc
    return found


def _test_x(source: DataSource) -> np.ndarray:
    assert source.test_parquet_path is not None
    return pd.read_parquet(source.test_parquet_path)[source.features].to_numpy(dtype=float)


def _artifact(exported: dict[str, Exported], family: str, kind: str) -> Any:
    """The artifact of one kind; the long-lived JVM kind is skipped (and must say why) where there is no javac."""
    listing = exported[family].listing
    found = [a for a in listing["artifacts"] if a.kind == kind]
    if not found and kind == "h2o-mojo-jvm":
        from mlbench.deploy.mojo_jvm import javac_problem

        problem = javac_problem()
        assert problem is not None, "javac is here, yet export did not give the h2o-mojo-jvm artifact"
        assert "javac" in listing["unavailable"][kind]
        pytest.skip(f"h2o-mojo-jvm unavailable: {problem}")
    (art,) = found
    return art


@pytest.fixture(scope="module")
def exported(h2o_session, classification_task, tmp_path_factory) -> dict[str, Exported]:
    """GBM and logistic trained, predicted, exported and released, as the runner's deploy cell does."""
    source, _ = classification_task
    adapter = h2o_session.use(source)
    out = {}
    for family, params in (("gbm", {"trees": 30, "max_depth": 4}), ("logistic", {})):
        model = adapter.fit(TrainSpec(family, "classification", **params))
        try:
            prediction = adapter.predict(model)
            directory = tmp_path_factory.mktemp(f"export_{family}")
            started = time.perf_counter()
            listing = adapter.export(model, directory)
            h2o_session.timings[f"export {family}"] = time.perf_counter() - started
        finally:
            adapter.release(model)
        out[family] = Exported(prediction, listing, directory)
    return out


def test_deploy_capability_is_native():
    cap = steps.capability(H2OAdapter, "deploy", "gbm")
    assert cap.support.value == "native" and "MOJO" in cap.how and "long-lived JVM" in cap.how


@pytest.mark.parametrize("family", ["gbm", "logistic"])
def test_export_writes_a_mojo_per_kind_with_its_meta(exported, classification_task, family):
    from mlbench.deploy.loaders import Artifact

    source, _ = classification_task
    listing = exported[family].listing
    assert listing["unavailable"] == {"pojo": "POJO not measured: MOJO supersedes POJO for scoring."}
    _artifact(exported, family, "h2o-mojo-jvm")  # skips where there is no JDK
    artifacts = {a.kind: a for a in listing["artifacts"]}
    assert set(artifacts) == set(KINDS)
    assert artifacts["h2o-mojo-pandas"].path != artifacts["h2o-mojo-jvm"].path  # one meta file each
    for kind, art in artifacts.items():
        path = Path(art.path)
        assert path.is_file() and path.suffix == ".zip" and path.parent == exported[family].directory
        assert Artifact.read_meta(path) == art, kind
        assert art.task == "classification" and art.features == source.features
        assert art.extra is not None and Path(art.extra["genmodel_jar"]).is_file()
    pandas_zip, jvm_zip = (Path(artifacts[k].path).read_bytes() for k in KINDS)
    assert pandas_zip == jvm_zip


def test_without_javac_the_long_lived_jvm_is_reported_unavailable(h2o_session, classification_task, tmp_path,
                                                                   monkeypatch):
    import tempfile

    from mlbench.deploy import mojo_jvm

    real = mojo_jvm._java_tool
    monkeypatch.setattr(mojo_jvm, "_java_tool", lambda name: None if name == "javac" else real(name))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no server compiled on an earlier run is found
    source, _ = classification_task
    adapter = h2o_session.use(source)
    model = adapter.fit(TrainSpec("logistic", "classification"))
    try:
        adapter.predict(model)
        listing = adapter.export(model, tmp_path / "export")
    finally:
        adapter.release(model)
    assert [a.kind for a in listing["artifacts"]] == ["h2o-mojo-pandas"]
    assert set(listing["unavailable"]) == {"pojo", "h2o-mojo-jvm"}
    assert "javac" in listing["unavailable"]["h2o-mojo-jvm"]
    (art,) = listing["artifacts"]
    assert art.extra is not None
    with pytest.raises(mojo_jvm.MojoJvmError, match="javac"):
        mojo_jvm.MojoJvm(Path(art.path), Path(art.extra["genmodel_jar"]), art.features, art.task)
    assert not _mojo_servers()


def test_release_removes_the_exported_models(h2o_session, exported, classification_task):
    source, _ = classification_task
    adapter = h2o_session.use(source)
    assert _cluster_keys() == {adapter.frame.frame_id, adapter.test.frame_id}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("family", ["gbm", "logistic"])
def test_each_mojo_scores_what_the_cluster_scored(exported, classification_task, family, kind):
    from mlbench.deploy.loaders import Artifact, load

    source, _ = classification_task
    reference = exported[family].prediction
    art = _artifact(exported, family, kind)
    X = _test_x(source)
    before = set(_mojo_servers())
    predict = load(Artifact.read_meta(Path(art.path)), trusted=True)
    try:
        batch = np.asarray(predict(X), dtype=float)
        one = np.asarray(predict(X[:1]), dtype=float)
    finally:
        if kind == "h2o-mojo-jvm":
            predict.__self__.close()  # type: ignore[attr-defined]
    assert batch.shape == reference.shape and one.shape == (1,)
    assert float(np.max(np.abs(batch - reference))) <= MOJO_PARITY, family
    assert abs(one[0] - reference[0]) <= MOJO_PARITY
    assert set(_mojo_servers()) == before  # the long-lived JVM is gone after close


def test_the_long_lived_jvm_serves_many_calls_and_listens_nowhere(exported, classification_task):
    from mlbench.deploy.mojo_jvm import MojoJvm

    source, _ = classification_task
    art = _artifact(exported, "gbm", "h2o-mojo-jvm")
    assert art.extra is not None
    X, reference = _test_x(source), exported["gbm"].prediction
    with MojoJvm(Path(art.path), Path(art.extra["genmodel_jar"]), art.features, art.task) as jvm:
        server = psutil.Process(jvm.pid)
        assert server.name() == "java" and jvm.pid in _mojo_servers()
        for i in range(50):
            assert abs(jvm.predict(X[i:i + 1])[0] - reference[i]) <= MOJO_PARITY
        assert jvm.predict(X[:0]).shape == (0,)
        assert server.net_connections(kind="inet") == []  # stdin/stdout only: no port
        with pytest.raises(RuntimeError, match="features"):
            jvm.predict(X[:, :-1])
        assert abs(jvm.predict(X[:1])[0] - reference[0]) <= MOJO_PARITY  # still serving after a bad request
    assert not server.is_running() or server.status() == psutil.STATUS_ZOMBIE
    with pytest.raises(RuntimeError, match="closed"):
        jvm.predict(X[:1])


def test_the_long_lived_jvm_dies_with_its_python_process(exported, tmp_path):
    """SIGKILL the Python process holding a MojoJvm: no atexit runs, the JVM sees end of input and exits."""
    art = _artifact(exported, "gbm", "h2o-mojo-jvm")
    assert art.extra is not None
    code = ("import sys, time\nfrom pathlib import Path\nfrom mlbench.deploy.mojo_jvm import MojoJvm\n"
            f"jvm = MojoJvm(Path({art.path!r}), Path({art.extra['genmodel_jar']!r}), {art.features!r}, {art.task!r})\n"
            "print(jvm.pid, flush=True)\ntime.sleep(300)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        assert line.strip().isdigit(), f"the holder printed {line!r}"
        server = psutil.Process(int(line))
        holder.kill()
        holder.wait(timeout=10)
        server.wait(timeout=15)  # raises TimeoutExpired if the JVM outlived its Python process
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)


def test_a_fresh_process_scores_the_long_lived_jvm_artifact(exported, classification_task, tmp_path):
    from mlbench.deploy.evaluate import score_artifact

    source, _ = classification_task
    art = _artifact(exported, "gbm", "h2o-mojo-jvm")
    np.save(tmp_path / "test_x.npy", _test_x(source))
    result = score_artifact(art, tmp_path / "test_x.npy", exported["gbm"].prediction, "classification",
                            latency_calls=200, warmup_calls=20, work_dir=tmp_path)
    assert result["ok"] is True, result.get("error")
    assert result["parity_max_abs"] <= MOJO_PARITY
    assert result["label_agreement"] == 1.0
    assert result["p50_ms"] > 0 and result["p99_ms"] >= result["p50_ms"] and result["calls"] == 200
    assert result["cold_start_s"] > 0 and result["throughput_rows_s"] > 0
    assert result["needs_jvm"] is True and result["runs_code_on_load"] is False
    assert result["needs_training_library"] is False
    # the batch sweep through the one JVM: 1, 100, 10,000 rows per call, rows/s = rows / median seconds per call
    assert [b["rows"] for b in result["batches"]] == [1, 100, 10_000]
    for b in result["batches"]:
        assert b["calls"] >= 3 and 0 < b["p50_ms"] <= b["p99_ms"]
        assert b["rows_s"] == pytest.approx(b["rows"] / (b["p50_ms"] / 1e3), rel=1e-12)
    assert result["batches"][2]["rows_s"] > result["batches"][0]["rows_s"]  # a pipe round trip per call
    assert not _mojo_servers()  # the scorer's JVM went with the scorer process


@pytest.mark.parametrize("kind", ["h2o-mojo-pandas", "h2o-mojo-jvm"])
def test_a_corrupted_mojo_is_a_clear_error_naming_the_artifact(exported, tmp_path, kind):
    from mlbench.deploy.loaders import Artifact, load
    from mlbench.errors import MlbenchError

    art = _artifact(exported, "gbm", kind)
    data = Path(art.path).read_bytes()
    broken = tmp_path / Path(art.path).name
    broken.write_bytes(data[: len(data) // 2])  # a truncated download
    corrupted = replace(art, path=str(broken))
    corrupted.write_meta()
    with pytest.raises(MlbenchError, match=re.escape(str(broken))):
        load(Artifact.read_meta(broken), trusted=True)
    assert not _mojo_servers()
