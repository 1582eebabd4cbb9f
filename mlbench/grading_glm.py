"""Correct digits of a GLM answer (binomial/logit, poisson/log) against the truth's, with grading's own digit
functions: per coefficient estimate, std_error, z_value and p_value (as OLS's estimate, SE, t and p), per fit
deviance, null deviance and AIC; drop1's LRT and p per term; car's VIF/GVIF; per subset size the same set (or a
tie in deviance) and its deviance and AIC. A platform that says it did not converge, or warned, is named in the
grade: on separated data (the truth's `separation`) that is the answer graded (`grade_separation`): a finite
number there is not an MLE. A subset search there is graded by deviance as always (the truth's is the infimum)."""

from __future__ import annotations

from typing import Any

from mlbench.grading import CAP, TRUTH, _grade_factor_terms, _number, _Tally, _verdict, correct_digits, picks_text

FIT_QUANTITIES = ("deviance", "null_deviance", "aic")


def coefficient_digits(got: dict[str, Any], truth: dict[str, Any], cap: float = CAP) -> dict[str, float]:
    """One coefficient's estimate (against its SE where the truth is 0), SE, z (against max(|z|, 1)), p
    (absolutely): the OLS scales of `grading.coefficient_digits`."""
    est, se = _number(truth.get("estimate")), _number(truth.get("std_error"))
    return {
        "estimate": correct_digits(_number(got.get("estimate")), est, zero_scale=se or 1.0, cap=cap),
        "std_error": correct_digits(_number(got.get("std_error")), se, zero_scale=abs(est or 0.0) or 1.0, cap=cap),
        "z_value": correct_digits(_number(got.get("z_value")), _number(truth.get("z_value")), floor=1.0, cap=cap),
        "p_value": correct_digits(_number(got.get("p_value")), _number(truth.get("p_value")), absolute=True, cap=cap),
    }


def _grade_fit(tally: _Tally, got: dict[str, Any], ref: dict[str, Any], label: str = "") -> list[str]:
    got_coefs, ref_coefs = got.get("coefficients") or {}, ref.get("coefficients") or {}
    problems = []
    missing = [t for t in ref_coefs if t not in got_coefs]
    if missing:
        problems.append(f"{label}no answer for {', '.join(missing)}")
    extra = [t for t in got_coefs if t not in ref_coefs]
    if extra:
        problems.append(f"{label}{', '.join(extra)} not in the model")
    for term, truth in ref_coefs.items():
        if term in got_coefs:
            for quantity, digits in coefficient_digits(got_coefs[term], truth, tally.cap).items():
                tally.add(quantity, digits, label + term)
    for key in FIT_QUANTITIES:
        if _number(ref.get(key)) is not None:
            tally.grade(_number(got.get(key)), _number(ref.get(key)), key, label.rstrip(": ") or None)
    if got.get("converged") is False:
        problems.append(f"{label}the platform says its fit did not converge")
    return problems


def _platform_words(verdict: dict[str, Any], got: dict[str, Any]) -> dict[str, Any]:
    verdict["converged"] = got.get("converged")
    verdict["iterations"] = got.get("iterations")
    if got.get("warnings"):
        verdict["warnings"] = list(got["warnings"])
    return verdict


def grade_pvalues(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float = CAP,
                  against: str = TRUTH) -> dict[str, Any]:
    """The full fit's table, drop1's LRT and p of every term, the terms dropped, and the refit after them."""
    tally = _Tally(cap)
    problems = _grade_fit(tally, got, ref)
    truth_tests, tests = ref.get("term_tests") or {}, got.get("term_tests") or {}
    for term, expected in truth_tests.items():
        mine = tests.get(term) or {}
        tally.grade(_number(mine.get("lrt")), _number(expected.get("lrt")), "term_lrt", term)
        tally.grade(_number(mine.get("p")), _number(expected.get("p")), "term_p", term, absolute=True)
    if got.get("dropped") != ref.get("dropped"):
        problems.append(f"dropped {got.get('dropped')} but {against} drops {ref.get('dropped')}")
    elif got.get("refit") and ref.get("refit") and got.get("dropped") and not problems:
        problems += _grade_fit(tally, got["refit"], ref["refit"], "refit: ")
    return _platform_words(_verdict(tally, problems, pass_digits), got)


def grade_vif(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float = CAP,
              against: str = TRUTH) -> dict[str, Any]:
    tally = _Tally(cap)
    for term, truth in (ref.get("vif") or {}).items():
        tally.grade(_number((got.get("vif") or {}).get(term)), _number(truth), "vif", term)
    problems: list[str] = []
    _grade_factor_terms(tally, problems, got, ref, "gvif", ("gvif",))
    if got.get("dropped") != ref.get("dropped"):
        problems.append(f"dropped {got.get('dropped')} but {against} drops {ref.get('dropped')}")
    return _verdict(tally, problems, pass_digits)


def grade_subset(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float = CAP,
                 against: str = TRUTH) -> dict[str, Any]:
    """Per size (in terms) the same terms as the truth's search, or a tie (equal deviance to the pass line), and
    the digits of deviance and AIC where the set is the same; the sizes AIC and BIC pick, and R's `step` model."""
    ours, theirs = got.get("by_size") or {}, ref.get("by_size") or {}
    same: dict[str, bool] = {}
    tied = []
    for k, truth in theirs.items():
        if k not in ours:
            continue
        exact = set(ours[k]["features"]) == set(truth["features"])
        tie = not exact and correct_digits(_number(ours[k].get("deviance")), _number(truth.get("deviance")),
                                           cap=cap) >= pass_digits
        same[k] = exact or tie
        if tie:
            tied.append(k)
    tally = _Tally(cap)
    for k, is_same in same.items():
        if is_same:
            for key in ("deviance", "aic"):
                tally.grade(_number(ours[k].get(key)), _number(theirs[k].get(key)), key, f"size {k}")
    problems = []
    differing = [k for k, ok in same.items() if not ok]
    missing = sorted(set(theirs) - set(ours), key=int)
    if differing:
        problems.append(f"other terms at size {', '.join(differing)}")
    if missing:
        problems.append(f"no answer at size {', '.join(missing)}")
    if got.get("chosen") != ref.get("chosen"):
        whose = "the reference's" if against == TRUTH else f"{against}'s"
        problems.append(f"{picks_text(got.get('chosen'))} where {whose} {picks_text(ref.get('chosen'))}")
    if "step" in ref and set(got.get("step") or []) != set(ref["step"]):
        problems.append(f"step by AIC ends at {got.get('step')} where {against}'s ends at {ref['step']}")
    verdict = _verdict(tally, problems, pass_digits)
    verdict.update(same_set_by_size=same, tied_sizes=tied, sizes_agree=sum(same.values()), sizes_total=len(theirs),
                   chosen_same=got.get("chosen") == ref.get("chosen"))
    return verdict


GRADES = {"pvalues": grade_pvalues, "vif": grade_vif, "subset": grade_subset}

# what a platform says when its fit runs off on separated data: statsmodels "Perfect separation detected", R "fitted
# probabilities numerically 0 or 1 occurred" and "algorithm did not converge", scikit-learn's ConvergenceWarning
# ("lbfgs failed to converge"), overflow in exp, a singular or ill-conditioned information matrix
SEPARATION_WORDS = ("separat", "converge", "0 or 1", "infinit", "overflow", "diverg", "iteration", "singular",
                    "ill-condition", "ill condition")


def _said(got: dict[str, Any], step: str) -> str | None:
    """What the platform said that shows it found no finite MLE, in words; None when it said nothing."""
    if got.get("converged") is False:
        return "said its fit did not converge"
    warned = [w for w in got.get("warnings") or [] if any(k in str(w).lower() for k in SEPARATION_WORDS)]
    if warned:
        return f"warned {str(warned[0]).splitlines()[0][:80]!r}"
    if step == "vif":
        values = [_number(v) for v in (got.get("vif") or {}).values()]
        if values and not any(v is not None and v == v and abs(v) != float("inf") for v in values):
            return "gave no finite VIF"
    return None


def grade_separation(step: str, got: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    """Where the truth's model has no finite MLE (ref's `separation`) there are no digits to count: the platform
    agrees when it said so (did not converge, warned) and differs when it returned finite numbers silently."""
    separation = ref["separation"]
    terms = ", ".join(separation.get("terms") or []) or "no term named"
    named = f"{separation.get('kind')} separation ({terms})"
    said = _said(got, step)
    grade = (f"agrees: warned of separation ({said}; no finite MLE: {named})" if said else
             f"differs: finite estimates where no finite MLE exists ({named}); the platform said nothing")
    return _platform_words({"agrees": bool(said), "grade": grade, "min_digits": None, "separation": separation},
                           got)


def grade(step: str, got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float = CAP,
          against: str = TRUTH) -> dict[str, Any]:
    """The grade of a GLM answer of a statistics step against the truth's, or R's (`against`: whose answer `ref`
    is, in the grade's words, as the OLS grades say it)."""
    if got.get("family") != ref.get("family"):
        return {"agrees": False, "grade": f"differs: a {got.get('family', 'gaussian')} answer where the reference "
                f"is {ref.get('family')}", "min_digits": None}
    if ref.get("separation") and step in ("pvalues", "vif"):
        return grade_separation(step, got, ref)
    return GRADES[step](got, ref, pass_digits, cap, against)
