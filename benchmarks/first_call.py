"""The first best subset on a fresh install against a warm one: no compile wait (issue 33).

A fresh virtual environment gets mlbench from a wheel built from this checkout (`pip install` of the wheel, which
is what a user's install does; the dependencies come from the package index or pip's cache). A new process then
times its very first `best_subsets` at p = 40 (the benchmark's AR(1) problem of benchmarks/best_subset.py:
n = 2000, rho 0.5, half the features with signal) and then warm calls in the same process. Goal: first <= 1.5x
the warm median. The C kernel is compiled when the wheel is built (hatch_build.py), so the first call only loads
it; the numba engine it replaced compiled on first use (8.2 s at p = 40 the first time, 0.40 s afterwards).

Usage: python benchmarks/first_call.py [--venv DIR] [--p 40] [--design ar1|lmsubsets]
       (--venv DIR: reuse an environment made by an earlier run; its first call is then no longer a first call
       unless the kernel was rebuilt, which is the point: the kernel ships with the install, never in a cache)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import sys, time, statistics
t0 = time.perf_counter()
from mlbench.datasets import synthetic_linear
from mlbench.stats import subsets, subsets_kernel
p, design = int(sys.argv[1]), sys.argv[2]
if design == "lmsubsets":
    import numpy as np
    rng = np.random.default_rng(1)
    X = rng.standard_normal((1000, p)); beta = np.zeros(p); beta[: p // 2] = 1
    y = X @ beta + rng.standard_normal(1000) + 1
else:
    data = synthetic_linear(n=2000, p=p, k=p // 2, rho=0.5, noise=1.0, seed=1)
    X, y = data.frame.drop(columns="y").to_numpy(), data.frame["y"].to_numpy()
names = [f"x{j}" for j in range(p)]
print(f"import and data: {time.perf_counter() - t0:.2f} s")
t = time.perf_counter(); first = subsets.best_subsets(X, y, names); first_s = time.perf_counter() - t
warm = []
for _ in range(5):
    t = time.perf_counter(); again = subsets.best_subsets(X, y, names); warm.append(time.perf_counter() - t)
assert again == first
lib = subsets_kernel._library()._name
print(f"kernel: {lib}")
w = statistics.median(warm)
print(f"first call {first_s:.3f} s, warm median {w:.3f} s (of 5): first / warm = {first_s / w:.2f} (goal <= 1.5)")
"""


def fresh_venv(directory: Path) -> Path:
    """A new venv in `directory` with mlbench installed from a wheel of this checkout; returns its python."""
    wheels = directory / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True)
    subprocess.run([sys.executable, "-m", "venv", str(directory / "venv")], check=True)
    python = directory / "venv" / "bin" / "python"
    wheel = next(wheels.glob("mlbench-*.whl"))
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)], check=True)
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, help="reuse this directory's venv (made by an earlier run)")
    parser.add_argument("--p", type=int, default=40)
    parser.add_argument("--design", choices=["ar1", "lmsubsets"], default="ar1")
    args = parser.parse_args()
    if args.venv and (args.venv / "venv" / "bin" / "python").exists():
        python = args.venv / "venv" / "bin" / "python"
    else:
        directory = args.venv or Path(tempfile.mkdtemp(prefix="mlbench-first-call-"))
        directory.mkdir(parents=True, exist_ok=True)
        python = fresh_venv(directory)
        print(f"fresh venv: {directory / 'venv'}")
    # run outside the checkout, so the installed package (not this source tree) is imported
    subprocess.run([str(python), "-c", PROBE, str(args.p), args.design], check=True, cwd=tempfile.gettempdir())


if __name__ == "__main__":
    main()
