"""Shared by the benchmark scripts: run a command and measure its wall time and whole-tree peak RSS."""

from __future__ import annotations

import contextlib
import subprocess
import time

import psutil

from mlbench.measure import tree_rss_bytes


def run_measured(cmd: list[str], interval: float = 0.02) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, peak RSS MB of the process tree, completed process) of one command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, tree_rss_bytes(root))
        time.sleep(interval)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    return wall, peak / 2**20, subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
