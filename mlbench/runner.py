"""The runner: plan = dataset x adapter x step x repeat; it measures every phase and never aborts the run.

For each adapter: `session` (start or connect to the platform) and `load` (the platform reads the run's data
file itself) are timed once; then every step variant runs `warmup + repeats` times, each a timed `fit` phase.
A capability gate records `unsupported` cells without calling the adapter; an exception in one cell is recorded
as that cell's `error` and the run goes on; a failed session marks that adapter's cells and moves on.
"""

from __future__ import annotations

import platform
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlbench import environment, grading, steps
from mlbench.adapter import Adapter, DataSource, SessionOptions, Support
from mlbench.datasets import Dataset
from mlbench.design import Design
from mlbench.errors import SkippedCell, UnsupportedStep
from mlbench.measure import Measurement, measure
from mlbench.reference import ReferenceFitter, condition_number
from mlbench.registry import get as get_adapter
from mlbench.results import ResultRecord, RunStore
from mlbench.scenario import Scenario

Progress = Callable[[str], None]


@dataclass
class RunPlan:
    scenario: Scenario
    dataset: Dataset
    design: Design
    source: DataSource
    adapters: list[str]
    repeats: int
    warmup: int
    seed: int
    tolerance: float
    options: SessionOptions
    step_specs: list[Any] = field(default_factory=list)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


class Runner:
    def __init__(self, plan: RunPlan, store: RunStore, progress: Progress | None = None) -> None:
        self.plan, self.store = plan, store
        self.progress = progress or (lambda _msg: None)
        self.records: list[ResultRecord] = []
        self._references: dict[tuple[int, str | None], dict[str, Any] | Exception] = {}
        self._java = environment.java_version()

    # ----- records ----------------------------------------------------------------------------------

    def _record(self, cls: type[Adapter], *, phase: str, status: str, step: str | None = None,
                variant: str | None = None, params: dict[str, Any] | None = None, support: str = "native",
                repeat: int = 0, is_warmup: bool = False, m: Measurement | None = None,
                result: dict[str, Any] | None = None, deviation: dict[str, Any] | None = None,
                error: str | None = None) -> None:
        plan = self.plan
        record = ResultRecord(
            run_id=self.store.run_dir.name, scenario=plan.scenario.name, dataset=plan.dataset.name,
            dataset_sha256=plan.dataset.sha256, n_rows=len(plan.design.frame), n_cols=len(plan.design.features),
            seed=plan.seed, adapter=cls.name, adapter_version=cls.adapter_version,
            platform_version=cls.platform_version(), step=step, variant=variant, params=params or {},
            support=support, phase=phase, repeat=repeat, is_warmup=is_warmup, status=status,
            wall_s=m.wall_s if m else None, cpu_s=m.cpu_s if m else None,
            peak_rss_mb=m.peak_rss_mb if m else None, result=result, deviation=deviation, error=error,
            host=platform.node(), python=sys.version.split()[0], java=self._java,
        )
        self.store.append(record)
        self.records.append(record)

    # ----- reference ----------------------------------------------------------------------------------

    def _reference(self, index: int, spec: Any, variant: str | None) -> dict[str, Any] | Exception:
        key = (index, variant)
        if key not in self._references:
            fitter = ReferenceFitter(self.plan.design.frame, self.plan.design.target)
            try:
                self._references[key] = steps.run(spec, variant, fitter, self._context("reference"))
            except Exception as exc:  # noqa: BLE001 - a reference failure is reported on the grade
                self._references[key] = exc
        return self._references[key]

    def _grade(self, index: int, spec: Any, variant: str | None, result: dict[str, Any]) -> dict[str, Any]:
        ref = self._reference(index, spec, variant)
        if isinstance(ref, Exception):
            return {"agrees": None, "grade": f"no reference: {_one_line(ref)}"}
        deviation = grading.grade(spec.step, result, ref, self.plan.tolerance, self.plan.dataset.truth)
        deviation["condition_number"] = self._condition
        return deviation

    def reference_results(self) -> dict[str, Any]:
        """The reference's answer per step cell ("pvalues", "subset/best"), stored in run.json for reports."""
        out: dict[str, Any] = {}
        for (index, variant), ref in self._references.items():
            spec = self.plan.step_specs[index]
            label = spec.step + (f"/{variant}" if variant else "")
            out[label] = ref if not isinstance(ref, Exception) else {"error": _one_line(ref)}
        return out

    # ----- the plan -------------------------------------------------------------------------------------

    def run(self) -> list[ResultRecord]:
        design = self.plan.design
        self._X, self._y = design.X, design.y
        self._condition = condition_number(self._X) if design.features else None
        self.progress("computing the exact reference answers")
        for index, spec, variant in self._cells():  # every cell's reference, so reports show it even if all skip
            self._reference(index, spec, variant)
        for name in self.plan.adapters:
            self._run_adapter(get_adapter(name))
        return self.records

    def _context(self, support: str) -> steps.StepContext:
        design = self.plan.design
        return steps.StepContext(features=design.features, X=self._X, y=self._y, support=support)

    def _cells(self) -> list[tuple[int, Any, str | None]]:
        return [(i, spec, v) for i, spec in enumerate(self.plan.step_specs) for v in steps.variants(spec)]

    def _params(self, spec: Any, variant: str | None, how: str) -> dict[str, Any]:
        params = spec.model_dump(exclude={"step", "methods"})
        if variant is not None:
            params["method"] = variant
        params["how"] = how
        return params

    def _mark_all(self, cls: type[Adapter], status: str, reason: str) -> None:
        for _, spec, variant in self._cells():
            cap = cls.capability(spec.step, variant)
            support = cap.support.value if status != "unsupported" else "unsupported"
            self._record(cls, phase="fit", status=status, step=spec.step, variant=variant,
                         params=self._params(spec, variant, cap.how), support=support, error=reason)

    def _timed(self, cls: type[Adapter], phase: str, action: Callable[[], None]) -> bool:
        with measure() as m:
            try:
                action()
                error = None
            except Exception as exc:  # noqa: BLE001 - one platform failing never loses the others
                error = _one_line(exc)
                self._log_traceback(cls.name, phase)
        self._record(cls, phase=phase, status="error" if error else "ok", m=m, error=error)
        if error:
            self.progress(f"{cls.name}: {phase} failed: {error}")
        return error is None

    def _log_traceback(self, adapter: str, phase: str) -> None:
        log = self.store.run_dir / "errors.log"
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {adapter} {phase}\n{traceback.format_exc()}\n")

    def _run_adapter(self, cls: type[Adapter]) -> None:
        available = cls.availability()
        if not available.ok:
            self.progress(f"{cls.name}: unavailable: {available.reason}")
            self._mark_all(cls, "unsupported", available.reason)
            return
        adapter = cls()
        try:
            self.progress(f"{cls.name}: starting session")
            if not self._timed(cls, "session", lambda: adapter.start_session(self.plan.options)):
                self._mark_all(cls, "error", "session failed; see the session record")
                return
            self.progress(f"{cls.name}: loading {self.plan.source.name}")
            if not self._timed(cls, "load", lambda: adapter.load(self.plan.source)):
                self._mark_all(cls, "error", "load failed; see the load record")
                return
            for index, spec, variant in self._cells():
                self._run_cell(adapter, index, spec, variant)
        finally:
            try:
                adapter.close()
            except Exception as exc:  # noqa: BLE001
                self.progress(f"{cls.name}: close failed: {_one_line(exc)}")

    def _run_cell(self, adapter: Adapter, index: int, spec: Any, variant: str | None) -> None:
        cls = type(adapter)
        cap = cls.capability(spec.step, variant)
        params = self._params(spec, variant, cap.how)
        common = {"step": spec.step, "variant": variant, "params": params}
        if cap.support is Support.UNSUPPORTED:
            self._record(cls, phase="fit", status="unsupported", support="unsupported", error=cap.reason, **common)
            return
        total = self.plan.warmup + self.plan.repeats
        for repeat in range(total):
            is_warmup = repeat < self.plan.warmup
            label = f"{cls.name}: {spec.step}{'/' + variant if variant else ''} {repeat + 1}/{total}"
            self.progress(label + (" (warm-up)" if is_warmup else ""))
            status, result, error, deviation = "ok", None, None, None
            with measure() as m:
                try:
                    result = steps.run(spec, variant, adapter, self._context(cap.support.value))
                except UnsupportedStep as exc:
                    status, error = "unsupported", str(exc)
                except SkippedCell as exc:
                    status, error = "skipped", str(exc)
                except Exception as exc:  # noqa: BLE001 - recorded on the cell; the run goes on
                    status, error = "error", _one_line(exc)
                    self._log_traceback(cls.name, f"{spec.step} {variant or ''}")
            if result is not None:
                deviation = self._grade(index, spec, variant, result)
            support = "unsupported" if status == "unsupported" else cap.support.value
            self._record(cls, phase="fit", status=status, support=support, repeat=repeat, is_warmup=is_warmup,
                         m=m, result=result, deviation=deviation, error=error, **common)
