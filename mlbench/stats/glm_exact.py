"""The certified MLE of a logistic (binomial, logit link) or Poisson (log link) GLM: the truth GLMs are graded on.

A GLM's MLE is not a rational number, so unlike OLS (`exact.py`) it cannot be computed exactly; it can be
*certified*: enclosed in a ball whose radius is a proven bound, far below a double's resolution, then rounded.
The data are the doubles the platforms read, taken exactly (every float64 is exact in an arb ball).

1. **Aliasing** is exact linear dependence in R's order, as in `exact.py` (same code): dropped, listed.
2. **Existence** is decided exactly. A certified zero of the score (step 3) is itself the proof that a finite
   MLE exists; when the float fit runs off (or the certificate fails) it is decided by linear programming. A
   finite MLE exists iff no direction b != 0 keeps the likelihood from falling: binomial, (2y_i-1) x_i'b >= 0
   for all i (complete / quasi-complete separation, Albert & Anderson 1984; the linear program of Konis 2007);
   Poisson, x_i'b <= 0 where y_i = 0 and x_i'b = 0 where y_i > 0
   (Haberman 1974; e.g. a dummy whose level has only zero counts). By Stiemke's alternative exactly one of two
   certificates exists: such a direction, or weights lambda > 0 with sum lambda_i (2y_i-1) x_i = 0 (the overlap).
   scipy's HiGHS finds either in float64; the certificate is then made exact (a direction in the exact null space
   of the rows it must vanish on; weights projected exactly onto the constraint with the exact Gram matrix) and
   checked in integer arithmetic. A float LP only proposes; only an exactly verified certificate decides (if
   neither verifies, e.g. on a near-singular design, the fit's certificate is tried before giving up).
3. **The MLE**: float64 IRLS from R's start, then Newton at exact points with the score X'(y - mu) in arb balls
   (`_PREC` bits) from the exact data and the information X'WX in float64 (an approximate Jacobian still gains
   ~13 digits a step; arb's where float64 cannot invert it), stopped only when the step is below the working
   precision (or within the rounding noise of the score, judged with arb's information). Then the
   Krawczyk test on the score F(b) = X'(y - mu(b)): with Y ~ (X'W(m)X)^-1 and a box B around the last iterate m,
   K = m + Y F(m) + (I - Y X'W(B)X)(B - m) inside B proves a unique zero of F in B (the log-likelihood is
   strictly concave on a full-rank design, so that zero is the MLE) and encloses it in K.
4. **Inference** in the same balls: covariance (X'W X)^-1 over the enclosure (so it contains the value at the
   MLE), SE, z = b/SE, p = erfc(|z|/sqrt 2); deviance, null deviance (intercept-only MLE: mu = mean(y), closed
   form) and AIC as R computes them (binomial 0/1 data: deviance + 2k; Poisson: -2 sum log dpois(y, mu) + 2k with
   lgamma(y+1)). Every number is its ball rounded to the nearest double; `digits` is the worst relative radius.

The fit lists the kept terms only (aliased ones in `aliased`), as `exact.ols` does.

Precision: 128 bits (38 digits) leaves a certificate of 19+ digits at the condition numbers of real designs
(Default 22.4, Bikeshare 19.2) and keeps Default (10,000 rows) at about 0.6 s on this loaded 2-core machine
(benchmarks/glm_truth_cost.py); 256 bits would double the per-row cost for digits nobody grades. A Krawczyk
test that fails, or guarantees fewer than 17 digits (a near-singular design), is retried at 256 and 512 bits.
Cost: four passes of n Python-level arb exponentials (three for the score, one over the box) plus X'WX over the
box, n·p². For p > 8 that product is one exact fmpz_mat product of the design's integers by the weights'
floored midpoints (with a float64-bounded radius), ~10x faster than arb_mat_mul: Bikeshare (8,645 rows, 40
columns) in ~2.3 s instead of ~4.5 s. float64 work runs on one BLAS thread (threads only contend here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from mlbench.adapter import GLMFit
from mlbench.errors import MlbenchError
from mlbench.stats.exact import ExactData, _integer_columns_from_floats, independent

_PREC = 128  # bits of the working precision; doubled when the Krawczyk test fails
_MAX_PREC = 512
_DIGITS = 17  # what a certificate must guarantee for every number (else the precision is doubled)
GLM_FAMILIES = ("binomial", "poisson")


def _flint() -> Any:
    import flint

    return flint


@dataclass
class GLMTruth:
    """The certified answer for one GLM: the fit (None when no finite MLE exists) or the separation."""

    family: str
    fit: GLMFit | None
    separation: str | None = None  # "complete" / "quasi-complete" / None (a finite MLE exists)
    separating: list[str] = field(default_factory=list)  # terms unbounded along a direction of recession
    digits: float = math.nan  # the certificate's worst relative radius, in decimal digits (every number)
    loglik: float = math.nan  # the maximised log-likelihood (R's logLik)
    precision: int = 0  # arb working precision, bits
    newton_steps: int = 0  # Newton steps in arb after the float64 IRLS
    separated_rows: int = 0  # observations fitted perfectly in the limit (0 when the MLE exists)
    deviance_limit: float = math.nan  # the infimum of the deviance: the fit's, or the overlap rows' fit's (0 if none)


# ----- validation and the exact design ------------------------------------------------------------------------


def _check(X: np.ndarray, y: np.ndarray, features: list[str], family: str) -> tuple[np.ndarray, np.ndarray]:
    if family not in GLM_FAMILIES:
        raise MlbenchError(f"family {family!r} is not one of {', '.join(GLM_FAMILIES)}")
    X = np.asarray(X, dtype=float).reshape(len(y), -1) if len(features) else np.zeros((len(y), 0))
    y = np.asarray(y, dtype=float)
    if X.shape != (len(y), len(features)) or len(set(features)) != len(features) or "Intercept" in features:
        raise MlbenchError("X must be n x len(features) with distinct feature names other than 'Intercept'")
    if len(y) == 0 or not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise MlbenchError("the certified GLM needs at least one row of finite data")
    if family == "binomial" and not np.all((y == 0) | (y == 1)):
        raise MlbenchError("a binomial target must be 0/1")
    if family == "poisson" and not np.all((y >= 0) & (y == np.round(y))):
        raise MlbenchError("a poisson target must be non-negative integer counts")
    return X, y


def _kept_terms(X: np.ndarray, features: list[str]) -> list[str]:
    if not features:
        return ["Intercept"]
    data = ExactData.from_floats({name: X[:, j] for j, name in enumerate(features)})
    return independent(data, ["Intercept", *features])


# ----- existence of the MLE: the recession cone, decided with exact certificates ------------------------------


def _rows(y: np.ndarray, family: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inequality rows, their signs s_i, equality rows): the cone is s_i x_i'b >= 0 (ineq), x_i'b = 0 (eq)."""
    if family == "binomial":
        rows = np.arange(len(y))
        return rows, 2 * y - 1, np.arange(0)
    zero = np.flatnonzero(y == 0)
    return zero, -np.ones(len(zero)), np.flatnonzero(y > 0)


def _stiemke_lp(Af: np.ndarray, ineq: np.ndarray, sign: np.ndarray, eq: np.ndarray) -> np.ndarray | None:
    """Float weights (lambda >= 1 on ineq rows, mu free on eq rows) with sum lambda_i s_i x_i + sum mu_i x_i = 0,
    or None when HiGHS finds none (then a direction of recession exists)."""
    from scipy.optimize import linprog

    if len(ineq) == 0:
        return np.zeros(len(eq))
    W = np.vstack([Af[ineq] * sign[:, None], Af[eq]])
    cost = np.concatenate([np.ones(len(ineq)), np.zeros(len(eq))])
    bounds = [(1, None)] * len(ineq) + [(None, None)] * len(eq)
    res = linprog(cost, A_eq=W.T, b_eq=np.zeros(W.shape[1]), bounds=bounds, method="highs")
    return res.x if res.status == 0 else None


def _direction_lp(Af: np.ndarray, ineq: np.ndarray, sign: np.ndarray, eq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A float direction in the relative interior of the cone and the ineq rows it cannot make positive (Q):
    max sum t s.t. s_i x_i'b >= t_i, 0 <= t <= 1, x_E b = 0, b free (a cone: every row that some direction makes
    positive reaches t_i = 1 at once)."""
    from scipy import sparse
    from scipy.optimize import linprog

    p, m = Af.shape[1], len(ineq)  # sparse: the t block is an n x n identity
    A_ub = sparse.hstack([sparse.csr_matrix(-(Af[ineq] * sign[:, None])), sparse.identity(m)], "csr") if m else None
    A_eq = sparse.hstack([sparse.csr_matrix(Af[eq]), sparse.csr_matrix((len(eq), m))], "csr") if len(eq) else None
    cost = np.concatenate([np.zeros(p), -np.ones(m)])
    res = linprog(cost, A_ub=A_ub, b_ub=np.zeros(m) if m else None, A_eq=A_eq,
                  b_eq=np.zeros(len(eq)) if len(eq) else None,
                  bounds=[(None, None)] * p + [(0, 1)] * m, method="highs")
    if res.status != 0:
        raise ArithmeticError(f"the separation LP failed: {res.message}")
    return res.x[:p], ineq[res.x[p:] < 0.5]


def _fmpz_rows(ints: list[list[int]], rows: np.ndarray) -> Any:
    flint = _flint()
    idx = rows.tolist()
    return flint.fmpz_mat(len(idx), len(ints), [col[i] for i in idx for col in ints])


def _stiemke_exact(ints: list[list[int]], ineq: np.ndarray, sign: np.ndarray, eq: np.ndarray,
                   weights: np.ndarray) -> bool:
    """Make the float weights an exact certificate and check it: v = v0 - W_K c with W_K'v = 0 exactly (W's
    exactly independent columns K over these rows, c from the exact Gram), then lambda_i > 0 in integers."""
    flint = _flint()
    rows = np.concatenate([ineq, eq])
    if len(ineq) == 0:
        return True
    signs = np.concatenate([sign, np.ones(len(eq))]).astype(int).tolist()
    v0 = _integer_columns_from_floats(weights.reshape(-1, 1))[0][0]  # v0 * 2^e: the 2^e cancels throughout
    M = _fmpz_rows(ints, rows)
    v0s = flint.fmpz_mat(len(v0), 1, [s * v for s, v in zip(signs, v0, strict=True)])  # diag(s) v0
    gram = M.transpose() * M
    p = M.ncols()
    K: list[int] = []
    for j in range(p):
        trial = [*K, j]
        if flint.fmpz_mat(len(trial), len(trial), [gram[a, b] for a in trial for b in trial]).rank() == len(trial):
            K.append(j)
    if not K:
        return all(v > 0 for v in v0[: len(ineq)])
    rhs = M.transpose() * v0s  # W'v0 = M' diag(s) v0
    GK = flint.fmpq_mat(len(K), len(K), [gram[a, b] for a in K for b in K])
    c = GK.solve(flint.fmpq_mat(len(K), 1, [rhs[a, 0] for a in K]))
    den = math.lcm(*(int(c[i, 0].q) for i in range(len(K))))
    cz = [0] * p
    for i, a in enumerate(K):
        cz[a] = int(c[i, 0].p) * (den // int(c[i, 0].q))
    correction = (M * flint.fmpz_mat(p, 1, cz)).entries()  # x_i'c * den
    # v_i = v0_i - s_i x_i'c (W = diag(s) M); an ineq row needs v_i > 0
    return all(v0[i] * den - signs[i] * int(correction[i]) > 0 for i in range(len(ineq)))


def _direction_exact(ints: list[list[int]], ineq: np.ndarray, sign: np.ndarray, eq: np.ndarray, zero: np.ndarray,
                     b_float: np.ndarray, exponents: list[int], colscale: np.ndarray) -> list[int] | None:
    """An exact direction (integers, per column of `ints`) vanishing on the rows `zero` and `eq`, near the LP's,
    checked positive on every other ineq row; its support names the terms; None when the check fails."""
    flint = _flint()
    p = len(ints)
    bound = np.concatenate([zero, eq])
    if len(bound):
        M = _fmpz_rows(ints, bound)
        N, nullity = (M.transpose() * M).nullspace()
        basis = [[int(N[i, k]) for i in range(p)] for k in range(nullity)]
    else:
        basis = [[int(i == k) for i in range(p)] for k in range(p)]
    if not basis:
        return None
    # the LP's direction for columns of `ints` (column j of A is ints_j * 2**e_j; the LP saw A_j / colscale_j)
    b_int = np.array([b_float[j] * 2.0 ** exponents[j] / colscale[j] for j in range(p)])
    B = np.array(basis, dtype=float).T  # p x nullity
    scale = np.abs(B).max(axis=0)
    coef, *_ = np.linalg.lstsq(B / scale, b_int, rcond=None)
    coef = coef / scale
    qs = [Fraction(float(c)) for c in coef]
    den = math.lcm(*(q.denominator for q in qs))
    cz = [q.numerator * (den // q.denominator) for q in qs]
    direction = [sum(basis[k][j] * cz[k] for k in range(len(basis))) for j in range(p)]
    if not any(direction):
        return None
    positive = np.setdiff1d(ineq, zero)
    values = (_fmpz_rows(ints, positive) * flint.fmpz_mat(p, 1, direction)).entries()
    signs = dict(zip(ineq.tolist(), sign.astype(int).tolist(), strict=True))
    if not all(signs[i] * int(v) > 0 for i, v in zip(positive.tolist(), values, strict=True)):
        return None
    # the null space's support (every term some direction of recession moves): nonzero rows of the basis
    return [int(any(vec[j] for vec in basis)) for j in range(p)]


def separation(A: np.ndarray, y: np.ndarray, family: str,
               terms: list[str]) -> tuple[str | None, list[str], np.ndarray]:
    """Whether a finite MLE exists, decided exactly: (kind, separating terms, overlap rows) with kind None, or
    "complete" (every observation fitted perfectly in the limit) or "quasi-complete"; the overlap rows are those
    no direction separates (all rows when the MLE exists). `A` is the full-rank design with its intercept."""
    ints, exponents = _integer_columns_from_floats(A)
    ineq, sign, eq = _rows(y, family)
    colscale = np.maximum(np.abs(A).max(axis=0), np.finfo(float).tiny)
    Af = A / colscale
    b, zero = _direction_lp(Af, ineq, sign, eq)  # the rows no direction separates (Q): all of them, or not
    overlap = np.isin(ineq, zero)
    if len(zero) or len(eq):  # Q must be exactly that: weights > 0 on Q with sum w_i s_i x_i (+ eq rows) = 0
        weights = _stiemke_lp(Af, zero, sign[overlap], eq)
        if weights is None or not _stiemke_exact(ints, zero, sign[overlap], eq, weights):
            raise ArithmeticError("the overlap rows could not be certified exactly")
    if len(zero) == len(ineq):  # Q is every row: the weights above are Stiemke's certificate, the MLE exists
        return None, [], np.arange(len(y))
    support = _direction_exact(ints, ineq, sign, eq, zero, b, exponents, colscale)
    if support is None:
        raise ArithmeticError("the separating direction could not be certified exactly")
    kind = "quasi-complete" if len(zero) or len(eq) else "complete"
    return kind, [t for t, s in zip(terms, support, strict=True) if s], np.sort(np.concatenate([zero, eq]))


# ----- the MLE: float64 IRLS, Newton in arb, the Krawczyk certificate --------------------------------------------


def _irls64(A: np.ndarray, y: np.ndarray, family: str) -> tuple[np.ndarray, int, bool]:
    """(the float64 MLE by IRLS from R's start, iterations, converged): only a starting point, so its accuracy
    matters little; a run that does not converge (separated data run off to infinity) sends `certify` to the
    exact separation decision first."""
    mu = (y + 0.5) / 2 if family == "binomial" else y + 0.1
    eta = np.log(mu / (1 - mu)) if family == "binomial" else np.log(mu)
    beta = np.zeros(A.shape[1])
    scale = np.maximum(np.abs(A).max(axis=0), np.finfo(float).tiny)  # equilibrated normal equations: p x p
    As = A / scale  # solves, not an n x p least-squares factorisation per step (the arb Newton fixes accuracy)
    with np.errstate(all="ignore"):  # separated data run off to infinity: decided exactly elsewhere
        for iteration in range(1, 101):
            w = mu * (1 - mu) if family == "binomial" else mu
            z = eta + (y - mu) / w
            if not (np.all(np.isfinite(z * w)) and np.all(np.isfinite(w))):
                break
            try:
                new = np.linalg.solve(As.T @ (As * w[:, None]), As.T @ (w * z)) / scale
            except np.linalg.LinAlgError:
                break
            done = np.all(np.abs(new - beta) <= 1e-10 * np.abs(new))  # ~1e-20 after the next step: enough
            beta = new
            eta = A @ beta
            mu = 1 / (1 + np.exp(-eta)) if family == "binomial" else np.exp(eta)
            if done:
                return beta, iteration, True
    return beta, iteration, False


class _Model:
    """The exact design in arb and the per-row functions of the family, evaluated at points or balls."""

    def __init__(self, A: np.ndarray, y: np.ndarray, family: str) -> None:
        flint = _flint()
        self.family, self.n, self.p = family, A.shape[0], A.shape[1]
        self.Af = A
        self.A = flint.arb_mat(self.n, self.p, A.ravel().tolist())  # exact: every double is an arb
        self.At = self.A.transpose()
        self.y = y.astype(int).tolist()
        self._ints: tuple[Any, ...] | None = None  # (integers as objects, their fmpz_mat transposed, exponents)

    def _rows(self, beta: list[Any]) -> tuple[list[Any], list[Any]]:
        """(eta, e) per row: e = exp(-eta) (binomial) or exp(eta) = mu (poisson)."""
        flint = _flint()
        eta = (self.A * flint.arb_mat(self.p, 1, beta)).entries()
        return eta, [(-e).exp() for e in eta] if self.family == "binomial" else [e.exp() for e in eta]

    def score(self, beta: list[Any]) -> Any:
        """X'(y - mu) at beta, an enclosure (the expensive part of a Newton step: n exponentials in arb)."""
        flint = _flint()
        _, ex = self._rows(beta)
        if self.family == "binomial":
            resid = [yi - 1 / (1 + x) for x, yi in zip(ex, self.y, strict=True)]
        else:
            resid = [yi - mu for mu, yi in zip(ex, self.y, strict=True)]
        return self.At * flint.arb_mat(self.n, 1, resid)

    def info64(self, beta: np.ndarray) -> np.ndarray:
        """X'WX in float64: a Newton step with it still gains ~13 digits, and Krawczyk's Y may be any matrix."""
        with np.errstate(all="ignore"):
            eta = self.Af @ beta
            w = 1 / (2 + np.exp(eta) + np.exp(-eta)) if self.family == "binomial" else np.exp(eta)
        return self.Af.T @ (self.Af * w[:, None])

    def _weights(self, ex: list[Any]) -> list[Any]:
        return [x / ((1 + x) * (1 + x)) for x in ex] if self.family == "binomial" else ex

    def _gram(self, weight: list[Any]) -> Any:
        """X'WX enclosed, the weights balls: in integers where the design allows it, else in arb."""
        fast = self._gram_integer(weight) if self.p > 8 else None
        return fast if fast is not None else self._gram_arb(weight)

    def _gram_arb(self, weight: list[Any]) -> Any:
        """X'WX in arb: n·p products built in Python, the n·p² sum in C (arb_mat_mul: slow for a wide design)."""
        flint = _flint()
        p, a = self.p, self.A.entries()
        return self.At * flint.arb_mat(self.n, p, [weight[i] * a[i * p + j] for i in range(self.n) for j in range(p)])

    def _gram_integer(self, weight: list[Any]) -> Any | None:
        """X'WX enclosed via one exact integer product (fmpz_mat_mul is ~10x faster than arb_mat_mul): each
        weight's midpoint floored to a multiple of 2^-s (W_i integers, s giving prec + 8 bits on the largest),
        sum_i W_i Z_ij Z_ik exactly with Z the design's integers (column j = Z_j 2^e_j), and a radius bounding
        sum_i (rad w_i + 2^-s) |x_ij| |x_ik| computed in float64 and inflated by (1 + (n + 4) 2^-52) for its
        rounding (any summation order; every term is >= 0). None when the weights' scale leaves float64's range
        (then arb's product is used)."""
        flint = _flint()
        if self._ints is None:
            columns, exponents = _integer_columns_from_floats(self.Af)
            self._ints = (np.array(columns, dtype=object).T, flint.fmpz_mat(columns), exponents)
        Z_obj, Zt, exponents = self._ints
        top = max(float(w.abs_upper()) for w in weight)
        if not (0 < top < math.inf):
            return None
        s = flint.ctx.prec + 8 - math.frexp(top)[1]
        if s > 1000:
            return None
        W, rad = [], np.empty(self.n)
        for i, w in enumerate(weight):
            m, e = w.mid().man_exp()
            shift = int(e) + s
            W.append(int(m) << shift if shift >= 0 else int(m) >> -shift)  # floor
            rad[i] = float(w.rad()) * (1 + 2.0**-50) + 2.0**-s
        exact = Zt * flint.fmpz_mat((np.array(W, dtype=object)[:, None] * Z_obj).tolist())
        absA = np.abs(self.Af)
        with np.errstate(over="ignore"):
            bound = (absA.T @ (absA * rad[:, None])) * (1 + (self.n + 4) * 2.0**-52) + 2.0**-1000
        if not np.all(np.isfinite(bound)):
            return None
        two = flint.arb(2)
        p = self.p
        return flint.arb_mat(p, p, [
            flint.arb(exact[j, k]) * two ** (exponents[j] + exponents[k] - s) + flint.arb(0, float(bound[j, k]))
            for j in range(p) for k in range(p)
        ])

    def info(self, beta: list[Any]) -> Any:
        """X'WX in arb at beta (for designs too ill-conditioned for the float64 information)."""
        return self._gram(self._weights(self._rows(beta)[1]))

    def over_box(self, box: list[Any]) -> tuple[Any, Any, Any]:
        """(X'WX, log-likelihood, deviance), each an enclosure over the box (balls)."""
        flint = _flint()
        eta, ex = self._rows(box)
        if self.family == "binomial":
            # log mu = -log1p(e^-eta), log(1 - mu) = -eta - log1p(e^-eta)
            ll = -sum((x.log1p() + (0 if yi else e) for e, x, yi in zip(eta, ex, self.y, strict=True)),
                      flint.arb(0))
            dev = -2 * ll
        else:
            ll, dev = flint.arb(0), flint.arb(0)
            logs: dict[int, tuple[Any, Any]] = {}
            for e, mu, yi in zip(eta, ex, self.y, strict=True):
                if yi not in logs:
                    logs[yi] = (flint.arb(yi).log() if yi else flint.arb(0), flint.arb(yi + 1).lgamma())
                log_y, log_fact = logs[yi]
                ll += yi * e - mu - log_fact
                dev += 2 * (yi * (log_y - e) - yi + mu)
        return self._gram(self._weights(ex)), ll, dev

    def null_deviance(self) -> Any:
        """The deviance of the intercept-only MLE, mu = mean(y) (exactly rational), in closed form."""
        flint = _flint()
        total = sum(self.y)
        if total == 0 or (self.family == "binomial" and total == self.n):
            return flint.arb(0)
        mean = flint.arb(flint.fmpq(total, self.n))
        if self.family == "binomial":
            return -2 * (total * mean.log() + (self.n - total) * (1 - mean).log())
        counts: dict[int, int] = {}
        for yi in self.y:
            counts[yi] = counts.get(yi, 0) + 1
        return 2 * sum((c * yi * (flint.arb(yi) / mean).log() for yi, c in counts.items() if yi), flint.arb(0))


def _newton(model: _Model, start: np.ndarray, prec: int) -> tuple[list[Any], Any, Any, int]:
    """Newton from the float start at exact points, the score in arb, until the step is below the working
    precision (below 2^(8-prec) of the coefficient's scale, or within the rounding noise of the score itself):
    (last point m, F(m) enclosed, an approximate inverse of X'W(m)X as a point matrix, steps). The information is
    float64 (an approximate Jacobian still gains ~13 digits a step) unless it is singular in float64 or Newton
    has not settled in 8 steps; then it is arb's."""
    flint = _flint()
    beta = [flint.arb(float(b)) for b in start]
    arb_info = False
    for step in range(1, 41):
        point = np.array([float(b.mid()) for b in beta])
        Y = None
        if not arb_info and step <= 8:
            with np.errstate(all="ignore"):
                try:
                    Y64 = np.linalg.inv(model.info64(point))
                    Y = flint.arb_mat(Y64.tolist()) if np.all(np.isfinite(Y64)) else None
                except np.linalg.LinAlgError:
                    Y = None
        if Y is None:
            arb_info = True
            Y = model.info(beta).inv().mid()  # ZeroDivisionError when singular at this precision
        F = model.score(beta)
        delta = Y * F
        scale = [2.0 ** (8 - prec) * (abs(point[j]) + math.sqrt(abs(float(Y[j, j].mid())))) for j in range(model.p)]
        size = [abs(float(delta[j, 0].mid())) for j in range(model.p)]
        if all(size[j] <= scale[j] for j in range(model.p)):
            return beta, F, Y, step
        if all(size[j] <= max(scale[j], 4 * float(delta[j, 0].rad())) for j in range(model.p)):
            if arb_info:  # the score's own rounding noise: no step can be resolved at this precision
                return beta, F, Y, step
            arb_info = True  # judged with the float64 information, noise might be a poor Y: check with arb's
            continue
        beta = [_mid(beta[j] + delta[j, 0]) for j in range(model.p)]
    raise ArithmeticError("Newton's method did not reach the working precision in 40 steps")


def _mid(x: Any) -> Any:
    return _flint().arb(x.mid())


def _krawczyk(model: _Model, m: list[Any], F: Any, Y: Any,
              prec: int) -> tuple[list[Any], Any, Any, Any] | None:
    """The Krawczyk test around m with Y (a point matrix: any is valid, an approximate inverse of X'WX makes the
    test succeed): (the enclosure K of the unique MLE, X'WX, log-likelihood and deviance over the box); None
    when K is not inside the box."""
    flint = _flint()
    p = model.p
    step = Y * F
    radius = [
        2.0 ** (30 - prec) * (abs(float(m[j].mid())) + math.sqrt(abs(float(Y[j, j].mid()))))
        + 8 * float(step[j, 0].abs_upper())
        for j in range(p)
    ]
    box = [m[j] + flint.arb(0, radius[j]) for j in range(p)]
    info_box, ll, dev = model.over_box(box)
    spread = flint.arb_mat(p, 1, [flint.arb(0, r) for r in radius])
    K = step + (flint.arb_mat(p, p, [int(i == j) for i in range(p) for j in range(p)]) - Y * info_box) * spread
    if not all(float(K[j, 0].abs_upper()) < radius[j] for j in range(p)):
        return None
    return [m[j] + K[j, 0] for j in range(p)], info_box, ll, dev


def _fit(A: np.ndarray, y: np.ndarray, family: str, prec: int, start: np.ndarray) -> tuple[Any, ...] | None:
    flint = _flint()
    with flint.ctx.workprec(prec):
        model = _Model(A, y, family)
        try:
            m, F, Y, steps = _newton(model, start, prec)
            found = _krawczyk(model, m, F, Y, prec)
            if found is None:
                return None
            beta, info_box, ll, dev = found
            cov = info_box.inv()
        except (ArithmeticError, ZeroDivisionError, ValueError):  # arb cannot prove a matrix regular at prec
            return None
        se = [cov[j, j].sqrt() for j in range(model.p)]
        z = [beta[j] / se[j] for j in range(model.p)]
        pval = [(abs(zj) / flint.arb(2).sqrt()).erfc() for zj in z]
        return beta, cov, se, z, pval, ll, dev, model.null_deviance(), steps


class _Rounder:
    """Rounds balls to the nearest double and keeps the worst relative radius (the certificate's digits)."""

    def __init__(self) -> None:
        self.digits = math.inf

    def __call__(self, ball: Any) -> float:
        if not ball.is_finite():
            raise ArithmeticError(f"a certified quantity is not finite: {ball}")
        mid, rad = ball.mid(), ball.rad()
        if mid != 0:
            rel = float(rad / abs(mid))
            self.digits = min(self.digits, -math.log10(rel) if rel > 0 else math.inf)
            if float(ball.lower()) != float(ball.upper()):  # the ball straddles a rounding boundary
                self.digits = min(self.digits, 15.9)
        elif rad != 0:
            self.digits = min(self.digits, 0.0)
        return float(mid)


def certify(X: np.ndarray, y: np.ndarray, features: list[str], family: str) -> GLMTruth:
    """The certified GLM of y on [1, X] (`family` binomial with logit link or poisson with log link): the MLE,
    R's summary(glm()) numbers, each correctly rounded from a proven enclosure; or the separation, when no
    finite MLE exists. Raises MlbenchError on bad input, ArithmeticError if no certificate is found."""
    from mlbench.stats.subsets import _single_threaded_blas

    with _single_threaded_blas():  # n x p float64 products are small: BLAS threads only contend on a busy machine
        return _certify(*_check(X, y, features, family), features, family)


def _certify(X: np.ndarray, y: np.ndarray, features: list[str], family: str) -> GLMTruth:
    terms = _kept_terms(X, features)
    aliased = [f for f in features if f not in terms]
    A = np.column_stack([np.ones(len(y)), *(X[:, features.index(t)] for t in terms[1:])])
    start, iterations, converged = _irls64(A, y, family)
    if converged:  # a zero of the score certified in a ball is a finite MLE: existence needs no other proof
        truth = _precisions(A, y, family, start, terms, aliased, iterations)
        if truth is not None:
            return truth
    try:
        kind, separating, overlap = separation(A, y, family, terms)
    except ArithmeticError:  # the LP's proposals did not verify (e.g. a near-singular design): try the fit
        kind, separating, overlap = None, [], np.arange(len(y))
    if kind is not None:
        return GLMTruth(family, None, kind, separating, separated_rows=len(y) - len(overlap),
                        deviance_limit=_deviance_limit(X[overlap], y[overlap], features, family))
    truth = None if converged else _precisions(A, y, family, start, terms, aliased, iterations)
    if truth is None:
        raise ArithmeticError(f"neither a finite MLE nor a separation could be certified (up to {_MAX_PREC} bits)")
    return truth


def _precisions(A: np.ndarray, y: np.ndarray, family: str, start: np.ndarray, terms: list[str],
                aliased: list[str], iterations: int) -> GLMTruth | None:
    """The certified fit at 128 bits, doubled while the certificate fails or guarantees fewer than 17 digits."""
    prec, best = _PREC, None
    while prec <= _MAX_PREC:
        truth = _certified_fit(A, y, family, prec, start, terms, aliased, iterations)
        if truth is not None and truth.digits >= _DIGITS:
            return truth
        best = truth or best
        prec *= 2
    return best  # the best certificate there is (`digits` says what it guarantees), or None


def _certified_fit(A: np.ndarray, y: np.ndarray, family: str, prec: int, start: np.ndarray, terms: list[str],
                   aliased: list[str], iterations: int) -> GLMTruth | None:
    """The fit at one working precision, every number rounded from its ball; None when Krawczyk's test fails."""
    result = _fit(A, y, family, prec, start)
    if result is None:
        return None
    beta, cov, se, z, pval, ll, dev, null_dev, steps = result
    flint = _flint()
    r = _Rounder()
    k = len(terms)
    with flint.ctx.workprec(prec):
        aic = -2 * ll + 2 * k
        fit = GLMFit(
            family=family, terms=terms, estimate=[r(b) for b in beta], std_error=[r(s) for s in se],
            z_value=[r(v) for v in z], p_value=[r(v) for v in pval], deviance=r(dev), null_deviance=r(null_dev),
            aic=r(aic), df_resid=len(y) - k, n_obs=len(y), iterations=iterations + steps, converged=True,
            aliased=aliased, covariance=[[r(cov[i, j]) for j in range(k)] for i in range(k)],
        )
        loglik = r(ll)
    return GLMTruth(family, fit, digits=r.digits, loglik=loglik, precision=prec, newton_steps=steps,
                    deviance_limit=fit.deviance)


def _deviance_limit(X: np.ndarray, y: np.ndarray, features: list[str], family: str) -> float:
    """The infimum of the deviance under separation: separated rows contribute 0 in the limit (binomial
    log 1; poisson 2 mu -> 0) while the overlap rows keep their own MLE (no direction separates them; columns
    constant there are aliased), so it is the deviance of the fit on the overlap rows alone."""
    if len(y) == 0:
        return 0.0
    truth = certify(X, y, features, family)
    return truth.deviance_limit


def deviance_certified(X: np.ndarray, y: np.ndarray, family: str) -> float:
    """The certified residual deviance of the GLM of y on [1, X], for grading subset searches by deviance:
    under separation its infimum (what platforms approach as their estimates run off), which keeps deviance
    monotone in the terms, as branch and bound needs."""
    features = [f"x{j}" for j in range(np.asarray(X).reshape(len(y), -1).shape[1])]
    return certify(X, y, features, family).deviance_limit
