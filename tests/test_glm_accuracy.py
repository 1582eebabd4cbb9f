"""The GLM truth is the certified MLE; separation graded on what each platform said; the accuracy scenario's GLM
table (terminal, CSV, HTML); the scorecard's GLM criterion. Non-JVM platforms only (statsmodels, scikit-learn).

Independent references: the cases' stored certificates (mlbench/data/glm, certified once by
benchmarks/make_glm_cases.py, not by this run), digits recomputed here from the raw records with the plain LRE
formula, and closed forms (complete separation: every row fitted exactly, deviance 0)."""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from pathlib import Path

import numpy as np
import pytest
import yaml

from mlbench import api, glm_cases
from mlbench.results import load_run
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
CASES = ["glm-small-n30", "glm-collinear"]  # the suite's two smallest: seconds, not minutes, of certified truth
# x1 <= 4 has y = 0 and x1 >= 5 has y = 1: complete separation along x1 (x2 is noise)
SEPARATED = "y,x1,x2\n0,1,0.5\n0,2,1.7\n0,3,0.2\n0,4,2.5\n1,5,0.9\n1,6,1.1\n1,7,2.2\n1,8,0.4\n"


def _lre(got: float, truth: float) -> float:
    """McCullough's log relative error, capped at 15 (written here, not imported)."""
    if got == truth:
        return 15.0
    return max(0.0, min(15.0, -math.log10(abs(got - truth) / abs(truth))))


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The accuracy scenario on two GLM cases with statsmodels and scikit-learn (one run for the module)."""
    tmp = tmp_path_factory.mktemp("glm-accuracy")
    spec = yaml.safe_load((ROOT / "scenarios" / "accuracy.yaml").read_text())
    assert "glm" in spec["datasets"] and "nist" in spec["datasets"]  # the scenario covers both suites
    spec["datasets"] = CASES
    scenario = tmp / "glm-accuracy.yaml"
    scenario.write_text(yaml.safe_dump(spec))
    outcome = api.run(api.RunRequest(scenario=str(scenario), adapters=["statsmodels", "sklearn"],
                                     isolation="inline", out=tmp / "runs"))
    assert outcome.exit_code == 0
    return outcome.run_dir


@pytest.fixture(scope="module")
def separated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("separated")
    data = tmp / "separated.csv"
    data.write_text(SEPARATED)
    outcome = api.run(api.RunRequest(scenario="pvalues", data=data, target="y", family="binomial",
                                     adapters=["statsmodels", "sklearn"], isolation="inline", out=tmp / "runs"))
    return outcome.run_dir


def test_the_runs_truth_is_the_stored_certificate(suite_run: Path) -> None:
    """The run's truth (glm_reference.certified_fit = glm_exact.certify) equals the certificate stored with each
    case, number for number: both are the correctly rounded centre of a proven ball."""
    manifest, _ = load_run(suite_run)
    for name in CASES:
        stored = glm_cases.case(name).certified  # type: ignore[union-attr]
        answer = manifest["truth"][name]["answers"]["pvalues"]
        assert manifest["truth"][name]["engine"].startswith("GLM MLE certified")
        for term, numbers in stored["coefficients"].items():
            for quantity in ("estimate", "std_error", "z_value", "p_value"):
                assert answer["coefficients"][term][quantity] == float(numbers[quantity]), (name, term, quantity)
        assert answer["deviance"] == float(stored["deviance"]) and answer["aic"] == float(stored["aic"])


def test_glm_table_in_terminal_csv_and_html(suite_run: Path) -> None:
    _, records = load_run(suite_run)
    proc = run_cli("report", str(suite_run), "--width", "80")
    assert proc.returncode == 0, proc.stderr
    assert "Correct digits, GLMs" in proc.stdout
    assert all(len(line) <= 80 for line in proc.stdout.splitlines())
    labels = [glm_cases.case(n).name for n in CASES]  # type: ignore[union-attr]
    assert all(any(label in line for line in proc.stdout.splitlines()) for label in labels)
    csv_proc = run_cli("report", str(suite_run), "--format", "digits-csv")
    rows = {(r["dataset"], r["adapter"]): r for r in csv.DictReader(io.StringIO(csv_proc.stdout))}
    fits = {(r["dataset"], r["adapter"]): r for r in records if r["phase"] == "fit" and r["step"] == "pvalues"}
    assert set(rows) == set(fits) == {(d, a) for d in CASES for a in ("statsmodels", "sklearn")}
    for (name, adapter), row in rows.items():
        stored = glm_cases.case(name).certified["coefficients"]  # type: ignore[union-attr]
        got = fits[(name, adapter)]["result"]["coefficients"]
        estimate = min(_lre(got[t]["estimate"], float(v["estimate"])) for t, v in stored.items())
        se = min(_lre(got[t]["std_error"], float(v["std_error"])) for t, v in stored.items())
        assert float(row["estimate"]) == pytest.approx(estimate, abs=0.011), (name, adapter)
        assert float(row["std_error"]) == pytest.approx(se, abs=0.011), (name, adapter)
        assert row["family"] == "binomial" and row["converged"] == "True"
    # measured: statsmodels stops IRLS on an absolute 1e-8 (estimates 10+ digits) and takes SEs at the weights
    # before its last step (5-8); sklearn's lbfgs stops on a gradient tolerance of 1e-4 (2-4 digits)
    assert float(rows[("glm-small-n30", "statsmodels")]["estimate"]) >= 9
    assert float(rows[("glm-small-n30", "statsmodels")]["std_error"]) < float(
        rows[("glm-small-n30", "statsmodels")]["estimate"])
    assert all(float(rows[(n, "sklearn")]["estimate"]) < 6 for n in CASES)
    html = run_cli("report", str(suite_run), "--format", "html")
    assert html.returncode == 0 and "Correct digits, GLMs" in html.stdout and labels[0] in html.stdout


def test_separation_is_named_by_the_truth_and_graded_on_what_each_platform_said(separated_run: Path) -> None:
    manifest, records = load_run(separated_run)
    truth = manifest["truth"]["separated.csv"]["answers"]["pvalues"]
    assert truth["separation"]["kind"] == "complete" and truth["separation"]["separated_rows"] == 8
    assert "x1" in truth["separation"]["terms"]
    assert truth["deviance"] == 0.0  # every row fitted exactly in the limit: each contributes log 1
    assert all(math.isnan(c["estimate"]) for c in truth["coefficients"].values())  # no finite MLE
    fits = {r["adapter"]: r for r in records if r["phase"] == "fit"}
    statsmodels, sklearn = fits["statsmodels"], fits["sklearn"]
    assert any("separation" in w.lower() for w in statsmodels["result"]["warnings"])
    assert statsmodels["deviation"]["agrees"] is True
    assert statsmodels["deviation"]["grade"].startswith("agrees: warned of separation")
    # scikit-learn's lbfgs (C=np.inf) returns finite coefficients and says nothing
    assert all(np.isfinite(c["estimate"]) for c in sklearn["result"]["coefficients"].values())
    assert not sklearn["result"]["warnings"] and sklearn["result"]["converged"] is not False
    assert sklearn["deviation"]["agrees"] is False
    assert sklearn["deviation"]["grade"].startswith("differs: finite estimates where no finite MLE exists")
    proc = run_cli("report", str(separated_run))
    assert "warned of separation" in proc.stdout and "finite estimates where no finite MLE" in proc.stdout


def test_searches_order_by_the_refined_fit_and_report_certified_fits() -> None:
    """Subset searches order models by the extended-precision fit and certify what they report: every answer
    equals the one that certifies every visited model, at a fraction of the certificates."""
    from mlbench import steps
    from mlbench.datasets import load_glm_case
    from mlbench.design import build_design
    from mlbench.stats import glm_exact, glm_reference
    from mlbench.stats.procedures import StepContext
    from mlbench.steps.stats_steps import SubsetStep

    dataset = load_glm_case("glm-collinear")
    design = build_design(dataset.frame, dataset.target, family=dataset.family)
    answers, certificates = {}, {}
    for choice in ("refined", "certified"):
        glm_reference.SEARCH_FITS = choice
        try:
            reference = glm_reference.GLMReference(design.X, design.y, design.features, design.family)
            ctx = StepContext(features=design.features, X=design.X, y=design.y, support="reference",
                              terms=design.terms)
            spec = SubsetStep(step="subset", methods=["best", "forward", "backward"], family=design.family)
            answers[choice] = {v: steps.compute(spec, v, reference, ctx) for v in ("best", "forward", "backward")}
            certificates[choice] = reference.certificates
        finally:
            glm_reference.SEARCH_FITS = "refined"
    assert answers["refined"] == answers["certified"]
    assert certificates["refined"] < certificates["certified"] == 2 ** len(design.features)  # every model
    for entry in answers["refined"]["best"]["by_size"].values():  # every reported deviance is certified
        columns = [design.features.index(f) for f in entry["features"]]
        expected = glm_exact.certify(design.X[:, columns], design.y, entry["features"], "binomial").fit
        assert expected is not None and entry["deviance"] == expected.deviance and entry["aic"] == expected.aic


def test_scorecard_counts_the_glm_cells_against_the_certified_truth(suite_run: Path, separated_run: Path) -> None:
    """GLM digits lost: the median over a platform's GLM cells of 15 - min digits (no input ceiling: the cases
    are doubles), the worst beside it; on separated data a platform that said so loses nothing, silent finite
    numbers lose all 15. Recomputed here from the raw records."""
    proc = run_cli("scorecard", str(suite_run), str(separated_run), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    card = json.loads(proc.stdout)
    cells = {row["adapter"]: row["cells"]["glm_digits_lost"] for row in card["rows"]}
    for adapter in ("statsmodels", "sklearn"):
        lost = []
        for run_dir in (suite_run, separated_run):
            for r in load_run(run_dir)[1]:
                if r["adapter"] != adapter or r["phase"] != "fit" or r["params"].get("family") == "gaussian":
                    continue
                deviation = r["deviation"]
                if deviation.get("separation"):
                    lost.append(0.0 if deviation["agrees"] else 15.0)
                else:
                    lost.append(max(15.0 - deviation["min_digits"], 0.0))
        assert cells[adapter]["value"] == pytest.approx(statistics.median(lost), abs=1e-9)
        assert cells[adapter]["text"] == f"{statistics.median(lost):.1f}, worst {max(lost):.1f}"
    assert card["best"]["glm_digits_lost"] == ["statsmodels"]


def test_vif_on_separated_data_is_graded_on_what_the_full_fit_said(tmp_path: Path) -> None:
    """car::vif from the covariance of a fit that has no finite MLE: the VIF cell carries what the platform said
    of that fit (statsmodels' warning: agrees; scikit-learn's silence: differs)."""
    data = tmp_path / "separated.csv"
    data.write_text(SEPARATED)
    outcome = api.run(api.RunRequest(scenario="glm-selection", data=data, target="y", adapters=["statsmodels",
                                     "sklearn"], isolation="inline", out=tmp_path / "runs",
                                     settings={"subset": {"methods": "best"}}))
    vif = {r["adapter"]: r for r in outcome.records if r["phase"] == "fit" and r["step"] == "vif"}
    assert vif["statsmodels"]["deviation"]["grade"].startswith("agrees: warned of separation")
    assert vif["sklearn"]["deviation"]["grade"].startswith("differs: finite estimates where no finite MLE")
    assert outcome.manifest["truth"]["separated.csv"]["answers"]["vif"]["separation"]["kind"] == "complete"
