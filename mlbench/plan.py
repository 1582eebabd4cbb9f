"""A run's plan: the data units (one dataset as every platform reads it, with its cells) and the run settings
the runner and the truth reference follow; and the progress the runner reports while it carries the plan out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlbench.adapter import DataSource, SessionOptions
from mlbench.datasets import Dataset
from mlbench.design import Design
from mlbench.scenario import Scenario

Cell = tuple[int, Any, str | None]  # (step index in the scenario, step spec, variant)


@dataclass
class DataUnit:
    """One dataset as every platform reads it, with the cells that run on it."""

    dataset: Dataset
    design: Design
    source: DataSource
    cells: list[Cell]
    test_y: np.ndarray | None = None  # training units: the fixed test set's target
    test_x_path: Path | None = None  # training units: the test features as .npy, for artifact scorers

    @property
    def label(self) -> str:
        return self.dataset.name


@dataclass
class RunPlan:
    scenario: Scenario
    units: list[DataUnit]
    adapters: list[str]
    repeats: int
    warmup: int
    seed: int
    digits: float  # the pass line: an answer agrees with at least this many correct digits everywhere
    options: SessionOptions
    step_specs: list[Any] = field(default_factory=list)
    isolation: str = "process"  # "process": each adapter in a worker subprocess; "inline": in this process
    timeout: float | None = None  # seconds per cell (one repeat of one step variant); needs isolation
    deploy_weights: dict[str, float] = field(default_factory=dict)  # --weight overrides of the deploy score
    retries: int = 1  # times a cell running when its platform died is retried on a fresh session (0: never)
    core_counts: list[int] = field(default_factory=list)  # --cores: each adapter runs once per count ([]: options')


@dataclass
class ProgressState:
    """What the run is doing, for a progress display: the latest event or running cell, the cells finished (one
    repeat of one step variant on one platform each), and for the running cell when it started and how far it is
    (an emulated search's fits of its bound and sizes done; an emulated VIF's auxiliary regressions)."""

    message: str
    done: int
    total: int
    cell_started: float | None = None  # time.monotonic() when the running cell began; None between cells
    detail: str = ""


Progress = Callable[[ProgressState], None]  # (message, cells done, cells total)
