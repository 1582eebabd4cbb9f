"""Grade a platform's answer in correct digits against the truth reference's answer to the same step.

The measure is McCullough's: the log relative error, LRE = -log10(|got - truth| / |truth|), the number of
significant digits the platform got right, capped at 15 (a double holds about 15.9; the reference is exact to
that) or at the reference's own expected digits when it had to fall back to float64. Every quantity a step
reports is graded on its own natural scale, so exact fits, zero standard errors and underflowed p-values need
no special tolerances:

- estimate, F, VIF, GVIF, drop1's F: relative; an estimate whose truth is 0 against its standard error;
- std_error: relative to max(SE, |estimate|), the coefficient's own scale, so a truth of exactly 0 and one of
  1e-16 of the estimate are read alike (t, graded relatively, still carries the SE's relative error);
- RSS, and every sum of squares: against TSS, always (an exact fit's RSS of 0 and a near-exact fit's 1e-30
  alike); a residual SD against sqrt(TSS / df);
- t, R², adj. R²: quantities that can be near or cross zero (a t of 0.001, an adj. R² of -0.0002), relative to
  max(|truth|, 1): a unit is their natural scale, so 0.0010001 for 0.001 is 7 digits, not 4;
- t, F, VIF where the truth is infinite (exact fit, exact collinearity): their reciprocal, whose truth is 0
  (1/t is SE/estimate; 1/VIF is 1 - R²_j);
- p-value (and drop1's p of a factor term): absolute, a probability read against alpha (a reported 0 for a
  truth of 1e-81 is right to 15 digits; 0.8599 for 0.8601 is right to 3.7).

The ceiling: what the data as the platforms read them (doubles) let any computation get right, per quantity and
term (the truth's digits on copies of the data perturbed by one ulp, `truth["ceiling"]`, computed by
mlbench.truth). A quantity is graded at min(its digits, its ceiling), and an answer within FLOOR_SLACK digits of
its ceiling is as right as the input allows: it passes even below the pass line, and the grade says "at
float64's floor".

A record's grade is the minimum over the quantities its step reports; it agrees when every quantity reaches the
pass line or its floor and the model is the same: the same aliased terms, the same terms dropped, the same
subset per size. The record keeps the digits per quantity, its ceiling where known and which term was worst.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

CAP = 15.0
DEFAULT_PASS_DIGITS = 6.0
TRUTH = "the truth"  # whose answer a grade reads against, in its words; the vs R column grades against "R"
# The ceiling is the truth's digits on data perturbed by one ulp; a backward-stable solver perturbs the data by
# a small multiple of that (Householder QR: about p·n ulps in the worst case, a few in practice), so an answer
# within one digit of the ceiling is within the input's own uncertainty.
FLOOR_SLACK = 1.0
FLOOR_WORDS = "at float64's floor"


def correct_digits(got: float | None, truth: float | None, *, absolute: bool = False, zero_scale: float = 1.0,
                   floor: float = 0.0, cap: float = CAP) -> float:
    """Correct significant digits of `got` against `truth`, in [0, cap]; see the module docstring for scales.
    `floor`: the error is relative to max(|truth|, floor), for quantities that can cross zero."""
    if got is None or truth is None or math.isnan(truth):
        undefined_too = got is None or math.isnan(got) if truth is None or math.isnan(truth) else False
        return cap if undefined_too else 0.0
    if math.isnan(got):
        return 0.0
    if math.isinf(truth):
        if got == truth:
            return cap
        if got == 0.0 or math.copysign(1.0, got) != math.copysign(1.0, truth):
            return 0.0
        error = abs(1.0 / got)  # the reciprocal scale: truth 1/inf = 0
    elif math.isinf(got):
        return 0.0
    elif absolute:
        error = abs(got - truth)
    elif abs(truth) < floor:
        error = abs(got - truth) / floor
    elif truth == 0.0:
        error = abs(got) / (zero_scale if zero_scale > 0 and math.isfinite(zero_scale) else 1.0)
    else:
        error = abs(got - truth) / abs(truth)
    if error == 0.0:
        return cap
    return max(0.0, min(cap, -math.log10(error)))


class _Tally:
    """Every graded number (quantity, term, digits, its ceiling), the minimum per quantity, and the verdict's
    reading of them: which pass, which pass at float64's floor, which is worst.

    `truth`: what the grade knows beyond the reference's answer (`tss`, the target's total sum of squares;
    `ceiling`, "quantity|term" -> the digits the float64 input holds)."""

    def __init__(self, cap: float, truth: Mapping[str, Any] | None = None) -> None:
        self.cap = cap
        self.tss = _number((truth or {}).get("tss"))
        self.ceiling: Mapping[str, float] = (truth or {}).get("ceiling") or {}
        self.digits: dict[str, float] = {}
        self.items: list[tuple[str, str | None, float, float | None, bool]] = []

    def add(self, quantity: str, digits: float, term: str | None = None, answered: bool = True) -> None:
        """One graded number; `answered` False for a missing or NaN answer, which no floor excuses."""
        self.digits[quantity] = min(self.digits.get(quantity, self.cap), digits)
        ceiling = self.ceiling.get(item_key(quantity, term))
        self.items.append((quantity, term, digits, None if ceiling is None else float(ceiling), answered))

    def grade(self, got: Any, truth: Any, quantity: str, term: str | None = None, **scale: Any) -> None:
        self.add(quantity, correct_digits(got, truth, cap=self.cap, **scale), term, _answered(got))

    def each(self) -> dict[str, float]:
        """"quantity|term" -> digits of every graded number: a perturbed copy's give the ceiling."""
        out: dict[str, float] = {}
        for quantity, term, digits, _, _ in self.items:
            key = item_key(quantity, term)
            out[key] = min(out.get(key, self.cap), digits)
        return out


def item_key(quantity: str, term: str | None) -> str:
    """How a ceiling names one graded number: "std_error|x1", "rss|" (a fit-level quantity)."""
    return f"{quantity}|{term or ''}"


def ceiling_by_quantity(ceiling: Mapping[str, float]) -> dict[str, float]:
    """A cell's ceiling per quantity, the lowest over its terms ("std_error|x1", "std_error|x2" -> "std_error")."""
    out: dict[str, float] = {}
    for item, digits in ceiling.items():
        quantity = item.split("|", 1)[0]
        out[quantity] = min(out.get(quantity, float(digits)), float(digits))
    return out


def term_ceiling(ceiling: Mapping[str, float], term: str) -> float | None:
    """The lowest ceiling over one full-model coefficient's estimate, SE, t and p (None where none is known)."""
    found = [float(ceiling[key]) for q in COEFFICIENT_QUANTITIES if (key := item_key(q, term)) in ceiling]
    return min(found) if found else None


def at_floor(digits: float, ceiling: float | None, answered: bool = True) -> bool:
    """An answer within the input's own uncertainty: no worse than FLOOR_SLACK digits below the ceiling."""
    return answered and ceiling is not None and digits >= ceiling - FLOOR_SLACK


def coefficient_digits(got: dict[str, Any], truth: dict[str, Any], cap: float = CAP) -> dict[str, float]:
    """Correct digits of one coefficient's estimate, SE, t and p against the truth's, each on its scale (an
    estimate against its SE where the truth is 0, an SE against max(SE, |estimate|), p absolutely)."""
    est, se = _number(truth.get("estimate")), _number(truth.get("std_error"))
    scale = abs(est) if est is not None and math.isfinite(est) else 0.0
    return {
        "estimate": correct_digits(_number(got.get("estimate")), est, zero_scale=se or 1.0, cap=cap),
        "std_error": correct_digits(_number(got.get("std_error")), se, floor=scale, zero_scale=scale or 1.0,
                                    cap=cap),
        "t_value": correct_digits(_number(got.get("t_value")), _number(truth.get("t_value")), floor=1.0, cap=cap),
        "p_value": correct_digits(_number(got.get("p_value")), _number(truth.get("p_value")), absolute=True,
                                  cap=cap),
    }


COEFFICIENT_QUANTITIES = ("estimate", "std_error", "t_value", "p_value")
FIT_QUANTITIES = ("r_squared", "adj_r_squared", "f_statistic", "rss")
ZERO_CROSSING = {"t_value", "r_squared", "adj_r_squared"}  # graded against max(|truth|, 1): their natural scale


SUMS_OF_SQUARES = {"rss"}  # graded against TSS, always


def total_sum_of_squares(ref: Mapping[str, Any], tss: float | None = None) -> float | None:
    """The target's TSS: the truth's own (`tss`, exact, known also for an exact fit) or, without it, derived
    from a fit whose R² is not 1; None when neither is known."""
    if tss is not None and math.isfinite(tss) and tss > 0:
        return tss
    rss, r2 = _number(ref.get("rss")), _number(ref.get("r_squared"))
    if rss is not None and r2 is not None and r2 != 1.0 and math.isfinite(rss) and math.isfinite(r2):
        derived = rss / (1.0 - r2)
        return derived if derived > 0 else None
    return None


def scale_of(key: str, tss: float | None) -> dict[str, Any]:
    """The scale a fit-level quantity is read on (correct_digits' keywords): a sum of squares against TSS, R² and
    adj. R² against max(|truth|, 1), the rest relatively."""
    if key in SUMS_OF_SQUARES:
        return {"floor": tss, "zero_scale": tss} if tss else {}
    return {"floor": 1.0} if key in ZERO_CROSSING else {}


def fit_digits(got: dict[str, Any], ref: dict[str, Any], key: str, cap: float = CAP,
               tss: float | None = None) -> float:
    """Correct digits of one fit-level quantity (R², adj. R², F, RSS): RSS against TSS (the truth's `tss`, or
    derived from R² where it is not 1), R² and adj. R² (which can be 0 or negative) against max(|truth|, 1)."""
    return correct_digits(_number(got.get(key)), _number(ref.get(key)),
                          cap=cap, **scale_of(key, total_sum_of_squares(ref, tss)))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _answered(value: Any) -> bool:
    """A number was given (not missing, not NaN): only such an answer can be at float64's floor."""
    number = _number(value)
    return number is not None and not math.isnan(number)


def _grade_fit(tally: _Tally, got: dict[str, Any], ref: dict[str, Any], label: str = "") -> list[str]:
    """Digits of one OLS fit's coefficient table and summary; returns the differences in the model itself."""
    got_coefs, ref_coefs = got.get("coefficients") or {}, ref.get("coefficients") or {}
    got_aliased, ref_aliased = set(got.get("aliased") or []), set(ref.get("aliased") or [])
    problems = []
    for term in sorted(ref_aliased - got_aliased):
        problems.append(f"{label}{term} is exactly collinear (aliased) but was estimated" if term in got_coefs
                        else f"{label}no answer for aliased {term}")
    for term in sorted(got_aliased - ref_aliased):
        problems.append(f"{label}{term} aliased, but it is not exactly collinear")
    missing = [t for t in ref_coefs if t not in got_coefs and t not in got_aliased]
    if missing:
        problems.append(f"{label}no answer for {', '.join(missing)}")
    extra = [t for t in got_coefs if t not in ref_coefs and t not in ref_aliased]
    if extra:
        problems.append(f"{label}{', '.join(extra)} not in the model")
    # with other aliasing the parameterisation differs: only estimable coefficients are comparable
    skip = set(ref.get("not_estimable") or []) if got_aliased != ref_aliased else set()
    for term, truth in ref_coefs.items():
        if term not in got_coefs or term in skip:
            continue
        for quantity, digits in coefficient_digits(got_coefs[term], truth, tally.cap).items():
            tally.add(quantity, digits, label + term, _answered(got_coefs[term].get(quantity)))
    for key in FIT_QUANTITIES:
        if key in got and key in ref:
            tally.add(key, fit_digits(got, ref, key, tally.cap, tally.tss), label.rstrip(": ") or None,
                      _answered(got.get(key)))
    return problems


def _verdict(tally: _Tally, problems: list[str], pass_digits: float) -> dict[str, Any]:
    """Agrees when the model is the same and every graded number reaches the pass line or its floor. Each number
    counts at min(its digits, its ceiling); `floor` names the quantities the floor let pass, `ceiling` keeps
    the lowest ceiling per quantity."""
    graded = [(q, t, min(d, c) if c is not None else d, d, c, ok) for q, t, d, c, ok in tally.items]
    failing = [g for g in graded if g[3] < pass_digits and not at_floor(g[3], g[4], g[5])]
    floored = sorted({g[0] for g in graded if g[3] < pass_digits and at_floor(g[3], g[4], g[5])})
    minimum = min((g[2] for g in graded), default=tally.cap)
    worst_item = min(failing or graded, key=lambda g: g[2], default=None)
    worst = None if worst_item is None else {"quantity": worst_item[0], "term": worst_item[1],
                                             "digits": round(worst_item[2], 2)}
    agrees = not problems and not failing
    if agrees:
        grade = f"agrees: {FLOOR_WORDS} ({', '.join(floored)})" if floored else "agrees"
    elif problems:
        grade = "differs: " + "; ".join(problems)
    else:
        where = f" of {worst['term']}" if worst and worst.get("term") else ""
        grade = f"differs: {worst_item[2] if worst_item else minimum:.1f} digits " \
                f"({(worst or {}).get('quantity')}{where})"
    out = {"agrees": agrees, "grade": grade, "min_digits": round(minimum, 2),
           "digits": {k: round(v, 2) for k, v in tally.digits.items()}, "worst": worst,
           "pass_digits": pass_digits, "cap": tally.cap}
    ceilings: dict[str, float] = {}
    for quantity, _, _, _, ceiling, _ in graded:
        if ceiling is not None:
            ceilings[quantity] = min(ceilings.get(quantity, tally.cap), ceiling)
    if ceilings:
        out["ceiling"] = {k: round(v, 2) for k, v in ceilings.items()}
    if floored:
        out["floor"] = floored
    out["each"] = tally.each()
    return out


def grade_pvalues(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float = CAP,
                  truth: Mapping[str, Any] | None = None, against: str = TRUTH) -> dict[str, Any]:
    """The full fit's coefficients and summary, drop1's tests of factor terms, the terms dropped and the refit;
    `truth`: the target's `tss` and the `ceiling` (see _Tally); `against`: whose answer `ref` is, as the grade's
    words name it ("the truth", or "R" in the vs R column)."""
    tally = _Tally(cap, truth)
    tally.tss = total_sum_of_squares(ref, tally.tss)
    problems = _grade_fit(tally, got, ref)
    _grade_factor_terms(tally, problems, got, ref, "term_tests", ("f", "p"))
    if got.get("dropped") != ref.get("dropped"):
        problems.append(f"dropped {got.get('dropped')} but {against} drops {ref.get('dropped')}")
    elif got.get("refit") and ref.get("refit") and got.get("dropped") and not problems:
        problems += _grade_fit(tally, got["refit"], ref["refit"], "refit: ")
    return _verdict(tally, problems, pass_digits)


def _grade_factor_terms(tally: _Tally, problems: list[str], got: dict[str, Any], ref: dict[str, Any], key: str,
                        quantities: tuple[str, ...]) -> None:
    """Digits of the per-term answers of factor terms (drop1's F and p, car's GVIF): p absolutely, the rest
    relatively; a platform without them where the truth has them is a difference in the answer."""
    truth, mine = ref.get(key) or {}, got.get(key) or {}
    for term, expected in truth.items():
        if expected.get("df", 1) > 1 and term not in mine:
            problems.append(f"no answer for factor term {term}")
            continue
        for quantity in quantities:
            if quantity in expected:
                tally.grade(_number((mine.get(term) or {}).get(quantity)), _number(expected[quantity]),
                            f"term_{quantity}" if key == "term_tests" else quantity, term,
                            absolute=quantity == "p")


def grade_vif(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float = CAP,
              truth: Mapping[str, Any] | None = None, against: str = TRUTH) -> dict[str, Any]:
    """A platform's NaN VIFs where `against` has numbers are said as NaN, with the reason the procedure recorded
    (`undefined`: R's car::vif on a design without residual degrees of freedom); its removals, which stopped
    there, are then no second difference."""
    tally = _Tally(cap, truth)
    for term, expected in (ref.get("vif") or {}).items():
        tally.grade(_number((got.get("vif") or {}).get(term)), _number(expected), "vif", term)
    mine_nan, theirs_nan = _nan_vifs(got, ref), _nan_vifs(ref, got)
    problems = [f"VIF NaN for {', '.join(mine_nan)}{_reason(got)} where {against} has numbers"] if mine_nan else []
    if theirs_nan:
        problems.append(f"{against} has VIF NaN for {', '.join(theirs_nan)}{_reason(ref)}")
    _grade_factor_terms(tally, problems, got, ref, "gvif", ("gvif",))
    if got.get("dropped") != ref.get("dropped") and not mine_nan and not theirs_nan:
        problems.append(f"dropped {got.get('dropped')} but {against} drops {ref.get('dropped')}")
    return _verdict(tally, problems, pass_digits)


def _nan_vifs(answer: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """The columns whose VIF `answer` gives as NaN where `other` has a number."""
    theirs = other.get("vif") or {}
    return [t for t, v in (answer.get("vif") or {}).items() if _is_nan(v) and not _is_nan(theirs.get(t, math.nan))]


def _is_nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _reason(answer: dict[str, Any]) -> str:
    """Why an answer's VIFs are NaN, as its procedure recorded it (" (reason)"), or nothing."""
    reason = (answer.get("undefined") or {}).get("reason")
    return f" ({reason})" if reason else ""


def grade_numbers(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float = CAP,
                  truth: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The grade of a result made of named numbers (a new step's answer, say): digits of each, relative scale."""
    tally = _Tally(cap, truth)
    missing = [key for key in ref if key not in got]
    for key, expected in ref.items():
        if key in got:
            tally.grade(_number(got[key]), _number(expected), key)
    return _verdict(tally, [f"no answer for {', '.join(missing)}"] if missing else [], pass_digits)


SUBSET_QUANTITIES = ("rss", "r_squared", "adj_r_squared")

# The criteria a subset search picks a size by: (key in results, label in words and reports).
PICK_CRITERIA = (("adj_r_squared", "adj. R²"), ("cp", "Cp"), ("bic", "BIC"))


def picks_text(chosen: dict[str, Any] | None) -> str:
    """The sizes a subset search's criteria pick, in words: "adj. R² picks 11, Cp 8, BIC 6" (grades, console
    and HTML all say it this way)."""
    chosen = chosen or {}
    labels = dict(PICK_CRITERIA)
    parts = [(labels[key], chosen[key]) for key, _ in PICK_CRITERIA if key in chosen]
    parts += [(str(key), size) for key, size in chosen.items() if key not in labels]
    if not parts:
        return "no size picked"
    (label, size), rest = parts[0], parts[1:]
    return ", ".join([f"{label} picks {size}", *(f"{other} {n}" for other, n in rest)])


def _tied(mine: dict[str, Any], truth: dict[str, Any], pass_digits: float, cap: float) -> bool:
    """Another set whose RSS equals the truth's to the pass line: an exact tie (e.g. wt and wt2 = 2 wt), the
    same answer to any criterion."""
    return correct_digits(_number(mine.get("rss")), _number(truth.get("rss")), cap=cap) >= pass_digits


Branch = Callable[[dict[int, list[str]]], "dict[str, Any] | None"]  # sets -> the truth's path through them
STEPWISE = ("forward", "backward")


def grade_subset(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float = CAP,
                 truth: Mapping[str, Any] | None = None, branch: Branch | None = None,
                 against: str = TRUTH) -> dict[str, Any]:
    """Per size: the same set as the truth's search of the same method, or a tied one (equal RSS to the pass
    line)? Digits of RSS and R² where it is. A stepwise path that took the other branch of an exact tie is graded
    against the truth's path from that branch (`follow_ties`, with `branch`), and its grade says so."""
    ref, tie_steps = follow_ties(got, ref, pass_digits, cap, branch)
    exact = {k: set(v["features"]) == set(ref["by_size"][k]["features"])
             for k, v in got["by_size"].items() if k in ref["by_size"]}
    tied = [k for k, ok in exact.items() if not ok and _tied(got["by_size"][k], ref["by_size"][k], pass_digits, cap)]
    same = {k: ok or k in tied for k, ok in exact.items()}
    tally = _Tally(cap, truth)
    tally.tss = tally.tss or next(filter(None, (total_sum_of_squares(v) for v in ref["by_size"].values())), None)
    for k, is_same in same.items():
        if is_same:
            mine, theirs = got["by_size"][k], ref["by_size"][k]
            for key in SUBSET_QUANTITIES:
                if key in mine and key in theirs:
                    tally.grade(_number(mine[key]), _number(theirs[key]), key, f"size {k}",
                                **scale_of(key, tally.tss))
    problems = []
    differing = [k for k, ok in same.items() if not ok]
    missing = sorted(set(ref["by_size"]) - set(got["by_size"]), key=int)
    if differing:
        problems.append(f"other set at size {', '.join(differing)}")
    if missing:
        problems.append(f"no answer at size {', '.join(missing)}")
    if got["chosen"] != ref["chosen"]:  # always said, with the sets: a differing set often explains it
        whose = "the reference's" if against == TRUTH else f"{against}'s"
        problems.append(f"{picks_text(got['chosen'])} where {whose} {picks_text(ref['chosen'])}")
    verdict = _verdict(tally, problems, pass_digits)
    if tie_steps:
        where = f"tie at step {', '.join(map(str, tie_steps))}"
        verdict["grade"] = f"agrees ({where})" if verdict["agrees"] else verdict["grade"].replace(
            "differs: ", f"differs (after a {where}): ", 1)
        verdict["tie_steps"] = tie_steps
        verdict["branch"] = {k: v["features"] for k, v in ref["by_size"].items()}  # the path it was graded against
    verdict["same_set_by_size"] = same
    verdict["tied_sizes"] = tied
    verdict["sizes_agree"] = sum(same.values())
    verdict["sizes_total"] = len(ref["by_size"])
    verdict["chosen_same"] = got["chosen"] == ref["chosen"]
    return verdict


def path_order(ref: dict[str, Any]) -> list[str]:
    """A stepwise path's sizes in the order its search chose them, each a step: forward from size 1 up, backward
    from the largest size down, without the full model (all features: no choice). The sizes above a design's
    rank are not in a path (every model there fits exactly), so on a design with fewer rows than columns the
    first step is the largest set of full rank."""
    backward = ref.get("method") == "backward"
    order = sorted(ref["by_size"], key=int, reverse=backward)
    n_features = ref.get("n_features")
    return [k for k in order if not (backward and n_features is not None and int(k) == n_features)]


def _one_step(method: str, before: list[str] | None, after: list[str]) -> bool:
    """Can a stepwise search go from the set `before` (None: its start) to `after` in one step of its path?"""
    if before is None:
        return True
    return set(after) <= set(before) if method == "backward" else set(after) >= set(before)


def follow_ties(got: dict[str, Any], ref: dict[str, Any], pass_digits: float, cap: float,
                branch: Branch | None) -> tuple[dict[str, Any], list[int]]:
    """The truth's stepwise path along the branches a platform took at exact ties, and the steps of those ties.

    Walking the path step by step (`path_order`), where the platform's set differs from the truth's, the step is
    a tie when the platform's set is one step from the previous one and its RSS, from the exact engine (the set's
    RSS on `branch`'s path), equals the truth's set's to the pass line: either branch is right, and the steps
    after it are graded against the truth's path from the platform's set (`branch`: the truth's path through the
    given sets, its own choices after the last). Any other difference ends the walk: graded as it is."""
    if branch is None or ref.get("method") not in STEPWISE:
        return ref, []
    ties: list[int] = []
    walked: dict[int, list[str]] = {}
    before: list[str] | None = None
    for step, k in enumerate(path_order(ref), 1):
        mine, truth = got["by_size"].get(k), ref["by_size"][k]
        if mine is None:
            break
        if set(mine["features"]) != set(truth["features"]):
            if not _one_step(ref["method"], before, mine["features"]):
                break
            other = branch({**walked, int(k): list(mine["features"])})
            if other is None or k not in other["by_size"] or not _tied(other["by_size"][k], truth, pass_digits, cap):
                break
            ref = other
            ties.append(step)
        walked[int(k)] = before = list(ref["by_size"][k]["features"])
    return ref, ties


def grade_certified(got: dict[str, Any], certified: dict[str, Any], cap: float = CAP,
                    tss: float | None = None) -> dict[str, Any]:
    """Digits of a full OLS fit against NIST's certified values (coefficients, their standard deviations,
    residual standard deviation, R², F), as in McCullough's tables: relative, a zero estimate against its SD and a
    zero SD against its estimate; the residual SD against sqrt(TSS / df), the TSS scale every sum of squares is
    read on (`tss`: the truth's; without it, derived from the certified R² where it is not 1)."""
    tally = _Tally(cap)
    coefs = got.get("coefficients") or {}
    for term, truth in certified["coefficients"].items():
        se = certified["std_errors"].get(term)
        tally.grade(_number((coefs.get(term) or {}).get("estimate")), truth, "estimate", term, zero_scale=se or 1.0)
        tally.grade(_number((coefs.get(term) or {}).get("std_error")), se, "std_error", term,
                    zero_scale=abs(truth) or 1.0)
    rss, df = _number(got.get("rss")), (got.get("f_df") or [None, None])[1]
    residual_sd = math.sqrt(rss / df) if rss is not None and rss >= 0 and df else None
    if tss is None and df and certified.get("r_squared", 1.0) != 1.0:
        tss = certified["residual_sd"] ** 2 * df / (1.0 - certified["r_squared"])
    sd_scale = math.sqrt(tss / df) if tss and df else 1.0
    tally.grade(residual_sd, certified["residual_sd"], "residual_sd", floor=sd_scale, zero_scale=sd_scale)
    tally.grade(_number(got.get("r_squared")), certified["r_squared"], "r_squared")
    tally.grade(_number(got.get("f_statistic")), certified["f_statistic"], "f_statistic")
    minimum = min(tally.digits.values(), default=cap)
    worst = min(tally.items, key=lambda item: item[2], default=None)
    return {"min_digits": round(minimum, 2), "digits": {k: round(v, 2) for k, v in tally.digits.items()},
            "worst": None if worst is None else {"quantity": worst[0], "term": worst[1], "digits": round(worst[2], 2)}}


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
