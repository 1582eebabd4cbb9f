"""Shared by the benchmark scripts: run a command and measure its wall time and whole-tree peak RSS; compare two
measurements the way every performance claim here is made (alternated, median of the per-pair ratios)."""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable

from mlbench.measure import wait_with_peak


def run_measured(cmd: list[str], interval: float | None = 0.02) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, peak RSS MB of the process tree, completed process) of one command.

    `interval=None` only waits (peak 0): sampling a tree every 20 ms costs ~8% of a core (2.7 s of CPU over a
    30 s run of the four-platform job, mlbench's or the script's alike) that competes with the command on this
    2-core machine, so a wall-time comparison that needs no memory skips it.

    Output goes to temporary files, not pipes: nobody reads a pipe while the command runs, and a command that
    prints more than the pipe buffer (64 KB: a feature-selection run's tables) would block on it forever."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        if interval is None:
            proc.wait()
            peak = 0
        else:
            peak, _ = wait_with_peak(proc, interval=interval)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        return wall, peak / 2**20, subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())


def alternated(pairs: int, first: Callable[[int], float], second: Callable[[int], float], label: str,
               names: tuple[str, str]) -> tuple[float, float, float]:
    """Measure `first` and `second` alternated (A B A B ..., each called with the pair's index), print each pair,
    and return (median of A, median of B, median of the per-pair ratios A/B): on a shared, noisy machine a ratio
    of neighbours is a claim, one absolute time is not."""
    a_walls, b_walls, ratios = [], [], []
    for i in range(pairs):
        a, b = first(i), second(i)
        a_walls.append(a)
        b_walls.append(b)
        ratios.append(a / b)
        print(f"  {label} pair {i + 1}: {names[0]} {a:.2f} s, {names[1]} {b:.2f} s, ratio {a / b:.3f}", flush=True)
    return statistics.median(a_walls), statistics.median(b_walls), statistics.median(ratios)
