"""The accuracy scenario: NIST's suite on the platforms, McCullough's table in the terminal, CSV and HTML."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

NIST_ORDER = ["Norris", "Pontius", "NoInt1", "NoInt2", "Filip", "Longley", "Wampler1", "Wampler2", "Wampler3",
              "Wampler4", "Wampler5"]


def _run_dir(out: Path) -> Path:
    return next(p for p in out.iterdir() if p.is_dir())


def _digits_rows(run_dir: Path) -> list[dict[str, str]]:
    proc = run_cli("report", str(run_dir), "--format", "digits-csv")
    assert proc.returncode == 0, proc.stderr
    return list(csv.DictReader(io.StringIO(proc.stdout)))


def test_accuracy_on_python_platforms_table_csv_html(tmp_path):
    proc = run_cli("run", "accuracy", "--adapters", "statsmodels,sklearn", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    shown = [name for name in NIST_ORDER if any(line.lstrip("│┃ ").startswith(name) for line in lines)]
    assert shown == NIST_ORDER  # every case, in NIST's order of difficulty, the two fits through 0 included
    assert "not run" not in proc.stdout
    run_dir = _run_dir(tmp_path)
    rows = {(r["nist_name"], r["adapter"]): r for r in _digits_rows(run_dir)}
    # measured facts, each with its cause in README: sklearn's lstsq cut-off (tol=1e-6) zeroes Pontius' x,
    # statsmodels' pinv keeps about 6 digits there, both are exact enough on Longley's well-scaled columns
    assert float(rows[("Pontius", "sklearn")]["min_digits"]) < 1 and rows[("Pontius", "sklearn")]["agrees"] == "False"
    assert 5 < float(rows[("Pontius", "statsmodels")]["min_digits"]) < 8
    assert float(rows[("Longley", "statsmodels")]["min_digits"]) >= 9
    assert float(rows[("Filip", "statsmodels")]["float64_input_digits"]) == pytest.approx(7.7, abs=0.3)
    for case in ("NoInt1", "NoInt2"):  # fitted through the origin, as NIST certified them
        assert rows[(case, "statsmodels")]["status"] == "ok" and float(rows[(case, "sklearn")]["min_digits"]) >= 13
    # graded against NIST's certified values too, and the reference itself graded against them
    assert float(rows[("Longley", "statsmodels")]["certified_min_digits"]) >= 9
    manifest = json.loads((run_dir / "run.json").read_text())
    for name, entry in manifest["truth"].items():
        if name.startswith("glm-"):  # the GLM suite beside NIST's: its truth is the certified MLE
            assert entry["engine"].startswith("GLM MLE certified") and entry["family"] in ("binomial", "poisson")
        else:
            assert entry["engine"].startswith("exact") and entry["vs_certified"]["min_digits"] >= 12
    assert "Correct digits, GLMs" in proc.stdout  # the GLM suite's table after NIST's
    glm_rows = [r for r in _digits_rows(run_dir) if r["dataset"].startswith("glm-")]
    assert len(glm_rows) == 16 and {r["family"] for r in glm_rows} == {"binomial", "poisson"}
    html = run_cli("report", str(run_dir), "--format", "html")
    assert html.returncode == 0 and 'id="accuracy"' in html.stdout and "Wampler5" in html.stdout


@pytest.mark.h2o
@pytest.mark.spark
@pytest.mark.tensorflow
def test_accuracy_on_every_platform(tmp_path):
    """`mlbench run accuracy` with its default adapters, JVMs, R, Octave and TensorFlow included, completes, grades
    every cell and exits 0 on a healthy install: Spark refusing Filip is a measurement (fault "platform"), not a failure
    of the run."""
    proc = run_cli("run", "accuracy", "--out", str(tmp_path), "--width", "200", timeout=1500)
    assert proc.returncode == 0, proc.stderr
    every = ["statsmodels", "sklearn", "h2o", "spark", "r", "octave", "tensorflow"]
    header = next(line for line in proc.stdout.splitlines() if "dataset" in line and "difficulty" in line)
    assert [name for name in every if f" {name} " in header] == every, header
    rows = _digits_rows(_run_dir(tmp_path))
    adapters = {r["adapter"] for r in rows if r["adapter"]}
    assert set(every) <= adapters
    graded = [r for r in rows if r["status"] == "ok"]
    assert len(graded) >= 9 * 4 - 1 and all(r["min_digits"] != "" for r in graded)
    spark_filip = next(r for r in rows if r["adapter"] == "spark" and r["nist_name"] == "Filip")
    assert spark_filip["status"] == "error" and "standard errors" in spark_filip["note"]
