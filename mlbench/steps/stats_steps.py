"""The statistics steps: pvalues, vif, subset. Each has an exact answer (the truth reference's) and a grade in
correct digits; the procedures themselves are in mlbench.stats.procedures."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from mlbench import grading
from mlbench.steps.table import Rows, StepKind, StepSpec, register


class PValuesStep(StepSpec):
    step: Literal["pvalues"]
    alpha: float = Field(0.05, gt=0, le=1)  # 1: no elimination, the full fit only
    by: Literal["term", "column"] = "term"  # a factor: dropped whole by its F-test (drop1), or one dummy at a time


class VifStep(StepSpec):
    step: Literal["vif"]
    threshold: float = Field(10.0, gt=1)
    by: Literal["term", "column"] = "term"  # a factor: removed whole by GVIF^(1/Df), or one dummy at a time


SUBSET_METHODS = ("best", "forward", "backward")


class SubsetStep(StepSpec):
    step: Literal["subset"]
    methods: list[Literal["best", "forward", "backward"]] = ["best", "forward", "backward"]
    max_size: int | None = Field(None, ge=1)
    max_fits: int = Field(20000, ge=1)
    max_seconds: float | None = Field(None, gt=0)  # time budget of an emulated search (None: only max_fits)
    cv_folds: int | None = Field(None, ge=2)


def _last_ok(rows: Rows) -> dict[str, Any] | None:
    ok = [r for r in rows if r.get("status") == "ok" and r.get("result")]
    return ok[-1] if ok else None


def _pvalues_headline(rows: Rows) -> tuple[str | None, float | None]:
    last = _last_ok(rows)
    return ("adj_r_squared", last["result"].get("adj_r_squared")) if last else (None, None)


def _vif_headline(rows: Rows) -> tuple[str | None, float | None]:
    last = _last_ok(rows)
    if last is None:
        return None, None
    vifs = [v for v in (last["result"].get("vif") or {}).values() if isinstance(v, int | float)]
    return "max_vif", max(vifs) if vifs else None


def _subset_headline(rows: Rows) -> tuple[str | None, float | None]:
    last = _last_ok(rows)
    deviation = (last or {}).get("deviation") or {}
    total = deviation.get("sizes_total")
    return ("share_sizes_same_set", deviation.get("sizes_agree", 0) / total) if total else (None, None)


def _grade_pvalues(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float,
                   truth: dict[str, Any] | None) -> dict[str, Any]:
    deviation = grading.grade_pvalues(got, ref, pass_digits, cap, truth)
    if truth and truth.get("certified"):
        deviation["certified"] = grading.grade_certified(got, truth["certified"], cap, truth.get("tss"))
    return deviation


def _grade_vif(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float,
               truth: dict[str, Any] | None) -> dict[str, Any]:
    return grading.grade_vif(got, ref, pass_digits, cap, truth)


def _grade_subset(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float,
                  truth: dict[str, Any] | None) -> dict[str, Any]:
    deviation = grading.grade_subset(got, ref, pass_digits, cap, truth)
    if truth and truth.get("support"):
        deviation["truth"] = grading.selection_quality(got, truth["support"])
    return deviation


def _pvalues_shape(n: int, p: int) -> str | None:
    if n > p + 1:
        return None
    return (f"pvalues needs more rows than coefficients (n > p + 1): {n} complete rows for {p} features plus an "
            "intercept leave no residual degrees of freedom for standard errors")


def _vif_shape(n: int, p: int) -> str | None:
    if n > p:
        return None
    return (f"vif needs more rows than features (n > p): with {n} complete rows and {p} features each auxiliary "
            "regression fits its column exactly")


def _subset_shape(n: int, p: int) -> str | None:
    return None if n >= 3 else f"subset needs at least 3 complete rows ({n} here)"


def _procedures() -> Any:
    """The procedures module, imported when a step runs (numpy and scipy stay off a scenario parse)."""
    from mlbench.stats import procedures

    return procedures


register(StepKind(
    name="pvalues", spec=PValuesStep, statistics=True, overrides={"alpha": "alpha", "by": "by"},
    run=lambda spec, variant, fitter, ctx: _procedures().pvalues(_procedures().fitter_for(fitter, ctx),
                                                                 ctx.features, spec.alpha, spec.by, ctx.terms),
    grade=_grade_pvalues, headline=_pvalues_headline, shape=_pvalues_shape,
))
register(StepKind(
    name="vif", spec=VifStep, statistics=True, overrides={"threshold": "vif_threshold", "by": "by"},
    run=lambda spec, variant, fitter, ctx: _procedures().vif(_procedures().fitter_for(fitter, ctx), ctx.features,
                                                             spec.threshold, spec.by, ctx.terms),
    grade=_grade_vif, headline=_vif_headline, shape=_vif_shape,
))
register(StepKind(
    name="subset", spec=SubsetStep, statistics=True, overrides={"methods": "methods", "max_fits": "max_fits"},
    variants=lambda spec: list(spec.methods), variant_key="method", variant_values=SUBSET_METHODS,
    run=lambda spec, variant, fitter, ctx: _procedures().subset(fitter, ctx, variant, spec.max_size,
                                                                spec.max_fits, spec.cv_folds, spec.max_seconds),
    grade=_grade_subset, headline=_subset_headline, shape=_subset_shape,
))
