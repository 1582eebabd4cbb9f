"""Shared by the benchmark scripts: run a command and measure its wall time and whole-tree peak RSS."""

from __future__ import annotations

import subprocess
import time

from mlbench.measure import wait_with_peak


def run_measured(cmd: list[str], interval: float = 0.02) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, peak RSS MB of the process tree, completed process) of one command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, _ = wait_with_peak(proc, interval=interval)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    return wall, peak / 2**20, subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
