"""Tests for mlbench.stats.subsets: R's leaps answer on Hitters, brute force on small problems, edge cases."""

from __future__ import annotations

import csv
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from mlbench.stats.subsets import (
    backward_path,
    best_subsets,
    chosen_sizes,
    count_fits,
    criteria,
    forward_path,
)

ROOT = Path(__file__).resolve().parents[1]
HITTERS_CSV = ROOT / "mlbench" / "data" / "hitters.csv"
REFERENCE = ROOT / "tests" / "reference" / "hitters_best_subset_partial.json"
DUMMIES = {"League": ("LeagueN", "N"), "Division": ("DivisionW", "W"), "NewLeague": ("NewLeagueN", "N")}


def load_hitters() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Salary ~ . on na.omit(Hitters), with R's treatment-coded dummies in place of the factors."""
    with open(HITTERS_CSV, newline="") as f:
        header, *rows = list(csv.reader(f))
    header = header[1:]  # first column holds the row names
    salary = header.index("Salary")
    rows = [r[1:] for r in rows if r[1 + salary] != "NA"]
    y = np.array([float(r[salary]) for r in rows])
    names: list[str] = []
    columns: list[list[float]] = []
    for j, col in enumerate(header):
        if col == "Salary":
            continue
        if col in DUMMIES:
            name, level = DUMMIES[col]
            names.append(name)
            columns.append([1.0 if r[j] == level else 0.0 for r in rows])
        else:
            names.append(col)
            columns.append([float(r[j]) for r in rows])
    return np.array(columns).T, y, names


@pytest.fixture(scope="module")
def hitters():
    return load_hitters()


@pytest.fixture(scope="module")
def reference():
    return json.loads(REFERENCE.read_text())


def rel_err(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


# ------------------------------------------------------------------------------------------------
# brute-force oracles (numpy lstsq with an explicit intercept column)


def lstsq_rss(X, y, idx) -> float:
    A = np.column_stack([np.ones(len(y)), X[:, list(idx)]])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    return float(resid @ resid)


def full_rank(X, idx) -> bool:
    A = np.column_stack([np.ones(X.shape[0]), X[:, list(idx)]])
    return np.linalg.matrix_rank(A) == A.shape[1]


def brute_best(X, y, max_size=None, only_full_rank=False) -> dict[int, tuple[tuple[int, ...], float]]:
    """Lowest RSS per size over all subsets. Ties (within 1e-9 relative, e.g. duplicated columns)
    go to the lexicographically earliest set, which combinations() yields first."""
    p = X.shape[1]
    floor = 1e-18 * float(np.sum((y - y.mean()) ** 2))
    out = {}
    for k in range(1, (max_size or p) + 1):
        fits = [
            (idx, lstsq_rss(X, y, idx))
            for idx in itertools.combinations(range(p), k)
            if not only_full_rank or full_rank(X, idx)
        ]
        if fits:
            low = min(rss for _, rss in fits)
            out[k] = next(fit for fit in fits if fit[1] <= low * (1 + 1e-9) + floor)
    return out


def brute_forward(X, y, max_size=None) -> dict[int, tuple[tuple[int, ...], float]]:
    p = X.shape[1]
    chosen: list[int] = []
    out = {}
    for k in range(1, (max_size or p) + 1):
        rss = {j: lstsq_rss(X, y, [*chosen, j]) for j in range(p) if j not in chosen}
        chosen.append(min(rss, key=lambda j: rss[j]))
        out[k] = (tuple(sorted(chosen)), rss[chosen[-1]])
    return out


def brute_backward(X, y) -> dict[int, tuple[tuple[int, ...], float]]:
    current = list(range(X.shape[1]))
    out = {len(current): (tuple(current), lstsq_rss(X, y, current))}
    while len(current) > 1:
        rss = {j: lstsq_rss(X, y, [i for i in current if i != j]) for j in current}
        drop = min(rss, key=lambda j: rss[j])
        current.remove(drop)
        out[len(current)] = (tuple(current), rss[drop])
    return out


def assert_path_matches(path, expected, names, rtol=1e-9):
    assert sorted(path) == sorted(expected)
    for k, (idx, rss) in expected.items():
        assert path[k][0] == [names[j] for j in idx], f"size {k}"
        assert rel_err(path[k][1], rss) <= rtol, f"size {k}: {path[k][1]} vs {rss}"


def random_problem(seed: int, p: int, n: int = 50):
    """Correlated columns on very different scales and offsets, so centring and conditioning matter."""
    rng = np.random.default_rng(seed)
    mix = np.eye(p) + 0.7 * rng.standard_normal((p, p)) * (rng.random((p, p)) < 0.4)
    X = rng.standard_normal((n, p)) @ mix
    X = X * 10.0 ** rng.uniform(-2, 2, p) + rng.uniform(-100, 100, p)
    beta = rng.standard_normal(p) * (rng.random(p) < 0.6) / X.std(axis=0)
    y = X @ beta + 5.0 + rng.standard_normal(n)
    return X, y, [f"x{j}" for j in range(p)]


CASES = list(enumerate([6, 7, 8, 9, 10, 6, 8, 10]))  # (seed, p)
ENGINES = ["numpy", "compiled"]  # the two engines of best_subsets must give the same answers everywhere
engines = pytest.mark.parametrize("engine", ENGINES)


# ------------------------------------------------------------------------------------------------
# Hitters: R 4.2.2 leaps::regsubsets reference


@engines
def test_hitters_best_subsets_match_leaps(hitters, reference, engine):
    X, y, names = hitters
    assert X.shape == (263, 19) and reference["n"] == 263
    path = best_subsets(X, y, names, engine=engine)
    assert sorted(path) == list(range(1, 20))
    for row in reference["best_by_size"]:
        k = row["size"]
        assert path[k][0] == row["variables"]
        assert rel_err(path[k][1], row["rss"]) <= 1e-8


def test_hitters_criteria_match_leaps_summary(hitters, reference):
    X, y, names = hitters
    path = best_subsets(X, y, names)
    null_rss = float(np.sum((y - y.mean()) ** 2))
    crit = criteria({k: rss for k, (_, rss) in path.items()}, len(y), null_rss, path[19][1], 19)
    for row in reference["best_by_size"]:
        got = crit[row["size"]]
        assert rel_err(got["rss"], row["rss"]) <= 1e-8
        assert rel_err(got["adj_r_squared"], row["adjr2"]) <= 1e-8
        assert rel_err(got["cp"], row["cp"]) <= 1e-8
        assert rel_err(got["bic"], row["bic"]) <= 1e-8
    assert chosen_sizes(crit) == reference["chosen_size"]


def test_hitters_rss_decreases_and_full_model_is_ols(hitters):
    X, y, names = hitters
    path = best_subsets(X, y, names)
    rss = [path[k][1] for k in range(1, 20)]
    assert all(a >= b for a, b in itertools.pairwise(rss))
    assert path[19][0] == names
    assert rel_err(path[19][1], lstsq_rss(X, y, range(19))) <= 1e-10


def test_hitters_stepwise_match_brute_force_greedy(hitters):
    X, y, names = hitters
    assert_path_matches(forward_path(X, y, names), brute_forward(X, y), names)
    assert_path_matches(backward_path(X, y, names), brute_backward(X, y), names)


@engines
def test_hitters_max_size_limits_the_search(hitters, engine):
    X, y, names = hitters
    full = best_subsets(X, y, names, engine=engine)
    part = best_subsets(X, y, names, max_size=4, engine=engine)
    assert sorted(part) == [1, 2, 3, 4]
    assert all(part[k] == full[k] for k in part)


# ------------------------------------------------------------------------------------------------
# small random problems against brute force


@engines
@pytest.mark.parametrize("seed,p", CASES)
def test_best_subsets_equal_brute_force(seed, p, engine):
    X, y, names = random_problem(seed, p)
    assert_path_matches(best_subsets(X, y, names, engine=engine), brute_best(X, y), names)


@engines
@pytest.mark.parametrize("seed,p", CASES[:4])
def test_best_subsets_with_max_size_equal_brute_force(seed, p, engine):
    X, y, names = random_problem(seed, p)
    assert_path_matches(best_subsets(X, y, names, max_size=3, engine=engine), brute_best(X, y, max_size=3), names)


@engines
@pytest.mark.parametrize("seed", range(6))
def test_best_subsets_on_nearly_collinear_columns(seed, engine):
    """Columns that are almost copies of each other: many near-equal models, conditioning ~1e4."""
    rng = np.random.default_rng(100 + seed)
    base = rng.standard_normal((60, 4))
    X = np.column_stack([base, base[:, :3] + 1e-3 * rng.standard_normal((60, 3)), rng.standard_normal(60)])
    y = base @ rng.standard_normal(4) + X[:, 5] + rng.standard_normal(60)
    names = [f"x{j}" for j in range(X.shape[1])]
    assert_path_matches(best_subsets(X, y, names, engine=engine), brute_best(X, y), names)


@pytest.mark.parametrize("seed,p", CASES)
def test_forward_path_equals_greedy(seed, p):
    X, y, names = random_problem(seed, p)
    assert_path_matches(forward_path(X, y, names), brute_forward(X, y), names)
    assert_path_matches(forward_path(X, y, names, max_size=2), brute_forward(X, y, max_size=2), names)


@pytest.mark.parametrize("seed,p", CASES)
def test_backward_path_equals_greedy(seed, p):
    X, y, names = random_problem(seed, p)
    assert_path_matches(backward_path(X, y, names), brute_backward(X, y), names)


def test_best_subsets_is_at_least_as_good_as_stepwise():
    X, y, names = random_problem(42, 10)
    best = best_subsets(X, y, names)
    for path in (forward_path(X, y, names), backward_path(X, y, names)):
        assert all(best[k][1] <= rss * (1 + 1e-12) for k, (_, rss) in path.items())


# ------------------------------------------------------------------------------------------------
# closed form and degenerate designs


@engines
def test_exact_two_variable_model_is_found(engine):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 6))
    y = 2 * X[:, 0] - 3 * X[:, 2] + 1e-8 * rng.standard_normal(40)
    names = [f"x{j}" for j in range(6)]
    path = best_subsets(X, y, names, engine=engine)
    assert path[2][0] == ["x0", "x2"]
    assert path[2][1] < 1e-12
    assert path[1][0] == ["x2"]
    assert forward_path(X, y, names, max_size=2)[2][0] == ["x0", "x2"]
    assert backward_path(X, y, names)[2][0] == ["x0", "x2"]


def collinear_problem():
    """x3 = x0 + x1 exactly, x5 duplicates x2, x6 is constant: rank 4 + intercept among 7 columns."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 7))
    X[:, 3] = X[:, 0] + X[:, 1]
    X[:, 5] = X[:, 2]
    X[:, 6] = 4.0
    y = X[:, 0] - 2 * X[:, 2] + X[:, 4] + 0.5 * rng.standard_normal(30)
    return X, y, [f"x{j}" for j in range(7)]


@engines
def test_collinear_columns_do_not_crash_and_skip_rank_deficient_models(engine):
    X, y, names = collinear_problem()
    path = best_subsets(X, y, names, engine=engine)
    expected = brute_best(X, y, only_full_rank=True)
    assert sorted(path) == [1, 2, 3, 4]  # no full-rank model has 5 or more columns
    assert_path_matches(path, expected, names)
    assert path[1][0] == ["x2"]  # tie with its duplicate x5: the earlier column wins


def test_collinear_columns_in_stepwise_paths():
    X, y, names = collinear_problem()
    index = {name: j for j, name in enumerate(names)}
    for path in (forward_path(X, y, names), backward_path(X, y, names)):
        assert path and max(path) <= 4
        for k, (chosen, rss) in path.items():
            idx = [index[c] for c in chosen]
            assert len(idx) == k and full_rank(X, idx)
            assert rel_err(rss, lstsq_rss(X, y, idx)) <= 1e-9
    assert sorted(backward_path(X, y, names)) == [1, 2, 3, 4]


@engines
def test_exact_duplicate_ties_prefer_earlier_columns(engine):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((25, 3))
    X = np.column_stack([X, X[:, 0]])  # x3 duplicates x0
    y = X[:, 0] + 0.1 * rng.standard_normal(25)
    names = ["x0", "x1", "x2", "x3"]
    assert best_subsets(X, y, names, engine=engine)[1][0] == ["x0"]
    assert forward_path(X, y, names)[1][0] == ["x0"]
    assert backward_path(X, y, names)[1][0] == ["x0"]


@engines
@pytest.mark.parametrize("seed", range(12))
def test_duplicated_and_dependent_columns_equal_brute_force(seed, engine):
    """Random problems with a duplicated column and/or an exact linear combination: full-rank models only."""
    rng = np.random.default_rng(1000 + seed)
    p = int(rng.integers(5, 10))
    X, y, names = random_problem(seed, p, int(rng.integers(p + 3, 60)))
    if seed % 2 == 0:
        X[:, p - 1] = X[:, int(rng.integers(0, p - 1))]
    if seed % 3 == 0:
        X[:, 0] = X[:, 1] - X[:, 2]
    assert_path_matches(best_subsets(X, y, names, engine=engine), brute_best(X, y, only_full_rank=True), names,
                        rtol=1e-8)


@engines
def test_fewer_rows_than_columns(engine):
    """n = 6: centred data has rank 5, so sizes above 5 are absent and size 5 interpolates y."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((6, 8))
    y = rng.standard_normal(6)
    names = [f"x{j}" for j in range(8)]
    path = best_subsets(X, y, names, engine=engine)
    assert sorted(path) == [1, 2, 3, 4, 5]
    assert path[5][0] == ["x0", "x1", "x2", "x3", "x4"]  # all tie at RSS 0: earliest set
    assert path[5][1] < 1e-20
    assert_path_matches({k: path[k] for k in range(1, 5)}, brute_best(X, y, max_size=4), names)


def test_bad_inputs_are_rejected():
    X, y, names = random_problem(0, 6)
    with pytest.raises(ValueError):
        best_subsets(X, y, names[:-1])
    with pytest.raises(ValueError):
        best_subsets(X, y[:-1], names)
    with pytest.raises(ValueError):
        best_subsets(X, y, names, max_size=7)
    assert best_subsets(X, y, names, max_size=0) == {}


# ------------------------------------------------------------------------------------------------
# fit budgets and criteria


def test_count_fits():
    assert count_fits(19, "best") == 2**19 - 1
    assert count_fits(19, "exhaustive", max_size=2) == 19 + 171
    assert count_fits(19, "forward") == 190
    assert count_fits(19, "forward", max_size=3) == 19 + 18 + 17
    assert count_fits(19, "backward") == 1 + sum(range(2, 20))
    assert count_fits(1, "backward") == 1
    with pytest.raises(ValueError):
        count_fits(5, "seqrep")


def test_criteria_formulas_on_a_small_example():
    n, null_rss, full_rss, p_full = 50, 200.0, 80.0, 5
    crit = criteria({2: 100.0}, n, null_rss, full_rss, p_full)[2]
    sigma2 = full_rss / (n - p_full - 1)
    assert crit["r_squared"] == pytest.approx(0.5)
    assert crit["adj_r_squared"] == pytest.approx(1 - 0.5 * 49 / 47)
    assert crit["cp"] == pytest.approx(100.0 / sigma2 + 6 - 50)
    assert crit["bic"] == pytest.approx(50 * math.log(0.5) + 3 * math.log(50))
    assert crit["aic"] == pytest.approx(50 * math.log(100.0 / 50) + 6)


def test_chosen_sizes_break_ties_towards_smaller_models():
    crit = {k: {"adj_r_squared": 0.5, "cp": 3.0, "bic": -1.0} for k in (1, 2, 3)}
    assert chosen_sizes(crit) == {"adj_r_squared": 1, "cp": 1, "bic": 1}
