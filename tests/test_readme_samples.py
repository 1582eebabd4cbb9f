"""README's sample outputs are what their commands print today from the stored runs (docs/readme_samples.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_readme_sample_is_what_its_command_prints():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count("<!-- sample: mlbench ") >= 2  # the main job, the scorecard (NIST accuracy: a run's table,
    # benchmarks/accuracy_table.py)
    proc = subprocess.run([sys.executable, str(ROOT / "docs" / "readme_samples.py"), "--check"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
