"""Test helpers: materialise a built-in dataset's design the way a run does, and start adapters on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mpmath
import pandas as pd

from mlbench import steps
from mlbench.adapter import Adapter, DataSource, SessionOptions
from mlbench.datasets import load_builtin
from mlbench.design import Design, build_design
from mlbench.stats import procedures
from mlbench.stats.reference import ReferenceFitter


def materialise(name: str, directory: Path) -> tuple[Design, DataSource]:
    dataset = load_builtin(name)
    design = build_design(dataset.frame, dataset.target)
    directory.mkdir(parents=True, exist_ok=True)
    design.frame.to_parquet(directory / "design.parquet", index=False)
    design.frame.to_csv(directory / "design.csv", index=False)
    source = DataSource(name, directory / "design.parquet", directory / "design.csv", design.target,
                        design.features, len(design.frame))
    return design, source


def started(cls: type[Adapter], source: DataSource, run_dir: Path) -> Adapter:
    adapter = cls()
    adapter.start_session(SessionOptions(run_dir=run_dir, log_path=run_dir / "platform.log"))
    adapter.load(source)
    return adapter


@contextmanager
def session_on(cls: type[Adapter], name: str, tmp_path_factory: Any) -> Iterator[tuple[Design, DataSource, Adapter]]:
    """A module fixture's session: `cls` started on built-in dataset `name` in a fresh folder, closed on exit."""
    directory = tmp_path_factory.mktemp(f"{cls.name}-{name}")
    design, source = materialise(name, directory)
    adapter = started(cls, source, directory)
    try:
        yield design, source, adapter
    finally:
        adapter.close()


def context(design: Design, support: str) -> procedures.StepContext:
    return procedures.StepContext(features=design.features, X=design.X, y=design.y, support=support)


def reference_fitter(design: Design) -> ReferenceFitter:
    return ReferenceFitter(design.frame, design.target)


def answer(adapter: Adapter, step: str, design: Design, variant: str | None = None, **params: object) -> dict:
    """A statistics cell's answer from an adapter, driven exactly as a run drives it: through the step table,
    with the emulation the adapter's declared support asks for."""
    spec = steps.parse_spec({"step": step, **params})
    how = steps.capability(type(adapter), step, variant)
    return steps.compute(spec, variant, adapter, context(design, how.support.value), how)


def mp_least_squares(frame: pd.DataFrame) -> tuple[Any, Any, Any, Any]:
    """The least-squares fit of `frame`'s y on an intercept and its other columns, in mpmath at the caller's
    precision from the float64 values exactly (mpmath converts floats exactly), independent of mlbench:
    (y, (A'A)^-1, the coefficients, RSS)."""
    features = [c for c in frame.columns if c != "y"]
    A = mpmath.matrix([[1] + [mpmath.mpf(float(v)) for v in row] for row in frame[features].to_numpy()])
    y = mpmath.matrix([mpmath.mpf(float(v)) for v in frame["y"]])
    inverse = mpmath.inverse(A.T * A)
    beta = inverse * (A.T * y)
    residual = y - A * beta
    return y, inverse, beta, sum(r**2 for r in residual)
