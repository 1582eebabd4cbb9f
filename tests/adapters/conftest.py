"""Fixtures the adapter tests share: the learnable training tasks every platform's train step is checked on, and
the one H2O session of the H2O tests (test_h2o.py: statistics, sessions, clusters; test_h2o_models.py: training
and MOJO deployability)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import psutil
import pytest

from mlbench.adapter import DataSource, SessionOptions
from mlbench.platforms.h2o import H2OAdapter
from tests.test_train import task_source


def pytest_configure(config):
    config.addinivalue_line("markers", "closes_h2o_session: closes the shared H2O session, so runs after every "
                                       "other test")


def pytest_collection_modifyitems(items):
    """The test that closes the shared H2O session runs last, whichever H2O test files are run and in what order."""
    items.sort(key=lambda item: item.get_closest_marker("closes_h2o_session") is not None)


def _task(tmp_path_factory, task: str) -> tuple[DataSource, np.ndarray]:
    """2,000 training rows of synthetic_task(task, seed=1) and a fixed 1,000-row test set (seed 2), named as the
    runner names them (':' and '=', which H2O keys may not hold)."""
    source, y_test = task_source(tmp_path_factory.mktemp(task), task)
    return replace(source, name=f"synthetic-{task}:n=2000"), y_test


@pytest.fixture(scope="module")
def classification_task(tmp_path_factory) -> tuple[DataSource, np.ndarray]:
    return _task(tmp_path_factory, "classification")


@pytest.fixture(scope="module")
def regression_task(tmp_path_factory) -> tuple[DataSource, np.ndarray]:
    return _task(tmp_path_factory, "regression")


def skip_unless_h2o() -> None:
    available = H2OAdapter.availability()
    if not available.ok:
        pytest.skip(f"h2o adapter unavailable: {available.reason}")


def java_descendants() -> dict[int, psutil.Process]:
    """Java processes started (directly or not) by this test process."""
    found = {}
    for proc in psutil.Process().children(recursive=True):
        try:
            if proc.name() == "java":
                found[proc.pid] = proc
        except psutil.Error:
            continue
    return found


# ----- one local H2O cluster for every H2O test (test_h2o.py, test_h2o_models.py) ------------------------------


@dataclass
class Session:
    """The shared H2O adapter with its started session, the dataset it has loaded, and how long each step took."""

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


@pytest.fixture(scope="session")
def h2o_session(tmp_path_factory) -> Iterator[Session]:
    """One H2O JVM for all H2O tests (a JVM start takes ~10 s on 2 cores); closed after the last of them (the
    test marked closes_h2o_session), never leaked."""
    skip_unless_h2o()
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
        leftover = [p for p in java_descendants().values() if p.pid == jvm_pid]
        for proc in leftover:  # never leak a JVM, even when the adapter failed to stop it
            proc.kill()
        assert not leftover, f"the adapter left its JVM {jvm_pid} running after close()"
