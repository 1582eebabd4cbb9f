"""CSVs written by R's write.csv (dotted names, a row-names column) through every statistics adapter: no cell
fails on a column's name, and each platform's answer is graded against the exact reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

RDATA = Path(__file__).parent / "fixtures" / "rdata"
ADAPTERS = "statsmodels,sklearn,tensorflow,r,h2o,spark"


@pytest.mark.h2o
@pytest.mark.spark
@pytest.mark.parametrize(("name", "target", "dotted"), [("swiss", "Fertility", "Infant.Mortality"),
                                                         ("longley", "Employed", "GNP.deflator")])
def test_dotted_names_from_r_work_on_every_adapter(tmp_path, name, target, dotted):
    proc = run_cli("run", "pvalues", "--data", str(RDATA / f"{name}.csv"), "--target", target, "--adapters",
                   ADAPTERS, "--json", "--out", str(tmp_path), timeout=1200)
    assert proc.returncode in (0, 1), proc.stderr
    records = json.loads(proc.stdout)
    fits = {r["adapter"]: r for r in records if r["phase"] == "fit"}
    errors = {a: r["error"] for a, r in fits.items() if r["status"] == "error"}
    assert not errors, errors
    for adapter, fit in fits.items():
        if fit["status"] == "unsupported":  # e.g. an adapter not installed here
            continue
        assert dotted in fit["result"]["coefficients"], (adapter, list(fit["result"]["coefficients"]))
    # swiss is well conditioned: everyone agrees; on longley the float64 solvers that square the condition
    # number (Spark's normal equations, TensorFlow's fast lstsq) keep about 7 digits, and the grade says so
    agreeing = {a for a, fit in fits.items() if fit["status"] == "ok" and fit["deviation"]["agrees"]}
    assert {"statsmodels", "r"} <= agreeing
    if name == "swiss":
        assert agreeing == {a for a, fit in fits.items() if fit["status"] == "ok"}


def test_exact_ties_are_the_same_answer(tmp_path):
    """mtcars with wt2 = 2 wt: sets with wt or wt2 have equal RSS; R's leaps picks the other one at some sizes,
    and that is graded as agreeing (the tied sizes are listed), not as "other set"."""
    import shutil

    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed")
    proc = run_cli("run", "feature-selection", "--data", str(RDATA / "mtcars-collinear.csv"), "--target", "mpg",
                   "--adapters", "statsmodels,r", "--method", "best,forward", "--json", "--out", str(tmp_path),
                   timeout=900)
    records = json.loads(proc.stdout)
    subsets = {(r["adapter"], r["variant"]): r for r in records if r["phase"] == "fit" and r["step"] == "subset"}
    best = subsets[("r", "best")]["deviation"]
    assert best["agrees"] and best["tied_sizes"], best
    assert all(best["same_set_by_size"].values())
    assert subsets[("statsmodels", "best")]["deviation"]["agrees"]


def test_grade_subset_tells_a_tie_from_another_set():
    from mlbench.grading import grade_subset

    ref = {"by_size": {"1": {"features": ["wt"], "rss": 278.32, "r_squared": 0.75}},
           "chosen": {"bic": 1}}
    tie = {"by_size": {"1": {"features": ["wt2"], "rss": 278.32, "r_squared": 0.75}}, "chosen": {"bic": 1}}
    other = {"by_size": {"1": {"features": ["hp"], "rss": 447.67, "r_squared": 0.60}}, "chosen": {"bic": 1}}
    assert grade_subset(tie, ref, 6.0)["agrees"] and grade_subset(tie, ref, 6.0)["tied_sizes"] == ["1"]
    verdict = grade_subset(other, ref, 6.0)
    assert not verdict["agrees"] and verdict["grade"] == "differs: other set at size 1"


@pytest.mark.h2o
def test_h2o_refusals_on_a_collinear_design_are_one_clear_line(tmp_path):
    proc = run_cli("run", "feature-selection", "--data", str(RDATA / "mtcars-collinear.csv"), "--target", "mpg",
                   "--adapters", "h2o", "--json", "--out", str(tmp_path), timeout=900)
    fits = {(r["step"], r["variant"]): r for r in json.loads(proc.stdout) if r["phase"] == "fit"}
    errors = {key: r["error"] for key, r in fits.items() if r["status"] == "error"}
    assert errors[("vif", None)].startswith("RuntimeError: H2O refused the VIF: its GLM found exactly collinear "
                                            "columns [wt2]")
    assert errors[("subset", "backward")].startswith("RuntimeError: H2O refused the backward subset search: its "
                                                     "GLM found exactly collinear columns [wt2]")
    assert all("\n" not in e and "remove_collinear_columns" not in e and "Job with key" not in e
               for e in errors.values())
    # sizes stop at the rank (10), which ModelSelection accepts: its "reduce your max_predictor_number" is gone
    assert fits[("subset", "best")]["status"] == "ok"


def test_h2o_predictor_limit_refusal_reads_as_one_line():
    """ModelSelection's refusal text (seen before sizes were capped at the rank), translated by the adapter."""
    from mlbench.platforms.h2o import H2OAdapter

    raw = ("Job with key $03017f failed with an exception: water.exceptions.H2OModelBuilderIllegalArgumentException: "
           "Illegal argument(s) for ModelSelection model: m.  Details: ERRR on field: max_predictor_number: Your "
           "dataset contains duplicated predictors.  After removal, reduce your max_predictor_number to 10 or less.")
    with pytest.raises(RuntimeError) as caught, H2OAdapter._refusals("best subset search"):
        raise OSError(raw)
    assert str(caught.value) == ("H2O refused the best subset search: ModelSelection found duplicated (exactly "
                                 "collinear) predictors and searches at most 10 once they are removed")


def test_subset_sizes_stop_at_the_designs_rank(tmp_path):
    """mtcars + wt2 = 2 wt has 11 columns of rank 10: no platform is asked for a size-11 subset (leaps' nvmax)."""
    proc = run_cli("run", "feature-selection", "--data", str(RDATA / "mtcars-collinear.csv"), "--target", "mpg",
                   "--adapters", "statsmodels,sklearn", "--method", "best", "--json", "--out", str(tmp_path))
    subsets = [r for r in json.loads(proc.stdout) if r["phase"] == "fit" and r["step"] == "subset"]
    assert subsets and all(r["status"] == "ok" for r in subsets), [r.get("error") for r in subsets]
    for record in subsets:
        assert record["result"]["max_size"] == 10 and max(map(int, record["result"]["by_size"])) == 10
        assert record["deviation"]["agrees"], record["deviation"]["grade"]


def test_an_infinite_vif_is_not_a_missing_one(tmp_path):
    """sklearn's auxiliary R² of wt on the others is 1: VIF = inf, stored as "Infinity" (not null), read back as
    inf and printed as ∞ (a missing value prints as —)."""
    out = tmp_path / "runs"
    proc = run_cli("run", "feature-selection", "--data", str(RDATA / "mtcars-collinear.csv"), "--target", "mpg",
                   "--adapters", "sklearn", "--method", "forward", "--out", str(out), "--width", "100")
    assert "∞" in proc.stdout, proc.stdout[-2000:]
    (run_dir,) = out.iterdir()
    vif = next(json.loads(line) for line in (run_dir / "records.jsonl").read_text().splitlines()
               if '"step": "vif"' in line and '"phase": "fit"' in line)
    assert vif["result"]["vif"]["wt2"] == "Infinity"
    from mlbench.results import load_run

    _, records = load_run(run_dir)
    (fit,) = [r for r in records if r["step"] == "vif" and r["phase"] == "fit"]
    assert fit["result"]["vif"]["wt2"] == float("inf")
    report = run_cli("report", str(run_dir), "--format", "json")
    assert '"wt2": "Infinity"' in report.stdout  # strict JSON out again
