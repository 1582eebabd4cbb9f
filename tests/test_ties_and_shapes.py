"""Exact ties in stepwise paths, and designs too small for a platform's procedure (issue 30).

The data: 6 rows, 7 integer features (more features than rows). Every model of 5 full-rank columns fits the 6 rows
exactly, so the first set a backward path reports (size 5) is an exact tie: statsmodels and scikit-learn break it
by the rounding noise of their RSS (~1e-29), not as the truth does (drop the later column). Their paths from there
are valid backward paths, which the test checks itself in rational arithmetic (fractions), independently of
mlbench's exact engine.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pandas as pd
import pytest

from mlbench import grading, steps
from mlbench.design import build_design
from mlbench.stats import procedures
from mlbench.stats.reference import ReferenceFitter
from tests.conftest import run_cli

ROWS = [  # x1..x7, y: numpy's default_rng(0) integers in [-9, 9]; y = 2 x1 - x2 + noise in [-3, 3]
    [7, 3, 0, -4, -4, -9, -8, 8],
    [-9, -6, 6, 3, 8, 0, 2, -15],
    [9, 4, 3, 1, 1, 8, -4, 11],
    [6, 3, -9, -2, 7, 1, -9, 10],
    [5, 4, 7, -6, -8, 7, -9, 6],
    [1, -8, -4, 0, -1, -2, -9, 11],
]
FEATURES = [f"x{i}" for i in range(1, 8)]


def _frame() -> pd.DataFrame:
    return pd.DataFrame([[float(v) for v in row] for row in ROWS], columns=[*FEATURES, "y"])


def normal_equations_rss(X: list[list[Fraction]], y: list[Fraction]) -> Fraction:
    """RSS of y on the columns of X (full rank), by Gauss-Jordan on the normal equations in fractions."""
    k = len(X[0])
    A = [[sum(r[i] * r[j] for r in X) for j in range(k)] + [sum(r[i] * v for r, v in zip(X, y, strict=True))]
         for i in range(k)]
    for c in range(k):
        pivot = next(r for r in range(c, k) if A[r][c] != 0)
        A[c], A[pivot] = A[pivot], A[c]
        A[c] = [v / A[c][c] for v in A[c]]
        for r in range(k):
            if r != c and A[r][c] != 0:
                A[r] = [a - A[r][c] * b for a, b in zip(A[r], A[c], strict=True)]
    beta = [A[i][k] for i in range(k)]
    return sum((v - sum(b * x for b, x in zip(beta, r, strict=True))) ** 2 for r, v in zip(X, y, strict=True))


def exact_rss(features: list[str]) -> Fraction:
    """RSS of y on an intercept and `features` (full rank), exactly."""
    X = [[Fraction(1), *(Fraction(row[FEATURES.index(f)]) for f in features)] for row in ROWS]
    y = [Fraction(row[-1]) for row in ROWS]
    return normal_equations_rss(X, y)


def _is_backward_path(sets: dict[str, list[str]]) -> bool:
    """Every step below size 5 drops one column of the set above, one whose removal raises the RSS least."""
    for k in range(4, 0, -1):
        above, chosen = sets[str(k + 1)], sets[str(k)]
        if not set(chosen) < set(above):
            return False
        best = min(exact_rss([f for f in above if f != g]) for g in above)
        if exact_rss(chosen) != best:
            return False
    return True


@pytest.fixture(scope="module")
def tie_run(tmp_path_factory) -> dict[str, dict]:
    """One CLI run of backward elimination on the 6 x 7 data by statsmodels and scikit-learn: records by adapter."""
    directory = tmp_path_factory.mktemp("ties")
    _frame().to_csv(directory / "tie.csv", index=False)
    (directory / "tie.yaml").write_text("name: tie\ndescription: backward on fewer rows than columns\n"
                                        "adapters: [statsmodels, sklearn]\nsteps:\n  - step: subset\n"
                                        "    methods: [backward]\n")
    proc = run_cli("run", str(directory / "tie.yaml"), "--data", str(directory / "tie.csv"), "--target", "y",
                   "--out", str(directory / "out"), "--isolation", "inline", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [r for r in json.loads(proc.stdout) if r.get("phase") == "fit" and r.get("status") == "ok"]
    (run_dir,) = (directory / "out").iterdir()
    report = run_cli("report", str(run_dir), "--width", "200")
    assert report.returncode == 0, report.stderr[-2000:]
    return {**{r["adapter"]: r for r in records}, "report": {"text": report.stdout}}


@pytest.mark.parametrize("adapter", ["statsmodels", "sklearn"])
def test_n_below_p_backward_tie_is_graded_on_the_platforms_branch(tie_run, adapter):
    record = tie_run[adapter]
    deviation, got = record["deviation"], record["result"]["by_size"]
    assert deviation["grade"] == "agrees (tie at step 1)"
    assert deviation["tie_steps"] == [1]
    mine = {k: got[k]["features"] for k in map(str, range(1, 6))}
    truth = procedures.subset(ReferenceFitter(_frame(), "y"), _context("reference"), "backward", None, 20000)
    assert set(mine["5"]) != set(truth["by_size"]["5"]["features"])  # the other branch of the tie ...
    assert exact_rss(mine["5"]) == exact_rss(truth["by_size"]["5"]["features"]) == 0  # ... an exact tie (RSS 0)
    assert _is_backward_path(mine)  # and a valid backward path from there, in fractions
    assert deviation["branch"] == mine  # graded against the truth's path from that branch: the same sets
    for k in range(1, 5):  # every RSS on the branch right to 6 digits at least, against the fractions
        rss = float(exact_rss(mine[str(k)]))
        assert grading.correct_digits(got[str(k)]["rss"], rss) >= 6


def test_the_report_says_which_tie_each_path_broke(tie_run):
    for adapter in ("statsmodels", "sklearn"):
        assert (f"{adapter} backward: an exact tie at step 1 (equal RSS in the exact engine) broken the other way"
                in tie_run["report"]["text"])


def _context(support: str) -> procedures.StepContext:
    design = build_design(_frame(), "y")
    return procedures.StepContext(features=design.features, X=design.X, y=design.y, support=support)


def _truth_and_branch() -> tuple[dict, grading.Branch]:
    fitter, ctx = ReferenceFitter(_frame(), "y"), _context("reference")
    truth = procedures.subset(fitter, ctx, "backward", None, 20000)
    return truth, lambda sets: procedures.subset_branch(fitter, ctx, "backward", sets, None)


def test_a_wrong_step_after_a_tie_still_differs():
    """The branch x1, x2, x3, x4, x6 at size 5 is a tie; choosing a set at size 4 that is not the least RSS of
    that branch's drops is a difference, said after the tie."""
    truth, branch = _truth_and_branch()
    other = branch({5: ["x1", "x2", "x3", "x4", "x6"]})
    drops = {g: exact_rss([f for f in other["by_size"]["5"]["features"] if f != g]) for g in ["x1", "x2", "x3",
                                                                                             "x4", "x6"]}
    worst = max(drops, key=lambda g: drops[g])
    got = json.loads(json.dumps(other))
    got["by_size"]["4"]["features"] = [f for f in other["by_size"]["5"]["features"] if f != worst]
    got["by_size"]["4"]["rss"] = float(drops[worst])
    verdict = grading.grade_subset(got, truth, 6.0, branch=branch)
    assert verdict["grade"].startswith("differs (after a tie at step 1): other set at size 4")
    assert not verdict["agrees"]


def test_a_set_no_step_reaches_is_no_tie():
    """A size-4 set that is not inside the path's size-5 set is no step of a backward path: graded as it is."""
    truth, branch = _truth_and_branch()
    got = json.loads(json.dumps(truth))
    five = truth["by_size"]["5"]["features"]
    outside = next(f for f in FEATURES if f not in five)
    got["by_size"]["4"]["features"] = [*five[:3], outside]
    got["by_size"]["4"]["rss"] = float(exact_rss(got["by_size"]["4"]["features"]))  # what its platform reports
    verdict = grading.grade_subset(got, truth, 6.0, branch=branch)
    assert "tie" not in verdict["grade"] and verdict["grade"].startswith("differs: other set at size 4")


def test_without_a_branch_the_old_grade_stands():
    """Grading against R (no exact engine) has no branch to follow: a path on another branch differs."""
    truth, branch = _truth_and_branch()
    other = branch({5: ["x1", "x2", "x3", "x4", "x6"]})
    assert grading.grade_subset(other, truth, 6.0, branch=branch)["grade"] == "agrees (tie at step 1)"
    assert grading.grade_subset(other, truth, 6.0, against="R")["grade"].startswith("differs")


def test_a_design_a_platform_cannot_answer_is_a_skipped_cell_with_the_condition():
    """A capability that tests coefficients (H2O's backward mode drops the smallest |z|) needs n > p + 1; the
    step's own condition (subset: n >= 3) does not."""
    from mlbench.adapter import Capability
    from mlbench.errors import SkippedCell

    how = Capability.native("a search by z-values", tests_coefficients=True)
    frame = _frame().drop(columns=["x6", "x7"])  # n = 6 = p + 1
    design = build_design(frame, "y")
    ctx = procedures.StepContext(features=design.features, X=design.X, y=design.y, support="native")
    spec = steps.parse_spec({"step": "subset", "methods": ["backward"]})
    with pytest.raises(SkippedCell, match=r"needs more rows than coefficients \(n > p \+ 1\).*6 complete rows "
                                          r"for 5 features"):
        steps.compute(spec, "backward", object(), ctx, how)
    assert steps.shape_problem("subset", 6, 5, "backward") is None
    assert steps.shape_problem("subset", 7, 5, "backward", how) is None


def test_nan_vifs_are_said_as_nan_with_the_reason():
    """R's car::vif on n = p + 1 gives NaN (its VIFs come from vcov, 0/0 without residual df): the grade says so,
    and a comparison with R says R, never "the truth"."""
    frame = _frame().drop(columns=["x6", "x7"])
    design = build_design(frame, "y")
    fitter = ReferenceFitter(frame, "y")
    truth = procedures.vif(fitter, design.features, 10.0, n_obs=len(frame))

    class NaNVif:  # what the R adapter answers on this design (tests/adapters/test_r.py runs R itself)
        def vif(self, features: list[str]) -> dict[str, float]:
            return dict.fromkeys(features, float("nan"))

    r_answer = procedures.vif(NaNVif(), design.features, 10.0, n_obs=len(frame))
    assert r_answer["undefined"]["terms"] == design.features and r_answer["dropped"] == []
    verdict = grading.grade_vif(r_answer, truth, 6.0)
    assert verdict["grade"].startswith("differs: VIF NaN for x1, x2, x3, x4, x5 (n = 6 rows for 5 features")
    assert "dropped" not in verdict["grade"] and verdict["grade"].endswith("where the truth has numbers")
    versus = grading.grade_vif(truth, r_answer, 6.0, against="R")
    assert versus["grade"].startswith("differs: R has VIF NaN for x1") and "truth" not in versus["grade"]


MIRROR = [  # x1, x2, x3, y: the (x1, y) pairs are the (x2, y) pairs reordered, so y ~ x1 and y ~ x2 tie exactly
    [0, 1, 3, 5], [1, 0, -2, 5], [2, 3, 1, 1], [3, 2, 0, 1], [4, 4, 2, 0], [1, 1, -1, 2], [5, 6, 4, -1],
    [6, 5, -3, -1],
]


def mirror_rss(features: list[str]) -> Fraction:
    """RSS of y on an intercept and `features` of MIRROR, in fractions (the normal equations, as exact_rss)."""
    X = [[Fraction(1), *(Fraction(row[int(f[1]) - 1]) for f in features)] for row in MIRROR]
    y = [Fraction(row[-1]) for row in MIRROR]
    return normal_equations_rss(X, y)


def test_a_forward_tie_at_step_1_is_followed_along_the_platforms_branch():
    """Forward selection whose first step is an exact tie (x1 or x2): a path that starts with x2 and then adds, in
    fractions, the column lowering the RSS most is graded "agrees (tie at step 1)"."""
    frame = pd.DataFrame([[float(v) for v in row] for row in MIRROR], columns=["x1", "x2", "x3", "y"])
    design = build_design(frame, "y")
    fitter = ReferenceFitter(frame, "y")
    ctx = procedures.StepContext(features=design.features, X=design.X, y=design.y, support="reference")
    truth = procedures.subset(fitter, ctx, "forward", None, 20000)
    assert mirror_rss(["x1"]) == mirror_rss(["x2"]) < mirror_rss(["x3"])  # the tie, in fractions
    assert truth["by_size"]["1"]["features"] == ["x1"]  # the truth takes the first column
    path, current = {}, ["x2"]  # the other branch, continued greedily in fractions
    path["1"] = list(current)
    while len(current) < 3:
        best = min((f for f in ["x1", "x2", "x3"] if f not in current), key=lambda f: mirror_rss([*current, f]))
        current = sorted([*current, best])
        path[str(len(current))] = list(current)
    got = json.loads(json.dumps(truth))
    for k, chosen in path.items():
        got["by_size"][k]["features"] = chosen
        got["by_size"][k]["rss"] = float(mirror_rss(chosen))
        got["by_size"][k]["r_squared"] = 1 - float(mirror_rss(chosen) / mirror_rss([]))
    n, null, full = len(MIRROR), mirror_rss([]), mirror_rss(["x1", "x2", "x3"])
    rss = {int(k): mirror_rss(v) for k, v in path.items()}  # leaps' criteria of the branch, picked as which.min
    adj = {k: 1 - float(r / null) * (n - 1) / (n - k - 1) for k, r in rss.items()}
    cp = {k: float(r / (full / (n - 3 - 1))) + 2 * (k + 1) - n for k, r in rss.items()}
    bic = {k: n * math.log(r / null) + (k + 1) * math.log(n) for k, r in rss.items()}
    for k, value in adj.items():
        got["by_size"][str(k)]["adj_r_squared"] = value
    got["chosen"] = {"adj_r_squared": max(adj, key=lambda k: (adj[k], -k)), "cp": min(cp, key=lambda k: (cp[k], k)),
                     "bic": min(bic, key=lambda k: (bic[k], k))}
    branch = lambda sets: procedures.subset_branch(fitter, ctx, "forward", sets, None)  # noqa: E731
    verdict = grading.grade_subset(got, truth, 6.0, branch=branch)
    assert verdict["grade"] == "agrees (tie at step 1)", verdict["grade"]
    assert verdict["branch"] == path
