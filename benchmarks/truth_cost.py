"""What the exact truth reference costs: the main job and the feature-selection scenario, before and after.

Two measurements, both printed:
1. In process: the truth reference's own work for each scenario (exact Gram matrix, every statistics cell's
   answer), median of 5, next to the float64 QR reference it replaced, and the per-quantity ceiling of every
   cell (the same answers on CEILING_COPIES one-ulp copies, which a run computes only where a grade needs it).
2. Whole command, the way a user runs it: `mlbench run <scenario>` at this checkout (A) against the same command
   at a base revision from before the truth reference (B, a git worktree), alternated A B A B ... in one run;
   the median of the per-pair ratios A/B is the growth (goals: main job <= 1.05, feature-selection <= 1.10).

Usage: python benchmarks/truth_cost.py [--base 05fc0a6] [--pairs 3] [--scenarios pvalues,feature-selection]
       [--adapters statsmodels,sklearn,h2o,spark] [--skip-commands]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import alternated, run_measured

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BASE = "05fc0a6"  # main before the truth reference (float64 QR, R-style aliasing)


def reference_seconds(scenario_name: str) -> tuple[float, float, float, str]:
    """(seconds of the exact truth for every statistics cell, seconds of a float64 QR reference doing the same
    fits, seconds of the ceiling of every cell, engine) for one scenario's dataset, each the median of 5."""
    from mlbench import datasets, scenario, steps
    from mlbench.design import build_design
    from mlbench.stats import procedures, reference

    spec = scenario.load(scenario_name)
    dataset = datasets.resolve(spec.dataset, None, None, spec.seed)
    design = build_design(dataset.frame, dataset.target)
    cells = [(s, v) for s in spec.steps if steps.is_statistics(s.step) for v in steps.variants(s)]
    ctx = procedures.StepContext(design.features, design.X, design.y, "reference")

    def truth() -> str:
        fitter = reference.ReferenceFitter(design.frame, design.target, dataset.exact)
        for step, variant in cells:
            steps.compute(step, variant, fitter, ctx)
        return str(fitter.meta["engine"])

    def float_qr() -> None:
        fitter = reference.ReferenceFitter(design.frame, design.target)
        fitter.data = None  # the float64 path: Householder QR (with refinement) for every fit
        for step, variant in cells:
            steps.compute(step, variant, fitter, ctx)

    def ceiling() -> float:
        """Seconds of the copies' answers after the truth's own (whose subset searches the copies reuse)."""
        fitter = reference.ReferenceFitter(design.frame, design.target, dataset.exact)
        for step, variant in cells:
            steps.compute(step, variant, fitter, ctx)
        t0 = time.perf_counter()
        for copy in fitter.float64_copies():
            for step, variant in cells:
                steps.compute(step, variant, copy, ctx)
        return time.perf_counter() - t0

    times: dict[str, list[float]] = {"truth": [], "float": [], "ceiling": []}
    engine = truth()  # warm: imports, flint initialisation
    for _ in range(5):
        for name, action in (("truth", truth), ("float", float_qr)):
            t0 = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - t0)
        times["ceiling"].append(ceiling())
    return (statistics.median(times["truth"]), statistics.median(times["float"]), statistics.median(times["ceiling"]),
            engine)


def command(checkout: Path, scenario: str, adapters: str | None, out: Path) -> list[str]:
    cmd = [sys.executable, "-m", "mlbench", "run", scenario, "--out", str(out)]
    return cmd + (["--adapters", adapters] if adapters else [])


def timed(checkout: Path, cmd: list[str]) -> float:
    wall, _, proc = run_measured_in(checkout, cmd)
    if proc.returncode not in (0, 1):  # 1: some platform cell failed, which is a finding, not a benchmark error
        raise SystemExit(f"{' '.join(cmd)} in {checkout} failed:\n{proc.stderr[-2000:]}")
    return wall


def run_measured_in(checkout: Path, cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """run_measured with the checkout's own mlbench and adapters first on the path (cwd and PYTHONPATH)."""
    import os

    old_cwd, old_path = Path.cwd(), os.environ.get("PYTHONPATH")
    os.chdir(checkout)
    os.environ["PYTHONPATH"] = str(checkout)
    try:
        return run_measured(cmd)
    finally:
        os.chdir(old_cwd)
        if old_path is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old_path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default=DEFAULT_BASE)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--scenarios", default="pvalues,feature-selection")
    parser.add_argument("--adapters", default=None, help="default: each scenario's own adapters")
    parser.add_argument("--skip-commands", action="store_true", help="only the in-process measurement")
    args = parser.parse_args()
    scenarios = args.scenarios.split(",")

    for name in scenarios:
        exact_s, float_s, ceiling_s, engine = reference_seconds(name)
        print(f"{name}: truth reference {exact_s * 1000:.1f} ms ({engine}); float64 QR doing the same fits "
              f"{float_s * 1000:.1f} ms; the ceiling of every cell {ceiling_s * 1000:.1f} ms")
    if args.skip_commands:
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.base], check=True,
                       capture_output=True)
        try:
            for name in scenarios:
                new, old, ratio = alternated(
                    args.pairs, lambda i, n=name: timed(ROOT, command(ROOT, n, args.adapters, Path(tmp) / f"a{i}")),
                    lambda i, n=name: timed(base, command(base, n, args.adapters, Path(tmp) / f"b{i}")),
                    name, ("this checkout", f"base {args.base}"))
                goal = 1.05 if name == "pvalues" else 1.10
                print(f"{name}: median {new:.2f} s vs {old:.2f} s; median ratio {ratio:.3f} (goal <= {goal:.2f})")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                           capture_output=True)


if __name__ == "__main__":
    main()
