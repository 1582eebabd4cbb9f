"""The memory sampler sees the whole process tree, children included."""

from __future__ import annotations

import subprocess
import sys
import time

from mlbench.measure import measure

CHILD = (
    "import time; b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); "
    "print('ready', flush=True); time.sleep(3)"
)


def test_peak_includes_a_child_process_memory():
    with measure() as baseline:
        time.sleep(0.2)
    with measure() as m:
        child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        child.kill()
        child.wait()
    assert m.peak_rss_mb - baseline.peak_rss_mb > 250  # the child's 300 MB were counted
    assert m.wall_s >= 0.3


def test_cpu_time_is_measured():
    with measure() as m:
        end = time.process_time() + 0.3  # burn 0.3 s of CPU, however loaded the machine is
        while time.process_time() < end:
            pass
    # The kernel counts CPU time in clock ticks (10 ms): allow two ticks below the 0.3 s burnt.
    assert 0.28 <= m.cpu_s < 0.3 + m.wall_s and m.wall_s >= 0.28
