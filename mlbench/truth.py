"""The truth reference of a run: one exact fitter per data unit, its answer per statistics cell, the grade of a
platform's answer against it (and against R's), and what run.json stores of it (`truth`, `vs_r`).

The runner asks it for a step's context and a grade; it never runs a platform.

The ceiling of a cell (what the float64 input lets any computation get right, per quantity and term) is the
truth's own digits on copies of the data moved one ulp (`ReferenceFitter.float64_copies`), graded by the step's
own grade. It costs a few more exact solves, so it is computed lazily: for a record whose answer falls below the
pass line somewhere (where the floor can change its verdict), and for the pvalues cell of a dataset whose truth is
on exact source values (NIST's: every record of it, and the accuracy table's ceiling column). A record is graded
against the ceiling exactly in those two cases, whichever record asked first.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from mlbench import grading, steps
from mlbench.plan import DataUnit, RunPlan
from mlbench.results import restore_nonfinite
from mlbench.stats import procedures
from mlbench.stats.reference import ReferenceFitter, condition_number

R_ADAPTER = "r"  # the platform whose answers users check against: each run with R grades the others against it


class Truth:
    def __init__(self, plan: RunPlan, describe: Callable[[BaseException], str]) -> None:
        self.plan = plan
        self._describe = describe  # an exception in one line, as records say it
        self._references: dict[tuple[str, int, str | None], dict[str, Any] | Exception] = {}
        self._fitters: dict[str, Any] = {}
        self._conditions: dict[str, float | None] = {}
        self._ranks: dict[str, int | None] = {}
        self._tss: dict[str, float] = {}
        self._copies: dict[str, list[ReferenceFitter]] = {}
        self._ceilings: dict[tuple[str, int, str | None], dict[str, float]] = {}
        self._ceiling_seconds: dict[str, float] = {}

    def context(self, unit: DataUnit, support: str,
                report: Callable[[str], None] | None = None) -> procedures.StepContext:
        """What a statistics step's procedure runs on: the design, its rank by the truth, where to report."""
        design = unit.design
        return procedures.StepContext(features=design.features, X=design.X, y=design.y, support=support,
                                      rank=self._rank(unit), terms=design.terms,
                                      report=None if support == "reference" else report,
                                      intercept=unit.source.intercept)

    def measure_condition(self, unit: DataUnit) -> None:
        """The design's condition number, stored on every grade of the unit."""
        self._conditions[unit.label] = condition_number(unit.design.X) if unit.design.features else None

    def _rank(self, unit: DataUnit) -> int | None:
        """The design's rank by the truth reference (its exactly aliased columns); None when unknown."""
        if unit.label not in self._ranks:
            fitter = self._fitter(unit)
            if hasattr(fitter, "design_rank"):  # the GLM truth: the rank of the design itself
                self._ranks[unit.label] = fitter.design_rank
                return self._ranks[unit.label]
            try:  # by the exact engine's pivots, not a fit: fewer rows than columns have a rank too
                self._ranks[unit.label] = None if isinstance(fitter, Exception) else \
                    fitter.rank(unit.design.features) if unit.design.features else 0
            except Exception:  # noqa: BLE001 - no rank: sizes are not capped
                self._ranks[unit.label] = None
        return self._ranks[unit.label]

    def _fitter(self, unit: DataUnit) -> Any:
        """One truth reference per data unit (its exact Gram matrix is built once and serves every step); under a
        GLM family the GLM truth (`glm_reference.GLMReference`), each model fitted once for every step."""
        if unit.label not in self._fitters:
            try:
                design = unit.design
                if design.family != "gaussian":
                    from mlbench.stats.glm_reference import GLMReference

                    self._fitters[unit.label] = GLMReference(design.X, design.y, design.features, design.family)
                    return self._fitters[unit.label]
                self._fitters[unit.label] = ReferenceFitter(unit.design.frame, unit.design.target, unit.dataset.exact,
                                                             intercept=unit.source.intercept)
            except Exception as exc:  # noqa: BLE001 - a reference failure is reported on the grade
                self._fitters[unit.label] = exc
        return self._fitters[unit.label]

    def reference(self, unit: DataUnit, index: int, spec: Any, variant: str | None) -> dict[str, Any] | Exception:
        key = (unit.label, index, variant)
        if key not in self._references:
            fitter = self._fitter(unit)
            try:
                if isinstance(fitter, Exception):
                    raise fitter
                self._references[key] = steps.compute(spec, variant, fitter, self.context(unit, "reference"))
            except Exception as exc:  # noqa: BLE001 - a reference failure is reported on the grade
                self._references[key] = exc
        return self._references[key]

    def grade(self, unit: DataUnit, index: int, spec: Any, variant: str | None,
               result: dict[str, Any]) -> dict[str, Any]:
        ref = self.reference(unit, index, spec, variant)
        if isinstance(ref, Exception):
            return {"agrees": None, "grade": f"no reference: {self._describe(ref)}"}
        fitter = self._fitter(unit)
        assert not isinstance(fitter, Exception)
        kind = steps.kind(spec.step)
        grade = kind.grade
        assert grade is not None
        paths = {"branch": self._branch(unit, spec, variant, fitter)} if kind.branch is not None else {}
        truth = self.grading_truth(unit)
        deviation = grade(result, ref, self.plan.digits, fitter.cap, truth, **paths)
        below = any(d < self.plan.digits for d in (deviation.get("digits") or {}).values())
        if below or (unit.dataset.exact is not None and spec.step == "pvalues"):  # not on order: the same rule
            ceiling = self.ceiling(unit, index, spec, variant)
            if ceiling:
                deviation = grade(result, ref, self.plan.digits, fitter.cap, {**truth, "ceiling": ceiling}, **paths)
        deviation.pop("each", None)
        deviation["condition_number"] = self._conditions.get(unit.label)
        deviation["reference"] = {k: fitter.meta[k] for k in ("engine", "digits")}
        return deviation

    def _branch(self, unit: DataUnit, spec: Any, variant: str | None,
                fitter: ReferenceFitter) -> grading.Branch:
        """The truth's answer along the sets a platform's path took (grading.follow_ties asks it at an exact tie);
        None where the engine cannot answer (the platform's path is then graded against the truth's own)."""
        kind = steps.kind(spec.step)
        assert kind.branch is not None
        branch = kind.branch

        def along(sets: dict[int, list[str]]) -> dict[str, Any] | None:
            try:
                return branch(spec, variant, fitter, self.context(unit, "reference"), sets)
            except Exception:  # noqa: BLE001 - no branch: graded against the truth's own path
                return None

        return along

    def grading_truth(self, unit: DataUnit) -> dict[str, Any]:
        """What a grade knows beyond the reference's answer: the dataset's own (certified values, support) and the
        target's total sum of squares, the scale of every sum of squares (exact, known also for an exact fit)."""
        info = dict(unit.dataset.truth or {})
        fitter = self._fitter(unit)
        if unit.label not in self._tss and not isinstance(fitter, Exception):
            with contextlib.suppress(ArithmeticError, AttributeError, KeyError, ValueError):  # none: from R²
                self._tss[unit.label] = fitter.tss()
        if self._tss.get(unit.label) is not None:
            info["tss"] = self._tss[unit.label]
        return info

    def ceiling(self, unit: DataUnit, index: int, spec: Any, variant: str | None) -> dict[str, float]:
        """"quantity|term" -> the digits the float64 input holds of that number: the lowest over the truth's
        answers on the float64 copies, each graded against the truth by the step's own grade. Empty when the
        truth is the float64 fallback or no copy could be answered. Computed once per cell."""
        key = (unit.label, index, variant)
        if key not in self._ceilings:
            started = time.perf_counter()
            self._ceilings[key] = self._ceiling(unit, index, spec, variant)
            self._ceiling_seconds[unit.label] = (self._ceiling_seconds.get(unit.label, 0.0)
                                                 + time.perf_counter() - started)
        return self._ceilings[key]

    def _ceiling(self, unit: DataUnit, index: int, spec: Any, variant: str | None) -> dict[str, float]:
        ref, fitter = self.reference(unit, index, spec, variant), self._fitter(unit)
        if isinstance(ref, Exception) or isinstance(fitter, Exception):
            return {}
        if not hasattr(fitter, "float64_copies"):  # the GLM truth: its input is the doubles themselves
            return {}
        if unit.label not in self._copies:
            self._copies[unit.label] = fitter.float64_copies()
        grade = steps.kind(spec.step).grade
        assert grade is not None
        truth = self.grading_truth(unit)
        ceiling: dict[str, float] = {}
        for copy in self._copies[unit.label]:
            try:
                answer = steps.compute(spec, variant, copy, self.context(unit, "reference"))
                each = grade(answer, ref, self.plan.digits, fitter.cap, truth).get("each") or {}
            except Exception:  # noqa: BLE001 - a copy the step cannot answer bounds nothing
                continue
            for item, digits in each.items():
                ceiling[item] = min(ceiling.get(item, fitter.cap), float(digits))
        return ceiling

    def stored(self) -> dict[str, Any]:
        """Per dataset: how the truth was computed (engine, its digits, what data), how many digits the float64
        rounding of exact source data leaves, the truth against certified values, and its answer per statistics
        cell ("pvalues", "subset/best"). Stored in run.json."""
        out: dict[str, Any] = {}
        for unit in self.plan.units:
            fitter = self._fitters.get(unit.label)
            if fitter is None:
                continue
            entry: dict[str, Any] = (
                {"error": self._describe(fitter)} if isinstance(fitter, Exception) else dict(fitter.meta))
            answers: dict[str, Any] = {}
            for (label, index, variant), ref in self._references.items():
                if label == unit.label:
                    answers[steps.label(self.plan.step_specs[index].step, variant)] = (
                        ref if not isinstance(ref, Exception) else {"error": self._describe(ref)})
            if not isinstance(fitter, Exception) and unit.dataset.exact is not None:
                entry["float64_input_digits"] = fitter.float64_input_digits()
                self._pvalues_ceiling(unit)
            ceilings = {steps.label(self.plan.step_specs[index].step, variant):
                        {item: round(digits, 2) for item, digits in ceiling.items()}
                        for (label, index, variant), ceiling in self._ceilings.items()
                        if label == unit.label and ceiling}
            if ceilings:
                entry["ceiling"] = ceilings
                entry["ceiling_seconds"] = round(self._ceiling_seconds.get(unit.label, 0.0), 3)
            certified = (unit.dataset.truth or {}).get("certified")
            if certified and isinstance(answers.get("pvalues"), dict) and "coefficients" in answers["pvalues"]:
                entry["vs_certified"] = grading.grade_certified(answers["pvalues"], certified,
                                                                tss=self.grading_truth(unit).get("tss"))
            entry["answers"] = answers
            out[unit.label] = entry
        return out

    def _pvalues_ceiling(self, unit: DataUnit) -> None:
        """The pvalues cell's ceiling, also where no grade needed it: the accuracy table shows it per dataset."""
        for (label, index, variant), ref in list(self._references.items()):
            if label == unit.label and self.plan.step_specs[index].step == "pvalues" and not isinstance(
                    ref, Exception):
                self.ceiling(unit, index, self.plan.step_specs[index], variant)

    def versus_r(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each platform's statistics answer graded against R's answer to the same cell in these records (where
        the R adapter ran), with the run's pass line: computed once, stored in run.json, read by every report.
        A comparison with R, said as one ("R drops ..."): R's answer is not the truth."""
        last: dict[tuple[Any, ...], dict[str, Any]] = {}
        for record in records:
            if (record.get("step") and steps.is_statistics(record["step"]) and record.get("status") == "ok"
                    and record.get("result") and not record.get("is_warmup")):
                last[(record["dataset"], record["adapter"], record["step"], record.get("variant"))] = \
                    restore_nonfinite(record["result"])  # R's NaN VIF is a NaN again, not the text "NaN"
        out = []
        for (dataset, adapter, step, variant), result in last.items():
            r_result = last.get((dataset, R_ADAPTER, step, variant))
            if adapter == R_ADAPTER or r_result is None:
                continue
            grade = steps.kind(step).grade
            assert grade is not None
            unit = next((u for u in self.plan.units if u.label == dataset), None)
            scales = {"tss": self._tss[dataset]} if unit is not None and self.grading_truth(unit).get("tss") else None
            try:
                verdict = grade(result, r_result, self.plan.digits, grading.CAP, scales, against="R")
            except (KeyError, TypeError, ValueError) as exc:
                verdict = {"agrees": False, "grade": f"not comparable: {exc}", "min_digits": None}
            out.append({"dataset": dataset, "adapter": adapter, "step": step, "variant": variant,
                        "agrees": verdict["agrees"], "grade": verdict["grade"], "min_digits": verdict["min_digits"]})
        return out
