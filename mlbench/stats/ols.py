"""Finishing an OLS answer from the raw numbers a platform reports, as R's summary.lm defines each quantity.

Adapters call these to turn what their platform returned (sums of squares, degrees of freedom, a column's mean and
variance) into mlbench's contract, so every platform's R², adj. R² and F mean the same thing; they never
recompute from data what the platform did not report.
"""

from __future__ import annotations

import math
from typing import Any

from mlbench.adapter import OLSFit


def f_statistic(r_squared: float, df_model: int, df_resid: int) -> float:
    """The overall F of a model with intercept: NaN without a model or residual degree of freedom, +inf for an
    exact fit (R² = 1), as the exact reference reports it."""
    if df_model <= 0 or df_resid <= 0 or math.isnan(r_squared):
        return math.nan
    if r_squared >= 1.0:
        return math.inf
    return (r_squared / df_model) / ((1.0 - r_squared) / df_resid)


def goodness_of_fit(rss: float, tss: float, n: int, df_model: int, df_resid: int,
                    intercept: bool = True) -> tuple[float, float, float]:
    """R², adj. R² and F from the residual and total sums of squares and the degrees of freedom (NaN where
    undefined). A fit through the origin (`intercept` False) follows R's summary.lm: `tss` is the uncentred
    sum of squares Σy², df_model = p, and adj. R² scales by n (not n - 1) over df_resid = n - p."""
    if tss <= 0 or df_resid <= 0:
        return math.nan, math.nan, math.nan
    r2 = 1.0 - rss / tss
    adj = 1.0 - (1.0 - r2) * (n - (1 if intercept else 0)) / df_resid
    return r2, adj, f_statistic(r2, df_model, df_resid)


def finished_fit(terms: list[str], estimate: list[float], std_error: list[float], t_value: list[float],
                 p_value: list[float], *, rss: float, tss: float, n: int, df_model: int, df_resid: int,
                 intercept: bool = True, aliased: list[str] | None = None) -> OLSFit:
    """An OLSFit from a coefficient table (terms, estimates, standard errors, t values, p-values) and the sums of
    squares, with R², adj. R² and F finished by goodness_of_fit: the one home for every fit whose source reports
    the sums of squares but not those statistics (H2O's GLM, the emulated scikit-learn fit)."""
    r2, adj, f = goodness_of_fit(rss, tss, n, df_model, df_resid, intercept)
    return OLSFit(terms=terms, estimate=estimate, std_error=std_error, t_value=t_value, p_value=p_value,
                  r_squared=r2, adj_r_squared=adj, f_statistic=f, df_model=df_model, df_resid=df_resid, rss=rss,
                  n_obs=n, aliased=aliased or [])


def total_ss(y: Any, intercept: bool = True) -> float:
    """The total sum of squares R² compares with: about the mean with an intercept, about 0 without (R's
    convention for a fit through the origin, whose null model predicts 0)."""
    import numpy as np

    y = np.asarray(y, dtype=float)
    centred = y - y.mean() if intercept else y
    return float(np.sum(centred**2))


def no_predictors(n: int, y_squares: float) -> OLSFit:
    """The empty model of a fit through the origin (elimination can drop every predictor): y ~ 0 predicts 0, its
    RSS is Σy² on n residual degrees of freedom, R² 0 as R reports it, no F."""
    return OLSFit(terms=[], estimate=[], std_error=[], t_value=[], p_value=[], r_squared=0.0, adj_r_squared=0.0,
                  f_statistic=math.nan, df_model=0, df_resid=n, rss=y_squares, n_obs=n)


def intercept_only(n: int, mean: float, tss: float) -> OLSFit:
    """The model with no predictors (backward elimination can end there) from the target's n, mean and total sum
    of squares, for platforms that refuse an empty predictor list: the t test of the mean."""
    from scipy import stats

    df_resid = n - 1
    se = math.sqrt(tss / df_resid / n) if df_resid > 0 else math.nan
    t = mean / se if se > 0 else math.nan
    p = float(2.0 * stats.t.sf(abs(t), df_resid)) if not math.isnan(t) else math.nan
    return OLSFit(terms=["Intercept"], estimate=[mean], std_error=[se], t_value=[t], p_value=[p], r_squared=0.0,
                  adj_r_squared=0.0, f_statistic=math.nan, df_model=0, df_resid=df_resid, rss=tss, n_obs=n)
