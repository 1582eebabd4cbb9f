"""The statistical procedures of each step, written once over an adapter's primitives.

Backward elimination by p-value and iterative VIF removal are the same procedure whichever platform fits the
models, so they live here, not in adapters. The reference (mlbench.reference) is driven through the very same
functions, which is what makes a platform's answer comparable with it.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from mlbench.adapter import OLSFit


class Fitter(Protocol):
    def ols(self, features: list[str]) -> OLSFit: ...
    def vif(self, features: list[str]) -> dict[str, float]: ...


def _fit_summary(fit: OLSFit) -> dict[str, Any]:
    return {
        "coefficients": fit.coefficients(),
        "r_squared": fit.r_squared,
        "adj_r_squared": fit.adj_r_squared,
        "f_statistic": fit.f_statistic,
        "f_df": [fit.df_model, fit.df_resid],
        "rss": fit.rss,
        "n_obs": fit.n_obs,
        "aliased": list(fit.aliased),
    }


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
    result = _fit_summary(full)
    result["alpha"] = alpha
    result["dropped"] = dropped
    result["kept"] = current
    result["refit"] = _fit_summary(fit)
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


def run(spec: Any, variant: str | None, fitter: Any, features: list[str]) -> dict[str, Any]:
    """Run one step of a scenario (a `mlbench.scenario` step spec) on a fitter: an adapter or the reference."""
    if spec.step == "pvalues":
        return pvalues(fitter, features, spec.alpha)
    if spec.step == "vif":
        return vif(fitter, features, spec.threshold)
    raise ValueError(f"step {spec.step!r} is not implemented")


def variants(spec: Any) -> list[str | None]:
    """The cells a step spec expands into: one per subset method, else one."""
    return list(spec.methods) if spec.step == "subset" else [None]
