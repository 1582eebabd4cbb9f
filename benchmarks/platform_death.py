"""How fast a platform's death is noticed, and whether the cell is retried: kill -9 during a cell, measured.

For each case, `mlbench run pvalues --repeats 2` runs on the platform while its first OLS fit waits (the test
wrappers in tests/fake_adapters.py), the JVM (or the worker) is killed with SIGKILL, and this prints the seconds
from the kill to the failed cell's record (the issue's bound: 5 s), the recorded cause, and how the retried
and later cells ended. Cases: the real H2O JVM, the real Spark driver JVM, and the worker process itself.

Usage (from the repository root): python benchmarks/platform_death.py [--cases h2o,spark,worker]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.fake_adapters import kill_mid_cell

CASES = {"h2o": ("h2o-mortal", "platform"), "spark": ("spark-mortal", "platform"), "worker": ("mortal", "worker")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="h2o,spark,worker")
    args = parser.parse_args()
    print(f"{'case':8} {'noticed (s)':>11}  {'cells after the death':32}  cause")
    for case in args.cases.split(","):
        adapter, victim = CASES[case]
        with tempfile.TemporaryDirectory() as tmp:
            run = kill_mid_cell(Path(tmp), adapter, victim)
        fits = [f"r{r['repeat']}a{r['attempt']} {r['status']}" for r in run["records"] if r["phase"] == "fit"]
        restarts = max(r["restart"] for r in run["records"] if r["phase"] == "session")
        print(f"{case:8} {run['seconds']:11.2f}  {', '.join(fits) + f' ({restarts} restart)':32}  "
              f"{run['failed']['error']}")


if __name__ == "__main__":
    main()
