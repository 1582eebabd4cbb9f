"""The GLM primitives of statsmodels, R, scikit-learn (unpenalised and its penalised defaults) and TensorFlow,
each driven through a worker process as a run drives it, against independent references:

- ISLR's Default (tests/fixtures/glm/Default.csv): R 4.2.2's `summary(glm(default ~ student + balance + income,
  family = binomial))` as printed (../shared/datasets/SOURCES.md), and the SEs R computes at its own fitted
  means, `sqrt(diag(solve(crossprod(X, X * mu * (1 - mu)))))`, i.e. the Fisher information at the estimates.
  summary.glm takes its SEs from the weights of the *last IRLS iteration*, evaluated one step before the final
  estimates: with R's stopping rule (relative deviance change < 1e-8) they are right to only ~4.5 digits
  (0.4922555 printed, 0.4922726 at the MLE), while its estimates are right to ~9. statsmodels does the same
  (params and cov_params from the last weighted least squares, weights of the previous iterate); its absolute
  1e-8 on the deviance is much stricter on Default's deviance of 1571, so its SEs there are right to ~9 digits,
  but on a small deviance (the Poisson case: 17.7) its lag shows in the 5th digit too.
- A one-factor Poisson GLM, whose MLE is closed form: the intercept is the log of the baseline group's mean,
  each dummy the log of its group's mean over the baseline's; SE of log(mean) = 1/sqrt(group total).
- A completely separated case (no finite MLE): what each platform said (warned, converged or not) is recorded.
- car::vif on a glm with a factor term (GVIF) against car::vif in an R script written here, on the factor itself.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlbench.adapter import Adapter, DataSource, GLMCoefficients, GLMFit, SessionOptions
from mlbench.handle import new_handle
from mlbench.platforms.r import RAdapter
from mlbench.platforms.sklearn import SklearnAdapter, SklearnDefaultAdapter
from mlbench.platforms.statsmodels import StatsmodelsAdapter
from mlbench.platforms.tensorflow import TensorFlowAdapter
from tests.conftest import assert_rel

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "glm" / "Default.csv"
FEATURES = ["studentYes", "balance", "income"]
TERMS = ["Intercept", *FEATURES]
# R 4.2.2, summary(glm(default ~ student + balance + income, family = binomial, data = Default)) (SOURCES.md)
R_ESTIMATE = [-10.8690451961683, -0.646775806644788, 0.00573650525598958, 3.03345012467618e-06]
R_SE = [0.492255515606193, 0.236252528744965, 0.00023189451861583, 8.20261528090295e-06]
R_DEVIANCE = 1571.54482757896
R_NULL_DEVIANCE = 2920.6497113459968  # sprintf("%.17g", fit$null.deviance)
R_AIC = 1579.5448275789595  # sprintf("%.17g", fit$aic)
# R 4.2.2: X <- model.matrix(fit); mu <- fitted(fit); sqrt(diag(solve(crossprod(X, X * mu * (1 - mu)))))
R_SE_AT_ESTIMATES = [0.492272648850975, 0.236256926152088, 2.31904425194844e-04, 8.20276561129559e-06]

POISSON_GROUPS = {"A": [2, 3, 1, 4, 0, 5], "B": [7, 9, 6, 8, 10, 12], "C": [0, 1, 0, 2, 1, 0]}
POISSON_X = [0.3, 1.1, 0.8, 2.0, 0.1, 1.7, 2.5, 3.1, 1.9, 2.8, 3.3, 4.0, 0.2, 0.9, 0.4, 1.2, 0.7, 0.1]

ADAPTERS: dict[str, type[Adapter]] = {
    "statsmodels": StatsmodelsAdapter, "r": RAdapter, "sklearn": SklearnAdapter,
    "sklearn-default": SklearnDefaultAdapter, "tensorflow": TensorFlowAdapter,
}
NATIVE = ("statsmodels", "r")


def _write(frame: pd.DataFrame, directory: Path, name: str, target: str) -> DataSource:
    directory.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(directory / f"{name}.parquet", index=False)
    frame.to_csv(directory / f"{name}.csv", index=False)
    return DataSource(name, directory / f"{name}.parquet", directory / f"{name}.csv", target,
                      [c for c in frame.columns if c != target], len(frame))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("glm-data")


@pytest.fixture(scope="module")
def sources(data_dir) -> dict[str, DataSource]:
    directory = data_dir
    raw = pd.read_csv(FIXTURE)
    default = pd.DataFrame({"default": (raw["default"] == "Yes").astype(float),
                            "studentYes": (raw["student"] == "Yes").astype(float),
                            "balance": raw["balance"], "income": raw["income"]})
    groups = [g for g, ys in POISSON_GROUPS.items() for _ in ys]
    poisson = pd.DataFrame({"count": [float(y) for ys in POISSON_GROUPS.values() for y in ys],
                            "gB": [float(g == "B") for g in groups], "gC": [float(g == "C") for g in groups],
                            "x": POISSON_X})
    aliased = poisson.assign(gBcopy=poisson["gB"])
    separated = pd.DataFrame({"y": [0.0] * 4 + [1.0] * 4, "x": [float(i) for i in range(1, 9)]})
    wide = poisson.assign(x=poisson["x"] * 1000.0)  # x in the thousands, as raw money or counts often are
    i = np.arange(200)  # a 20-level factor and a trend, no random numbers: lbfgs needs > 100 iterations
    levels = pd.DataFrame({f"l{k}": (i % 20 == k).astype(float) for k in range(1, 20)})
    many = levels.assign(t=i / 10.0, count=((i * 37) % 50 + 3 * (i % 20)).astype(float))
    return {"default": _write(default, directory, "default", "default"),
            "poisson": _write(poisson, directory, "poisson", "count"),
            "aliased": _write(aliased, directory, "aliased", "count"),
            "separated": _write(separated, directory, "separated", "y"),
            "wide": _write(wide, directory, "wide", "count"),
            "many": _write(many, directory, "many", "count")}


@pytest.fixture(scope="module")
def handles(tmp_path_factory):
    """One worker per adapter, started on first use (`python -m mlbench.worker NAME`, as `--isolation process`
    runs it)."""
    directory = tmp_path_factory.mktemp("glm-workers")
    started: dict[str, Any] = {}

    def get(name: str):
        cls = ADAPTERS[name]
        available = cls.availability()
        if not available.ok:
            pytest.skip(f"{name} unavailable: {available.reason}")
        if name not in started:
            handle = new_handle(cls, "process", directory / f"{name}.log")
            handle.start_session(SessionOptions(run_dir=directory, log_path=directory / f"{name}.log"))
            started[name] = handle
        return started[name]

    yield get
    for handle in started.values():
        handle.close()


def _fit(handles, sources, name: str, data: str, features: list[str], family: str) -> GLMFit | GLMCoefficients:
    handle = handles(name)
    handle.load(sources[data])
    return handle.glm(features, family) if name in NATIVE else handle.glm_coefficients(features, family)


def _estimates(fit: GLMFit | GLMCoefficients) -> list[float]:
    return fit.estimate if isinstance(fit, GLMFit) else [fit.intercept, *fit.coefficients]


# ----- Default: binomial, against R ----------------------------------------------------------------------------


@pytest.mark.parametrize("name, tol", [("statsmodels", 1e-8), ("r", 1e-13), ("sklearn", 1e-6),
                                       pytest.param("tensorflow", 1e-8, marks=pytest.mark.tensorflow)])
def test_default_estimates_equal_r(handles, sources, name, tol):
    """Each stopping rule's digits: R's own is ~9 digits from the MLE; statsmodels (absolute deviance change
    1e-8, i.e. ~6e-12 relative here) and TensorFlow (1e-10 relative) land on it to ~9 as well; sklearn's lbfgs
    (tol 1e-4 on the gradient, unscaled columns) stops 7 digits in, within its 100 iterations."""
    fit = _fit(handles, sources, name, "default", FEATURES, "binomial")
    for got, expected in zip(_estimates(fit), R_ESTIMATE, strict=True):
        assert_rel(got, expected, tol)
    assert fit.converged is True and fit.warnings == [] and fit.iterations is not None
    assert fit.iterations <= {"statsmodels": 100, "r": 25, "sklearn": 100, "tensorflow": 100}[name]


def test_r_reports_what_summary_glm_prints(handles, sources):
    fit = _fit(handles, sources, "r", "default", FEATURES, "binomial")
    assert isinstance(fit, GLMFit) and fit.terms == TERMS and fit.aliased == [] and fit.family == "binomial"
    for got, expected in zip(fit.std_error, R_SE, strict=True):
        assert_rel(got, expected, 1e-13)
    for got, est, se in zip(fit.z_value, R_ESTIMATE, R_SE, strict=True):
        assert_rel(got, est / se, 1e-13)
    assert_rel(fit.p_value[1], 0.00618806328648239, 1e-12)  # studentYes, SOURCES.md
    assert_rel(fit.p_value[3], 0.711520342121128, 1e-12)  # income
    assert_rel(fit.deviance, R_DEVIANCE, 1e-14)
    assert_rel(fit.null_deviance, R_NULL_DEVIANCE, 1e-15)
    assert_rel(fit.aic, R_AIC, 1e-15)
    assert (fit.iterations, fit.df_resid, fit.n_obs) == (8, 9996, 10000)  # "Number of Fisher Scoring iterations: 8"
    assert fit.covariance is not None
    assert [math.sqrt(fit.covariance[i][i]) for i in range(4)] == pytest.approx(R_SE, rel=1e-13)


def test_statsmodels_ses_are_the_fisher_information_at_its_estimates(handles, sources):
    """statsmodels' SEs lag one IRLS step as R's do, but it took one more step (its absolute deviance tolerance is
    ~6e-12 relative here): they equal R's SEs at R's fitted means, not R's printed ones (5th digit)."""
    fit = _fit(handles, sources, "statsmodels", "default", FEATURES, "binomial")
    assert isinstance(fit, GLMFit) and fit.terms == TERMS
    for got, at_estimates, printed in zip(fit.std_error, R_SE_AT_ESTIMATES, R_SE, strict=True):
        assert_rel(got, at_estimates, 1e-8)
        assert 1e-6 < abs(got - printed) / printed < 1e-4
    for got, est, se in zip(fit.z_value, fit.estimate, fit.std_error, strict=True):
        assert_rel(got, est / se, 1e-14)
    assert_rel(fit.deviance, R_DEVIANCE, 1e-12)
    assert_rel(fit.null_deviance, R_NULL_DEVIANCE, 1e-13)
    assert_rel(fit.aic, R_AIC, 1e-12)  # statsmodels' -2 llf + 2k is R's AIC for the binomial
    assert (fit.df_resid, fit.n_obs, fit.aliased) == (9996, 10000, [])
    assert fit.covariance is not None and len(fit.covariance) == 4


def test_sklearn_defaults_give_a_ridge_estimate_not_the_mle(handles, sources):
    """LogisticRegression() penalises by C=1.0: on Default it lands 1-3 digits from R's MLE (studentYes off by
    5%, income by 30%), converged by its own account."""
    fit = _fit(handles, sources, "sklearn-default", "default", FEATURES, "binomial")
    errors = [abs(got - r) / abs(r) for got, r in zip(_estimates(fit), R_ESTIMATE, strict=True)]
    assert 0.01 < errors[1] < 0.2 and errors[3] > 0.1, errors
    assert fit.converged is True and fit.warnings == []


# ----- Poisson: closed form ------------------------------------------------------------------------------------


def _poisson_truth() -> dict[str, list[float] | float]:
    """The one-factor Poisson MLE in closed form: each group's fitted mean is its sample mean."""
    totals = {g: sum(ys) for g, ys in POISSON_GROUPS.items()}
    means = {g: totals[g] / len(ys) for g, ys in POISSON_GROUPS.items()}
    estimate = [math.log(means["A"]), math.log(means["B"] / means["A"]), math.log(means["C"] / means["A"])]
    se = [math.sqrt(1 / totals["A"]), math.sqrt(1 / totals["A"] + 1 / totals["B"]),
          math.sqrt(1 / totals["A"] + 1 / totals["C"])]
    every = [y for ys in POISSON_GROUPS.values() for y in ys]
    overall = sum(every) / len(every)

    def deviance(pairs: list[tuple[int, float]]) -> float:
        return 2 * sum((y * math.log(y / m) if y else 0.0) - (y - m) for y, m in pairs)

    fitted = [(y, means[g]) for g, ys in POISSON_GROUPS.items() for y in ys]
    loglik = sum(y * math.log(m) - m - math.lgamma(y + 1) for y, m in fitted)
    return {"estimate": estimate, "std_error": se, "deviance": deviance(fitted),
            "null_deviance": deviance([(y, overall) for y in every]), "aic": -2 * loglik + 2 * 3}


@pytest.mark.parametrize("name, tol", [("statsmodels", 1e-9), ("r", 1e-8), ("sklearn", 1e-4),
                                       pytest.param("tensorflow", 1e-9, marks=pytest.mark.tensorflow)])
def test_poisson_one_factor_equals_the_closed_form(handles, sources, name, tol):
    truth = _poisson_truth()
    fit = _fit(handles, sources, name, "poisson", ["gB", "gC"], "poisson")
    for got, expected in zip(_estimates(fit), truth["estimate"], strict=True):  # type: ignore[arg-type]
        assert abs(got - expected) <= tol * max(1.0, abs(expected)), (got, expected)
    if isinstance(fit, GLMFit):
        # both lag one IRLS step (module docstring): 1e-5 here (deviance 17.7), the closed form to 4-5 digits
        for got, expected in zip(fit.std_error, truth["std_error"], strict=True):  # type: ignore[arg-type]
            assert_rel(got, expected, 1e-4)
        assert_rel(fit.deviance, truth["deviance"], 1e-8)  # type: ignore[arg-type]
        assert_rel(fit.null_deviance, truth["null_deviance"], 1e-12)  # type: ignore[arg-type]
        assert_rel(fit.aic, truth["aic"], 1e-8)  # type: ignore[arg-type]
        assert fit.family == "poisson" and fit.df_resid == 15 and fit.converged is True


def test_sklearn_default_poisson_is_penalised(handles, sources):
    """PoissonRegressor() has alpha=1.0: the group contrasts shrink towards zero."""
    truth = _poisson_truth()["estimate"]
    fit = _fit(handles, sources, "sklearn-default", "poisson", ["gB", "gC"], "poisson")
    assert isinstance(fit, GLMCoefficients)
    assert abs(fit.coefficients[0]) < 0.8 * abs(truth[1]) and abs(fit.coefficients[1]) < 0.8 * abs(truth[2])  # type: ignore[index]


# ----- scikit-learn's lbfgs: when it says it stopped short, and when it does not ------------------------------


def test_sklearn_convergence_warning_is_recorded_as_not_converged(handles, sources):
    features = [c for c in pd.read_parquet(sources["many"].parquet_path).columns if c != "count"]
    fit = _fit(handles, sources, "sklearn", "many", features, "poisson")
    assert isinstance(fit, GLMCoefficients) and fit.converged is False and fit.iterations == 100
    assert len(fit.warnings) == 1 and fit.warnings[0].startswith("ConvergenceWarning: lbfgs failed to converge")
    reference = _fit(handles, sources, "statsmodels", "many", features, "poisson")
    assert reference.converged is True and reference.warnings == []


def test_sklearn_poisson_on_a_wide_scale_stops_silently_at_the_start(handles, sources):
    """With x in the thousands, PoissonRegressor(alpha=0)'s lbfgs ends after one iteration ("RELATIVE REDUCTION
    OF F <= FACTR*EPSMCH", a gradient of ~4e3 left) with the slope still at its start, 0: no warning, so the
    record says converged, and only the grade against the MLE (statsmodels' slope here) shows the answer wrong."""
    fit = _fit(handles, sources, "sklearn", "wide", ["x"], "poisson")
    reference = _fit(handles, sources, "statsmodels", "wide", ["x"], "poisson")
    assert isinstance(fit, GLMCoefficients) and isinstance(reference, GLMFit)
    assert fit.converged is True and fit.warnings == [] and fit.iterations == 1 and fit.coefficients == [0.0]
    assert reference.converged is True and abs(reference.estimate[1]) > 5 * reference.std_error[1]


# ----- aliased columns -----------------------------------------------------------------------------------------


def test_aliased_column_r_drops_it_statsmodels_warns(handles, sources):
    truth = _poisson_truth()
    r_fit = _fit(handles, sources, "r", "aliased", ["gB", "gC", "gBcopy"], "poisson")
    assert isinstance(r_fit, GLMFit)
    assert r_fit.aliased == ["gBcopy"] and r_fit.terms == ["Intercept", "gB", "gC"]
    assert r_fit.estimate == pytest.approx(truth["estimate"], rel=1e-8)
    assert r_fit.covariance is not None and len(r_fit.covariance) == 3
    sm_fit = _fit(handles, sources, "statsmodels", "aliased", ["gB", "gC", "gBcopy"], "poisson")
    assert isinstance(sm_fit, GLMFit) and sm_fit.aliased == [] and len(sm_fit.terms) == 4
    assert any(w.startswith("SingularMatrixWarning:") for w in sm_fit.warnings), sm_fit.warnings
    # the pseudo-inverse splits gB's effect evenly between the two copies: the minimum-norm solution
    assert sm_fit.estimate[1] == pytest.approx(truth["estimate"][1] / 2, rel=1e-7)  # type: ignore[index]
    assert sm_fit.estimate[3] == pytest.approx(sm_fit.estimate[1], rel=1e-7)


# ----- separation: what each platform says ---------------------------------------------------------------------


def test_separated_data_each_platform_says_what_it_says(handles, sources):
    """y = 0 for x <= 4, 1 for x >= 5: no finite MLE. Everyone returns finite numbers with a large slope; only
    the record tells them apart: statsmodels warns (PerfectSeparationWarning) yet reports converged, R warns
    that fitted probabilities are 0 or 1 and also reports converged, scikit-learn's lbfgs stops on its gradient
    tolerance and says nothing."""
    fits = {name: _fit(handles, sources, name, "separated", ["x"], "binomial")
            for name in ("statsmodels", "r", "sklearn")}
    for name, fit in fits.items():
        slope = _estimates(fit)[1]
        assert math.isfinite(slope) and slope > 10, (name, slope)
    assert fits["statsmodels"].converged is True
    assert any(w.startswith("PerfectSeparationWarning:") for w in fits["statsmodels"].warnings)
    assert fits["r"].warnings == ["glm.fit: fitted probabilities numerically 0 or 1 occurred"]
    assert fits["r"].converged is True and fits["r"].iterations == 25
    assert fits["sklearn"].warnings == [] and fits["sklearn"].converged is True


@pytest.mark.tensorflow
def test_separated_data_tensorflow_newton_stops_on_a_non_finite_step(handles, sources):
    fit = _fit(handles, sources, "tensorflow", "separated", ["x"], "binomial")
    assert isinstance(fit, GLMCoefficients) and fit.converged is False
    assert len(fit.warnings) == 1 and fit.warnings[0].startswith("non-finite Newton step at step ")
    assert math.isfinite(fit.coefficients[0]) and fit.coefficients[0] > 10


# ----- car::vif on a glm ---------------------------------------------------------------------------------------


def _car_vif_on_the_factor(directory: Path) -> dict[str, float]:
    """car::vif(glm(count ~ g + x, poisson)) with g a real R factor (not rebuilt from dummies)."""
    groups = [g for g, ys in POISSON_GROUPS.items() for _ in ys]
    counts = [y for ys in POISSON_GROUPS.values() for y in ys]
    path = directory / "factor.csv"
    pd.DataFrame({"count": counts, "g": groups, "x": POISSON_X}).to_csv(path, index=False)
    script = (f"suppressMessages(library(car)); d <- read.csv('{path}', stringsAsFactors = TRUE); "
              "v <- vif(glm(count ~ g + x, family = poisson, data = d)); "
              "cat(sprintf('%.17g', v[, 'GVIF']), sep = ' ')")
    out = subprocess.run(["Rscript", "--no-init-file", "-e", script], capture_output=True, text=True, timeout=120,
                         check=True)
    return dict(zip(["g", "x"], map(float, out.stdout.split()), strict=True))


def test_r_glm_vif_equals_car_on_the_factor(handles, sources, data_dir):
    handle = handles("r")  # skips where R is unavailable
    expected = _car_vif_on_the_factor(data_dir)
    handle.load(sources["poisson"])
    got = handle.glm_vif(["gB", "gC", "x"], "poisson", {"g": ["gB", "gC"], "x": ["x"]})
    assert got == pytest.approx(expected, rel=1e-12)
    assert expected["g"] > 1.5  # the covariate is correlated with the factor: a GVIF worth testing
    per_column = handle.glm_vif(["gB", "x"], "poisson")
    assert set(per_column) == {"gB", "x"} and all(v >= 1 for v in per_column.values())


def test_r_glm_vif_on_default_equals_car(handles, sources):
    """R 4.2.2, car 3.1.1: car::vif(glm(default ~ ., binomial, d)) on the 0/1-coded design."""
    handle = handles("r")
    handle.load(sources["default"])
    got = handle.glm_vif(FEATURES, "binomial")
    expected = {"studentYes": 2.7611836277060675, "balance": 1.0769463755238893, "income": 2.6745623238830314}
    assert got == pytest.approx(expected, rel=1e-13)


# ----- declarations --------------------------------------------------------------------------------------------


def _support(cls: type[Adapter], step: str, variant: str | None = None) -> str:
    declared = cls.declared(step, variant)
    assert declared is not None, (cls.name, step, variant)
    return declared.support.value


def test_declarations():
    for family in ("binomial", "poisson"):
        assert {name: _support(cls, "glm", family) for name, cls in ADAPTERS.items()} == {
            "statsmodels": "native", "r": "native", "sklearn": "emulated", "sklearn-default": "emulated",
            "tensorflow": "emulated"}
        assert _support(RAdapter, "glm_vif", family) == "native"
    assert "C=np.inf" in SklearnAdapter.capabilities["glm:binomial"].how
    assert "C=1.0" in SklearnDefaultAdapter.capabilities["glm:binomial"].how
    assert _support(SklearnDefaultAdapter, "pvalues") == "unsupported"
    from mlbench.platforms.xgboost import XGBoostAdapter

    assert _support(XGBoostAdapter, "glm", "binomial") == "unsupported"
    assert "gblinear" in XGBoostAdapter.capabilities["glm:binomial"].reason
