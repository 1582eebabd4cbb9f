"""The step table: one `StepKind` per step, the single place every part of mlbench learns what a step is.

The scenario parser reads a step's spec model from it, the planner its variants and CLI overrides, the runner
whether it is a statistics step (answered by the truth reference, one timed `fit`) or a model step (trained,
predicted, maybe deployed), the resume logic the phase that ends a cell, the grader its grade function, the
reports its headline number, the conformance kit its capability keys. Adding a step is registering one
StepKind (`docs/architecture.md`, "add a step").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from mlbench.errors import MlbenchError, unknown


class StepSpec(BaseModel):
    """Base of every step's scenario entry (`- step: NAME` plus its parameters), validated strictly."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    step: str


Rows = list[dict[str, Any]]


def no_headline(rows: Rows) -> tuple[str | None, float | None]:
    return None, None


def one_variant(spec: Any) -> list[str | None]:
    return [None]


@dataclass(frozen=True)
class StepKind:
    name: str
    spec: type[StepSpec]
    statistics: bool  # an exact answer: computed by the truth reference, graded in correct digits
    run: Callable[..., dict[str, Any]] | None = None  # statistics: (spec, variant, fitter, ctx) -> result
    grade: Callable[..., dict[str, Any]] | None = None  # (got, ref, pass_digits, cap, truth) -> deviation
    headline: Callable[[Rows], tuple[str | None, float | None]] = no_headline  # the cell's one number
    variants: Callable[[Any], list[str | None]] = one_variant  # the cells a spec expands into
    variant_key: str | None = None  # params key naming the variant ("method", "model")
    variant_values: tuple[str, ...] = ()  # every variant a capability key `step:variant` may name
    end_phase: str = "fit"  # the record that closes a cell (resume skips cells that reached it)
    overrides: dict[str, str] = field(default_factory=dict)  # spec field -> RunRequest field of the CLI
    trains: bool = False  # model step: fit then predict on the test set
    deploys: bool = False  # model step: then export, reload in fresh processes, score
    requires: str | None = None  # capability step:variant this one needs first (deploy needs train)
    support_from: str | None = None  # for a step built from another's primitives: where no adapter declares it,
    # each adapter supports it as it supports this capability key (a new step needs no edit of the platforms)
    shape: Callable[[int, int], str | None] = lambda n, p: None  # statistics: why n rows, p features cannot be
    # answered (the condition, stated), or None


def shape_problem(step: str, n: int, p: int) -> str | None:
    """Why a statistics step cannot be answered on n complete rows and p feature columns, or None."""
    return kind(step).shape(n, p)


_KINDS: dict[str, StepKind] = {}


def register(kind: StepKind) -> StepKind:
    """Add a step (or replace one of the same name); returns it."""
    _KINDS[kind.name] = kind
    return kind


def kinds() -> dict[str, StepKind]:
    _builtins()
    return dict(_KINDS)


def kind(name: str) -> StepKind:
    _builtins()
    try:
        return _KINDS[name]
    except KeyError:
        raise MlbenchError(unknown("step", name, _KINDS)) from None


def _builtins() -> None:
    if "pvalues" not in _KINDS:
        from mlbench.steps import models, statistics  # noqa: F401 - registers the built-in steps


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
    keys = set()
    for k in kinds().values():
        keys.add(k.name)
        keys.update(f"{k.name}:{v}" for v in k.variant_values)
    return keys


def compute(spec: Any, variant: str | None, fitter: Any, ctx: Any) -> dict[str, Any]:
    """The answer of one statistics cell, from a platform (or the truth reference) as `ctx.support` says."""
    step = kind(spec.step)
    if step.run is None:
        raise ValueError(f"step {spec.step!r} is not a statistics step")
    problem = step.shape(ctx.n_obs, len(ctx.features))
    if problem:
        from mlbench.errors import SkippedCell

        raise SkippedCell(problem)
    return step.run(spec, variant, fitter, ctx)
