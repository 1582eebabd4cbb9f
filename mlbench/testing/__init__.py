"""The adapter conformance kit, in the style of scikit-learn's `estimator_checks`.

Each check is a plain function `check_x(harness)`; which checks apply is decided by what the adapter declares
(an adapter declaring `pvalues` native or emulated must answer Advertising like R; one declaring `train:gbm`
must learn a learnable task, honour the seed, ...). The same generator feeds the CLI (`mlbench adapters check
NAME`) and pytest (`parametrize_with_adapter_checks`). Known failures are declared with a reason and reported
as xfail, never hidden.
"""

from __future__ import annotations

import atexit
import inspect
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlbench import steps
from mlbench.adapter import Adapter, DataSource, SessionOptions, Support, TrainSpec
from mlbench.errors import UnsupportedStep

REFERENCE = Path(__file__).parent / "advertising_r.json"  # R's lm/summary and car::vif (see its "source")
REL_TOL = 1e-6


class CheckFailed(AssertionError):
    """A conformance check found the adapter wrong; the message says what and by how much."""


@dataclass
class CheckResult:
    check: str
    status: str  # passed | failed | skipped | xfail
    reason: str = ""


class Harness:
    """One adapter under test: sessions and loaded datasets are started once and shared by all its checks."""

    def __init__(self, cls: type[Adapter]) -> None:
        self.cls = cls
        self.tmp = Path(tempfile.mkdtemp(prefix=f"mlbench-kit-{cls.name}-"))
        self._adapter: Adapter | None = None
        self._loaded: str | None = None

    def options(self) -> SessionOptions:
        return SessionOptions(run_dir=self.tmp, log_path=self.tmp / "platform.log", cores=2, memory="2G")

    def adapter(self, dataset: str) -> Adapter:
        """The shared adapter with `dataset` loaded: "advertising", "classification" or "regression"."""
        if self._adapter is None:
            self._adapter = self.cls()
            self._adapter.start_session(self.options())
        if self._loaded != dataset:
            self._adapter.load(self.source(dataset))
            self._loaded = dataset
        return self._adapter

    def source(self, dataset: str) -> DataSource:
        from mlbench.datasets import load_builtin, synthetic_task
        from mlbench.design import build_design

        directory = self.tmp / dataset
        directory.mkdir(exist_ok=True)
        if dataset == "advertising":
            design = build_design(load_builtin("advertising").frame, "Sales")
            design.frame.to_parquet(directory / "d.parquet", index=False)
            design.frame.to_csv(directory / "d.csv", index=False)
            return DataSource(dataset, directory / "d.parquet", directory / "d.csv", "Sales", design.features,
                              len(design.frame))
        train, test = synthetic_task(dataset, 2000, seed=1).frame, synthetic_task(dataset, 1000, seed=2).frame
        for name, frame in (("train", train), ("test", test)):
            frame.to_parquet(directory / f"{name}.parquet", index=False)
            frame.to_csv(directory / f"{name}.csv", index=False)
        features = [c for c in train.columns if c != "y"]
        return DataSource(f"{dataset}-2000", directory / "train.parquet", directory / "train.csv", "y", features,
                          len(train), test_parquet_path=directory / "test.parquet",
                          test_csv_path=directory / "test.csv", task=dataset)

    def test_y(self, dataset: str) -> np.ndarray:
        import pandas as pd

        return pd.read_parquet(self.tmp / dataset / "test.parquet")["y"].to_numpy()

    def close(self) -> None:
        if self._adapter is not None:
            self._adapter.close()
            self._adapter = None
            self._loaded = None


def _declared(cls: type[Adapter], key: str) -> bool:
    step, _, variant = key.partition(":")
    return steps.capability(cls, step, variant or None).support is not Support.UNSUPPORTED


def _answer(h: Harness, step: str, variant: str | None = None, **params: Any) -> dict[str, Any]:
    """The adapter's answer to one statistics cell on Advertising, driven exactly as a run drives it: through
    the step table, with the emulation its declared support asks for."""
    from mlbench import steps
    from mlbench.datasets import load_builtin
    from mlbench.design import build_design
    from mlbench.stats import procedures

    design = build_design(load_builtin("advertising").frame, "Sales")
    how = steps.capability(h.cls, step, variant)
    ctx = procedures.StepContext(design.features, design.X, design.y, how.support.value)
    return steps.compute(steps.parse_spec({"step": step, **params}), variant, h.adapter("advertising"), ctx, how)


def _r_reference() -> dict[str, Any]:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b else abs(a - b)


# ----- the checks ----------------------------------------------------------------------------------------------


def check_declarations(h: Harness) -> None:
    """Name, platform distribution and every capability key are well formed; unsupported ones say why."""
    from mlbench import steps

    cls = h.cls
    if not getattr(cls, "name", None) or not re.fullmatch(r"[a-z][a-z0-9_\-]*", cls.name):
        raise CheckFailed(f"adapter name {getattr(cls, 'name', None)!r} must be lower-case letters, digits, - or _")
    for key, cap in cls.capabilities.items():
        if key not in steps.capability_keys():
            raise CheckFailed(f"capability key {key!r} is not a step or step:variant mlbench knows")
        if cap.support is Support.UNSUPPORTED and not cap.reason:
            raise CheckFailed(f"{key} is unsupported without a reason")
        if cap.support is not Support.UNSUPPORTED and not cap.how:
            raise CheckFailed(f"{key} is {cap.support.value} but does not say how (Capability.how)")


def check_does_not_time_itself(h: Harness) -> None:
    """The runner measures every phase the same way; an adapter that times itself is measuring something else."""
    source = inspect.getsource(inspect.getmodule(h.cls) or h.cls)
    for pattern in ("perf_counter(", "time.time(", "process_time(", "timeit"):
        if pattern in source:
            raise CheckFailed(f"the adapter module calls {pattern.rstrip('(')}: leave timing to the runner")


def check_pvalues_equal_r(h: Harness) -> None:
    """OLS on Advertising: estimates, std errors, t and p equal R's lm; terms named Intercept, TV, Radio, ..."""
    ref = _r_reference()
    result = _answer(h, "pvalues", alpha=0.05)
    terms = list(result["coefficients"])
    if terms != ["Intercept", "TV", "Radio", "Newspaper"]:
        raise CheckFailed(f"terms must be named Intercept, TV, Radio, Newspaper in that order, got {terms}")
    for r_term, values in ref["full_model"]["coefficients"].items():
        got = result["coefficients"]["Intercept" if r_term == "(Intercept)" else r_term]
        for key, expected in values.items():
            value = got[key]
            if key == "p_value" and expected < 1e-12 and abs(value - expected) < 1e-12:
                continue  # underflow to 0, or 1 - cdf's cancellation (Octave's fitlm: 2.2e-16 for 1e-81): a
                # probability is read absolutely, as in grading
            if _rel(value, expected) > REL_TOL:
                err = _rel(value, expected)
                raise CheckFailed(f"{r_term} {key}: {value!r}, R says {expected!r} (rel. err {err:.1e})")
    if result["dropped"] != ["Newspaper"]:
        raise CheckFailed(f"backward elimination at alpha 0.05 must drop Newspaper, dropped {result['dropped']}")
    adj = result["refit"]["adj_r_squared"]
    if _rel(adj, ref["reduced_model_tv_radio"]["adj_r_squared"]) > REL_TOL:
        raise CheckFailed(f"refit adj. R² {adj!r}, R says {ref['reduced_model_tv_radio']['adj_r_squared']!r}")


def check_vif_equals_car(h: Harness) -> None:
    """VIF on Advertising equals R's car::vif."""
    vif = _answer(h, "vif", threshold=10)["vif"]
    for name, expected in _r_reference()["vif_full_model"].items():
        if name not in vif or _rel(vif[name], expected) > REL_TOL:
            raise CheckFailed(f"VIF of {name}: {vif.get(name)!r}, car::vif says {expected!r}")


def _subset_check(method: str) -> Callable[[Harness], None]:
    def check(h: Harness) -> None:
        from mlbench.datasets import load_builtin
        from mlbench.design import build_design
        from mlbench.stats import procedures
        from mlbench.stats.reference import ReferenceFitter

        got = _answer(h, "subset", method, methods=[method], max_fits=1000)
        design = build_design(load_builtin("advertising").frame, "Sales")
        ref = procedures.subset(ReferenceFitter(design.frame, "Sales"),
                                procedures.StepContext(design.features, design.X, design.y, "reference"), method,
                                None, 1000)
        for size, expected in ref["by_size"].items():
            chosen = got["by_size"].get(size, {}).get("features")
            if chosen is None or set(chosen) != set(expected["features"]):
                raise CheckFailed(f"{method} subset of size {size}: {chosen}, exact answer {expected['features']}")
            if _rel(got["by_size"][size]["rss"], expected["rss"]) > REL_TOL:
                raise CheckFailed(f"{method} subset of size {size}: RSS {got['by_size'][size]['rss']!r}, "
                                  f"exact {expected['rss']!r}")

    return _named(check, f"check_subset_{method}_is_exact",
                  f"The {method} subset path on Advertising equals the exact reference (sets and RSS).")


def _named(check: Callable[[Harness], None], name: str, doc: str) -> Callable[[Harness], None]:
    """A check made for one method or family, named and described as the conformance report lists it."""
    check.__name__, check.__doc__ = name, doc
    return check


def _task(family: str) -> str:
    return "regression" if family == "linear" else "classification"


def _predict(h: Harness, spec: TrainSpec) -> np.ndarray:
    """The adapter's predictions on the test rows of its task's synthetic data, from a model fitted by `spec`."""
    adapter = h.adapter(spec.task)
    return np.asarray(adapter.predict(adapter.fit(spec)), dtype=float)


def _train_check(family: str) -> Callable[[Harness], None]:
    task = _task(family)

    def check(h: Harness) -> None:
        from mlbench.stats import metrics

        prediction = _predict(h, TrainSpec(family, task, trees=30, max_depth=4))
        y = h.test_y(task)
        if prediction.shape != y.shape:
            raise CheckFailed(f"{family}: {prediction.shape} predictions for {y.shape[0]} test rows")
        if task == "classification":
            if prediction.min() < 0 or prediction.max() > 1:
                raise CheckFailed(f"{family}: predictions must be P(y = 1) in [0, 1]")
            auc = metrics.auc(y, prediction)
            if auc <= 0.7:
                raise CheckFailed(f"{family}: AUC {auc:.3f} on a learnable task (needs > 0.7)")
        elif (r2 := metrics.r_squared(y, prediction)) <= 0.4:
            raise CheckFailed(f"{family}: R² {r2:.3f} on a learnable task (needs > 0.4)")

    return _named(check, f"check_train_{family}_learns",
                  f"Training {family} on 2000 synthetic rows gives valid predictions that beat chance.")


def _seed_check(family: str) -> Callable[[Harness], None]:
    spec = TrainSpec(family, _task(family), trees=20, max_depth=4, seed=7)

    def check(h: Harness) -> None:
        first, second = _predict(h, spec), _predict(h, spec)
        if not np.allclose(first, second, rtol=0, atol=1e-9):
            raise CheckFailed(f"{family}: two fits with seed 7 differ by {np.max(np.abs(first - second)):.3g}")

    return _named(check, f"check_train_{family}_honours_seed",
                  f"Two {family} fits with the same seed give the same predictions.")


def check_unsupported_steps_raise(h: Harness) -> None:
    """A primitive of a step declared unsupported raises UnsupportedStep (not a wrong answer or a crash)."""
    adapter = h.adapter("advertising")
    probes = {"pvalues": lambda: adapter.ols(["TV"]), "vif": lambda: adapter.vif(["TV", "Radio"])}
    for key, probe in probes.items():
        if not _declared(h.cls, key):
            try:
                probe()
            except UnsupportedStep:
                continue
            except Exception as exc:  # noqa: BLE001
                raise CheckFailed(f"{key} is declared unsupported but raised {type(exc).__name__}, "
                                  "not UnsupportedStep") from None
            raise CheckFailed(f"{key} is declared unsupported but answered")


def check_closes_its_session(h: Harness) -> None:
    """close() releases every process the session started, and may be called twice."""
    import psutil

    h.close()
    adapter = h.cls()
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    adapter.start_session(h.options())
    adapter.close()
    adapter.close()
    leftover = [p for p in psutil.Process().children(recursive=True) if p.pid not in before and p.is_running()
                and p.status() != psutil.STATUS_ZOMBIE]
    _, alive = psutil.wait_procs(leftover, timeout=10)
    if alive:
        raise CheckFailed(f"processes still alive after close(): {[p.name() for p in alive]}")


# ----- selection and running ----------------------------------------------------------------------------------


def adapter_checks(cls: type[Adapter]) -> Iterator[Callable[[Harness], None]]:
    """The checks that apply to `cls`, chosen by its declared support."""
    yield check_declarations
    yield check_does_not_time_itself
    if _declared(cls, "pvalues"):
        yield check_pvalues_equal_r
    if _declared(cls, "vif"):
        yield check_vif_equals_car
    for method in ("best", "forward", "backward"):
        if _declared(cls, f"subset:{method}"):
            yield _subset_check(method)
    for family in ("linear", "logistic", "random_forest", "gbm"):
        if _declared(cls, f"train:{family}"):
            yield _train_check(family)
            if family in ("random_forest", "gbm"):
                yield _seed_check(family)
    yield check_unsupported_steps_raise
    yield check_closes_its_session  # last: it closes the shared session


@dataclass
class KitRun:
    results: list[CheckResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "failed"]


def check_adapter(cls: type[Adapter], known_failures: dict[str, str] | None = None) -> KitRun:
    """Run every applicable check on `cls`; `known_failures` maps check names to the reason they fail."""
    known = known_failures or {}
    run = KitRun()
    available = cls.availability()
    harness = Harness(cls)
    try:
        for check in adapter_checks(cls):
            name = check.__name__
            if not available.ok and check not in (check_declarations, check_does_not_time_itself):
                run.results.append(CheckResult(name, "skipped", f"adapter unavailable: {available.reason}"))
                continue
            try:
                check(harness)
            except Exception as exc:  # noqa: BLE001 - every failure is reported, with its message
                message = str(exc) if isinstance(exc, CheckFailed) else f"{type(exc).__name__}: {exc}"
                status = "xfail" if name in known else "failed"
                run.results.append(CheckResult(name, status, known.get(name, message.splitlines()[0][:300])))
            else:
                run.results.append(CheckResult(name, "failed" if name in known else "passed",
                                               "declared a known failure but passed" if name in known else ""))
    finally:
        harness.close()
    return run


_HARNESSES: dict[type[Adapter], Harness] = {}


def _shared_harness(cls: type[Adapter]) -> Harness:
    if cls not in _HARNESSES:
        _HARNESSES[cls] = Harness(cls)
        atexit.register(_HARNESSES[cls].close)
    return _HARNESSES[cls]


def parametrize_with_adapter_checks(classes: list[type[Adapter]], known_failures: dict[str, str] | None = None,
                                    marks: dict[str, list[Any]] | None = None) -> Any:
    """A pytest parametrize decorator over (adapter class, check): use with a test calling `run_check`.

        @parametrize_with_adapter_checks([MyAdapter])
        def test_conformance(adapter_cls, check):
            run_check(adapter_cls, check)

    `known_failures` maps "adapter:check" (or "check") to a reason: those become xfail. `marks` maps adapter
    names to extra pytest marks (e.g. [pytest.mark.h2o]).
    """
    import pytest

    known = known_failures or {}
    params = []
    for cls in classes:
        for check in adapter_checks(cls):
            reason = known.get(f"{cls.name}:{check.__name__}") or known.get(check.__name__)
            extra = list((marks or {}).get(cls.name, []))
            if reason:
                extra.append(pytest.mark.xfail(reason=reason, strict=True))
            params.append(pytest.param(cls, check, id=f"{cls.name}-{check.__name__}", marks=extra))
    return pytest.mark.parametrize(("adapter_cls", "check"), params)


def run_check(cls: type[Adapter], check: Callable[[Harness], None]) -> None:
    """Run one check in pytest: skip when the adapter is unavailable here, else let the check raise."""
    import pytest

    available = cls.availability()
    if not available.ok and check not in (check_declarations, check_does_not_time_itself):
        pytest.skip(f"{cls.name} unavailable: {available.reason}")
    check(_shared_harness(cls))
