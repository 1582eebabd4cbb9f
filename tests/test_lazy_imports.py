"""Importing mlbench and its CLI (and running --help) must not import any ML platform."""

from __future__ import annotations

import subprocess
import sys

PLATFORMS = ("sklearn", "statsmodels", "h2o", "pyspark", "xgboost", "tensorflow", "ydf", "tf2onnx", "lightgbm",
             "catboost")


def _imported_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint('LOADED=' + ','.join(m for m in {PLATFORMS!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith("LOADED=")
    return [m for m in line.removeprefix("LOADED=").split(",") if m]


def test_import_mlbench_and_cli_imports_no_platform():
    assert _imported_after("import mlbench, mlbench.cli") == []


def test_help_imports_no_platform():
    code = (
        "import sys\nsys.argv=['mlbench','--help']\nimport mlbench.cli\n"
        "try:\n    mlbench.cli.app()\nexcept SystemExit:\n    pass"
    )
    assert _imported_after(code) == []


def test_listing_adapters_imports_no_platform():
    assert _imported_after("from mlbench import api\napi.list_adapters()") == []
