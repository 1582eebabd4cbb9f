"""The reference itself against R (lm/summary, car::vif) and closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from mlbench import reference
from mlbench.datasets import load_builtin
from mlbench.design import build_design
from tests.conftest import assert_rel

R_NAMES = {"(Intercept)": "Intercept"}


@pytest.fixture(scope="module")
def advertising():
    return build_design(load_builtin("advertising").frame, "Sales")


def _check_fit(fit, r_model: dict) -> None:
    coefs = fit.coefficients()
    for r_term, r_values in r_model["coefficients"].items():
        ours = coefs[R_NAMES.get(r_term, r_term)]
        for key in ("estimate", "std_error", "t_value", "p_value"):
            assert_rel(ours[key], r_values[key])
    assert_rel(fit.r_squared, r_model["r_squared"])
    assert_rel(fit.adj_r_squared, r_model["adj_r_squared"])
    assert_rel(fit.f_statistic, r_model["f_statistic"])
    assert_rel(fit.rss, r_model["rss"])
    assert (fit.df_model, fit.df_resid) == (r_model["f_numdf"], r_model["f_dendf"])


def test_full_and_reduced_advertising_equal_r(advertising, r_advertising):
    fitter = reference.ReferenceFitter(advertising.frame, "Sales")
    _check_fit(fitter.ols(["TV", "Radio", "Newspaper"]), r_advertising["full_model"])
    _check_fit(fitter.ols(["TV", "Radio"]), r_advertising["reduced_model_tv_radio"])


def test_vif_equals_car_vif(advertising, r_advertising):
    fitter = reference.ReferenceFitter(advertising.frame, "Sales")
    vifs = fitter.vif(["TV", "Radio", "Newspaper"])
    for name, expected in r_advertising["vif_full_model"].items():
        assert_rel(vifs[name], expected)
    assert_rel(fitter.vif(["TV", "Newspaper"])["TV"], r_advertising["vif_tv_regressed_on_newspaper"])


def test_collinear_column_is_aliased_like_r():
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=50), rng.normal(size=50)
    X = np.column_stack([x1, x2, x1 + 2 * x2])  # third column is a combination: R gives NA
    y = 1 + x1 - x2 + rng.normal(scale=0.1, size=50)
    fit = reference.ols(X, y, ["a", "b", "c"])
    assert fit.aliased == ["c"]
    assert fit.terms == ["Intercept", "a", "b"]
    assert fit.df_resid == 47


def test_qr_stays_accurate_where_normal_equations_fail():
    """Closed form: y = 1 + 2 t exactly, t = 1e5 + [0, 1]: cond(A'A) ~ 1e12 hurts normal equations, not QR."""
    t = 1e5 + np.linspace(0, 1, 40)
    y = 1.0 + 2.0 * t
    fit = reference.ols(t[:, None], y, ["t"])
    assert abs(fit.estimate[1] - 2.0) < 1e-8
    naive = np.linalg.solve(np.column_stack([np.ones(40), t]).T @ np.column_stack([np.ones(40), t]),
                            np.column_stack([np.ones(40), t]).T @ y)
    assert abs(naive[1] - 2.0) > abs(fit.estimate[1] - 2.0)


def test_condition_number_reported():
    X = np.column_stack([np.arange(10.0), np.arange(10.0) ** 2])
    assert reference.condition_number(X) == pytest.approx(np.linalg.cond(np.column_stack([np.ones(10), X])))
