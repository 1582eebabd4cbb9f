"""Scenarios: what to run, read from YAML and validated strictly.

A scenario names its steps and their parameters plus run defaults (dataset, adapters, repeats); the command
line can override the defaults. Unknown keys are errors that name the key and the file, because a typo that
silently falls back to a default gives a benchmark that measured something else. `extends: other` starts from
another scenario and overrides its top-level keys.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, field_validator

from mlbench import limits, steps
from mlbench.errors import MlbenchError, unknown
from mlbench.steps import StepSpec

SCENARIO_DIRS = (
    Path(__file__).parent / "_scenarios",  # inside an installed wheel
    Path(__file__).resolve().parents[1] / "scenarios",  # source checkout / editable install
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scenario(_Strict):
    name: str
    description: str = ""
    dataset: str = "advertising"
    family: Literal["gaussian", "binomial", "poisson"] | None = None  # the statistics steps' model (mlbench.family):
    # gaussian = OLS; None = the dataset's, else from the target (two text levels: binomial)
    datasets: list[str] = []  # a suite for the statistics steps, run one after another ("nist": every NIST case)
    adapters: list[str] = []
    steps: list[SerializeAsAny[StepSpec]] = Field(min_length=1)  # each parsed by its step's spec model
    repeats: int = Field(1, ge=1)
    warmup: int = Field(0, ge=0)
    seed: int = 42
    digits: float = Field(6.0, gt=0, le=15)  # pass line: an answer agrees with this many correct digits or more
    intercept: bool = True  # False: the statistics steps fit through the origin (R's y ~ 0 + x) everywhere
    sizes: list[int | str] = ["10k", "100k"]  # train rows per size (train steps only)
    test_rows: int = Field(10_000, ge=10)  # one fixed test set scores every size
    shape: str | None = None  # the training ladder's data shape (mlbench.shapes): tall (None), wide or sparse

    @field_validator("shape")
    @classmethod
    def _known_shape(cls, value: str | None) -> str | None:
        from mlbench import shapes

        if value is not None and value not in shapes.SHAPES:
            raise ValueError(unknown("shape", value, shapes.SHAPES))
        return value

    @field_validator("steps", mode="before")
    @classmethod
    def _parse_steps(cls, items: Any) -> Any:
        """Each entry by the spec model of its step in the step table (mlbench.steps)."""
        if not isinstance(items, list):
            return items
        parsed = []
        for i, item in enumerate(items):
            if isinstance(item, dict) and "family" in item and item.get("step") in steps.FAMILY_STEPS:
                raise ValueError(f"steps.{i}: family is run-level: set `family: {item['family']}` at the top of "
                                 "the scenario (or --family)")
            try:
                parsed.append(steps.parse_spec(item))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(part) for part in (i, *first["loc"]))
                if first["type"] == "extra_forbidden":
                    known = steps.kind(item["step"]).spec.model_fields
                    raise ValueError(f"steps.{where}: {unknown('key', str(first['loc'][-1]), known)}") from None
                raise ValueError(f"steps.{where}: {first['msg']}") from None
            except ValueError as exc:
                raise ValueError(f"steps.{i}: {exc}") from None
        return parsed


def scenario_paths() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory in SCENARIO_DIRS:
        if directory.is_dir():
            for path in sorted(directory.glob("*.yaml")):
                found.setdefault(path.stem, path)
    return found


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        limits.check_yaml_size(path, path.stat().st_size)  # before reading: a huge file parses for minutes
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
        known = [*Scenario.model_fields, "extends"] if len(first["loc"]) == 1 else []
        return f"{path}: {unknown('key', str(first['loc'][-1]), known)}" + (
            "" if len(first["loc"]) == 1 else f" (at {location})")
    if first["type"] == "missing":
        return f"{path}: missing required key {location!r}"
    if first["type"] == "value_error":  # a step entry, already described by its own validation
        return f"{path}: {(first.get('ctx') or {}).get('error', first['msg'])}"
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
        raise MlbenchError(unknown("scenario", name_or_path, paths))
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
