"""Pivots of the statistics steps' records: subsets against the exact reference, support recovery, cross-validated
MSE, McCullough's accuracy table, OLS coefficients, elimination and VIF. Part of mlbench.reports.summary (which
re-exports them)."""

from __future__ import annotations

from typing import Any

from mlbench import grading
from mlbench.reports.summary import CRITERIA, PVALUE_FLOOR_TEXT, fmt, format_pvalue, grade_words, measured
from mlbench.run_data import latest_ok_records


def exact_subsets(reference: dict[str, Any] | None) -> dict[str, Any] | None:
    """The reference's subset answer the tables print beside the platforms: best subsets, else any method's."""
    reference = reference or {}
    exact = reference.get("subset/best") or next(
        (v for k, v in reference.items() if k.startswith("subset/") and isinstance(v, dict) and "by_size" in v),
        None)
    return exact if isinstance(exact, dict) and "by_size" in exact else None


def _picks(result: dict[str, Any] | None) -> str | None:
    """The sizes adj. R² / Cp / BIC pick, as "a/b/c" ("—" for a criterion undefined at every size)."""
    chosen = (result or {}).get("chosen") or {}
    if (result or {}).get("family", "gaussian") != "gaussian":  # a GLM's search: the sizes AIC / BIC pick
        return "/".join(str(chosen.get(key, "—")) for key in ("aic", "bic")) if chosen else None
    return "/".join(str(chosen.get(key, "—")) for key, _ in CRITERIA) if chosen else None


def subset_agreement(records: list[dict[str, Any]],
                     reference: dict[str, Any] | None = None) -> tuple[list[int], list[dict[str, Any]]]:
    """Sizes, and per (dataset, adapter, method) the last subset record's same-set-as-reference per size.

    Each row: dataset, adapter, method, status, record, same: {size: True | False | None (missing)},
    chosen: {size: the features the platform chose}, not_best: {size: chose other than the exact best subset},
    picks: the sizes adj. R² / Cp / BIC pick ("a/b/c", None without an answer).
    """
    last: dict[tuple[str, str, str], dict[str, Any]] = {}
    for record in measured(records):
        if record.get("step") == "subset":
            last[(str(record.get("dataset")), str(record["adapter"]), str(record.get("variant")))] = record
    sizes: set[int] = set()
    for record in last.values():
        sizes |= {int(k) for k in ((record.get("result") or {}).get("by_size") or {})}
        sizes |= {int(k) for k in ((record.get("deviation") or {}).get("same_set_by_size") or {})}
    for key, value in (reference or {}).items():
        if key.startswith("subset/") and isinstance(value, dict):
            sizes |= {int(k) for k in (value.get("by_size") or {})}
    ordered = sorted(sizes)
    best_by_size = (exact_subsets(reference) or {}).get("by_size") or {}
    rows = []
    for (dataset, adapter, method), record in last.items():
        same_by_size = (record.get("deviation") or {}).get("same_set_by_size") or {}
        by_size = (record.get("result") or {}).get("by_size") or {}
        chosen = {size: list((by_size.get(str(size)) or {}).get("features") or []) for size in ordered}
        best = {size: set((best_by_size.get(str(size)) or {}).get("features") or []) for size in ordered}
        rows.append({"dataset": dataset, "adapter": adapter, "method": method, "status": record.get("status"),
                     "record": record, "same": {size: same_by_size.get(str(size)) for size in ordered},
                     "chosen": chosen,
                     "not_best": {size: bool(best[size]) and set(chosen[size]) != best[size] for size in ordered},
                     "picks": _picks(record.get("result"))})
    return ordered, rows


def step_ends(rows: list[dict[str, Any]]) -> list[str]:
    """A GLM's forward / backward searches: the model where R's `step` by AIC stops, per method, with the
    platforms that stop there."""
    ends: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        result = row["record"].get("result") or {}
        if "step" in result:
            ends.setdefault((row["method"], ", ".join(result["step"]) or "the intercept alone"), []).append(
                row["adapter"])
    return [f"step by AIC ({method}) ends at {model}: {', '.join(names)}" for (method, model), names in ends.items()]


def subset_summary(records: list[dict[str, Any]],
                   reference: dict[str, Any] | None = None) -> tuple[list[int], list[dict[str, Any]]]:
    """The subset table folded per (dataset, adapter, method), for narrow tables: (sizes, rows) where each row has
    dataset, adapter, method, status, error, grade, agrees, sizes_same (sizes with the same set as the reference
    of the same method), sizes_judged, differs_at and not_best_at (sizes), picks ("a/b/c" by adj. R² / Cp / BIC)
    reference_picks (the reference's of the same method; on a path graded along another branch of an exact tie,
    the truth's picks on that branch), tie_steps (the steps of those ties, [] without) and fits (the platform fits
    an emulated search drove; None for a native search)."""
    sizes, rows = subset_agreement(records, reference)
    out = []
    for row in rows:
        judged = [size for size in sizes if row["same"].get(size) is not None]
        same_method = (reference or {}).get(f"subset/{row['method']}")
        deviation = row["record"].get("deviation") or {}
        out.append({"dataset": row["dataset"], "adapter": row["adapter"], "method": row["method"],
                    "status": row["status"], "error": row["record"].get("error"), "grade": deviation.get("grade"),
                    "agrees": deviation.get("agrees"), "sizes_same": sum(bool(row["same"][s]) for s in judged),
                    "sizes_judged": len(judged), "differs_at": [s for s in judged if not row["same"][s]],
                    "not_best_at": [s for s in sizes if row["not_best"].get(s)], "picks": row["picks"],
                    "fits": (row["record"].get("result") or {}).get("fits"),
                    "tie_steps": deviation.get("tie_steps") or [],
                    "reference_picks": (row["picks"] if deviation.get("tie_steps") and deviation.get("chosen_same")
                                        else _picks(same_method) if isinstance(same_method, dict) else None)})
    return sizes, out


def exact_subset_rows(reference: dict[str, Any] | None, sizes: list[int]) -> dict[str, Any] | None:
    """The reference's columns of the subset table: per size its features, adj. R² and BIC, and its picks."""
    exact = exact_subsets(reference)
    if exact is None:
        return None
    by_size = {size: exact["by_size"].get(str(size)) or {} for size in sizes}
    chosen = exact.get("chosen") or {}
    if exact.get("family", "gaussian") != "gaussian":  # a GLM: deviance and AIC per size, the sizes AIC / BIC pick
        return {"by_size": by_size, "glm": True, "columns": (("deviance", "deviance"), ("AIC", "aic")),
                "picks": f"AIC picks {chosen.get('aic', '—')}, BIC {chosen.get('bic', '—')}",
                "picks_title": "size picked by AIC / BIC"}
    return {"by_size": by_size, "glm": False, "columns": (("adj. R²", "adj_r_squared"), ("BIC", "bic")),
            "picks": grading.picks_text(chosen), "picks_title": "size picked by adj. R² / Cp / BIC"}


def support_recovery(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Synthetic data with a known support: per subset cell, precision / recall of the model each criterion picks.
    Rows: adapter, method, dataset, criteria: {label: {"text", "precision"}}."""
    _sizes, rows = subset_agreement(records)
    out = []
    for r in rows:
        truth = (r["record"].get("deviation") or {}).get("truth")
        if not truth:
            continue
        criteria = {}
        for key, label in CRITERIA:
            q = truth.get(key) or {}
            criteria[label] = {"text": f"{q.get('precision', 0):.2f} / {q.get('recall', 0):.2f} (k={q.get('size')})",
                               "precision": q.get("precision"), "recall": q.get("recall"), "size": q.get("size")}
        out.append({"adapter": r["adapter"], "method": r["method"], "dataset": r["dataset"], "criteria": criteria})
    return out


def cv_errors(records: list[dict[str, Any]], reference: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Cross-validated MSE per subset size (a subset step with `cv_folds`: mlbench's k-fold OLS of the set each
    platform chose, the same folds for every platform), per (dataset, adapter, method), after the exact reference's
    best subsets where it has them; None when no cell has it. The terminal and the HTML report draw this.

    {"folds": k or None, "sizes": [...], "several": several datasets, "columns": [{"adapter" ("reference" for the
    truth), "method", "dataset", "by_size": {size: cv_mse or None}, "min_size": the size of the smallest}]}"""
    sizes, rows = subset_agreement(records, reference)
    columns = []
    exact = exact_subsets(reference)
    candidates = ([("reference", "best" if (reference or {}).get("subset/best") else str(exact.get("method")),
                    None, exact)] if exact else [])
    candidates += [(r["adapter"], r["method"], r["dataset"], r["record"].get("result")) for r in rows]
    folds = {(r["record"].get("params") or {}).get("cv_folds") for r in rows} - {None}
    for adapter, method, dataset, result in candidates:
        by_size_all = (result or {}).get("by_size") or {}
        by_size = {size: _number((by_size_all.get(str(size)) or {}).get("cv_mse")) for size in sizes}
        known = {size: value for size, value in by_size.items() if value is not None}
        if not known:
            continue
        columns.append({"adapter": adapter, "method": method, "dataset": dataset, "by_size": by_size,
                        "min_size": min(known, key=lambda size: known[size])})
    if not any(c["adapter"] != "reference" for c in columns):
        return None
    return {"folds": folds.pop() if len(folds) == 1 else None, "sizes": sizes, "columns": columns,
            "several": len({c["dataset"] for c in columns if c["dataset"] is not None}) > 1}


def latest_ok(records: list[dict[str, Any]], step: str) -> dict[str, dict[str, Any]]:
    """adapter -> result of its last measured ok record of `step` (the answer every report shows)."""
    return {adapter: record["result"] for adapter, record in latest_ok_records(records, step).items()}


def _pvalues_fits(records: list[dict[str, Any]], glm: bool) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The accuracy tables' cells: the last measured pvalues fit record per dataset and adapter, OLS ones or (glm)
    GLM ones. (adapters in first-seen order, {dataset: {adapter: record}} in first-seen and adapter order)."""
    last: dict[tuple[str, str], dict[str, Any]] = {}
    for record in measured(records):
        if record.get("step") == "pvalues" and record.get("phase") == "fit" and is_glm(record) == glm:
            last[(str(record["dataset"]), str(record["adapter"]))] = record
    adapters = list(dict.fromkeys(a for _, a in last))
    fits = {name: {a: last[(name, a)] for a in adapters if (name, a) in last}
            for name in dict.fromkeys(d for d, _ in last)}
    return adapters, fits


def _note(record: dict[str, Any], word: str, detail: str | None) -> str | None:
    """An accuracy cell's note: the error of a failed cell, or why an answer differs (unless the detail is only
    its digits, which the cell shows)."""
    return record.get("error") or (detail if word == "differs" and detail and "digits (" not in detail else None)


def _in_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows by their suite's `order` (NIST's difficulty, the GLM suite's order), unordered ones last, ties as
    they came."""
    return [row for _, row in sorted(enumerate(rows), key=lambda item: (
        item[1]["order"] if item[1]["order"] is not None else 1000, item[0]))]


def accuracy(records: list[dict[str, Any]], manifest: dict[str, Any]) -> dict[str, Any]:
    """McCullough's table: per statistics dataset (rows, in NIST's order of difficulty where they are NIST's)
    and adapter (columns), the correct digits of the pvalues answer against the truth and against certified
    values, with what limits them. Datasets a suite could not run are rows with the reason.

    {"adapters": [...], "rows": [{"dataset", "label", "difficulty", "input_digits", "not_run",
      "cells": {adapter: {"status", "digits", "certified", "agrees", "note", "digits_by_quantity"}}}]}
    """
    truth = manifest.get("truth") or {}
    described = {d.get("name"): d for d in manifest.get("datasets") or []}
    adapters, fits = _pvalues_fits(records, glm=False)

    def nist(name: str) -> dict[str, Any]:
        return ((described.get(name) or {}).get("truth") or {}).get("nist") or {}

    rows = []
    for name, found in fits.items():
        cells = {}
        for adapter, record in found.items():
            deviation = record.get("deviation") or {}
            word, detail = grade_words(deviation.get("grade"))
            cells[adapter] = {
                "status": record.get("status"), "digits": deviation.get("min_digits"),
                "certified": (deviation.get("certified") or {}).get("min_digits"),
                "agrees": deviation.get("agrees"), "digits_by_quantity": deviation.get("digits") or {},
                "worst": deviation.get("worst"), "grade": deviation.get("grade"),
                "note": _note(record, word, detail),
            }
        info = nist(name)
        rows.append({"dataset": name, "label": info.get("name", name), "difficulty": info.get("difficulty"),
                     "order": info.get("order"), "input_digits": (truth.get(name) or {}).get("float64_input_digits"),
                     "not_run": None, "cells": cells})
    for skipped in manifest.get("datasets_not_run") or []:
        rows.append({"dataset": skipped["name"], "label": skipped.get("label", skipped["name"]),
                     "difficulty": skipped.get("difficulty"), "order": skipped.get("order"), "input_digits": None,
                     "not_run": skipped["reason"], "cells": {}})
    return {"adapters": adapters, "rows": _in_order(rows)}


def coefficient_terms(results: dict[str, dict[str, Any]], order: list[str] | None = None) -> list[str]:
    """Every term any platform estimated or aliased (an aliased term keeps its row: R's NA, H2O's removed
    column), in the design's order where known."""
    seen = list(dict.fromkeys(t for res in results.values()
                              for t in [*(res.get("coefficients") or {}), *(res.get("aliased") or [])]))
    rank = {t: i for i, t in enumerate(order or [])}
    return sorted(seen, key=lambda t: (rank.get(t, len(rank)), seen.index(t)))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def term_digits(got: dict[str, Any], truth: dict[str, Any], cap: float = grading.CAP) -> float:
    """Correct digits of one coefficient against the truth's: the minimum over its estimate, SE, t and p, each on
    the scale the grade reads it."""
    return min(grading.coefficient_digits(got, truth, cap).values())


FIT_ROWS = (("R²", "r_squared"), ("adj. R²", "adj_r_squared"), ("F", "f_statistic"))
GLM_FIT_ROWS = (("deviance", "deviance"), ("null deviance", "null_deviance"), ("AIC", "aic"))
MODEL_NAMES = {"gaussian": "OLS", "binomial": "Logistic GLM (binomial, logit)", "poisson": "Poisson GLM (log)"}


def result_family(results: Any) -> str:
    """The family of a step's answers (a GLM's answers name theirs; OLS's do not)."""
    return next((r["family"] for r in results if isinstance(r, dict) and r.get("family")), "gaussian")


def platform_words(results: dict[str, dict[str, Any]]) -> list[str]:
    """What each platform said of its GLM fit where it was not a plain success: no convergence, warnings."""
    lines = []
    for name, res in results.items():
        if name == "reference":
            continue
        said = []
        if res.get("converged") is False:
            said.append(f"did not converge ({res.get('iterations')} iterations)")
        said += [str(w) for w in res.get("warnings") or []]
        if said:
            lines.append(f"{name}: {'; '.join(said)}")
    return lines


def coefficient_grid(records: list[dict[str, Any]], reference: dict[str, Any] | None = None,
                     order: list[str] | None = None) -> dict[str, Any] | None:
    """Each platform's OLS coefficient table side by side, after the reference's (None without a pvalues answer).

    {"names": [reference?, adapters...], "rows": [{"term", "cells": [{"aliased", "estimate", "p_value", "std_error",
      "t_value", "digits", "underflow"}, ...]}], "fit": [(label, [value per name])]} for R², adj. R², F; and
    "reference" (whether names[0] is the exact reference), "platforms" (the adapters), "pass_digits",
    "fit_rows": [{"label", "key", "values", "digits"}]. A cell's `digits` are the term's correct digits against the
    reference (min over estimate, SE, t, p; None for the reference itself, an aliased or non-estimable term, or
    without a reference); `underflow` is a platform's p-value reported as exactly 0 (a tail that underflowed), and
    "underflow_notes" {platform: what its zeros mean, in the words every renderer shows beside the table}.
    """
    found = latest_ok_records(records, "pvalues")
    if not found:
        return None
    results = {adapter: record["result"] for adapter, record in found.items()}
    caps = {adapter: float((record.get("deviation") or {}).get("cap") or grading.CAP)
            for adapter, record in found.items()}
    pass_digits = next((float(r["deviation"]["pass_digits"]) for r in found.values()
                        if (r.get("deviation") or {}).get("pass_digits") is not None), grading.DEFAULT_PASS_DIGITS)
    has_reference = bool(reference and "coefficients" in reference)
    ref: dict[str, Any] = reference if has_reference and reference else {}
    if has_reference:
        results = {"reference": ref, **results}
    ref_coefs = ref.get("coefficients") or {}
    ref_aliased = set(ref.get("aliased") or [])
    family = result_family(results.values())
    glm = family != "gaussian"
    if glm:
        from mlbench import grading_glm
    rows: list[dict[str, Any]] = []
    for term in coefficient_terms(results, order):
        cells = []
        for name, res in results.items():
            coef = (res.get("coefficients") or {}).get(term) or {}
            aliased = term in (res.get("aliased") or [])
            digits = None
            if has_reference and name != "reference" and not aliased and coef and term in ref_coefs:
                skip = set(ref.get("not_estimable") or []) if set(res.get("aliased") or []) != ref_aliased else set()
                if term not in skip:
                    digits = round(min(grading_glm.coefficient_digits(coef, ref_coefs[term], caps.get(
                        name, grading.CAP)).values()) if glm else term_digits(coef, ref_coefs[term], caps.get(
                            name, grading.CAP)), 2)
            p_value = coef.get("p_value")
            # a p of exactly 0 is an underflow worth a note where the reference's p is not 0 itself (beyond
            # float64's 1e-308 both are 0, and agree)
            ref_zero = has_reference and (ref_coefs.get(term) or {}).get("p_value") == 0.0
            cells.append({"aliased": aliased, "estimate": coef.get("estimate"), "p_value": p_value,
                          "std_error": coef.get("std_error"), "t_value": coef.get("z_value" if glm else "t_value"),
                          "digits": digits, "underflow": name != "reference" and p_value == 0.0
                          and not isinstance(p_value, bool) and not ref_zero})
        rows.append({"term": term, "cells": cells})
    fit_keys = GLM_FIT_ROWS if glm else FIT_ROWS
    fit = [(label, [res.get(key) for res in results.values()]) for label, key in fit_keys]
    fit_rows = []
    for label, key in fit_keys:
        digits_row: list[float | None] = []
        for name, res in results.items():
            if not has_reference or name == "reference" or key not in res or key not in ref:
                digits_row.append(None)
                continue
            digits_row.append(round(grading.correct_digits(res[key], ref[key], cap=caps.get(name, grading.CAP)) if glm
                                    else grading.fit_digits(res, ref, key, caps.get(name, grading.CAP)), 2))
        fit_rows.append({"label": label, "key": key, "values": [res.get(key) for res in results.values()],
                         "digits": digits_row})
    underflow: dict[str, list[str]] = {}
    for row in rows:
        for name, cell in zip(results, row["cells"], strict=True):
            if cell["underflow"]:
                underflow.setdefault(name, []).append(row["term"])
    ref_p = {term: (ref_coefs.get(term) or {}).get("p_value") or 0.0 for term in ref_coefs}
    notes = {name: f"reports p = 0 for {', '.join(terms)}" + (
        f" (the exact reference: {', '.join(format(ref_p.get(t) or 0.0, '.3g') for t in terms)})"
        if has_reference else "") + f": the tail underflowed; shown as {PVALUE_FLOOR_TEXT}, as R's format.pval does"
        for name, terms in underflow.items()}
    return {"names": list(results), "rows": rows, "fit": fit, "reference": has_reference,
            "platforms": [n for n in results if not (has_reference and n == "reference")],
            "pass_digits": pass_digits, "fit_rows": fit_rows, "underflow_notes": notes, "family": family,
            "model": MODEL_NAMES.get(family, family), "statistic": "z" if glm else "t",
            "platform_words": platform_words(results) if glm else []}


def _as_terms(columns: list[str], factors: dict[str, list[str]]) -> list[str]:
    """Columns with each factor whose dummies are all among them said once, as the factor (its Df): a kept model
    of Bikeshare is `mnth (11), hr (23), workingday, ...`, not its 39 dummies."""
    out: list[str] = []
    for column in columns:
        factor = next((f for f, dummies in factors.items() if column in dummies), None)
        if factor is not None and set(factors[factor]) <= set(columns):
            label = f"{factor} ({len(factors[factor])})"
            if label not in out:
                out.append(label)
        else:
            out.append(column)
    return out


def elimination_rows(records: list[dict[str, Any]], factors: dict[str, list[str]] | None = None,
                     ) -> tuple[Any, list[dict[str, Any]]]:
    """Backward elimination by p-value: (alpha, per adapter what it dropped in order, kept (a factor kept whole
    said once, `factors`: name -> its dummy columns), and the refit's R²)."""
    results = latest_ok(records, "pvalues")
    alpha = next(iter(results.values())).get("alpha") if results else None
    return alpha, [{"adapter": adapter, "dropped": ", ".join(map(str, res.get("dropped") or [])) or "none",
                    "kept": ", ".join(map(str, _as_terms(list(res.get("kept") or []), factors or {}))),
                    "r_squared": (res.get("refit") or {}).get("r_squared"),
                    "adj_r_squared": (res.get("refit") or {}).get("adj_r_squared"),
                    "deviance": (res.get("refit") or {}).get("deviance"), "aic": (res.get("refit") or {}).get("aic"),
                    "family": res.get("family", "gaussian")} for adapter, res in results.items()]


def factor_notes(records: list[dict[str, Any]], step: str, reference: dict[str, Any] | None = None) -> list[str]:
    """One line per factor term of a pvalues or vif result (the first platform's answer): drop1's F-test of the
    term, or car's GVIF with Df and GVIF^(1/(2 Df)); empty when the design has no factor of several columns.
    A GLM's drop1 (every term's LRT) is the exact reference's where the run has one."""
    results = latest_ok(records, step)
    res = next(iter(results.values()), {})
    if step == "pvalues" and reference and reference.get("term_tests") and res.get("family", "gaussian") != "gaussian":
        results, res = {"the exact reference": reference}, reference
    by = res.get("by")
    whole = ("whole (drop1 semantics)" if step == "pvalues" else "whole (GVIF^(1/Df) against the threshold)") \
        if by == "term" else "one dummy at a time (--by column)"
    if step == "pvalues" and res.get("family", "gaussian") != "gaussian":  # a GLM: drop1(test = "LRT"), every term
        return [f"drop1 {term} (Df {t['df']}): LRT = {fmt(t.get('lrt'))}, p = {format_pvalue(t.get('p'))} "
                f"({next(iter(results))})" for term, t in (res.get("term_tests") or {}).items()]
    if step == "pvalues":
        tests = res.get("term_tests") or {}
        if by == "column":
            return [f"factors are tested and dropped {whole}"]
        return [f"factor {term} (Df {t['df']}): F = {fmt(t.get('f'))}, p = {format_pvalue(t.get('p'))} "
                f"({next(iter(results))}); factors are tested and dropped {whole}" for term, t in tests.items()]
    table = res.get("gvif") or {}
    if res.get("family", "gaussian") != "gaussian":  # a GLM: car::vif's GVIF from the coefficient covariance
        return [f"factor {term}: GVIF with Df {t['df']} from the fit's coefficient covariance, as car::vif computes "
                f"it for a glm, GVIF^(1/(2 Df)) = {fmt(t.get('gvif_adj'))} ({next(iter(results))}); factors are "
                f"removed {whole}" for term, t in table.items() if t["df"] > 1]
    return [f"factor {term}: GVIF with Df {t['df']} as car::vif defines it (R answers with car::vif itself, "
            f"the others from their own VIF on sub-models), GVIF^(1/(2 Df)) = {fmt(t.get('gvif_adj'))} "
            f"({next(iter(results))}); factors are removed {whole}" for term, t in table.items() if t["df"] > 1]


def _gvif_rows(result: dict[str, Any] | None) -> dict[str, Any]:
    """A vif result's factor terms as extra rows: label -> the term's GVIF."""
    table = (result or {}).get("gvif") or {}
    return {f"{term} (GVIF, Df {t['df']})": t.get("gvif") for term, t in table.items() if t.get("df", 1) > 1}


def vif_grid(records: list[dict[str, Any]], reference: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Variance inflation factors: {"adapters", "rows": [(feature, [vif per adapter])], "dropped": [text]}; with the
    reference's answer also "reference": [its vif per feature] (None without), "digits": [[correct digits per
    adapter] per feature], "reference_dropped" (text) and "pass_digits". A factor term of several columns adds
    a row of its GVIF ("type (GVIF, Df 2)") after the per-column rows, and a line in "notes"."""
    found = latest_ok_records(records, "vif")
    if not found:
        return None
    results = {adapter: {**(record["result"].get("vif") or {}), **_gvif_rows(record["result"])}
               for adapter, record in found.items()}
    ref_vif = None
    if isinstance((reference or {}).get("vif"), dict):
        ref_vif = {**(reference or {})["vif"], **_gvif_rows(reference)}
    features = list(dict.fromkeys([*(ref_vif or {}), *(f for res in results.values() for f in res)]))
    caps = {a: float((r.get("deviation") or {}).get("cap") or grading.CAP) for a, r in found.items()}
    digits = [[None if ref_vif is None or f not in ref_vif else
               round(grading.correct_digits(_number(res.get(f)), _number(ref_vif[f]), cap=caps[a]), 2)
               for a, res in results.items()] for f in features]
    pass_digits = next((float(r["deviation"]["pass_digits"]) for r in found.values()
                        if (r.get("deviation") or {}).get("pass_digits") is not None), grading.DEFAULT_PASS_DIGITS)
    return {"adapters": list(results),
            "rows": [(f, [res.get(f) for res in results.values()]) for f in features],
            "dropped": [", ".join(map(str, record["result"].get("dropped") or []))
                        or ("none (its VIFs are NaN)" if record["result"].get("undefined") else "none")
                        for record in found.values()],
            "reference": None if ref_vif is None else [ref_vif.get(f) for f in features],
            "reference_dropped": None if ref_vif is None else ", ".join(map(str, (reference or {}).get("dropped")
                                                                           or [])) or "none",
            "threshold": (reference or {}).get("threshold"),
            "digits": digits, "pass_digits": pass_digits,
            "notes": [*_nan_vif_notes(found), *factor_notes(records, "vif")]}


def _nan_vif_notes(found: dict[str, dict[str, Any]]) -> list[str]:
    """One line per platform whose VIFs are NaN: which, and why (R's car::vif where n = p + 1), so a NaN is read
    as the platform's answer with its reason, not as a removal it skipped."""
    out = []
    for adapter, record in found.items():
        undefined = record["result"].get("undefined") or {}
        if undefined:
            out.append(f"{adapter}: VIF NaN for {', '.join(undefined.get('terms') or [])}: {undefined.get('reason')}")
    return out


def design_terms(manifest: dict[str, Any]) -> list[str]:
    """Intercept (unless the fit is through the origin) and the statistics dataset's features, in order."""
    dataset = manifest.get("dataset") or {}
    return [*(["Intercept"] if dataset.get("intercept", True) else []), *(dataset.get("features") or [])]


# ------------------------------------------------------------------------------------ the GLM accuracy table

GLM_DIGITS = ("estimate", "std_error", "z_value", "p_value", "deviance", "null_deviance", "aic")


def is_glm(record: dict[str, Any]) -> bool:
    """A statistics record under a GLM family (binomial, poisson): graded in the GLM table, not the OLS one."""
    return ((record.get("params") or {}).get("family") or "gaussian") != "gaussian"


def glm_accuracy(records: list[dict[str, Any]], manifest: dict[str, Any]) -> dict[str, Any]:
    """McCullough's table for the GLM accuracy suite (and any GLM pvalues cell): per dataset (rows, the suite's
    order) and adapter (columns), the worst correct digits over the terms of the estimates and of the SEs (and
    of every graded quantity) against the certified truth, and whether the platform said it converged.

    {"adapters": [...], "rows": [{"dataset", "label", "family", "provokes", "cells": {adapter: {"status",
      "estimate", "std_error", "digits", "agrees", "converged", "iterations", "note", "digits_by_quantity",
      "worst"}}}]}"""
    described = {d.get("name"): d for d in manifest.get("datasets") or []}
    adapters, fits = _pvalues_fits(records, glm=True)
    rows = []
    for name, found in fits.items():
        cells = {}
        for adapter, record in found.items():
            deviation, result = record.get("deviation") or {}, record.get("result") or {}
            by_quantity = deviation.get("digits") or {}
            word, detail = grade_words(deviation.get("grade"))
            cells[adapter] = {
                "status": record.get("status"), "estimate": by_quantity.get("estimate"),
                "std_error": by_quantity.get("std_error"), "digits": deviation.get("min_digits"),
                "agrees": deviation.get("agrees"), "converged": result.get("converged"),
                "iterations": result.get("iterations"), "digits_by_quantity": by_quantity,
                "worst": deviation.get("worst"),
                "note": _note(record, word, detail) or (detail if deviation.get("separation") else None),
            }
        truth = (described.get(name) or {}).get("truth") or {}
        case = truth.get("glm_case") or {}
        family = truth.get("family") or next(((r.get("params") or {}).get("family") for r in found.values()), None)
        rows.append({"dataset": name, "label": case.get("name", name), "family": family,
                     "provokes": case.get("provokes"), "order": case.get("order"), "cells": cells})
    return {"adapters": adapters, "rows": _in_order(rows)}
