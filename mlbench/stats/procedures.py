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
from mlbench.errors import SkippedCell, UnsupportedStep
from mlbench.stats import emulate, subsets
from mlbench.stats.emulate import SearchPath
from mlbench.stats.ols import intercept_only, no_predictors, total_ss


class Fitter(Protocol):
    """What the procedures drive: a platform (through `fitter_for`) or the truth reference."""

    def ols(self, features: list[str]) -> OLSFit: ...
    def rss(self, features: list[str]) -> float: ...
    def vif(self, features: list[str]) -> dict[str, float]: ...
    def drop_test(self, rest: list[str], features: list[str], df_resid: int,
                  rss: float) -> tuple[int, float, float]: ...
    def gvif(self, features: list[str], groups: dict[str, list[str]],
             vif: dict[str, float]) -> dict[str, float]: ...


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
    if "Intercept" not in fit.terms:  # a fit through the origin says so in every record (R² and F about 0)
        summary["intercept"] = False
    if fit.not_estimable:
        summary["not_estimable"] = list(fit.not_estimable)
    return summary


def term_groups(terms: dict[str, list[str]] | None, features: list[str], by: str = "term") -> dict[str, list[str]]:
    """The terms among `features`, in order: a factor's dummies form one term when `by` is "term", else every
    column is its own term (per-dummy elimination). `terms` None: no factors."""
    if by == "column" or terms is None:
        return {f: [f] for f in features}
    present = set(features)
    groups = {term: [c for c in columns if c in present] for term, columns in terms.items()}
    return {term: columns for term, columns in groups.items() if columns}


def has_factor_terms(groups: dict[str, list[str]]) -> bool:
    """A term of several columns (a factor of 3+ levels): what GVIF and drop1's F-tests are for."""
    return any(len(columns) > 1 for columns in groups.values())


def has_factors(terms: dict[str, list[str]] | None, features: list[str]) -> bool:
    """Any factor among `features` (a two-level factor too: its term is named by the column, not the dummy)."""
    return any(columns != [term] for term, columns in term_groups(terms, features).items())


def term_tests(fitter: Any, fit: OLSFit, features: list[str], groups: dict[str, list[str]]) -> dict[str, Any]:
    """drop1's table for `fit` (of `features`): per term its Df and p-value; a one-column term's p is the
    platform's t-test (the same number as drop1's F = t²; NaN where the column is aliased), a factor's p is the
    F-test of the fit without the term against `fit`, from the platform's own fits (the truth computes it
    exactly), its Df the rank the term adds (fewer than its columns when a later column is aliased with them)."""
    p_of = dict(zip(fit.terms, fit.p_value, strict=True))
    out: dict[str, Any] = {}
    for term, columns in groups.items():
        if len(columns) == 1:
            out[term] = {"df": 1, "p": p_of.get(columns[0], math.nan)}
            continue
        rest = [f for f in features if f not in columns]
        df, f_value, p_value = fitter.drop_test(rest, features, fit.df_resid, fit.rss)
        out[term] = {"df": df, "f": f_value, "p": p_value}
    return out


def largest_above(values: dict[str, float], threshold: float) -> str | None:
    """The term with the largest value above threshold, NaN never counting (the first one on ties), if any: the
    term that backward elimination (p-values) and VIF removal (inflations) drop next."""
    finite = {k: v for k, v in values.items() if not math.isnan(v)}
    worst = max(finite, key=lambda k: finite[k], default=None)
    return worst if worst is not None and finite[worst] > threshold else None


def _worst(tests: dict[str, Any], alpha: float) -> str | None:
    return largest_above({term: test["p"] for term, test in tests.items()}, alpha)


def eliminate(refit: Callable[[list[str]], Any], test: Callable[[Any, list[str]], dict[str, Any]], fit: Any,
              tests: dict[str, Any], model: list[str], groups: dict[str, list[str]],
              alpha: float) -> tuple[Any, list[str], list[str]]:
    """Backward elimination, one loop for OLS (t/F tests) and GLMs (drop1's LRT): while a term's p-value in
    `tests` (those of `fit`) is above alpha, drop the worst term's columns from `model` (popping it from `groups`),
    refit and test again. Returns the last fit, its columns and the dropped terms in order."""
    dropped: list[str] = []
    while (worst := _worst(tests, alpha)) is not None:
        dropped.append(worst)
        removed = groups.pop(worst)
        model = [f for f in model if f not in removed]
        fit = refit(model)
        tests = test(fit, model)
    return fit, model, dropped


def pvalues(fitter: Fitter, features: list[str], alpha: float, by: str = "term",
            terms: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Full OLS, then drop the term with the largest p-value above alpha one at a time (never the intercept) and
    refit. A factor (a term of `terms` with several columns) is one term tested by its F-test (drop1) unless
    `by` is "column"; `dropped` names terms."""
    full = fit = fitter.ols(features)
    model = list(features)  # the formula's columns: an aliased one stays in it (as in R) and may count again later
    groups = term_groups(terms, model, by)
    factors = [term for term, columns in groups.items() if len(columns) > 1]
    first_tests = term_tests(fitter, fit, model, groups)
    fit, model, dropped = eliminate(fitter.ols, lambda f, m: term_tests(fitter, f, m, groups), fit, first_tests, model,
                                    groups, alpha)
    result = fit_summary(full)
    result["alpha"] = alpha
    result["dropped"] = dropped
    result["kept"] = [f for f in model if f not in fit.aliased]
    result["refit"] = fit_summary(fit)
    if has_factors(terms, features):
        result["by"] = by  # how factors were eliminated (named by term or by dummy); drop1's F-tests when whole
        result["term_tests"] = {t: first_tests[t] for t in factors}
    return result


OneVif = Callable[[str, list[str]], float]  # (column, the other columns) -> its VIF in that model


def vif_of(vif: Callable[[list[str]], dict[str, float]]) -> OneVif:
    """One column's VIF from a platform's all-columns VIF call."""
    return lambda column, others: vif([*others, column])[column]


def gvif_from_vif(one_vif: OneVif, features: list[str], groups: dict[str, list[str]],
                  full: dict[str, float] | None = None) -> dict[str, float]:
    """car's generalised VIF of each term from a platform's plain VIFs on sub-models (Fox & Monette 1992):
    GVIF = det R11 · det R22 / det R, which the chain rule of determinants turns into products of one-column
    VIFs, with B = b1..bk the term's columns and O the other features:
    GVIF_B = prod_i VIF(b_i | B_<i + O) / prod_i VIF(b_i | B_<i). A one-column term's GVIF is its VIF (taken from
    `full`, the VIFs of the whole model, when given)."""
    out: dict[str, float] = {}
    for term, columns in groups.items():  # two terms or more: `_gvif` answers a one-term model
        others = [f for f in features if f not in columns]
        value = 1.0
        for i, column in enumerate(columns):
            last = i == len(columns) - 1
            value *= full[column] if last and full is not None else one_vif(column, [*columns[:i], *others])
            if i > 0:
                value /= one_vif(column, columns[:i])
        out[term] = value
    return out


def gvif_table(gvif: dict[str, float], groups: dict[str, list[str]]) -> dict[str, Any]:
    """car::vif's matrix for a model with factor terms: GVIF, Df and GVIF^(1/(2 Df)) per term."""
    out = {}
    for term, value in gvif.items():
        df = len(groups[term])
        adjusted = value ** (1.0 / (2 * df)) if value >= 0 and not math.isnan(value) else math.nan
        out[term] = {"gvif": value, "df": df, "gvif_adj": adjusted}
    return out


def _gvif(fitter: Any, features: list[str], groups: dict[str, list[str]],
          vif: dict[str, float]) -> dict[str, float]:
    """The fitter's GVIF per term; a model of one term has nothing to inflate it: 1 (car refuses the model)."""
    if len(groups) == 1:
        return dict.fromkeys(groups, 1.0)
    return fitter.gvif(features, groups, vif)


def _term_inflation(fitter: Any, values: dict[str, float], current: list[str], groups: dict[str, list[str]],
                    known: dict[str, float] | None = None) -> tuple[dict[str, float], dict[str, float] | None]:
    """(what VIF removal compares with the threshold per term, the GVIF per term or None): with factor terms
    GVIF^(1/Df), the square of car's GVIF^(1/(2 Df)), on VIF's scale; else each column's VIF. `known`: the GVIF
    of these very groups, already computed."""
    if not has_factor_terms(groups):
        return {term: values[columns[0]] for term, columns in groups.items()}, None
    gvif = known if known is not None else _gvif(fitter, current, groups, values)
    return {t: g ** (1.0 / len(groups[t])) if g >= 0 else math.nan for t, g in gvif.items()}, gvif


def vif(fitter: Fitter, features: list[str], threshold: float, by: str = "term",
        terms: dict[str, list[str]] | None = None, n_obs: int | None = None) -> dict[str, Any]:
    """VIFs of all features (and car's GVIF of each factor term), then remove the term with the largest inflation
    above threshold and recompute, until none is. A factor is removed whole (compared by GVIF^(1/Df)) unless `by`
    is "column"; `dropped` names terms. NaN VIFs (R's car::vif where n = p + 1) are kept as NaN, never removed,
    and the answer says which and why (`undefined`)."""
    if len(features) < 2:  # R's car::vif refuses models with fewer than 2 terms; VIF is 1 by definition
        return {"vif": dict.fromkeys(features, 1.0), "threshold": threshold, "dropped": [], "kept": features,
                "final_vif": dict.fromkeys(features, 1.0), "rounds": 1}
    groups = term_groups(terms, features, by)
    all_terms = term_groups(terms, features)
    first = fitter.vif(features)
    gvif_first = _gvif(fitter, features, all_terms, first) if has_factor_terms(all_terms) else None
    current = list(features)
    dropped: list[str] = []
    rounds = 1
    values = first
    inflation, gvif = _term_inflation(fitter, first, current, groups, gvif_first if groups == all_terms else None)
    while len(groups) > 1 and (worst := largest_above(inflation, threshold)) is not None:
        dropped.append(worst)
        removed = groups.pop(worst)
        current = [f for f in current if f not in removed]
        values = fitter.vif(current) if len(current) > 1 else {current[0]: 1.0}
        rounds += 1
        inflation, gvif = _term_inflation(fitter, values, current, groups)
    result = {"vif": first, "threshold": threshold, "dropped": dropped, "kept": current, "final_vif": values,
              "rounds": rounds}
    nan = [f for f, value in first.items() if math.isnan(value)]
    if nan:
        result["undefined"] = {"terms": nan, "reason": _nan_vif_reason(n_obs, len(features))}
    if has_factors(terms, features):
        result["by"] = by
    if gvif_first is not None:
        result["gvif"] = gvif_table(gvif_first, all_terms)
        if gvif is not None:
            result["final_gvif"] = gvif_table(gvif, groups)
    return result


def _nan_vif_reason(n_obs: int | None, p: int) -> str:
    """Why a platform's VIFs are NaN. With n = p + 1 the full fit has no residual degrees of freedom: a VIF read
    off the coefficients' covariance matrix (R's car::vif reads cov2cor(vcov(lm))) is 0/0 there, though VIF
    itself, 1 / (1 - R²) of each column on the others, is defined by the design alone."""
    if n_obs is not None and n_obs <= p + 1:
        return (f"n = {n_obs} rows for {p} features and an intercept leave no residual degrees of freedom, so "
                "VIFs read off the coefficients' covariance, as car::vif reads them, are 0/0")
    return "the platform returned NaN"


@dataclass
class StepContext:
    """What a step needs besides the fitter: the shared design (for sizes and CV) and how the fitter works."""

    features: list[str]
    X: np.ndarray
    y: np.ndarray
    support: str  # "native" | "emulated" | "reference"
    rank: int | None = None  # columns of the design that are not exactly collinear (the truth's), when known
    terms: dict[str, list[str]] | None = None  # the design's terms (a factor: its dummies); None: one per column
    report: Callable[[str], None] | None = None  # how far a long procedure is (the runner shows it, throttled)
    intercept: bool = True  # False: every fit is through the origin (the run's `intercept: false`)

    def say(self, text: str) -> None:
        if self.report is not None:
            self.report(text)

    @property
    def n_obs(self) -> int:
        return len(self.y)

    @property
    def null_rss(self) -> float:
        """The RSS of the model without predictors: about the mean, or about 0 for a fit through the origin."""
        return total_ss(self.y, self.intercept)


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
            return emulate.branch_and_bound_search(fitter.rss, features, max_size, max_fits=max_fits,
                                                   on_fit=_search_progress(ctx, f" (budget {max_fits:,})", max_size))
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
    on_fit = _search_progress(ctx, f"/{needed:,}", max_size if method == "forward" else len(features))
    if method == "forward":
        return emulate.forward_search(fitter.rss, features, max_size, on_fit)
    path, fits = emulate.backward_search(fitter.rss, features, on_fit)
    return {k: v for k, v in path.items() if k <= max_size}, fits


def _search_progress(ctx: StepContext, bound: str, sizes: int) -> emulate.OnFit:
    """What an emulated search says after each platform fit: fits done of its bound, sizes finished."""
    return lambda fits, done: ctx.say(f"fits {fits:,}{bound}, sizes {done}/{sizes}")


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
    k_max = _largest_size(ctx, max_size)
    path, fits = _search(fitter, ctx, method, k_max, max_fits, max_seconds)
    return _subset_answer(fitter, ctx, method, path, fits, k_max, cv_folds)


def _largest_size(ctx: StepContext, max_size: int | None) -> int:
    p = len(ctx.features)
    return min(max_size or p, p, ctx.rank or p)  # no larger subsets than the design's rank, as leaps' nvmax


def _subset_answer(fitter: Any, ctx: StepContext, method: str, path: SearchPath, fits: Any, k_max: int,
                   cv_folds: int | None) -> dict[str, Any]:
    """A subset step's answer from its path (size -> (set, RSS)): leaps' criteria per size, the picks."""
    p = len(ctx.features)
    full_rss = path[p][1] if p in path else fitter.rss(ctx.features)
    crit = subsets.criteria({k: rss for k, (_, rss) in path.items()}, ctx.n_obs, ctx.null_rss, full_rss, p)
    by_size: dict[str, Any] = {}
    for k, (chosen, _) in sorted(path.items()):
        by_size[str(k)] = {"features": chosen, **crit[k]}
        if cv_folds:
            columns = [ctx.features.index(f) for f in chosen]
            by_size[str(k)]["cv_mse"] = cv_mse(ctx.X, ctx.y, columns, cv_folds)
    return {"method": method, "by_size": by_size, "chosen": subsets.chosen_sizes(crit), "fits": fits,
            "max_size": k_max, "n_features": p}


def subset_branch(fitter: Any, ctx: StepContext, method: str, sets: dict[int, list[str]], max_size: int | None,
                  cv_folds: int | None = None) -> dict[str, Any]:
    """The truth's stepwise answer along another branch of its exact ties: the given sets (a platform's path up to
    and including the set it chose at a tie), then the truth's own path from the last of them, every set's RSS
    from the truth's engine. Backward: the truth's elimination run on that set's columns (the same procedure, so
    the same rules); forward: its greedy additions to that set, on the engine's RSS. What grading reads a tie
    with (`grading.follow_ties`)."""
    if ctx.support != "reference" or method not in ("forward", "backward"):
        raise ValueError(f"only the truth reference follows a stepwise branch ({method}, {ctx.support})")
    k_max = _largest_size(ctx, max_size)
    last = sets[min(sets)] if method == "backward" else sets[max(sets)]
    path: SearchPath = {k: (list(chosen), fitter.rss(list(chosen))) for k, chosen in sets.items()}
    if method == "backward":
        rest = fitter.subset_path("backward", [f for f in ctx.features if f in last], k_max)
    else:
        rest = _forward_from(fitter.rss, ctx.features, last, k_max, ctx.null_rss)
    path.update({k: v for k, v in rest.items() if k not in path})
    return _subset_answer(fitter, ctx, method, path, None, k_max, cv_folds)


def _forward_from(rss: Callable[[list[str]], float], features: list[str], start: list[str], k_max: int,
                  null_rss: float) -> SearchPath:
    """Forward stepwise from the set `start`: add the column that lowers the RSS most, up to `k_max` columns;
    ties (within the truth's tie slack) go to the earliest column, as the truth's forward path breaks them."""
    current = [f for f in features if f in start]
    path: SearchPath = {}
    while len(current) < k_max:
        candidates = [f for f in features if f not in current]
        values = [rss([g for g in features if g in current or g == f]) for f in candidates]
        low = min(values)
        pick = next(i for i, v in enumerate(values) if v <= low + subsets._tie_slack(low, null_rss))
        current = [g for g in features if g in current or g == candidates[pick]]
        path[len(current)] = (current, values[pick])
    return path


def f_test(rss_without: float, rss: float, df: int, df_resid: int) -> tuple[float, float]:
    """drop1's F-test of a term adding `df` to the rank: F = ((RSS without - RSS) / df) / (RSS / df_resid) and its
    upper tail, in float64 from the two RSS a platform reported; NaN when the term adds nothing (all aliased)."""
    from scipy import stats  # here, not at import: scipy.stats costs 0.6 s of a run's start-up

    if df <= 0 or df_resid <= 0:
        return math.nan, math.nan
    if rss <= 0:
        return (math.inf, 0.0) if rss_without > rss else (math.nan, math.nan)
    f_value = ((rss_without - rss) / df) / (rss / df_resid)
    return f_value, float(stats.f.sf(f_value, df, df_resid))


def drop_test_by_fits(ols: Callable[[list[str]], OLSFit], rest: list[str], df_resid: int, rss: float, n_obs: int,
                      null_rss: float, intercept: bool = True) -> tuple[int, float, float]:
    """drop1's (Df, F, p) of the columns missing from `rest`, from a fitter's own fit of `rest`: Df is the rank
    they add (residual Df of that fit less `df_resid`). Without any column the model is the intercept alone, its
    RSS the TSS (a platform may refuse to fit no columns, scikit-learn does)."""
    without = ols(rest) if rest else None
    df = (without.df_resid if without else n_obs - (1 if intercept else 0)) - df_resid
    return df, *f_test(without.rss if without else null_rss, rss, df, df_resid)


class OnPlatform:
    """A platform as the procedures drive it for one cell: its primitives unchanged, plus what mlbench builds on
    them where the platform has no call of its own: the F-test of a factor term from the platform's RSS, and
    the GVIF of a factor term from the platform's VIF (or the platform's own GVIF, R's car::vif)."""

    def __init__(self, fitter: Any, ctx: StepContext) -> None:
        self.fitter, self.ctx = fitter, ctx

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fitter, name)

    def drop_test(self, rest: list[str], features: list[str], df_resid: int,
                  rss: float) -> tuple[int, float, float]:
        return drop_test_by_fits(self.ols, rest, df_resid, rss, self.ctx.n_obs, self.ctx.null_rss, self.ctx.intercept)

    def gvif(self, features: list[str], groups: dict[str, list[str]], vif: dict[str, float]) -> dict[str, float]:
        try:
            return dict(self.fitter.gvif(features, groups))
        except UnsupportedStep:  # no GVIF of its own: from its VIF on sub-models
            return gvif_from_vif(vif_of(self.vif), features, groups, vif)


class Emulated(OnPlatform):
    """A platform whose missing statistics mlbench emulates from the platform's own primitives, as one cell's
    support says: OLS inference from its `coefficients` (standard errors from its residuals on the shared design),
    VIF from its auxiliary `r_squared`. Everything else (rss, native calls) goes to the platform unchanged."""

    def ols(self, features: list[str]) -> OLSFit:
        if not features:  # elimination can end with no predictors, a fit no platform library makes: the mean's
            if not self.ctx.intercept:  # through the origin: the empty model, y ~ 0
                return no_predictors(self.ctx.n_obs, self.ctx.null_rss)
            return intercept_only(self.ctx.n_obs, float(self.ctx.y.mean()), self.ctx.null_rss)  # t test, as H2O's
        intercept, coef = self.fitter.coefficients(features)
        columns = [self.ctx.features.index(f) for f in features]
        return emulate.ols_inference(self.ctx.X[:, columns], self.ctx.y, intercept, np.asarray(coef), features,
                                     self.ctx.intercept)

    def vif(self, features: list[str]) -> dict[str, float]:
        r2 = {}
        for index, f in enumerate(features):
            self.ctx.say(f"auxiliary fit {index + 1}/{len(features)}")
            r2[f] = self.fitter.r_squared([g for g in features if g != f], f)
        return emulate.vif_from_r2(r2)

    def gvif(self, features: list[str], groups: dict[str, list[str]], vif: dict[str, float]) -> dict[str, float]:
        """From one auxiliary R² per needed VIF (not a whole VIF call each)."""
        return gvif_from_vif(lambda column, others: emulate.vif_from_r2({column: self.fitter.r_squared(others, column)})
                             [column], features, groups, vif)


def fitter_for(fitter: Any, ctx: StepContext) -> Any:
    """The fitter a procedure drives for one cell: the truth reference as it is, a platform with what mlbench
    builds on its primitives (and, where its support is emulated, with the emulated statistics)."""
    if ctx.support == "reference":
        return fitter
    return Emulated(fitter, ctx) if ctx.support == "emulated" else OnPlatform(fitter, ctx)
