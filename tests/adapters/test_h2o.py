"""The H2O adapter on a real H2O JVM: p-values, VIFs and subset searches equal R's; sessions stay on loopback and
never leave a JVM behind; a cluster given by URL is used as is (no second JVM) and left running.

One local cluster is started for the whole module (a JVM start takes ~10 s); the hand-started standalone cluster
of the URL test is a second, separate JVM that the test kills itself.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pytest

from mlbench import steps
from mlbench.adapter import DataSource, SessionOptions, TrainSpec
from mlbench.datasets import load_builtin
from mlbench.design import Design, build_design
from mlbench.errors import UnsupportedStep
from mlbench.platforms.h2o import H2OAdapter
from mlbench.stats import metrics, procedures
from tests.conftest import assert_rel, run_cli
from tests.test_train import task_source

pytestmark = pytest.mark.h2o

FEATURES = ["TV", "Radio", "Newspaper"]
REL_TOL = 1e-6  # the scenarios' grading tolerance


def _skip_unless_available() -> None:
    available = H2OAdapter.availability()
    if not available.ok:
        pytest.skip(f"h2o adapter unavailable: {available.reason}")


def _source(design: Design, name: str, directory: Path) -> DataSource:
    design.frame.to_parquet(directory / "design.parquet", index=False)
    design.frame.to_csv(directory / "design.csv", index=False)
    return DataSource(name, directory / "design.parquet", directory / "design.csv", design.target,
                      design.features, len(design.frame))


def _r_name(term: str) -> str:
    return "Intercept" if term == "(Intercept)" else term


def _java_descendants() -> dict[int, psutil.Process]:
    """Java processes started (directly or not) by this test process."""
    found = {}
    for proc in psutil.Process().children(recursive=True):
        try:
            if proc.name() == "java":
                found[proc.pid] = proc
        except psutil.Error:
            continue
    return found


def _listening_addresses(pid: int) -> list[str]:
    return [c.laddr.ip for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]


def _is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair")


def _cloud_answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/3/Cloud", timeout=timeout) as response:
            return bool(json.load(response).get("cloud_healthy"))
    except (OSError, ValueError):
        return False


# ----- one local cluster for the module -----------------------------------------------------------------


@dataclass
class Session:
    adapter: H2OAdapter
    run_dir: Path
    start_s: float
    loaded: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def use(self, source: DataSource) -> H2OAdapter:
        if self.loaded != source.name:
            started = time.perf_counter()
            self.adapter.load(source)
            self.timings[f"load {source.name}"] = time.perf_counter() - started
            self.loaded = source.name
        return self.adapter


@pytest.fixture(scope="module")
def h2o_session(tmp_path_factory) -> Iterator[Session]:
    _skip_unless_available()
    run_dir = tmp_path_factory.mktemp("h2o_run")
    adapter = H2OAdapter()
    started = time.perf_counter()
    adapter.start_session(SessionOptions(run_dir=run_dir, cores=2, memory="1G", log_path=run_dir / "platform.log"))
    session = Session(adapter, run_dir, time.perf_counter() - started)
    jvm_pid = adapter.describe().get("jvm_pid")
    try:
        yield session
    finally:
        adapter.close()
        leftover = [p for p in _java_descendants().values() if p.pid == jvm_pid]
        for proc in leftover:  # never leak a JVM, even when the adapter failed to stop it
            proc.kill()
        assert not leftover, f"the adapter left its JVM {jvm_pid} running after close()"


@pytest.fixture(scope="module")
def advertising(tmp_path_factory) -> DataSource:
    design = build_design(load_builtin("advertising").frame, "Sales")
    return _source(design, "advertising", tmp_path_factory.mktemp("advertising"))


@pytest.fixture(scope="module")
def hitters_design() -> Design:
    return build_design(load_builtin("hitters").frame, "Salary")


@pytest.fixture(scope="module")
def hitters(hitters_design, tmp_path_factory) -> DataSource:
    return _source(hitters_design, "hitters", tmp_path_factory.mktemp("hitters"))


# ----- the session ----------------------------------------------------------------------------------------


def test_session_is_a_local_loopback_cluster_we_own(h2o_session):
    facts = h2o_session.adapter.describe()
    assert facts["started_by_mlbench"] is True
    assert facts["cluster_version"] == H2OAdapter.platform_version()  # the JVM of the installed h2o package
    assert facts["url"].startswith("http://127.0.0.1:")
    jvm = _java_descendants()[facts["jvm_pid"]]  # a child JVM of this process
    addresses = _listening_addresses(jvm.pid)
    assert addresses, "the JVM listens on nothing?"
    assert all(_is_loopback(a) for a in addresses), f"JVM listens beyond loopback: {addresses}"
    # ice root, H2O's logs and the JVM's own stdout/stderr all live in the run directory
    root = h2o_session.run_dir / "h2o"
    assert (root / "ice").is_dir()
    assert list((root / "logs").glob("*.log"))
    assert list((root / "jvm").rglob("*.out")) and list((root / "jvm").rglob("*.err"))
    # h2o's chatter went to the platform log (it prints a version-age warning even with verbose=False)
    assert (h2o_session.run_dir / "platform.log").exists()


def test_session_is_quiet_on_stdout(h2o_session, advertising, capfd):
    adapter = h2o_session.use(advertising)
    capfd.readouterr()
    adapter.ols(FEATURES)
    adapter.vif(FEATURES)
    adapter.rss(["TV"])
    out, _err = capfd.readouterr()
    assert out == ""


def test_load_reads_parquet_with_h2o_reader(h2o_session, advertising):
    adapter = h2o_session.use(advertising)
    assert adapter.describe()["reader"] == "parquet"
    assert adapter.frame.nrows == 200
    assert set(adapter.frame.columns) == {*FEATURES, "Sales"}
    assert all(adapter.frame.types[c] in ("real", "int") for c in adapter.frame.columns)


# ----- p-values and VIF against R ---------------------------------------------------------------------


def test_full_model_equals_r(h2o_session, advertising, r_advertising):
    adapter = h2o_session.use(advertising)
    result = procedures.pvalues(adapter, FEATURES, alpha=0.05)
    r_full = r_advertising["full_model"]
    assert set(result["coefficients"]) == {_r_name(t) for t in r_full["coefficients"]}
    for r_term, expected in r_full["coefficients"].items():
        got = result["coefficients"][_r_name(r_term)]
        for key in ("estimate", "std_error", "t_value", "p_value"):
            assert_rel(got[key], expected[key], REL_TOL)
    for key in ("r_squared", "adj_r_squared", "f_statistic", "rss"):
        assert_rel(result[key], r_full[key], REL_TOL)
    assert result["f_df"] == [3, 196]
    assert result["n_obs"] == 200
    assert result["aliased"] == []


def test_newspaper_dropped_and_refit_equals_r(h2o_session, advertising, r_advertising):
    adapter = h2o_session.use(advertising)
    result = procedures.pvalues(adapter, FEATURES, alpha=0.05)
    assert result["dropped"] == ["Newspaper"]
    assert result["kept"] == ["TV", "Radio"]
    r_reduced = r_advertising["reduced_model_tv_radio"]
    assert_rel(result["refit"]["adj_r_squared"], r_reduced["adj_r_squared"], REL_TOL)
    for r_term, expected in r_reduced["coefficients"].items():
        got = result["refit"]["coefficients"][_r_name(r_term)]
        for key in ("estimate", "std_error", "p_value"):
            assert_rel(got[key], expected[key], REL_TOL)


def test_vif_equals_r(h2o_session, advertising, r_advertising):
    adapter = h2o_session.use(advertising)
    vif = adapter.vif(FEATURES)
    assert list(vif) == FEATURES
    for name, expected in r_advertising["vif_full_model"].items():
        assert_rel(vif[name], expected, REL_TOL)


def test_rss_is_the_residual_deviance(h2o_session, advertising, r_advertising):
    adapter = h2o_session.use(advertising)
    assert_rel(adapter.rss(FEATURES), r_advertising["full_model"]["rss"], REL_TOL)
    # the intercept-only model (H2O's GLM refuses no predictors): the total sum of squares
    r_full = r_advertising["full_model"]
    tss = r_full["rss"] / (1 - r_full["r_squared"])
    assert_rel(adapter.rss([]), tss, REL_TOL)
    empty = adapter.ols([])
    assert empty.terms == ["Intercept"] and empty.df_resid == 199
    assert_rel(empty.rss, tss, REL_TOL)


def test_collinear_column_is_aliased_like_r(h2o_session, hitters_design, tmp_path):
    from mlbench.stats.reference import ReferenceFitter

    frame = hitters_design.frame.copy()
    frame.insert(2, "Hits2", frame["Hits"] * 2.0)  # exactly collinear with Hits, and later in the column order
    features = [c for c in frame.columns if c != "Salary"]
    design = Design(frame, "Salary", features, len(frame), 0)
    adapter = h2o_session.use(_source(design, "hitters_collinear", tmp_path))
    fit = adapter.ols(features)
    expected = ReferenceFitter(frame, "Salary").ols(features)
    assert fit.aliased == expected.aliased == ["Hits2"]
    assert fit.terms == expected.terms
    for got, want in zip(fit.estimate + fit.p_value, expected.estimate + expected.p_value, strict=True):
        assert_rel(got, want, REL_TOL)
    assert (fit.df_model, fit.df_resid) == (expected.df_model, expected.df_resid)


# ----- subsets on Hitters -----------------------------------------------------------------------------------


def test_best_subsets_sizes_1_to_6_equal_leaps(h2o_session, hitters, r_hitters_subsets):
    adapter = h2o_session.use(hitters)
    started = time.perf_counter()
    chosen = adapter.subset("best", hitters.features, 6)
    h2o_session.timings["maxrsweep sizes 1-6"] = time.perf_counter() - started
    assert sorted(chosen) == [1, 2, 3, 4, 5, 6]
    for row in r_hitters_subsets["best_by_size"]:
        assert set(chosen[row["size"]]) == set(row["variables"]), f"size {row['size']}"


def test_backward_path_equals_reference(h2o_session, hitters, hitters_design):
    adapter = h2o_session.use(hitters)
    started = time.perf_counter()
    chosen = adapter.subset("backward", hitters.features, len(hitters.features))
    h2o_session.timings["backward all sizes"] = time.perf_counter() - started
    p = len(hitters.features)
    assert sorted(chosen) == list(range(1, p + 1))
    assert chosen[p] == hitters.features
    from mlbench.stats.subsets import backward_path

    reference = backward_path(hitters_design.X, hitters_design.y, hitters_design.features)
    for size, (names, _rss) in reference.items():
        assert set(chosen[size]) == set(names), f"size {size}"


def test_subset_methods_without_native_mode_are_unsupported(h2o_session, hitters):
    from mlbench.errors import UnsupportedStep

    adapter = h2o_session.use(hitters)
    with pytest.raises(UnsupportedStep):
        adapter.subset("forward", hitters.features, 3)


def test_capabilities_are_declared_honestly():
    caps = H2OAdapter.capabilities
    assert caps["pvalues"].support.value == "native"
    assert caps["vif"].support.value == "native" and "numeric" in caps["vif"].reason
    assert caps["subset:best"].support.value == "native" and "maxrsweep" in caps["subset:best"].how
    assert "heuristic" in caps["subset:best"].how
    assert caps["subset:backward"].support.value == "native"
    assert caps["subset:forward"].support.value == "emulated"


SATURATED = [[7, 3, 0, -4, -4, 8], [-9, -6, 6, 3, 8, -15], [9, 4, 3, 1, 1, 11], [6, 3, -9, -2, 7, 10],
             [5, 4, 7, -6, -8, 6], [1, -8, -4, 0, -1, 11]]  # 6 rows, 5 features: n = p + 1


def test_backward_on_a_saturated_design_is_a_skipped_cell_with_the_shape_note(h2o_session, tmp_path):
    """H2O's backward mode drops the smallest |z|: on n = p + 1 it has no residual degrees of freedom and raises
    a raw Java NotStrictlyPositiveException. The run skips that cell with the shape condition (as the pvalues step
    does) and exits 0; its best and forward searches still run. On the session's own cluster, by URL."""
    frame = pd.DataFrame(np.array(SATURATED, dtype=float), columns=["x1", "x2", "x3", "x4", "x5", "y"])
    adapter = h2o_session.use(_source(build_design(frame, "y"), "saturated", tmp_path))
    with pytest.raises(Exception, match="degrees of freedom"):  # the condition is real: H2O's own refusal
        adapter.subset("backward", ["x1", "x2", "x3", "x4", "x5"], 5)
    frame.to_csv(tmp_path / "saturated.csv", index=False)
    (tmp_path / "subset.yaml").write_text("name: saturated\ndescription: subsets on n = p + 1\nadapters: [h2o]\n"
                                          "steps:\n  - step: subset\n    methods: [best, forward, backward]\n")
    proc = run_cli("run", str(tmp_path / "subset.yaml"), "--data", str(tmp_path / "saturated.csv"), "--target",
                   "y", "--h2o-url", h2o_session.adapter.describe()["url"], "--json", "--out", str(tmp_path / "out"),
                   timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    fits = {r["variant"]: r for r in json.loads(proc.stdout) if r["phase"] == "fit"}
    assert fits["backward"]["status"] == "skipped"
    assert "needs more rows than coefficients (n > p + 1)" in fits["backward"]["error"]
    assert "6 complete rows for 5 features" in fits["backward"]["error"]
    assert fits["best"]["status"] == fits["forward"]["status"] == "ok"


# ----- an existing cluster, by URL, through the real CLI -------------------------------------------------


@pytest.fixture
def standalone_cluster(tmp_path) -> Iterator[tuple[str, psutil.Process]]:
    """A standalone H2O JVM started by hand, on loopback only; killed by the fixture."""
    _skip_unless_available()
    import h2o

    jar = Path(h2o.__file__).parent / "backend" / "bin" / "h2o.jar"
    java = shutil.which("java")
    assert java and jar.is_file()
    port = _free_port_pair()
    url = f"http://127.0.0.1:{port}"
    (tmp_path / "ice").mkdir()
    with open(tmp_path / "jvm.out", "w") as out, open(tmp_path / "jvm.err", "w") as err:
        popen = subprocess.Popen(
            [java, "-Xmx1g", "-jar", str(jar), "-ip", "127.0.0.1", "-web_ip", "127.0.0.1", "-port", str(port),
             "-name", f"mlbench-test-{port}", "-ice_root", str(tmp_path / "ice"), "-log_dir", str(tmp_path / "logs")],
            stdout=out, stderr=err, start_new_session=True,
        )
    jvm = psutil.Process(popen.pid)
    try:
        deadline = time.monotonic() + 120
        while not _cloud_answers(url):
            assert popen.poll() is None, (tmp_path / "jvm.err").read_text()
            assert time.monotonic() < deadline, "standalone H2O did not answer within 120 s"
            time.sleep(0.5)
        yield url, jvm
    finally:
        popen.terminate()
        try:
            popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(timeout=15)


def test_cli_uses_an_existing_cluster_by_url(standalone_cluster, tmp_path, r_advertising):
    url, jvm = standalone_cluster
    assert all(_is_loopback(a) for a in _listening_addresses(jvm.pid))
    before = set(_java_descendants())
    seen: set[int] = set()
    done = threading.Event()

    def watch() -> None:  # any JVM the CLI starts is a descendant of this test process
        while not done.is_set():
            for pid, proc in _java_descendants().items():
                if pid in before:
                    continue
                # the CLI's Java check runs `java -version` (~60 ms, longer on a busy host): not a cluster
                with contextlib.suppress(psutil.Error):
                    if "-version" not in proc.cmdline():
                        seen.add(pid)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out = tmp_path / "results"
    try:
        proc = run_cli("run", "pvalues", "--dataset", "advertising", "--adapters", "h2o", "--h2o-url", url,
                       "--json", "--out", str(out), timeout=300)
    finally:
        done.set()
        watcher.join()
    assert proc.returncode == 0, proc.stderr
    assert not seen, f"the CLI started JVM(s) {sorted(seen)} although a cluster URL was given"
    records: list[dict[str, Any]] = json.loads(proc.stdout)  # stdout is the JSON and nothing else
    assert {(r["phase"], r["status"]) for r in records} == {("session", "ok"), ("load", "ok"), ("fit", "ok")}
    (fit,) = [r for r in records if r["phase"] == "fit"]
    assert fit["adapter"] == "h2o" and fit["support"] == "native"
    assert fit["deviation"]["agrees"] is True, fit["deviation"]
    assert fit["result"]["dropped"] == ["Newspaper"]
    expected = r_advertising["full_model"]["coefficients"]["Newspaper"]["p_value"]
    assert_rel(fit["result"]["coefficients"]["Newspaper"]["p_value"], expected, REL_TOL)
    (run_dir,) = out.iterdir()
    assert not (run_dir / "h2o").exists()  # no local ice root / logs: nothing was started
    # the cluster is still up, and our frame is gone from it
    assert jvm.is_running() and _cloud_answers(url)
    with urllib.request.urlopen(f"{url}/3/Frames", timeout=10) as response:
        frames = [f["frame_id"]["name"] for f in json.load(response)["frames"]]
    with urllib.request.urlopen(f"{url}/3/Models", timeout=10) as response:
        models = [m["model_id"]["name"] for m in json.load(response)["models"]]
    assert not [k for k in frames + models if k.startswith("mlbench_")], (frames, models)


# ----- training: fit on the cluster, only the prediction column comes back ---------------------------------


def _task(directory: Path, task: str) -> tuple[DataSource, np.ndarray]:
    """2,000 training rows (seed 1) and a fixed 1,000-row test set (seed 2), named as the runner names them
    (':' and '=' are not allowed in H2O keys)."""
    source, y_test = task_source(directory, task)
    return replace(source, name=f"synthetic-{task}:n=2000"), y_test


@pytest.fixture(scope="module")
def classification_task(tmp_path_factory) -> tuple[DataSource, np.ndarray]:
    return _task(tmp_path_factory.mktemp("classification"), "classification")


@pytest.fixture(scope="module")
def regression_task(tmp_path_factory) -> tuple[DataSource, np.ndarray]:
    return _task(tmp_path_factory.mktemp("regression"), "regression")


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
    for pid, proc in _java_descendants().items():
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


# ----- last: closing ---------------------------------------------------------------------------------------


def test_close_stops_the_jvm_and_is_idempotent(h2o_session):
    adapter = h2o_session.adapter
    pid = adapter.describe()["jvm_pid"]
    jvm = _java_descendants()[pid]
    started = time.perf_counter()
    adapter.close()
    h2o_session.timings["close"] = time.perf_counter() - started
    adapter.close()  # safe to call twice
    assert not jvm.is_running()
    assert pid not in _java_descendants()
    print("\nh2o timings (s):", {"session": round(h2o_session.start_s, 2),
                                 **{k: round(v, 2) for k, v in h2o_session.timings.items()}})


def test_a_lost_cluster_fails_the_remaining_cells_quickly_with_the_reason(standalone_cluster, tmp_path):
    """A cluster joined by URL dies during a cell: mlbench notices in seconds, never starts a JVM of its own in
    its place, and every remaining cell says why it did not run."""
    from tests.fake_adapters import kill_mid_cell

    url, jvm = standalone_cluster
    t0 = time.monotonic()
    run = kill_mid_cell(tmp_path, "h2o-mortal", jvm.pid, "--h2o-url", url)
    assert time.monotonic() - t0 < 120
    assert run["seconds"] < 5, run["seconds"]
    assert run["failed"]["error"].startswith(f"platform died: H2O cluster at {url}"), run["failed"]["error"]
    records = run["records"]
    sessions = [(r["restart"], r["status"]) for r in records if r["phase"] == "session"]
    assert sessions == [(0, "ok"), (1, "error")]  # it tried to reconnect, and did not start a cluster
    later = [r for r in records if r["phase"] == "fit"][1:]
    assert later and all(r["status"] == "error" and "not reachable" in r["error"] for r in later), later
    assert run["code"] == 1
    assert not (run["run_dir"] / "h2o").exists()  # no local ice root: nothing was started
