"""The R adapter (lm/summary, car::vif, leaps::regsubsets, glm) against R's printed answers and the exact reference.

Every test here talks to a real `Rscript` process. The module is skipped, with the reason, where R or one of
car, leaps, jsonlite is missing (Debian: apt-get install r-base-core r-cran-car r-cran-leaps r-cran-jsonlite).
One adapter per dataset serves the module; starting R and loading its packages takes about a second.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import psutil
import pytest

from mlbench import steps
from mlbench.adapter import DataSource, SessionOptions, TrainSpec
from mlbench.design import build_design
from mlbench.errors import UnsupportedStep
from mlbench.grading import grade_subset
from mlbench.platforms.r import RAdapter, RError
from mlbench.platforms.statsmodels import StatsmodelsAdapter
from mlbench.stats import metrics, procedures
from tests.conftest import assert_rel, run_cli, run_json
from tests.helpers import context, materialise, reference_fitter, session_on, started
from tests.test_train import task_source

_available = RAdapter.availability()
if not _available.ok:
    pytest.skip(f"R adapter unavailable: {_available.reason}", allow_module_level=True)

ADVERTISING = ["TV", "Radio", "Newspaper"]
TOL = 1e-8
SIZES = [str(k) for k in range(1, 20)]


def _r_term(term: str) -> str:
    return "Intercept" if term == "(Intercept)" else term


def _assert_same_fit(got: dict, expected: dict, what: str) -> None:
    """A procedures.pvalues fit summary against R's printout (tests/reference/advertising.json)."""
    assert list(got["coefficients"]) == [_r_term(t) for t in expected["coefficients"]], what
    for term, values in expected["coefficients"].items():
        for key in ("estimate", "std_error", "t_value", "p_value"):
            assert_rel(got["coefficients"][_r_term(term)][key], values[key], TOL)
    for key in ("r_squared", "adj_r_squared", "f_statistic", "rss"):
        assert_rel(got[key], expected[key], TOL)
    assert got["f_df"] == [expected["f_numdf"], expected["f_dendf"]]
    assert got["n_obs"] == expected["n"]


@pytest.fixture(scope="module")
def advertising(tmp_path_factory):
    with session_on(RAdapter, "advertising", tmp_path_factory) as (design, _, adapter):
        yield design, adapter


@pytest.fixture(scope="module")
def hitters(tmp_path_factory):
    with session_on(RAdapter, "hitters", tmp_path_factory) as session:
        yield session


def test_declarations_and_version():
    assert RAdapter.name == "r"
    version = RAdapter.platform_version()
    assert version is not None and version.count(".") == 2  # e.g. "4.2.2", from `Rscript --version`
    for step, variant in [("pvalues", None), ("vif", None), ("subset", "best"), ("subset", "forward"),
                          ("subset", "backward"), ("train", "linear"), ("train", "logistic")]:
        assert steps.capability(RAdapter, step, variant).support.value == "native", (step, variant)
    for family in ("random_forest", "gbm"):
        cap = steps.capability(RAdapter, "train", family)
        assert cap.support.value == "unsupported" and "tree ensembles" in cap.reason


def test_availability_names_what_is_missing(monkeypatch):
    import mlbench.platforms.r as r_module

    r_module._r_problem.cache_clear()
    r_module._r_version.cache_clear()
    try:
        monkeypatch.setattr(r_module, "R_PACKAGES", ("leaps", "mlbenchnosuchpkg"))
        found = RAdapter.availability()
        assert not found.ok and "mlbenchnosuchpkg" in found.reason and "leaps" not in found.reason
        assert "apt-get install r-cran-mlbenchnosuchpkg" in found.reason
        r_module._r_problem.cache_clear()
        monkeypatch.setattr(r_module.shutil, "which", lambda _: None)
        found = RAdapter.availability()
        assert not found.ok and found.reason.startswith("R not installed: apt-get install r-base-core r-cran-car")
        assert RAdapter.platform_version() is None
    finally:
        r_module._r_problem.cache_clear()
        r_module._r_version.cache_clear()


def test_session_reports_r_and_package_versions(advertising):
    _, adapter = advertising
    facts = adapter.describe()
    assert facts["r_version"].startswith(f"R version {RAdapter.platform_version()}")
    assert set(facts["r_packages"]) == {"car", "leaps", "jsonlite"}


def test_advertising_pvalues_equal_r(advertising, r_advertising):
    design, adapter = advertising
    result = procedures.pvalues(adapter, design.features, alpha=0.05)
    _assert_same_fit(result, r_advertising["full_model"], "full model")
    assert result["dropped"] == ["Newspaper"] and result["kept"] == ["TV", "Radio"]
    _assert_same_fit(result["refit"], r_advertising["reduced_model_tv_radio"], "refit on TV + Radio")
    assert result["aliased"] == []


def test_advertising_vif_equals_car_vif(advertising, r_advertising):
    design, adapter = advertising
    result = procedures.vif(adapter, design.features, threshold=10)
    for name, expected in r_advertising["vif_full_model"].items():
        assert_rel(result["vif"][name], expected, TOL)
    assert result["dropped"] == [] and result["kept"] == ADVERTISING
    assert_rel(adapter.vif(["TV", "Newspaper"])["TV"], r_advertising["vif_tv_regressed_on_newspaper"], TOL)


def test_intercept_only_model(advertising, r_advertising):
    _, adapter = advertising
    fit = adapter.ols([])
    assert fit.terms == ["Intercept"] and fit.df_model == 0 and np.isnan(fit.f_statistic)
    assert fit.df_resid == 199 and fit.r_squared == 0.0


@pytest.mark.parametrize("method", ["best", "forward", "backward"])
def test_hitters_subsets_equal_the_reference_at_every_size(method, hitters):
    design, _, adapter = hitters
    got = procedures.subset(adapter, context(design, "native"), method, None, 20000)
    ref = procedures.subset(reference_fitter(design), context(design, "reference"), method, None, 20000)
    assert got["fits"] is None  # R searched natively: mlbench drove no fits
    for size in SIZES:
        assert set(got["by_size"][size]["features"]) == set(ref["by_size"][size]["features"]), (method, size)
        assert_rel(got["by_size"][size]["rss"], ref["by_size"][size]["rss"], TOL)
    verdict = grade_subset(got, ref, TOL)
    assert verdict["agrees"], verdict["grade"]
    assert verdict["sizes_agree"] == 19 and verdict["chosen_same"]


def test_hitters_best_subsets_equal_leaps_printout(hitters, r_hitters_subsets):
    design, _, adapter = hitters
    got = procedures.subset(adapter, context(design, "native"), "best", None, 20000)
    for expected in r_hitters_subsets["best_by_size"]:
        row = got["by_size"][str(expected["size"])]
        assert set(row["features"]) == set(expected["variables"])
        for key, r_key in [("rss", "rss"), ("adj_r_squared", "adjr2"), ("cp", "cp"), ("bic", "bic")]:
            assert_rel(row[key], expected[r_key], TOL)
    assert got["chosen"] == r_hitters_subsets["chosen_size"]


def test_subset_up_to_a_max_size(hitters):
    design, _, adapter = hitters
    path = adapter.subset("best", design.features, 3)
    assert sorted(path) == [1, 2, 3]
    assert path[1][0] == ["CRBI"] and set(path[2][0]) == {"Hits", "CRBI"}


def test_hitters_pvalues_equal_statsmodels(hitters, tmp_path):
    design, source, adapter = hitters
    other = started(StatsmodelsAdapter, source, tmp_path)
    got, expected = adapter.ols(design.features), other.ols(design.features)
    assert got.terms == expected.terms == ["Intercept", *design.features]
    for key in ("estimate", "std_error", "t_value", "p_value"):
        for term, value, want in zip(got.terms, getattr(got, key), getattr(expected, key), strict=True):
            assert abs(value - want) <= TOL * abs(want), (key, term, value, want)
    for key in ("r_squared", "adj_r_squared", "f_statistic", "rss"):
        assert_rel(getattr(got, key), getattr(expected, key), TOL)
    assert (got.df_model, got.df_resid, got.n_obs) == (19, 243, 263)
    # the whole step (backward elimination by p-value) agrees with the reference
    mine = procedures.pvalues(adapter, design.features, 0.05)
    ref = procedures.pvalues(reference_fitter(design), design.features, 0.05)
    assert mine["dropped"] == ref["dropped"] and mine["kept"] == ref["kept"]


def test_odd_names_and_aliased_terms(tmp_path):
    """Names R would mangle stay mlbench's; an exactly collinear column is R's NA coefficient (aliased)."""
    rng = np.random.default_rng(7)
    a, b = np.round(rng.normal(size=(2, 80)) * 2**20) / 2**20  # dyadic: a + b is exact, so exactly collinear
    names = ["x one", "2nd-col", "a + b (sum)", "Größe"]
    frame = pd.DataFrame({names[0]: a, names[1]: b, names[2]: a + b, names[3]: rng.normal(size=80),
                          "y value": 1 + a - 2 * b + rng.normal(size=80)})
    frame.to_csv(tmp_path / "odd.csv", index=False)
    frame.to_parquet(tmp_path / "odd.parquet", index=False)
    source = DataSource("odd", tmp_path / "odd.parquet", tmp_path / "odd.csv", "y value", names, 80)
    adapter = started(RAdapter, source, tmp_path)
    try:
        fit = adapter.ols(names)
        ref = reference_fitter(build_design(frame, "y value")).ols(names)
        assert fit.aliased == ref.aliased == ["a + b (sum)"]
        assert fit.terms == ref.terms == ["Intercept", "x one", "2nd-col", "Größe"]
        for value, want in zip(fit.estimate + fit.p_value, ref.estimate + ref.p_value, strict=True):
            assert abs(value - want) <= 1e-8 * abs(want)
        assert fit.df_model == 3 and fit.df_resid == 76
        with pytest.raises(RError, match="aliased coefficients"):  # car::vif refuses aliased models
            adapter.vif(names)
        vif = adapter.vif(["x one", "Größe"])  # the session survives an R error
        assert set(vif) == {"x one", "Größe"} and all(1 <= v < 1.2 for v in vif.values())
        with pytest.raises(ValueError, match="not a feature"):
            adapter.ols(["nope"])
    finally:
        adapter.close()


def _csv_source(tmp_path, task: str) -> tuple[DataSource, np.ndarray]:
    """tests.test_train's task, with the CSVs R reads written next to its Parquet files."""
    source, y_test = task_source(tmp_path, task)
    assert source.test_parquet_path is not None
    for part, path in (("train", source.parquet_path), ("test", source.test_parquet_path)):
        pd.read_parquet(path).to_csv(tmp_path / f"{part}.csv", index=False)
    return dataclasses.replace(source, csv_path=tmp_path / "train.csv", test_csv_path=tmp_path / "test.csv"), y_test


def test_logistic_learns_and_matches_statsmodels(tmp_path):
    source, y_test = _csv_source(tmp_path, "classification")
    adapter = started(RAdapter, source, tmp_path)
    try:
        model = adapter.fit(TrainSpec("logistic", "classification"))
        prediction = adapter.predict(model)
        assert prediction.shape == y_test.shape and prediction.dtype == np.float64
        assert np.all((prediction > 0) & (prediction < 1))
        assert metrics.auc(y_test, prediction) > 0.7
        # the same maximum-likelihood fit as statsmodels' Logit (glm's IRLS stops at a 1e-8 deviance change)
        other = started(StatsmodelsAdapter, source, tmp_path)
        assert np.max(np.abs(prediction - other.predict(other.fit(TrainSpec("logistic", "classification"))))) < 1e-6
        adapter.release(model)
        with pytest.raises(RError, match="no model"):
            adapter.predict(model)
        with pytest.raises(UnsupportedStep, match="tree ensembles"):
            adapter.fit(TrainSpec("random_forest", "classification"))
    finally:
        adapter.close()


def test_linear_regression_beats_the_mean(tmp_path):
    source, y_test = _csv_source(tmp_path, "regression")
    adapter = started(RAdapter, source, tmp_path)
    try:
        prediction = adapter.predict(adapter.fit(TrainSpec("linear", "regression")))
        assert metrics.r_squared(y_test, prediction) > 0.4
    finally:
        adapter.close()


def test_a_non_csv_data_file_is_refused_clearly(tmp_path):
    source, _ = task_source(tmp_path, "classification")  # its csv_path points at a Parquet file
    adapter = RAdapter()
    adapter.close()  # never started: close is still safe
    adapter.start_session(SessionOptions(run_dir=tmp_path))
    try:
        with pytest.raises(ValueError, match=r"not a \.csv file"):
            adapter.load(source)
    finally:
        adapter.close()


def test_close_stops_r_and_is_safe_twice(tmp_path):
    _, source = materialise("advertising", tmp_path)
    adapter = started(RAdapter, source, tmp_path)
    assert isinstance(adapter, RAdapter)
    pid = adapter.rscript_pid
    assert pid is not None and psutil.pid_exists(pid)
    adapter.close()
    adapter.close()
    assert adapter.rscript_pid is None
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    with pytest.raises(RuntimeError, match="not running"):
        adapter.ols(ADVERTISING)


def test_cli_feature_selection_on_hitters_with_statsmodels(tmp_path):
    records = run_json("run", "feature-selection", "--dataset", "hitters", "--adapters", "r,statsmodels", "--json",
                       "--out", str(tmp_path))
    r_records = [r for r in records if r["adapter"] == "r"]
    assert {r["phase"] for r in r_records} == {"session", "load", "fit"}
    assert all(r["status"] == "ok" for r in r_records), [(r["phase"], r["step"], r["error"]) for r in r_records]
    assert all(r["platform_version"] == RAdapter.platform_version() for r in r_records)
    fits = {(r["step"], r["variant"]): r for r in r_records if r["phase"] == "fit"}
    assert set(fits) == {("pvalues", None), ("vif", None), ("subset", "best"), ("subset", "forward"),
                         ("subset", "backward")}
    for (step, variant), record in fits.items():
        assert record["support"] == "native", (step, variant)
        assert record["deviation"]["agrees"], (step, variant, record["deviation"]["grade"])
    best = fits[("subset", "best")]["deviation"]
    assert best["same_set_by_size"] == dict.fromkeys(SIZES, True)
    statsmodels_best = next(r for r in records if r["adapter"] == "statsmodels" and r["phase"] == "fit"
                            and r["variant"] == "best")
    # emulated by branch and bound over statsmodels' own fits: far fewer than 2^19, and the same answer as R's leaps
    assert statsmodels_best["status"] == "ok" and statsmodels_best["deviation"]["agrees"]
    assert statsmodels_best["result"]["fits"] < 20_000


def test_tables_show_each_platform_against_live_r(tmp_path):
    proc = run_cli("run", "feature-selection", "--dataset", "advertising", "--adapters", "r,statsmodels,sklearn",
                   "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "vs R" in proc.stdout
    (run_dir,) = tmp_path.iterdir()
    from mlbench.reports.summary import r_agreement
    from mlbench.results import load_run

    manifest, _ = load_run(run_dir)
    versus = r_agreement(manifest)
    assert {k[1] for k in versus} == {"statsmodels", "sklearn"}
    assert all(v["agrees"] for v in versus.values()), versus
    html = run_cli("report", str(run_dir), "--format", "html")
    assert html.returncode == 0 and "vs R" in html.stdout


def test_vif_on_a_saturated_design_is_nan_with_rs_reason(tmp_path):
    """n = p + 1 (6 rows, 5 features): car::vif reads VIFs off vcov(lm), NaN without residual degrees of freedom,
    though each VIF, 1 / (1 - R²) of a column on the others, is defined by the design (checked here by numpy's
    lstsq). The grade shows R's NaN with that reason, not a removal R skipped."""
    from mlbench import grading

    rows = [[7, 3, 0, -4, -4, 8], [-9, -6, 6, 3, 8, -15], [9, 4, 3, 1, 1, 11], [6, 3, -9, -2, 7, 10],
            [5, 4, 7, -6, -8, 6], [1, -8, -4, 0, -1, 11]]
    design = build_design(pd.DataFrame(np.array(rows, dtype=float), columns=["x1", "x2", "x3", "x4", "x5", "y"]), "y")
    design.frame.to_parquet(tmp_path / "d.parquet", index=False)
    design.frame.to_csv(tmp_path / "d.csv", index=False)
    source = DataSource("saturated", tmp_path / "d.parquet", tmp_path / "d.csv", "y", design.features, 6)
    adapter = started(RAdapter, source, tmp_path)
    spec = steps.parse_spec({"step": "vif"})
    try:
        answer = steps.compute(spec, None, adapter, context(design, "native"))
    finally:
        adapter.close()
    assert all(np.isnan(v) for v in answer["vif"].values()) and answer["dropped"] == []
    truth = steps.compute(spec, None, reference_fitter(design), context(design, "reference"))
    X = design.X
    for j, name in enumerate(design.features):
        others = np.column_stack([np.ones(6), np.delete(X, j, axis=1)])
        residual = X[:, j] - others @ np.linalg.lstsq(others, X[:, j], rcond=None)[0]
        r2 = 1 - residual @ residual / np.sum((X[:, j] - X[:, j].mean()) ** 2)
        assert_rel(truth["vif"][name], 1 / (1 - r2), 1e-9)
    grade = grading.grade_vif(answer, truth, 6.0)["grade"]
    assert grade.startswith("differs: VIF NaN for x1, x2, x3, x4, x5 (n = 6 rows for 5 features and an intercept "
                            "leave no residual degrees of freedom, so VIFs read off the coefficients' covariance, "
                            "as car::vif reads them, are 0/0) where the truth has numbers"), grade
