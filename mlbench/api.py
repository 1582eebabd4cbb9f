"""The surface the CLI and tests use: run(), list_*(), report(). The CLI only parses and renders."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlbench import SCHEMA_VERSION, __version__, limits, steps
from mlbench.errors import MlbenchError, RunInterrupted
from mlbench.sanitize import redact


@dataclass
class RunRequest:
    scenario: str
    dataset: str | None = None
    data: Path | None = None
    target: str | None = None
    adapters: list[str] | None = None
    repeats: int | None = None
    warmup: int | None = None
    seed: int | None = None
    alpha: float | None = None
    digits: float | None = None  # pass line of the truth grade (correct digits); the scenario's by default
    intercept: bool | None = None  # False (--no-intercept): fits through the origin; None: the scenario's
    vif_threshold: float | None = None
    by: str | None = None  # factor terms: "term" (whole, drop1 / GVIF) or "column" (one dummy at a time)
    family: str | None = None  # the statistics steps' family (gaussian/binomial/poisson); None: scenario, data
    methods: list[str] | None = None
    max_fits: int | None = None
    sizes: list[int] | None = None
    shape: str | None = None  # the training ladder's data shape (mlbench.shapes): tall, wide, sparse; None: scenario's
    isolation: str = "process"
    timeout: float | None = None
    retries: int = 1  # retries of a cell whose platform died while it ran, each on a fresh session
    budget_memory: str | None = None  # the machine the cost curve compares against, e.g. "24G"
    weights: dict[str, float] | None = None  # deployability weight overrides
    settings: dict[str, dict[str, str]] | None = None  # --set step.param=value: {step: {param: value text}}
    out: Path = Path("results")
    cores: list[int] | int | None = None  # one count, or several: the training cells timed at each (a core sweep)
    memory: str = "4G"
    h2o_url: str | None = None
    spark_master: str | None = None


@dataclass
class RunOutcome:
    run_dir: Path
    manifest: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # what the run store had to say (a lock taken over, a repair)

    @property
    def exit_code(self) -> int:
        """0 when the run measured every cell: ok, unsupported, skipped, or a failure of the platform's own
        (its call failing, dying or passing the deadline is what the cell measured; the tables show it). 1 when
        mlbench or the environment failed a cell: a platform that could not be started or reached, or mlbench's
        own error (runner.FAULTS). A first attempt that a retry after a platform death superseded does not
        count: the retry's outcome does."""
        last: dict[tuple[Any, ...], dict[str, Any]] = {}
        for r in self.records:
            last[(r["adapter"], r["dataset"], r.get("step"), r.get("variant"), r.get("repeat"), r["phase"],
                  r.get("cores"))] = r
        return 1 if any(r["status"] in ("error", "timeout") and r.get("fault") != "platform"
                        for r in last.values()) else 0


def _override_steps(specs: list[Any], request: RunRequest) -> list[Any]:
    """The scenario's step specs with the command line's overrides (each step's `overrides` in the step table)."""
    from mlbench import steps

    result = []
    for spec in specs:
        fields = steps.kind(spec.step).overrides
        updates = {k: getattr(request, attr) for k, attr in fields.items() if getattr(request, attr) is not None}
        result.append(type(spec).model_validate({**spec.model_dump(), **updates}) if updates else spec)
    result = steps.apply_settings(result, request.settings) if request.settings else result
    from mlbench import family

    named = family.check(request.family)
    return [steps.with_family(s, named) for s in result] if named else result


def _family(request: RunRequest, spec: Any) -> str | None:
    """The run-level family: --family, else the scenario's; None: each dataset's, else decided from its target."""
    from mlbench import family

    return family.check(request.family) or spec.family


def _check_shape(design: Any, specs: list[Any]) -> None:
    """Statistics steps the data's shape cannot answer: each is skipped with its condition in a note (stderr,
    run.json, the tables); when none of them can run, a clear error instead of a run of skipped cells."""
    from mlbench import steps

    n, p = len(design.frame), len(design.features)
    by_step = {s.step: steps.shape_problem(s.step, n, p) for _, s, _ in specs}
    problems = [problem for problem in by_step.values() if problem]
    if by_step and all(by_step.values()):
        raise MlbenchError("; ".join(problems))
    design.notes.extend(f"skipped: {problem}" for problem in problems)


def _stats_datasets(request: RunRequest, spec: Any) -> tuple[list[str | None], list[dict[str, Any]]]:
    """The statistics steps' datasets: a user file, --dataset, the scenario's suite, or its one dataset; and the
    suite members that cannot run, each with the reason."""
    from mlbench import datasets

    if request.data is not None:
        return [None], []
    if request.dataset:
        return [request.dataset], []
    if spec.datasets:
        return datasets.expand_suite(spec.datasets)  # type: ignore[return-value]
    return [spec.dataset], []


def _run_intercept(request: RunRequest, spec: Any) -> bool:
    """The run's intercept setting: --no-intercept, else the scenario's `intercept`."""
    return spec.intercept if request.intercept is None else request.intercept


def _plan_units(request: RunRequest, spec: Any, step_specs: list[Any], seed: int, data_dir: Path) -> list[Any]:
    from mlbench import datasets, steps
    from mlbench import units as run_units

    cells = [(i, s, v) for i, s in enumerate(step_specs) for v in steps.variants(s)]
    stats = [c for c in cells if steps.is_statistics(c[1].step)]
    train = [c for c in cells if not steps.is_statistics(c[1].step)]
    units = []
    family = _family(request, spec)
    for name in _stats_datasets(request, spec)[0] if stats else []:
        dataset = datasets.resolve(name, request.data, request.target, seed)
        intercept = run_units.has_intercept(dataset, _run_intercept(request, spec))
        unit = run_units.unit(dataset, stats, data_dir, intercept=intercept, family=family)
        _check_shape(unit.design, stats)
        units.append(unit)
    if train and request.data is not None:
        dataset, test, task = run_units.user_split(datasets.resolve(None, request.data, request.target, seed), seed)
        units.append(run_units.unit(dataset, [c for c in train if c[1].task == task], data_dir, test, task))
    elif train:
        units += _shaped_units(request, spec, train, seed, data_dir)
    return units


def _shaped_units(request: RunRequest, spec: Any, train: list[Any], seed: int, data_dir: Path) -> list[Any]:
    """The training ladder in the run's shape (--shape, else the scenario's): per task one fixed test set and
    one unit per size of the shape's ladder, with its column count (mlbench.shapes)."""
    from mlbench import datasets, shapes
    from mlbench import units as run_units

    shape = shapes.check(request.shape or spec.shape)
    sizes = shapes.ladder(shape, request.sizes, [datasets.parse_size(str(s)) for s in spec.sizes], spec.shape)
    units = []
    for task in dict.fromkeys(c[1].task for c in train):
        task_cells = [c for c in train if c[1].task == task]
        p = shape.p(task_cells[0][1].features)
        shapes.check_sizes(shape, sizes, p)
        test = datasets.synthetic_task(task, min(spec.test_rows, shape.test_rows), p, seed + 1, shape.name)
        for size in sizes:
            units.append(run_units.unit(datasets.synthetic_task(task, size, p, seed, shape.name), task_cells,
                                        data_dir, test.frame, task, test_sparse=test.sparse))
    return units


def _request_from_manifest(run_dir: Path, manifest: dict[str, Any]) -> RunRequest:
    saved = manifest.get("request")
    if not saved:
        raise MlbenchError(f"{run_dir}/run.json has no saved request: it cannot be resumed")
    fields = {f.name for f in dataclasses.fields(RunRequest)}
    values = {k: v for k, v in saved.items() if k in fields}
    for key in ("data", "out"):
        if values.get(key) is not None:
            values[key] = Path(values[key])
    return RunRequest(**values)


def resume(run_dir: Path, progress: Any = None) -> RunOutcome:
    """Run only the cells whose records are missing (never reached, or lost from records.jsonl even in a run
    marked complete), appending to its records, as the run directory's only writer (results.RunLock)."""
    from mlbench import results

    if not (run_dir / "records.jsonl").is_file():
        results.read_run(run_dir)  # says in one line why this is no run directory
    lock = results.RunLock.acquire(run_dir)  # before reading: what is read is what no one else is writing
    try:
        stored = results.read_run(run_dir)
        request = _request_from_manifest(run_dir, stored.manifest)
        damaged = bool(stored.bad_lines or stored.missing)
        if stored.stored_status == "complete" and not damaged:
            raise MlbenchError(f"{run_dir} is complete: nothing to resume")
        notices = [f"took over the lock of a writer that is gone ({lock.taken_over})"] if lock.taken_over else []
        if damaged:
            notices.append(f"{run_dir} was {stored.status}: their cells run again"
                           + (" (the unreadable lines are kept in records.damaged)" if stored.bad_lines else ""))
        results.repair(run_dir, stored)
        outcome = run(request, progress, resume_dir=run_dir, previous=(stored.manifest, stored.records), lock=lock)
        outcome.notices[:0] = notices
        return outcome
    finally:
        lock.release()


def run(request: RunRequest, progress: Any = None, resume_dir: Path | None = None,
        previous: tuple[dict[str, Any], list[dict[str, Any]]] | None = None,
        lock: Any = None) -> RunOutcome:
    """Run a scenario: resolve it, build the shared designs, store every record, return them. (`resume_dir`,
    `previous`, `lock`: a resumed run's directory, what it holds, and the lock `resume` took on it.)

    In process isolation the workers' fork server (mlbench.launcher) starts first, so its imports overlap
    everything below."""
    from mlbench import launcher

    with launcher.running(request.isolation == "process"):
        return _run(request, progress, resume_dir, previous, lock)


def _run(request: RunRequest, progress: Any, resume_dir: Path | None,
         previous: tuple[dict[str, Any], list[dict[str, Any]]] | None, lock: Any) -> RunOutcome:
    from mlbench import registry, results, scenario
    from mlbench.adapter import SessionOptions

    if request.isolation not in ("process", "inline"):
        raise MlbenchError(f"--isolation must be process or inline, not {request.isolation!r}")
    if request.timeout is not None and request.isolation != "process":
        raise MlbenchError("--timeout needs --isolation process (a hung call can only be stopped in a worker)")
    spec = scenario.load(request.scenario)
    named = request.adapters or spec.adapters
    adapters = named or registry.names()
    for name in adapters:
        registry.get(name)  # unknown or broken adapter: a usage error before anything runs
    seed = limits.check_seed(spec.seed if request.seed is None else request.seed)
    step_specs = _override_steps(list(spec.steps), request)
    if resume_dir is None:
        run_id = results.new_run_id(spec.name)
        store = results.RunStore(request.out.resolve() / run_id)  # absolute: platforms may change directory
    else:
        run_id = resume_dir.name
        store = results.RunStore(resume_dir.resolve(), resume=True, lock=lock)
    core_counts = _core_counts(request, step_specs)
    options = SessionOptions(  # the first core count's: the early session is the first the runner takes
        run_dir=store.run_dir, seed=seed, cores=core_counts[0], memory=request.memory,
        log_path=store.run_dir / "platform.log", h2o_url=request.h2o_url, spark_master=request.spark_master,
        cores_given=request.cores is not None,
    )
    early = _early_session(request, adapters, step_specs, options) if resume_dir is None else None
    from mlbench import environment  # below the early session: the platform starts before these imports

    environment.ask_java_version()  # a JVM's start, waited for in the run's environment below, meanwhile
    try:
        with tempfile.TemporaryDirectory() as staging:
            units = _plan_units(request, spec, step_specs, seed, Path(staging))
            if previous is not None:
                _check_same_data(units, previous[0])
            data_dir = store.run_dir / "data"
            results.copy_data(Path(staging), data_dir)
    except BaseException:  # bad input (or Ctrl-C) while preparing: no run happened, leave nothing behind
        _abandon(early, store, resume_dir)
        raise
    from mlbench.plan import RunPlan
    from mlbench.runner import Runner

    if not named:
        adapters = _with_work(adapters, units)
    for unit in units:
        unit.source = _relocate(unit.source, Path(staging), data_dir)
        if unit.test_x_path is not None:
            unit.test_x_path = data_dir / unit.test_x_path.relative_to(staging)
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "mlbench_version": __version__,
        "run_id": run_id,
        "status": "running",
        "started_utc": results.utc_now(),
        "request": redact({k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(request).items()}),
        "scenario": spec.model_dump(),
        "steps": [s.model_dump() for s in step_specs],
        "adapters": adapters,
        "repeats": request.repeats or spec.repeats,
        "warmup": spec.warmup if request.warmup is None else request.warmup,
        "seed": seed,
        "digits": spec.digits if request.digits is None else request.digits,
        "intercept": _run_intercept(request, spec),
        "family": _family(request, spec) or "from the data",
        "datasets_not_run": _stats_datasets(request, spec)[1],
        "isolation": request.isolation,
        "timeout_s": request.timeout,
        "retries": request.retries,
        "cores": core_counts,
        "budget_memory_mb": memory_mb(request.budget_memory) if request.budget_memory else None,
        "deploy_weights_overridden": request.weights or {},
        "dataset": _describe_unit(units[0]),
        "datasets": [_describe_unit(u) for u in units],
        "environment": environment.collect(),
    }
    if previous is not None:
        manifest["started_utc"] = previous[0].get("started_utc", manifest["started_utc"])
        manifest["resumed_utc"] = [*previous[0].get("resumed_utc", []), results.utc_now()]
    try:
        store.write_manifest(manifest)
    except MlbenchError:  # nothing ran: a new run leaves nothing behind, a resumed one its run.json as it was
        _abandon(early, store, resume_dir)
        raise
    plan = RunPlan(
        scenario=spec, units=units, adapters=adapters, repeats=manifest["repeats"], warmup=manifest["warmup"],
        seed=seed, digits=manifest["digits"], options=options, step_specs=step_specs,
        isolation=request.isolation, timeout=request.timeout, deploy_weights=request.weights or {},
        retries=request.retries, core_counts=core_counts,
    )
    runner = Runner(plan, store, progress, earlier=previous[1] if previous else None, early=early)
    try:
        runner.execute()
        manifest["status"] = "complete"
    except KeyboardInterrupt:
        manifest["status"] = "interrupted"
        raise RunInterrupted(store.run_dir) from None
    except BaseException as exc:
        manifest["status"], manifest["error"] = "failed", str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise
    finally:
        manifest["finished_utc"] = results.utc_now()
        manifest["counts"] = _counts([*(previous[1] if previous else []), *(r.to_json() for r in runner.records)])
        manifest["truth"] = runner.truth()
        manifest["vs_r"] = runner.versus_r(previous[1] if previous else None)
        try:
            store.write_manifest(manifest)
        except MlbenchError:  # a full disk: run.json keeps `running`, which reads as `interrupted` once the lock
            if manifest["status"] == "complete":  # is let go; the error already in flight is the one to say
                raise
        finally:
            store.close()
    earlier = results.clean_json(previous[1]) if previous else []  # a resumed run's outcome is the whole run's
    return RunOutcome(store.run_dir, manifest, [*earlier, *(r.to_json() for r in runner.records)])


def _core_counts(request: RunRequest, step_specs: list[Any]) -> list[int]:
    """The run's core counts, ascending: --cores (one count or a list), else every core of the machine. Several
    counts sweep the training steps (each count a session of its own, runner.Runner.execute); a statistics step
    takes one count, so a list with one is a usage error rather than a silent repeat of exact answers."""
    given = request.cores
    # Spark alone on a standalone master: the counts are executors on the cluster, not this machine's cores
    cluster_only = list(request.adapters or []) == ["spark"] and (request.spark_master or "").startswith("spark://")
    counts = limits.check_cores([given] if isinstance(given, int) else list(given),
                                machine=limits.MAX_EXECUTORS if cluster_only else None) if given is not None \
        else [os.cpu_count() or 1]
    if len(counts) > 1:
        stats = sorted({s.step for s in step_specs if steps.is_statistics(s.step)})
        if stats:
            raise MlbenchError(f"--cores {','.join(map(str, counts))}: a core sweep times the training steps; "
                               f"this run also has {', '.join(stats)} (give one core count)")
    return counts


def _early_session(request: RunRequest, adapters: list[str], step_specs: list[Any], options: Any) -> Any:
    """Begin the first platform's session in its worker now, so it runs while this process loads and checks the
    data, writes it and computes the truth reference (the harness's own work); None where the runner would not
    start that platform at all (unavailable, nothing supported) or runs adapters in this process."""
    from mlbench import registry, steps
    from mlbench.adapter import Support
    from mlbench.handle import EarlySession

    if request.isolation != "process" or not adapters:
        return None
    cls = registry.get(adapters[0])
    supported = any(steps.cell_capability(cls, spec, variant).support is not Support.UNSUPPORTED
                    for spec in step_specs for variant in steps.variants(spec))
    if not supported or not cls.availability().ok:
        return None
    return EarlySession(cls, options)


def _with_work(names: list[str], units: list[Any]) -> list[str]:
    """The registered adapters that declare support for at least one of the run's cells (each under its unit's
    family): the default when neither --adapters nor the scenario names any, so an adapter made for one kind of
    step (sklearn-default: penalised GLMs only) is not a row of unsupported cells in an OLS or training run."""
    from mlbench import registry, steps
    from mlbench.adapter import Support

    def has_work(name: str) -> bool:
        cls = registry.get(name)
        return any(steps.cell_capability(cls, spec, variant).support is not Support.UNSUPPORTED
                   for unit in units for _, spec, variant in unit.cells)

    return [name for name in names if has_work(name)] or names


def _abandon(early: Any, store: Any, resume_dir: Path | None) -> None:
    """A run that never started: its early session cancelled, its store closed, a new run's folder removed (a
    resumed run keeps its folder as it was)."""
    if early is not None:
        early.cancel()
    store.close()
    if resume_dir is None:
        shutil.rmtree(store.run_dir, ignore_errors=True)


def _relocate(source: Any, old: Path, new: Path) -> Any:
    moved = {k: new / Path(v).relative_to(old) for k, v in vars(source).items()
             if isinstance(v, Path) and Path(v).is_relative_to(old)}
    return dataclasses.replace(source, **moved)


def _describe_unit(unit: Any) -> dict[str, Any]:
    dataset, design = unit.dataset, unit.design
    return {
        "name": dataset.name, "sha256": dataset.sha256, "provenance": dataset.provenance,
        "target": design.target, "features": design.features, "n_rows": len(design.frame),
        "n_input_rows": design.n_input_rows, "n_dropped": design.n_dropped, "factors": design.factors,
        "notes": design.notes, "truth": dataset.truth, "task": unit.source.task, "family": design.family,
        "intercept": unit.source.intercept,
        "n_test": None if unit.test_y is None else len(unit.test_y),
    }


def _counts(records: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        counts[record["status"]] = counts.get(record["status"], 0) + 1
    return counts


def _check_same_data(units: list[Any], manifest: dict[str, Any]) -> None:
    """A resumed run must read the very data the interrupted one did."""
    before = [d.get("sha256") for d in manifest.get("datasets", [])]
    now = [u.dataset.sha256 for u in units]
    if before != now:
        raise MlbenchError("the data changed since the interrupted run (sha256 differs): start a new run instead")


def list_adapters() -> list[dict[str, Any]]:
    """Every registered adapter with its platform version, availability (and why not) and declared support."""
    from mlbench import registry

    rows: list[dict[str, Any]] = []
    for name in registry.names():
        try:
            cls = registry.get(name)
        except MlbenchError as exc:
            rows.append({"name": name, "version": None, "available": False, "reason": str(exc), "support": {}})
            continue
        available = cls.availability()
        rows.append({
            "name": name,
            "version": cls.platform_version(),
            "available": available.ok,
            "reason": available.reason,
            "support": {key: cap.support.value for key, cap in cls.capabilities.items()},
        })
    return rows


def list_scenarios() -> list[dict[str, Any]]:
    from mlbench import scenario, steps

    rows = []
    for name in scenario.scenario_paths():
        spec = scenario.load(name)
        rows.append({"name": name, "description": spec.description, "steps": steps.spec_labels(list(spec.steps))})
    return rows


def list_datasets() -> list[dict[str, str]]:
    from mlbench import datasets

    return datasets.list_datasets()


def memory_mb(text: str) -> float:
    """'24G', '512M', '1.5T' or a number of MB, as MB."""
    import re

    found = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kKmMgGtT]?)[bB]?\s*", text or "")
    if not found:
        raise MlbenchError(f"not a memory size: {text!r} (e.g. 24G, 512M)")
    scale = {"": 1.0, "k": 1 / 1024, "m": 1.0, "g": 1024.0, "t": 1024.0 ** 2}[found.group(2).lower()]
    return float(found.group(1)) * scale


def serve(artifact: Path, port: int = 8000, trusted: bool = False, max_body: str = "4M") -> None:
    """`mlbench serve`: the artifact on 127.0.0.1:`port` until interrupted. `max_body` (e.g. 4M, 512K; a plain
    number is MB, as for --memory) caps a /predict body; `trusted` allows formats that run code when loaded."""
    from mlbench.deploy.serve import serve as run_server

    limit = int(memory_mb(max_body) * 2**20)
    if limit < 1:
        raise MlbenchError(f"--max-body must be at least 1 byte, not {max_body!r}")
    run_server(artifact, port, trusted, limit)


def report(run_dir: Path, fmt: str, budget_memory: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]],
                                                                                str | None]:
    """Read a run back. For csv/json also return the rendered text; `table` is rendered by the CLI.
    `budget_memory` (e.g. 24G): the machine the cost curve compares memory against (default: the one that ran)."""
    from mlbench.results import load_run

    manifest, records = load_run(run_dir)
    if budget_memory:
        manifest["budget_memory_mb"] = memory_mb(budget_memory)
    if fmt == "json":
        from mlbench.results import clean_json

        return manifest, records, json.dumps(clean_json(records), indent=2, allow_nan=False)
    if fmt == "csv":
        from mlbench.reports.csv_export import records_to_csv

        return manifest, records, records_to_csv(records)
    if fmt == "table":
        return manifest, records, None
    if fmt == "wide-csv":
        from mlbench.reports.wide import records_to_wide_csv

        return manifest, records, records_to_wide_csv(records, manifest)
    if fmt == "digits-csv":
        from mlbench.reports.wide import records_to_digits_csv

        return manifest, records, records_to_digits_csv(records, manifest)
    if fmt == "html":
        from mlbench.reports.html import render_html

        return manifest, records, render_html(manifest, records)
    raise MlbenchError(f"unknown report format {fmt!r}; use table, csv, wide-csv, digits-csv, html or json")


def compare(run_a: Path, run_b: Path, alpha: float = 0.05) -> dict[str, Any]:
    """Run B against baseline run A: time ratios with significance, grade/status changes, environment diffs."""
    from mlbench.reports.compare import compare_runs
    from mlbench.results import load_run

    manifest_a, records_a = load_run(run_a)
    manifest_b, records_b = load_run(run_b)
    return compare_runs(manifest_a, records_a, manifest_b, records_b, alpha=alpha)


def scorecard(run_dirs: list[Path], weights: dict[str, float] | None = None) -> dict[str, Any]:
    """The choose-your-platform scorecard over stored runs (mlbench.reports.scorecard); weights rank it."""
    from mlbench.reports import scorecard as card
    from mlbench.results import load_run

    if not run_dirs:
        raise MlbenchError("give one run directory or more")
    runs = [load_run(d) for d in run_dirs]
    return card.build(runs, card.load_weights(weights) if weights else None, _declared_statistics(runs))


def _declared_statistics(runs: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> dict[str, dict[str, str]]:
    """The statistics support each adapter of the runs declares (its class, not what the runs asked of it);
    an adapter that cannot be loaded here is left to the records."""
    from mlbench import registry
    from mlbench.reports.scorecard import declared_support

    out: dict[str, dict[str, str]] = {}
    for name in dict.fromkeys(str(r.get("adapter")) for _, records in runs for r in records):
        try:
            out[name] = declared_support(functools.partial(steps.capability, registry.get(name)))
        except MlbenchError:
            continue
    return out
