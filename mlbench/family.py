"""The family of a run's statistics steps (gaussian: OLS; binomial: logit GLM; poisson: log GLM), decided from the
target where the run does not name one, and the target coded as the family needs it.

R's rules, because R is where users check these numbers: a two-level text target is a factor whose first level
(sorted) is 0 and the second 1 (`glm(default ~ ., family = binomial)` on ISLR's Default models P(Yes)); a
binomial target is 0/1; a poisson target is a count (a non-negative integer). A target that does not fit the
family is a one-line input error, never a fit of something else.
"""

from __future__ import annotations

import math

import pandas as pd

from mlbench.adapter import FAMILIES
from mlbench.errors import MlbenchError, unknown

POSITIVE = ("yes", "1", "true")  # a level that reads as "the event" is coded 1 whatever its sorted place
LINKS = {"gaussian": "identity link, OLS", "binomial": "logit link", "poisson": "log link"}


def check(family: str | None) -> str | None:
    """A family name as the command line or a scenario gives it, checked."""
    if family is not None and family not in FAMILIES:
        raise MlbenchError(unknown("family", family, FAMILIES))
    return family


def _is_text(values: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)


def _levels(values: pd.Series) -> list[str]:
    text = values.map(lambda v: ("TRUE" if v else "FALSE") if isinstance(v, bool) else str(v))
    return sorted(text.unique())


def _shown(values: list[str], at_most: int = 5) -> str:
    return ", ".join(values[:at_most]) + (f", … ({len(values)} in all)" if len(values) > at_most else "")


def _binary(column: str, values: pd.Series, levels: list[str], why: str) -> tuple[pd.Series, str]:
    """The 0/1 coding of a two-level text target: the level that reads as the event (Yes/1/True), else the second
    sorted level (R's factor coding), is 1."""
    if len(levels) != 2:
        raise MlbenchError(f"target column {column!r} has {len(levels)} distinct values ({_shown(levels)}): "
                           f"{why} needs exactly two")
    events = [level for level in levels if level.strip().lower() in POSITIVE]
    positive = events[0] if len(events) == 1 else levels[1]
    text = values.map(lambda v: ("TRUE" if v else "FALSE") if isinstance(v, bool) else str(v))
    coded = (text == positive).astype(float)
    coded[values.isna()] = math.nan
    negative = levels[0] if positive == levels[1] else levels[1]
    return coded, f"{positive!r} coded 1, {negative!r} 0"


def code_target(values: pd.Series, column: str, family: str | None) -> tuple[str, pd.Series, str | None]:
    """(the family, the target as numbers, a note saying what was decided or None). `family` None: binomial for a
    two-level text target (said in the note), gaussian for a numeric one."""
    present = values.dropna()
    if family is None:
        if not _is_text(present):
            return "gaussian", values, None
        levels = _levels(present)
        if len(levels) != 2:
            raise MlbenchError(f"target column {column!r} is not numeric (dtype {values.dtype}) and has "
                               f"{len(levels)} levels ({_shown(levels)}): a binomial GLM needs two levels, "
                               "a numeric target OLS or --family poisson")
        coded, how = _binary(column, values, levels, "a binomial GLM")
        return "binomial", coded, (f"target {column!r} has two levels: binomial family (logit link), {how} as "
                                   "R's glm codes a factor; --family to choose another")
    if family == "gaussian":
        if _is_text(present):
            raise MlbenchError(f"target column {column!r} is not numeric (dtype {values.dtype}): the gaussian "
                               "family needs numbers (a two-level target: --family binomial)")
        return family, values, None
    if family == "binomial":
        if _is_text(present):
            coded, how = _binary(column, values, _levels(present), "--family binomial")
            return family, coded, f"target {column!r}: {how}"
        distinct = sorted(set(present.astype(float).tolist()))
        if not set(distinct) <= {0.0, 1.0} or len(distinct) != 2:
            raise MlbenchError(f"target column {column!r} has values {_shown([f'{v:g}' for v in distinct])}: "
                               "--family binomial needs 0/1 (both present) or two text levels")
        return family, values.astype(float), None
    if _is_text(present):
        raise MlbenchError(f"target column {column!r} is not numeric (dtype {values.dtype}): --family poisson "
                           "needs counts")
    numbers = present.astype(float)
    bad = numbers[(numbers < 0) | (numbers != numbers.round())]
    if len(bad):
        raise MlbenchError(f"target column {column!r} has {len(bad)} value(s) that are not counts (first: "
                           f"{bad.iloc[0]:g}): --family poisson needs non-negative integers")
    if not (numbers > 0).any():
        raise MlbenchError(f"target column {column!r} is all zero: a poisson GLM has no finite MLE")
    return family, values.astype(float), None
