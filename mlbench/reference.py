"""Exact reference computations that grade every platform's answer.

OLS is solved by Householder QR of the design (LAPACK geqrf via numpy), never by normal equations or a
pseudo-inverse: squaring the condition number is exactly how platforms go wrong on ill-conditioned data, and
the reference must not go wrong with them. Collinear columns are detected the way R's `lm` does (a column
whose residual norm against the earlier kept columns falls below 1e-7 of its own norm is aliased, R's NA row).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from mlbench.adapter import OLSFit, goodness_of_fit

if TYPE_CHECKING:
    import pandas as pd

ALIAS_TOLERANCE = 1e-7  # R's lm.fit default `tol`


def _with_intercept(X: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(X.shape[0]), X])


def kept_columns(A: np.ndarray, tol: float = ALIAS_TOLERANCE) -> list[int]:
    """Indices of columns of A that are not (numerically) combinations of earlier columns, in order."""
    kept: list[int] = []
    for j in range(A.shape[1]):
        column = A[:, j]
        norm = float(np.linalg.norm(column))
        if norm == 0.0:
            continue
        if kept:
            q, _ = np.linalg.qr(A[:, kept])
            residual = column - q @ (q.T @ column)
            if float(np.linalg.norm(residual)) <= tol * norm:
                continue
        kept.append(j)
    return kept


def condition_number(X: np.ndarray) -> float:
    """2-norm condition number of the design with intercept, as reported next to every grade."""
    return float(np.linalg.cond(_with_intercept(X)))


def ols(X: np.ndarray, y: np.ndarray, names: list[str]) -> OLSFit:
    """OLS with intercept: estimates, standard errors, t and p values, R², adj. R², F (R's summary.lm)."""
    A = _with_intercept(np.asarray(X, dtype=float))
    y = np.asarray(y, dtype=float)
    terms = ["Intercept", *names]
    keep = kept_columns(A)
    n, rank = A.shape[0], len(keep)
    if n <= rank:
        raise ValueError(f"{n} rows for {rank} coefficients: no residual degrees of freedom")
    q, r = np.linalg.qr(A[:, keep])
    qty = q.T @ y
    beta = np.linalg.solve(r, qty) if rank else np.zeros(0)
    residuals = y - A[:, keep] @ beta
    rss = float(residuals @ residuals)
    df_resid = n - rank
    sigma2 = rss / df_resid
    r_inv = np.linalg.solve(r, np.eye(rank))
    se = np.sqrt(sigma2 * np.sum(r_inv**2, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta / se
    p = 2.0 * stats.t.sf(np.abs(t), df_resid)
    tss = float(np.sum((y - y.mean()) ** 2))
    df_model = rank - 1
    r2, adj, f = goodness_of_fit(rss, tss, n, df_model, df_resid)
    kept_terms = [terms[j] for j in keep]
    return OLSFit(
        terms=kept_terms,
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
        aliased=[t for j, t in enumerate(terms) if j not in keep],
    )


def rss(X: np.ndarray, y: np.ndarray) -> float:
    """RSS of the OLS fit with intercept, by QR."""
    A = _with_intercept(np.asarray(X, dtype=float))
    q, _ = np.linalg.qr(A[:, kept_columns(A)])
    residual = y - q @ (q.T @ y)
    return float(residual @ residual)


def vif(X: np.ndarray, names: list[str]) -> dict[str, float]:
    """VIF_j = 1 / (1 - R²_j), R²_j from the auxiliary regression of x_j on the other features with intercept.

    This is R's `car::vif` for numeric predictors. A feature fully explained by the others gets +inf.
    """
    X = np.asarray(X, dtype=float)
    result: dict[str, float] = {}
    for j, name in enumerate(names):
        xj = X[:, j]
        others = np.delete(X, j, axis=1)
        tss = float(np.sum((xj - xj.mean()) ** 2))
        if tss == 0.0:
            result[name] = math.nan  # a constant column has no defined VIF
            continue
        r2 = 1.0 - rss(others, xj) / tss
        result[name] = math.inf if r2 >= 1.0 else 1.0 / (1.0 - r2)
    return result


class ReferenceFitter:
    """The reference as a fitter, so mlbench.steps drives it exactly as it drives a platform."""

    def __init__(self, frame: pd.DataFrame, target: str) -> None:
        self.frame, self.target = frame, target
        self.y = frame[target].to_numpy(dtype=float)

    def _x(self, features: list[str]) -> np.ndarray:
        return self.frame[features].to_numpy(dtype=float).reshape(len(self.frame), len(features))

    def ols(self, features: list[str]) -> OLSFit:
        return ols(self._x(features), self.y, features)

    def rss(self, features: list[str]) -> float:
        return rss(self._x(features), self.y)

    def vif(self, features: list[str]) -> dict[str, float]:
        return vif(self._x(features), features)

    def subset_path(self, method: str, features: list[str], max_size: int) -> dict[int, tuple[list[str], float]]:
        """Exact paths: branch-and-bound best subsets, leaps-style forward and backward stepwise."""
        from mlbench import subsets

        X = self._x(features)
        if method == "best":
            return subsets.best_subsets(X, self.y, features, max_size)
        if method == "forward":
            return subsets.forward_path(X, self.y, features, max_size)
        return {k: v for k, v in subsets.backward_path(X, self.y, features).items() if k <= max_size}
