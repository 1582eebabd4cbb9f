"""The compiled engine of `subsets.best_subsets`: the same branch and bound as `subsets._BranchAndBound`, as one
loop of `_k_*` functions compiled with numba (imported only when the engine first runs), with per-size lower
bounds that prune harder. Also the two pieces both engines share: the tie rule and the triangular factor.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

_TIE_RTOL = 1e-9  # RSS values this close (relative) are ties: rounding, not a real difference ...
_TIE_ATOL = 1e-18  # ... plus this fraction of the null RSS, for models that interpolate y (RSS ~ 0)


def _triangular_factor(A: np.ndarray) -> np.ndarray:
    """Square upper-triangular R with R'R = A'A, padded with zero rows when A has fewer rows than columns."""
    r = np.asarray(np.linalg.qr(A, mode="r"))
    R = np.zeros((A.shape[1], A.shape[1]))
    R[: r.shape[0]] = r
    return R


# ----------------------------------------------------------------------------------------------------
# the compiled engine: the same branch and bound, compiled with numba, with per-size lower bounds


def compiled_search(Xc, yc, thresholds, order, kmax: int) -> dict[int, tuple[int, ...]]:
    """`_BranchAndBound`'s search as one compiled loop (see `_k_search`); {k: column indices of the best model}.

    The columns are scaled to unit norm first (the same models, and the eigenvalue bound needs a common scale).
    """
    p = Xc.shape[1]
    norms = np.sqrt(np.sum(Xc**2, axis=0))
    scale = np.where(norms > 0, norms, 1.0)
    order = np.asarray(order, dtype=np.int64)
    R = _triangular_factor(np.column_stack([Xc[:, order] / scale[order], yc]))
    sv = np.linalg.svd(R[:p, :p], compute_uv=False)
    # smallest eigenvalue of the scaled Gram matrix, less a rounding allowance: bounds every node's (see _k_search)
    lam = max(0.0, float(sv[-1]) ** 2 * (1.0 - 1e-6) - 1e-12 * p * float(sv[0]) ** 2)
    best = np.full(p + 1, np.inf)
    masks = np.zeros(p + 1, dtype=np.uint64)
    search = _compiled_kernel()
    search(R, order.copy(), (thresholds / scale)[order], kmax, float(yc @ yc), lam, best, masks)
    sets: dict[int, tuple[int, ...]] = {}
    for k in range(1, kmax + 1):
        if masks[k]:
            bits = int(masks[k])
            sets[k] = tuple(j for j in range(p) if bits >> j & 1)
    return sets


_BOUND_MARGIN = 1e-6  # RSS increments used as bounds are shrunk by this fraction: rounding can never prune a winner
_BOUND_MAX_COND = 1e6  # ... and only taken from blocks whose triangle is this well conditioned (Frobenius)
_ENTER, _AFTER, _RETURN = 0, 1, 2  # the explicit recursion's states in _k_search


def _k_could_improve(rss, k, best, null_rss):
    """RSS `rss` of size k can beat or tie the best of that size (the numpy engine's `_could_improve`)."""
    b = best[k]
    return rss <= b + (_TIE_RTOL * b + _TIE_ATOL * null_rss)


def _k_offer(rss, k, mask, best, masks, null_rss):
    """`_BranchAndBound._offer` on bit masks: on ties the lexicographically earlier set of column indices wins,
    which is the set owning the lowest column index of the two sets' symmetric difference."""
    incumbent = masks[k]
    if incumbent == 0:
        best[k] = rss
        masks[k] = mask
        return
    b = best[k]
    slack = _TIE_RTOL * b + _TIE_ATOL * null_rss
    if rss < b - slack:
        best[k] = rss
        masks[k] = mask
    elif rss <= b + slack:
        diff = mask ^ incumbent
        lowest = diff & (~diff + np.uint64(1))
        if mask & lowest:
            best[k] = min(rss, b)
            masks[k] = mask


def _k_bit(j):
    return np.uint64(1) << np.uint64(j)


def _k_first_dependent(R, thr, start, stop):
    for i in range(start, stop):
        if abs(R[i, i]) <= thr[i]:
            return i
    return stop


def _k_report_prefixes(R, order, thr, lo, hi, kmax, best, masks, null_rss):
    """Offer the full-rank prefix models of lengths lo..hi; return the RSS of the prefix of length hi."""
    p = R.shape[0] - 1
    tail = 0.0
    for r in range(p, hi - 1, -1):
        tail += R[r, p] * R[r, p]
    top = min(hi, _k_first_dependent(R, thr, lo - 1, hi), kmax)
    if top < lo:
        return tail
    rss = tail
    for r in range(hi - 1, top - 1, -1):
        rss += R[r, p] * R[r, p]
    for length in range(top, lo - 1, -1):
        if length < top:
            rss += R[length, p] * R[length, p]
        if _k_could_improve(rss, length, best, null_rss):
            mask = np.uint64(0)
            for i in range(length):
                mask |= _k_bit(order[i])
            _k_offer(rss, length, mask, best, masks, null_rss)
    return tail


def _k_rotate(R, i, c0):
    """Givens rotation of rows i and i+1 that zeroes R[i+1, c0], applied to columns c0.. of both."""
    a = R[i, c0]
    b = R[i + 1, c0]
    if b == 0.0:
        return
    r = math.hypot(a, b)
    c = a / r
    s = b / r
    R[i, c0] = r
    R[i + 1, c0] = 0.0
    for j in range(c0 + 1, R.shape[1]):
        x = R[i, j]
        z = R[i + 1, j]
        R[i, j] = c * x + s * z
        R[i + 1, j] = c * z - s * x


def _k_move_behind(R, order, thr, pos, end):
    """`_BranchAndBound._move_behind` with Givens rotations: the variable at pos goes to end-1."""
    for i in range(end):
        t = R[i, pos]
        for j in range(pos, end - 1):
            R[i, j] = R[i, j + 1]
        R[i, end - 1] = t
    moved = order[pos]
    moved_thr = thr[pos]
    for j in range(pos, end - 1):
        order[j] = order[j + 1]
        thr[j] = thr[j + 1]
    order[end - 1] = moved
    thr[end - 1] = moved_thr
    for i in range(pos, end - 1):
        _k_rotate(R, i, i)


def _k_householder(R, pos, end):
    """Householder QR of rows pos..end-1 (columns pos.., y included) after a permutation within pos..end-1."""
    for c in range(pos, end - 1):
        below = 0.0
        for i in range(c + 1, end):
            below += R[i, c] * R[i, c]
        if below == 0.0:
            continue
        norm = math.sqrt(R[c, c] * R[c, c] + below)
        alpha = -norm if R[c, c] >= 0 else norm
        v0 = R[c, c] - alpha
        vv = v0 * v0 + below
        for j in range(c + 1, R.shape[1]):
            s = v0 * R[c, j]
            for i in range(c + 1, end):
                s += R[i, c] * R[i, j]
            f = 2.0 * s / vv
            R[c, j] -= f * v0
            for i in range(c + 1, end):
                R[i, j] -= f * R[i, c]
        R[c, c] = alpha
        for i in range(c + 1, end):
            R[i, c] = 0.0


def _k_permute(R, order, thr, pos, end, perm, tmp):
    """Reorder positions pos..end-1 by perm (relative to pos) and re-triangularise; False if perm is the identity."""
    d = end - pos
    identity = True
    for i in range(d):
        if perm[i] != i:
            identity = False
            break
    if identity:
        return False
    for i in range(end):
        for j in range(d):
            tmp[j] = R[i, pos + perm[j]]
        for j in range(d):
            R[i, pos + j] = tmp[j]
    for j in range(d):
        tmp[j] = order[pos + perm[j]]
    for j in range(d):
        order[pos + j] = np.int64(tmp[j])
    for j in range(d):
        tmp[j] = thr[pos + perm[j]]
    for j in range(d):
        thr[pos + j] = tmp[j]
    _k_householder(R, pos, end)
    return True


def _k_block_stats(R, pos, end, C_inv, beta, delta):
    """For the block pos..end-1 in the model of the first `end` variables: coefficients (beta) and the RSS
    increase from dropping each one alone (delta = beta^2 / [(C'C)^-1]_jj, C the block's triangle). Returns
    ||C||_F ||C^-1||_F (inf when C is singular)."""
    p = R.shape[0] - 1
    d = end - pos
    c_norm = 0.0
    for i in range(d):
        for j in range(i, d):
            c_norm += R[pos + i, pos + j] ** 2
    for j in range(d - 1, -1, -1):
        if R[pos + j, pos + j] == 0.0:
            return np.inf
        C_inv[j, j] = 1.0 / R[pos + j, pos + j]
        for i in range(j - 1, -1, -1):
            s = 0.0
            for t in range(i + 1, j + 1):
                s += R[pos + i, pos + t] * C_inv[t, j]
            C_inv[i, j] = -s / R[pos + i, pos + i]
    inv_norm = 0.0
    for i in range(d):
        b = 0.0
        v = 0.0
        for j in range(i, d):
            b += C_inv[i, j] * R[pos + j, p]
            v += C_inv[i, j] * C_inv[i, j]
        beta[i] = b
        delta[i] = b * b / v
        inv_norm += v
    return math.sqrt(c_norm * inv_norm)


def _k_sort_free(R, order, thr, pos, end, kmax, best, masks, null_rss, C_inv, beta, delta, perm, tmp, have_stats):
    """`_BranchAndBound._sort_free`: the free block most important first (dependent variables to the back)."""
    if end - pos < 3:
        return
    dependent = 0
    for i in range(pos, end):
        if abs(R[i, i]) <= thr[i]:
            dependent += 1
    if dependent > 0:
        n_ok = 0
        for i in range(end - pos):
            if abs(R[pos + i, pos + i]) > thr[pos + i]:
                perm[n_ok] = i
                n_ok += 1
        for i in range(end - pos):
            if abs(R[pos + i, pos + i]) <= thr[pos + i]:
                perm[n_ok] = i
                n_ok += 1
        if _k_permute(R, order, thr, pos, end, perm, tmp):
            _k_report_prefixes(R, order, thr, pos + 1, end, kmax, best, masks, null_rss)
        end -= dependent
        if end - pos < 2:
            return
        for i in range(pos, end):
            if abs(R[i, i]) <= thr[i]:
                return  # numerically borderline: keep this order, the search stays exact
        have_stats = False
    if not have_stats and not np.isfinite(_k_block_stats(R, pos, end, C_inv, beta, delta)):
        return
    d = end - pos
    for i in range(d):
        tmp[i] = -delta[i]
    ranked = np.argsort(tmp[:d], kind="mergesort")
    for i in range(d):
        perm[i] = ranked[i]
    if _k_permute(R, order, thr, pos, end, perm, tmp):
        _k_report_prefixes(R, order, thr, pos + 1, end, kmax, best, masks, null_rss)


def _k_add_one(R, order, thr, pos, end, best, masks, null_rss):
    """`_BranchAndBound._add_one`: every model F + {v}, v free, from rows pos.. of R."""
    p = R.shape[0] - 1
    base = np.uint64(0)
    for i in range(pos):
        base |= _k_bit(order[i])
    below_end = 0.0
    for r in range(p, end - 1, -1):
        below_end += R[r, p] * R[r, p]
    for c in range(pos, end):
        den = 0.0
        num = 0.0
        for i in range(pos, c + 1):
            den += R[i, c] * R[i, c]
            num += R[i, c] * R[i, p]
        if not den > thr[c] * thr[c]:
            continue
        coef = num / den
        rss = below_end
        for i in range(c + 1, end):
            rss += R[i, p] * R[i, p]
        for i in range(pos, c + 1):
            e = R[i, p] - R[i, c] * coef
            rss += e * e
        if _k_could_improve(rss, pos + 1, best, null_rss):
            _k_offer(rss, pos + 1, base | _k_bit(order[c]), best, masks, null_rss)


def _k_search(R, order, thr, kmax0, null_rss, lam, best, masks):
    """`_BranchAndBound.search` as one loop with an explicit stack, and with a lower bound per size.

    At each node (F = the first pos variables, D = the block pos..end-1, every model F + a subset of D), a
    model of size s drops m = end - s variables T of D, and its RSS exceeds RSS(F + D) by
    beta_T' [(S^-1)_TT]^-1 beta_T, with S the Gram matrix of D orthogonalised against F. That is at least
      - the m-th smallest single-drop increase delta_(m) (dropping T costs at least what any one of it costs), and
      - lam * (sum of the m smallest beta_j^2), lam = smallest eigenvalue of the whole scaled Gram matrix, which
        bounds S's from below at every node (S is a Schur complement of a principal submatrix of it).
    Sizes whose best cannot be beaten under those bounds are dropped from the subtree (kmin..kmax), on top of
    the plain bound RSS(F + D) of `_BranchAndBound`. Returns the number of moves.
    """
    p = R.shape[0] - 1
    C_inv = np.zeros((p, p))
    beta = np.zeros(p)
    delta = np.zeros(p)
    scratch = np.zeros(p)
    lower = np.zeros(p + 1)
    perm = np.zeros(p, dtype=np.int64)
    tmp = np.zeros(p + 1)
    stack = np.zeros((p + 2, 4), dtype=np.int64)  # pos, end, kmin, kmax of the suspended callers
    # typed int64/bool variables, not literals: numba would compile each callee again for a literal argument
    moves = np.int64(0)
    depth = np.int64(0)
    pos = np.int64(0)
    end = np.int64(p)
    kmin = np.int64(1)
    kmax = np.int64(kmax0)
    _k_report_prefixes(R, order, thr, kmin, end, kmax, best, masks, null_rss)
    _k_sort_free(R, order, thr, pos, end, kmax, best, masks, null_rss, C_inv, beta, delta, perm, tmp, moves > 0)
    state = _ENTER
    while True:
        if state == _ENTER:  # loop head of _BranchAndBound._search
            if not (pos + 1 <= kmax and end - pos >= 2 and end - 1 >= kmin):
                state = _RETURN
                continue
            if kmax == pos + 1:
                _k_add_one(R, order, thr, pos, end, best, masks, null_rss)
                state = _RETURN
                continue
            if abs(R[pos, pos]) > thr[pos]:  # models with F + v: search them first ("call")
                stack[depth, 0] = pos
                stack[depth, 1] = end
                stack[depth, 2] = kmin
                stack[depth, 3] = kmax
                depth += 1
                pos += 1
                continue
            state = _AFTER
        if state == _AFTER:  # models without v
            _k_move_behind(R, order, thr, pos, end)
            moves += 1
            end -= 1
            bound = _k_report_prefixes(R, order, thr, pos + 1, end, kmax, best, masks, null_rss)
            lo = max(pos + 1, kmin)
            hi = min(kmax, end - 1)
            if hi < lo:
                state = _RETURN
                continue
            d = end - pos
            full_rank = True
            for i in range(pos, end):
                if abs(R[i, i]) <= thr[i]:
                    full_rank = False
                    break
            have_stats = False
            use_increments = False
            if full_rank and hi > pos + 1:
                cond = _k_block_stats(R, pos, end, C_inv, beta, delta)
                have_stats = np.isfinite(cond)
                use_increments = cond < _BOUND_MAX_COND
            for s in range(lo, hi + 1):
                lower[s] = bound
            if use_increments:
                for i in range(d):
                    scratch[i] = delta[i]
                delta_sorted = np.sort(scratch[:d])
                for i in range(d):
                    scratch[i] = beta[i] * beta[i]
                beta2_sorted = np.sort(scratch[:d])
                beta2_sum = 0.0
                for m in range(1, d + 1):
                    beta2_sum += beta2_sorted[m - 1]
                    size = end - m
                    if lo <= size <= hi:
                        lower[size] = bound + (1.0 - _BOUND_MARGIN) * max(delta_sorted[m - 1], lam * beta2_sum)
            new_kmin = np.int64(-1)
            new_kmax = np.int64(-1)
            for s in range(lo, hi + 1):
                if _k_could_improve(lower[s], s, best, null_rss):
                    if new_kmin < 0:
                        new_kmin = np.int64(s)
                    new_kmax = np.int64(s)
            if new_kmin < 0:
                state = _RETURN
                continue
            kmin = new_kmin
            kmax = new_kmax
            if kmax > pos + 1:  # more splits to come: split on the important variables first
                _k_sort_free(R, order, thr, pos, end, kmax, best, masks, null_rss, C_inv, beta, delta, perm, tmp,
                             have_stats)
            state = _ENTER
            continue
        if depth == 0:  # _RETURN
            break
        depth -= 1
        pos = stack[depth, 0]
        end = stack[depth, 1]
        kmin = stack[depth, 2]
        kmax = stack[depth, 3]
        state = _AFTER
    return moves


_KERNEL = ("_k_could_improve", "_k_offer", "_k_bit", "_k_first_dependent", "_k_report_prefixes", "_k_rotate",
           "_k_move_behind", "_k_householder", "_k_permute", "_k_block_stats", "_k_sort_free", "_k_add_one",
           "_k_search")


@functools.cache
def _compiled_kernel() -> Any:
    """Compile the `_k_*` functions with numba (imported here only: `import mlbench` stays free of it) and return
    `_k_search`. The module's names are rebound to the compiled functions so that they call each other compiled;
    `cache=True` keeps the machine code on disk (__pycache__), so only the first run ever compiles (~10 s)."""
    import numba

    namespace = globals()
    for name in _KERNEL:
        namespace[name] = numba.njit(cache=True)(namespace[name])
    return namespace["_k_search"]
