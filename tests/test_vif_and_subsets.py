"""VIF and subset selection on statsmodels and scikit-learn, against R (car::vif, leaps) and closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlbench import steps
from mlbench.design import build_design
from mlbench.errors import SkippedCell
from mlbench.grading import grade_subset
from mlbench.platforms.sklearn import SklearnAdapter
from mlbench.platforms.statsmodels import StatsmodelsAdapter
from mlbench.stats import procedures
from tests.conftest import assert_rel
from tests.helpers import answer, context, materialise, reference_fitter, started

ADAPTERS = [StatsmodelsAdapter, SklearnAdapter]
IDS = ["statsmodels", "sklearn"]


@pytest.fixture(scope="module")
def advertising(tmp_path_factory):
    return materialise("advertising", tmp_path_factory.mktemp("adv"))


@pytest.fixture(scope="module")
def hitters(tmp_path_factory):
    return materialise("hitters", tmp_path_factory.mktemp("hit"))


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_advertising_vif_equals_car_vif(cls, advertising, r_advertising, tmp_path):
    design, source = advertising
    adapter = started(cls, source, tmp_path)
    result = answer(adapter, "vif", design, threshold=10)
    for name, expected in r_advertising["vif_full_model"].items():
        assert_rel(result["vif"][name], expected)
    assert [round(result["vif"][n], 6) for n in ("TV", "Radio", "Newspaper")] == [1.004611, 1.144952, 1.145187]
    assert result["dropped"] == [] and result["kept"] == design.features


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_iterative_vif_removal_drops_the_collinear_feature(cls, tmp_path):
    rng = np.random.default_rng(3)
    x1, x2, x4 = rng.normal(size=(3, 120))
    x3 = x1 + x2 + rng.normal(scale=0.05, size=120)  # VIF ~ 800: removed first, then nothing is above 10
    frame = pd.DataFrame({"x1": x1, "x2": x2, "x3": x3, "x4": x4, "y": x1 - x4 + rng.normal(size=120)})
    path = tmp_path / "d.parquet"
    frame.to_parquet(path, index=False)
    from mlbench.adapter import DataSource

    source = DataSource("collinear", path, path, "y", ["x1", "x2", "x3", "x4"], 120)
    adapter = started(cls, source, tmp_path)
    result = answer(adapter, "vif", build_design(frame, "y"), threshold=10)
    assert result["vif"]["x3"] > 100
    assert result["dropped"] == ["x3"] and result["kept"] == ["x1", "x2", "x4"]
    assert max(result["final_vif"].values()) < 1.1
    ref = procedures.vif(reference_fitter(build_design(frame, "y")), ["x1", "x2", "x3", "x4"], threshold=10)
    for name in ("x1", "x2", "x3", "x4"):
        assert_rel(result["vif"][name], ref["vif"][name], 1e-8)


def test_reference_best_subsets_equal_leaps(hitters, r_hitters_subsets):
    design, _ = hitters
    assert len(design.frame) == r_hitters_subsets["n"] == 263
    result = procedures.subset(reference_fitter(design), context(design, "reference"), "best", None, 20000)
    for expected in r_hitters_subsets["best_by_size"]:
        got = result["by_size"][str(expected["size"])]
        assert set(got["features"]) == set(expected["variables"])
        assert_rel(got["rss"], expected["rss"])
        assert_rel(got["adj_r_squared"], expected["adjr2"])
        assert_rel(got["cp"], expected["cp"])
        assert_rel(got["bic"], expected["bic"])
    assert result["chosen"] == r_hitters_subsets["chosen_size"] == {"adj_r_squared": 11, "cp": 10, "bic": 6}


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
@pytest.mark.parametrize("method", ["forward", "backward"])
def test_stepwise_paths_equal_the_reference(cls, method, hitters, tmp_path):
    design, source = hitters
    adapter = started(cls, source, tmp_path)
    support = steps.capability(cls, "subset", method).support.value
    got = procedures.subset(adapter, context(design, support), method, None, 20000)
    ref = procedures.subset(reference_fitter(design), context(design, "reference"), method, None, 20000)
    verdict = grade_subset(got, ref, 1e-8)
    assert verdict["agrees"], verdict["grade"]
    assert verdict["sizes_agree"] == 19


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_emulated_best_up_to_size_3_fits_every_model(cls, hitters, r_hitters_subsets, tmp_path):
    """1159 candidate models: fewer than the branch and bound would fit to get there, so all are fitted."""
    design, source = hitters
    adapter = started(cls, source, tmp_path)
    got = procedures.subset(adapter, context(design, "emulated"), "best", 3, 20000)
    assert got["fits"] == 19 + 171 + 969
    for expected in r_hitters_subsets["best_by_size"][:3]:
        assert set(got["by_size"][str(expected["size"])]["features"]) == set(expected["variables"])
        assert_rel(got["by_size"][str(expected["size"])]["rss"], expected["rss"])


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_emulated_best_of_every_size_within_the_default_budget(cls, hitters, r_hitters_subsets, tmp_path):
    """The branch and bound over the platform's own fits: all 19 sizes from ~4200 fits instead of 524287, the
    reference's subsets at every size (and leaps' where R's answer is stored)."""
    design, source = hitters
    adapter = started(cls, source, tmp_path)
    got = procedures.subset(adapter, context(design, "emulated"), "best", None, 20000)
    assert got["fits"] < 5000
    assert sorted(int(k) for k in got["by_size"]) == list(range(1, 20))
    ref = procedures.subset(reference_fitter(design), context(design, "reference"), "best", None, 20000)
    verdict = grade_subset(got, ref, 1e-8)
    assert verdict["agrees"], verdict["grade"]
    assert verdict["sizes_agree"] == 19
    for expected in r_hitters_subsets["best_by_size"]:
        assert set(got["by_size"][str(expected["size"])]["features"]) == set(expected["variables"])
        assert_rel(got["by_size"][str(expected["size"])]["rss"], expected["rss"])
    assert got["chosen"] == r_hitters_subsets["chosen_size"]


def test_emulation_over_budget_is_skipped_with_the_fits_it_used(hitters, tmp_path):
    design, source = hitters
    adapter = started(StatsmodelsAdapter, source, tmp_path)
    with pytest.raises(SkippedCell, match=r"stopped after 1000 fits, the budget \(--max-fits 1000\)"):
        procedures.subset(adapter, context(design, "emulated"), "best", None, 1000)
    with pytest.raises(SkippedCell, match="needs 190 fits, over the budget of 100"):  # forward: counted up front
        procedures.subset(adapter, context(design, "emulated"), "forward", None, 100)


def test_cv_error_per_size_is_reported(advertising):
    design, _ = advertising
    result = procedures.subset(reference_fitter(design), context(design, "reference"), "best", None, 100, cv_folds=5)
    cv = [result["by_size"][str(k)]["cv_mse"] for k in (1, 2, 3)]
    assert cv[1] < cv[0]  # TV + Radio predicts far better than TV alone
    assert all(c > 0 for c in cv)
