"""The statistics steps under a GLM family (binomial/logit, poisson/log), R's way, written once over one
primitive: a GLM fit of a set of columns. A platform answers it natively (`Adapter.glm`), or mlbench emulates the
inference from its estimates (`Adapter.glm_coefficients`, `stats.glm.wald_fit`); the truth answers it with
`glm_reference.certified_fit`. The same procedure drives all three, which is what makes the answers comparable.
A search asks for the fits it only orders models by with `search=True`: the truth answers those with its cheaper
extended-precision fit and certifies the models it reports (a platform answers both alike). Where the truth's
full model has no finite MLE its answer carries `separation` (kind, terms), which the grade reads.

- pvalues: the full fit as `summary(glm())` prints it, and R's `drop1(fit, test = "LRT")` per term (a factor
  tested whole by the deviance its columns add); backward elimination drops the term with the largest LRT
  p-value above alpha and refits, until none is.
- vif: car::vif on a glm: from the coefficient covariance, intercept dropped, on its correlation matrix
  (GVIF = det R11 · det R22 / det R per term; a one-column term's VIF), then iterative removal as for OLS.
- subset, searched over terms (a factor is one term; sizes count terms): `best` is the best model of every size
  by deviance (branch and bound is valid: deviance never rises when a term is added), `forward` and `backward`
  are R's `step(direction = ...)` by AIC: the greedy path to the end, and `step`, the model where R's `step`
  stops (the first move that lowers AIC no further).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from mlbench.adapter import GLMFit
from mlbench.errors import SkippedCell, UnsupportedStep
from mlbench.stats import emulate, glm
from mlbench.stats.procedures import StepContext, eliminate, gvif_table, has_factors, largest_above, term_groups


class GLMFitter:
    """One cell's GLM fits: the platform's own (`native`), emulated from its estimates (`emulated`), or the
    truth's (`reference`: a `GLMReference`). Each model is fitted once per cell; the model without columns is
    the intercept alone, whose MLE is closed form (a fit no platform library makes)."""

    def __init__(self, fitter: Any, ctx: StepContext, family: str, vif_native: bool = False,
                 own_fits: bool | None = None) -> None:
        self.fitter, self.ctx, self.family, self.vif_native = fitter, ctx, family, vif_native
        self._fits: dict[tuple[str, ...], GLMFit] = {}
        self._seen: set[tuple[str, ...]] = set()  # models fitted (certified or only searched), counted once
        self.count = 0
        # the platform's own `glm` (True), its `glm_coefficients` (False), or: try `glm`, else the estimates (None:
        # a search or VIF that mlbench emulates over whichever GLM fit the platform has)
        self.own_fits = own_fits
        self.deadline: float | None = None  # a platform search's time budget (the subset step's max_seconds)

    def _platform_fit(self, features: list[str], X: np.ndarray) -> GLMFit:
        if self.own_fits is not False:
            try:
                fit: GLMFit = self.fitter.glm(list(features), self.family)
                self.own_fits = True
                return fit
            except UnsupportedStep:
                if self.own_fits:
                    raise
                self.own_fits = False
        c = self.fitter.glm_coefficients(list(features), self.family)
        return glm.wald_fit(self.family, X, self.ctx.y, np.array([c.intercept, *c.coefficients]), list(features),
                            c.iterations, c.converged, c.warnings)

    def _columns(self, features: list[str]) -> np.ndarray:
        return self.ctx.X[:, [self.ctx.features.index(f) for f in features]]

    def glm(self, features: list[str], search: bool = False) -> GLMFit:
        """The fit of the model of `features` (cached). `search`: only to order models by (the truth's
        uncertified extended-precision fit; a platform's own fit as always)."""
        key = tuple(features)
        if key in self._fits:
            return self._fits[key]
        if key not in self._seen:
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise SkippedCell(f"search stopped after {self.count} fits, its time budget (max_seconds in the "
                                  "scenario's subset step)")
            self.count += 1
            self._seen.add(key)
        if self.ctx.support == "reference":  # the truth: certified (its intercept-only MLE too), or searched
            fit: GLMFit = self.fitter.search_glm(list(features)) if search else self.fitter.glm(list(features))
            if not search:
                self._fits[key] = fit
            return fit
        X = self._columns(features)
        if not features:
            fit = glm.wald_fit(self.family, X, self.ctx.y, np.array([glm.intercept_only(self.family, self.ctx.y)]),
                               [])
        else:
            fit = self._platform_fit(features, X)
        self._fits[key] = fit
        return fit

    def separation(self, features: list[str]) -> dict[str, Any] | None:
        """The truth's separation of the model of `features` (kind, terms) where it has no finite MLE, else
        None; a platform's answer says what the platform said instead (converged, warnings)."""
        if self.ctx.support != "reference" or not features:
            return None
        found: dict[str, Any] | None = self.fitter.separation(list(features))
        return found

    def covariance(self, fit: GLMFit) -> np.ndarray:
        return glm.covariance(fit, self._columns(fit.terms[1:]), self.ctx.y)

    def platform_vif(self, features: list[str]) -> dict[str, float] | None:
        """The platform's own GLM VIF (R's car::vif) where its vif is declared native, else None."""
        if not self.vif_native or self.ctx.support == "reference":
            return None
        try:
            return dict(self.fitter.glm_vif(list(features), self.family))
        except UnsupportedStep:
            return None


def drop1(fitter: GLMFitter, fit: GLMFit, features: list[str], groups: dict[str, list[str]]) -> dict[str, Any]:
    """R's `drop1(fit, test = "LRT")`: per term the fit without it, its Df (columns it adds to the rank),
    Deviance, AIC, LRT (the deviance it adds) and the chi-squared upper tail of the LRT."""
    from scipy import stats

    out: dict[str, Any] = {}
    for term, columns in groups.items():
        without = fitter.glm([f for f in features if f not in columns])
        df = without.df_resid - fit.df_resid
        lrt = without.deviance - fit.deviance
        p = float(stats.chi2.sf(lrt, df)) if df > 0 else math.nan
        out[term] = {"df": df, "deviance": without.deviance, "aic": without.aic, "lrt": lrt, "p": p}
    return out


def pvalues(fitter: GLMFitter, features: list[str], alpha: float, by: str = "term",
            terms: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The full fit, then backward elimination by drop1's LRT p-value (never the intercept), refitting each
    time; `term_tests` is drop1's table of the full model."""
    full = fit = fitter.glm(list(features))
    model = list(features)
    groups = term_groups(terms, model, by)
    first = drop1(fitter, fit, model, groups)
    fit, model, dropped = eliminate(fitter.glm, lambda f, m: drop1(fitter, f, m, groups), fit, first, model, groups,
                                    alpha)
    result = glm.summary(full)
    result.update(alpha=alpha, dropped=dropped, kept=model, refit=glm.summary(fit), term_tests=first, fits=fitter.count)
    if has_factors(terms, features):
        result["by"] = by
    return result


def _inflation(fitter: GLMFitter, features: list[str], groups: dict[str, list[str]],
               ) -> tuple[dict[str, float], dict[str, float]]:
    """(VIF per column, GVIF per term) of the model of `features`, as car::vif computes them from the fit's
    coefficient covariance (or as the platform's own car::vif reports them)."""
    if len(features) < 2:
        return dict.fromkeys(features, 1.0), dict.fromkeys(groups, 1.0)
    fit = fitter.glm(list(features))
    cov = fitter.covariance(fit)
    columns = {f: i for i, f in enumerate(features)}
    per_column = dict(zip(features, glm.gvif(cov, [[i] for i in range(len(features))]), strict=True))
    per_term = dict(zip(groups, glm.gvif(cov, [[columns[c] for c in cs] for cs in groups.values()]), strict=True))
    own = fitter.platform_vif(features)
    if own:
        per_column.update({k: float(v) for k, v in own.items() if k in per_column})
        per_term.update({k: float(v) for k, v in own.items() if k in per_term})
    return per_column, per_term


def vif(fitter: GLMFitter, features: list[str], threshold: float, by: str = "term",
        terms: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """car::vif of the full GLM (GVIF per factor term), then remove the term with the largest inflation above
    threshold (GVIF^(1/Df) for factor terms, VIF's scale) and recompute, until none is."""
    all_terms = term_groups(terms, features)
    groups = term_groups(terms, features, by)
    first, gvif_first = _inflation(fitter, features, all_terms)
    current, dropped, rounds = list(features), [], 1
    values, gvif = first, _inflation(fitter, features, groups)[1]
    while len(groups) > 1:
        worst = largest_above({t: g ** (1.0 / len(groups[t])) for t, g in gvif.items()}, threshold)
        if worst is None:
            break
        dropped.append(worst)
        removed = groups.pop(worst)
        current = [f for f in current if f not in removed]
        values, gvif = _inflation(fitter, current, groups)
        rounds += 1
    result: dict[str, Any] = {"family": fitter.family, "vif": first, "threshold": threshold, "dropped": dropped,
                              "kept": current, "final_vif": values, "rounds": rounds}
    if has_factors(terms, features):
        result["by"] = by
        result["gvif"] = gvif_table(gvif_first, all_terms)
        result["final_gvif"] = gvif_table(gvif, groups) if any(len(c) > 1 for c in groups.values()) else {}
    return result


def _columns_of(groups: dict[str, list[str]], chosen: list[str]) -> list[str]:
    return [c for term, cs in groups.items() if term in chosen for c in cs]


def _bic(fit: GLMFit) -> float:
    k = fit.n_obs - fit.df_resid
    return fit.aic - 2 * k + math.log(fit.n_obs) * k


def _size_entry(fit: GLMFit, chosen: list[str]) -> dict[str, Any]:
    return {"features": chosen, "deviance": fit.deviance, "aic": fit.aic, "bic": _bic(fit)}


def _step_path(fitter: GLMFitter, groups: dict[str, list[str]], forward: bool,
               max_fits: int) -> tuple[dict[int, list[str]], list[str]]:
    """R's `step` by AIC over terms, continued greedily to the end of the path: (size -> terms, the model where R's
    `step` stops). Each stage tries every single-term move; ties go to the earlier term, and a move must lower
    the AIC strictly to be taken by `step` (R orders `<none>` first)."""
    names = list(groups)
    current = [] if forward else list(names)
    path = {len(current): list(current)}
    stop: list[str] | None = None
    while (len(current) < len(names)) if forward else current:
        here = fitter.glm(_columns_of(groups, current), search=True).aic
        best: tuple[float, str] | None = None
        for term in names:
            if (term in current) == forward:
                continue
            trial = [t for t in names if (t in current) != (t == term)]
            if fitter.count >= max_fits:
                raise SkippedCell(f"{'forward' if forward else 'backward'} step by AIC needs more than {max_fits} "
                                  "fits, the budget (--max-fits)")
            aic = fitter.glm(_columns_of(groups, trial), search=True).aic
            if best is None or aic < best[0]:
                best = (aic, term)
        assert best is not None
        if stop is None and not best[0] < here:
            stop = list(current)
        current = [t for t in names if (t in current) != (t == best[1])]
        path[len(current)] = list(current)
        fitter.ctx.say(f"step by AIC: {len(path)} of {len(names) + 1} sizes")
    return path, stop if stop is not None else list(current)


def subset(fitter: GLMFitter, ctx: StepContext, method: str, max_size: int | None, max_fits: int) -> dict[str, Any]:
    """Per size (in terms) the chosen terms with deviance, AIC and BIC, the sizes AIC and BIC pick; `step` for
    forward/backward: R's `step` result."""
    groups = term_groups(ctx.terms, ctx.features)
    names = list(groups)
    k_max = min(max_size or len(names), len(names))
    result: dict[str, Any] = {"method": method, "family": fitter.family, "by": "term", "max_size": k_max}
    if method == "best":
        def deviance(chosen: list[str]) -> float:
            return fitter.glm(_columns_of(groups, chosen), search=True).deviance

        try:
            found, _ = emulate.branch_and_bound_search(deviance, names, k_max, max_fits=max_fits)
        except emulate.FitBudgetExceeded as stopped:
            raise SkippedCell(f"best subset by deviance stopped after {stopped.fits} fits, the budget "
                              f"(--max-fits {max_fits}), before it had proved the best model of every size") from None
        path = {0: [], **{k: chosen for k, (chosen, _) in found.items()}}
    else:
        path, stop = _step_path(fitter, groups, method == "forward", max_fits)
        path = {k: v for k, v in path.items() if k <= k_max}
        result["step"] = stop
    by_size = {k: _size_entry(fitter.glm(_columns_of(groups, chosen)), chosen) for k, chosen in sorted(path.items())}
    result["by_size"] = {str(k): v for k, v in by_size.items()}
    result["chosen"] = {name: min(by_size, key=lambda k: (by_size[k][name], k)) for name in ("aic", "bic")}
    result["fits"] = fitter.count
    return result


def run(step: str, spec: Any, variant: str | None, fitter: Any, ctx: StepContext) -> dict[str, Any]:
    """A statistics step under the GLM family `spec.family` (the hook the step table calls)."""
    native = ctx.support == "native"
    own_fits = True if native else (False if step == "pvalues" else None)  # emulated p-values: from estimates
    glm_fitter = GLMFitter(fitter, ctx, spec.family, vif_native=step == "vif" and native, own_fits=own_fits)
    if step in ("pvalues", "vif"):
        result = pvalues(glm_fitter, ctx.features, spec.alpha, spec.by, ctx.terms) if step == "pvalues" else \
            vif(glm_fitter, ctx.features, spec.threshold, spec.by, ctx.terms)
        if step == "vif" and ctx.features:  # what the platform said of the full fit VIF comes from (separation)
            full = glm_fitter.glm(list(ctx.features))
            result.update(converged=full.converged, warnings=list(full.warnings))
        separated = glm_fitter.separation(ctx.features)
        if separated:  # the truth's full model has no finite MLE: the grade reads what the platform said
            result["separation"] = separated
        return result
    if step == "subset":  # cv_folds is OLS's cross-validated MSE: a GLM search reports deviance, AIC and BIC
        if spec.max_seconds is not None and ctx.support != "reference":
            glm_fitter.deadline = time.monotonic() + spec.max_seconds
        return subset(glm_fitter, ctx, variant or "best", spec.max_size, spec.max_fits)
    raise UnsupportedStep(f"step {step!r} has no GLM procedure")
