"""A new adapter in an afternoon: scaffold it, fill in a numpy least-squares pvalues step, run it, check it."""

from __future__ import annotations

import os

from mlbench.scaffold import new_adapter
from tests.conftest import run_cli, run_json

OLS_IMPLEMENTATION = '''
    def ols(self, features):
        import numpy as np
        from scipy import stats
        X = np.column_stack([np.ones(len(self.frame)), self.frame[features].to_numpy(float)])
        y = self.frame[self.target].to_numpy(float)
        beta, rss, *_ = np.linalg.lstsq(X, y, rcond=None)
        n, k = X.shape
        sigma2 = float(rss[0]) / (n - k)
        se = np.sqrt(np.diag(np.linalg.inv(X.T @ X)) * sigma2) * SCALE
        t = beta / se
        p = 2 * stats.t.sf(np.abs(t), n - k)
        tss = float(((y - y.mean()) ** 2).sum())
        r2 = 1 - float(rss[0]) / tss
        return OLSFit(["Intercept", *features], list(beta), list(se), list(t), list(p), r2,
                      1 - (1 - r2) * (n - 1) / (n - k), (r2 / (k - 1)) / ((1 - r2) / (n - k)), k - 1, n - k,
                      float(rss[0]), n)
'''


def _scaffold(tmp_path, name: str, scale: str) -> dict:
    root = new_adapter(name, tmp_path)
    adapter_py = root / f"mlbench_{name}" / "adapter.py"
    text = adapter_py.read_text()
    text = text.replace('"pvalues": Capability.unsupported("not implemented yet")',
                        '"pvalues": Capability.native("numpy lstsq + scipy t distribution")')
    start = text.index("    def ols(")
    end = text.index("    def vif(")
    text = text[:start] + OLS_IMPLEMENTATION.lstrip("\n") + "\n" + text[end:]
    adapter_py.write_text(text + f"\n\nSCALE = {scale}\n")
    assert (root / "pyproject.toml").read_text().count('"mlbench.adapters"') == 1
    assert "parametrize_with_adapter_checks" in (root / "tests" / "test_conformance.py").read_text()
    # registering the entry point in-process: the same table entry the installed package's entry point makes
    return {"MLBENCH_ADAPTERS": f"{name}=mlbench_{name}.adapter:{name.capitalize()}Adapter",
            "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}


def test_scaffolded_adapter_runs_and_passes_the_kit(tmp_path):
    env = _scaffold(tmp_path, "lstsq", "1.0")
    records = run_json("run", "pvalues", "--adapters", "lstsq", "--json", "--out", str(tmp_path / "runs"), env=env)
    (fit,) = [r for r in records if r["phase"] == "fit"]
    assert fit["status"] == "ok" and fit["deviation"]["agrees"] and fit["support"] == "native"
    check = run_cli("adapters", "check", "lstsq", env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "check_pvalues_equal_r" in check.stdout and "0 failed" in check.stdout


def test_a_wrong_implementation_fails_the_kit_with_a_clear_message(tmp_path):
    env = _scaffold(tmp_path, "wrong", "1.01")  # standard errors 1% too large
    check = run_cli("adapters", "check", "wrong", env=env)
    assert check.returncode == 1
    assert "check_pvalues_equal_r" in check.stdout and "failed" in check.stdout
    assert "std_error" in check.stdout and "R says" in check.stdout


def test_adapters_list_and_new_commands(tmp_path):
    listing = run_cli("adapters", "list")
    assert listing.returncode == 0 and "statsmodels" in listing.stdout and "pvalues=native" in listing.stdout
    created = run_cli("adapters", "new", "myplatform", "--dir", str(tmp_path))
    assert created.returncode == 0 and (tmp_path / "mlbench-myplatform" / "mlbench_myplatform" / "adapter.py").exists()
    again = run_cli("adapters", "new", "myplatform", "--dir", str(tmp_path))
    assert again.returncode == 2 and "already exists" in again.stderr
