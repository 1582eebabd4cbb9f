"""The step table: one `StepKind` per step, the single place every part of mlbench learns what a step is.

The scenario parser reads a step's spec model from it, the planner its variants and CLI overrides, the runner
whether it is a statistics step (answered by the truth reference, one timed `fit`) or a model step (trained,
predicted, maybe deployed), the resume logic the phase that ends a cell, the grader its grade function, the
reports its headline number, the conformance kit its capability keys. Adding a step is registering one
StepKind (`docs/architecture.md`, "add a step").
"""

from __future__ import annotations

from typing import Any

from mlbench.adapter import Capability, Support
from mlbench.errors import MlbenchError, unknown
from mlbench.steps import table
from mlbench.steps.table import Rows, StepKind, StepSpec, no_headline, one_variant, register

__all__ = ["Rows", "StepKind", "StepSpec", "capability", "kind", "kinds", "no_headline", "one_variant", "register"]


def shape_problem(step: str, n: int, p: int, variant: str | None = None,
                  how: Capability | None = None) -> str | None:
    """Why a statistics step cannot be answered on n complete rows and p feature columns, or None: the step's own
    condition (any platform, the truth too), then the one a platform's way of doing it adds (`how`, its
    capability: a search that tests coefficients needs residual degrees of freedom, as the pvalues step does)."""
    problem = kind(step).shape(n, p)
    if problem is None and how is not None and how.tests_coefficients and n <= p + 1:
        problem = (f"{label(step, variant)} by {how.how} needs more rows than coefficients (n > p + 1): it tests "
                   f"coefficients, and {n} complete rows for {p} features plus an intercept leave no residual "
                   "degrees of freedom")
    return problem


def kinds() -> dict[str, StepKind]:
    _builtins()
    return dict(table._KINDS)


def kind(name: str) -> StepKind:
    _builtins()
    try:
        return table._KINDS[name]
    except KeyError:
        raise MlbenchError(unknown("step", name, table._KINDS)) from None


def _builtins() -> None:
    if "pvalues" not in table._KINDS or "train" not in table._KINDS:  # either module may have been imported alone
        from mlbench.steps import models, stats_steps  # noqa: F401 - registers the built-in steps


def is_statistics(step: str) -> bool:
    return kind(step).statistics


def variants(spec: Any) -> list[str | None]:
    return kind(spec.step).variants(spec)


def label(step: str, variant: str | None) -> str:
    """The one spelling of a cell's step: "pvalues", "subset/best", "train/gbm"."""
    return step + (f"/{variant}" if variant else "")


def _param_text(value: Any) -> str:
    return "/".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def spec_labels(specs: list[Any]) -> list[str]:
    """A scenario's steps as a listing names them, in order: the step's name, and where the scenario has several
    steps of one kind, the parameters that tell them apart ("train (task=classification)"); copies that nothing
    tells apart are named once, counted ("train ×2")."""
    dumps = [(spec.step, spec.model_dump()) for spec in specs]
    out: list[str] = []
    for step, dump in dumps:
        mine = [d for name, d in dumps if name == step]
        differ = [key for key in dump if key != "step" and len({repr(d.get(key)) for d in mine}) > 1]
        if len(mine) == 1:
            out.append(step)
        elif differ:
            out.append(f"{step} ({' '.join(f'{key}={_param_text(dump.get(key))}' for key in differ)})")
        elif f"{step} ×{len(mine)}" not in out:
            out.append(f"{step} ×{len(mine)}")
    return out


def parse_spec(item: Any) -> StepSpec:
    """One scenario `steps` entry as its step's spec model; pydantic's errors name the offending key."""
    if isinstance(item, StepSpec):
        return item
    name = item.get("step") if isinstance(item, dict) else None
    if not isinstance(name, str) or name not in kinds():
        raise ValueError(unknown("step", str(name), kinds()))
    return kind(name).spec.model_validate(item)


def capability_keys() -> set[str]:
    """Every key an adapter's `capabilities` may use: each step, and step:variant for its known variants."""
    from mlbench.adapter import FAMILIES

    keys = {f"glm:{family}" for family in FAMILIES if family != "gaussian"}  # a GLM family's fits
    for k in kinds().values():
        keys.add(k.name)
        keys.update(f"{k.name}:{v}" for v in k.variant_values)
    from mlbench.adapter import FAMILIES

    # A GLM fit per family (and R's car::vif on one): the primitives the statistics steps use under that family.
    keys.update(f"{what}:{family}" for what in ("glm", "glm_vif") for family in FAMILIES if family != "gaussian")
    return keys


def settable(step: str) -> list[str]:
    """The parameters of a step a scenario (and `--set step.param=value`) may set: its spec model's fields (not the
    run-level family, which the planner writes into each statistics step: `--family`)."""
    return [name for name in kind(step).spec.model_fields if name not in ("step", "family")]


FAMILY_STEPS = ("pvalues", "vif", "subset")  # the statistics steps with a GLM procedure (stats.glm_procedures)


def with_family(spec: Any, family: str) -> Any:
    """A statistics step's spec under the data unit's family (the same spec when it has no family field)."""
    if spec.step not in FAMILY_STEPS or "family" not in type(spec).model_fields or spec.family == family:
        return spec
    return spec.model_copy(update={"family": family})


def cell_capability(adapter: Any, spec: Any, variant: str | None = None) -> Capability:
    """How an adapter class does one cell: `capability` under the cell's family (its spec's)."""
    return capability(adapter, spec.step, variant, getattr(spec, "family", "gaussian"))


def parse_setting(text: str) -> tuple[str, str, str]:
    """`--set step.param=value` -> (step, param, value text); the step and its parameter checked in the table."""
    target, sep, value = text.partition("=")
    step, dot, param = target.strip().partition(".")
    if not sep or not dot or not step or not param:
        raise MlbenchError(f"--set takes step.param=value, e.g. --set vif.threshold=5; not {text!r}")
    if param not in settable(step):
        raise MlbenchError(unknown(f"parameter of step {step!r} in --set", param, settable(step)))
    return step, param, value.strip()


def apply_settings(specs: list[Any], settings: dict[str, dict[str, Any]]) -> list[Any]:
    """The scenario's step specs with `--set` values: {step: {param: value}}, a value's text read as YAML (a list
    also as comma-separated text), validated by the step's spec model like the scenario's own value."""
    import yaml
    from pydantic import ValidationError

    missing = [step for step in settings if not any(spec.step == step for spec in specs)]
    if missing:
        raise MlbenchError(f"--set {missing[0]}.…: the scenario has no {missing[0]!r} step "
                           f"(its steps: {', '.join(dict.fromkeys(spec.step for spec in specs))})")
    out = []
    for spec in specs:
        values = {**spec.model_dump()}
        for param, value in (settings.get(spec.step) or {}).items():
            parsed = yaml.safe_load(value) if isinstance(value, str) and value else value
            values[param] = parsed
            try:
                kind(spec.step).spec.model_validate(values)
            except ValidationError as exc:
                if not isinstance(parsed, str):
                    raise MlbenchError(f"--set {spec.step}.{param}={value}: {exc.errors()[0]['msg']}") from None
                values[param] = [part.strip() for part in parsed.split(",") if part.strip()]  # a list field
                try:
                    kind(spec.step).spec.model_validate(values)
                except ValidationError:
                    raise MlbenchError(f"--set {spec.step}.{param}={value}: {exc.errors()[0]['msg']}") from None
        out.append(type(spec).model_validate(values) if values != spec.model_dump() else spec)
    return out


def compute(spec: Any, variant: str | None, fitter: Any, ctx: Any, how: Capability | None = None) -> dict[str, Any]:
    """The answer of one statistics cell, from a platform (or the truth reference) as `ctx.support` says; `how`:
    the platform's capability for it, whose shape condition is checked before any platform call."""
    step = kind(spec.step)
    if step.run is None:
        raise ValueError(f"step {spec.step!r} is not a statistics step")
    problem = shape_problem(spec.step, ctx.n_obs, len(ctx.features), variant, how)
    if problem:
        from mlbench.errors import SkippedCell

        raise SkippedCell(problem)
    return step.run(spec, variant, fitter, ctx)


def glm_capability(adapter: Any, step: str, family: str) -> Capability:
    """A statistics step under a GLM family: as the adapter declares `glm:FAMILY`. p-values are its GLM fits
    (native, or emulated from its estimates); VIF is the platform's own GLM VIF where it has one (`glm_vif`) on
    native fits, else car's formula from its fit's covariance; subset searches are mlbench's over its fits."""
    declared = adapter.declared("glm", family)
    if declared is None or declared.support is Support.UNSUPPORTED:
        return declared or Capability.unsupported(f"{adapter.name} declares no support for glm:{family}")
    if step == "pvalues":
        return declared
    if step == "vif":
        from mlbench.adapter import Adapter

        if declared.support is Support.NATIVE and getattr(adapter, "glm_vif", None) is not Adapter.glm_vif:
            return Capability.native(f"{declared.how}, its own GLM VIF", declared.reason)
        return Capability.emulated(f"car::vif from the covariance of {declared.how}", declared.reason)
    return Capability.emulated(f"mlbench's search over {declared.how} fits", declared.reason)


def capability(adapter: Any, step: str, variant: str | None = None, family: str = "gaussian") -> Capability:
    """How an adapter class does a step (or `step:variant`): its own declaration, after what the step requires
    first (deploying a model needs training it), else the support of the capability the step shares
    (`support_from`), else unsupported. Under a GLM family a statistics step is supported as `glm:FAMILY` is
    declared (`glm_capability`)."""
    if family != "gaussian" and step in FAMILY_STEPS:
        return glm_capability(adapter, step, family)
    required = kind(step).requires
    if required and variant is not None:
        needed = capability(adapter, required, variant)
        if needed.support is Support.UNSUPPORTED:
            return needed
    declared = adapter.declared(step, variant)
    if declared is not None:
        return declared
    inherited = kind(step).support_from
    if inherited:
        other, _, other_variant = inherited.partition(":")
        return capability(adapter, other, other_variant or None)
    what = f"{step}:{variant}" if variant else step
    return Capability.unsupported(f"{adapter.name} declares no support for {what}")
