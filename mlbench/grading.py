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


SUBSET_NUMBERS = ("rss", "r_squared", "adj_r_squared", "cp", "bic")


def grade_subset(got: dict[str, Any], ref: dict[str, Any], tolerance: float) -> dict[str, Any]:
    """Per size: the same set as the reference's search of the same method? Numbers compared where it is."""
    same = {k: set(v["features"]) == set(ref["by_size"][k]["features"])
            for k, v in got["by_size"].items() if k in ref["by_size"]}
    errors = dict.fromkeys(SUBSET_NUMBERS, 0.0)
    for k, is_same in same.items():
        if is_same:
            for key in SUBSET_NUMBERS:
                errors[key] = max(errors[key], rel_err(got["by_size"][k][key], ref["by_size"][k][key]))
    problems = []
    differing = [k for k, ok in same.items() if not ok]
    missing = sorted(set(ref["by_size"]) - set(got["by_size"]), key=int)
    if differing:
        problems.append(f"other set at size {', '.join(differing)}")
    if missing:
        problems.append(f"no answer at size {', '.join(missing)}")
    if not differing and got["chosen"] != ref["chosen"]:
        problems.append(f"chosen sizes {got['chosen']} vs {ref['chosen']}")
    verdict = _verdict(errors, tolerance, problems)
    verdict["same_set_by_size"] = same
    verdict["sizes_agree"] = sum(same.values())
    verdict["sizes_total"] = len(ref["by_size"])
    verdict["chosen_same"] = got["chosen"] == ref["chosen"]
    return verdict


def selection_quality(got: dict[str, Any], support: list[str]) -> dict[str, Any]:
    """Precision and recall of the model each criterion picks, against the known true support."""
    truth = set(support)
    out: dict[str, Any] = {}
    for criterion, size in got["chosen"].items():
        chosen = set(got["by_size"][str(size)]["features"])
        hits = len(chosen & truth)
        out[criterion] = {
            "size": size,
            "precision": hits / len(chosen) if chosen else 0.0,
            "recall": hits / len(truth) if truth else 1.0,
        }
    return out


def grade_predictions(task: str, prediction: Any) -> dict[str, Any]:
    """Training has no exact reference; what can be checked is that predictions are valid for the task."""
    import numpy as np

    problems = []
    if not np.all(np.isfinite(prediction)):
        problems.append("non-finite predictions")
    elif task == "classification" and (prediction.min() < 0 or prediction.max() > 1):
        problems.append("probabilities outside [0, 1]")
    return {"agrees": not problems, "grade": "; ".join(problems) or "valid predictions"}


GRADERS = {"pvalues": grade_pvalues, "vif": grade_vif, "subset": grade_subset}


def grade(step: str, got: dict[str, Any], ref: dict[str, Any], tolerance: float,
          truth: dict[str, Any] | None = None) -> dict[str, Any]:
    deviation = GRADERS[step](got, ref, tolerance)
    if step == "subset" and truth and truth.get("support"):
        deviation["truth"] = selection_quality(got, truth["support"])
    return deviation
