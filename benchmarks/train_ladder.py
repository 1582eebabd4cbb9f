"""The training ladder: `mlbench run train` at 10k and 100k rows on all five adapters, then its table.

Prints the comparison table (rows platform x model, per size: fit time, peak memory of the process tree, AUC or
RMSE) and where the run is stored. Usage: python benchmarks/train_ladder.py [--sizes 10k,100k] [--adapters ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10k,100k")
    parser.add_argument("--adapters", default="sklearn,statsmodels,xgboost,h2o,spark")
    parser.add_argument("--repeats", default="1")
    parser.add_argument("--out", default=None, help="keep the run here (default: a temporary directory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out or tmp)
        cmd = [sys.executable, "-m", "mlbench", "run", "train", "--sizes", args.sizes, "--adapters", args.adapters,
               "--repeats", args.repeats, "--out", str(out)]
        print("$", " ".join(cmd[1:]), flush=True)
        proc = subprocess.run(cmd, text=True)
        print(f"exit code {proc.returncode}; run stored under {out}" + (" (temporary)" if not args.out else ""))
        sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
