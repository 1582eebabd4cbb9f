"""The truth reference itself: NIST's certified values, R's answers, exact aliasing, closed forms, the fallback."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlbench import nist
from mlbench.adapter import OLSFit
from mlbench.datasets import load_builtin, load_nist
from mlbench.design import build_design
from mlbench.grading import correct_digits
from mlbench.stats import exact, reference
from tests.conftest import assert_rel

R_NAMES = {"(Intercept)": "Intercept"}
SUITE = [c for c in nist.suite()]


def _digits(got: float, truth: float) -> float:
    """Correct significant digits, written here independently of mlbench.grading (0 truth: absolute)."""
    if got == truth:
        return 16.0
    return -math.log10(abs(got - truth) / abs(truth)) if truth != 0 else -math.log10(abs(got))


def _truth_fit(case: nist.NistCase) -> OLSFit:
    data = exact.ExactData.from_rationals(case.exact)
    return exact.ols(data, "y", list(case.features), intercept=case.intercept)


@pytest.mark.parametrize("case", SUITE, ids=[c.key for c in SUITE])
def test_reference_reproduces_every_certified_value(case):
    """Coefficients, their standard deviations, residual SD, R² and F, to >= 12 digits, nothing aliased."""
    fit = _truth_fit(case)
    cert = case.certified
    assert fit.aliased == [] and fit.terms == list(cert["coefficients"])
    for term, estimate, se in zip(fit.terms, fit.estimate, fit.std_error, strict=True):
        assert _digits(estimate, cert["coefficients"][term]) >= 12, (term, estimate)
        if cert["std_errors"][term] == 0:  # Wampler1/2: an exact fit
            assert se == 0.0
        else:
            assert _digits(se, cert["std_errors"][term]) >= 12, (term, se)
    residual_sd = math.sqrt(fit.rss / fit.df_resid)
    assert residual_sd == 0.0 if cert["residual_sd"] == 0 else _digits(residual_sd, cert["residual_sd"]) >= 12
    assert _digits(fit.r_squared, cert["r_squared"]) >= 12
    assert fit.f_statistic == cert["f_statistic"] if math.isinf(cert["f_statistic"]) else (
        _digits(fit.f_statistic, cert["f_statistic"]) >= 12)


def test_filip_through_the_run_path_keeps_x10_and_reports_the_float64_ceiling():
    """The reference a run builds for nist-filip: exact decimal data, x10 estimated (R's lm drops it), and the
    float64 rounding of x^k alone leaves about 7.7 digits to any platform."""
    dataset = load_nist("nist-filip")
    design = build_design(dataset.frame, "y")
    fitter = reference.ReferenceFitter(design.frame, "y", dataset.exact)
    fit = fitter.ols(design.features)
    assert fit.aliased == [] and "x10" in fit.terms
    assert _digits(fit.estimate[-1], dataset.truth["certified"]["coefficients"]["x10"]) >= 12
    assert fitter.meta["engine"] == reference.ENGINE_EXACT
    assert 7.0 <= fitter.float64_input_digits() <= 8.5


def test_exact_duplicate_and_dummy_trap_are_aliased_but_a_near_duplicate_is_not():
    rng = np.random.default_rng(0)
    n = 40
    x = rng.normal(size=n)
    group = rng.integers(0, 2, size=n).astype(float)
    frame = pd.DataFrame({"x": x, "x2": 2.0 * x, "g1": group, "g0": 1.0 - group, "near": x * (1 + 1e-12)})
    frame["y"] = 1.0 + x + group + rng.normal(scale=0.1, size=n)
    fitter = reference.ReferenceFitter(frame, "y")
    fit = fitter.ols(["x", "x2", "g1", "g0"])
    assert fit.aliased == ["x2", "g0"]  # 2*x exactly; g0 = 1 - g1 exactly (the dummy trap)
    assert set(fit.not_estimable) == {"Intercept", "x", "x2", "g1", "g0"}
    assert fit.df_resid == n - 3
    near = fitter.ols(["x", "near"])
    assert near.aliased == [] and near.terms == ["Intercept", "x", "near"]  # ill-conditioned, not collinear


def test_equals_r_on_advertising(r_advertising):
    """R agrees with the exact answer to 1e-10 or better here; so must the reference."""
    design = build_design(load_builtin("advertising").frame, "Sales")
    fitter = reference.ReferenceFitter(design.frame, "Sales")
    for features, model in ((["TV", "Radio", "Newspaper"], "full_model"), (["TV", "Radio"], "reduced_model_tv_radio")):
        fit, r_model = fitter.ols(features), r_advertising[model]
        coefs = fit.coefficients()
        for r_term, r_values in r_model["coefficients"].items():
            for key in ("estimate", "std_error", "t_value", "p_value"):
                assert_rel(coefs[R_NAMES.get(r_term, r_term)][key], r_values[key], 1e-10)
        for key in ("r_squared", "adj_r_squared", "f_statistic", "rss"):
            assert_rel(getattr(fit, key), r_model[key], 1e-10)
        assert (fit.df_model, fit.df_resid) == (r_model["f_numdf"], r_model["f_dendf"])
    vifs = fitter.vif(["TV", "Radio", "Newspaper"])
    for name, expected in r_advertising["vif_full_model"].items():
        assert_rel(vifs[name], expected, 1e-10)


def test_equals_r_leaps_on_hitters(r_hitters_subsets):
    design = build_design(load_builtin("hitters").frame, "Salary")
    fitter = reference.ReferenceFitter(design.frame, "Salary")
    assert fitter.meta["engine"] == reference.ENGINE_EXACT
    for row in r_hitters_subsets["best_by_size"]:
        assert_rel(fitter.rss(row["variables"]), row["rss"], 1e-10)
    path = fitter.subset_path("best", design.features, 6)
    for row in r_hitters_subsets["best_by_size"]:
        chosen, rss = path[row["size"]]
        assert set(chosen) == set(row["variables"])
        assert_rel(rss, row["rss"], 1e-10)


def test_closed_form_exact_fit_has_zero_standard_errors_and_infinite_t():
    """y = 1 + 2t exactly with t = 1e5 + small steps: normal equations in float64 lose digits, the truth none."""
    t = 1e5 + np.arange(40) / 64.0  # exact binary fractions: y is exact in float64 too
    frame = pd.DataFrame({"t": t, "y": 1.0 + 2.0 * t})
    fit = reference.ReferenceFitter(frame, "y").ols(["t"])
    assert fit.estimate == [1.0, 2.0] and fit.std_error == [0.0, 0.0]
    assert fit.t_value == [math.inf, math.inf] and fit.p_value == [0.0, 0.0]
    assert fit.r_squared == 1.0 and fit.f_statistic == math.inf and fit.rss == 0.0


def test_float64_fallback_states_digits_it_delivers(monkeypatch):
    """Above the exact budget: float64 QR with refinement, whose stated digits hold against the exact answer on
    the same float64 design (NIST's hardest cases and Hitters' career totals)."""
    designs = {key: build_design(load_nist(f"nist-{key}").frame, "y") for key in ("longley", "filip", "wampler4")}
    designs["hitters"] = build_design(load_builtin("hitters").frame, "Salary")
    truths = {key: reference.ReferenceFitter(d.frame, d.target).ols(d.features) for key, d in designs.items()}
    monkeypatch.setattr(exact, "EXACT_BUDGET", 0)
    for key, design in designs.items():
        fitter = reference.ReferenceFitter(design.frame, design.target)
        assert fitter.meta["engine"] == reference.ENGINE_FLOAT and fitter.data is None
        fit, truth = fitter.ols(design.features), truths[key]
        achieved = min(correct_digits(g, t) for g, t in zip(fit.estimate + fit.std_error,
                                                             truth.estimate + truth.std_error, strict=True))
        assert achieved >= fitter.cap, (key, achieved, fitter.meta)
