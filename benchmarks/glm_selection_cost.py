"""What the truth costs in a GLM feature-selection run, and best subset by deviance on 20 binomial predictors.

1. The truth's share of `mlbench run glm-selection` on ISLR2's Default (pvalues with drop1 elimination, car::vif,
   best / forward / backward subsets by deviance and AIC): each repeat is one whole run through the API (on
   statsmodels by default: the fastest platform, so the truth's largest share), with every `Truth` call of the
   runner timed (`measure_condition` and `reference`: everything the truth computes before the platforms run).
   Alternated A B A B: A = the run with the truth timed inside it, B = the truth alone recomputed from scratch
   on the same design (a fresh `Truth`), as a cross-check of A's truth time. Goal (issue 31): the truth <= 1 s and
   <= 10% of the run.
2. Best subset of every size by deviance on a generated binomial case with 20 predictors (n = 2,000; 5 true
   effects, the rest noise; PCG64 seed 31) on statsmodels, within the default fit budget (max_fits 20,000): fits
   and seconds printed.

Usage: python benchmarks/glm_selection_cost.py [--pairs 3] [--adapters statsmodels] [--skip-subset | --subset-only]

On a machine whose cores are oversubscribed, OpenBLAS's threads spin against each other: numpy's lstsq (which
statsmodels' IRLS calls every iteration) measured 20-45x slower with 2 threads than with OPENBLAS_NUM_THREADS=1
(8645 x 40: 1.1-1.9 s against 0.06 s). Say which you ran with.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _util import alternated


def _timed_truth() -> tuple[dict[str, Any], Any]:
    """Wrap the runner's Truth calls so their time is summed (and the run's plan kept, to recompute the truth
    from); returns ({"s": seconds, "plan": the plan}, an undo function)."""
    from mlbench import truth

    total: dict[str, Any] = {"s": 0.0, "plan": None}
    originals = {name: getattr(truth.Truth, name) for name in ("measure_condition", "reference")}

    def wrap(fn: Any) -> Any:
        def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
            total["plan"] = self.plan
            t0 = time.perf_counter()
            try:
                return fn(self, *args, **kwargs)
            finally:
                total["s"] += time.perf_counter() - t0
        return timed

    for name, fn in originals.items():
        setattr(truth.Truth, name, wrap(fn))

    def undo() -> None:
        for name, fn in originals.items():
            setattr(truth.Truth, name, fn)

    return total, undo


def whole_run(adapters: list[str], out: Path) -> tuple[float, float, Any]:
    """(whole run's wall s, its truth's s, its plan) of one glm-selection run through the API."""
    from mlbench import api

    total, undo = _timed_truth()
    try:
        t0 = time.perf_counter()
        outcome = api.run(api.RunRequest(scenario="glm-selection", adapters=adapters, out=out))
        wall = time.perf_counter() - t0
    finally:
        undo()
    bad = [r for r in outcome.records if r["phase"] == "fit" and r["status"] != "ok"]
    if bad:
        raise SystemExit(f"a cell failed: {bad[0].get('error')}")
    return wall, total["s"], total["plan"]


def truth_alone(plan: Any) -> float:
    """The truth of every statistics cell of the run recomputed by a fresh `Truth` on the run's plan."""
    from mlbench import steps
    from mlbench.truth import Truth

    t0 = time.perf_counter()
    fresh = Truth(plan, str)
    for unit in plan.units:
        fresh.measure_condition(unit)
        for index, spec, variant in (c for c in unit.cells if steps.is_statistics(c[1].step)):
            fresh.reference(unit, index, spec, variant)
    return time.perf_counter() - t0


def twenty_predictors(directory: Path) -> Path:
    """A binomial case with 20 predictors: 5 with effects (0.8, -0.6, 0.5, -0.4, 0.3), 15 noise, mildly correlated."""
    rng = np.random.Generator(np.random.PCG64(31))
    n, p = 2000, 20
    shared = rng.normal(size=(n, 1))
    X = 0.3 * shared + rng.normal(size=(n, p))
    beta = np.zeros(p)
    beta[:5] = [0.8, -0.6, 0.5, -0.4, 0.3]
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + X @ beta)))).astype(int)
    path = directory / "binomial20.csv"
    header = ",".join([*(f"x{j + 1:02d}" for j in range(p)), "y"])
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header=header, comments="", fmt="%.17g")
    return path


def best_subset_20(directory: Path) -> None:
    from mlbench import api

    data = twenty_predictors(directory)
    scenario = directory / "best20.yaml"
    scenario.write_text("name: best20\nfamily: binomial\nsteps:\n  - step: subset\n    methods: [best]\n")
    t0 = time.perf_counter()
    outcome = api.run(api.RunRequest(scenario=str(scenario), data=data, target="y", adapters=["statsmodels"],
                                     out=directory))
    wall = time.perf_counter() - t0
    (cell,) = [r for r in outcome.records if r["phase"] == "fit"]
    fits = (cell.get("result") or {}).get("fits")
    print(f"best subset by deviance, 20 binomial predictors (n = 2000) on statsmodels: status {cell['status']}, "
          f"{fits} fits (budget 20000), cell {cell.get('wall_s', 0):.1f} s, whole run {wall:.1f} s; "
          f"grade: {(cell.get('deviation') or {}).get('grade')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--adapters", default="statsmodels")
    parser.add_argument("--skip-subset", action="store_true")
    parser.add_argument("--subset-only", action="store_true")
    args = parser.parse_args()
    adapters = args.adapters.split(",")

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        inside: list[float] = []
        shares: list[float] = []
        last: dict[str, Any] = {}

        def run(i: int) -> float:
            wall, truth_s, plan = whole_run(adapters, directory / f"run{i}")
            inside.append(truth_s)
            shares.append(truth_s / wall)
            last["plan"] = plan
            print(f"  run {i + 1}: whole run {wall:.2f} s, its truth {truth_s:.3f} s ({100 * truth_s / wall:.1f}%)",
                  flush=True)
            return wall

        def alone(_: int) -> float:
            return truth_alone(last["plan"])

        if args.subset_only:
            best_subset_20(directory)
            return
        whole_run(adapters, directory / "warm")  # imports, first-use costs
        run_s, alone_s, _ = alternated(args.pairs, run, alone, "Default", ("whole run", "truth alone"))
        print(f"glm-selection on Default ({', '.join(adapters)}): whole run median {run_s:.2f} s; the truth in it "
              f"median {statistics.median(inside):.3f} s = {100 * statistics.median(shares):.1f}% of the run "
              f"(goal <= 1 s, <= 10%); the truth alone median {alone_s:.3f} s")
        if not args.skip_subset:
            best_subset_20(directory)


if __name__ == "__main__":
    main()
