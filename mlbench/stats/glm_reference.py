"""The truth reference for GLM cells: one function, `certified_fit`, answers every GLM fit the procedures ask of
the truth, and `GLMReference` drives it as the procedures drive a platform.

`certified_fit` is the single place the truth's GLM comes from, so the certified MLE of
`mlbench.stats.glm_exact` (issue 31: interval Newton in python-flint, separation decided exactly) replaces it
in one line. Until then it is float64 IRLS iterated to machine precision, then Newton steps on the score in
extended precision (numpy longdouble, 64-bit mantissa) until the step stops shrinking, and the Fisher
information inverted in the same precision: 2-3 digits beyond what float64 can hold, so a platform's float64
answer is graded against a truth that is not itself the limit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlbench.adapter import GLMFit
from mlbench.errors import MlbenchError
from mlbench.stats import glm

ENGINE = "GLM MLE: float64 IRLS, then Newton in extended precision (numpy longdouble)"
DIGITS = 18.0  # longdouble's 64-bit mantissa: ~19 significant digits, one kept for rounding


def _cholesky_inverse(h: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive definite matrix in longdouble (numpy.linalg has no longdouble)."""
    k = len(h)
    lower = np.zeros_like(h)
    for j in range(k):
        d = h[j, j] - np.dot(lower[j, :j], lower[j, :j])
        if not d > 0:
            raise MlbenchError("the GLM's Fisher information is singular: the design has collinear columns")
        lower[j, j] = np.sqrt(d)
        for i in range(j + 1, k):
            lower[i, j] = (h[i, j] - np.dot(lower[i, :j], lower[j, :j])) / lower[j, j]
    inv_lower = np.zeros_like(h)
    for j in range(k):
        inv_lower[j, j] = 1 / lower[j, j]
        for i in range(j + 1, k):
            inv_lower[i, j] = -np.dot(lower[i, j:i], inv_lower[j:i, j]) / lower[i, i]
    return inv_lower.T @ inv_lower


def _mean(family: str, eta: np.ndarray) -> np.ndarray:
    return np.exp(eta) if family == "poisson" else 1 / (1 + np.exp(-eta))


def certified_fit(X: np.ndarray, y: np.ndarray, features: list[str], family: str) -> GLMFit:
    """The truth's GLM fit of y on the columns `features` of X (plus an intercept) for `family`: estimates,
    SEs, z and p as R's `summary(glm())` defines them, at the MLE to extended precision. Every GLM answer of the
    truth comes from here (the swap point for the certified MLE)."""
    from scipy import stats

    beta64, iterations, converged = glm.irls(family, X, y, tol=1e-15, maxit=200)
    A = glm.design(X).astype(np.longdouble)
    yl = y.astype(np.longdouble)
    beta = beta64.astype(np.longdouble)
    warnings: list[str] = [] if converged else ["IRLS did not converge in 200 iterations"]
    A64 = glm.design(X)
    last = math.inf
    for _ in range(8):  # Newton on the score A'(y - mu) = 0, stopped once the step no longer shrinks
        mu = _mean(family, A @ beta)
        w = mu if family == "poisson" else mu * (1 - mu)
        # the score in extended precision decides where the step ends; the Hessian only how fast it gets there,
        # so float64 (BLAS) serves for it: a quasi-Newton step whose fixed point is the extended-precision root
        info64 = A64.T @ (A64 * w.astype(float)[:, None])
        step = np.linalg.solve(info64, (A.T @ (yl - mu)).astype(float)).astype(np.longdouble)
        size = float(np.max(np.abs(step) / (np.abs(beta) + np.longdouble(1e-300))))
        if size >= last:
            break
        beta = beta + step
        last = size
        if size < 1e-19:
            break
    mu = _mean(family, A @ beta)
    w = mu if family == "poisson" else mu * (1 - mu)
    cov = _cholesky_inverse(np.einsum("ij,ik->jk", A, A * w[:, None]))
    se = np.sqrt(np.diag(cov))
    z = beta / se
    if family == "binomial" and (np.min(mu) < 1e-12 or np.max(mu) > 1 - 1e-12):
        warnings.append("fitted probabilities numerically 0 or 1 occurred")
    n, k = A.shape
    mu64 = mu.astype(float)
    return GLMFit(
        family=family, terms=["Intercept", *features], estimate=[float(b) for b in beta],
        std_error=[float(s) for s in se], z_value=[float(v) for v in z],
        p_value=[float(2 * stats.norm.sf(abs(float(v)))) for v in z],
        deviance=_deviance(family, yl, mu), null_deviance=glm.null_deviance(family, y),
        aic=_deviance(family, yl, mu) + 2 * k if family == "binomial" else glm.aic(family, y, mu64, k),
        df_resid=n - k, n_obs=n, iterations=iterations, converged=converged, warnings=warnings,
        covariance=cov.astype(float).tolist(),
    )


def _deviance(family: str, y: np.ndarray, mu: np.ndarray) -> float:
    """The deviance in longdouble (its sum of n terms is where float64 loses digits)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if family == "poisson":
            term = np.where(y > 0, y * np.log(y / mu), 0) - (y - mu)
        else:
            term = -np.where(y > 0, np.log(mu), np.log1p(-mu))
    return float(2 * np.sum(term))


class GLMReference:
    """The truth as the GLM procedures drive it: `glm(features)` answered by `certified_fit`, each model once."""

    def __init__(self, X: np.ndarray, y: np.ndarray, features: list[str], family: str) -> None:
        self.X, self.y, self.features, self.family = X, y, list(features), family
        self._fits: dict[tuple[str, ...], GLMFit] = {}
        from mlbench import grading

        self.cap = grading.CAP
        self.meta: dict[str, Any] = {"engine": ENGINE, "digits": DIGITS, "family": family}

    def glm(self, features: list[str]) -> GLMFit:
        key = tuple(features)
        if key not in self._fits:
            columns = [self.features.index(f) for f in features]
            self._fits[key] = certified_fit(self.X[:, columns], self.y, list(features), self.family)
        return self._fits[key]

    @property
    def design_rank(self) -> int:
        return int(np.linalg.matrix_rank(glm.design(self.X))) - 1

    def float64_input_digits(self) -> None:
        return None
