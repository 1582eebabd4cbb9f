"""TensorFlow through the real CLI: p-values emulated from its float64 solve agree with R on Advertising, the
NIST grade shows the digits its default solve (fast=True, normal equations) keeps, training matches scikit-learn
where the models are the same, every deploy format reloads with stated parity, and without the extra nothing
imports it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import assert_rel, run_cli

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.tensorflow


@pytest.fixture(autouse=True)
def _needs_tensorflow():
    pytest.importorskip("tensorflow")


def _records(proc) -> list[dict]:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_pvalues_agree_with_r_and_statsmodels(tmp_path, r_advertising):
    records = _records(run_cli("run", "pvalues", "--adapters", "tensorflow,statsmodels", "--json",
                               "--out", str(tmp_path)))
    fits = {r["adapter"]: r for r in records if r["phase"] == "fit"}
    tf_fit = fits["tensorflow"]
    assert tf_fit["support"] == "emulated" and tf_fit["deviation"]["agrees"], tf_fit["deviation"]
    expected = r_advertising["full_model"]["coefficients"]["Newspaper"]["p_value"]
    assert_rel(tf_fit["result"]["coefficients"]["Newspaper"]["p_value"], expected, 1e-6)
    assert tf_fit["result"]["dropped"] == ["Newspaper"]
    assert fits["statsmodels"]["deviation"]["agrees"]
    session = next(r for r in records if r["adapter"] == "tensorflow" and r["phase"] == "session")
    assert session["result"]["intra_op_threads"] >= 1  # threads pinned to --cores in the session


def test_nist_longley_shows_what_the_normal_equations_cost(tmp_path):
    records = _records(run_cli("run", "accuracy", "--adapters", "tensorflow", "--json", "--out", str(tmp_path),
                               timeout=900))
    digits = {r["dataset"]: r["deviation"]["min_digits"] for r in records
              if r["phase"] == "fit" and r["status"] == "ok" and r.get("deviation")}
    # fast=True squares the condition number: Longley (kappa ~ 1e7 centred) keeps about 7 digits, not 13
    assert 5.0 < digits["nist-longley"] < 9.5, digits
    assert digits["nist-norris"] > 10, digits


def test_train_matches_sklearn_where_the_model_is_the_same(tmp_path):
    records = _records(run_cli("run", "train", "--sizes", "2000", "--adapters", "tensorflow,sklearn", "--json",
                               "--out", str(tmp_path), timeout=900))
    scores = {(r["adapter"], r["variant"], r["result"]["task"]): r["result"]["metrics"]
              for r in records if r["phase"] == "predict" and r["status"] == "ok"}
    # the same least squares to 1e-9; the same likelihood maximum, up to where sklearn's lbfgs stops (its tol)
    for family, task, metric, tol in (("logistic", "classification", "auc", 1e-4),
                                      ("linear", "regression", "rmse", 1e-9)):
        assert_rel(scores[("tensorflow", family, task)][metric], scores[("sklearn", family, task)][metric], tol)
    assert scores[("tensorflow", "gbm", "classification")]["auc"] > 0.75  # YDF learns the task
    assert scores[("tensorflow", "random_forest", "regression")]["rmse"] < 2.0


def test_deploy_formats_reload_in_a_fresh_process_with_stated_parity(tmp_path):
    records = _records(run_cli("run", "deploy", "--sizes", "2000", "--adapters", "tensorflow", "--json",
                               "--out", str(tmp_path), timeout=1200))
    reloads = {r["variant"]: r["result"] for r in records if r["phase"] == "reload" and r.get("result")}
    logistic = reloads["logistic"]["formats"]
    assert logistic["tf-savedmodel"]["ok"] and logistic["tf-savedmodel"]["parity_max_abs"] <= 1e-12
    assert logistic["onnx"]["ok"] and logistic["onnx"]["parity_max_abs"] <= 1e-12
    assert logistic["tflite"]["ok"] and logistic["tflite"]["parity_max_abs"] <= 1e-6  # float32 kernels
    for trees in ("random_forest", "gbm"):
        formats = reloads[trees]["formats"]
        assert formats["ydf"]["ok"] and formats["ydf"]["parity_max_abs"] == 0.0
        assert "ydf-tf" in formats["tf-savedmodel"]["error"]  # said why, not silently missing


def test_without_the_extra_it_is_unavailable_and_others_run(tmp_path):
    """tensorflow, ydf and tf2onnx made unimportable (None in sys.modules: find_spec says absent, import fails)
    stand in for an environment without the extra."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent("""
        import sys
        for name in ("tensorflow", "ydf", "tf2onnx"):
            sys.modules[name] = None
    """))
    env = {"PYTHONPATH": f"{site}{os.pathsep}{REPO}"}
    probe = "import json; from mlbench import api; print(json.dumps(api.list_adapters()))"
    listing = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                             env={**os.environ, **env})
    (row,) = [a for a in json.loads(listing.stdout) if a["name"] == "tensorflow"]
    assert row["available"] is False and "mlbench[tensorflow]" in row["reason"], row
    table = run_cli("list", "adapters", env={**env, "COLUMNS": "200"})
    (line,) = [ln for ln in table.stdout.splitlines() if "│ tensorflow" in ln]
    assert table.returncode == 0 and "no:" in line and "'tensorflow' is not" in line, line
    run = run_cli("run", "pvalues", "--adapters", "statsmodels", "--json", "--out", str(tmp_path / "runs"), env=env)
    assert run.returncode == 0, run.stderr
