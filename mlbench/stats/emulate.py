"""Emulation: statistics a platform does not offer, computed from the platform's own fits.

An emulated cell must still be the platform's answer: coefficients and residuals come from the platform's fit;
only the inference on top of them (standard errors from the residual variance and the design) is computed
here. Subset searches are emulated by driving the adapter's own `rss` fits, within a fit budget: the best
subset by a branch and bound whose every RSS, bound included, is one of the platform's fits.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

from mlbench.adapter import OLSFit
from mlbench.stats.ols import finished_fit, total_ss


def ols_inference(
    X: np.ndarray, y: np.ndarray, intercept: float, coef: np.ndarray, names: list[str], fit_intercept: bool = True
) -> OLSFit:
    """Standard errors, t, p, R², adj. R² and F for a platform's OLS estimates on design X (no intercept column).

    `fit_intercept` False: the platform fitted through the origin (its `intercept` is ignored), A = X, and
    R², adj. R² and F are R's for such a fit (the uncentred total sum of squares, df_model = rank).

    The platform's coefficients are taken as they are, every term of them: on a rank-deficient design a
    platform's minimum-norm solution is its answer, and it is graded as such (no mlbench pivoting first). The
    covariance is sigma² (A'A)^-1 with A = [1, X], from a QR factor of A when A has full rank (numpy's rank
    tolerance), else sigma² (A'A)^+ from an SVD, the covariance that belongs to a minimum-norm solution.
    """
    A = np.column_stack([np.ones(len(y)), X]) if fit_intercept else np.asarray(X, dtype=float).reshape(len(y), -1)
    beta = np.concatenate([[intercept] if fit_intercept else [], np.asarray(coef, dtype=float)])
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
    tss = total_ss(y, fit_intercept)
    df_model = rank - (1 if fit_intercept else 0)
    terms = ["Intercept", *names] if fit_intercept else list(names)
    return finished_fit(terms, beta.tolist(), se.tolist(), t.tolist(), p.tolist(), rss=rss, tss=tss, n=n,
                        df_model=df_model, df_resid=df_resid, intercept=fit_intercept)


def vif_from_r2(r2_by_feature: dict[str, float]) -> dict[str, float]:
    """VIF = 1/(1-R²) of each auxiliary regression; +inf where a feature is fully explained by the others."""
    return {k: (math.inf if r2 >= 1.0 else 1.0 / (1.0 - r2)) for k, r2 in r2_by_feature.items()}


RssFn = Callable[[list[str]], float]
SearchPath = dict[int, tuple[list[str], float]]
OnFit = Callable[[int, int], None]  # after each platform fit of a search: (fits so far, sizes finished)


def _better(rss: float, best: float) -> bool:
    """Strictly lower beyond rounding: on ties the first candidate seen wins (leaps' column order)."""
    return rss < best - 1e-9 * abs(best)


def exhaustive_search(rss_fn: RssFn, features: list[str], max_size: int) -> tuple[SearchPath, int]:
    """Best subset of every size by fitting every candidate model with the platform: C(p, k) fits per size.

    The plain definition of the answer; `branch_and_bound_search` finds the same models with far fewer fits.
    """
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


class FitBudgetExceeded(Exception):
    """An emulated search needed more platform fits than its budget allowed; it stopped at the budget."""

    def __init__(self, fits: int, budget: int) -> None:
        super().__init__(f"stopped after {fits} fits, the budget, before the search was complete")
        self.fits, self.budget = fits, budget


def _small_sizes_fits(p: int) -> int:
    """Sizes 1..s are fitted outright while that costs at most this many fits: the few one- and two-variable
    models are cheaper to fit than to reach from the full model down (on Hitters: sizes 1-2, 190 fits)."""
    return p * p


def _exhaustive_fits(p: int) -> int:
    """Every size is fitted outright when all candidates together cost at most this many fits (tiny problems,
    or a small max_size: Hitters up to size 3 is 1159 fits, fewer than the branch and bound needs to get there)."""
    return 4 * p * p


_SORT_RATIO = 2  # fit a node's whole free block to sort it when that costs at most this many fits per needed one


class _PlatformBranchAndBound:
    """Best subset of every size from a platform's own fits, by branch and bound (leaps and bounds).

    Every RSS the search looks at is one call of `rss_fn`, one platform fit; nothing is computed by mlbench. The
    bound is monotonicity: a model's RSS is at least that of any model containing it, so once a fitted model's
    RSS is above the best of every size its subsets could have, none of them need fitting.

    Tree (the dropping-columns tree of Gatu & Kontoghiorghes, as in lmSubsets): a node is an ordered model M with
    a mark k; its subtree is every subset of M that keeps M[:k]. Child j (k <= j < |M|) drops M[j] and keeps
    M[:j], so the children partition the node's proper subsets and every subset is reached once. A child's
    subtree holds sizes j..|M|-1, so a node whose RSS cannot beat the best of sizes above h skips children
    j > h without fitting them, and a fitted child whose RSS cannot beat any size of its subtree is a leaf.

    Order: a node sorts its free variables most important first (largest RSS when dropped), which gives the
    large early subtrees (small j) the largest bounds. Sorting needs every drop-one fit of the free block, so a
    node sorts only when that costs at most _SORT_RATIO fits per child it needs anyway; else it keeps its
    parent's order. Children are visited from the last (the nearly full models) to the first.

    Ties: a model within 1e-9 (relative) of the best of its size wins when its column indices come first
    lexicographically, i.e. the first in leaps' column order, as the exhaustive search's `_better` keeps it.
    A subtree is only skipped when its bound is above the best by twice that, so rounding of the platform's
    RSS cannot hide a tie.
    """

    def __init__(self, rss_fn: RssFn, features: Sequence[str], max_size: int, max_fits: int | None,
                 on_fit: OnFit | None = None) -> None:
        self.rss_fn, self.features = rss_fn, list(features)
        self.on_fit = on_fit
        self.sizes_done = 0  # sizes whose best is proven: the enumerated small sizes, then all at the end
        self.p = len(self.features)
        self.max_size, self.max_fits = max_size, max_fits
        self.best = [math.inf] * (self.p + 1)
        self.best_set: list[tuple[int, ...] | None] = [None] * (self.p + 1)
        self.best_rss = [math.nan] * (self.p + 1)
        self.fits = 0
        self.small = 0  # sizes 1..small are enumerated outright, not searched

    def run(self) -> SearchPath:
        p, m = self.p, self.max_size
        if m < 1:
            return {}
        naive = sum(math.comb(p, k) for k in range(1, m + 1))
        if naive <= _exhaustive_fits(p):
            self.small = m
        else:
            while self.small < m and sum(math.comb(p, k) for k in range(1, self.small + 2)) <= _small_sizes_fits(p):
                self.small += 1
        for k in range(1, self.small + 1):
            for combo in itertools.combinations(range(p), k):
                self._fit(combo)
            self.sizes_done = k
        if self.small < m:
            everything = list(range(p))
            self._node(everything, 0, self._fit(everything))
        return {k: ([self.features[j] for j in chosen], self.best_rss[k])
                for k in range(1, m + 1) if (chosen := self.best_set[k]) is not None}

    def _fit(self, members: Sequence[int]) -> float:
        """One platform fit of the model made of `members`; offered as a candidate of its size."""
        key = tuple(sorted(members))
        if self.max_fits is not None and self.fits >= self.max_fits:
            raise FitBudgetExceeded(self.fits, self.max_fits)
        rss = float(self.rss_fn([self.features[j] for j in key]))
        self.fits += 1
        if self.on_fit is not None:
            self.on_fit(self.fits, self.sizes_done)
        k = len(key)
        incumbent = self.best_set[k]
        if 1 <= k <= self.max_size and (
            incumbent is None or _better(rss, self.best[k])
            or (not _better(self.best[k], rss) and key < incumbent)
        ):
            self.best[k], self.best_set[k], self.best_rss[k] = min(rss, self.best[k]), key, rss
        return rss

    def _top_size(self, bound: float, lo: int, hi: int) -> int:
        """The largest searched size in lo..hi whose best a model with RSS >= bound could beat or tie, else -1."""
        for k in range(min(hi, self.max_size), max(lo, self.small + 1) - 1, -1):
            if bound <= self.best[k] + 2e-9 * abs(self.best[k]):
                return k
        return -1

    def _node(self, M: list[int], k: int, rss: float) -> None:
        """Search the subsets of M that keep M[:k]; M itself is fitted (its RSS is `rss`)."""
        n = len(M)
        h = self._top_size(rss, max(k, 1), n - 1)
        if h < 0:
            return
        dropped: dict[int, float] = {}  # variable -> RSS of M without it
        if (n - 1) - h <= _SORT_RATIO * (h - k + 1):  # sorting costs few fits beyond the needed children
            for v in M[k:]:
                dropped[v] = self._fit([u for u in M if u != v])
            M = M[:k] + sorted(M[k:], key=lambda v: -dropped[v])
        for j in range(n - 1, k - 1, -1):
            if self._top_size(rss, max(j, 1), n - 1) < 0:
                continue  # no size of this child's subtree can improve: skipped without a fit
            v = M[j]
            child = M[:j] + M[j + 1 :]
            if v not in dropped:
                dropped[v] = self._fit(child)
            if j < n - 1 and self._top_size(dropped[v], max(j, 1), n - 2) >= 0:
                self._node(child, j, dropped[v])


def branch_and_bound_search(
    rss_fn: RssFn, features: list[str], max_size: int, max_fits: int | None = None, on_fit: OnFit | None = None
) -> tuple[SearchPath, int]:
    """Best subset of every size 1..max_size from the platform's own fits, by branch and bound; the same models
    as `exhaustive_search` with far fewer fits (Hitters, p = 19: a few thousand instead of 524287).

    Returns the path and the number of fits used. With `max_fits`, stops before fit max_fits + 1 and raises
    FitBudgetExceeded (how many fits the branch and bound needs is only known by running it).
    """
    search = _PlatformBranchAndBound(rss_fn, features, max_size, max_fits, on_fit)
    return search.run(), search.fits


def forward_search(rss_fn: RssFn, features: list[str], max_size: int,
                   on_fit: OnFit | None = None) -> tuple[SearchPath, int]:
    """Forward stepwise as leaps does it: add the feature that lowers the platform's RSS most."""
    path: SearchPath = {}
    current: list[str] = []
    fits = 0
    while len(current) < max_size:
        best: tuple[str, float] | None = None
        for candidate in (f for f in features if f not in current):
            rss = rss_fn([f for f in features if f in current or f == candidate])
            fits += 1
            if on_fit is not None:
                on_fit(fits, len(path))
            if best is None or _better(rss, best[1]):
                best = (candidate, rss)
        assert best is not None
        current.append(best[0])
        path[len(current)] = ([f for f in features if f in current], best[1])
    return path, fits


def backward_search(rss_fn: RssFn, features: list[str], on_fit: OnFit | None = None) -> tuple[SearchPath, int]:
    """Backward stepwise: from all features, drop the one whose removal raises the platform's RSS least."""
    current = list(features)
    path: SearchPath = {len(current): (list(current), rss_fn(current))}
    fits = 1
    while len(current) > 1:
        best: tuple[str, float] | None = None
        for candidate in current:
            rss = rss_fn([f for f in current if f != candidate])
            fits += 1
            if on_fit is not None:
                on_fit(fits, len(path))
            if best is None or not _better(best[1], rss):  # ties: drop the later column, as the reference does
                best = (candidate, rss)
        assert best is not None
        current.remove(best[0])
        path[len(current)] = (list(current), best[1])
    return path, fits
