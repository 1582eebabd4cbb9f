"""Isolation: a hang, a crash or platform chatter in one adapter never loses the others' results; a kill -9
of mlbench leaves no child platform process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from tests.conftest import run_cli
from tests.fake_adapters import ENV, kill_mid_cell

FAKES = {"MLBENCH_ADAPTERS": ENV}


def _fits(stdout: str) -> dict[str, dict]:
    return {r["adapter"]: r for r in json.loads(stdout) if r["phase"] == "fit"}


def test_timeout_kills_the_cell_and_the_run_goes_on(tmp_path):
    t0 = time.monotonic()
    proc = run_cli("run", "pvalues", "--adapters", "hang,statsmodels", "--timeout", "8", "--json",
                   "--out", str(tmp_path), env=FAKES)
    assert time.monotonic() - t0 < 120
    assert proc.returncode == 0, proc.stderr  # the platform's timeout is what its cell measured
    fits = _fits(proc.stdout)
    assert fits["hang"]["status"] == "timeout" and "8 s timeout" in fits["hang"]["error"]
    assert fits["hang"]["fault"] == "platform"
    assert fits["statsmodels"]["status"] == "ok" and fits["statsmodels"]["deviation"]["agrees"]


def test_worker_crash_is_a_cell_error_not_a_lost_run(tmp_path):
    proc = run_cli("run", "pvalues", "--adapters", "crash,statsmodels", "--json", "--out", str(tmp_path), env=FAKES)
    assert proc.returncode == 0  # the platform's crash is a measurement of it, not mlbench failing
    fits = _fits(proc.stdout)
    assert fits["crash"]["status"] == "error" and "signal 9" in fits["crash"]["error"]
    assert fits["crash"]["fault"] == "platform"
    assert fits["statsmodels"]["status"] == "ok"
    assert "Traceback" not in proc.stderr


def test_platform_chatter_never_reaches_json_stdout(tmp_path):
    proc = run_cli("run", "pvalues", "--adapters", "chatty", "--json", "--out", str(tmp_path), env=FAKES)
    assert proc.returncode == 0, proc.stderr
    assert _fits(proc.stdout)["chatty"]["status"] == "ok"  # stdout is exactly the JSON list
    (run_dir,) = tmp_path.iterdir()
    assert "platform banner on stdout" in (run_dir / "platform.log").read_text()


def test_kill_minus_9_leaves_no_child_platform_process(tmp_path):
    pid_file = tmp_path / "fakejvm.pid"
    env = {**os.environ, **FAKES, "FAKE_JVM_PID_FILE": str(pid_file)}
    runner = subprocess.Popen([sys.executable, "-m", "mlbench", "run", "pvalues", "--adapters", "fakejvm",
                               "--out", str(tmp_path / "runs")], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pid_file.exists(), "the fake platform never started"
    child = psutil.Process(int(pid_file.read_text()))
    time.sleep(0.5)  # mid-run: the adapter is hanging inside its ols call
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    gone, _ = psutil.wait_procs([child], timeout=15)
    assert gone, "the platform's child process outlived mlbench by 15 s"


def _check_retried(run: dict) -> None:
    records = run["records"]
    for pid in (run["worker_pid"], run["platform_pid"]):  # neither the worker nor its "JVM" is left
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    sessions = [r for r in records if r["phase"] == "session"]
    assert [(s["restart"], s["status"]) for s in sessions] == [(0, "ok"), (1, "ok")]
    assert "restarted_after" in sessions[1]["result"]
    fits = [(r["repeat"], r["attempt"], r["status"]) for r in records if r["phase"] == "fit"]
    assert fits == [(0, 1, "error"), (0, 2, "ok"), (1, 1, "ok")]  # nothing lost, the retry marked
    assert all(r["deviation"]["agrees"] for r in records if r["phase"] == "fit" and r["status"] == "ok")
    assert run["code"] == 0, run["stderr"]  # the retry superseded the failed attempt
    assert "Traceback" not in run["stderr"]


def test_platform_death_mid_cell_is_noticed_in_seconds_and_the_cell_retried(tmp_path):
    run = kill_mid_cell(tmp_path, "mortal", "platform")
    assert run["failed"]["error"].startswith("platform died: fake JVM") and "-9" in run["failed"]["error"]
    assert run["seconds"] < 5, f"the death was recorded {run['seconds']:.1f} s after the kill"
    _check_retried(run)


def test_worker_killed_mid_cell_is_replaced_and_the_cell_retried(tmp_path):
    run = kill_mid_cell(tmp_path, "mortal", "worker")
    assert "worker died" in run["failed"]["error"] and "signal 9" in run["failed"]["error"]
    assert run["seconds"] < 5
    _check_retried(run)


def test_retries_zero_records_the_death_and_restarts_for_the_next_cell(tmp_path):
    run = kill_mid_cell(tmp_path, "mortal", "platform", "--retries", "0")
    records = run["records"]
    fits = [(r["repeat"], r["attempt"], r["status"]) for r in records if r["phase"] == "fit"]
    assert fits == [(0, 1, "error"), (1, 1, "ok")]
    assert [r["restart"] for r in records if r["phase"] == "session"] == [0, 1]
    assert run["code"] == 0  # the platform died in a cell: measured (and the run went on), not mlbench failing


@pytest.mark.parametrize("isolation", ["process", "inline"])
@pytest.mark.parametrize("fake, code, fault, error", [
    ("refusing", 0, "platform", "LinAlgError: Singular matrix"),
    ("garbled", 1, "mlbench", None),
])
def test_exit_code_tells_a_platform_failing_the_test_from_mlbench_failing(tmp_path, isolation, fake, code, fault,
                                                                          error):
    """A platform's own failure in a cell is a measurement (exit 0, `fault: platform`, shown in the tables);
    mlbench's own failure is not (exit 1, `fault: mlbench`); both in process isolation and inline."""
    proc = run_cli("run", "pvalues", "--adapters", f"{fake},statsmodels", "--isolation", isolation, "--json",
                   "--out", str(tmp_path), env=FAKES)
    assert proc.returncode == code, proc.stderr
    fits = _fits(proc.stdout)
    assert fits[fake]["status"] == "error" and fits[fake]["fault"] == fault
    if error:
        assert fits[fake]["error"] == error
    assert fits["statsmodels"]["status"] == "ok" and fits["statsmodels"]["fault"] is None


@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_a_platform_killed_while_its_session_starts_is_started_again(tmp_path, isolation):
    """Issue 28 item 7: the session start is retried once (--retries) like a cell, its death worded by procs."""
    mortal = tmp_path / "mortal"
    mortal.mkdir()
    proc = run_cli("run", "pvalues", "--adapters", "dies-starting", "--isolation", isolation, "--json",
                   "--out", str(tmp_path / "runs"), env={"MLBENCH_ADAPTERS": ENV, "MORTAL_DIR": str(mortal)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = json.loads(proc.stdout)
    sessions = [(r["restart"], r["status"]) for r in records if r["phase"] == "session"]
    assert sessions == [(0, "error"), (1, "ok")], sessions
    first, second = (r for r in records if r["phase"] == "session")
    assert "killed by signal 9 (SIGKILL" in first["error"] and "while its session started" in first["error"]
    assert second["result"]["restarted_after"].startswith("fake JVM")
    fits = [r for r in records if r["phase"] == "fit"]
    assert [r["status"] for r in fits] == ["ok"] and fits[0]["deviation"]["agrees"]


def test_retries_zero_leaves_a_session_start_that_died_unretried(tmp_path):
    mortal = tmp_path / "mortal"
    mortal.mkdir()
    proc = run_cli("run", "pvalues", "--adapters", "dies-starting", "--retries", "0", "--json",
                   "--out", str(tmp_path / "runs"), env={"MLBENCH_ADAPTERS": ENV, "MORTAL_DIR": str(mortal)})
    records = json.loads(proc.stdout)
    assert [r["status"] for r in records if r["phase"] == "session"] == ["error"]
    (fit,) = (r for r in records if r["phase"] == "fit")
    assert fit["error"].startswith("no session: platform died: fake JVM") and "killed by signal 9" in fit["error"]


def test_h2o_jvm_death_at_start_is_worded_as_every_death():
    from mlbench.platforms.h2o_cluster import start_death

    message = "Server process terminated with error code -9: 12-06 21:00:01.123 INFO water.default: log4j..."
    assert start_death(RuntimeError(message)) == \
        "H2O JVM killed by signal 9 (SIGKILL: kill -9 or the kernel's OOM killer) while its session started"
    assert start_death(RuntimeError("Cannot find Java")) is None
    assert start_death(RuntimeError("Server process terminated with error code 1: bad option")) is None
