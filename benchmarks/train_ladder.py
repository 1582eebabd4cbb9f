"""The training ladder: `mlbench run train` at each size on the training adapters, then the figures the README
quotes: per platform and model at each size the fit time, peak memory of the process tree and AUC/RMSE; the load
phase per platform and size (each platform's own reader on the same Parquet file); and the cost curve: growth
exponents of fit time and memory against rows, extrapolated to 10M and 100M rows (marked as extrapolations).

Usage: python benchmarks/train_ladder.py [--sizes 10k,100k,1m] [--adapters ...] [--timeout 1800] [--out DIR]
       python benchmarks/train_ladder.py --from RUN_DIR   (print the figures of a stored ladder run again)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from mlbench.reports import summary
from mlbench.results import load_run

ADAPTERS = "sklearn,statsmodels,xgboost,h2o,spark,tensorflow"


def figures(run_dir: Path) -> None:
    manifest, records = load_run(run_dir)
    print(f"\nrun {run_dir.name}: {manifest.get('status')}")
    for point in sorted(summary.train_points(records), key=lambda p: (p["task"], p["adapter"], p["model"],
                                                                       p["n_rows"])):
        value = f"{point['metric']} {point['metric_value']:.4f}" if point["metric_value"] is not None else ""
        fit = f"{point['fit_s']:8.3g} s" if point["fit_s"] is not None else f"{point['status']:>10}"
        peak = f"{point['peak_rss_mb']:7.0f} MB" if point["peak_rss_mb"] else "        —"
        print(f"  {point['task']:14} {point['adapter']:11} {point['model']:13} {point['n_rows']:>9,} rows  fit "
              f"{fit}  peak {peak}  {value}")
    print("\nload phase (each platform's own reader on the run's Parquet file):")
    for record in records:
        if record.get("phase") == "load":
            wall = f"{record['wall_s']:.3g} s" if record.get("wall_s") is not None else record.get("status")
            print(f"  {record['adapter']:11} {record['dataset']:45} {wall}")
    print("\ncost curve (fit s ~ rows^b; memory above the session's peak ~ rows^b; * extrapolated):")
    for row in summary.growth(records, summary.budget_mb(manifest)):
        ahead = "  ".join(
            f"{n // 1_000_000}M*: {e['fit_s']:.3g} s, {e['peak_mb']:.3g} MB" if e["fit_s"] and e["peak_mb"]
            else f"{n // 1_000_000}M*: —" for n, e in row["extrapolated"].items())
        memory_b = f"{row['memory_exponent']:.2f}" if row["memory_exponent"] is not None else "—"
        budget = f"{row['rows_at_budget']:.3g}" if row["rows_at_budget"] else "—"
        print(f"  {row['task']:14} {row['adapter']:11} {row['model']:13} time b {row['time_exponent']:.2f}  "
              f"memory b {memory_b}  {ahead}  rows at budget {budget}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10k,100k")
    parser.add_argument("--adapters", default=ADAPTERS)
    parser.add_argument("--repeats", default="1")
    parser.add_argument("--timeout", default="1800", help="seconds per cell; a slower cell is recorded as timeout")
    parser.add_argument("--out", default=None, help="keep the run here (default: a temporary directory)")
    parser.add_argument("--from", dest="stored", default=None, help="print the figures of a stored run")
    args = parser.parse_args()
    if args.stored:
        figures(Path(args.stored))
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out or tmp)
        cmd = [sys.executable, "-m", "mlbench", "run", "train", "--sizes", args.sizes, "--adapters", args.adapters,
               "--repeats", args.repeats, "--timeout", args.timeout, "--out", str(out), "--width", "120"]
        print("$", " ".join(cmd[1:]), flush=True)
        proc = subprocess.run(cmd, text=True)
        for run_dir in sorted(out.iterdir()):
            figures(run_dir)
        print(f"exit code {proc.returncode}; run stored under {out}" + (" (temporary)" if not args.out else ""))
        sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
