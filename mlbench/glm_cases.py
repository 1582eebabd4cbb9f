"""The GLM accuracy suite, built in beside NIST's: generated logistic and Poisson cases with a certified truth.

NIST certifies no GLM data, so mlbench makes its own cases in the manner of the published accuracy studies of
logistic regression (McCullough & Vinod's and Mo's package comparisons; Bergtold, Pokharel & Featherstone 2015,
30 generated data sets graded in LRE): each case is built to provoke one way a platform loses digits (its
stopping rule, standardisation, a default penalty, how it treats near-separation) and carries the MLE certified
by `mlbench.stats.glm_exact.certify` once, at build time (`benchmarks/make_glm_cases.py`).

Each case lives in `mlbench/data/glm/<case>.json`: the family, the generator's parameters and seed (the data are
regenerated, not stored: a 100,000-row case would be megabytes of JSON), the sha256 of the generated float64
bytes (proof that the data regenerated here are the data that were certified; a mismatch is an error, never a
silent regrade), the certified truth as float64 repr strings (estimates, SEs, z, p per term; deviance, null
deviance, AIC, log-likelihood) and the certificate (its guaranteed digits, arb precision, Newton steps).

The generator uses numpy's PCG64 (`numpy.random.Generator`) and then only IEEE-exact elementwise arithmetic in a
fixed order (no BLAS sums, whose order varies by build), so the bytes are the same on every machine; `exp` in the
logistic draw can differ by an ulp between libms, which could flip a 0/1 draw with odds of ~1e-16 per row, and
the sha256 would then say so. The data are generated as doubles: the platforms read exactly the values that
were certified, so there is no float64 input ceiling (unlike NIST's decimal data, `float64_input_digits`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from mlbench.errors import MlbenchError

GLM_DIR = Path(__file__).parent / "data" / "glm"
PREFIX = "glm-"
RESPONSES = ("bernoulli", "poisson", "threshold")
INPUT_NOTE = ("exact: generated as float64, so the platforms read exactly the doubles that were certified "
              "(no input ceiling)")


@dataclass(frozen=True)
class GLMCase:
    key: str  # "rare-events"
    name: str  # "Rare events 1%"
    order: int  # the suite's listing order: easier first
    family: str  # binomial | poisson
    provokes: str  # what failure the case is built to provoke, and where
    generator: dict[str, Any]  # n, seed, columns, intercept, coefficients, response (see `generate`)
    sha256: str  # of the generated float64 bytes: the design columns then y, row-major, little-endian
    certified: dict[str, Any]  # the certified truth (floats; see `_certified`)
    certificate: dict[str, Any]  # digits (guaranteed, every number), precision (bits), newton_steps
    summary: dict[str, Any]  # facts of the generated data (events, mean count, correlation, scales)

    @property
    def dataset_name(self) -> str:
        return PREFIX + self.key

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(c["name"] for c in self.generator["columns"])

    @property
    def n(self) -> int:
        return int(self.generator["n"])

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """(X, y) regenerated from the seed, checked against the stored sha256."""
        X, y = generate(self.generator)
        if (digest := data_sha256(X, y)) != self.sha256:
            raise MlbenchError(f"{self.dataset_name}: the regenerated data's sha256 {digest[:12]} is not the stored "
                               f"{self.sha256[:12]} (numpy's generator changed?); the certified truth does not apply")
        return X, y

    def frame(self) -> Any:
        """The data as every platform reads it: the float64 design columns and the target `y` (0/1 or counts,
        integers)."""
        import pandas as pd

        X, y = self.data()
        frame = pd.DataFrame({name: X[:, j] for j, name in enumerate(self.features)})
        frame["y"] = y.astype(np.int64)
        return frame

    def description(self) -> str:
        return f"GLM suite {self.name}: {self.family}, {len(self.features)} predictors, {self.n:,} rows"


# ----- the generator -------------------------------------------------------------------------------------------


def generate(spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The data a generator spec describes. Columns are drawn in order, one standard normal vector z each:
    `shift + scale * z`, or for a column `like` another, `shift + scale * (r * z_like + sqrt(1 - r²) * z)` (a
    pair with correlation r). The linear predictor eta = intercept + sum coef * column, summed in the columns'
    order. The response: `bernoulli` y ~ Bernoulli(1 / (1 + exp(-eta))) (by a uniform u < p), `poisson`
    y ~ Poisson(exp(eta)), `threshold` y = 1{eta > 0} with the `flip` rows nearest the boundary on each side
    flipped (the only overlap of the two classes: near-separation)."""
    n = int(spec["n"])
    if spec["response"] not in RESPONSES:
        raise MlbenchError(f"unknown GLM case response {spec['response']!r}; known: {', '.join(RESPONSES)}")
    rng = np.random.Generator(np.random.PCG64(int(spec["seed"])))
    z: dict[str, np.ndarray] = {}
    columns = []
    for col in spec["columns"]:
        z[col["name"]] = draw = rng.standard_normal(n)
        if col.get("like"):
            r = float(col["r"])
            draw = r * z[col["like"]] + math.sqrt(1.0 - r * r) * draw
        columns.append(float(col.get("shift", 0.0)) + float(col.get("scale", 1.0)) * draw)
    X = np.column_stack(columns)
    eta = np.full(n, float(spec["intercept"]))
    for j, col in enumerate(spec["columns"]):
        eta = eta + float(spec["coefficients"][col["name"]]) * X[:, j]
    if spec["response"] == "bernoulli":
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    elif spec["response"] == "poisson":
        y = rng.poisson(np.exp(eta)).astype(float)
    else:
        y = (eta > 0).astype(float)
        flip = int(spec["flip"])
        below, above = np.flatnonzero(eta <= 0), np.flatnonzero(eta > 0)
        y[below[np.argsort(-eta[below], kind="stable")[:flip]]] = 1.0
        y[above[np.argsort(eta[above], kind="stable")[:flip]]] = 0.0
    return X, y


def data_sha256(X: np.ndarray, y: np.ndarray) -> str:
    """sha256 of the float64 bytes: each row's design values then its y, little-endian."""
    block = np.column_stack([X, y]).astype("<f8")
    return hashlib.sha256(np.ascontiguousarray(block).tobytes()).hexdigest()


def summary(X: np.ndarray, y: np.ndarray, features: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """Facts of a generated data set, stored with the case so a reader sees what it is without regenerating."""
    corr = np.corrcoef(X, rowvar=False) if X.shape[1] > 1 else np.ones((1, 1))
    off = np.abs(corr - np.eye(len(corr)))
    i, j = np.unravel_index(np.argmax(off), off.shape)
    return {
        "rows": len(y), "ones_or_total_count": int(y.sum()), "mean_y": float(y.mean()),
        "max_abs_correlation": {"pair": [features[i], features[j]], "r": float(corr[i, j])} if len(corr) > 1 else None,
        "column_sd": {name: float(np.std(X[:, k])) for k, name in enumerate(features)},
    }


# ----- the stored cases ----------------------------------------------------------------------------------------


def _stored(doc: dict[str, Any]) -> dict[str, Any]:
    """The stored truth with its repr strings read back as floats."""
    return {
        **doc, "coefficients": {t: {k: float(v) for k, v in q.items()} for t, q in doc["coefficients"].items()},
        **{k: float(doc[k]) for k in ("deviance", "null_deviance", "aic", "loglik")},
    }


def _load(path: Path) -> GLMCase:
    doc = json.loads(path.read_text())
    return GLMCase(
        key=path.stem, name=doc["name"], order=int(doc["order"]), family=doc["family"], provokes=doc["provokes"],
        generator=doc["generator"], sha256=doc["sha256"], certified=_stored(doc["certified"]),
        certificate=doc["certificate"], summary=doc["summary"],
    )


@cache
def cases() -> tuple[GLMCase, ...]:
    """Every shipped case, in the suite's order."""
    return tuple(sorted((_load(p) for p in GLM_DIR.glob("*.json")), key=lambda c: c.order))


def case(key: str) -> GLMCase | None:
    """The case behind a key (`rare-events`) or a dataset name (`glm-rare-events`), or None."""
    key = key.lower().removeprefix(PREFIX)
    return next((c for c in cases() if c.key == key), None)


def stored_truth(truth: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A `glm_exact.GLMTruth` as the case file stores it: (the certified numbers as float64 repr strings, which
    round-trip a double exactly, coefficients per term as a statistics step reports them; the certificate)."""
    fit = truth.fit
    if fit is None:
        raise MlbenchError(f"no finite MLE ({truth.separation} separation in {', '.join(truth.separating)}): "
                           "a GLM accuracy case must have one")
    certified = {
        "terms": list(fit.terms),
        "coefficients": {term: {"estimate": repr(e), "std_error": repr(s), "z_value": repr(z), "p_value": repr(p)}
                         for term, e, s, z, p in zip(fit.terms, fit.estimate, fit.std_error, fit.z_value,
                                                     fit.p_value, strict=True)},
        "deviance": repr(fit.deviance), "null_deviance": repr(fit.null_deviance), "aic": repr(fit.aic),
        "loglik": repr(truth.loglik), "df_resid": fit.df_resid, "n_obs": fit.n_obs, "aliased": list(fit.aliased),
    }
    certificate = {"digits": round(truth.digits, 2), "precision_bits": truth.precision,
                   "newton_steps": truth.newton_steps, "input": INPUT_NOTE}
    return certified, certificate
