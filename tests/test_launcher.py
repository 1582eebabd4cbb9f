"""The workers' fork server (mlbench.launcher): workers forked from it are as isolated as freshly started ones
(own process and session, a kill -9 of one is that worker's death only, told as before), and a run through it
records exactly what a run of fresh interpreters records."""

from __future__ import annotations

import contextlib
import os
import signal

import psutil
import pytest

from mlbench import api, launcher
from mlbench.adapter import SessionOptions
from mlbench.launcher import ForkedProcess
from mlbench.worker import WorkerAdapter, WorkerDied


def test_forked_workers_are_isolated_and_their_deaths_told_as_before(tmp_path):
    with launcher.running():
        server = launcher.current()
        assert server is not None
        first, second = (WorkerAdapter("statsmodels", tmp_path / f"{name}.log") for name in ("first", "second"))
        for worker in (first, second):
            assert isinstance(worker.process, ForkedProcess)
            assert psutil.Process(worker.pid).ppid() == server.process.pid  # forked, not a fresh interpreter
            assert os.getsid(worker.pid) == worker.pid  # its own session, as start_new_session gave it
        options = SessionOptions(run_dir=tmp_path)
        first.start_session(options)
        second.start_session(options)
        os.kill(first.pid, signal.SIGKILL)
        with pytest.raises(WorkerDied, match=r"statsmodels worker died during describe \(killed by signal 9"):
            first.describe()
        assert second.describe() == {}  # the other worker answers, untouched
        second.close()
        assert second.process.returncode == 0
    assert server.process.poll() is not None  # the launcher ends with the run
    assert not psutil.pid_exists(second.pid) or psutil.Process(second.pid).status() == psutil.STATUS_ZOMBIE


def _fits(outcome: api.RunOutcome) -> list[tuple]:
    return [(r["adapter"], r["step"], r["status"], r["result"], r["deviation"])
            for r in outcome.records if r["phase"] == "fit"]


def test_a_run_through_the_launcher_records_what_fresh_workers_record(tmp_path, monkeypatch):
    request = api.RunRequest(scenario="pvalues", adapters=["statsmodels", "sklearn"], out=tmp_path / "forked")
    forked = api.run(request)
    monkeypatch.setattr(launcher, "running", lambda enabled=True: contextlib.nullcontext())
    fresh = api.run(api.RunRequest(scenario="pvalues", adapters=["statsmodels", "sklearn"], out=tmp_path / "fresh"))
    assert [r[:3] for r in _fits(forked)] == [("statsmodels", "pvalues", "ok"), ("sklearn", "pvalues", "ok")]
    assert _fits(forked) == _fits(fresh)
    assert forked.manifest["truth"] == fresh.manifest["truth"]


def test_a_dead_launcher_means_fresh_workers_not_a_failed_run(tmp_path):
    with launcher.running():
        server = launcher.current()
        assert server is not None
        server.process.kill()
        server.process.wait()
        worker = WorkerAdapter("statsmodels", tmp_path / "w.log")
        assert not isinstance(worker.process, ForkedProcess)  # started as a fresh interpreter, as before
        worker.start_session(SessionOptions(run_dir=tmp_path))
        assert worker.describe() == {}
        worker.close()
