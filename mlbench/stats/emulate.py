"""Emulation: statistics a platform does not offer, computed from the platform's own fits.

An emulated cell must still be the platform's answer: coefficients and residuals come from the platform's fit;
only the inference on top of them (standard errors from the residual variance and the design) is computed
here. Subset searches are emulated by driving the adapter's own `rss` fits, within a fit budget.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from mlbench.adapter import OLSFit
from mlbench.stats.ols import goodness_of_fit


def ols_inference(
    X: np.ndarray, y: np.ndarray, intercept: float, coef: np.ndarray, names: list[str]
) -> OLSFit:
    """Standard errors, t, p, R², adj. R² and F for a platform's OLS estimates on design X (no intercept column).

    The platform's coefficients are taken as they are, every term of them: on a rank-deficient design a
    platform's minimum-norm solution is its answer, and it is graded as such (no mlbench pivoting first). The
    covariance is sigma² (A'A)^-1 with A = [1, X], from a QR factor of A when A has full rank (numpy's rank
    tolerance), else sigma² (A'A)^+ from an SVD, the covariance that belongs to a minimum-norm solution.
    """
    A = np.column_stack([np.ones(len(y)), X])
    beta = np.concatenate([[intercept], np.asarray(coef, dtype=float)])
    residuals = y - A @ beta
    rss = float(residuals @ residuals)
    n, rank = len(y), int(np.linalg.matrix_rank(A))
    df_resid = n - rank
    sigma2 = rss / df_resid if df_resid > 0 else math.nan
    if rank == A.shape[1]:
        _, r = np.linalg.qr(A)
        r_inv = np.linalg.solve(r, np.eye(rank))
        unscaled = np.sum(r_inv**2, axis=1)
    else:
        _, s, vt = np.linalg.svd(A, full_matrices=False)
        inverse = np.where(np.arange(len(s)) < rank, 1.0 / np.where(s > 0, s, 1.0) ** 2, 0.0)
        unscaled = np.sum(vt.T**2 * inverse, axis=1)
    se = np.sqrt(sigma2 * unscaled)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta / se
    from scipy import stats  # here, not at import: scipy.stats costs 0.6 s of every run's start-up

    p = 2.0 * stats.t.sf(np.abs(t), df_resid)
    tss = float(np.sum((y - y.mean()) ** 2))
    df_model = rank - 1
    r2, adj, f = goodness_of_fit(rss, tss, n, df_model, df_resid)
    return OLSFit(
        terms=["Intercept", *names],
        estimate=beta.tolist(),
        std_error=se.tolist(),
        t_value=t.tolist(),
        p_value=p.tolist(),
        r_squared=r2,
        adj_r_squared=adj,
        f_statistic=f,
        df_model=df_model,
        df_resid=df_resid,
        rss=rss,
        n_obs=n,
    )


def vif_from_r2(r2_by_feature: dict[str, float]) -> dict[str, float]:
    """VIF = 1/(1-R²) of each auxiliary regression; +inf where a feature is fully explained by the others."""
    return {k: (math.inf if r2 >= 1.0 else 1.0 / (1.0 - r2)) for k, r2 in r2_by_feature.items()}


RssFn = Callable[[list[str]], float]
SearchPath = dict[int, tuple[list[str], float]]


def _better(rss: float, best: float) -> bool:
    """Strictly lower beyond rounding: on ties the first candidate seen wins (leaps' column order)."""
    return rss < best - 1e-9 * abs(best)


def exhaustive_search(rss_fn: RssFn, features: list[str], max_size: int) -> tuple[SearchPath, int]:
    """Best subset of every size by fitting every candidate model with the platform: C(p, k) fits per size."""
    path: SearchPath = {}
    fits = 0
    for k in range(1, max_size + 1):
        best: tuple[list[str], float] | None = None
        for combo in itertools.combinations(features, k):
            rss = rss_fn(list(combo))
            fits += 1
            if best is None or _better(rss, best[1]):
                best = (list(combo), rss)
        assert best is not None
        path[k] = best
    return path, fits


def forward_search(rss_fn: RssFn, features: list[str], max_size: int) -> tuple[SearchPath, int]:
    """Forward stepwise as leaps does it: add the feature that lowers the platform's RSS most."""
    path: SearchPath = {}
    current: list[str] = []
    fits = 0
    while len(current) < max_size:
        best: tuple[str, float] | None = None
        for candidate in (f for f in features if f not in current):
            rss = rss_fn([f for f in features if f in current or f == candidate])
            fits += 1
            if best is None or _better(rss, best[1]):
                best = (candidate, rss)
        assert best is not None
        current.append(best[0])
        path[len(current)] = ([f for f in features if f in current], best[1])
    return path, fits


def backward_search(rss_fn: RssFn, features: list[str]) -> tuple[SearchPath, int]:
    """Backward stepwise: from all features, drop the one whose removal raises the platform's RSS least."""
    current = list(features)
    path: SearchPath = {len(current): (list(current), rss_fn(current))}
    fits = 1
    while len(current) > 1:
        best: tuple[str, float] | None = None
        for candidate in current:
            rss = rss_fn([f for f in current if f != candidate])
            fits += 1
            if best is None or not _better(best[1], rss):  # ties: drop the later column, as the reference does
                best = (candidate, rss)
        assert best is not None
        current.remove(best[0])
        path[len(current)] = (list(current), best[1])
    return path, fits
