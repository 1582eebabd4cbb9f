"""Binomial and Poisson GLMs on the JVM platforms (H2O, Spark ML), each with its own defaults, against independent
references: R's `glm` on ISLR's Default (logistic), the MLE and its standard errors computed here in mpmath, and a
one-factor Poisson model whose MLE has a closed form (the log of each group's mean).

Each platform is graded to the digits its stopping rule allows, measured on these data (printed with `-s`):
- H2O 3.46.0.11 (standardize=True, its default; stops when a standardized coefficient moves < beta_epsilon 1e-4
  or the objective improves < 1e-6 relatively: ComputationState.converged, GLM.java): on Default 9.7-10.0 digits
  in the estimates, 9.8-10.2 in the SEs (rebuilt from X'WX on the original scale at its final estimate, GLM.java
  `if (_parms._compute_p_values)`); on the Poisson case it stops after 5 iterations, 6.4 digits (group c).
- Spark 4.x (IRLS, stops when no coefficient moves by tol 1e-6 in absolute terms,
  IterativelyReweightedLeastSquares.scala): estimates 11.0-12.3 digits (Default), 14 (Poisson); SEs 8.8-9.2 and
  7.1-7.5, since they come from the last weighted least squares solve, i.e. the previous iterate's weights.
- R itself (relative deviance change < 1e-8) is 8.6 digits from the MLE in the estimates and only 4.4-4.7 in the
  SEs on Default: `summary.glm` uses the QR of the last IRLS solve, whose weights are the previous iterate's. So
  R's SEs are checked to 1e-4 and the SEs at the MLE to each platform's own digits.

One JVM per platform for the module, and a few small fits: each JVM fit costs seconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import mpmath
import pandas as pd
import pytest

from mlbench.adapter import Adapter, DataSource, GLMFit, SessionOptions, Support
from mlbench.platforms.h2o import H2OAdapter
from mlbench.platforms.spark import SparkAdapter

FIXTURE = Path(__file__).parent.parent / "fixtures" / "glm" / "Default.csv"  # provenance: fixtures/glm/SOURCES.md
FEATURES = ["studentYes", "balance", "income"]
TERMS = ["Intercept", *FEATURES]

# R 4.2.2, summary(glm(default ~ student + balance + income, family = binomial)) (../shared/datasets/SOURCES.md)
R_ESTIMATE = [-10.8690451961683, -0.646775806644788, 0.00573650525598958, 3.03345012467618e-06]
R_STD_ERROR = [0.492255515606193, 0.236252528744965, 0.00023189451861583, 8.20261528090295e-06]
R_P_INCOME = 0.711520342121128
R_DEVIANCE = 1571.54482757896
R_SE_TOL = 1e-4  # R's SEs are from the previous iterate's weights: 3.5e-5 from the SEs at the MLE here

# One factor with three levels (a: baseline, b, c): Poisson counts, written out so the closed form is checkable
COUNTS = {"a": [1, 3, 0, 2, 3, 1, 1, 0, 5, 2, 4, 0], "b": [7, 3, 6, 10, 7, 6, 5, 7, 5, 3],
          "c": [0, 0, 2, 0, 1, 0, 0, 1]}

# relative error allowed per platform and family, (estimates, SEs): the digits measured (module docstring), with
# about half a digit to spare
TOL = {
    ("h2o", "binomial"): (1e-8, 1e-8),
    ("h2o", "poisson"): (3e-6, 3e-6),
    ("spark", "binomial"): (1e-10, 1e-8),
    ("spark", "poisson"): (1e-12, 1e-6),
}


def _digits(value: float, exact: float) -> float:
    return math.inf if value == exact else -math.log10(abs(value - exact) / abs(exact))


def _assert_rel(value: float, exact: float, tol: float, what: str) -> None:
    digits = _digits(value, exact)
    assert abs(value - exact) <= tol * abs(exact), f"{what}: {value!r} vs {exact!r} ({digits:.1f} digits)"


# ----- data and references ---------------------------------------------------------------------------------------


def _default_design() -> pd.DataFrame:
    raw = pd.read_csv(FIXTURE)
    return pd.DataFrame({
        "studentYes": (raw["student"] == "Yes").astype(float),
        "balance": raw["balance"].astype(float),
        "income": raw["income"].astype(float),
        "default": (raw["default"] == "Yes").astype(float),
    })


def _poisson_design() -> pd.DataFrame:
    rows = [(level, y) for level, ys in COUNTS.items() for y in ys]
    return pd.DataFrame({
        "groupb": [float(level == "b") for level, _ in rows],
        "groupc": [float(level == "c") for level, _ in rows],
        "count": [float(y) for _, y in rows],
    })


def _source(frame: pd.DataFrame, name: str, target: str, directory: Path) -> DataSource:
    directory.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(directory / "design.parquet", index=False)
    frame.to_csv(directory / "design.csv", index=False)
    features = [c for c in frame.columns if c != target]
    return DataSource(name, directory / "design.parquet", directory / "design.csv", target, features, len(frame))


@pytest.fixture(scope="module")
def default_mle() -> tuple[list[float], list[float]]:
    """(MLE, SEs at the MLE) of the Default logistic model by Newton's method from R's estimates: per-row terms in
    float64 summed exactly rounded (math.fsum), the 4x4 algebra in mpmath at 30 digits. The score is then right to
    ~1e-15 relative, so the MLE and the inverse Fisher information X'WX at it are good to ~13 digits - far beyond
    the 8-12 digits graded. (All of it in mpmath costs 2 s a pass over the 10,000 rows without gmpy.)"""
    mpmath.mp.dps = 30
    design = _default_design()
    rows = [(1.0, *map(float, r)) for r in design[FEATURES].itertuples(index=False)]
    ys = [float(v) for v in design["default"]]

    def information_and_score(beta: list[float]) -> tuple[mpmath.matrix, mpmath.matrix]:
        mus = [1.0 / (1.0 + math.exp(-math.fsum(x * b for x, b in zip(row, beta, strict=True)))) for row in rows]
        weights = [mu * (1.0 - mu) for mu in mus]
        info = mpmath.matrix([[math.fsum(w * row[i] * row[j] for w, row in zip(weights, rows, strict=True))
                               for j in range(4)] for i in range(4)])
        score = mpmath.matrix([math.fsum(row[i] * (y - mu) for row, y, mu in zip(rows, ys, mus, strict=True))
                               for i in range(4)])
        return info, score

    beta = list(R_ESTIMATE)
    for _ in range(3):
        info, score = information_and_score(beta)
        beta = [float(b) for b in mpmath.matrix(beta) + mpmath.lu_solve(info, score)]
    info, _ = information_and_score(beta)
    covariance = mpmath.inverse(info)
    return beta, [float(mpmath.sqrt(covariance[i, i])) for i in range(4)]


# ----- one JVM per platform ---------------------------------------------------------------------------------------


class Loaded:
    """An adapter with a session, loading a data set only when a test asks for another."""

    def __init__(self, name: str, adapter: Adapter, root: Path) -> None:
        self.name, self.adapter, self.root, self.loaded = name, adapter, root, ""

    def use(self, which: str) -> Adapter:
        if which != self.loaded:
            frame, target = (_default_design(), "default") if which == "default" else (_poisson_design(), "count")
            self.adapter.load(_source(frame, which, target, self.root / which))
            self.loaded = which
        return self.adapter


@pytest.fixture(scope="module", params=[
    pytest.param("h2o", marks=pytest.mark.h2o),
    pytest.param("spark", marks=pytest.mark.spark),
])
def platform(request, tmp_path_factory) -> Iterator[Loaded]:
    cls: type[Adapter] = {"h2o": H2OAdapter, "spark": SparkAdapter}[request.param]
    available = cls.availability()
    if not available.ok:
        pytest.skip(f"{request.param} unavailable: {available.reason}")
    run_dir = tmp_path_factory.mktemp(f"glm-{request.param}")
    adapter = cls()
    try:
        adapter.start_session(SessionOptions(run_dir=run_dir, cores=2, memory="1g",
                                             log_path=run_dir / "platform.log"))
        yield Loaded(request.param, adapter, run_dir)
    finally:
        adapter.close()


# ----- tests ------------------------------------------------------------------------------------------------------


def test_glm_capabilities_are_native_with_the_exact_call():
    for cls, call in ((H2OAdapter, "H2OGeneralizedLinearEstimator(family="),
                      (SparkAdapter, "GeneralizedLinearRegression(family=")):
        for family, link in (("binomial", "logit"), ("poisson", "log")):
            capability = cls.capabilities[f"glm:{family}"]
            assert capability.support is Support.NATIVE
            assert f"{call}'{family}'" in capability.how
            if cls is SparkAdapter:
                assert f"link='{link}'" in capability.how
    assert "lambda_=0, compute_p_values=True, solver='IRLSM'" in H2OAdapter.capabilities["glm:binomial"].how


def test_default_logistic_equals_r_and_the_mle(platform, default_mle):
    fit: GLMFit = platform.use("default").glm(FEATURES, "binomial")
    mle, mle_se = default_mle
    tol, se_tol = TOL[platform.name, "binomial"]
    assert fit.family == "binomial" and fit.terms == TERMS and fit.aliased == []
    assert (fit.n_obs, fit.df_resid) == (10000, 9996)
    assert fit.converged is True and fit.iterations is not None and 1 <= fit.iterations < 25
    for i, term in enumerate(TERMS):
        _assert_rel(fit.estimate[i], R_ESTIMATE[i], 1e-8, f"{term} estimate vs R")  # R: 8.6 digits
        _assert_rel(fit.estimate[i], mle[i], tol, f"{term} estimate vs MLE")
        _assert_rel(fit.std_error[i], R_STD_ERROR[i], R_SE_TOL, f"{term} SE vs R")
        _assert_rel(fit.std_error[i], mle_se[i], se_tol, f"{term} SE vs SE at the MLE")
        _assert_rel(fit.z_value[i], fit.estimate[i] / fit.std_error[i], 1e-12, f"{term} z = estimate / SE")
        print(f"{platform.name} {term}: estimate {_digits(fit.estimate[i], mle[i]):.1f} digits, "
              f"SE {_digits(fit.std_error[i], mle_se[i]):.1f} digits (vs R's SE "
              f"{_digits(fit.std_error[i], R_STD_ERROR[i]):.1f}; R's own {_digits(R_STD_ERROR[i], mle_se[i]):.1f})")
    # Wald p of income (the only one not near 0): R's, within what its SE allows
    _assert_rel(fit.p_value[3], R_P_INCOME, R_SE_TOL, "income p vs R")
    two_sided = float(mpmath.erfc(abs(fit.z_value[3]) / mpmath.sqrt(2)))
    _assert_rel(fit.p_value[3], two_sided, 1e-12, "income p = 2 Phi(-|z|)")
    # deviance is flat at the optimum: every platform's equals R's to ~13 digits; null deviance and AIC in closed form
    _assert_rel(fit.deviance, R_DEVIANCE, 1e-12, "deviance vs R")
    n1, n = 333, 10000
    null = -2 * (n1 * math.log(n1 / n) + (n - n1) * math.log(1 - n1 / n))
    _assert_rel(fit.null_deviance, null, 1e-12, "null deviance")
    _assert_rel(fit.aic, R_DEVIANCE + 2 * 4, 1e-12, "AIC (0/1 binomial: deviance + 2p, R's)")


def test_poisson_one_factor_equals_the_closed_form(platform):
    fit = platform.use("poisson").glm(["groupb", "groupc"], "poisson")
    tol, se_tol = TOL[platform.name, "poisson"]
    sums = {level: sum(ys) for level, ys in COUNTS.items()}
    means = {level: sums[level] / len(ys) for level, ys in COUNTS.items()}
    estimate = [math.log(means["a"]), math.log(means["b"] / means["a"]), math.log(means["c"] / means["a"])]
    # the inverse Fisher information of the saturated one-factor model: 1/sum(y) per group
    std_error = [math.sqrt(1 / sums["a"]), math.sqrt(1 / sums["a"] + 1 / sums["b"]),
                 math.sqrt(1 / sums["a"] + 1 / sums["c"])]
    assert fit.terms == ["Intercept", "groupb", "groupc"] and (fit.n_obs, fit.df_resid) == (30, 27)
    assert fit.converged is True
    for i, term in enumerate(fit.terms):
        print(f"{platform.name} poisson {term}: estimate {_digits(fit.estimate[i], estimate[i]):.1f} digits, "
              f"SE {_digits(fit.std_error[i], std_error[i]):.1f} digits, {fit.iterations} iterations")
    for i, term in enumerate(fit.terms):
        _assert_rel(fit.estimate[i], estimate[i], tol, f"{term} estimate")
        _assert_rel(fit.std_error[i], std_error[i], se_tol, f"{term} SE")

    def deviance(mu: dict[str, float]) -> float:
        return 2 * sum((y * math.log(y / mu[level]) if y else 0.0) - (y - mu[level])
                       for level, ys in COUNTS.items() for y in ys)

    grand = sum(sums.values()) / 30
    _assert_rel(fit.deviance, deviance(means), tol, "deviance")
    _assert_rel(fit.null_deviance, deviance(dict.fromkeys(COUNTS, grand)), 1e-12, "null deviance")
    loglik = sum(y * math.log(means[level]) - means[level] - math.lgamma(y + 1)
                 for level, ys in COUNTS.items() for y in ys)
    _assert_rel(fit.aic, -2 * loglik + 2 * 3, tol, "AIC (R's: log y! included)")


def test_h2o_binomial_leaves_the_loaded_target_numeric(platform):
    """H2O fits a binomial GLM only on a factor target: the adapter converts a copy, never the loaded frame (an OLS
    or Poisson fit that follows needs the numeric column; a slice of the frame would have shared it)."""
    if platform.name != "h2o":
        pytest.skip("H2O only")
    adapter = platform.use("default")
    assert adapter.glm(["balance"], "binomial").terms == ["Intercept", "balance"]
    assert adapter.frame.types["default"] in ("int", "real")
