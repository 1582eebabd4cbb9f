"""Best-subset speed: the exact reference on Hitters, and an emulated search driven through statsmodels.

Goals (issue 3): the exhaustive search on Hitters (p = 19, all sizes) well under 0.5 s; the emulated
statsmodels search on a p = 12 case reported with its fit count.
Usage: python benchmarks/best_subset.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from mlbench.adapter import DataSource, SessionOptions
from mlbench.datasets import load_builtin, synthetic_linear
from mlbench.design import build_design
from mlbench.platforms.statsmodels import StatsmodelsAdapter
from mlbench.stats import procedures, subsets


def _median_time(action, repeats: int) -> float:  # type: ignore[no-untyped-def]
    action()  # warm-up: imports and first-call caches are not timed
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        action()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    repeats = parser.parse_args().repeats

    hitters = build_design(load_builtin("hitters").frame, "Salary")
    X, y, names = hitters.X, hitters.y, hitters.features
    seconds = _median_time(lambda: subsets.best_subsets(X, y, names), repeats)
    print(f"reference exhaustive best subset, Hitters (n=263, p=19, sizes 1-19): {seconds:.4f} s "
          f"(median of {repeats}; goal < 0.5 s; naive would fit {subsets.count_fits(19, 'best')} models)")

    data = synthetic_linear(n=300, p=12, k=4, rho=0.5, seed=1)
    design = build_design(data.frame, "y")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "design.parquet"
        design.frame.to_parquet(path, index=False)
        adapter = StatsmodelsAdapter()
        adapter.start_session(SessionOptions(run_dir=Path(tmp)))
        adapter.load(DataSource("synthetic", path, path, "y", design.features, len(design.frame)))
        ctx = procedures.StepContext(design.features, design.X, design.y, "emulated")
        t0 = time.perf_counter()
        result = procedures.subset(adapter, ctx, "best", None, max_fits=10_000)
        emulated_s = time.perf_counter() - t0
    print(f"statsmodels emulated best subset, synthetic (n=300, p=12): {emulated_s:.2f} s for "
          f"{result['fits']} OLS fits ({emulated_s / result['fits'] * 1e3:.2f} ms per fit)")
    ref_s = _median_time(lambda: subsets.best_subsets(design.X, design.y, design.features), repeats)
    print(f"reference on the same p=12 case: {ref_s:.4f} s ({emulated_s / ref_s:.0f}x faster than emulation)")


if __name__ == "__main__":
    main()
