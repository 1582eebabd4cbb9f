"""Regression through the origin (`intercept: false`, `--no-intercept`, NIST's NoInt1 and NoInt2): the truth, the
emulated inference and every platform's own call, against closed forms written here with Python's Fractions
(R's summary.lm for y ~ 0 + x: R² = 1 - RSS/Σy², adj. R² = 1 - (1 - R²) n/(n - p), F = (R²/p)/((1 - R²)/(n - p)))."""

from __future__ import annotations

import json
import math
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlbench import api, nist
from mlbench.datasets import load_nist
from mlbench.design import build_design
from mlbench.stats import emulate, exact, reference
from tests.conftest import run_cli

NOINT = ("nist-noint1", "nist-noint2")
R_AVAILABLE = shutil.which("Rscript") is not None


def _digits(got: float, truth: float) -> float:
    """Correct significant digits, independent of mlbench.grading."""
    return 16.0 if got == truth else -math.log10(abs(got - truth) / abs(truth))


def _closed_form(x: list[Fraction], y: list[Fraction]) -> dict[str, Fraction]:
    """y = b·x by least squares, exactly: b = Σxy/Σx², RSS = Σy² - b Σxy, Var(b) = RSS/(n - 1)/Σx², and R's
    uncentred R² and F for a fit through the origin (p = 1)."""
    n = len(y)
    sxx, sxy, syy = sum(v * v for v in x), sum(a * b for a, b in zip(x, y, strict=True)), sum(v * v for v in y)
    b = sxy / sxx
    rss = syy - b * sxy
    r2 = 1 - rss / syy
    return {"b": b, "var_b": rss / (n - 1) / sxx, "rss": rss, "r2": r2, "adj": 1 - (1 - r2) * n / (n - 1),
            "f": (r2 / 1) / ((1 - r2) / (n - 1))}


@pytest.mark.parametrize("name", NOINT)
def test_noint_truth_reproduces_nist_certified_values_to_14_digits(name):
    """The reference as a run builds it (the case's own model: no intercept) against NIST's certified estimate and
    standard deviation, and against the closed form on NIST's exact decimals."""
    dataset = load_nist(name)
    assert dataset.intercept is False and nist.case(name).unsupported is None
    design = build_design(dataset.frame, "y")
    fitter = reference.ReferenceFitter(design.frame, "y", dataset.exact, intercept=dataset.intercept)
    fit = fitter.ols(design.features)
    cert = dataset.truth["certified"]
    assert fit.terms == ["x1"] and fit.df_model == 1 and fit.df_resid == len(design.frame) - 1
    assert _digits(fit.estimate[0], cert["coefficients"]["x1"]) >= 14
    assert _digits(fit.std_error[0], cert["std_errors"]["x1"]) >= 14
    assert _digits(math.sqrt(fit.rss / fit.df_resid), cert["residual_sd"]) >= 14
    assert _digits(fit.r_squared, cert["r_squared"]) >= 14
    assert _digits(fit.f_statistic, cert["f_statistic"]) >= 14
    closed = _closed_form(dataset.exact["x1"], dataset.exact["y"])
    assert fit.estimate[0] == float(closed["b"]) and fit.rss == float(closed["rss"])
    assert fit.r_squared == float(closed["r2"]) and fit.adj_r_squared == float(closed["adj"])
    assert fit.f_statistic == float(closed["f"])
    assert _digits(fit.std_error[0], math.sqrt(float(closed["var_b"]))) >= 15


def _design(n: int = 12, p: int = 3, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + 2.0
    return X, X @ np.array([1.5, -0.7, 0.3]) + rng.normal(size=n)


def _fractions_ols(X: np.ndarray, y: np.ndarray) -> dict[str, object]:
    """Exact normal equations X'X b = X'y over the doubles as Fractions (Gauss-Jordan), written for this test."""
    Xf = [[Fraction(v) for v in row] for row in X.tolist()]
    yf = [Fraction(v) for v in y.tolist()]
    p, n = X.shape[1], X.shape[0]
    A = [[sum(Xf[k][i] * Xf[k][j] for k in range(n)) for j in range(p)] + [sum(Xf[k][i] * yf[k] for k in range(n))]
         for i in range(p)]
    for c in range(p):
        A[c] = [v / A[c][c] for v in A[c]]
        for r in range(p):
            if r != c:
                A[r] = [a - A[r][c] * b for a, b in zip(A[r], A[c], strict=True)]
    b = [A[i][p] for i in range(p)]
    rss = sum((yf[k] - sum(Xf[k][j] * b[j] for j in range(p))) ** 2 for k in range(n))
    syy = sum(v * v for v in yf)
    r2 = 1 - rss / syy
    return {"b": [float(v) for v in b], "rss": float(rss), "r2": float(r2),
            "adj": float(1 - (1 - r2) * Fraction(n, n - p)), "f": float((r2 / p) / ((1 - r2) / (n - p)))}


def test_exact_float_fallback_and_emulation_agree_with_fractions_through_the_origin():
    X, y = _design()
    names = ["a", "b", "c"]
    closed = _fractions_ols(X, y)
    data = exact.ExactData.from_floats({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y})
    truth = exact.ols(data, "y", names, intercept=False)
    assert truth.terms == names and (truth.df_model, truth.df_resid) == (3, 9)
    assert truth.estimate == closed["b"] and truth.rss == closed["rss"]
    assert (truth.r_squared, truth.adj_r_squared, truth.f_statistic) == (closed["r2"], closed["adj"], closed["f"])
    assert exact.rss(data, "y", names, intercept=False) == closed["rss"]
    # the float64 fallback of the reference (large data) and mlbench's emulated inference: the same model
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y})
    fallback = reference._float_ols(X, y, names, intercept=False)
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    emulated = emulate.ols_inference(X, y, 0.0, beta, names, fit_intercept=False)
    for fit in (fallback, emulated):
        assert fit.terms == names and (fit.df_model, fit.df_resid) == (3, 9)
        for got, want in zip(fit.estimate, truth.estimate, strict=True):
            assert _digits(got, want) >= 13
        for got, want in zip(fit.std_error, truth.std_error, strict=True):
            assert _digits(got, want) >= 12
        for got, want in ((fit.r_squared, closed["r2"]), (fit.adj_r_squared, closed["adj"]), (fit.f_statistic,
                                                                                           closed["f"])):
            assert _digits(got, want) >= 12
    # the empty model y ~ 0 (elimination can end there): RSS Σy², R² 0, no F, on both engines
    empty = reference.ReferenceFitter(frame, "y", intercept=False).ols([])
    assert empty.terms == [] and empty.df_resid == 12 and empty.rss == float(sum(Fraction(v) ** 2 for v in y))
    assert empty.r_squared == 0.0 and math.isnan(empty.f_statistic)


def _run(tmp_path: Path, *adapters: str, **request: object) -> api.RunOutcome:
    return api.run(api.RunRequest(adapters=list(adapters), isolation="inline", out=tmp_path, **request))


def test_no_intercept_run_on_platforms_records_reports_and_skips_vif(tmp_path, capsys):
    """`--no-intercept` on Advertising: each platform's own fit through the origin graded against the truth's; the
    records and run.json say so, no `Intercept` row is printed, VIF is skipped with its reason."""
    adapters = ["statsmodels", "sklearn", *(["r"] if R_AVAILABLE else [])]
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: noint\ndataset: advertising\nsteps:\n  - step: pvalues\n    alpha: 0.05\n"
                        "  - step: vif\n")
    outcome = _run(tmp_path, *adapters, scenario=str(scenario), intercept=False)
    assert outcome.exit_code == 0
    manifest = json.loads((outcome.run_dir / "run.json").read_text())
    assert manifest["intercept"] is False and manifest["datasets"][0]["intercept"] is False
    cells = {(r["adapter"], r["step"]): r for r in outcome.records if r.get("step") and r["phase"] == "fit"}
    design = build_design(pd.read_csv(Path(__file__).parents[1] / "mlbench/data/advertising.csv", index_col=0),
                          "Sales")
    closed = _fractions_ols(design.X, design.y)
    for adapter in adapters:
        cell = cells[(adapter, "pvalues")]
        assert cell["status"] == "ok", cell
        result = cell["result"]
        assert result["intercept"] is False and "Intercept" not in result["coefficients"]
        assert result["f_df"] == [3, 197]
        assert _digits(result["r_squared"], closed["r2"]) >= 12 and _digits(result["f_statistic"], closed["f"]) >= 10
        assert cell["deviation"]["agrees"] is True, cell["deviation"]
        vif = cells[(adapter, "vif")]
        assert vif["status"] == "skipped" and "intercept" in vif["error"]
    from typer.testing import CliRunner

    from mlbench.cli import app

    shown = CliRunner().invoke(app, ["report", str(outcome.run_dir), "--width", "200"])
    assert shown.exit_code == 0 and "TV" in shown.stdout and "Intercept" not in shown.stdout


def test_elimination_to_the_empty_model_through_the_origin(tmp_path):
    """Every predictor dropped (alpha tiny): the refit is y ~ 0 on the platform and in the truth alike."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"u": rng.normal(size=30), "v": rng.normal(size=30), "y": rng.normal(size=30)})
    path = tmp_path / "noise.csv"
    frame.to_csv(path, index=False)
    adapters = ["statsmodels", "sklearn", *(["r"] if R_AVAILABLE else [])]
    outcome = _run(tmp_path, *adapters, scenario="pvalues", data=path, target="y", alpha=1e-9, intercept=False)
    for record in (r for r in outcome.records if r.get("step") == "pvalues" and r["phase"] == "fit"):
        assert record["status"] == "ok", record
        refit = record["result"]["refit"]
        assert record["result"]["dropped"] == ["u", "v"] or record["result"]["dropped"] == ["v", "u"]
        assert refit["coefficients"] == {} and refit["f_df"][1] == 30
        assert _digits(refit["rss"], float(sum(Fraction(v) ** 2 for v in frame["y"]))) >= 14
        assert record["deviation"]["agrees"] is True, record["deviation"]


def test_accuracy_on_noint_cases_grades_platforms_against_certified_values(tmp_path):
    """NoInt1 and NoInt2 in the accuracy scenario (restricted to them) on statsmodels, scikit-learn and R: each
    platform's fit through the origin against the exact truth and against NIST's certified values."""
    adapters = ["statsmodels", "sklearn", *(["r"] if R_AVAILABLE else [])]
    scenario = tmp_path / "noint.yaml"
    scenario.write_text("extends: accuracy\ndatasets: [nist-noint1, nist-noint2]\n")
    outcome = _run(tmp_path, *adapters, scenario=str(scenario))
    assert outcome.exit_code == 0 and outcome.manifest["datasets_not_run"] == []
    graded = [r for r in outcome.records if r.get("step") == "pvalues" and r["phase"] == "fit"]
    assert {(r["dataset"], r["adapter"]) for r in graded} == {(d, a) for d in NOINT for a in adapters}
    for record in graded:
        assert record["deviation"]["agrees"] is True, record
        assert record["deviation"]["min_digits"] >= 13, record["deviation"]
        assert record["deviation"]["certified"]["min_digits"] >= 13, record["deviation"]["certified"]
    for name in NOINT:
        assert outcome.manifest["truth"][name]["vs_certified"]["min_digits"] >= 14


def test_a_certified_case_fitted_through_the_origin_keeps_no_certified_grade(tmp_path):
    """--no-intercept on Norris (certified with an intercept): a different model, so no certified values."""
    outcome = _run(tmp_path, "statsmodels", scenario="accuracy", dataset="nist-norris", intercept=False)
    record = next(r for r in outcome.records if r.get("step") == "pvalues" and r["phase"] == "fit")
    assert "certified" not in record["deviation"] and "Intercept" not in record["result"]["coefficients"]
    assert record["deviation"]["agrees"] is True


@pytest.mark.h2o
@pytest.mark.spark
def test_spark_fits_noint_cases_through_the_origin_and_h2o_says_it_cannot(tmp_path):
    """Spark's fitIntercept=False against NIST's certified values; H2O computes no p-values without an intercept,
    so its cells are unsupported with that reason (not answered with another model), and the run exits 0."""
    scenario = tmp_path / "noint.yaml"
    scenario.write_text("extends: accuracy\ndatasets: [nist-noint1, nist-noint2]\n")
    outcome = api.run(api.RunRequest(scenario=str(scenario), adapters=["h2o", "spark"], out=tmp_path))
    assert outcome.exit_code == 0
    cells = {(r["adapter"], r["dataset"]): r for r in outcome.records if r.get("step") == "pvalues"
             and r["phase"] == "fit"}
    for name in NOINT:
        spark, h2o = cells[("spark", name)], cells[("h2o", name)]
        assert spark["status"] == "ok" and "Intercept" not in spark["result"]["coefficients"], spark
        assert spark["deviation"]["agrees"] is True and spark["deviation"]["certified"]["min_digits"] >= 13
        assert h2o["status"] == "unsupported" and "no p-values" in h2o["error"], h2o
    # Spark's elimination down to y ~ 0 (Spark fits no zero-column model: n and Σy² by its own aggregation)
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"u": rng.normal(size=30), "v": rng.normal(size=30), "y": rng.normal(size=30)})
    frame.to_csv(tmp_path / "noise.csv", index=False)
    outcome = api.run(api.RunRequest(scenario="pvalues", data=tmp_path / "noise.csv", target="y", alpha=1e-9,
                                     intercept=False, adapters=["spark"], out=tmp_path / "empty"))
    record = next(r for r in outcome.records if r.get("step") == "pvalues" and r["phase"] == "fit")
    assert record["status"] == "ok" and record["result"]["refit"]["coefficients"] == {}, record
    assert record["deviation"]["agrees"] is True, record["deviation"]


def test_no_intercept_flag_on_the_command_line(tmp_path):
    """`mlbench run --no-intercept` reaches the fits (the scenario's own `intercept` is True); without the flag the
    same run fits the intercept; `intercept: maybe` in a scenario is a one-line error, exit 2."""
    from typer.testing import CliRunner

    from mlbench.cli import app

    runner = CliRunner()
    for flag, has_intercept in ((["--no-intercept"], False), ([], True)):
        out = tmp_path / ("origin" if flag else "mean")
        shown = runner.invoke(app, ["run", "pvalues", "--adapters", "statsmodels", "--isolation", "inline",
                                    "--out", str(out), "--json", *flag])
        assert shown.exit_code == 0, shown.stdout
        run_dir = next(out.iterdir())
        manifest = json.loads((run_dir / "run.json").read_text())
        assert manifest["intercept"] is has_intercept and manifest["request"]["intercept"] == (
            False if flag else None)
        record = next(json.loads(line) for line in (run_dir / "records.jsonl").read_text().splitlines()
                      if json.loads(line).get("step") == "pvalues" and json.loads(line)["phase"] == "fit")
        assert ("Intercept" in record["result"]["coefficients"]) is has_intercept
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nintercept: maybe\nsteps:\n  - step: pvalues\n")
    proc = run_cli("run", str(bad), "--adapters", "statsmodels", "--out", str(tmp_path))
    assert proc.returncode == 2 and "intercept: Input should be a valid boolean" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
