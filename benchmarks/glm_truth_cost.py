"""What the certified GLM truth costs on ISLR2's Default (10,000 rows, default ~ student + balance + income).

The certified MLE (`mlbench.stats.glm_exact.certify`: exact aliasing, the exact separation decision, float64 IRLS,
Newton in 128-bit arb balls, the Krawczyk certificate, SEs, z, p, deviances and AIC in balls) against, for
context, statsmodels' float64 `GLM(..., family=Binomial()).fit()` on the same design, alternated A B A B in one
process after one warm-up call of each (imports, flint initialisation); the medians of 5 are printed with the
per-pair ratio. Goal (issue 31): the truth <= 1 s on this machine.

Data: tests/fixtures/glm/Default.csv (the test suite's copy, provenance in its SOURCES.md).

Usage: python benchmarks/glm_truth_cost.py [--pairs 5]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _util import alternated

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "fixtures" / "glm" / "Default.csv"


def load() -> tuple[np.ndarray, np.ndarray]:
    with open(DATA, newline="") as f:
        rows = list(csv.DictReader(f))
    X = np.array([[r["student"] == "Yes", float(r["balance"]), float(r["income"])] for r in rows], dtype=float)
    y = np.array([r["default"] == "Yes" for r in rows], dtype=float)
    return X, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()

    import statsmodels.api as sm

    from mlbench.stats.glm_exact import certify

    X, y = load()
    design = sm.add_constant(X)
    features = ["studentYes", "balance", "income"]

    def truth(_: int) -> float:
        t0 = time.perf_counter()
        certify(X, y, features, "binomial")
        return time.perf_counter() - t0

    def statsmodels_fit(_: int) -> float:
        t0 = time.perf_counter()
        sm.GLM(y, design, family=sm.families.Binomial()).fit()
        return time.perf_counter() - t0

    result = certify(X, y, features, "binomial")  # warm
    statsmodels_fit(0)
    print(f"certificate: {result.digits:.1f} digits at {result.precision} bits, {result.newton_steps} Newton steps")
    a, b, ratio = alternated(args.pairs, truth, statsmodels_fit, "Default", ("certified truth", "statsmodels GLM"))
    print(f"certified truth: median {a:.3f} s (goal <= 1 s); statsmodels GLM fit: median {b:.3f} s; "
          f"ratio {ratio:.1f}x")


if __name__ == "__main__":
    main()
