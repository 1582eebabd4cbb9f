"""What a run no longer waits for on its critical path (issue 33, harness overhead): the workers' launcher is
forked from the command line before typer parses it (no second interpreter to start), `java -version` is asked on
a thread while the run is prepared, and the runner imports scipy.stats only where a measured phase of its own may
use it. None may change what a run is: the forked launcher is set up as a fresh one (own session, /dev/null on
0-2, none of the runner's descriptors), Java's version is asked once, and no import lands in a timed phase."""

from __future__ import annotations

import os
import subprocess
import time

import psutil
import pytest

from mlbench import cli, environment, launcher
from mlbench.adapter import SessionOptions
from mlbench.launcher import ForkedLauncher, ForkedProcess
from mlbench.worker import WorkerAdapter, WorkerDied


@pytest.mark.parametrize(("args", "starts"), [
    (["run", "pvalues", "--adapters", "statsmodels"], True),
    (["run", "--resume", "results/x"], True),
    (["run", "pvalues", "--isolation", "process"], True),
    (["run", "pvalues", "--isolation", "inline"], False),
    (["run", "pvalues", "--isolation=inline"], False),
    (["run", "--help"], False),
    (["list", "adapters"], False),
    (["report", "run"], False),
    ([], False),
])
def test_the_command_line_starts_the_launcher_only_for_a_run_in_worker_processes(args, starts):
    assert cli._runs_workers(args) is starts


def _fds(pid: int) -> dict[int, str]:
    folder = f"/proc/{pid}/fd"
    out = {}
    for name in os.listdir(folder):
        try:
            out[int(name)] = os.readlink(f"{folder}/{name}")
        except OSError:  # closed meanwhile
            continue
    return out


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="Linux only")
def test_a_forked_launcher_is_set_up_as_a_fresh_one_and_its_workers_are_isolated(tmp_path):
    ours = open(tmp_path / "runner-only.txt", "w")  # noqa: SIM115 - open across the fork on purpose
    try:
        with launcher.running(fork=True):
            server = launcher.current()
            assert server is not None and isinstance(server.process, ForkedLauncher)
            pid = server.process.pid
            assert psutil.Process(pid).ppid() == os.getpid()
            deadline = time.monotonic() + 10  # it sets itself up after the fork, while we go on
            while time.monotonic() < deadline and not (
                    all((fds := _fds(pid)).get(n) == os.devnull for n in (0, 1, 2)) and os.devnull not in
                    [fds.get(n) for n in fds if n > 2]):
                time.sleep(0.01)
            assert all(fds[n] == os.devnull for n in (0, 1, 2)), fds
            assert os.getsid(pid) == pid  # its own session: Ctrl-C reaches the runner only
            assert str(tmp_path / "runner-only.txt") not in fds.values(), fds  # nothing of the runner's held
            worker = WorkerAdapter("statsmodels", tmp_path / "w.log")
            assert isinstance(worker.process, ForkedProcess)
            assert psutil.Process(worker.pid).ppid() == pid and os.getsid(worker.pid) == worker.pid
            worker.start_session(SessionOptions(run_dir=tmp_path))
            assert worker.describe() == {}
            worker.kill()
            with pytest.raises(WorkerDied):
                worker.describe()
        assert server.process.poll() is not None  # it ends with the block, and is reaped here
    finally:
        ours.close()


def test_a_dead_forked_launcher_means_fresh_workers(tmp_path):
    with launcher.running(fork=True):
        server = launcher.current()
        assert server is not None
        server.process.kill()
        assert server.process.wait(timeout=10) == -9
        worker = WorkerAdapter("statsmodels", tmp_path / "w.log")
        assert not isinstance(worker.process, ForkedProcess)  # a fresh interpreter, as without a launcher
        worker.close()


def test_java_version_asked_early_is_asked_once_and_is_the_same_answer(monkeypatch):
    calls = []

    def fake(tool, *args, timeout):
        calls.append((tool, args))
        return subprocess.CompletedProcess([tool, *args], 0, "", 'Picked up X\nopenjdk version "17.0.1" 2021\n')

    monkeypatch.setattr(environment, "run_tool", fake)
    environment.java_version.cache_clear()
    try:
        environment.ask_java_version()
        environment.ask_java_version()  # asking twice starts one
        assert environment.java_version() == 'openjdk version "17.0.1" 2021'
        assert environment.java_version() == 'openjdk version "17.0.1" 2021'
        assert calls == [("java", ("-version",))]
        environment.ask_java_version()  # known: nothing asked again (a second run in this process)
        assert "thread" not in environment._early_java and len(calls) == 1
    finally:
        environment.java_version.cache_clear()
        environment._early_java.clear()


_RUN_AND_SAY_IMPORTED = """
import json, sys
from pathlib import Path
from mlbench import api
adapters, out, extra = sys.argv[1].split(","), Path(sys.argv[2]), json.loads(sys.argv[3])
if "data" in extra:
    extra["data"] = Path(extra["data"])
outcome = api.run(api.RunRequest(scenario="pvalues", adapters=adapters, out=out, **extra))
print(json.dumps({"fits": [[r["adapter"], r["status"], r["support"], r["result"]["dropped"]]
                           for r in outcome.records if r["phase"] == "fit"],
                  "scipy.stats": "scipy.stats" in sys.modules}))
"""


def _run_and_say_imported(tmp_path, adapters: str, **extra) -> dict:
    """A run in a fresh interpreter: its fits, and whether that process (the runner) ever imported scipy.stats."""
    import json
    import sys

    proc = subprocess.run([sys.executable, "-c", _RUN_AND_SAY_IMPORTED, adapters, str(tmp_path), json.dumps(extra)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_native_ols_pvalues_in_workers_never_import_scipy_stats_in_the_runner(tmp_path):
    """The runner's deferred scipy.stats import (0.5 s of the main job's critical path) is skipped where no
    measured phase of the runner can use it: not imported at all, so never inside a timed phase, also when the
    elimination ends with no predictor (the intercept-only model is the platform's fit) or fits through the
    origin."""
    import numpy as np

    main_job = _run_and_say_imported(tmp_path / "main", "statsmodels")
    assert main_job == {"fits": [["statsmodels", "ok", "native", ["Newspaper"]]], "scipy.stats": False}
    rng = np.random.default_rng(1)
    noise = tmp_path / "noise.csv"
    noise.write_text("a,b,y\n" + "\n".join(",".join(f"{v:.6f}" for v in row) for row in rng.normal(size=(60, 3))))
    for intercept in (None, False):
        empty = _run_and_say_imported(tmp_path / f"noise{intercept}", "statsmodels", data=str(noise), target="y",
                                      intercept=intercept)
        assert empty == {"fits": [["statsmodels", "ok", "native", ["b", "a"]]], "scipy.stats": False}


@pytest.mark.parametrize(("adapters", "extra"), [
    ("sklearn", {}),  # emulated p-values: the t tails computed here, inside the timed fit
    ("statsmodels", {"dataset": "credit"}),  # factors: drop1's F-tests computed here from the platform's fits
    ("statsmodels", {"isolation": "inline"}),  # the platform itself runs here
    ("statsmodels", {"family": "poisson", "dataset": "credit", "target": "Cards"}),  # the GLM procedures
])
def test_any_other_plan_imports_scipy_stats_before_its_first_measured_phase(tmp_path, adapters, extra):
    said = _run_and_say_imported(tmp_path, adapters, **extra)
    assert said["scipy.stats"] is True and said["fits"] and all(fit[1] == "ok" for fit in said["fits"]), said
