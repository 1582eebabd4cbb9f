"""`mlbench --help` cold start vs `python -c "import typer"` on this machine.

Goal (issue 2): within 0.4 s and within 2x of importing typer. Prints medians over repeated runs.
Usage: python benchmarks/cli_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path


def _median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    script = Path(sysconfig.get_path("scripts")) / "mlbench"
    help_cmd = [str(script), "--help"] if script.exists() else [sys.executable, "-m", "mlbench", "--help"]
    typer_cmd = [sys.executable, "-c", "import typer"]
    _median_seconds(help_cmd, 2)  # warm the OS file cache; "cold" means a new interpreter, not a cold disk
    help_s = _median_seconds(help_cmd, runs)
    typer_s = _median_seconds(typer_cmd, runs)
    ratio = help_s / typer_s
    print(f"mlbench --help: {help_s:.3f} s (median of {runs}; {' '.join(help_cmd[:1])})")
    print(f"python -c 'import typer': {typer_s:.3f} s")
    print(f"ratio: {ratio:.2f}x (goal <= 2x); absolute goal <= 0.4 s: {'met' if help_s <= 0.4 else 'NOT met'}")


if __name__ == "__main__":
    main()
