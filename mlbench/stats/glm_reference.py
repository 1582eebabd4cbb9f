"""The truth reference for GLM cells: `certified_fit` answers every GLM fit the procedures report, and
`GLMReference` drives it as the procedures drive a platform.

`certified_fit` is the single place the truth's reported GLM comes from: the certified MLE of
`mlbench.stats.glm_exact` (interval Newton in python-flint, a Krawczyk certificate of 17+ digits, separation
decided exactly). A certificate costs 0.3-0.6 s on Default and ~2.3 s on Bikeshare's 40 columns, so a subset
search does not certify every model it visits: it orders models by `refined_fit` (float64 IRLS, then Newton on
the score in extended precision, numpy longdouble: 18 digits, far beyond any gap a search decides on) and
certifies the models it reports (every size's model, the full fit, drop1's fits, elimination's refits, VIF's
covariances). docs/truth.md gives the measured cost of both choices.

Where no finite MLE exists the certified fit has no estimates: `GLMReference` answers the model with NaN
coefficients, the deviance's infimum (which keeps deviance monotone for branch and bound), converged False, and
the separation (kind and terms) in `separation()`, which the procedures put in the truth's answer.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from mlbench.adapter import GLMFit
from mlbench.errors import MlbenchError
from mlbench.stats import glm

if TYPE_CHECKING:
    from mlbench.stats.glm_exact import GLMTruth

ENGINE = ("GLM MLE certified in arb (python-flint, Krawczyk test); subset searches ordered by Newton in extended "
          "precision")
DIGITS = 17.0  # what every certificate guarantees (glm_exact retries at higher precision below it)
SEARCH_FITS = "refined"  # "refined": searches order models by `refined_fit`; "certified": by certified fits too


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


def certified_fit(X: np.ndarray, y: np.ndarray, features: list[str], family: str) -> GLMTruth:
    """The truth's GLM of y on the columns `features` of X (plus an intercept) for `family`: `.fit` with the
    estimates, SEs, z and p as R's `summary(glm())` defines them, each rounded from a certified ball, or None with
    `.separation` and `.separating` when no finite MLE exists. Every reported GLM answer of the truth comes from
    here."""
    from mlbench.stats import glm_exact

    return glm_exact.certify(X, y, features, family)


def separated_fit(truth: GLMTruth, y: np.ndarray, features: list[str]) -> GLMFit:
    """The truth's answer for a model without a finite MLE: no estimates (NaN), the deviance's infimum, AIC from it
    (binomial 0/1: deviance + 2k; poisson: -2 loglik = deviance - 2 x the saturated loglik), converged False and
    the separation in words."""
    from scipy import special

    k = 1 + len(features)
    dev = truth.deviance_limit
    if truth.family == "poisson":
        with np.errstate(divide="ignore", invalid="ignore"):
            saturated = float(np.sum(np.where(y > 0, y * np.log(y), 0.0) - y - special.gammaln(y + 1)))
        aic = dev - 2 * saturated + 2 * k
    else:
        aic = dev + 2 * k
    nan = [math.nan] * k
    return GLMFit(
        family=truth.family, terms=["Intercept", *features], estimate=nan, std_error=nan, z_value=nan, p_value=nan,
        deviance=dev, null_deviance=glm.null_deviance(truth.family, y), aic=aic, df_resid=len(y) - k,
        n_obs=len(y), iterations=None, converged=False,
        warnings=[f"no finite MLE: {truth.separation} separation ({', '.join(truth.separating) or 'no term named'})"],
    )


def refined_fit(X: np.ndarray, y: np.ndarray, features: list[str], family: str,
                inference: bool = True) -> GLMFit | None:
    """The MLE to extended precision, uncertified (a search's ordering of models): float64 IRLS, then Newton on
    the score in numpy longdouble; None where it does not settle or fitted values reach 0/1 (separation: the
    certified fit decides). `inference` False: deviance and AIC only (SEs NaN), all a search orders by: the
    information inverted in longdouble costs as much as the fit on Bikeshare's 40 columns. One BLAS thread, as
    glm_exact's: on this shared 2-core machine threads only contend (IRLS on Bikeshare 5.7 s with them)."""
    from mlbench.stats.subsets import _single_threaded_blas

    with _single_threaded_blas():
        return _refined_fit(X, y, features, family, inference)


def _refined_fit(X: np.ndarray, y: np.ndarray, features: list[str], family: str, inference: bool) -> GLMFit | None:
    from scipy import stats

    beta64, iterations, converged = glm.irls(family, X, y, tol=1e-15, maxit=200)
    A = glm.design(X).astype(np.longdouble)
    yl = y.astype(np.longdouble)
    beta = beta64.astype(np.longdouble)
    if not converged:
        return None
    warnings: list[str] = []
    A64 = glm.design(X)
    last = math.inf
    for _ in range(8):  # Newton on the score A'(y - mu) = 0, stopped once the step no longer shrinks
        mu = _mean(family, A @ beta)
        w = glm.variance(family, mu)
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
    w = glm.variance(family, mu)  # the IRLS weight, in longdouble as mu is
    # fitted values at 0 (or 1) are where a separation would show: the certified fit decides there (a cost only)
    if np.min(mu) < 1e-12 or (family == "binomial" and np.max(mu) > 1 - 1e-12) or not np.isfinite(last):
        return None
    k = A.shape[1]
    try:
        cov = _cholesky_inverse(np.einsum("ij,ik->jk", A, A * w[:, None])) if inference else \
            np.full((k, k), np.longdouble(math.nan))
    except MlbenchError:
        return None
    se = np.sqrt(np.diag(cov))
    z = beta / se
    if inference and not np.all(np.isfinite(se)):
        return None
    n = A.shape[0]
    dev = _deviance(family, yl, mu)
    return GLMFit(
        family=family, terms=["Intercept", *features], estimate=[float(b) for b in beta],
        std_error=[float(s) for s in se], z_value=[float(v) for v in z],
        p_value=[float(2 * stats.norm.sf(abs(float(v)))) for v in z],
        deviance=dev, null_deviance=glm.null_deviance(family, y),
        aic=dev + 2 * k if family == "binomial" else glm.aic(family, y, mu.astype(float), k),
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
    """The truth as the GLM procedures drive it: `glm(features)` answered by `certified_fit` (each model certified
    once), `search_glm(features)` by `refined_fit` (a search's ordering; `SEARCH_FITS`), `separation(features)`
    where a model has no finite MLE."""

    def __init__(self, X: np.ndarray, y: np.ndarray, features: list[str], family: str) -> None:
        self.X, self.y, self.features, self.family = X, y, list(features), family
        self._fits: dict[tuple[str, ...], GLMFit] = {}
        self._refined: dict[tuple[str, ...], GLMFit] = {}
        self._separations: dict[tuple[str, ...], dict[str, Any]] = {}
        self.certificates = 0  # models certified (the truth's cost is counted in them)
        from mlbench import grading

        self.cap = grading.CAP
        self.meta: dict[str, Any] = {"engine": ENGINE, "digits": DIGITS, "family": family}

    def _columns(self, features: list[str]) -> np.ndarray:
        return self.X[:, [self.features.index(f) for f in features]]

    def glm(self, features: list[str]) -> GLMFit:
        """The certified fit of the model (NaN estimates and the deviance's infimum where no finite MLE exists)."""
        key = tuple(features)
        if key not in self._fits:
            truth = certified_fit(self._columns(features), self.y, list(features), self.family)
            self.certificates += 1
            if truth.fit is None:
                self._separations[key] = {"kind": truth.separation, "terms": list(truth.separating),
                                          "separated_rows": truth.separated_rows}
                self._fits[key] = separated_fit(truth, self.y, list(features))
            else:
                self._fits[key] = truth.fit
        return self._fits[key]

    def search_glm(self, features: list[str]) -> GLMFit:
        """A fit to order models by in a search: the certified one where it is known (or `SEARCH_FITS` says so),
        else the extended-precision fit, else (it did not settle: separation) the certified one."""
        key = tuple(features)
        if key in self._fits or SEARCH_FITS == "certified":
            return self.glm(features)
        if key not in self._refined:
            refined = refined_fit(self._columns(features), self.y, list(features), self.family, inference=False)
            if refined is None:
                return self.glm(features)
            self._refined[key] = refined
        return self._refined[key]

    def separation(self, features: list[str]) -> dict[str, Any] | None:
        """{kind, terms, separated_rows} when the model of `features` has no finite MLE, else None."""
        self.glm(features)
        return self._separations.get(tuple(features))

    @property
    def design_rank(self) -> int:
        return int(np.linalg.matrix_rank(glm.design(self.X))) - 1

    def float64_input_digits(self) -> None:
        return None
