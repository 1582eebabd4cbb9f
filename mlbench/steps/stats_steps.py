"""The statistics steps: pvalues, vif, subset. Each has an exact answer (the truth reference's) and a grade in
correct digits; the procedures themselves are in mlbench.stats.procedures."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from mlbench import grading
from mlbench.steps.table import Rows, StepKind, StepSpec, register


class FamilySpec(StepSpec):
    """A statistics step with a GLM procedure: its family is run-level (the scenario's `family`, `--family`, the
    dataset's, or decided from the target), written into each cell's spec by the planner, so the cell's records
    (params), the capability it needs (`glm:FAMILY`) and the truth all read it from one place."""

    family: Literal["gaussian", "binomial", "poisson"] = "gaussian"


def _glm() -> Any:
    """The GLM procedures and their grades, imported when a GLM cell runs or is graded."""
    from mlbench import grading_glm
    from mlbench.stats import glm_procedures

    return glm_procedures, grading_glm


def _by_family(step: str, run: Any) -> Any:
    """The step's run: its OLS procedure, or under a GLM family the GLM one (stats.glm_procedures)."""
    def dispatch(spec: Any, variant: Any, fitter: Any, ctx: Any) -> dict[str, Any]:
        if getattr(spec, "family", "gaussian") == "gaussian":
            return run(spec, variant, fitter, ctx)
        return _glm()[0].run(step, spec, variant, fitter, ctx)
    return dispatch


def _graded_by_family(step: str, grade: Any) -> Any:
    """The step's grade; a GLM answer (its truth names a family) by grading_glm."""
    def dispatch(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float,
                 truth: dict[str, Any] | None, **paths: Any) -> dict[str, Any]:
        """`paths`: `against` (R or the truth) and, for the OLS grades, `branch` (exact ties in a path; no exact
        engine follows a GLM path's ties)."""
        if ref.get("family", "gaussian") == "gaussian":
            return grade(got, ref, pass_digits, cap, truth, **paths)
        return _glm()[1].grade(step, got, ref, pass_digits, cap, paths.get("against", grading.TRUTH))
    return dispatch


class PValuesStep(FamilySpec):
    step: Literal["pvalues"]
    alpha: float = Field(0.05, gt=0, le=1)  # 1: no elimination, the full fit only
    by: Literal["term", "column"] = "term"  # a factor: dropped whole by its F-test (drop1), or one dummy at a time


class VifStep(FamilySpec):
    step: Literal["vif"]
    threshold: float = Field(10.0, gt=1)
    by: Literal["term", "column"] = "term"  # a factor: removed whole by GVIF^(1/Df), or one dummy at a time


SUBSET_METHODS = ("best", "forward", "backward")


class SubsetStep(FamilySpec):
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
    if last and last["result"].get("family", "gaussian") != "gaussian":  # a GLM: R's AIC of the full fit
        return "aic", last["result"].get("aic")
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
                   truth: dict[str, Any] | None, against: str = grading.TRUTH) -> dict[str, Any]:
    deviation = grading.grade_pvalues(got, ref, pass_digits, cap, truth, against)
    if truth and truth.get("certified"):
        deviation["certified"] = grading.grade_certified(got, truth["certified"], cap, truth.get("tss"))
    return deviation


def _grade_vif(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float,
               truth: dict[str, Any] | None, against: str = grading.TRUTH) -> dict[str, Any]:
    return grading.grade_vif(got, ref, pass_digits, cap, truth, against)


def _grade_subset(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float,
                  truth: dict[str, Any] | None, against: str = grading.TRUTH,
                  branch: grading.Branch | None = None) -> dict[str, Any]:
    deviation = grading.grade_subset(got, ref, pass_digits, cap, truth, branch, against)
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


_ORIGIN = {  # why a step is not answered on a fit through the origin (the run's `intercept: false`)
    "vif": "VIF is defined for models with an intercept (each auxiliary R² is about the mean); on a fit through "
           "the origin car::vif warns that VIFs 'may not be sensible', and no platform agrees on one",
    "subset": "subset selection with intercept: false is not supported yet (leaps' criteria and mlbench's exact "
              "searches assume the intercept in every model)",
}


def _with_intercept(step: str, run: Any) -> Any:
    """The step's procedure, skipped with the reason on a fit through the origin rather than answering a model
    with an intercept the run did not ask for."""
    def guarded(spec: Any, variant: str | None, fitter: Any, ctx: Any) -> Any:
        if not getattr(ctx, "intercept", True):
            from mlbench.errors import SkippedCell

            raise SkippedCell(_ORIGIN[step])
        return run(spec, variant, fitter, ctx)
    return guarded


def _procedures() -> Any:
    """The procedures module, imported when a step runs (numpy and scipy stay off a scenario parse)."""
    from mlbench.stats import procedures

    return procedures


register(StepKind(
    name="pvalues", spec=PValuesStep, statistics=True, overrides={"alpha": "alpha", "by": "by"},
    run=_by_family("pvalues", lambda spec, variant, fitter, ctx: _procedures().pvalues(
        _procedures().fitter_for(fitter, ctx), ctx.features, spec.alpha, spec.by, ctx.terms)),
    grade=_graded_by_family("pvalues", _grade_pvalues), headline=_pvalues_headline, shape=_pvalues_shape,
))
register(StepKind(
    name="vif", spec=VifStep, statistics=True, overrides={"threshold": "vif_threshold", "by": "by"},
    run=_with_intercept("vif", _by_family("vif", lambda spec, variant, fitter, ctx: _procedures().vif(
        _procedures().fitter_for(fitter, ctx), ctx.features, spec.threshold, spec.by, ctx.terms, ctx.n_obs))),
    grade=_graded_by_family("vif", _grade_vif), headline=_vif_headline, shape=_vif_shape,
))
register(StepKind(
    name="subset", spec=SubsetStep, statistics=True, overrides={"methods": "methods", "max_fits": "max_fits"},
    variants=lambda spec: list(spec.methods), variant_key="method", variant_values=SUBSET_METHODS,
    run=_with_intercept("subset", _by_family("subset", lambda spec, variant, fitter, ctx: _procedures().subset(
        fitter, ctx, variant, spec.max_size, spec.max_fits, spec.cv_folds, spec.max_seconds))),
    branch=lambda spec, variant, fitter, ctx, sets: _procedures().subset_branch(fitter, ctx, variant, sets,
                                                                               spec.max_size, spec.cv_folds),
    grade=_graded_by_family("subset", _grade_subset), headline=_subset_headline, shape=_subset_shape,
))
