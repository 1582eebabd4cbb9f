"""The truth reference that grades every platform's answer: exact where the size allows, float64 refined beyond.

The exact engine (mlbench.stats.exact) solves every OLS, VIF and subset RSS in rational arithmetic on the very numbers
the platforms read (or, for NIST's cases, on NIST's exact decimal data), so its answers are right to the last
bit of a double and it aliases only exact linear dependence. Its cost grows as n·p²; above
`exact.EXACT_BUDGET` (about 2 s of work) the reference falls back to float64: Householder QR with iterative
refinement of the solution (residuals in extended precision). That fallback is not exact, so it states its own
expected digits (from the design's condition number) and grading caps every record's digits there.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from mlbench.adapter import OLSFit
from mlbench.grading import CAP
from mlbench.stats import exact
from mlbench.stats.ols import goodness_of_fit

if TYPE_CHECKING:
    import pandas as pd

FALLBACK_ALIAS_TOLERANCE = 1e-12  # float64 fallback only: a pivot this small relative to its column is aliased
ENGINE_EXACT = "exact rational arithmetic (python-flint)"
ENGINE_FLOAT = "float64 Householder QR with iterative refinement"


def _with_intercept(X: np.ndarray, intercept: bool = True) -> np.ndarray:
    return np.column_stack([np.ones(X.shape[0]), X]) if intercept else X.reshape(X.shape[0], -1)


def condition_number(X: np.ndarray) -> float:
    """2-norm condition number of the design with intercept, as reported next to every grade."""
    return float(np.linalg.cond(_with_intercept(X)))


def scaled_condition_number(X: np.ndarray) -> float:
    """Condition number after scaling each column of [1, X] to unit norm: what limits a good solver's digits."""
    A = _with_intercept(np.asarray(X, dtype=float))
    norms = np.linalg.norm(A, axis=0)
    return float(np.linalg.cond(A / np.where(norms > 0, norms, 1.0)))


def kept_columns(A: np.ndarray, tol: float = FALLBACK_ALIAS_TOLERANCE) -> list[int]:
    """Indices of columns of A that are not (numerically) combinations of earlier columns, in order (fallback)."""
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


def _refined_solve(A: np.ndarray, y: np.ndarray, rounds: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Least squares by Householder QR of the column-scaled design, then corrected seminormal equations: each
    round solves R'R d = A'r with the residual r and A'r computed in extended precision (x87 long double).
    Returns (beta, R of the unscaled design)."""
    norms = 2.0 ** np.round(np.log2(np.linalg.norm(A, axis=0)))  # powers of two: the scaling is exact
    scaled = A / norms
    q, r = np.linalg.qr(scaled)
    beta = np.linalg.solve(r, q.T @ y)
    wide_A, wide_y = scaled.astype(np.longdouble), y.astype(np.longdouble)
    for _ in range(rounds):
        gradient = np.asarray(wide_A.T @ (wide_y - wide_A @ beta.astype(np.longdouble)), dtype=float)
        beta = beta + np.linalg.solve(r, np.linalg.solve(r.T, gradient))
    return beta / norms, r * norms  # A = Q (R_s diag(norms)): the factor of the unscaled design


def _float_ols(X: np.ndarray, y: np.ndarray, names: list[str], intercept: bool = True) -> OLSFit:
    A = _with_intercept(np.asarray(X, dtype=float), intercept)
    terms = ["Intercept", *names] if intercept else list(names)
    keep = kept_columns(A)
    n, rank = A.shape[0], len(keep)
    if n <= rank:
        raise ValueError(f"{n} rows for {rank} coefficients: no residual degrees of freedom")
    beta, r = _refined_solve(A[:, keep], y)
    residuals = y.astype(np.longdouble) - A[:, keep].astype(np.longdouble) @ beta.astype(np.longdouble)
    rss = float(np.sum(residuals * residuals))
    df_resid = n - rank
    r_inv = np.linalg.solve(r, np.eye(rank))
    se = np.sqrt(rss / df_resid * np.sum(r_inv**2, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta / se
    from scipy import stats  # here, not at import: scipy.stats costs 0.6 s of every run's start-up

    p = 2.0 * stats.t.sf(np.abs(t), df_resid)
    tss = float(np.sum((y.astype(np.longdouble) - (y.mean() if intercept else 0.0)) ** 2))
    df_model = rank - (1 if intercept else 0)
    r2, adj, f = goodness_of_fit(rss, tss, n, df_model, df_resid, intercept)
    return OLSFit(terms=[terms[j] for j in keep], estimate=beta.tolist(), std_error=se.tolist(), t_value=t.tolist(),
                  p_value=p.tolist(), r_squared=r2, adj_r_squared=adj, f_statistic=f, df_model=df_model,
                  df_resid=df_resid, rss=rss, n_obs=n, aliased=[t for j, t in enumerate(terms) if j not in keep])


def _float_rss(X: np.ndarray, y: np.ndarray, intercept: bool = True) -> float:
    A = _with_intercept(np.asarray(X, dtype=float), intercept)
    A = A[:, kept_columns(A)]
    if A.shape[1] == 0:  # the empty model through the origin
        return float(np.sum(y.astype(np.longdouble) ** 2))
    beta, _ = _refined_solve(A, y)
    residual = y.astype(np.longdouble) - A.astype(np.longdouble) @ beta.astype(np.longdouble)
    return float(np.sum(residual * residual))


def _float_vif(X: np.ndarray, names: list[str]) -> dict[str, float]:
    result: dict[str, float] = {}
    for j, name in enumerate(names):
        xj = X[:, j]
        tss = float(np.sum((xj - xj.mean()) ** 2))
        if tss == 0.0:
            result[name] = math.nan
            continue
        rss = _float_rss(np.delete(X, j, axis=1), xj)
        result[name] = math.inf if rss <= 0.0 else tss / rss
    return result


def _expected_float_digits(X: np.ndarray, y: np.ndarray) -> float:
    """Digits the float64 fallback can promise: the least-squares perturbation bound for a backward-stable
    solver, eps·(κ + κ²·tanθ) (Golub & Van Loan 5.3.8; κ of the column-scaled design, θ the angle between y and
    its fit), less one digit for the quantities derived from the solution (standard errors, t, p)."""
    kappa = scaled_condition_number(X) if X.shape[1] else 1.0
    A = _with_intercept(X)
    A = A[:, kept_columns(A)]
    beta, _ = _refined_solve(A, y)
    residual = float(np.linalg.norm(y - A @ beta))
    fitted = math.sqrt(max(float(y @ y) - residual**2, 0.0))
    tan_theta = residual / fitted if fitted > 0 else math.inf
    bound = math.log10(kappa + kappa**2 * tan_theta) if math.isfinite(tan_theta) else math.inf
    return round(max(0.0, min(CAP, 15.6 - bound - 1.0)), 1)


class ReferenceFitter:
    """The truth as a fitter, so mlbench.steps drives it exactly as it drives a platform.

    `exact_columns` (design column -> exact values, e.g. NIST's decimals) makes the truth the answer for those
    exact numbers; otherwise it is the answer for the float64 design every platform reads. `intercept` False:
    every OLS and drop1 test is a fit through the origin (the run's `intercept: false`, NIST's NoInt cases).
    """

    def __init__(self, frame: pd.DataFrame, target: str,
                 exact_columns: dict[str, list[Fraction]] | None = None, intercept: bool = True,
                 force_exact: bool = False) -> None:
        self.frame, self.target, self.intercept = frame, target, intercept
        self.y = frame[target].to_numpy(dtype=float)
        n, p = len(frame), frame.shape[1]
        self.data: exact.ExactData | None = None
        self.meta: dict[str, Any]
        self._sets_from: ReferenceFitter | None = None  # a float64 copy: the subsets of the fitter it copies
        self._searched: dict[tuple[str, tuple[str, ...], int], dict[int, list[str]]] = {}
        if exact_columns is not None or force_exact or n * p * p <= exact.EXACT_BUDGET:
            columns = {c: exact_columns[c] for c in frame.columns} if exact_columns is not None else None
            self.data = (exact.ExactData.from_rationals(columns) if columns is not None else
                         exact.ExactData.from_floats({c: frame[c].to_numpy(dtype=float) for c in frame.columns}))
            self.meta = {"engine": ENGINE_EXACT, "digits": CAP,
                         "data": "exact values of the source" if columns is not None else "the float64 design"}
        else:
            features = [c for c in frame.columns if c != target]
            expected = _expected_float_digits(self._x(features), self.y)
            self.meta = {"engine": ENGINE_FLOAT, "digits": expected, "data": "the float64 design",
                         "why": f"n·p² = {n * p * p:.2g} is above the exact engine's budget of "
                                f"{exact.EXACT_BUDGET:.0g}"}

    @property
    def cap(self) -> float:
        return float(self.meta["digits"])

    def _x(self, features: list[str]) -> np.ndarray:
        return self.frame[features].to_numpy(dtype=float).reshape(len(self.frame), len(features))

    def rank(self, features: list[str]) -> int:
        """How many of `features` are not exactly collinear with the intercept and the earlier ones: what a fit
        can estimate, known without residual degrees of freedom (a design of fewer rows than columns has a rank)."""
        if self.data is None:
            return len(kept_columns(_with_intercept(self._x(features)))) - 1
        return len(exact.independent(self.data, ["Intercept", *features])) - 1

    def ols(self, features: list[str]) -> OLSFit:
        if self.data is None:
            if not features and not self.intercept:
                from mlbench.stats.ols import no_predictors

                return no_predictors(len(self.y), _float_rss(self._x([]), self.y, False))
            return _float_ols(self._x(features), self.y, features, self.intercept)
        return exact.ols(self.data, self.target, features, self.intercept)

    def rss(self, features: list[str]) -> float:
        if self.data is None:
            return _float_rss(self._x(features), self.y, self.intercept)
        return exact.rss(self.data, self.target, features, self.intercept)

    def vif(self, features: list[str]) -> dict[str, float]:
        if self.data is None:
            return _float_vif(self._x(features), features)
        return exact.vif(self.data, features)

    def gvif(self, features: list[str], groups: dict[str, list[str]], vif: dict[str, float]) -> dict[str, float]:
        if self.data is None:
            from mlbench.stats.procedures import gvif_from_vif, vif_of

            return gvif_from_vif(vif_of(self.vif), features, groups, vif)
        return exact.gvif(self.data, features, groups)

    def drop_test(self, rest: list[str], features: list[str], df_resid: int,
                  rss: float) -> tuple[int, float, float]:
        if self.data is None:
            from mlbench.stats.ols import total_ss
            from mlbench.stats.procedures import drop_test_by_fits

            return drop_test_by_fits(self.ols, rest, df_resid, rss, len(self.y), total_ss(self.y, self.intercept),
                                     self.intercept)
        return exact.drop_test(self.data, self.target, rest, features, self.intercept)

    def subset_path(self, method: str, features: list[str], max_size: int) -> dict[int, tuple[list[str], float]]:
        """The sets: exact branch-and-bound best subsets, leaps-style forward and backward stepwise (searched in
        float64); the RSS of every reported set: from the truth engine. A float64 copy (the ceiling's) takes the
        sets of the fitter it copies: its ceiling is how far the input moves the RSS of the same sets."""
        path = (self._sets_from or self)._search(method, features, max_size)
        return {k: (chosen, self.rss(chosen)) for k, chosen in path.items()}

    def _search(self, method: str, features: list[str], max_size: int) -> dict[int, list[str]]:
        key = (method, tuple(features), max_size)
        if key not in self._searched:
            from mlbench.stats import subsets

            X = self._x(features)
            if method == "best":
                path = subsets.best_subsets(X, self.y, features, max_size)
            elif method == "forward":
                path = subsets.forward_path(X, self.y, features, max_size)
            else:
                path = {k: v for k, v in subsets.backward_path(X, self.y, features).items() if k <= max_size}
            self._searched[key] = {k: list(chosen) for k, (chosen, _) in path.items()}
        return self._searched[key]

    def tss(self) -> float:
        """The target's total sum of squares about its mean (exact where the engine is): the scale every sum of
        squares is graded on, known also for an exact fit (where R² = 1 hides it)."""
        if self.data is None:
            y = self.y.astype(np.longdouble)
            return float(np.sum((y - y.mean()) ** 2))
        total = self.data.entry("Intercept", self.target)
        return exact.to_float(self.data.entry(self.target, self.target) - total * total / self.data.n)

    def float64_copies(self, count: int = exact.CEILING_COPIES) -> list[ReferenceFitter]:
        """Exact fitters on what bounds the input's resolution (the ceiling): the float64 design itself where the
        truth is on exact source values (NIST's decimals, which the platforms read rounded), then copies of the
        doubles moved one ulp each (exact.one_ulp_copies). Empty on the float64 fallback (its cap rules)."""
        if self.data is None:
            return []
        import pandas as pd

        columns = {c: self.frame[c].to_numpy(dtype=float) for c in self.frame.columns}
        copies = []
        if self.meta["data"] == "exact values of the source":
            copies.append(ReferenceFitter(self.frame, self.target, intercept=self.intercept, force_exact=True))
        for perturbed in exact.one_ulp_copies(columns, count - len(copies)):
            copies.append(ReferenceFitter(pd.DataFrame(perturbed, index=self.frame.index), self.target,
                                          intercept=self.intercept, force_exact=True))
        for copy in copies:
            copy._sets_from = self
        return copies

    def float64_input_digits(self) -> float | None:
        """With exact source values: the digits of the exact answer on the float64 design (what platforms read)
        against the exact answer on the source, i.e. how much the float64 rounding of the data alone costs."""
        if self.data is None or self.meta["data"] != "exact values of the source":
            return None
        features = [c for c in self.frame.columns if c != self.target]
        rounded = exact.ExactData.from_floats({c: self.frame[c].to_numpy(dtype=float) for c in self.frame.columns})
        truth = exact.ols(self.data, self.target, features, self.intercept)
        mine = exact.ols(rounded, self.target, features, self.intercept)
        from mlbench.grading import correct_digits

        return round(min(correct_digits(g, t) for g, t in zip(mine.estimate, truth.estimate, strict=True)), 2)
