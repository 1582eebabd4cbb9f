"""OLS in exact rational arithmetic: the truth every platform's answer is graded against.

Every float64 is an exact rational (a 53-bit integer times a power of two), and so is every decimal a data
file states. mlbench therefore computes the reference answer *exactly* on the numbers it is given: the Gram
matrix of [1, X, y] in integers (FLINT's fmpz_mat, scaled per column), then each fit by exact rational solves
(fmpq_mat). Estimates, RSS, R², adj. R², F and VIF are exact rationals, rounded once to the nearest float64;
standard errors, t (square roots) and p-values (the t tail, a regularised incomplete beta function) come from
arb balls at 256 bits, whose rigorous error bounds are checked before rounding. Nothing here can lose a digit
to conditioning: a condition number of 1e15 (NIST's Filip) costs nothing but bigger integers.

Aliasing means exact linear dependence only, with R's order: a column is aliased when it is an exact linear
combination of the columns before it (zero exact rank gain), so `wt2 = 2*wt` and a dummy trap are aliased
and a merely ill-conditioned column (Filip's x10, which R's default tolerance drops) is not.

Library choice (DESIGN notes): python-flint, because its fmpz/fmpq matrices do the exact linear algebra in C
(Hitters' 20x20 solves in under a millisecond) and its arb balls carry rigorous error bounds, so the reference
knows its own digits; mpmath would compute the same numbers in pure Python, 100-1000x slower and without
bounds. The size limit: building the exact Gram matrix costs about n·p² big-integer operations (~2 s at
n = 1e5, p = 20 here), so above EXACT_BUDGET the caller falls back to float64 (mlbench.stats.reference).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from mlbench.adapter import OLSFit

EXACT_BUDGET = 2e7  # n·p² above which the exact Gram matrix takes more than about 2 s on this machine
_PREC = 256  # bits of the arb balls for square roots and t tails


def _flint() -> Any:
    import flint

    return flint


def to_float(q: Any) -> float:
    """An exact rational (fmpq or Fraction), correctly rounded to float64."""
    return float(Fraction(int(q.p), int(q.q))) if hasattr(q, "p") else float(q)


def _ball_to_float(ball: Any) -> float:
    """The arb ball's midpoint as float64, after checking the ball pins the value to well past 17 digits."""
    mid = float(ball.mid())
    if mid != 0.0 and not float(ball.rad()) <= abs(mid) * 1e-30:
        raise ArithmeticError(f"reference ball too wide: {ball}")
    return mid


def _integer_columns_from_floats(A: np.ndarray) -> tuple[list[list[int]], list[int]]:
    """Each float64 column as integers times 2**e (exactly): (integer columns, exponent per column)."""
    mantissa, exponent = np.frexp(A)
    ints = (mantissa * 2.0**53).astype(np.int64)  # exact: |mantissa| < 1 has 53 significant bits
    exponent = exponent.astype(np.int64) - 53
    big = np.iinfo(np.int64).max
    low = np.where(ints != 0, exponent, big).min(axis=0)
    low = np.where(low == big, 0, low)
    shift = np.where(ints != 0, exponent - low, 0)
    columns = []
    for j in range(A.shape[1]):
        if shift[:, j].max(initial=0) <= 9:  # stays below 2**63: shift in numpy
            columns.append((ints[:, j] << shift[:, j]).tolist())
        else:
            columns.append([v << s for v, s in zip(ints[:, j].tolist(), shift[:, j].tolist(), strict=True)])
    return columns, low.tolist()


def _integer_columns_from_rationals(columns: Sequence[Sequence[Fraction]]) -> tuple[list[list[int]], list[Fraction]]:
    """Each rational column as integers times 1/D (D the column's common denominator)."""
    out, scales = [], []
    for column in columns:
        denominator = math.lcm(*(v.denominator for v in column)) if column else 1
        out.append([v.numerator * (denominator // v.denominator) for v in column])
        scales.append(Fraction(1, denominator))
    return out, scales


@dataclass
class ExactData:
    """The Gram matrix of [Intercept, *names] (target included among names), exact, and the row count."""

    names: list[str]
    gram: Any  # flint.fmpq_mat over ["Intercept", *names]
    n: int
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {name: i + 1 for i, name in enumerate(self.names)}
        self.index["Intercept"] = 0

    @classmethod
    def from_floats(cls, columns: dict[str, np.ndarray]) -> ExactData:
        """From the float64 columns a platform reads (each exactly a rational)."""
        names = list(columns)
        n = len(next(iter(columns.values()))) if columns else 0
        A = np.column_stack([np.ones(n), *(np.asarray(columns[c], dtype=float) for c in names)])
        if not np.all(np.isfinite(A)):
            raise ValueError("the exact reference needs finite data")
        ints, exponents = _integer_columns_from_floats(A)
        scales = [Fraction(2) ** e for e in exponents]
        return cls(names, _gram(ints, scales, n), n)

    @classmethod
    def from_rationals(cls, columns: Mapping[str, Sequence[Fraction]]) -> ExactData:
        """From exact values (e.g. NIST's decimal data and exact polynomial terms)."""
        names = list(columns)
        n = len(next(iter(columns.values()))) if columns else 0
        ints, scales = _integer_columns_from_rationals([[Fraction(1)] * n, *(columns[c] for c in names)])
        return cls(names, _gram(ints, scales, n), n)

    def sub(self, rows: Sequence[str], cols: Sequence[str]) -> Any:
        flint = _flint()
        r, c = [self.index[x] for x in rows], [self.index[x] for x in cols]
        return flint.fmpq_mat(len(r), len(c), [self.gram[i, j] for i in r for j in c])

    def entry(self, a: str, b: str) -> Any:
        return self.gram[self.index[a], self.index[b]]


def _gram(ints: list[list[int]], scales: Sequence[Fraction], n: int) -> Any:
    flint = _flint()
    m = len(ints)
    M = flint.fmpz_mat(n, m, [ints[j][i] for i in range(n) for j in range(m)])
    G = M.transpose() * M
    q = [flint.fmpq(s.numerator, s.denominator) for s in scales]
    return flint.fmpq_mat(m, m, [G[i, j] * q[i] * q[j] for i in range(m) for j in range(m)])


def independent(data: ExactData, terms: Sequence[str]) -> list[str]:
    """The terms that are not exact linear combinations of the terms before them (R's pivoting order, but
    exact: zero rank gain, no tolerance)."""
    if not terms:
        return []
    if data.sub(terms, terms).rank() == len(terms):
        return list(terms)
    kept: list[str] = []
    for term in terms:
        trial = [*kept, term]
        if data.sub(trial, trial).rank() == len(trial):
            kept.append(term)
    return kept


def not_estimable(data: ExactData, terms: Sequence[str]) -> list[str]:
    """Terms whose coefficient is not identified: removing them does not lower the rank of the design."""
    rank = data.sub(terms, terms).rank()
    if rank == len(terms):
        return []
    out = []
    for term in terms:
        rest = [t for t in terms if t != term]
        if data.sub(rest, rest).rank() == rank:
            out.append(term)
    return out


@dataclass
class ExactSolve:
    """One least-squares fit of `target` on `terms` (aliased terms removed), exactly."""

    terms: list[str]
    aliased: list[str]
    beta: list[Any]  # fmpq
    rss: Any  # fmpq
    tss: Any  # fmpq, about the mean when the intercept is in the model, else about 0
    n: int
    gram_inverse: Any | None = None  # fmpq_mat over `terms` when asked for


def solve(data: ExactData, target: str, terms: Sequence[str], inverse: bool = False) -> ExactSolve:
    """Exact OLS of `target` on `terms` (include "Intercept" for a fit with intercept)."""
    flint = _flint()
    kept = independent(data, terms)
    aliased = [t for t in terms if t not in kept]
    yy = data.entry(target, target)
    if kept:
        G = data.sub(kept, kept)
        rhs = data.sub(kept, [target])
        beta_mat = G.solve(rhs)
        beta = [beta_mat[i, 0] for i in range(len(kept))]
        rss = yy - sum((b * rhs[i, 0] for i, b in enumerate(beta)), flint.fmpq(0))
        gram_inverse = G.inv() if inverse else None
    else:
        beta, rss, gram_inverse = [], yy, None
    if "Intercept" in terms:
        total = data.entry("Intercept", target)
        tss = yy - total * total / data.n
    else:
        tss = yy
    return ExactSolve(kept, aliased, beta, rss, tss, data.n, gram_inverse)


def rss(data: ExactData, target: str, features: Sequence[str], intercept: bool = True) -> float:
    return to_float(solve(data, target, [*(["Intercept"] if intercept else []), *features]).rss)


def t_tail(t_squared: Any, df: int) -> float:
    """Two-sided p-value of a t statistic, P(|T_df| >= |t|) = I_{df/(df+t²)}(df/2, 1/2), from its exact square."""
    flint = _flint()
    with flint.ctx.workprec(_PREC):
        x = flint.arb(flint.fmpq(df) / (flint.fmpq(df) + t_squared))
        p = x.beta_lower(flint.arb(df) / 2, flint.arb(1) / 2, 1)
        return _ball_to_float(p)


def sqrt_float(q: Any) -> float:
    """sqrt of a non-negative exact rational, correctly rounded (via a 256-bit ball)."""
    flint = _flint()
    if q == 0:
        return 0.0
    with flint.ctx.workprec(_PREC):
        return _ball_to_float(flint.arb(q).sqrt())


def ols(data: ExactData, target: str, features: Sequence[str], intercept: bool = True) -> OLSFit:
    """What the pvalues step reports (R's summary.lm definitions), computed without rounding error and each
    number rounded once to the nearest double. `intercept` False: a fit through the origin, no column of ones in
    the solve; R², adj. R² and F by R's convention for it (TSS = Σy² uncentred, df_model = rank, adj. R² scaled
    by n / df_resid), NIST's for NoInt1 and NoInt2."""
    flint = _flint()
    requested = (["Intercept"] if intercept else []) + list(features)
    fit = solve(data, target, requested, inverse=True)
    n, rank = data.n, len(fit.terms)
    df_resid = n - rank
    if df_resid <= 0:
        raise ValueError(f"{n} rows for {rank} coefficients: no residual degrees of freedom")
    sigma2 = fit.rss / df_resid
    inverse: Any = fit.gram_inverse  # present: asked for above (None only when no term is kept)
    estimate, std_error, t_value, p_value = [], [], [], []
    for i, b in enumerate(fit.beta):
        var = sigma2 * inverse[i, i]
        estimate.append(to_float(b))
        std_error.append(sqrt_float(var))
        if var == 0:  # an exact fit: t is infinite, p is 0 (NaN for a coefficient that is exactly 0)
            t_value.append(math.copysign(math.inf, to_float(b)) if b != 0 else math.nan)
            p_value.append(0.0 if b != 0 else math.nan)
            continue
        t2 = b * b / var
        t_value.append(math.copysign(sqrt_float(t2), to_float(b)) if b != 0 else 0.0)
        p_value.append(t_tail(t2, df_resid))
    df_model = rank - (1 if intercept and "Intercept" in fit.terms else 0)
    r2 = adj = f = math.nan
    if fit.tss > 0:
        r2_q = 1 - fit.rss / fit.tss
        r2 = to_float(r2_q)
        denominator = n - 1 if intercept else n
        adj = to_float(1 - (1 - r2_q) * flint.fmpq(denominator) / df_resid)
        if df_model > 0:
            f = math.inf if fit.rss == 0 else to_float(((fit.tss - fit.rss) / df_model) / (fit.rss / df_resid))
    return OLSFit(
        terms=fit.terms, estimate=estimate, std_error=std_error, t_value=t_value, p_value=p_value,
        r_squared=r2, adj_r_squared=adj, f_statistic=f, df_model=df_model, df_resid=df_resid,
        rss=to_float(fit.rss), n_obs=n, aliased=fit.aliased,
        not_estimable=not_estimable(data, requested) if fit.aliased else [],
    )


def vif(data: ExactData, features: Sequence[str]) -> dict[str, float]:
    """VIF_j = TSS_j / RSS_j of the regression of x_j on the other features with intercept (car::vif for
    numeric terms), exactly: +inf where x_j is an exact combination of the others, NaN for a constant."""
    out: dict[str, float] = {}
    for name in features:
        aux = solve(data, name, ["Intercept", *(f for f in features if f != name)])
        if aux.tss == 0:
            out[name] = math.nan
        elif aux.rss == 0:
            out[name] = math.inf
        else:
            out[name] = to_float(aux.tss / aux.rss)
    return out


def _centred(data: ExactData, names: Sequence[str]) -> Any:
    """The cross-product matrix of `names` about their means, exactly (X'X - n x̄ x̄')."""
    flint = _flint()
    G = data.sub(names, names)
    totals = [data.entry("Intercept", c) for c in names]
    k = len(names)
    return flint.fmpq_mat(k, k, [G[i, j] - totals[i] * totals[j] / data.n for i in range(k) for j in range(k)])


def gvif(data: ExactData, features: Sequence[str], groups: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """car's generalised VIF per term, exactly: det C_BB · det C_OO / det C over the centred cross products of
    the term's columns B and the other features O (the correlation matrices' scalings cancel). O is first cut
    to its exactly independent columns, so a collinear rest does not make the ratio 0/0; +inf where B is an
    exact combination of the rest, NaN where B itself is degenerate (a constant column)."""
    out: dict[str, float] = {}
    for term, columns in groups.items():
        others = [f for f in features if f not in columns]
        others = [c for c in independent(data, ["Intercept", *others]) if c != "Intercept"]
        inner = _centred(data, columns).det()
        if inner == 0:
            out[term] = math.nan
            continue
        whole = _centred(data, [*columns, *others]).det()
        out[term] = math.inf if whole == 0 else to_float(inner * (_centred(data, others).det() if others else 1)
                                                        / whole)
    return out


def f_tail(f_value: Any, df: int, df_resid: int) -> float:
    """P(F_{df, df_resid} >= f) = I_{df_resid / (df_resid + df f)}(df_resid/2, df/2), from the exact F."""
    flint = _flint()
    with flint.ctx.workprec(_PREC):
        x = flint.arb(flint.fmpq(df_resid) / (flint.fmpq(df_resid) + df * f_value))
        return _ball_to_float(x.beta_lower(flint.arb(df_resid) / 2, flint.arb(df) / 2, 1))


def drop_test(data: ExactData, target: str, rest: Sequence[str], features: Sequence[str],
              intercept: bool = True) -> tuple[int, float, float]:
    """drop1's F-test of the columns of `features` not in `rest`, exactly: Df = the rank they add (exact), F from
    the two exact RSS, p from the exact F. (Df, NaN, NaN) when they add no rank or the fit leaves no residual.
    `intercept` False: both fits through the origin."""
    constant = ["Intercept"] if intercept else []
    fit = solve(data, target, [*constant, *features])
    without = solve(data, target, [*constant, *rest])
    df, df_resid = len(fit.terms) - len(without.terms), data.n - len(fit.terms)
    if df <= 0 or df_resid <= 0:
        return df, math.nan, math.nan
    if fit.rss == 0:
        return (df, math.inf, 0.0) if without.rss > 0 else (df, math.nan, math.nan)
    f_value = ((without.rss - fit.rss) / df) / (fit.rss / df_resid)
    return df, to_float(f_value), f_tail(f_value, df, df_resid)


CEILING_COPIES = 3  # copies of the data the ceiling is read on (see one_ulp_copies)
CEILING_SEED = 20261207  # fixed: a run's ceiling is the same every time


def one_ulp_copies(columns: Mapping[str, np.ndarray], count: int,
                   seed: int = CEILING_SEED) -> list[dict[str, np.ndarray]]:
    """`count` copies of float64 columns, every nonzero value moved one ulp up or down at random (np.nextafter):
    the smallest change a double can undergo, which the first rounding of any float64 computation on it already
    makes. The exact answers on these copies against the exact answer on the data show how far the input's own
    resolution moves each quantity: its ceiling (docs/truth.md). Zeros stay zero (a 0 has no relative ulp)."""
    rng = np.random.default_rng(seed)
    copies = []
    for _ in range(count):
        copy = {}
        for name, values in columns.items():
            array = np.asarray(values, dtype=float)
            direction = np.where(rng.random(array.shape) < 0.5, -np.inf, np.inf)
            copy[name] = np.where(array != 0, np.nextafter(array, direction), array)
        copies.append(copy)
    return copies
