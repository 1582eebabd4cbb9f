"""The JVM platforms through the real CLI: graded answers, agreement with statsmodels, no JVM left behind."""

from __future__ import annotations

import json
import time
import uuid

import psutil
import pytest

from tests.conftest import run_cli


def _jvms_marked(mark: str) -> list[psutil.Process]:
    """Java processes that inherited our marker environment variable (i.e. were started by this mlbench)."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            if "java" in (proc.info["name"] or "") and proc.environ().get("MLBENCH_TEST_MARK") == mark:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _run_marked(*args: str) -> tuple[object, str]:
    mark = uuid.uuid4().hex
    proc = run_cli(*args, env={"MLBENCH_TEST_MARK": mark}, timeout=1500)
    return proc, mark


def _assert_no_jvm_left(mark: str) -> None:
    deadline = time.monotonic() + 15
    while _jvms_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _jvms_marked(mark), "a JVM started by mlbench outlived it"


@pytest.mark.h2o
def test_h2o_and_statsmodels_feature_selection_on_hitters(tmp_path):
    proc, mark = _run_marked("run", "feature-selection", "--dataset", "hitters", "--adapters", "h2o,statsmodels",
                             "--json", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    fits = {(r["adapter"], r["step"], r["variant"]): r for r in json.loads(proc.stdout) if r["phase"] == "fit"}
    for step, variant in [("pvalues", None), ("vif", None), ("subset", "forward"), ("subset", "backward")]:
        h2o, sm = fits[("h2o", step, variant)], fits[("statsmodels", step, variant)]
        assert h2o["status"] == sm["status"] == "ok", (step, variant, h2o["error"])
        assert h2o["deviation"]["agrees"] and sm["deviation"]["agrees"], (step, variant, h2o["deviation"]["grade"])
    h2o_p = fits[("h2o", "pvalues", None)]["result"]["coefficients"]
    sm_p = fits[("statsmodels", "pvalues", None)]["result"]["coefficients"]
    for term, values in sm_p.items():
        assert h2o_p[term]["p_value"] == pytest.approx(values["p_value"], rel=1e-6)
    best = fits[("h2o", "subset", "best")]
    assert best["status"] == "ok" and best["support"] == "native"
    assert best["deviation"]["sizes_agree"] >= 16  # maxrsweep is a heuristic: graded, not assumed
    _assert_no_jvm_left(mark)


@pytest.mark.h2o
@pytest.mark.spark
def test_four_adapters_agree_on_advertising(tmp_path):
    proc, mark = _run_marked("run", "feature-selection", "--dataset", "advertising",
                             "--adapters", "spark,statsmodels,h2o,sklearn", "--json", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    records = json.loads(proc.stdout)
    pvalues = {r["adapter"]: r for r in records if r["step"] == "pvalues" and r["phase"] == "fit"}
    assert set(pvalues) == {"spark", "statsmodels", "h2o", "sklearn"}
    for adapter, record in pvalues.items():
        assert record["status"] == "ok" and record["deviation"]["agrees"], (adapter, record["deviation"])
        assert record["result"]["dropped"] == ["Newspaper"]
        newspaper = record["result"]["coefficients"]["Newspaper"]["p_value"]
        assert newspaper == pytest.approx(0.859915050080577, rel=1e-6)
    sessions = [r for r in records if r["phase"] == "session"]
    assert len(sessions) == 4 and all(r["status"] == "ok" for r in sessions)
    _assert_no_jvm_left(mark)


@pytest.mark.h2o
def test_kill_minus_9_mid_run_leaves_no_h2o_jvm(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    mark = uuid.uuid4().hex
    env = {**os.environ, "MLBENCH_TEST_MARK": mark}
    runner = subprocess.Popen([sys.executable, "-m", "mlbench", "run", "feature-selection", "--dataset", "hitters",
                               "--adapters", "h2o", "--out", str(tmp_path)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while not _jvms_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.5)
    jvms = _jvms_marked(mark)
    assert jvms, "H2O's JVM never started"
    time.sleep(5)  # mid-run
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    _, alive = psutil.wait_procs(jvms, timeout=15)
    assert not alive, f"JVMs alive 15 s after kill -9 of mlbench: {[p.pid for p in alive]}"
