"""NIST's Statistical Reference Datasets for linear regression, built in: data, exact values, certified answers.

Each case lives in `mlbench/data/nist/<case>.json` with NIST's data as printed (decimal text), the model (a
polynomial of degree k in x, a linear model in x1..xk, or a fit through the origin) and NIST's certified
values (15 significant digits, computed by NIST in 500-digit arithmetic). Provenance: mlbench/data/SOURCES.md.

A polynomial case's design columns are x1 = x, x2 = x², ..., xk = x^k. Platforms read each as the float64
nearest to its exact value (the best a float64 file can say); the reference computes from the exact decimal
values themselves, which is what NIST certified. Where the two differ (Filip: storing x^k in float64 alone
moves the exact least-squares answer in its 8th digit), `float64_input_digits` says how many digits the float64
rounding of the data leaves to any platform, however exact its arithmetic.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

NIST_DIR = Path(__file__).parent / "data" / "nist"
PREFIX = "nist-"


@dataclass(frozen=True)
class NistCase:
    key: str  # "filip"
    name: str  # "Filip"
    order: int  # NIST's listing order: lower, average, then higher difficulty
    difficulty: str
    model: str  # linear | polynomial | no-intercept
    source: str
    features: tuple[str, ...]  # design columns x1..xk
    exact: dict[str, list[Fraction]]  # design columns and "y", exact
    certified: dict[str, Any]  # coefficients, std_errors, residual_sd, r_squared, f_statistic (floats)
    sha256: str

    @property
    def dataset_name(self) -> str:
        return PREFIX + self.key

    @property
    def intercept(self) -> bool:
        return self.model != "no-intercept"

    @property
    def unsupported(self) -> str | None:
        """Why mlbench's steps cannot run this case, if they cannot: every case runs (NoInt1 and NoInt2 as fits
        through the origin, `intercept`, whatever the run's own setting)."""
        return None

    def frame(self) -> Any:
        """The design as every platform reads it: each exact value rounded to the nearest float64."""
        import pandas as pd

        return pd.DataFrame({c: [float(v) for v in self.exact[c]] for c in (*self.features, "y")})

    def description(self) -> str:
        what = {"linear": f"y on {', '.join(self.features)}", "polynomial": f"degree-{len(self.features)} polynomial",
                "no-intercept": "y = b·x, no intercept"}[self.model]
        return f"NIST StRD {self.name} ({self.difficulty} difficulty): {what}, {len(self.exact['y'])} rows"


def _number(text: str) -> float:
    return float("inf") if text == "inf" else float(text)


def _load(path: Path) -> NistCase:
    raw = path.read_bytes()
    doc = json.loads(raw)
    columns = doc["columns"]
    rows = [[Fraction(v) for v in line.split(",")] for line in doc["data"]]
    values = {c: [row[i] for row in rows] for i, c in enumerate(columns)}
    if columns == ["y", "x"]:  # one predictor: the model is a polynomial of degree 1 (Norris) or more
        x = values["x"]
        exact = {f"x{k}": [v**k for v in x] for k in range(1, int(doc["degree"]) + 1)}
    else:
        exact = {c: values[c] for c in columns if c != "y"}
    exact["y"] = values["y"]
    cert = doc["certified"]
    certified = {
        "coefficients": {k: _number(v) for k, v in cert["coefficients"].items()},
        "std_errors": {k: _number(v) for k, v in cert["std_errors"].items()},
        **{k: _number(cert[k]) for k in ("residual_sd", "r_squared", "f_statistic")},
    }
    return NistCase(
        key=path.stem, name=doc["name"], order=int(doc["order"]), difficulty=doc["difficulty"], model=doc["model"],
        source=doc["source"], features=tuple(c for c in exact if c != "y"), exact=exact, certified=certified,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


@cache
def suite() -> tuple[NistCase, ...]:
    """Every shipped case, in NIST's order (by difficulty)."""
    return tuple(sorted((_load(p) for p in NIST_DIR.glob("*.json")), key=lambda c: c.order))


def case(dataset_name: str) -> NistCase | None:
    """The case behind a dataset name like `nist-filip`, or None."""
    key = dataset_name.removeprefix(PREFIX).lower()
    return next((c for c in suite() if c.key == key), None) if dataset_name.startswith(PREFIX) else None
