"""Ctrl-C keeps every finished record valid and stops the platforms; --resume runs only the missing cells."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil

from tests.conftest import run_cli
from tests.fake_adapters import ENV


def test_interrupt_then_resume(tmp_path):
    pid_file = tmp_path / "child.pid"
    env = {**os.environ, "MLBENCH_ADAPTERS": ENV, "SLOW_OLS_S": "600", "FAKE_JVM_PID_FILE": str(pid_file)}
    out = tmp_path / "runs"
    cmd = [sys.executable, "-m", "mlbench", "run", "pvalues", "--adapters", "statsmodels,slow,sklearn",
           "--out", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pid_file.exists(), "the slow adapter never started"
    child = psutil.Process(int(pid_file.read_text()))
    time.sleep(1.0)  # statsmodels is done; the slow adapter is inside its first fit
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr
    gone, _ = psutil.wait_procs([child], timeout=15)
    assert gone, "the platform's child process survived Ctrl-C"

    (run_dir,) = out.iterdir()
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "interrupted"
    records = [json.loads(line) for line in (run_dir / "records.jsonl").read_text().splitlines()]  # all parse
    assert {(r["adapter"], r["phase"]) for r in records} >= {("statsmodels", "fit"), ("slow", "session")}
    assert not any(r["adapter"] == "sklearn" for r in records)

    env = {"MLBENCH_ADAPTERS": ENV, "SLOW_OLS_S": "0"}
    resumed = run_cli("run", "--resume", str(run_dir), "--width", "200", env=env)
    assert resumed.returncode == 0, resumed.stderr
    everything = [json.loads(line) for line in (run_dir / "records.jsonl").read_text().splitlines()]
    new = everything[len(records):]
    assert {r["adapter"] for r in new} == {"slow", "sklearn"}  # statsmodels was finished: not run again
    fits = [r for r in everything if r["phase"] == "fit"]
    assert sorted(r["adapter"] for r in fits) == ["sklearn", "slow", "statsmodels"]
    assert all(r["status"] == "ok" and r["deviation"]["agrees"] for r in fits)
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "complete" and manifest["resumed_utc"]

    # The summary printed after --resume is the whole run's, exactly what `mlbench report` prints of it
    reported = run_cli("report", str(run_dir), "--width", "200", env=env)
    assert reported.returncode == 0, reported.stderr
    assert resumed.stdout == reported.stdout
    assert "│ statsmodels │ pvalues" in resumed.stdout
    # the resumed session of the slow platform is a session started again (timed apart), not a second repeat
    sessions = [r for r in everything if r["adapter"] == "slow" and r["phase"] == "session"]
    assert [r["restart"] for r in sessions] == [0, 1]
    assert "interrupted" in sessions[1]["result"]["restarted_after"]
    startup = next(line for line in resumed.stdout.splitlines() if line.startswith("│ slow") and "±" not in line
                   and line.count("│") == 5)
    assert startup
    assert not any(line.startswith("│ slow") and "±" in line for line in resumed.stdout.splitlines())


def test_resume_of_a_complete_run_is_refused(tmp_path):
    first = run_cli("run", "pvalues", "--adapters", "statsmodels", "--out", str(tmp_path))
    assert first.returncode == 0
    (run_dir,) = tmp_path.iterdir()
    again = run_cli("run", "--resume", str(run_dir))
    assert again.returncode == 2 and "nothing to resume" in again.stderr


def test_sigterm_stops_a_run_like_ctrl_c_but_exits_143(tmp_path):
    """Issue 28 item 6: 128 + SIGTERM, as a shell reports a process that SIGTERM ended; records kept."""
    pid_file = tmp_path / "child.pid"
    env = {**os.environ, "MLBENCH_ADAPTERS": ENV, "SLOW_OLS_S": "600", "FAKE_JVM_PID_FILE": str(pid_file)}
    out = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "mlbench", "run", "pvalues", "--adapters", "slow", "--out",
                             str(out)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pid_file.exists(), "the slow adapter never started"
    child = psutil.Process(int(pid_file.read_text()))
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, (proc.returncode, stderr[-2000:])
    assert "interrupted" in stderr and "Traceback" not in stderr
    gone, _ = psutil.wait_procs([child], timeout=15)
    assert gone, "the platform's child process survived SIGTERM"
    (run_dir,) = out.iterdir()
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
