"""A real JVM killed with kill -9 during a cell: the death is recorded within 5 s with its cause, the cell is
retried on a fresh session (a new JVM) and agrees with the reference, later cells run, no JVM is left.

The platforms are the real H2O and Spark adapters, except that the run's first OLS fit waits until the test has
killed the JVM (tests/fake_adapters._FirstFitWaits), so the kill lands inside a cell every time."""

from __future__ import annotations

import psutil
import pytest

from tests.fake_adapters import kill_mid_cell


def _check(tmp_path, adapter: str, what: str) -> None:
    run = kill_mid_cell(tmp_path, adapter, "platform")
    records, failed, seconds = run["records"], run["failed"], run["seconds"]
    assert failed["error"].startswith(f"platform died: {what} (pid {run['platform_pid']}) killed by signal 9"), \
        failed["error"]
    assert seconds < 5, f"the death was recorded {seconds:.1f} s after the kill"
    sessions = [r for r in records if r["phase"] == "session"]
    assert [(s["restart"], s["status"]) for s in sessions] == [(0, "ok"), (1, "ok")], sessions
    assert sessions[1]["result"]["restarted_after"].startswith(what)
    fits = [(r["repeat"], r["attempt"], r["status"]) for r in records if r["phase"] == "fit"]
    assert fits == [(0, 1, "error"), (0, 2, "ok"), (1, 1, "ok")]
    assert all(r["deviation"]["agrees"] for r in records if r["phase"] == "fit" and r["status"] == "ok")
    assert run["code"] == 0, run["stderr"]
    assert "Traceback" not in run["stderr"]
    assert "mlbench: the platform died during ols" in (run["run_dir"] / "platform.log").read_text(errors="replace")
    leftovers = [p for p in psutil.process_iter(["name", "cmdline"])
                 if "java" in (p.info["name"] or "") and str(tmp_path) in " ".join(p.info["cmdline"] or [])]
    assert not leftovers, f"JVMs left: {[p.pid for p in leftovers]}"


@pytest.mark.h2o
def test_h2o_jvm_killed_mid_cell_is_noticed_restarted_and_the_cell_retried(tmp_path):
    _check(tmp_path, "h2o-mortal", "H2O JVM")


@pytest.mark.spark
def test_spark_driver_killed_mid_cell_is_noticed_restarted_and_the_cell_retried(tmp_path):
    _check(tmp_path, "spark-mortal", "Spark driver JVM")


@pytest.mark.h2o
def test_h2o_jvm_killed_while_its_session_starts_is_started_again(tmp_path):
    """Issue 28 item 7: the JVM killed with -9 before h2o answered; the session is started again (--retries) and
    the death is worded as every other one, not as H2O's log line."""
    import json
    import signal
    import subprocess
    import sys
    import time

    out = str(tmp_path / "runs")
    run = subprocess.Popen([sys.executable, "-m", "mlbench", "run", "pvalues", "--adapters", "h2o", "--json",
                            "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim, deadline = None, time.monotonic() + 90
    while victim is None and time.monotonic() < deadline and run.poll() is None:
        victim = next((p for p in psutil.process_iter(["name", "cmdline"])
                       if "java" in (p.info["name"] or "") and out in " ".join(p.info["cmdline"] or [])), None)
        time.sleep(0.1)
    assert victim is not None, "the H2O JVM never started"
    time.sleep(1.0)  # started, not yet answering
    victim.send_signal(signal.SIGKILL)
    stdout, stderr = run.communicate(timeout=400)
    assert run.returncode == 0, stderr[-3000:]
    records = json.loads(stdout)
    sessions = [r for r in records if r["phase"] == "session"]
    assert [(s["restart"], s["status"]) for s in sessions] == [(0, "error"), (1, "ok")]
    assert sessions[0]["error"] == ("platform died: H2O JVM killed by signal 9 (SIGKILL: kill -9 or the kernel's "
                                    "OOM killer) while its session started")
    assert [r["status"] for r in records if r["phase"] == "fit"] == ["ok"]
