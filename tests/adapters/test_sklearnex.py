"""scikit-learn-intelex: p-values emulated from oneDAL's LinearRegression agree with R's lm on Advertising (12.1
digits measured; R's stored values carry 15), which code path ran (oneDAL or the stock fallback) is recorded per
call and reaches a run's records and how column, its unpenalised logistic GLM is stock scikit-learn's (sklearnex
says why) and equals R to lbfgs's digits, and its ONNX exports reload with the parity stated for each model.
The conformance kit runs it in tests/adapters/test_conformance.py."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from mlbench.adapter import DataSource, SessionOptions, TrainSpec
from mlbench.platforms.sklearnex import SklearnexAdapter, paths
from tests.adapters.test_glm_platforms import FEATURES, FIXTURE, R_ESTIMATE
from tests.conftest import run_cli
from tests.helpers import answer, session_on, started
from tests.test_train import task_source

if not SklearnexAdapter.availability().ok:
    pytest.skip(f"sklearnex unavailable: {SklearnexAdapter.availability().reason}", allow_module_level=True)


@pytest.fixture(scope="module")
def advertising(tmp_path_factory):
    with session_on(SklearnexAdapter, "advertising", tmp_path_factory) as (design, _, adapter):
        yield adapter, design


def _digits(got: float, expected: float) -> float:
    return -math.log10(max(abs(got - expected) / abs(expected), 1e-17))


def test_pvalues_on_advertising_equal_r_and_ran_on_onedal(advertising, r_advertising):
    """Estimates, SEs, t and p from oneDAL's normal-equations fit: >= 11 digits of R's 15 (12.1 measured: the
    normal equations square Advertising's condition number, ~1e2, where lstsq does not)."""
    adapter, design = advertising
    adapter.ran()  # forget the session's own calls
    result = answer(adapter, "pvalues", design, alpha=0.05)
    digits = {(term, key): _digits(result["coefficients"]["Intercept" if term == "(Intercept)" else term][key], value)
              for term, values in r_advertising["full_model"]["coefficients"].items() for key, value in values.items()}
    assert min(digits.values()) >= 11, min(digits.items(), key=lambda kv: kv[1])
    assert result["dropped"] == ["Newspaper"]
    assert adapter.ran() == "oneDAL: LinearRegression.fit"
    assert adapter.ran() is None  # asked once: the next cell starts empty


def test_sklearnex_words_become_one_line_per_path():
    """sklearnex 2026.2's own sentences (LogisticRegression(C=np.inf).fit: the dispatcher says accelerated, then
    daal4py's check falls back with its cause): the fallback cancels that call's "accelerated"."""
    said = [("LinearRegression.fit", "accelerated", ""), ("LogisticRegression.fit", "accelerated", ""),
            ("LogisticRegression.fit", "cause", "Penalties other than l2 are not supported."),
            ("LogisticRegression.fit", "fallback", ""), ("LinearRegression.fit", "accelerated", "")]
    assert paths(said, ["HistGradientBoostingClassifier"]) == (
        "oneDAL: LinearRegression.fit; stock scikit-learn: LogisticRegression.fit (Penalties other than l2 are not "
        "supported.); stock scikit-learn: HistGradientBoostingClassifier (not in sklearnex)")
    assert paths([], []) is None


@pytest.fixture(scope="module")
def classification(tmp_path_factory):
    directory = tmp_path_factory.mktemp("classification")
    source, _ = task_source(directory, "classification")
    adapter = SklearnexAdapter()
    adapter.start_session(SessionOptions(run_dir=directory))
    adapter.load(source)
    yield adapter, directory
    adapter.close()


def test_each_training_call_records_its_path(classification):
    """Read from sklearnex's logger, not from the declaration: the forest is oneDAL's, the unpenalised logistic
    falls back (C=inf is not an l2 penalty), gradient boosting is stock (sklearnex has none)."""
    adapter, _ = classification
    adapter.ran()
    spec = TrainSpec("random_forest", "classification", trees=10, max_depth=4)
    adapter.predict(adapter.fit(spec))
    assert adapter.ran() == "oneDAL: RandomForestClassifier.fit, RandomForestClassifier.predict_proba"
    adapter.fit(TrainSpec("logistic", "classification"))
    assert adapter.ran() == ("stock scikit-learn: LogisticRegression.fit (Penalties other than l2 are not "
                             "supported.)")
    adapter.predict(adapter.fit(TrainSpec("gbm", "classification", trees=5, max_depth=3)))
    assert adapter.ran() == ("stock scikit-learn: HistGradientBoostingClassifier (not in sklearnex); stock "
                             "scikit-learn: HistGradientBoostingClassifier.predict (not in sklearnex)")


def test_onnx_exports_reload_with_stated_parity(classification, tmp_path):
    """Linear models convert in float64 with sklearn's converters: exact to 1e-12. The forest converts from its
    `estimators_` (sklearn trees rebuilt from oneDAL's model) in float32; those trees hold only each leaf's
    majority class, so the ONNX model's P(y = 1) is the share of trees voting 1, not oneDAL's predict_proba (which
    averages the leaves' class frequencies): stated parity is the hard vote, and the gap to oneDAL is measured."""
    from mlbench.deploy.loaders import load

    adapter, _ = classification
    X_test = adapter.test[adapter.features].to_numpy(dtype=float)
    for family, tol in (("logistic", 1e-12), ("random_forest", 1e-6)):
        model = adapter.fit(TrainSpec(family, "classification", trees=10, max_depth=4, seed=3))
        directory = tmp_path / family
        directory.mkdir()
        exported = adapter.export(model, directory)
        assert exported["unavailable"] == {}, exported["unavailable"]
        onnx = next(a for a in exported["artifacts"] if a.kind == "onnx")
        reloaded = load(onnx, trusted=False)(X_test)
        stated = (np.mean([tree.predict(X_test.astype(np.float32)) for tree in model.estimators_], axis=0)
                  if family == "random_forest" else adapter.predict(model))
        assert np.max(np.abs(reloaded - stated)) <= tol, family
        joblib = next(a for a in exported["artifacts"] if a.kind == "joblib")
        assert np.array_equal(load(joblib, trusted=True)(X_test), adapter.predict(model))
    gap = np.max(np.abs(reloaded - adapter.predict(model)))
    assert gap > 0.05, f"oneDAL's forest probabilities now match the ONNX hard vote ({gap:.3g}): restate parity"


def test_logistic_glm_is_stock_lbfgs_and_equals_r(tmp_path):
    """ISLR's Default, R's summary(glm()) estimates: sklearn's lbfgs stopping rule gives 1e-6 relative (the
    sklearn row's tolerance, tests/adapters/test_glm_platforms.py); it is that code, as the record says."""
    frame = pd.read_csv(FIXTURE)
    design = pd.DataFrame({"default": (frame["default"] == "Yes").astype(float),
                           "studentYes": (frame["student"] == "Yes").astype(float),
                           "balance": frame["balance"], "income": frame["income"]})
    design.to_parquet(tmp_path / "default.parquet", index=False)
    source = DataSource("default", tmp_path / "default.parquet", tmp_path / "default.parquet", "default", FEATURES,
                        len(design))
    adapter = started(SklearnexAdapter, source, tmp_path)
    try:
        adapter.ran()
        fit = adapter.glm_coefficients(FEATURES, "binomial")
        for got, expected in zip([fit.intercept, *fit.coefficients], R_ESTIMATE, strict=True):
            assert abs(got - expected) <= 1e-6 * abs(expected)
        assert fit.converged is True
        assert adapter.ran().startswith("stock scikit-learn: LogisticRegression.fit (Penalties other than l2")
    finally:
        adapter.close()


def test_a_run_records_the_path_and_shows_it_in_the_how_column(tmp_path):
    """Through the real CLI in a worker process: the pvalues cell's record carries `ran`, and the wide CSV's
    how column (the side-by-side table's, terminal and HTML) says it."""
    proc = run_cli("run", "pvalues", "--adapters", "sklearnex", "--json", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    fit = next(r for r in json.loads(proc.stdout) if r["phase"] == "fit")
    assert fit["result"]["ran"] == "oneDAL: LinearRegression.fit" and fit["deviation"]["agrees"]
    run_dir = next(p for p in tmp_path.iterdir() if p.is_dir())
    wide = run_cli("report", str(run_dir), "-f", "wide-csv")
    assert wide.returncode == 0, wide.stderr[-2000:]
    assert "; ran: oneDAL: LinearRegression.fit" in wide.stdout
