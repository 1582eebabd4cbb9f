"""The Spark adapter against R on Advertising, on a local driver and on a loopback standalone cluster.

Every test here starts real JVMs. One module-scoped adapter serves the in-process tests (a Spark session takes
10-30 s to start); the cluster test runs the real CLI against a master and a worker it starts itself.
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

import psutil
import pytest

from adapters.spark import SparkAdapter
from mlbench import steps
from mlbench.adapter import DataSource, SessionOptions
from mlbench.datasets import load_builtin
from mlbench.design import build_design
from tests.conftest import run_cli

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
def source(tmp_path_factory) -> DataSource:
    design = build_design(load_builtin("advertising").frame, "Sales")
    directory = tmp_path_factory.mktemp("advertising")
    design.frame.to_parquet(directory / "design.parquet", index=False)
    design.frame.to_csv(directory / "design.csv", index=False)
    return DataSource("advertising", directory / "design.parquet", directory / "design.csv", "Sales",
                      design.features, len(design.frame))


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
    result = steps.pvalues(spark, FEATURES, alpha=0.05)
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


def test_advertising_vif_equals_r(spark, r_advertising):
    vif = spark.vif(FEATURES)
    assert list(vif) == FEATURES
    for name, expected in r_advertising["vif_full_model"].items():
        _assert_close(vif[name], expected, f"VIF {name}")
    _assert_close(spark.vif(["TV", "Newspaper"])["TV"], r_advertising["vif_tv_regressed_on_newspaper"], "VIF TV|N")


def test_rss_is_one_spark_fit(spark, r_advertising):
    _assert_close(spark.rss(FEATURES), r_advertising["full_model"]["rss"], "rss")
    _assert_close(spark.rss(["TV", "Radio"]), r_advertising["reduced_model_tv_radio"]["rss"], "rss TV+Radio")


def test_describe(spark):
    facts = spark.describe()
    assert facts["master"] == "local[2]"
    assert facts["spark_version"].split(".")[0] == "4"


def test_driver_listens_on_loopback_only(spark):
    for pid in _alive(spark.jvm_pids()):
        for conn in psutil.Process(pid).net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN:
                assert conn.laddr.ip in ("127.0.0.1", "::ffff:127.0.0.1", "::1"), conn


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
        with contextlib.suppress(psutil.Error):
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                members.append(p.pid)
    return members


@pytest.mark.slow
def test_cli_on_a_loopback_standalone_cluster(tmp_path, r_advertising):
    port, master_ui, worker_ui = _free_port(), _free_port(), _free_port()
    work = tmp_path / "worker"
    work.mkdir()
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOCAL_DIRS": str(work)}
    master = _spark_class(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                           "--webui-port", str(master_ui)], tmp_path / "master.log", env)
    worker: subprocess.Popen[bytes] | None = None
    try:
        worker = _spark_class(["org.apache.spark.deploy.worker.Worker", f"spark://127.0.0.1:{port}",
                               "--host", "127.0.0.1", "--webui-port", str(worker_ui), "--cores", "1",
                               "--memory", "1g", "--work-dir", str(work)], tmp_path / "worker.log", env)
        started_at = time.monotonic()
        deadline = started_at + 120
        while _alive_workers(master_ui) < 1:
            assert master.poll() is None, (tmp_path / "master.log").read_text()
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, "the worker never registered with the master"
            time.sleep(0.5)
        for daemon in (master, worker):
            for p in [psutil.Process(daemon.pid), *psutil.Process(daemon.pid).children(recursive=True)]:
                for conn in p.net_connections(kind="inet"):
                    if conn.status == psutil.CONN_LISTEN:
                        assert conn.laddr.ip in ("127.0.0.1", "::ffff:127.0.0.1"), conn

        registered_s = time.monotonic() - started_at
        out = tmp_path / "results"
        cli = run_cli("run", "pvalues", "--dataset", "advertising", "--adapters", "spark",
                      "--spark-master", f"spark://127.0.0.1:{port}", "--memory", "1g", "--json", "--out", str(out))
        assert cli.returncode == 0, cli.stderr[-4000:]
        records = json.loads(cli.stdout)  # stdout is the JSON list and nothing else: no JVM chatter
        assert {(r["phase"], r["status"]) for r in records} == {("session", "ok"), ("load", "ok"), ("fit", "ok")}
        print(f"cluster up in {registered_s:.1f} s;", ", ".join(f"{r['phase']} {r['wall_s']:.1f} s" for r in records))
        (fit,) = [r for r in records if r["phase"] == "fit"]
        assert fit["adapter"] == "spark" and fit["support"] == "native"
        assert fit["deviation"]["agrees"] is True, fit["deviation"]
        assert fit["result"]["dropped"] == ["Newspaper"]
        (run_dir,) = out.iterdir()
        assert "WARN" in (run_dir / "platform.log").read_text()  # the driver's log went to the run's log file
        # the application ran on the cluster: the worker launched an executor for it
        assert any(work.glob("app-*/*/stderr")), sorted(str(p) for p in work.rglob("*"))[:20]
    finally:
        started = [daemon for daemon in (worker, master) if daemon is not None]
        for daemon in started:
            _stop_group(daemon)
    for daemon in started:
        assert daemon.returncode is not None
        assert not _group_members(daemon.pid), f"group {daemon.pid} survived: {_group_members(daemon.pid)}"


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
