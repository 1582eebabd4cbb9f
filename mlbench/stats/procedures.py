"""The statistical procedures of the statistics steps, written once over an adapter's primitives.

Backward elimination by p-value, iterative VIF removal and subset searches are the same procedure whichever
platform fits the models, so they live here, not in adapters. Where a platform lacks a statistic, the procedure
emulates it from the platform's own primitives (p-values from its coefficients, VIF from its auxiliary R²,
subsets from its RSS); the `support` of the StepContext says which. The truth reference
(mlbench.stats.reference) is driven through the very same functions, which is what makes a platform's answer
comparable with it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from mlbench.adapter import OLSFit
from mlbench.errors import SkippedCell
from mlbench.stats import emulate, subsets
from mlbench.stats.emulate import SearchPath


class Fitter(Protocol):
    def ols(self, features: list[str]) -> OLSFit: ...
    def vif(self, features: list[str]) -> dict[str, float]: ...


def fit_summary(fit: OLSFit) -> dict[str, Any]:
    summary = {
        "coefficients": fit.coefficients(),
        "r_squared": fit.r_squared,
        "adj_r_squared": fit.adj_r_squared,
        "f_statistic": fit.f_statistic,
        "f_df": [fit.df_model, fit.df_resid],
        "rss": fit.rss,
        "n_obs": fit.n_obs,
        "aliased": list(fit.aliased),
    }
    if fit.not_estimable:
        summary["not_estimable"] = list(fit.not_estimable)
    return summary


def _worst_term(fit: OLSFit, alpha: float) -> str | None:
    """The non-intercept term with the largest p-value above alpha (first one on ties), if any."""
    worst, worst_p = None, alpha
    for term, p in zip(fit.terms, fit.p_value, strict=True):
        if term != "Intercept" and not math.isnan(p) and p > worst_p:
            worst, worst_p = term, p
    return worst


def pvalues(fitter: Fitter, features: list[str], alpha: float) -> dict[str, Any]:
    """Full OLS, then drop the largest p-value above alpha one at a time (never the intercept) and refit."""
    full = fitter.ols(features)
    current = [f for f in features if f not in full.aliased]
    dropped: list[str] = []
    fit = full if current == features else fitter.ols(current)
    while (worst := _worst_term(fit, alpha)) is not None:
        dropped.append(worst)
        current = [f for f in current if f != worst]
        fit = fitter.ols(current)
    result = fit_summary(full)
    result["alpha"] = alpha
    result["dropped"] = dropped
    result["kept"] = current
    result["refit"] = fit_summary(fit)
    return result


def vif(fitter: Fitter, features: list[str], threshold: float) -> dict[str, Any]:
    """VIFs of all features, then remove the largest VIF above threshold and recompute, until none is."""
    if len(features) < 2:  # R's car::vif refuses models with fewer than 2 terms; VIF is 1 by definition
        return {"vif": dict.fromkeys(features, 1.0), "threshold": threshold, "dropped": [], "kept": features,
                "final_vif": dict.fromkeys(features, 1.0), "rounds": 1}
    first = fitter.vif(features)
    current = list(features)
    dropped: list[str] = []
    rounds = [first]
    values = first
    while len(current) > 1:
        finite = {k: v for k, v in values.items() if not math.isnan(v)}
        worst = max(finite, key=lambda k: finite[k], default=None)
        if worst is None or finite[worst] <= threshold:
            break
        dropped.append(worst)
        current = [f for f in current if f != worst]
        values = fitter.vif(current) if len(current) > 1 else {current[0]: 1.0}
        rounds.append(values)
    return {"vif": first, "threshold": threshold, "dropped": dropped, "kept": current, "final_vif": values,
            "rounds": len(rounds)}


@dataclass
class StepContext:
    """What a step needs besides the fitter: the shared design (for sizes and CV) and how the fitter works."""

    features: list[str]
    X: np.ndarray
    y: np.ndarray
    support: str  # "native" | "emulated" | "reference"
    rank: int | None = None  # columns of the design that are not exactly collinear (the truth's), when known

    @property
    def n_obs(self) -> int:
        return len(self.y)

    @property
    def null_rss(self) -> float:
        return float(np.sum((self.y - self.y.mean()) ** 2))


class _Deadlined:
    """A fitter whose rss stops answering once a search's time budget is spent."""

    def __init__(self, fitter: Any, max_seconds: float) -> None:
        self.fitter = fitter
        self.rss = _with_deadline(fitter.rss, max_seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fitter, name)


class SearchTimeUp(Exception):
    """An emulated search ran past its time budget (the subset step's `max_seconds`)."""

    def __init__(self, fits: int) -> None:
        super().__init__(fits)
        self.fits = fits


def _with_deadline(rss: Callable[[list[str]], float], max_seconds: float | None) -> Callable[[list[str]], float]:
    """The platform's rss, refused once the search has run `max_seconds` (a slow platform's emulated search can
    need minutes: Spark fits take ~0.14 s each, 4202 of them for Hitters' best subsets)."""
    if max_seconds is None:
        return rss
    deadline, fits = time.monotonic() + max_seconds, [0]

    def timed(features: list[str]) -> float:
        if time.monotonic() > deadline:
            raise SearchTimeUp(fits[0])
        fits[0] += 1
        return rss(features)

    return timed


def _search(fitter: Any, ctx: StepContext, method: str, max_size: int, max_fits: int,
            max_seconds: float | None = None) -> tuple[SearchPath, Any]:
    """size -> (features, RSS) by the fitter's own means; the fit count when mlbench drove the fits."""
    if ctx.support == "emulated" and max_seconds is not None:
        try:
            return _search(_Deadlined(fitter, max_seconds), ctx, method, max_size, max_fits)
        except SearchTimeUp as stopped:
            raise SkippedCell(f"emulated {method} search stopped after {stopped.fits} fits and {max_seconds:g} s, "
                              "its time budget (max_seconds in the scenario's subset step)") from None
    features = ctx.features
    if ctx.support == "reference":
        return fitter.subset_path(method, features, max_size), None
    if ctx.support == "native":
        # an adapter may return (features, rss) when its search reports the RSS; else one refit per size
        found = fitter.subset(method, features, max_size)
        return {k: (list(v[0]), float(v[1])) if isinstance(v, tuple) else (list(v), fitter.rss(list(v)))
                for k, v in sorted(found.items())}, None
    if method == "best":  # branch and bound: how many fits it needs is only known by running it, within the budget
        try:
            return emulate.branch_and_bound_search(fitter.rss, features, max_size, max_fits=max_fits)
        except emulate.FitBudgetExceeded as stopped:
            raise SkippedCell(
                f"emulated best search stopped after {stopped.fits} fits, the budget (--max-fits {max_fits}), "
                f"before it had proved the best subset of every size "
                f"(exhaustive: {subsets.count_fits(len(features), method, max_size)} fits)"
            ) from None
    needed = subsets.count_fits(len(features), method, max_size)
    if needed > max_fits:
        raise SkippedCell(
            f"emulated {method} search needs {needed} fits, over the budget of {max_fits} (--max-fits)"
        )
    if method == "forward":
        return emulate.forward_search(fitter.rss, features, max_size)
    path, fits = emulate.backward_search(fitter.rss, features)
    return {k: v for k, v in path.items() if k <= max_size}, fits


def cv_mse(X: np.ndarray, y: np.ndarray, columns: list[int], folds: int, seed: int = 0) -> float:
    """k-fold cross-validated MSE of OLS with intercept on the given columns (mlbench computes it, by QR)."""
    order = np.random.default_rng(seed).permutation(len(y))
    cols = np.asarray(columns, dtype=np.int64)
    errors = 0.0
    for test in np.array_split(order, folds):
        train = np.setdiff1d(order, test)
        A = np.column_stack([np.ones(len(train)), X[np.ix_(train, cols)]])
        beta = np.linalg.lstsq(A, y[train], rcond=None)[0]
        pred = np.column_stack([np.ones(len(test)), X[np.ix_(test, cols)]]) @ beta
        errors += float(np.sum((y[test] - pred) ** 2))
    return errors / len(y)


def subset(fitter: Any, ctx: StepContext, method: str, max_size: int | None, max_fits: int,
           cv_folds: int | None = None, max_seconds: float | None = None) -> dict[str, Any]:
    """Subset selection: per size the chosen set and leaps' criteria, and the size each criterion picks."""
    p = len(ctx.features)
    k_max = min(max_size or p, p, ctx.rank or p)  # no larger subsets than the design's rank, as leaps' nvmax
    path, fits = _search(fitter, ctx, method, k_max, max_fits, max_seconds)
    full_rss = path[p][1] if p in path else fitter.rss(ctx.features)
    crit = subsets.criteria({k: rss for k, (_, rss) in path.items()}, ctx.n_obs, ctx.null_rss, full_rss, p)
    by_size: dict[str, Any] = {}
    for k, (chosen, _) in path.items():
        by_size[str(k)] = {"features": chosen, **crit[k]}
        if cv_folds:
            columns = [ctx.features.index(f) for f in chosen]
            by_size[str(k)]["cv_mse"] = cv_mse(ctx.X, ctx.y, columns, cv_folds)
    return {"method": method, "by_size": by_size, "chosen": subsets.chosen_sizes(crit), "fits": fits,
            "max_size": k_max}


class Emulated:
    """A platform whose missing statistics mlbench emulates from the platform's own primitives, as one cell's
    support says: OLS inference from its `coefficients` (standard errors from its residuals on the shared design),
    VIF from its auxiliary `r_squared`. Everything else (rss, native calls) goes to the platform unchanged."""

    def __init__(self, fitter: Any, ctx: StepContext) -> None:
        self.fitter, self.ctx = fitter, ctx

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fitter, name)

    def ols(self, features: list[str]) -> OLSFit:
        intercept, coef = self.fitter.coefficients(features)
        columns = [self.ctx.features.index(f) for f in features]
        return emulate.ols_inference(self.ctx.X[:, columns], self.ctx.y, intercept, np.asarray(coef), features)

    def vif(self, features: list[str]) -> dict[str, float]:
        return emulate.vif_from_r2({f: self.fitter.r_squared([g for g in features if g != f], f) for f in features})


def fitter_for(fitter: Any, ctx: StepContext) -> Any:
    """The fitter a procedure drives for one cell: the platform itself, or the platform with emulation."""
    return Emulated(fitter, ctx) if ctx.support == "emulated" else fitter
