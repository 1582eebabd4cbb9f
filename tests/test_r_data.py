"""CSVs written by R's write.csv (dotted names, a row-names column) through every statistics adapter: no cell
fails on a column's name, and each platform's answer is graded against the exact reference."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli

RDATA = Path(__file__).parent / "fixtures" / "rdata"
ADAPTERS = "statsmodels,sklearn,tensorflow,r,h2o,spark"


@pytest.mark.parametrize(("name", "target", "dotted"), [("swiss", "Fertility", "Infant.Mortality"),
                                                         ("longley", "Employed", "GNP.deflator")])
def test_dotted_names_from_r_work_on_every_adapter(tmp_path, name, target, dotted):
    """R's dotted names on the adapters that read them as they are; H2O and Spark (safe internal names) get a
    dotted name and every other kind in test_column_names_of_any_kind_work_on_every_adapter, one JVM run."""
    proc = run_cli("run", "pvalues", "--data", str(RDATA / f"{name}.csv"), "--target", target, "--adapters",
                   "statsmodels,sklearn,tensorflow,r", "--json", "--out", str(tmp_path), timeout=1200)
    assert proc.returncode in (0, 1), proc.stderr
    records = json.loads(proc.stdout)
    fits = {r["adapter"]: r for r in records if r["phase"] == "fit"}
    errors = {a: r["error"] for a, r in fits.items() if r["status"] == "error"}
    assert not errors, errors
    for adapter, fit in fits.items():
        if fit["status"] == "unsupported":  # e.g. an adapter not installed here
            continue
        assert dotted in fit["result"]["coefficients"], (adapter, list(fit["result"]["coefficients"]))
    # swiss is well conditioned: everyone agrees; on longley a float64 solver that squares the condition number
    # (TensorFlow's fast lstsq, as Spark's normal equations) keeps about 7 digits, and the grade says so
    agreeing = {a for a, fit in fits.items() if fit["status"] == "ok" and fit["deviation"]["agrees"]}
    assert {"statsmodels", "r"} <= agreeing
    if name == "swiss":
        assert agreeing == {a for a, fit in fits.items() if fit["status"] == "ok"}


def test_exact_ties_are_the_same_answer(tmp_path):
    """mtcars with wt2 = 2 wt: sets with wt or wt2 have equal RSS; R's leaps picks the other one at some sizes,
    and that is graded as agreeing (the tied sizes are listed), not as "other set"."""


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


# ----- factor terms: carData's Prestige, whose `type` has 3 levels (2 dummies), against R's own answers --------

PRESTIGE_R = json.loads((RDATA / "prestige-r.json").read_text())


def _prestige_fits(tmp_path, adapters: str, *extra: str) -> dict[tuple[str, str], dict]:
    proc = run_cli("run", "feature-selection", "--data", str(RDATA / "prestige.csv"), "--target", "prestige",
                   "--adapters", adapters, "--method", "forward", "--json", "--out", str(tmp_path), *extra,
                   timeout=1500)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert "4 of 102 rows dropped for missing values" in proc.stderr  # R's lm drops the same 4 rows
    return {(r["adapter"], r["step"]): r for r in json.loads(proc.stdout) if r["phase"] == "fit"}


def _assert_factor_answers_equal_r(fits: dict[tuple[str, str], dict]) -> None:
    from mlbench.grading import correct_digits

    errors = {key: r["error"] for key, r in fits.items() if r["status"] == "error"}
    assert not errors, errors
    for (adapter, step), record in fits.items():
        if record["status"] == "unsupported":
            continue
        result = record["result"]
        if step == "vif":  # car::vif's GVIF and GVIF^(1/(2 Df)) of every term, the factor's Df 2
            for term, r_values in PRESTIGE_R["gvif"].items():
                mine = result["gvif"][term]
                assert mine["df"] == r_values["df"], (adapter, term)
                assert correct_digits(mine["gvif"], r_values["gvif"]) >= 7, (adapter, term, mine, r_values)
                assert correct_digits(mine["gvif_adj"], r_values["gvif_adj"]) >= 7, (adapter, term)
        if step == "pvalues":  # drop1's F-test of the factor, and R's elimination by term
            test, r_test = result["term_tests"]["type"], PRESTIGE_R["drop1"]["type"]
            assert correct_digits(test["f"], r_test["f"]) >= 7 and abs(test["p"] - r_test["p"]) < 1e-9, adapter
            assert result["dropped"] == PRESTIGE_R["dropped"], adapter
            assert correct_digits(result["refit"]["adj_r_squared"], PRESTIGE_R["adj_r_squared_final"]) >= 7
        assert record["deviation"]["agrees"], (adapter, step, record["deviation"]["grade"])


def test_factor_terms_equal_car_and_drop1_without_jvms(tmp_path):
    """The reference, statsmodels (native VIF), scikit-learn and TensorFlow (emulated) and R (car::vif on the
    rebuilt factor) all give car's GVIF for `type` and eliminate it as drop1 does."""
    adapters = "statsmodels,sklearn,tensorflow" + (",r" if shutil.which("Rscript") else "")
    fits = _prestige_fits(tmp_path / "runs", adapters)
    _assert_factor_answers_equal_r(fits)
    assert {a for a, _ in fits} == set(adapters.split(","))


@pytest.mark.h2o
@pytest.mark.spark
def test_factor_terms_equal_car_and_drop1_on_h2o_and_spark(tmp_path):
    _assert_factor_answers_equal_r(_prestige_fits(tmp_path / "runs", "h2o,spark"))


def test_per_dummy_elimination_is_an_option(tmp_path):
    """--by column: each dummy stands alone, so typewc (p 0.93) is dropped first (merging wc into bc), as an
    elimination on R's model matrix does; VIF removal likewise drops the typeprof dummy instead of a term."""
    fits = _prestige_fits(tmp_path / "runs", "statsmodels,sklearn", "--by", "column", "--vif-threshold", "5")
    for adapter in ("statsmodels", "sklearn"):
        pvalues, vif = fits[(adapter, "pvalues")]["result"], fits[(adapter, "vif")]["result"]
        assert pvalues["dropped"] == PRESTIGE_R["dropped_columns"] == ["typewc", "women"]
        assert vif["dropped"][0] == "typeprof"  # VIF 9.36, the largest single column
        assert fits[(adapter, "pvalues")]["deviation"]["agrees"]
    by_term = _prestige_fits(tmp_path / "terms", "statsmodels", "--vif-threshold", "5")
    # by term: type's GVIF^(1/Df) = 3.22 is under 5, education's 6.32 is not
    assert by_term[("statsmodels", "vif")]["result"]["dropped"][0] == "education"


def test_gvif_from_a_platforms_vif_equals_the_exact_determinant_ratio():
    """The emulation (products of plain VIFs on sub-models) against the exact det R11 det R22 / det R, on a
    design with a 4-level factor and a collinear-ish numeric column."""
    import numpy as np
    import pandas as pd

    from mlbench.design import build_design
    from mlbench.stats import procedures
    from mlbench.stats.reference import ReferenceFitter

    rng = np.random.default_rng(3)
    n = 60
    level = rng.choice(list("abcd"), n)
    x1 = rng.normal(size=n) + (level == "b") * 1.5
    x2 = 0.8 * x1 + rng.normal(scale=0.3, size=n)
    frame = pd.DataFrame({"x1": x1, "g": level, "x2": x2, "y": x1 - x2 + rng.normal(size=n)})
    design = build_design(frame, "y")
    assert design.terms == {"x1": ["x1"], "g": ["gb", "gc", "gd"], "x2": ["x2"]}
    ref = ReferenceFitter(design.frame, "y")
    groups = procedures.term_groups(design.terms, design.features)
    exact = ref.gvif(design.features, groups, ref.vif(design.features))
    emulated = procedures.gvif_from_vif(procedures.vif_of(ref.vif), design.features, groups)
    for term in groups:
        assert abs(emulated[term] - exact[term]) <= 1e-12 * exact[term], term
    # Df-1 terms: the GVIF is the plain VIF; the factor's: the determinant ratio computed here in numpy
    centred = design.X - design.X.mean(axis=0)
    corr = np.corrcoef(centred, rowvar=False)
    b, o = [1, 2, 3], [0, 4]
    ratio = np.linalg.det(corr[np.ix_(b, b)]) * np.linalg.det(corr[np.ix_(o, o)]) / np.linalg.det(corr)
    assert abs(exact["g"] - ratio) < 1e-10 * ratio
    assert exact["x1"] == ref.vif(design.features)["x1"]


@pytest.mark.h2o
@pytest.mark.spark
def test_column_names_of_any_kind_work_on_every_adapter(tmp_path):
    """Leading digits, spaces, unicode, SQL words, H2O's own default name (C1), a dot, and a factor whose name
    and levels have spaces and dots: every adapter answers under the user's names and agrees with the truth."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(2)
    n = 90
    names = ["1st", "a b", "Größe", "select", "group", "C1", "x.y", "order"]
    frame = pd.DataFrame(rng.normal(size=(n, len(names))), columns=names)
    frame["kind of"] = rng.choice(["x y", "z.w", "ü"], n)
    frame["y"] = frame[names].to_numpy() @ rng.normal(size=len(names)) + (frame["kind of"] == "ü") + rng.normal(size=n)
    path = tmp_path / "hostile.csv"
    frame.to_csv(path, index=False)
    proc = run_cli("run", "feature-selection", "--data", str(path), "--target", "y", "--adapters", ADAPTERS,
                   "--method", "forward", "--json", "--out", str(tmp_path / "runs"), timeout=1500)
    fits = [r for r in json.loads(proc.stdout) if r["phase"] == "fit"]
    assert {r["adapter"] for r in fits} == set(ADAPTERS.split(","))
    for record in fits:
        assert record["status"] == "ok", (record["adapter"], record["step"], record["error"])
        assert record["deviation"]["agrees"], (record["adapter"], record["step"], record["deviation"]["grade"])
        if record["step"] == "pvalues":
            assert {*names, "kind ofz.w", "kind ofü"} <= set(record["result"]["coefficients"])
        if record["step"] == "vif":
            assert record["result"]["gvif"]["kind of"]["df"] == 2


def test_the_fixtures_are_what_r_writes(tmp_path):
    """Where R is installed (CI installs it), R writes the CSVs again and they equal the committed ones, and
    prestige.R's answers (car::vif, drop1, both eliminations) equal the committed JSON."""
    import subprocess

    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed")
    script = ('write.csv(swiss, "swiss.csv"); write.csv(longley, "longley.csv"); '
              'm <- mtcars; m$wt2 <- 2 * m$wt; write.csv(m, "mtcars-collinear.csv")')
    subprocess.run(["Rscript", "--no-init-file", "-e", script], cwd=tmp_path, check=True, capture_output=True)
    subprocess.run(["Rscript", "--no-init-file", str(RDATA / "prestige.R")], cwd=tmp_path, check=True,
                   capture_output=True)
    for name in ("swiss.csv", "longley.csv", "mtcars-collinear.csv", "prestige.csv"):
        assert (tmp_path / name).read_bytes() == (RDATA / name).read_bytes(), name
    written = json.loads((tmp_path / "prestige-r.json").read_text())
    assert written["dropped"] == PRESTIGE_R["dropped"] and written["dropped_columns"] == PRESTIGE_R["dropped_columns"]
    assert written["gvif"]["type"]["gvif"] == pytest.approx(PRESTIGE_R["gvif"]["type"]["gvif"], rel=1e-12)
    assert written["drop1"]["type"]["f"] == pytest.approx(PRESTIGE_R["drop1"]["type"]["f"], rel=1e-12)


def _factor_frame(seed: int, n: int = 40):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    g, h = rng.choice(list("abc"), n), rng.choice(list("xyz"), n)
    y = (g == "b") * 2.0 + (h == "z") * 1.0 + rng.normal(size=n)
    return pd.DataFrame({"g": g, "h": h, "x": rng.normal(size=n), "y": y})


def test_gvif_on_designs_of_factors_only(tmp_path):
    """Two factors of 3 levels (groups of equal size: jsonlite hands R a matrix) and one factor alone (car refuses
    a one-term model; its GVIF is 1 by definition): R, statsmodels and the truth agree."""
    adapters = "statsmodels" + (",r" if shutil.which("Rscript") else "")
    frame = _factor_frame(5)
    for name, columns in (("two", ["g", "h", "y"]), ("one", ["g", "y"])):
        path = tmp_path / f"{name}.csv"
        frame[columns].to_csv(path, index=False)
        proc = run_cli("run", "feature-selection", "--data", str(path), "--target", "y", "--adapters", adapters,
                       "--method", "forward", "--json", "--out", str(tmp_path / "runs"))
        fits = [r for r in json.loads(proc.stdout) if r["phase"] == "fit" and r["step"] == "vif"]
        assert {r["adapter"] for r in fits} == set(adapters.split(","))
        for record in fits:
            assert record["status"] == "ok" and record["deviation"]["agrees"], (name, record["error"])
            if name == "one":
                assert record["result"]["gvif"]["g"]["gvif"] == 1.0


def test_a_factor_left_alone_is_tested_against_the_intercept_only_model(tmp_path):
    """Elimination drops the noise column x first; the factor's F-test then compares it with the intercept alone,
    which scikit-learn cannot fit (no columns): its RSS is the TSS."""
    path = tmp_path / "f.csv"
    _factor_frame(8)[["g", "x", "y"]].to_csv(path, index=False)
    proc = run_cli("run", "pvalues", "--data", str(path), "--target", "y", "--adapters", "sklearn,statsmodels",
                   "--json", "--out", str(tmp_path / "runs"))
    fits = [r for r in json.loads(proc.stdout) if r["phase"] == "fit"]
    for record in fits:
        assert record["status"] == "ok", record["error"]
        assert record["result"]["dropped"] == ["x"] and record["deviation"]["agrees"], record["deviation"]["grade"]


def test_a_column_aliased_with_a_factors_dummies_counts_as_r_counts_it(tmp_path):
    """x4 = 2 gb - gc comes after the 3-level factor g, so it is aliased in the full model; R's drop1 keeps it in
    the formula and tests g with Df 1 (the rank g adds beside x4), not 2. The truth and the platforms do the
    same."""
    import subprocess

    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(11)
    n = 40
    g = rng.choice(list("abc"), n)
    frame = pd.DataFrame({"x1": rng.normal(size=n), "g": g, "x4": 2.0 * (g == "b") - (g == "c")})
    frame["y"] = 0.8 * frame["x1"] + 0.3 * (g == "b") + rng.normal(size=n)
    path = tmp_path / "alias.csv"
    frame.to_csv(path, index=False)
    proc = run_cli("run", "pvalues", "--data", str(path), "--target", "y", "--adapters", "statsmodels",
                   "--json", "--out", str(tmp_path / "runs"))
    (record,) = [r for r in json.loads(proc.stdout) if r["phase"] == "fit"]
    manifest = json.loads((tmp_path / "runs" / record["run_id"] / "run.json").read_text())
    truth = next(iter(manifest["truth"].values()))["answers"]["pvalues"]
    assert truth["aliased"] == ["x4"] and truth["term_tests"]["g"]["df"] == 1
    assert record["result"]["term_tests"]["g"]["df"] == 1  # statsmodels' own ranks (it estimates x4, min-norm)
    if shutil.which("Rscript"):
        script = ('d <- read.csv("alias.csv", stringsAsFactors = TRUE); t <- drop1(lm(y ~ ., d), test = "F"); '
                  'cat(sprintf("%d %.17g %.17g", t["g", "Df"], t["g", "F value"], t["g", "Pr(>F)"]))')
        out = subprocess.run(["Rscript", "--no-init-file", "-e", script], cwd=tmp_path, capture_output=True,
                             text=True, check=True).stdout.split()
        assert int(out[0]) == 1
        assert truth["term_tests"]["g"]["f"] == pytest.approx(float(out[1]), rel=1e-10)
        assert truth["term_tests"]["g"]["p"] == pytest.approx(float(out[2]), rel=1e-10)
