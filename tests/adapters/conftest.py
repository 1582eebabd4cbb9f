"""Fixtures the adapter tests share: the learnable training tasks every platform's train step is checked on."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from mlbench.adapter import DataSource
from tests.test_train import task_source


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
