"""`mlbench adapters new NAME`: an installable adapter package that plugs in through the entry point group."""

from __future__ import annotations

import re
from pathlib import Path

from mlbench.errors import MlbenchError

PYPROJECT = '''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "mlbench-{name}"
version = "0.1.0"
description = "mlbench adapter for {name}"
requires-python = ">=3.11"
dependencies = ["mlbench"]

# This line is what makes `mlbench --adapters {name}` find the adapter once the package is installed.
[project.entry-points."mlbench.adapters"]
{name} = "{package}.adapter:{cls}"

[tool.setuptools]
packages = ["{package}"]
'''

ADAPTER = '''"""mlbench adapter for {name}. Fill in the primitives your platform has and declare them in `capabilities`.

Rules of the conformance kit (`mlbench adapters check {name}`): platform calls only (mlbench does elimination,
emulation, timing and grading); import the platform inside methods, so listing adapters stays fast; name the
intercept "Intercept" and every other term by its column; honour `spec.seed`; close everything you start.
"""

from __future__ import annotations

from typing import Any

from mlbench.adapter import Adapter, Capability, DataSource, OLSFit, SessionOptions, TrainSpec
from mlbench.errors import UnsupportedStep


class {cls}(Adapter):
    name = "{name}"
    distribution = "{name}"  # the PyPI distribution whose version is reported as the platform version
    modules = ()  # import names that must be importable, e.g. ("{package_import}",)
    capabilities = {{
        # Declare what you implement, e.g. "pvalues": Capability.native("how your platform computes them").
        "pvalues": Capability.unsupported("not implemented yet"),
        "vif": Capability.unsupported("not implemented yet"),
        "subset": Capability.unsupported("not implemented yet"),
        "train": Capability.unsupported("not implemented yet"),
    }}

    def start_session(self, options: SessionOptions) -> None:
        super().start_session(options)  # imports `modules`; start clients or JVMs here (phase `session`)

    def load(self, source: DataSource) -> None:
        """Read source.parquet_path (or csv_path) with the platform's own reader (phase `load`)."""
        import pandas as pd

        self.frame = pd.read_parquet(source.parquet_path)
        self.target = source.target

    def ols(self, features: list[str]) -> OLSFit:
        raise UnsupportedStep("{name}: OLS not implemented")

    def vif(self, features: list[str]) -> dict[str, float]:
        raise UnsupportedStep("{name}: VIF not implemented")

    def fit(self, spec: TrainSpec) -> Any:
        raise UnsupportedStep(f"{name}: cannot train {{spec.family}}")

    def close(self) -> None:
        """Stop whatever start_session started; must be safe to call twice."""
'''

TEST = '''"""The mlbench conformance kit on this adapter: every declared step is checked against exact references."""

from {package}.adapter import {cls}
from mlbench.testing import parametrize_with_adapter_checks, run_check


@parametrize_with_adapter_checks([{cls}])
def test_conformance(adapter_cls, check):
    run_check(adapter_cls, check)
'''


def new_adapter(name: str, directory: Path) -> Path:
    """Write the package skeleton into directory/mlbench-NAME and return that path."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise MlbenchError(f"adapter name {name!r}: use lower-case letters, digits and _ (a Python identifier)")
    root = directory / f"mlbench-{name}"
    if root.exists():
        raise MlbenchError(f"{root} already exists")
    package = f"mlbench_{name}"
    cls = "".join(part.capitalize() for part in name.split("_")) + "Adapter"
    values = {"name": name, "package": package, "cls": cls, "package_import": name}
    (root / package).mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.format(**values), encoding="utf-8")
    (root / package / "__init__.py").write_text(f'"""mlbench adapter package for {name}."""\n', encoding="utf-8")
    (root / package / "adapter.py").write_text(ADAPTER.format(**values), encoding="utf-8")
    (root / "tests" / "test_conformance.py").write_text(TEST.format(**values), encoding="utf-8")
    (root / "README.md").write_text(
        f"# mlbench-{name}\n\n`pip install -e .` registers the `{name}` adapter with mlbench; "
        f"`mlbench adapters check {name}` runs the conformance kit; `pytest` runs it too.\n", encoding="utf-8")
    return root
