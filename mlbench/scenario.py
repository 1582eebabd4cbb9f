"""Scenarios: what to run, read from YAML and validated strictly.

A scenario names its steps and their parameters plus run defaults (dataset, adapters, repeats); the command
line can override the defaults. Unknown keys are errors that name the key and the file, because a typo that
silently falls back to a default gives a benchmark that measured something else. `extends: other` starts from
another scenario and overrides its top-level keys.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlbench.errors import MlbenchError

SCENARIO_DIRS = (
    Path(__file__).parent / "_scenarios",  # inside an installed wheel
    Path(__file__).resolve().parents[1] / "scenarios",  # source checkout / editable install
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PValuesStep(_Strict):
    step: Literal["pvalues"]
    alpha: float = Field(0.05, gt=0, le=1)  # 1: no elimination, the full fit only


class VifStep(_Strict):
    step: Literal["vif"]
    threshold: float = Field(10.0, gt=1)


class SubsetStep(_Strict):
    step: Literal["subset"]
    methods: list[Literal["best", "forward", "backward"]] = ["best", "forward", "backward"]
    max_size: int | None = Field(None, ge=1)
    max_fits: int = Field(20000, ge=1)
    cv_folds: int | None = Field(None, ge=2)


class TrainStep(_Strict):
    """Train model families on synthetic data of each size; hyperparameters are matched across platforms."""

    step: Literal["train"]
    task: Literal["classification", "regression"] = "classification"
    models: list[Literal["linear", "logistic", "random_forest", "gbm"]] = ["logistic", "random_forest", "gbm"]
    trees: int = Field(100, ge=1)
    max_depth: int = Field(6, ge=1)
    learning_rate: float = Field(0.1, gt=0, le=1)
    features: int = Field(10, ge=5)  # columns of the synthetic data


class DeployStep(TrainStep):
    """Train each model as the train step does, then export every format the platform offers and score each
    artifact in a fresh process: cold start, load, latency, throughput, parity, footprint, reproducibility."""

    step: Literal["deploy"]  # type: ignore[assignment]
    latency_calls: int = Field(1000, ge=10)  # single-row calls timed after the warm-up
    warmup_calls: int = Field(50, ge=0)
    reproducibility: bool = True  # retrain with the same seed in a separate process and compare
    http: bool = False  # also serve the first artifact over HTTP (mlbench serve) and time requests


StepSpec = Annotated[PValuesStep | VifStep | SubsetStep | TrainStep | DeployStep, Field(discriminator="step")]


class Scenario(_Strict):
    name: str
    description: str = ""
    dataset: str = "advertising"
    datasets: list[str] = []  # a suite for the statistics steps, run one after another ("nist": every NIST case)
    adapters: list[str] = []
    steps: list[StepSpec] = Field(min_length=1)
    repeats: int = Field(1, ge=1)
    warmup: int = Field(0, ge=0)
    seed: int = 42
    digits: float = Field(6.0, gt=0, le=15)  # pass line: an answer agrees with this many correct digits or more
    sizes: list[int | str] = ["10k", "100k"]  # train rows per size (train steps only)
    test_rows: int = Field(10_000, ge=10)  # one fixed test set scores every size


def scenario_paths() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory in SCENARIO_DIRS:
        if directory.is_dir():
            for path in sorted(directory.glob("*.yaml")):
                found.setdefault(path.stem, path)
    return found


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MlbenchError(f"cannot read scenario {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise MlbenchError(f"{path}: malformed YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise MlbenchError(f"{path}: a scenario must be a YAML mapping of keys to values")
    return data


def _describe(error: ValidationError, path: Path) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return f"{path}: unknown key {first['loc'][-1]!r} (at {location})"
    if first["type"] == "missing":
        return f"{path}: missing required key {location!r}"
    return f"{path}: {location}: {first['msg']}"


def _raw(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    data = _read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    parent_path = locate(str(parent))
    if parent_path in seen:
        raise MlbenchError(f"{path}: `extends` cycle through {parent_path}")
    return {**_raw(parent_path, (*seen, path)), **data}


def locate(name_or_path: str) -> Path:
    """A scenario by shipped name (`pvalues`) or by path to a YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml"):
        if not candidate.is_file():
            raise MlbenchError(f"scenario file not found: {candidate}")
        return candidate
    paths = scenario_paths()
    if name_or_path not in paths:
        from mlbench.registry import suggest

        raise MlbenchError(
            f"unknown scenario {name_or_path!r}{suggest(name_or_path, list(paths))}; known: {', '.join(paths)}"
        )
    return paths[name_or_path]


def load(name_or_path: str) -> Scenario:
    path = locate(name_or_path)
    data = _raw(path)
    if "tolerance" in data and "digits" not in data:  # scenarios before the truth grade: relative tolerance
        tolerance = data.pop("tolerance")
        if isinstance(tolerance, int | float) and 0 < tolerance < 1:
            data["digits"] = -math.log10(tolerance)
        else:
            raise MlbenchError(f"{path}: tolerance must be a number between 0 and 1 (better: digits: 6)")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise MlbenchError(_describe(exc, path)) from None
