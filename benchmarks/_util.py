"""Shared by the benchmark scripts: run a command and measure its wall time and whole-tree peak RSS."""

from __future__ import annotations

import subprocess
import tempfile
import time

from mlbench.measure import wait_with_peak


def run_measured(cmd: list[str], interval: float = 0.02) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, peak RSS MB of the process tree, completed process) of one command.

    Output goes to temporary files, not pipes: nobody reads a pipe while the command runs, and a command that
    prints more than the pipe buffer (64 KB: a feature-selection run's tables) would block on it forever."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        peak, _ = wait_with_peak(proc, interval=interval)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        return wall, peak / 2**20, subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())
