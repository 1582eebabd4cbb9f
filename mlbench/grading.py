"""Grade a platform's answer against the reference's answer to the same step on the same data.

The deviation stored with each record says how far off the platform was (max relative error per quantity)
and whether it agrees within the scenario's tolerance; a platform that picks a different model (drops another
term, chooses another subset) disagrees whatever its numbers.
"""

from __future__ import annotations

import math
from typing import Any

UNDERFLOW_P = 1e-12  # a platform p-value of exactly 0 agrees with a reference below this (double underflow)


def rel_err(value: float | None, ref: float | None) -> float:
    """|value - ref| / |ref| (absolute error when ref is 0); inf when one side is missing."""
    if value is None or ref is None:
        return math.inf
    if math.isnan(value) and math.isnan(ref):
        return 0.0
    if math.isinf(ref) or math.isinf(value):
        return 0.0 if value == ref else math.inf
    diff = abs(value - ref)
    return diff / abs(ref) if ref != 0 else diff


def _p_err(value: float | None, ref: float | None) -> float:
    if value == 0.0 and ref is not None and ref < UNDERFLOW_P:
        return 0.0
    return rel_err(value, ref)


def _coef_errors(got: dict[str, Any], ref: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    errors = {"estimate": 0.0, "std_error": 0.0, "t_value": 0.0, "p_value": 0.0}
    mismatched = sorted(set(got) ^ set(ref))
    for term in set(got) & set(ref):
        for key in errors:
            compare = _p_err if key == "p_value" else rel_err
            errors[key] = max(errors[key], compare(got[term].get(key), ref[term].get(key)))
    return errors, mismatched


def _fit_errors(got: dict[str, Any], ref: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    errors, mismatched = _coef_errors(got["coefficients"], ref["coefficients"])
    for key in ("r_squared", "adj_r_squared", "f_statistic"):
        errors[key] = rel_err(got.get(key), ref.get(key))
    return errors, mismatched


def _verdict(errors: dict[str, float], tolerance: float, problems: list[str]) -> dict[str, Any]:
    worst_key = max(errors, key=lambda k: errors[k]) if errors else None
    worst = errors[worst_key] if worst_key else 0.0
    agrees = not problems and worst <= tolerance
    if agrees:
        grade = "agrees"
    elif problems:
        grade = "differs: " + "; ".join(problems)
    else:
        grade = f"differs: {worst_key} rel. err {worst:.1e}"
    return {"agrees": agrees, "grade": grade, "max_rel_err": errors, "worst_rel_err": worst, "tolerance": tolerance}


def grade_pvalues(got: dict[str, Any], ref: dict[str, Any], tolerance: float) -> dict[str, Any]:
    full, full_terms = _fit_errors(got, ref)
    refit, refit_terms = _fit_errors(got["refit"], ref["refit"])
    problems = []
    if full_terms:
        problems.append(f"terms differ: {', '.join(full_terms)}")
    if got["dropped"] != ref["dropped"]:
        problems.append(f"dropped {got['dropped']} but reference dropped {ref['dropped']}")
    elif refit_terms:
        problems.append(f"refit terms differ: {', '.join(refit_terms)}")
    errors = {k: max(full[k], refit.get(k, 0.0)) for k in full}
    return _verdict(errors, tolerance, problems)


def grade_vif(got: dict[str, Any], ref: dict[str, Any], tolerance: float) -> dict[str, Any]:
    errors = {"vif": max((rel_err(got["vif"].get(k), v) for k, v in ref["vif"].items()), default=0.0)}
    problems = []
    if got["dropped"] != ref["dropped"]:
        problems.append(f"dropped {got['dropped']} but reference dropped {ref['dropped']}")
    return _verdict(errors, tolerance, problems)


GRADERS = {"pvalues": grade_pvalues, "vif": grade_vif}


def grade(step: str, got: dict[str, Any], ref: dict[str, Any], tolerance: float) -> dict[str, Any]:
    return GRADERS[step](got, ref, tolerance)
