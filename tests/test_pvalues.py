"""The pvalues step on scikit-learn and statsmodels equals R's lm (rel. error <= 1e-8), elimination included."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlbench.adapter import DataSource, SessionOptions
from mlbench.platforms.sklearn import SklearnAdapter
from mlbench.platforms.statsmodels import StatsmodelsAdapter
from tests.conftest import assert_rel, run_json
from tests.helpers import answer

FEATURES = ["TV", "Radio", "Newspaper"]


@pytest.fixture(scope="module")
def source(advertising) -> DataSource:
    return advertising[1]


@pytest.fixture(params=[StatsmodelsAdapter, SklearnAdapter], ids=["statsmodels", "sklearn"])
def adapter(request, source, tmp_path: Path):
    instance = request.param()
    instance.start_session(SessionOptions(run_dir=tmp_path))
    instance.load(source)
    yield instance
    instance.close()


def test_full_model_equals_r(adapter, advertising, r_advertising):
    result = answer(adapter, "pvalues", advertising[0], alpha=0.05)
    r_full = r_advertising["full_model"]
    for r_term, expected in r_full["coefficients"].items():
        got = result["coefficients"]["Intercept" if r_term == "(Intercept)" else r_term]
        for key in ("estimate", "std_error", "t_value", "p_value"):
            assert_rel(got[key], expected[key])
    # the brief's numbers, rounded as quoted
    assert round(result["coefficients"]["Newspaper"]["p_value"], 4) == 0.8599
    assert [round(result["coefficients"][t]["estimate"], 6) for t in ["Intercept", *FEATURES]] == [
        2.938889, 0.045765, 0.18853, -0.001037]
    assert_rel(result["r_squared"], r_full["r_squared"])
    assert_rel(result["adj_r_squared"], r_full["adj_r_squared"])
    assert_rel(result["f_statistic"], r_full["f_statistic"])
    assert result["f_df"] == [3, 196]
    assert round(result["adj_r_squared"], 4) == 0.8956


def test_newspaper_dropped_and_refit_equals_r(adapter, advertising, r_advertising):
    result = answer(adapter, "pvalues", advertising[0], alpha=0.05)
    assert result["dropped"] == ["Newspaper"]
    assert result["kept"] == ["TV", "Radio"]
    r_reduced = r_advertising["reduced_model_tv_radio"]
    assert_rel(result["refit"]["adj_r_squared"], r_reduced["adj_r_squared"])
    assert round(result["refit"]["adj_r_squared"], 6) == 0.896151
    for r_term, expected in r_reduced["coefficients"].items():
        got = result["refit"]["coefficients"]["Intercept" if r_term == "(Intercept)" else r_term]
        assert_rel(got["p_value"], expected["p_value"])


def test_alpha_one_keeps_everything(adapter, advertising):
    result = answer(adapter, "pvalues", advertising[0], alpha=0.99)
    assert result["dropped"] == []
    assert result["refit"]["coefficients"].keys() == result["coefficients"].keys()


def test_elimination_that_drops_every_predictor_ends_intercept_only_on_sklearn_as_on_statsmodels(tmp_path):
    """Issue 28 item 5: a binary target unrelated to three Gaussian columns; elimination drops all three. The
    emulated platform (scikit-learn cannot fit zero columns) finishes the intercept-only refit the truth's way
    (stats.ols.intercept_only) and agrees with statsmodels and the truth: exit 0."""

    import numpy as np


    X = np.random.default_rng(1).standard_normal((60, 3))
    path = tmp_path / "binary.csv"
    path.write_text("x1,x2,x3,y\n" + "\n".join(f"{a},{b},{c},{i % 2}" for i, (a, b, c) in enumerate(X)) + "\n")
    records = run_json("run", "pvalues", "--data", str(path), "--target", "y", "--adapters", "sklearn,statsmodels",
                       "--json", "--out", str(tmp_path / "runs"))
    fits = {r["adapter"]: r for r in records if r["phase"] == "fit"}
    assert set(fits) == {"sklearn", "statsmodels"}
    for record in fits.values():
        assert record["status"] == "ok", record["error"]
        assert sorted(record["result"]["dropped"]) == ["x1", "x2", "x3"]
        assert list(record["result"]["refit"]["coefficients"]) == ["Intercept"]
        assert record["deviation"]["agrees"]
    sk, sm = (fits[a]["result"]["refit"]["coefficients"]["Intercept"] for a in ("sklearn", "statsmodels"))
    assert_rel(sk["p_value"], sm["p_value"], 1e-9)
    assert_rel(sk["std_error"], sm["std_error"], 1e-9)
