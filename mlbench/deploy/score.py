"""The deployability score: transparent sub-scores from raw measurements, weights and thresholds from a
versioned YAML (scenarios/scores/deploy-score.yaml). Every raw value and sub-score is kept beside the total, and the
floor (the weakest sub-score) is reported, so a high total cannot hide one disqualifying weakness.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

from mlbench.deploy.loaders import KINDS
from mlbench.errors import MlbenchError
from mlbench.scenario import SCENARIO_DIRS

SUBSCORES = ("portability", "fidelity", "reproducibility", "latency", "throughput", "cold_start", "footprint",
             "security")


def load_config(overrides: dict[str, float] | None = None) -> dict[str, Any]:
    """The score configuration, with command-line weight overrides applied (and listed under `overridden`)."""
    path = next((d / "scores" / "deploy-score.yaml" for d in SCENARIO_DIRS
                 if (d / "scores" / "deploy-score.yaml").exists()), None)
    if path is None:
        raise MlbenchError("deploy-score.yaml not found next to the scenarios")
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["source"] = str(path)
    config["overridden"] = {}
    for name, weight in (overrides or {}).items():
        if name not in SUBSCORES:
            raise MlbenchError(f"unknown deployability weight {name!r}; known: {', '.join(SUBSCORES)}")
        if weight < 0:
            raise MlbenchError(f"weight {name} must be >= 0")
        config["overridden"][name] = {"from": config["weights"][name], "to": weight}
        config["weights"][name] = weight
    return config


def log_scale(value: float | None, best: float, worst: float) -> float:
    """100 at `best`, 0 at `worst`, linear in log(value) between, clamped; a missing value scores 0."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0.0
    value = max(value, 1e-300)
    position = (math.log(value) - math.log(worst)) / (math.log(best) - math.log(worst))
    return round(100.0 * min(1.0, max(0.0, position)), 2)


def portability(kind_name: str, config: dict[str, Any]) -> float:
    kind = KINDS[kind_name]
    key = {(False, False): "none", (False, True): "library", (True, False): "jvm", (True, True): "jvm_and_library"}[
        (kind.needs_jvm, kind.needs_training_library)]
    return float(config["portability"][key])


def subscores(kind_name: str, raw: dict[str, Any], reproducibility_max_abs: float | None,
              config: dict[str, Any]) -> dict[str, float]:
    t = config["thresholds"]
    return {
        "portability": portability(kind_name, config),
        "fidelity": log_scale(raw.get("parity_max_abs"), **t["parity_max_abs"]),
        "reproducibility": log_scale(reproducibility_max_abs, **t["reproducibility_max_abs"]),
        "latency": log_scale(raw.get("p99_ms"), **t["latency_p99_ms"]),
        "throughput": log_scale(raw.get("throughput_rows_s"), **t["throughput_rows_s"]),
        "cold_start": log_scale(raw.get("cold_start_s"), **t["cold_start_s"]),
        "footprint": log_scale(raw.get("footprint_mb"), **t["footprint_mb"]),
        "security": 0.0 if KINDS[kind_name].runs_code_on_load else 100.0,
    }


def total(scores: dict[str, float], config: dict[str, Any]) -> dict[str, Any]:
    weights = config["weights"]
    weight_sum = sum(weights[name] for name in SUBSCORES)
    value = sum(weights[name] * scores[name] for name in SUBSCORES) / weight_sum if weight_sum else 0.0
    floor_name = min(SUBSCORES, key=lambda name: scores[name])
    return {"score": round(value, 2), "floor": scores[floor_name], "floor_subscore": floor_name,
            "weights": {name: weights[name] for name in SUBSCORES}, "score_version": config["version"]}
