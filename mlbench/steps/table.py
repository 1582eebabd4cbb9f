"""The step table's entries: what one step is (`StepKind`), its scenario spec model (`StepSpec`), and `register`.

The built-in steps (`steps/models.py`, `steps/stats_steps.py`) import this module, not the package, so the
package that loads them is not imported back by them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict


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
    grade: Callable[..., dict[str, Any]] | None = None  # (got, ref, pass_digits, cap, truth, *, against="the
    # truth", branch=None) -> deviation; `against` names whose answer `ref` is ("R" in the vs R column)
    branch: Callable[..., dict[str, Any]] | None = None  # statistics with paths: (spec, variant, fitter, ctx, sets)
    # -> the truth's answer along a platform's branch at exact ties; given to grade as `branch` (grading.Branch)
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


_KINDS: dict[str, StepKind] = {}


def register(kind: StepKind) -> StepKind:
    """Add a step (or replace one of the same name); returns it."""
    _KINDS[kind.name] = kind
    return kind
