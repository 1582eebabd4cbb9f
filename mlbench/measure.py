"""Wall time, CPU time and peak resident memory of the whole process tree, measured the same way for all.

A JVM platform does its work in child processes (H2O's and Spark's JVMs), so measuring only the Python process
would flatter them. A sampler thread sums the RSS of this process and all its descendants every few
milliseconds; the peak over a phase is what is reported. Adapters never time themselves: the runner wraps each
phase in `measure()`. The tree's resident memory when a phase ends is kept too (`end_rss_mb`): what a load
leaves held above the tree's memory before it (`tree_rss_mb`) is the data footprint, the data as the platform
holds it, apart from what training adds.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psutil

SAMPLE_INTERVAL_S = 0.01


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return [root]


def tree_rss_bytes(root: psutil.Process) -> int:
    """Sum of RSS over a process and all its live descendants (JVM children included)."""
    total = 0
    for proc in _tree(root):
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue  # exited between listing and reading
    return total


def tree_rss_mb(pid: int | None = None) -> float:
    """The tree's resident MB now (`pid`'s, default this process's): the baseline a data footprint is above."""
    try:
        return tree_rss_bytes(psutil.Process(pid or os.getpid())) / 2**20
    except psutil.Error:
        return 0.0


def tree_cpu_seconds(root: psutil.Process) -> float:
    total = 0.0
    for proc in _tree(root):
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def wait_with_peak(proc: subprocess.Popen[Any], timeout: float | None = None,
                   interval: float = SAMPLE_INTERVAL_S * 2) -> tuple[int, bool]:
    """Wait for a child process while sampling its tree's RSS: (peak bytes, whether `timeout` ran out first).

    For processes the runner launches itself (artifact scorers, benchmark commands), where the measured tree
    is the child's rather than this process's."""
    root = psutil.Process(proc.pid)
    deadline = None if timeout is None else time.monotonic() + timeout
    peak = 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, tree_rss_bytes(root))
        if deadline is not None and time.monotonic() > deadline:
            return peak, True
        time.sleep(interval)
    return peak, False


@dataclass
class Measurement:
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    end_rss_mb: float = 0.0  # the tree's resident MB when the block ended: what a load leaves held (its data)


class _PeakSampler(threading.Thread):
    def __init__(self, root: psutil.Process, interval: float) -> None:
        super().__init__(name="mlbench-rss-sampler", daemon=True)
        self.root, self.interval = root, interval
        self.peak = tree_rss_bytes(root)
        self.last = self.peak
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.peak = max(self.peak, tree_rss_bytes(self.root))

    def finish(self) -> int:
        self._stop_event.set()
        self.join()
        self.last = tree_rss_bytes(self.root)
        self.peak = max(self.peak, self.last)
        return self.peak


@contextmanager
def measure(pid: int | None = None, interval: float = SAMPLE_INTERVAL_S) -> Iterator[Measurement]:
    """Measure the block: wall and CPU seconds and the peak tree RSS (MB) of `pid` (default: this process).

    CPU is the tree's, plus, when the tree is another process's (a worker), the CPU of the thread running the
    block here: what this process computes for the phase (an emulated step's arithmetic on the platform's
    answers) is part of it. So wall time far above CPU time means waiting, never uncounted work.
    The Measurement is filled in when the block exits, also when it raises.
    """
    own = pid is None or pid == os.getpid()
    root = psutil.Process(pid or os.getpid())
    result = Measurement()
    sampler = _PeakSampler(root, interval)
    cpu0 = tree_cpu_seconds(root)
    thread0 = 0.0 if own else time.thread_time()
    thread = threading.get_ident()
    sampler.start()
    t0 = time.perf_counter()
    try:
        yield result
    finally:
        result.wall_s = time.perf_counter() - t0
        result.peak_rss_mb = sampler.finish() / 2**20
        result.end_rss_mb = sampler.last / 2**20
        # a block begun on one thread and ended on another (the early session) ran nothing here on either
        here = 0.0 if own or threading.get_ident() != thread else time.thread_time() - thread0
        result.cpu_s = max(0.0, tree_cpu_seconds(root) - cpu0) + here
