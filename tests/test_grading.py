"""The truth grade on hard data without certified values: a Wampler-style exact polynomial and a Longley-style
ill-conditioned design, built here, with their truth computed here in 60-digit mpmath (not by mlbench).

The grade must never call an answer with fewer than 4 correct digits "agrees", and never call one with 8 or more
digits on every quantity a disagreement. Answers: real platforms' (statsmodels, scikit-learn), textbook solvers
(normal equations, float32) and the truth perturbed by a known number of digits.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pandas as pd
import pytest

from mlbench.design import build_design
from mlbench.grading import correct_digits, grade_pvalues
from mlbench.stats import procedures
from mlbench.stats.reference import ReferenceFitter
from tests.helpers import answer, mp_least_squares

mpmath.mp.dps = 60


def wampler_style() -> pd.DataFrame:
    """y = 3 - 2x + x² + 0.5x³ - 0.25x⁴ + 0.125x⁵ exactly (dyadic coefficients, integer x: exact in float64)."""
    x = np.arange(21, dtype=float)
    y = 3 - 2 * x + x**2 + 0.5 * x**3 - 0.25 * x**4 + 0.125 * x**5
    return pd.DataFrame({f"x{k}": x**k for k in range(1, 6)} | {"y": y})


def longley_style() -> pd.DataFrame:
    """Macro-like series: a year column, large collinear trends, integer response; condition number ~1e8."""
    rng = np.random.default_rng(3)
    year = np.arange(1947.0, 1967.0)
    trend = (year - 1947) / 19
    gnp = np.round(230000 + 330000 * trend + rng.normal(0, 3000, 20))
    pop = np.round(107000 + 23000 * trend + rng.normal(0, 300, 20))
    deflator = np.round(83 + 34 * trend + rng.normal(0, 0.5, 20), 1)
    unemployed = np.round(rng.uniform(1800, 4800, 20))
    y = np.round(-3.4e6 + 1800 * year + 0.03 * gnp - 0.5 * pop - 1.0 * unemployed + rng.normal(0, 300, 20))
    return pd.DataFrame({"deflator": deflator, "gnp": gnp, "unemployed": unemployed, "pop": pop, "year": year,
                         "y": y})


def mp_truth(frame: pd.DataFrame) -> dict:
    """summary.lm in 60-digit arithmetic, from the float64 values exactly (mpmath converts floats exactly)."""
    features = [c for c in frame.columns if c != "y"]
    n, k = len(frame), len(features) + 1
    y, gram_inv, beta, rss = mp_least_squares(frame)
    mean = sum(y) / n
    tss = sum((v - mean) ** 2 for v in y)
    if rss < tss * mpmath.mpf(10) ** -40:  # an exact fit, but for the rounding of 60-digit arithmetic
        rss = mpmath.mpf(0)
    df = n - k
    coefficients = {}
    for i, term in enumerate(["Intercept", *features]):
        se = mpmath.sqrt(rss / df * gram_inv[i, i])
        if se == 0:
            t, p = math.copysign(math.inf, float(beta[i])), 0.0
        else:
            t = beta[i] / se
            p = mpmath.betainc(mpmath.mpf(df) / 2, mpmath.mpf(1) / 2, 0, df / (df + t**2), regularized=True)
        coefficients[term] = {"estimate": float(beta[i]), "std_error": float(se), "t_value": float(t),
                              "p_value": float(p)}
    r2 = 1 - rss / tss
    f = math.inf if rss == 0 else float((tss - rss) / (k - 1) / (rss / df))
    return {"coefficients": coefficients, "r_squared": float(r2), "adj_r_squared": float(1 - (1 - r2) * (n - 1) / df),
            "f_statistic": f, "rss": float(rss), "aliased": [], "dropped": []}


def mp_tss(frame: pd.DataFrame) -> float:
    """The target's total sum of squares, in 60-digit arithmetic."""
    y = [mpmath.mpf(float(v)) for v in frame["y"]]
    mean = sum(y) / len(y)
    return float(sum((v - mean) ** 2 for v in y))


def independent_digits(got: dict, truth: dict, tss: float) -> float:
    """The minimum correct digits over every quantity, written apart from mlbench.grading (same scales: an SE
    against max(SE, |estimate|), RSS against TSS)."""
    def lre(g, t, absolute=False, zero_scale=1.0, unit=False):
        if math.isinf(t):
            return 15.0 if g == t else (0.0 if g == 0 else min(15.0, max(0.0, -math.log10(abs(1 / g)))))
        if not math.isfinite(g):
            return 0.0
        if unit:  # t, R², adj. R² can be near or cross zero: relative to max(|truth|, 1)
            err = abs(g - t) / max(abs(t), 1.0)
        else:
            err = abs(g - t) if absolute else (abs(g) / zero_scale if t == 0 else abs(g - t) / abs(t))
        return 15.0 if err == 0 else min(15.0, max(0.0, -math.log10(err)))

    digits = []
    for term, tv in truth["coefficients"].items():
        gv = got["coefficients"][term]
        digits.append(lre(gv["estimate"], tv["estimate"], zero_scale=tv["std_error"] or 1.0))
        scale = max(tv["std_error"], abs(tv["estimate"]))
        digits.append(lre(gv["std_error"] / scale, tv["std_error"] / scale, absolute=True) if scale else 15.0)
        digits.append(lre(gv["t_value"], tv["t_value"], unit=True))
        digits.append(lre(gv["p_value"], tv["p_value"], absolute=True))
    for key in ("r_squared", "adj_r_squared", "f_statistic"):
        digits.append(lre(got[key], truth[key], unit=key in ("r_squared", "adj_r_squared")))
    digits.append(lre(got["rss"] / tss, truth["rss"] / tss, absolute=True))
    return min(digits)


class _Solver:
    """A 'platform' that solves OLS in a given way; inference as summary.lm computes it from its estimates."""

    def __init__(self, frame: pd.DataFrame, how: str) -> None:
        self.frame, self.how = frame, how

    def ols(self, features):
        from mlbench.stats.emulate import ols_inference

        X = self.frame[features].to_numpy(float)
        y = self.frame["y"].to_numpy(float)
        A = np.column_stack([np.ones(len(y)), X])
        if self.how == "normal equations":
            beta = np.linalg.solve(A.T @ A, A.T @ y)
        elif self.how == "float32":
            beta = np.linalg.lstsq(A.astype(np.float32), y.astype(np.float32), rcond=None)[0].astype(float)
        else:
            beta = np.linalg.lstsq(A, y, rcond=None)[0]
        return ols_inference(X, y, beta[0], beta[1:], features)


def _perturbed(truth: dict, digits: float, rng: np.random.Generator) -> dict:
    """The truth with every coefficient quantity moved by a relative 10^-digits (p-values absolutely)."""
    out = {**truth, "coefficients": {}}
    for term, values in truth["coefficients"].items():
        moved = {}
        for key, value in values.items():
            step = 10.0 ** -digits * rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 1.5)
            if key == "p_value":
                moved[key] = min(1.0, max(0.0, value + step))
            elif math.isinf(value):
                moved[key] = value
            elif value == 0.0:
                scale = abs(values["estimate"]) if key == "std_error" else 1.0
                moved[key] = abs(step) * scale
            else:
                moved[key] = value * (1 + step)
        out["coefficients"][term] = moved
    return out


@pytest.mark.parametrize("build", [wampler_style, longley_style])
def test_grade_never_passes_under_4_digits_nor_fails_over_8(build):
    frame = build()
    features = [c for c in frame.columns if c != "y"]
    truth = mp_truth(frame)
    answers = {}
    for how in ("lstsq", "normal equations", "float32"):
        answers[how] = procedures.pvalues(_Solver(frame, how), features, 1.0)
    from mlbench.platforms.sklearn import SklearnAdapter
    from mlbench.platforms.statsmodels import StatsmodelsAdapter

    design = build_design(frame, "y")
    for cls in (StatsmodelsAdapter, SklearnAdapter):
        adapter = cls()
        adapter.frame, adapter.target, adapter.features = frame, "y", features
        answers[cls.name] = answer(adapter, "pvalues", design, alpha=1.0)
    rng = np.random.default_rng(0)
    for d in (1.0, 2.0, 3.0, 3.9, 4.5, 5.5, 7.0, 8.0, 9.0, 12.0):
        answers[f"truth moved by 1e-{d}"] = _perturbed(truth, d, rng)
    seen = {"agree": 0, "differ": 0}
    tss = mp_tss(frame)
    for label, got in answers.items():
        verdict = grade_pvalues(got, truth, 6.0, truth={"tss": tss})
        mine = independent_digits(got, truth, tss)
        assert abs(verdict["min_digits"] - mine) < 0.02, (label, verdict["min_digits"], mine)
        if verdict["agrees"]:
            assert mine >= 4.0, (label, mine, verdict)
        if mine >= 8.0:
            assert verdict["agrees"], (label, mine, verdict)
        seen["agree" if verdict["agrees"] else "differ"] += 1
    assert seen["agree"] >= 3 and seen["differ"] >= 3, seen  # the set of answers exercises both verdicts


@pytest.mark.parametrize("build", [wampler_style, longley_style])
def test_mlbench_reference_equals_60_digit_truth(build):
    frame = build()
    features = [c for c in frame.columns if c != "y"]
    got = procedures.pvalues(ReferenceFitter(frame, "y"), features, 1.0)
    verdict = grade_pvalues(got, mp_truth(frame), 14.0)
    assert verdict["agrees"], verdict


def test_scales_for_exact_fits_underflow_and_zero_truths():
    assert correct_digits(1e14, math.inf) == pytest.approx(14.0)  # t of an exact fit: 1/t = 1e-14 off 0
    assert correct_digits(math.inf, math.inf) == 15.0 and correct_digits(-1e14, math.inf) == 0.0
    assert correct_digits(0.0, 1.5e-81, absolute=True) == 15.0  # an underflowed p-value is right
    assert correct_digits(0.8599, 0.8601, absolute=True) == pytest.approx(3.7, abs=0.01)
    assert correct_digits(3e-11, 0.0, zero_scale=1.0) == pytest.approx(10.52, abs=0.01)  # a zero SE
    assert correct_digits(None, None) == 15.0 and correct_digits(None, 1.0) == 0.0
    assert correct_digits(math.nan, math.nan) == 15.0 and correct_digits(2.0, math.nan) == 0.0
    assert correct_digits(1.0 + 1e-20, 1.0) == 15.0 and correct_digits(1.1, 1.0) == pytest.approx(1.0)


def test_quantities_that_cross_zero_are_graded_on_their_natural_scale():
    """A t of 0.001 or an adj. R² of -0.0002 is read against a unit, not against itself: an error of 1e-7 is 7
    digits (relative to the truth it would be 4); away from zero the grade stays relative."""
    from mlbench.grading import correct_digits, fit_digits

    assert correct_digits(0.0010001, 0.001, floor=1.0) == pytest.approx(7.0, abs=0.01)
    assert correct_digits(0.0010001, 0.001) == pytest.approx(4.0, abs=0.01)
    ref = {"adj_r_squared": -0.0002, "r_squared": 0.01, "rss": 99.0}
    assert fit_digits({"adj_r_squared": -0.00020001}, ref, "adj_r_squared") == pytest.approx(8.0, abs=0.01)
    assert fit_digits({"adj_r_squared": 0.00020001}, ref, "adj_r_squared") < 4  # the sign is wrong: 3.4 digits
    assert correct_digits(123.4567, 123.4568, floor=1.0) == pytest.approx(correct_digits(123.4567, 123.4568))


def test_a_zero_truth_and_a_tiny_one_are_read_alike():
    """No step at 0: an SE of 3e-11 (estimate 1) is 10.5 digits whether the true SE is 0 or 1e-16; an exact fit's
    RSS and a near-exact one's are both read against TSS (the truth's, known where R² = 1 hides it)."""
    from mlbench.grading import coefficient_digits, fit_digits

    zero = coefficient_digits({"std_error": 3e-11}, {"estimate": 1.0, "std_error": 0.0})["std_error"]
    tiny = coefficient_digits({"std_error": 3e-11}, {"estimate": 1.0, "std_error": 1e-16})["std_error"]
    assert zero == pytest.approx(10.52, abs=0.01) and tiny == pytest.approx(zero, abs=1e-4)
    assert coefficient_digits({"std_error": 0.10001}, {"estimate": 0.01, "std_error": 0.1})["std_error"] == \
        pytest.approx(4.0, abs=0.01)  # an SE above its estimate: relative, as before
    exact_fit = {"rss": 0.0, "r_squared": 1.0}
    assert fit_digits({"rss": 5.0}, exact_fit, "rss") == 0.0  # no TSS known: against 1, as before
    assert fit_digits({"rss": 0.5}, exact_fit, "rss", tss=7.7e26) == 15.0
    assert fit_digits({"rss": 0.5}, {"rss": 1e-30, "r_squared": 1.0}, "rss", tss=7.7e26) == 15.0
    assert fit_digits({"rss": 2.0}, {"rss": 1.0, "r_squared": 0.5}, "rss") == pytest.approx(0.3, abs=0.01)


def test_an_answer_within_a_digit_of_its_ceiling_is_at_float64s_floor():
    """The floor: a quantity counts at min(digits, ceiling) and passes within FLOOR_SLACK of its ceiling, however
    low; below that, or NaN, it is graded as before."""
    ref = {"coefficients": {"x": {"estimate": 2.0, "std_error": 1e-16, "t_value": 2e16, "p_value": 0.0}},
           "aliased": [], "dropped": []}
    got = {"coefficients": {"x": {"estimate": 2.0, "std_error": 6e-17, "t_value": 3.3e16, "p_value": 0.0}},
           "aliased": [], "dropped": []}
    plain = grade_pvalues(got, ref, 6.0)
    assert not plain["agrees"] and plain["grade"] == "differs: 0.2 digits (t_value of x)"  # |3.3 - 2| / 2
    floor = grade_pvalues(got, ref, 6.0, truth={"ceiling": {"t_value|x": 0.9, "estimate|x": 13.0}})
    assert floor["agrees"] and floor["grade"] == "agrees: at float64's floor (t_value)"
    assert floor["floor"] == ["t_value"] and floor["ceiling"] == {"t_value": 0.9, "estimate": 13.0}
    assert floor["min_digits"] == pytest.approx(0.19, abs=0.01) and floor["digits"]["estimate"] == 15.0
    far = grade_pvalues(got, ref, 6.0, truth={"ceiling": {"t_value|x": 1.3}})  # more than a digit below
    assert not far["agrees"] and far["grade"] == "differs: 0.2 digits (t_value of x)"
    wrong = {"coefficients": {"x": {**got["coefficients"]["x"], "estimate": 2.0 + 2e-5}}, "aliased": [],
             "dropped": []}
    verdict = grade_pvalues(wrong, ref, 6.0, truth={"ceiling": {"t_value|x": 0.9, "estimate|x": 13.0}})
    assert not verdict["agrees"] and verdict["grade"] == "differs: 5.0 digits (estimate of x)"  # t's floor aside
    nan = {"coefficients": {"x": {**got["coefficients"]["x"], "t_value": math.nan}}, "aliased": [], "dropped": []}
    assert not grade_pvalues(nan, ref, 6.0, truth={"ceiling": {"t_value|x": 0.9}})["agrees"]
