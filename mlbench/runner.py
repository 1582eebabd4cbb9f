"""The runner: plan = adapter x data unit x step x repeat; it measures every phase and never aborts the run.

For each adapter the `session` (start or connect to the platform) is timed once per run - JVMs start once, not
per cell. Then, per data unit (the statistics dataset, or one training size), `load` (the platform reads the
run's file itself) is timed, and every step variant runs `warmup + repeats` times: statistics steps as one
timed `fit` phase, training as a timed `fit` then a timed `predict`. A capability gate records `unsupported`
cells without calling the adapter; an exception in one cell is recorded as that cell's `error` and the run
goes on; a failed session or load marks the affected cells and moves on.

A platform that dies (its JVM or worker killed, its cluster lost) is noticed before each cell (the adapter's
`liveness`) and, in a worker, while a cell runs; the next cell starts a fresh session (a `session` record with
`restart` = its count), and the cell that was running is retried once on it (`attempt` 2 on its records;
reports time retries apart from first attempts). A platform that dies twice in a row on one cell is not
restarted for that cell again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import platform
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from mlbench import environment, grading, stats, steps
from mlbench.adapter import Adapter, Support, TrainSpec
from mlbench.errors import PlatformDied, PlatformError, SkippedCell, UnsupportedStep
from mlbench.handle import EarlySession, PlatformHandle, new_handle, platform_death, with_ran
from mlbench.lifecycle import Lifecycle
from mlbench.lifecycle import one_line as _one_line
from mlbench.measure import Measurement, measure
from mlbench.plan import DataUnit, Progress, ProgressState, RunPlan
from mlbench.registry import get as get_adapter
from mlbench.results import ResultRecord, RunStore, append_log, finished_cells
from mlbench.sanitize import redact
from mlbench.stats import metrics, procedures
from mlbench.truth import Truth
from mlbench.worker import CellTimeout

FAILED = ("error", "timeout")
# Whose fault a failed record is (its `fault`), which decides the exit code (api.RunOutcome.exit_code):
# "platform": the platform's own call failed, died or passed the deadline: a measurement of it (exit 0);
# "environment": the platform could not be started or reached (Java, ports, a cluster's URL): exit 1;
# "mlbench": mlbench's own code failed (a bug; traceback in errors.log): exit 1.
FAULTS = ("platform", "environment", "mlbench")
DETAIL_EVERY_S = 0.5  # the in-cell progress (a search's fits) is passed on at most this often


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)[:80]


class Runner:
    def __init__(self, plan: RunPlan, store: RunStore, progress: Progress | None = None,
                 earlier: list[dict[str, Any]] | None = None, early: EarlySession | None = None) -> None:
        self.plan, self.store = plan, store
        self.early = early  # the first platform's session, begun while the run was being prepared
        earlier = earlier or []  # the records of the interrupted run this one resumes
        self.done = finished_cells(earlier)  # cells it finished
        self.sessions_before: dict[tuple[str, int | None], int] = {}  # per (adapter, cores), the sessions it started
        for record in earlier:
            if record.get("phase") == "session":
                started = (record["adapter"], record.get("cores"))
                self.sessions_before[started] = self.sessions_before.get(started, 0) + 1
        self.core_counts = plan.core_counts or [plan.options.cores]
        self._cores: int | None = self.core_counts[0]  # the running session's core count (None: fixed by a cluster)
        self._cores_fixed: str | None = None  # why this adapter's core count is not the run's to set
        self._progress = progress or (lambda _state: None)
        self._state = ProgressState("", 0, 0)
        self._detail_at = 0.0
        self.cells_total = (sum(len(u.cells) for u in plan.units) * len(plan.adapters) * (plan.warmup + plan.repeats)
                            * len(self.core_counts))
        self.cells_done = 0
        self.records: list[ResultRecord] = []
        self._truth = Truth(plan, _one_line)
        self._java = environment.java_version()
        self._death: str | None = None  # how the platform died during the current cell, if it did
        self.session_death: str | None = None  # how the platform died while its session started, if it did

    def progress(self, message: str) -> None:
        state = self._state
        state.message, state.done, state.total, state.detail = message, self.cells_done, self.cells_total, ""
        self._progress(state)

    def _cell_detail(self, text: str) -> None:
        """How far the running cell is, from inside its procedure: passed on at most every DETAIL_EVERY_S (it
        runs inside the timed phase, so it must cost next to nothing)."""
        now = time.monotonic()
        if now - self._detail_at >= DETAIL_EVERY_S:
            self._detail_at = now
            self._state.detail = text
            self._progress(self._state)

    # ----- records ----------------------------------------------------------------------------------

    def _record(self, cls: type[Adapter], unit: DataUnit, *, phase: str, status: str, step: str | None = None,
                variant: str | None = None, params: dict[str, Any] | None = None, support: str = "native",
                repeat: int = 0, is_warmup: bool = False, m: Measurement | None = None,
                result: dict[str, Any] | None = None, deviation: dict[str, Any] | None = None,
                error: str | None = None, attempt: int = 1, restart: int = 0, fault: str | None = None,
                base_mb: float | None = None) -> None:
        record = ResultRecord(
            run_id=self.store.run_dir.name, scenario=self.plan.scenario.name, dataset=unit.dataset.name,
            dataset_sha256=unit.dataset.sha256, n_rows=len(unit.design.frame), n_cols=len(unit.design.features),
            rows_dropped=unit.design.n_dropped,
            seed=self.plan.seed, adapter=cls.name, adapter_version=cls.adapter_version,
            platform_version=cls.platform_version(), step=step, variant=variant, params=params or {},
            support=support, phase=phase, repeat=repeat, is_warmup=is_warmup, status=status,
            wall_s=m.wall_s if m else None, cpu_s=m.cpu_s if m else None,
            peak_rss_mb=m.peak_rss_mb if m else None, result=result, deviation=deviation, error=error,
            host=platform.node(), python=sys.version.split()[0], java=self._java, attempt=attempt, restart=restart,
            fault=fault if status in FAILED else None, cores=self._cores, base_rss_mb=base_mb,
            data_mb=m.end_rss_mb - base_mb if m and base_mb is not None and status == "ok" else None,
        )
        if phase == "session" and self._cores_fixed:
            record.result = {**(record.result or {}), "cores_fixed": self._cores_fixed}
        self.store.append(record)
        self.records.append(record)

    # ----- the truth reference (mlbench/truth.py) ------------------------------------------------------

    def truth(self) -> dict[str, Any]:
        """Per dataset, how the truth was computed and its answer per statistics cell: stored in run.json."""
        return self._truth.stored()

    def versus_r(self, earlier: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Each platform's statistics answer graded against R's in this run (`earlier`: the records of the
        interrupted run a resumed one continues). Stored in run.json."""
        return self._truth.versus_r([*(earlier or []), *(r.to_json() for r in self.records)])

    # ----- the plan -------------------------------------------------------------------------------------

    def execute(self) -> list[ResultRecord]:
        """The whole plan: the truth reference of every statistics cell first, then each adapter in turn. The
        harness's own first-use imports happen here, before any measured phase (beside the early session only),
        where a measured phase may need them."""
        if self._may_need_deferred_imports():
            stats.import_deferred()
        for unit in self.plan.units:
            stats_cells = [c for c in unit.cells if steps.is_statistics(c[1].step)]
            if stats_cells:
                self._truth.measure_condition(unit)
                self.progress(f"computing the truth reference for {unit.label}")
            for index, spec, variant in stats_cells:  # every reference, so reports show it even if all skip
                self._truth.reference(unit, index, spec, variant)
        for name in self.plan.adapters:
            self._sweep(get_adapter(name))
        return self.records

    def _may_need_deferred_imports(self) -> bool:
        """Whether a measured phase of this process may compute with stats.DEFERRED_IMPORTS (scipy.stats: the t
        and F tails, an emulated fit's inference, the GLMs', the metrics'), which must then be imported before any
        (issue 27). Every plan may, except one of OLS p-value eliminations alone on platforms in worker processes
        that compute them natively, with no factor's F-test (drop1's, computed here from the platform's fits):
        there this process only passes the platform's fits on (the truth is exact arithmetic, outside any timed
        phase), and the import would cost ~0.5 s of the run's critical path (a statsmodels run of the main job)."""
        if self.plan.isolation != "process":
            return True
        for unit in self.plan.units:
            for _, spec, variant in unit.cells:
                if spec.step != "pvalues" or getattr(spec, "family", "gaussian") != "gaussian":
                    return True
                groups = procedures.term_groups(unit.design.terms, unit.design.features, spec.by)
                if any(len(columns) > 1 for columns in groups.values()):
                    return True
                if any(steps.cell_capability(get_adapter(name), spec, variant).support is Support.EMULATED
                       for name in self.plan.adapters):
                    return True
        return False

    def _sweep(self, cls: type[Adapter]) -> None:
        """The adapter's cells once per core count, each count in a session of its own (a JVM takes its thread
        count at start: H2O's nthreads, Spark's local[N]); the session options and every record carry the count.
        Where a cluster joined by URL fixes the cores (`Adapter.fixed_cores`), the cells run once, their records'
        `cores` None and the session's result saying why."""
        base = self.plan.options
        fixed = cls.fixed_cores(base)  # its records say no count, sweep or not: the count was not the run's
        counts: list[int | None] = [None] if fixed else list(self.core_counts)
        try:
            for count in counts:
                self._cores, self._cores_fixed = count, fixed
                self.plan.options = dataclasses.replace(base, cores=count if count is not None else base.cores)
                if len(counts) > 1:
                    self.progress(f"{cls.name}: {count} core{'s' * (count != 1)}")
                self._run_adapter(cls)
            if fixed:  # the counts it did not run, counted as done for the progress
                self.cells_done += sum(len(u.cells) for u in self.plan.units) * (
                    self.plan.warmup + self.plan.repeats) * (len(self.core_counts) - 1)
        finally:
            self.plan.options, self._cores, self._cores_fixed = base, self.core_counts[0], None

    def _params(self, spec: Any, variant: str | None, how: str) -> dict[str, Any]:
        step = steps.kind(spec.step)
        params = spec.model_dump(exclude={"step", "methods", "models"})
        if variant is not None and step.variant_key:
            params[step.variant_key] = variant
        params["how"] = how
        return params

    def _mark(self, cls: type[Adapter], units: list[DataUnit], status: str, reason: str,
              fault: str | None = None) -> None:
        for unit in units:
            self.cells_done += len(unit.cells) * (self.plan.warmup + self.plan.repeats)
            for _, spec, variant in unit.cells:
                cap = steps.cell_capability(cls, spec, variant)
                support = cap.support.value if status != "unsupported" else "unsupported"
                self._record(cls, unit, phase="fit", status=status, step=spec.step, variant=variant,
                             params=self._params(spec, variant, cap.how), support=support,
                             error=reason or cap.reason, fault=fault)

    def _timed(self, cls: type[Adapter], adapter: PlatformHandle, unit: DataUnit, phase: str,
               action: Callable[[], None], restart: int = 0, after: str | None = None,
               base_mb: float | None = None) -> tuple[str | None, str]:
        """Time a per-adapter phase; its record carries what the adapter says it connected to or read (and, for
        a restarted session, what the platform died of; for a load, its data footprint above `base_mb`). (The
        error, or None when the phase succeeded; its fault: a session that cannot start is the environment's, a
        load its platform's reader's, see FAULTS.)"""
        fault = "environment"
        with measure(adapter.pid) as m:
            try:
                action()
                error = None
            except Exception as exc:  # noqa: BLE001 - one platform failing never loses the others
                error = _one_line(exc)
                if phase == "session" and isinstance(exc, PlatformDied):
                    self.session_death = str(exc)
                if phase != "session":
                    fault = "platform" if isinstance(exc, PlatformError | PlatformDied) else "mlbench"
                self._log_traceback(cls.name, phase)
        try:
            described = adapter.describe() if error is None else None
        except Exception as exc:  # noqa: BLE001 - provenance is best effort
            described = {"describe_error": _one_line(exc)}
        if after:
            described = {**(described or {}), "restarted_after": after}
        self._record(cls, unit, phase=phase, status="error" if error else "ok", m=m, error=error,
                     result=redact(described) or None, restart=restart, fault=fault, base_mb=base_mb)
        if error:
            self.progress(f"{cls.name}: {phase} failed: {error}")
        return error, fault

    def take_early_session(self, cls: type[Adapter]) -> EarlySession | None:
        """The session begun early, if it is this platform's (once)."""
        early = self.early if self.early is not None and self.early.name == cls.name else None
        if early is not None:
            self.early = None
        return early

    def _record_early_session(self, cls: type[Adapter], unit: DataUnit, early: EarlySession) -> str | None:
        """Record the session begun early: measured from its request to its answer, as `_timed` measures."""
        self.progress(f"{cls.name}: waiting for the session started early")
        m, exc = early.complete()
        error = None if exc is None else _one_line(exc)
        if isinstance(exc, PlatformDied):
            self.session_death = str(exc)
        if exc is not None:
            self._log_traceback(cls.name, "session", getattr(exc, "remote_traceback", ""))
        described: dict[str, Any] | None = None
        if error is None:
            try:
                described = {**early.handle.describe(), "started": "while the run was being prepared"}
            except Exception as describe_exc:  # noqa: BLE001 - provenance is best effort
                described = {"describe_error": _one_line(describe_exc)}
        self._record(cls, unit, phase="session", status="error" if error else "ok", m=m, error=error,
                     result=redact(described), fault="environment")
        if error:
            self.progress(f"{cls.name}: session failed: {error}")
        return error

    def _log_traceback(self, adapter: str, what: str, remote_traceback: str = "") -> None:
        append_log(self.store.run_dir / "errors.log",
                   f"--- {adapter} {what}\n{traceback.format_exc()}\n{remote_traceback}\n")

    def _new_handle(self, cls: type[Adapter]) -> PlatformHandle:
        return new_handle(cls, self.plan.isolation, self.plan.options.log_path)

    def _run_adapter(self, cls: type[Adapter]) -> None:
        units = self.plan.units
        if all(self._finished(cls, u, spec, v, r) for u in units for _, spec, v in u.cells
               for r in range(self.plan.warmup + self.plan.repeats)):
            self.cells_done += sum(len(u.cells) for u in units) * (self.plan.warmup + self.plan.repeats)
            return  # resumed run: nothing left for this adapter
        available = cls.availability()
        if not available.ok:
            self.progress(f"{cls.name}: unavailable: {available.reason}")
            self._mark(cls, units, "unsupported", available.reason)
            return
        cells = [(spec, v) for u in units for _, spec, v in u.cells]
        if all(steps.cell_capability(cls, spec, v).support is Support.UNSUPPORTED for spec, v in cells):
            self._mark(cls, units, "unsupported", "")  # nothing to do: don't start a JVM for it
            return
        life = Lifecycle(self, cls)
        try:
            for position, unit in enumerate(units):
                for number, (index, spec, variant) in enumerate(unit.cells):
                    needed = steps.cell_capability(cls, spec, variant).support is not Support.UNSUPPORTED
                    if needed and not life.ready(unit):
                        if life.session_error:
                            rest = [dataclasses.replace(unit, cells=unit.cells[number:]), *units[position + 1:]]
                            self._mark(cls, rest, "error", f"no session: {life.session_error}", "environment")
                            return
                        rest = [dataclasses.replace(unit, cells=unit.cells[number:])]
                        self._mark(cls, rest, "error", "load failed; see the load record", life.fault)
                        break
                    self._run_cell(cls, life, unit, index, spec, variant)
        except KeyboardInterrupt:
            life.kill()  # Ctrl-C: stop the platform now, not after its current call
            raise
        finally:
            life.close()

    def _finished(self, cls: type[Adapter], unit: DataUnit, spec: Any, variant: str | None, repeat: int) -> bool:
        key = (cls.name, unit.dataset.name, spec.step, variant)
        return any(k in self.done for cores in dict.fromkeys([self._cores, None])  # None: a record older than cores
                   for k in ((*key, repeat, cores), (*key, "*", cores)))

    def _run_cell(self, cls: type[Adapter], life: Lifecycle, unit: DataUnit, index: int, spec: Any,
                  variant: str | None) -> None:
        cap = steps.cell_capability(cls, spec, variant)
        common: dict[str, Any] = {"step": spec.step, "variant": variant,
                                  "params": self._params(spec, variant, cap.how)}
        if cap.support is Support.UNSUPPORTED:
            self._record(cls, unit, phase="fit", status="unsupported", support="unsupported", error=cap.reason,
                         **common)
            self.cells_done += self.plan.warmup + self.plan.repeats
            return
        total = self.plan.warmup + self.plan.repeats
        for repeat in range(total):
            if not self._finished(cls, unit, spec, variant, repeat):
                self._state.cell_started = time.monotonic()
                try:
                    self._run_repeat(cls, life, unit, index, spec, variant, repeat, common)
                finally:
                    self._state.cell_started = None
            self.cells_done += 1
        self.progress(f"{cls.name}: {steps.label(spec.step, variant)} on {unit.label} done")

    def _run_repeat(self, cls: type[Adapter], life: Lifecycle, unit: DataUnit, index: int, spec: Any,
                    variant: str | None, repeat: int, common: dict[str, Any]) -> None:
        """One repeat of a cell, retried on a fresh session when its platform died while it ran."""
        cap = steps.cell_capability(cls, spec, variant)
        total = self.plan.warmup + self.plan.repeats
        is_warmup = repeat < self.plan.warmup
        label = f"{cls.name}: {steps.label(spec.step, variant)} on {unit.label} {repeat + 1}/{total}"
        self.progress(label + (" (warm-up)" if is_warmup else ""))
        common.update(repeat=repeat, is_warmup=is_warmup)
        for attempt in range(1, self.plan.retries + 2):
            common["attempt"] = attempt
            if attempt > 1:
                self.progress(f"{label}: retrying on a fresh session (the platform died: {self._death})")
            if not life.ready(unit):
                why = life.session_error or "could not restart the platform after a failed cell"
                self._record(cls, unit, phase="fit", status="error", support=cap.support.value,
                             error=f"no session: {why}", fault=life.fault, **common)
                break
            self._death = None
            self._run_once(cls, life.handle(), unit, index, spec, variant, cap.support.value, common)
            if self._death is None:
                break
            life.died(self._death)
            if attempt > 1:  # twice in a row on this cell: the next cell restarts it, this one is not retried
                self.progress(f"{cls.name}: died again on {steps.label(spec.step, variant)}; not retried again")
                break

    def _run_once(self, cls: type[Adapter], handle: PlatformHandle, unit: DataUnit, index: int, spec: Any,
                  variant: str | None, support: str, common: dict[str, Any]) -> None:
        """One attempt at one repeat of a cell: its phases, each measured and recorded."""
        step = steps.kind(spec.step)
        if step.trains:
            trained = self._train_once(cls, handle, unit, spec, variant, support, common)
            if trained is not None and step.deploys:
                self._deploy_once(cls, handle, unit, spec, variant, trained, common)
            if trained is not None:
                with contextlib.suppress(Exception):
                    handle.release(trained[0])
        else:
            self._stats_once(cls, handle, unit, index, spec, variant, support, common)

    def _attempt(self, cls: type[Adapter], adapter: PlatformHandle, what: str,
                 action: Callable[[], Any]) -> tuple[Any, Measurement, str, str | None, str | None]:
        """Run and measure one phase under the cell deadline: (value, measurement, status, error, fault). The
        fault of a failure says whose it is (FAULTS): the platform's own call failing, dying or running past the
        deadline is what the cell measured; anything else raised here is mlbench's."""
        value, status, error, fault = None, "ok", None, None
        adapter.deadline = time.monotonic() + self.plan.timeout if self.plan.timeout else None
        with measure(adapter.pid) as m:
            try:
                value = action()
            except UnsupportedStep as exc:
                status, error = "unsupported", str(exc)
            except SkippedCell as exc:
                status, error = "skipped", str(exc)
            except CellTimeout as exc:
                status, error, fault = "timeout", f"over the {self.plan.timeout:g} s timeout: {exc}", "platform"
            except PlatformDied as exc:
                status, error, fault = "error", _one_line(exc), "platform"
                self._death = str(exc)
            except Exception as exc:  # noqa: BLE001 - recorded on the cell; the run goes on
                status, error = "error", _one_line(exc)
                fault = "platform" if isinstance(exc, PlatformError) else "mlbench"
                self._log_traceback(cls.name, what, getattr(exc, "remote_traceback", ""))
                cause = platform_death(adapter)  # in this process nothing watched the platform while the call ran
                if cause:
                    status, error, fault, self._death = "error", f"platform died: {cause}", "platform", cause
            finally:
                adapter.deadline = None
        return value, m, status, error, fault

    def _stats_once(self, cls: type[Adapter], adapter: PlatformHandle, unit: DataUnit, index: int, spec: Any,
                    variant: str | None, support: str, common: dict[str, Any]) -> None:
        result, m, status, error, fault = self._attempt(
            cls, adapter, steps.label(spec.step, variant),
            lambda: steps.compute(spec, variant, adapter, self._truth.context(unit, support, self._cell_detail),
                                  steps.capability(cls, spec.step, variant)))
        deviation = self._truth.grade(unit, index, spec, variant, result) if result is not None else None
        result = with_ran(result, cls, adapter)
        self._record(cls, unit, phase="fit", status=status, m=m, result=result, deviation=deviation, error=error,
                     fault=fault, support="unsupported" if status == "unsupported" else support, **common)

    def _train_spec(self, unit: DataUnit, spec: Any, variant: str) -> TrainSpec:
        assert unit.source.task is not None
        return TrainSpec(family=variant, task=unit.source.task, trees=spec.trees, max_depth=spec.max_depth,
                         learning_rate=spec.learning_rate, seed=self.plan.seed, cores=self.plan.options.cores)

    def _train_once(self, cls: type[Adapter], adapter: PlatformHandle, unit: DataUnit, spec: Any, variant: str | None,
                    support: str, common: dict[str, Any]) -> tuple[Any, np.ndarray] | None:
        """Fit and predict, each a timed phase; (model, test predictions) when both succeeded."""
        assert variant is not None and unit.test_y is not None
        train_spec = self._train_spec(unit, spec, variant)
        model, m, status, error, fault = self._attempt(cls, adapter, f"train/{variant} fit",
                                                       lambda: adapter.fit(train_spec))
        support = "unsupported" if status == "unsupported" else support
        self._record(cls, unit, phase="fit", status=status, m=m, error=error, fault=fault, support=support,
                     result=with_ran({"model": variant, "task": train_spec.task} if status == "ok" else None,
                                      cls, adapter), **common)
        if status != "ok":
            return None
        prediction, m, status, error, fault = self._attempt(cls, adapter, f"train/{variant} predict",
                                                            lambda: adapter.predict(model))
        result = deviation = None
        if status == "ok":
            prediction = np.asarray(prediction, dtype=float).ravel()
            if prediction.shape != unit.test_y.shape:
                status, error, fault = "error", f"{len(prediction)} predictions for {len(unit.test_y)} test rows", \
                    "platform"
            else:
                result = {"model": variant, "task": train_spec.task,
                          "metrics": metrics.score(train_spec.task, unit.test_y, prediction),
                          "n_train": len(unit.design.frame), "n_test": len(unit.test_y)}
                deviation = grading.grade_predictions(train_spec.task, prediction)
        result = with_ran(result, cls, adapter)
        self._record(cls, unit, phase="predict", status=status, m=m, result=result, deviation=deviation,
                     error=error, fault=fault, support=support, **common)
        return (model, prediction) if result is not None else None

    def _deploy_once(self, cls: type[Adapter], adapter: PlatformHandle, unit: DataUnit, spec: Any, variant: str | None,
                     trained: tuple[Any, np.ndarray], common: dict[str, Any]) -> None:
        """Export every format, score each artifact in a fresh process, retrain once elsewhere, score it all."""
        from mlbench.deploy import evaluate, failures
        from mlbench.deploy.score import load_config

        assert variant is not None and unit.test_x_path is not None
        model, prediction = trained
        directory = self.store.run_dir / "artifacts" / cls.name / _slug(unit.label) / variant
        directory.mkdir(parents=True, exist_ok=True)
        exported, m, status, error, fault = self._attempt(cls, adapter, f"deploy/{variant} export",
                                                          lambda: adapter.export(model, directory))
        listing = None
        if status == "ok":
            listing = {"artifacts": [dataclasses.asdict(a) for a in exported["artifacts"]],
                       "unavailable": exported.get("unavailable", {})}
        self._record(cls, unit, phase="export", status=status, m=m, result=listing, error=error, fault=fault,
                     **common)
        if status != "ok":
            return
        failures.log_tracebacks(self.store.run_dir / "errors.log", f"{cls.name} deploy/{variant} export",
                                exported.get("tracebacks", {}))
        formats: dict[str, Any] = {}
        with measure() as m:
            for art in exported["artifacts"]:
                self.progress(f"{cls.name}: scoring {art.kind} artifact of {variant} in a fresh process")
                formats[art.kind] = evaluate.score_artifact(
                    art, unit.test_x_path, prediction, unit.source.task or "", spec.latency_calls,
                    spec.warmup_calls, directory, spec.batch_rows, spec.batch_seconds)
            for kind, why in exported.get("unavailable", {}).items():
                formats[kind] = {"ok": False, "error": why, "unavailable": True}
            reproducibility = self._reproducibility(cls, unit, spec, variant, prediction) if spec.reproducibility \
                else None
        summary = evaluate.summarize(formats, reproducibility, load_config(self.plan.deploy_weights))
        if spec.http and summary.get("best_format"):
            best = next(a for a in exported["artifacts"] if a.kind == summary["best_format"])
            self.progress(f"{cls.name}: timing HTTP requests to mlbench serve ({best.kind})")
            formats[best.kind].update(evaluate.http_latency(best, unit.test_x_path, spec.latency_calls, directory))
        failed = [k for k, v in formats.items() if not v.get("ok") and not v.get("unavailable")]
        self._record(cls, unit, phase="reload", status="ok" if "score" in summary else "error", m=m,
                     result={"model": variant, **summary}, support="native", fault="platform",
                     error="; ".join(f"{k}: {formats[k].get('error')}" for k in failed) or None, **common)

    def _reproducibility(self, cls: type[Adapter], unit: DataUnit, spec: Any, variant: str,
                         first: np.ndarray) -> dict[str, Any]:
        """Train the same model with the same seed in a separate worker process; compare predictions."""
        self.progress(f"{cls.name}: retraining {variant} in a separate process (reproducibility)")
        other = self._new_handle(cls)
        try:
            other.start_session(self.plan.options)
            other.load(unit.source)
            second = np.asarray(other.predict(other.fit(self._train_spec(unit, spec, variant))), dtype=float)
        except Exception as exc:  # noqa: BLE001 - reported inside the deploy result
            return {"identical": None, "max_abs_diff": None, "error": _one_line(exc)}
        finally:
            other.close()
        diff = float(np.max(np.abs(second - first)))
        return {"identical": diff == 0.0, "max_abs_diff": diff}
