"""The one design-matrix builder: R-style dummy names, NA rows dropped and counted, bad input rejected."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlbench.datasets import load_builtin, resolve, synthetic_linear
from mlbench.design import build_design
from mlbench.errors import MlbenchError


def test_hitters_dummies_and_dropped_rows():
    design = build_design(load_builtin("hitters").frame, "Salary")
    assert len(design.frame) == 263 and design.n_dropped == 59
    assert design.factors == {"League": ["LeagueN"], "Division": ["DivisionW"], "NewLeague": ["NewLeagueN"]}
    assert design.features.index("LeagueN") == 13 and design.features[-1] == "NewLeagueN"
    assert len(design.features) == 19
    assert design.frame["DivisionW"].sum() == (load_builtin("hitters").frame.dropna()["Division"] == "W").sum()


def test_credit_dummies_like_r():
    design = build_design(load_builtin("credit").frame, "Balance")
    assert design.factors == {
        "Gender": ["GenderFemale"], "Student": ["StudentYes"], "Married": ["MarriedYes"],
        "Ethnicity": ["EthnicityAsian", "EthnicityCaucasian"],
    }
    assert len(design.frame) == 400
    # terms as R's formula has them: a factor is one term of its dummies (car::vif's GVIF, drop1's F-test)
    assert design.terms["Ethnicity"] == ["EthnicityAsian", "EthnicityCaucasian"]
    assert design.terms["Gender"] == ["GenderFemale"] and design.terms["Income"] == ["Income"]
    assert [c for columns in design.terms.values() for c in columns] == design.features


def test_a_logical_column_is_coded_as_r_codes_it():
    """R's write.csv writes a logical as TRUE/FALSE; lm names its coefficient flagTRUE."""
    frame = pd.DataFrame({"x": [1.0, 2, 3, 4, 5], "flag": [True, False, True, False, True], "y": [2.0, 3, 5, 4, 7]})
    design = build_design(frame, "y")
    assert design.features == ["x", "flagTRUE"] and design.frame["flagTRUE"].tolist() == [1, 0, 1, 0, 1]


def test_builtin_sha256_matches_provenance():
    assert load_builtin("hitters").sha256.startswith("0100cd0f6a59")
    assert load_builtin("credit").sha256.startswith("1ba1be5c8542")


def test_synthetic_linear_is_seeded_and_knows_its_truth():
    a, b = synthetic_linear(n=50, p=6, k=2, seed=7), synthetic_linear(n=50, p=6, k=2, seed=7)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.sha256 == b.sha256 and a.truth["support"] == ["x1", "x2"]
    assert all(a.truth["coefficients"][f"x{i}"] == 0 for i in range(3, 7))
    assert synthetic_linear(n=50, p=6, k=2, seed=8).sha256 != a.sha256
    parsed = resolve("synthetic-linear:n=40,p=5,k=3", None, None, seed=1)
    assert parsed.frame.shape == (40, 6) and parsed.truth["params"]["seed"] == 1


@pytest.mark.parametrize(
    ("frame", "target", "message"),
    [
        (pd.DataFrame({"a": [1.0, 2.0]}), "y", "not in the data"),
        (pd.DataFrame({"a": ["x", "y"], "y": ["p", "q"]}), "y", "not numeric"),
        (pd.DataFrame({"a": [np.nan, np.nan], "y": [1.0, 2.0]}), "y", "no values"),
        (pd.DataFrame({"a": [1.0, np.inf, 3.0], "y": [1.0, 2.0, 3.0]}), "y", "infinite"),
        (pd.DataFrame({"a": [], "y": []}), "y", "no rows"),
        (pd.DataFrame([[1.0, 2.0, 3.0]], columns=["a", "a", "y"]), "y", "duplicate column"),
    ],
)
def test_bad_frames_are_clear_errors(frame, target, message):
    with pytest.raises(MlbenchError, match=message):
        build_design(frame, target)


def test_a_logical_column_with_missing_values_is_coded_as_r_codes_it():
    import io

    frame = pd.read_csv(io.StringIO("f,x,y\nTRUE,1,2\nFALSE,2,3\n,3,4\nTRUE,4,6\nFALSE,5,5\n"))
    design = build_design(frame, "y")
    assert design.features == ["fTRUE", "x"] and design.n_dropped == 1
