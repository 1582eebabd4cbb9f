"""The model steps: train (fit, predict on a fixed test set, metrics by mlbench) and deploy (then export every
format, reload each in a fresh process, score). Hyperparameters are matched across platforms in the spec."""

from __future__ import annotations

import statistics
from typing import Annotated, Literal

from pydantic import Field, field_validator

from mlbench.steps.table import Rows, StepKind, StepSpec, register

MODEL_FAMILIES = ("linear", "logistic", "random_forest", "gbm")


class TrainStep(StepSpec):
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
    # the inference batch sweep (mlbench.deploy.sweep): rows per call, each size's calls capped at batch_seconds
    batch_rows: list[Annotated[int, Field(ge=1, le=1_000_000)]] = [1, 100, 10_000]
    batch_seconds: float = Field(5.0, gt=0, le=600)

    @field_validator("batch_rows")
    @classmethod
    def _ascending(cls, rows: list[int]) -> list[int]:
        return sorted(set(rows))


def _train_headline(rows: Rows) -> tuple[str | None, float | None]:
    from mlbench.stats import metrics

    name, values = metrics.headline_values(rows)
    return name, statistics.median(values) if values else None


def _deploy_headline(rows: Rows) -> tuple[str | None, float | None]:
    scores = [r["result"]["score"] for r in rows if r.get("status") == "ok" and r.get("phase") == "reload"
              and (r.get("result") or {}).get("score") is not None]
    return "score", statistics.median(scores) if scores else None


register(StepKind(
    name="train", spec=TrainStep, statistics=False, trains=True, end_phase="predict",
    variants=lambda spec: list(spec.models), variant_key="model", variant_values=MODEL_FAMILIES,
    headline=_train_headline,
))
register(StepKind(
    name="deploy", spec=DeployStep, statistics=False, trains=True, deploys=True, end_phase="reload",
    variants=lambda spec: list(spec.models), variant_key="model", variant_values=MODEL_FAMILIES,
    headline=_deploy_headline, requires="train",
))
