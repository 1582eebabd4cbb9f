"""Shared fixtures: R's reference answers (copied into tests/reference with provenance) and the CLI runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REFERENCE_DIR = Path(__file__).parent / "reference"


@pytest.fixture(scope="session")
def r_advertising() -> dict:
    return json.loads((REFERENCE_DIR / "advertising.json").read_text())


@pytest.fixture(scope="module")
def advertising(tmp_path_factory):
    """(design, source) of the built-in Advertising data, written where adapters read it."""
    from tests.helpers import materialise

    return materialise("advertising", tmp_path_factory.mktemp("advertising"))


@pytest.fixture(scope="session")
def r_hitters_subsets() -> dict:
    return json.loads((REFERENCE_DIR / "hitters_best_subset_partial.json").read_text())


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600, env: dict | None = None):
    """Run the real `mlbench` command in a subprocess (as a user would), returning CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "mlbench", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env=full_env,
    )


def run_json(*args: str, **kwargs) -> list[dict]:
    """A `mlbench ... --json` that must succeed (exit 0): its stdout read as the JSON it must be and nothing else
    (a run's records, one per cell and phase)."""
    proc = run_cli(*args, **kwargs)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def expect_usage_error(proc, needle: str) -> None:
    """Bad input as mlbench answers it: exit 2, no traceback, one line on stderr that says `needle`."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0], lines[0]


def assert_rel(value: float, expected: float, tol: float = 1e-8) -> None:
    assert abs(value - expected) <= tol * abs(expected), f"{value!r} != {expected!r} (rel tol {tol})"


# The JVMs the tests start (H2O, Spark drivers and standalone daemons, through every subprocess) compile with
# HotSpot's first tier only: short-lived JVMs on 2 cores spend much of their start in the optimising compiler,
# and no test measures a JVM's speed (benchmarks/ do, without this). Results are the same: Java's floating point
# does not depend on the compiler tier.
os.environ.setdefault("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1")
