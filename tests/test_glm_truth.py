"""The certified GLM truth (mlbench/stats/glm_exact.py) against independent references: R's glm on ISLR2's
Default (its published numbers and R iterated to 1e-14, tests/fixtures/glm), Newton written here in mpmath at
50 digits on small generated cases, and separation decided on cases whose answer is known by construction."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
from pathlib import Path

import mpmath
import numpy as np
import pytest

from mlbench.errors import MlbenchError
from mlbench.stats.glm_exact import certify, deviance_certified, separation

FIXTURES = Path(__file__).parent / "fixtures" / "glm"


def digits(value: float, expected: float) -> float:
    """Correct significant digits of `value` against `expected` (inf when equal)."""
    if value == expected:
        return math.inf
    return -math.log10(abs(value - expected) / abs(expected))


def load_default() -> tuple[np.ndarray, np.ndarray]:
    with open(FIXTURES / "Default.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    X = np.array([[r["student"] == "Yes", float(r["balance"]), float(r["income"])] for r in rows], dtype=float)
    y = np.array([r["default"] == "Yes" for r in rows], dtype=float)
    return X, y


@pytest.fixture(scope="module")
def default_truth():
    X, y = load_default()
    return certify(X, y, ["studentYes", "balance", "income"], "binomial")


@pytest.fixture(scope="module")
def r_default() -> dict:
    return json.loads((FIXTURES / "default-r.json").read_text())


# ----- (a) Default against R ------------------------------------------------------------------------------------


def test_default_equals_r_to_the_digits_its_stopping_rule_allows(default_truth, r_default):
    fit, r = default_truth.fit, r_default["default"]
    assert fit is not None and default_truth.separation is None
    assert fit.terms == r["terms"] and fit.n_obs == 10000 and fit.df_resid == 9996 and fit.aliased == []
    assert default_truth.digits >= 17
    # R stops on a relative deviance change < 1e-8: its estimates are right to 8-10 digits (SOURCES.md's values)
    for value, expected in zip(fit.estimate, [-10.8690451961683, -0.646775806644788, 0.00573650525598958,
                                              3.03345012467618e-06], strict=True):
        assert digits(value, expected) >= 8
    assert digits(fit.deviance, 1571.54482757896) >= 14  # flat at the optimum: far more digits than the estimates
    assert digits(fit.null_deviance, r["null_deviance"][0]) >= 14
    assert digits(fit.aic, r["aic"][0]) >= 14
    # R's standard errors are the Fisher information at the iterate *before* its last update (summary.glm reads the
    # last IRLS step's QR): R's own default run shows it (penultimate_se equals its SEs to 13 digits), and that
    # iterate is only ~5 digits from the MLE, so R's printed SEs are right to ~4-5 digits, not 8
    for value, printed, penultimate in zip(fit.std_error, r["std_error"], r_default["penultimate_se"], strict=True):
        assert digits(printed, penultimate) >= 12
        assert 4 <= digits(value, printed) < 8


def test_default_equals_r_iterated_to_the_end_of_float64(default_truth, r_default):
    """glm.control(epsilon = 1e-14): R's estimates reach its float64 limit; its SEs still come from the previous
    iterate, now ~1e-9 away."""
    fit, r = default_truth.fit, r_default["tight"]
    for name in ("estimate", "z_value"):
        for value, expected in zip(getattr(fit, name), r[name], strict=True):
            assert digits(value, expected) >= (13 if name == "estimate" else 8)
    for value, expected in zip(fit.std_error, r["std_error"], strict=True):
        assert digits(value, expected) >= 8
    for value, expected in zip(fit.p_value, r["p_value"], strict=True):
        assert digits(value, expected) >= 5  # the tail amplifies z's relative error by z² (~600 at z = 24.7)
    assert digits(fit.deviance, r["deviance"][0]) >= 15


def test_default_covariance_is_the_inverse_fisher_information_at_the_estimates(default_truth):
    """A closed-form check in float64: (X'WX)^-1 at the certified estimates, to float64's accuracy."""
    X, y = load_default()
    A = np.column_stack([np.ones(len(y)), X])
    mu = 1 / (1 + np.exp(-(A @ np.array(default_truth.fit.estimate))))
    cov = np.linalg.inv(A.T @ (A * (mu * (1 - mu))[:, None]))
    assert np.allclose(default_truth.fit.covariance, cov, rtol=1e-9, atol=0)
    score = A.T @ (y - mu)
    assert np.all(np.abs(score) <= 1e-9 * (np.abs(A).T @ np.abs(y - mu)))


# ----- (b) small cases against Newton in mpmath at 50 digits, written here --------------------------------------


def mpmath_glm(X: np.ndarray, y: np.ndarray, family: str) -> dict:
    """Newton's method on the exact doubles at 50 digits; SEs from the inverse Fisher information."""
    with mpmath.workdps(50):
        n, p = X.shape[0], X.shape[1] + 1
        A = mpmath.matrix([[1, *(mpmath.mpf(float(v)) for v in row)] for row in X])
        yv = [mpmath.mpf(float(v)) for v in y]
        beta = mpmath.matrix(p, 1)
        if family == "poisson":
            beta[0] = mpmath.log(mpmath.fsum(yv) / n)

        def at(beta):
            mu, w = [], []
            for i in range(n):
                eta = mpmath.fsum(A[i, j] * beta[j] for j in range(p))
                m = 1 / (1 + mpmath.exp(-eta)) if family == "binomial" else mpmath.exp(eta)
                mu.append(m)
                w.append(m * (1 - m) if family == "binomial" else m)
            info = mpmath.matrix(p, p)
            score = mpmath.matrix(p, 1)
            for j in range(p):
                score[j] = mpmath.fsum(A[i, j] * (yv[i] - mu[i]) for i in range(n))
                for k in range(p):
                    info[j, k] = mpmath.fsum(A[i, j] * w[i] * A[i, k] for i in range(n))
            return mu, score, info

        for _ in range(100):
            _, score, info = at(beta)
            step = mpmath.lu_solve(info, score)
            beta += step
            if mpmath.norm(step) < mpmath.mpf(10) ** -45 * (1 + mpmath.norm(beta)):
                break
        mu, _, info = at(beta)
        cov = info ** -1
        se = [mpmath.sqrt(cov[j, j]) for j in range(p)]
        z = [beta[j] / se[j] for j in range(p)]
        if family == "binomial":
            ll = mpmath.fsum(mpmath.log(mu[i]) if yv[i] else mpmath.log(1 - mu[i]) for i in range(n))
            deviance = -2 * ll
        else:
            ll = mpmath.fsum(yv[i] * mpmath.log(mu[i]) - mu[i] - mpmath.loggamma(yv[i] + 1) for i in range(n))
            deviance = 2 * mpmath.fsum((yv[i] * mpmath.log(yv[i] / mu[i]) if yv[i] else 0) - (yv[i] - mu[i])
                                       for i in range(n))
        return {
            "estimate": [float(b) for b in beta], "std_error": [float(s) for s in se], "z_value": [float(v) for v in z],
            "p_value": [float(mpmath.erfc(abs(v) / mpmath.sqrt(2))) for v in z], "deviance": float(deviance),
            "aic": float(-2 * ll + 2 * p), "loglik": float(ll),
        }


def generated(family: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(size=n), rng.uniform(0, 1000, size=n), rng.integers(0, 2, size=n)])
    eta = 0.3 + 0.8 * X[:, 0] + 0.001 * X[:, 1] - 0.5 * X[:, 2]
    y = rng.binomial(1, 1 / (1 + np.exp(-eta))) if family == "binomial" else rng.poisson(np.exp(eta))
    return X, y.astype(float)


@pytest.mark.parametrize(("family", "n", "seed"), [("binomial", 40, 7), ("poisson", 35, 11)])
def test_small_cases_equal_newton_in_mpmath_at_50_digits(family, n, seed):
    X, y = generated(family, n, seed)
    truth = certify(X, y, ["x1", "x2", "d"], family)
    assert truth.separation is None and truth.digits >= 17
    expected = mpmath_glm(X, y, family)
    for name in ("estimate", "std_error", "z_value", "p_value"):
        for value, want in zip(getattr(truth.fit, name), expected[name], strict=True):
            assert digits(value, want) >= 15, (name, value, want)
    for name in ("deviance", "aic"):
        assert digits(getattr(truth.fit, name), expected[name]) >= 15
    assert digits(truth.loglik, expected["loglik"]) >= 15
    assert truth.fit.df_resid == n - 4
    assert deviance_certified(X, y, family) == truth.fit.deviance


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_small_poisson_case_equals_r_iterated_to_1e_14(tmp_path):
    X, y = generated("poisson", 35, 11)
    path = tmp_path / "p.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="x1,x2,d,y", comments="", fmt="%.17g")
    code = (f"d <- read.csv('{path}'); f <- glm(y ~ x1 + x2 + d, family = poisson, data = d, "
            "control = glm.control(epsilon = 1e-14, maxit = 100)); "
            "cat(sprintf('%.17g', c(coef(f), f$deviance, f$null.deviance, f$aic)), sep = '\\n')")
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=60, check=True).stdout
    r = [float(v) for v in out.split()]
    fit = certify(X, y, ["x1", "x2", "d"], "poisson").fit
    for value, expected in zip(fit.estimate, r[:4], strict=True):
        assert digits(value, expected) >= 12
    for value, expected in zip([fit.deviance, fit.null_deviance, fit.aic], r[4:], strict=True):
        assert digits(value, expected) >= 13


def test_a_wide_poisson_case_with_factor_dummies_equals_mpmath():
    """p > 8: X'WX over the box goes through the exact integer product with a float64-bounded radius."""
    rng = np.random.default_rng(5)
    n = 60
    level = rng.integers(0, 6, size=n)
    dummies = np.column_stack([(level == k).astype(float) for k in range(1, 6)])
    X = np.column_stack([rng.normal(size=n), rng.uniform(0, 1, size=n) * 1e4, rng.normal(size=(n, 3)), dummies])
    y = rng.poisson(np.exp(0.5 + 0.3 * X[:, 0] + 0.2 * dummies[:, 0])).astype(float)
    names = ["a", "b", "c", "d", "e", *(f"level{k}" for k in range(1, 6))]
    truth = certify(X, y, names, "poisson")
    assert truth.separation is None and truth.digits >= 17
    expected = mpmath_glm(X, y, "poisson")
    for name in ("estimate", "std_error", "p_value"):
        for value, want in zip(getattr(truth.fit, name), expected[name], strict=True):
            assert digits(value, want) >= 15, (name, value, want)
    assert digits(truth.fit.deviance, expected["deviance"]) >= 15


def test_the_integer_gram_encloses_what_arbs_encloses():
    """X'W X over balls of weights: the exact-integer product with its float64 radius bound and arb's own
    product are both enclosures of the same matrix, so they must overlap, with radii of the same order."""
    import flint

    from mlbench.stats import glm_exact

    rng = np.random.default_rng(3)
    n, p = 300, 10
    A = np.column_stack([np.ones(n), rng.normal(size=(n, p - 3)) * 10.0 ** rng.integers(-3, 4, size=p - 3),
                         rng.integers(0, 2, size=(n, 2))])
    with flint.ctx.workprec(128):
        model = glm_exact._Model(A, rng.poisson(2, n).astype(float), "poisson")
        for radius in (0.0, 1e-25):
            box = [flint.arb(0.1, radius)] + [flint.arb(0.0, radius)] * (p - 1)
            weights = model._weights(model._rows(box)[1])
            by_arb, by_integers = model._gram_arb(weights), model._gram_integer(weights)
            for i in range(p):
                for j in range(p):
                    assert by_arb[i, j].overlaps(by_integers[i, j])
                    assert float(by_integers[i, j].rad()) <= 100 * float(by_arb[i, j].rad()) + 1e-30 * abs(
                        float(by_arb[i, j].mid()))


def test_aliased_columns_are_dropped_in_rs_order():
    X, y = generated("binomial", 40, 7)
    doubled = np.column_stack([X[:, 0], 2 * X[:, 0], X[:, 1:]])
    truth = certify(doubled, y, ["x1", "x1twice", "x2", "d"], "binomial")
    plain = certify(X, y, ["x1", "x2", "d"], "binomial")
    assert truth.fit.aliased == ["x1twice"] and truth.fit.terms == ["Intercept", "x1", "x2", "d"]
    assert truth.fit.estimate == plain.fit.estimate and truth.fit.std_error == plain.fit.std_error


# ----- (c) separation ---------------------------------------------------------------------------------------------


def test_complete_separation_is_decided_and_every_term_moves():
    rng = np.random.default_rng(1)
    x, z = rng.normal(size=40), rng.normal(size=40)
    y = (x > 0.3).astype(float)
    # by construction: b = (-t, 1, 0) with t between the classes makes (2y-1) x_i'b > 0 on every row
    t = (x[y == 0].max() + x[y == 1].min()) / 2
    assert np.all((2 * y - 1) * (x - t) > 0)
    truth = certify(np.column_stack([x, z]), y, ["x", "z"], "binomial")
    assert truth.fit is None and truth.separation == "complete" and truth.separated_rows == 40
    assert truth.separating == ["Intercept", "x", "z"]  # the cone is open: any small tilt still separates
    assert truth.deviance_limit == 0.0


def test_quasi_complete_separation_names_the_term():
    """y = 1 iff x > 0, with both outcomes at x = 0: the direction b = (0, 1) separates all but the ties, and the
    ties force b0 = 0 (b0 >= 0 and -b0 >= 0), so x alone is unbounded."""
    x = np.array([-3, -2, -1.5, -1, -0.5, 0, 0, 0.5, 1, 2, 2.5, 3], dtype=float)
    y = np.array([0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1], dtype=float)
    truth = certify(x[:, None], y, ["x"], "binomial")
    assert truth.fit is None and truth.separation == "quasi-complete"
    assert truth.separating == ["x"] and truth.separated_rows == 10


def test_a_dummy_whose_level_has_one_outcome_is_quasi_complete_binomial_and_poisson():
    rng = np.random.default_rng(3)
    x = rng.normal(size=40)
    d = (np.arange(40) % 5 == 0).astype(float)
    y = (rng.random(40) < 0.5).astype(float)
    y[d == 1] = 0
    truth = certify(np.column_stack([x, d]), y, ["x", "d"], "binomial")
    assert (truth.separation, truth.separating, truth.separated_rows) == ("quasi-complete", ["d"], 8)
    counts = rng.poisson(3, 40).astype(float)
    counts[d == 1] = 0
    truth = certify(np.column_stack([x, d]), counts, ["x", "d"], "poisson")
    assert (truth.separation, truth.separating, truth.separated_rows) == ("quasi-complete", ["d"], 8)
    # the infimum of the deviance: the level's rows fitted exactly (mu -> 0), the rest by their own MLE
    rest = d == 0
    assert deviance_certified(np.column_stack([x, d]), counts, "poisson") == certify(
        x[rest, None], counts[rest], ["x"], "poisson").fit.deviance


def test_one_overlapping_point_gives_a_finite_mle_equal_to_mpmath():
    rng = np.random.default_rng(1)
    x, z = rng.normal(size=40), rng.normal(size=40)
    y = (x > 0.3).astype(float)
    y[np.argmax(x)] = 0  # the largest x now has y = 0: no direction separates any more
    X = np.column_stack([x, z])
    truth = certify(X, y, ["x", "z"], "binomial")
    assert truth.separation is None and truth.fit is not None and truth.digits >= 17
    # the LP's exact overlap certificate (weights > 0 with sum w_i (2y_i-1) x_i = 0) says so too
    kind, terms, overlap = separation(np.column_stack([np.ones(40), X]), y, "binomial", ["Intercept", "x", "z"])
    assert (kind, terms, overlap.tolist()) == (None, [], list(range(40)))
    expected = mpmath_glm(X, y, "binomial")
    for name in ("estimate", "std_error"):
        for value, want in zip(getattr(truth.fit, name), expected[name], strict=True):
            assert digits(value, want) >= 15


def test_a_nearly_collinear_pair_is_certified_at_higher_precision_and_equals_mpmath():
    """x2 = x1 + 1e-9 noise: the information's condition number is ~1e19, beyond float64 (IRLS does not settle)
    and beyond a 128-bit certificate of 17 digits, so the truth doubles its precision."""
    rng = np.random.default_rng(9)
    x1 = rng.normal(size=40)
    X = np.column_stack([x1, x1 + 1e-9 * rng.normal(size=40)])
    y = (rng.random(40) < 1 / (1 + np.exp(-x1))).astype(float)
    truth = certify(X, y, ["x1", "x2"], "binomial")
    assert truth.separation is None and truth.precision > 128 and truth.digits >= 17
    expected = mpmath_glm(X, y, "binomial")
    for name in ("estimate", "std_error"):
        for value, want in zip(getattr(truth.fit, name), expected[name], strict=True):
            assert digits(value, want) >= 15, (name, value, want)


def test_bad_input_is_a_one_line_error():
    X = np.zeros((3, 1))
    with pytest.raises(MlbenchError, match="0/1"):
        certify(X, np.array([0.0, 2.0, 1.0]), ["x"], "binomial")
    with pytest.raises(MlbenchError, match="counts"):
        certify(X, np.array([0.0, 1.5, 1.0]), ["x"], "poisson")
    with pytest.raises(MlbenchError, match="family"):
        certify(X, np.array([0.0, 1.0, 1.0]), ["x"], "gamma")
