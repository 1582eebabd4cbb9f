"""Multi-node clusters on loopback, started the way their users start them: a Spark standalone master with two
workers (pyspark's bundled `spark-class`), and an H2O cloud of two JVMs joined by a flatfile. mlbench runs the
main job on each by URL: its grades equal the stored local run's (tests/fixtures/runs/pvalues), its records
name 2 executors / 2 nodes, nothing listens beyond 127.0.0.1, and the cluster is left running and clean."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from mlbench.platforms.h2o_cluster import free_loopback_port
from mlbench.reports.details.cores import core_tables
from mlbench.reports.table import RunView
from tests.adapters.test_h2o import _is_loopback
from tests.adapters.test_spark import _alive_workers, _free_port, _group_members, _spark_class, _stop_group
from tests.conftest import run_cli


def _listening(pids: list[int]) -> list[str]:
    found = []
    for pid in pids:
        for proc in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
            found += [c.laddr.ip for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    return found


def _pvalues(tmp_path: Path, name: str, adapter: str, *extra: str) -> list[dict]:
    proc = run_cli("run", "pvalues", "--adapters", adapter, "--memory", "1g", "--json", "--out",
                   str(tmp_path / name), *extra, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout)


MAIN_JOB = Path(__file__).parent / "fixtures" / "runs" / "pvalues" / "records.jsonl"


def _stored_local(adapter: str) -> list[dict]:
    """The adapter's records of the stored main-job run (local JVMs, this machine; tests/fixtures/runs/pvalues)."""
    return [r for r in map(json.loads, MAIN_JOB.read_text().splitlines()) if r["adapter"] == adapter]


def _same_grades(cluster: list[dict], local: list[dict]) -> None:
    (on_cluster,) = [r for r in cluster if r["phase"] == "fit"]
    (here,) = [r for r in local if r["phase"] == "fit"]
    assert on_cluster["deviation"]["agrees"] and here["deviation"]["agrees"]
    assert on_cluster["deviation"]["grade"] == here["deviation"]["grade"]
    assert on_cluster["result"]["dropped"] == here["result"]["dropped"] == ["Newspaper"]
    p_cluster = on_cluster["result"]["coefficients"]["Newspaper"]["p_value"]
    p_local = here["result"]["coefficients"]["Newspaper"]["p_value"]
    assert abs(p_cluster - p_local) <= 1e-9 * abs(p_local)


@pytest.mark.spark
@pytest.mark.slow
def test_spark_standalone_with_two_workers(tmp_path):
    port, master_ui = _free_port(), _free_port()
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    daemons = [_spark_class(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                             "--webui-port", str(master_ui)], tmp_path / "master.log", env)]
    try:
        for i in (1, 2):
            work = tmp_path / f"worker{i}"
            work.mkdir()
            daemons.append(_spark_class(
                ["org.apache.spark.deploy.worker.Worker", f"spark://127.0.0.1:{port}", "--host", "127.0.0.1",
                 "--webui-port", str(_free_port()), "--cores", "1", "--memory", "1g", "--work-dir", str(work)],
                tmp_path / f"worker{i}.log", {**env, "SPARK_LOCAL_DIRS": str(work)}))
        deadline = time.monotonic() + 180
        while _alive_workers(master_ui) < 2:
            assert all(d.poll() is None for d in daemons), (tmp_path / "master.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "two workers never registered with the master"
            time.sleep(0.5)
        assert all(_is_loopback(ip) for ip in _listening([d.pid for d in daemons]))

        cluster = _pvalues(tmp_path, "cluster", "spark", "--spark-master", f"spark://127.0.0.1:{port}")
        load = next(r for r in cluster if r["phase"] == "load")
        assert load["result"]["executors"] == 2, load["result"]  # both workers ran an executor for the job
        assert load["result"]["master"] == f"spark://127.0.0.1:{port}"
        _same_grades(cluster, _stored_local("spark"))
        (run_dir,) = (tmp_path / "cluster").iterdir()
        assert "WARN" in (run_dir / "platform.log").read_text()  # the driver's log went to the run's log file
        assert all(any((tmp_path / f"worker{i}").glob("app-*/*/stderr")) for i in (1, 2))  # executors ran there
        _executor_sweep(tmp_path, f"spark://127.0.0.1:{port}")
        assert all(d.poll() is None for d in daemons), "mlbench stopped the user's cluster"
        with urllib.request.urlopen(f"http://127.0.0.1:{master_ui}/json/", timeout=5) as response:
            state = json.load(response)
        assert not state.get("activeapps"), state.get("activeapps")  # our applications ended: nothing cached
    finally:
        for daemon in reversed(daemons):
            _stop_group(daemon)
    for daemon in daemons:
        assert not _group_members(daemon.pid), f"group {daemon.pid} survived: {_group_members(daemon.pid)}"


SWEEP = ("name: executors\nsizes: ['600']\ntest_rows: 200\nrepeats: 1\nwarmup: 0\nsteps:\n"
         "  - step: train\n    task: regression\n    models: [linear]\n    features: 5\n")


def _executor_sweep(tmp_path: Path, master: str) -> None:
    """`--cores 1,2` against the standalone master: one application per count, sized to that many one-core
    executors (GBM-perf #17's question on a cluster), each count's load done by exactly that many."""
    scenario = tmp_path / "executors.yaml"
    scenario.write_text(SWEEP)
    proc = run_cli("run", str(scenario), "--adapters", "spark", "--cores", "1,2", "--spark-master", master,
                   "--memory", "1g", "--json", "--out", str(tmp_path / "sweep"), timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    records = json.loads(proc.stdout)
    loads = {r["cores"]: r["result"] for r in records if r["phase"] == "load"}
    assert {c: facts["executors"] for c, facts in loads.items()} == {1: 1, 2: 2}, loads
    sessions = [r for r in records if r["phase"] == "session"]
    assert [r["result"].get("executor_cores") for r in sessions] == [1, 1]
    assert {r["cores"] for r in records if r["phase"] == "fit"} == {1, 2}
    assert all(r["status"] == "ok" for r in records if r["phase"] == "fit")
    (run_dir,) = (tmp_path / "sweep").iterdir()
    ((table,),) = core_tables(RunView(json.loads((run_dir / "run.json").read_text()), records))[0]
    assert any(f"executors of one core each on the cluster at {master}" in note for note in table.footnotes)


@pytest.mark.h2o
@pytest.mark.slow
def test_h2o_cloud_of_two_nodes(tmp_path):
    import h2o

    jar = Path(h2o.__file__).parent / "backend" / "bin" / "h2o.jar"
    java = shutil.which("java")
    assert java and jar.is_file()
    ports = [free_loopback_port(), free_loopback_port()]
    while ports[1] in (ports[0], ports[0] + 1) or ports[1] + 1 == ports[0]:
        ports[1] = free_loopback_port()
    flatfile = tmp_path / "flatfile.txt"
    flatfile.write_text("".join(f"127.0.0.1:{p}\n" for p in ports))
    nodes = []
    try:
        for i, port in enumerate(ports):
            (tmp_path / f"ice{i}").mkdir()
            with open(tmp_path / f"node{i}.log", "w") as log:
                nodes.append(subprocess.Popen(
                    [java, "-Xmx1g", "-jar", str(jar), "-name", f"mlbench-two-{ports[0]}", "-flatfile", str(flatfile),
                     "-ip", "127.0.0.1", "-web_ip", "127.0.0.1", "-port", str(port),
                     "-ice_root", str(tmp_path / f"ice{i}")],
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        url = f"http://127.0.0.1:{ports[0]}"
        deadline = time.monotonic() + 180
        while True:
            assert all(n.poll() is None for n in nodes), (tmp_path / "node0.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the two H2O nodes never formed one cloud"
            try:
                with urllib.request.urlopen(f"{url}/3/Cloud", timeout=2) as response:
                    cloud = json.load(response)
                if cloud.get("cloud_size") == 2 and cloud.get("consensus") and cloud.get("cloud_healthy"):
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
        assert all(_is_loopback(ip) for ip in _listening([n.pid for n in nodes]))

        cluster = _pvalues(tmp_path, "cluster", "h2o", "--h2o-url", url)
        session = next(r for r in cluster if r["phase"] == "session")
        assert session["result"]["nodes"] == 2 and session["result"]["started_by_mlbench"] is False
        _same_grades(cluster, _stored_local("h2o"))
        assert all(n.poll() is None for n in nodes), "mlbench stopped the user's cloud"
        with urllib.request.urlopen(f"{url}/3/Frames", timeout=10) as response:
            frames = [f["frame_id"]["name"] for f in json.load(response)["frames"]]
        assert not [f for f in frames if f.startswith("mlbench")], frames  # left clean
    finally:
        for node in nodes:
            node.terminate()
        for node in nodes:
            try:
                node.wait(timeout=20)
            except subprocess.TimeoutExpired:
                node.kill()
                node.wait(timeout=10)
