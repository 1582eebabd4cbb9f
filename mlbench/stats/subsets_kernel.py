"""The compiled engine of `subsets.best_subsets`: the numpy engine's branch and bound in C (subsets_kernel.c), with
per-size lower bounds that prune harder and the tree's subtrees shared out over the machine's cores. Also the two
pieces both engines share: the tie rule and the triangular factor.

The C library is built when mlbench is installed (hatch_build.py), so a fresh install's first search runs at full
speed (no JIT compile on first use); a checkout that was never built compiles it once into mlbench's private cache
(`kernel_build.build`, ~1 s with cc). It is loaded with ctypes: it is plain C with no Python headers.
"""

from __future__ import annotations

import ctypes
import functools
import os
from pathlib import Path

import numpy as np

from mlbench.stats import kernel_build

_TIE_RTOL = 1e-9  # RSS values this close (relative) are ties: rounding, not a real difference ...
_TIE_ATOL = 1e-18  # ... plus this fraction of the null RSS, for models that interpolate y (RSS ~ 0)
MAX_P = 128  # the kernel keeps each model as bits in two 64-bit words
_THREADS_FROM_P = 24  # below this many columns a search takes milliseconds: one thread, no thread start-up
_INSTALLED = Path(__file__).parent  # where the install-time build (hatch_build.py) puts the library
_SPLIT = 2  # subtrees with 2 variables forced in are the tasks the threads share (p^2 / 2 of them: balanced)


def _triangular_factor(A: np.ndarray) -> np.ndarray:
    """Square upper-triangular R with R'R = A'A, padded with zero rows when A has fewer rows than columns."""
    r = np.asarray(np.linalg.qr(A, mode="r"))
    R = np.zeros((A.shape[1], A.shape[1]))
    R[: r.shape[0]] = r
    return R


class KernelUnavailable(RuntimeError):
    """The C kernel could not be built or loaded here (no C compiler): the numpy engine answers instead."""


@functools.cache
def _library() -> ctypes.CDLL:
    """The kernel built at install beside this file, else the one in the private cache (built there now if
    missing). Raises KernelUnavailable with the reason when neither can be had."""
    name = kernel_build.library_name()
    installed = _INSTALLED / name
    path = installed if installed.is_file() else None
    if path is None:
        from mlbench.private_cache import cache_dir

        cached = cache_dir() / name
        path = cached if cached.is_file() else None
        if path is None:
            path, why = kernel_build.build(cache_dir())
            if path is None:
                raise KernelUnavailable(why)
    lib = ctypes.CDLL(str(path))
    f = lib.mlbench_best_subsets
    dbl = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
    i64 = np.ctypeslib.ndpointer(dtype=np.int64, flags="C_CONTIGUOUS")
    u64 = np.ctypeslib.ndpointer(dtype=np.uint64, flags="C_CONTIGUOUS")
    f.argtypes = [ctypes.c_int, dbl, i64, dbl, ctypes.c_int, ctypes.c_double, ctypes.c_double, dbl, u64,
                  ctypes.c_int, ctypes.c_int, ctypes.c_int]
    f.restype = ctypes.c_long
    return lib


def available() -> bool:
    """Whether the C kernel can run here (built, or buildable)."""
    try:
        _library()
    except (KernelUnavailable, OSError):
        return False
    return True


def default_threads(p: int) -> int:
    """Threads for a search over p columns: every core this process may use, one for small searches."""
    if p < _THREADS_FROM_P:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), 64))


def compiled_search(Xc, yc, thresholds, order, kmax: int, threads: int | None = None,
                    kmin: int = 1) -> dict[int, tuple[int, ...]]:
    """The branch and bound of `_BranchAndBound` in C; {k: column indices of the best model} for k in kmin..kmax.

    The columns are scaled to unit norm first (the same models, and the eigenvalue bound needs a common scale).
    """
    p = Xc.shape[1]
    if p > MAX_P:
        raise ValueError(f"the compiled engine handles at most {MAX_P} columns, got {p}")
    norms = np.sqrt(np.sum(Xc**2, axis=0))
    scale = np.where(norms > 0, norms, 1.0)
    order = np.ascontiguousarray(order, dtype=np.int64)
    R = np.ascontiguousarray(_triangular_factor(np.column_stack([Xc[:, order] / scale[order], yc])))
    sv = np.linalg.svd(R[:p, :p], compute_uv=False)
    # smallest eigenvalue of the scaled Gram matrix, less a rounding allowance: bounds every node's (see the C)
    lam = max(0.0, float(sv[-1]) ** 2 * (1.0 - 1e-6) - 1e-12 * p * float(sv[0]) ** 2)
    best = np.full(p + 1, np.inf)
    masks = np.zeros((p + 1, 2), dtype=np.uint64)
    thr = np.ascontiguousarray((thresholds / scale)[order], dtype=np.float64)
    n_threads = default_threads(p) if threads is None else threads
    moves = _library().mlbench_best_subsets(p, R, order, thr, kmax, float(yc @ yc), lam, best, masks, n_threads,
                                            _SPLIT, kmin)
    if moves < 0:
        raise MemoryError("the best-subset kernel could not allocate its work space or start its threads")
    sets: dict[int, tuple[int, ...]] = {}
    for k in range(kmin, kmax + 1):
        bits = int(masks[k, 0]) | int(masks[k, 1]) << 64
        if bits:
            sets[k] = tuple(j for j in range(p) if bits >> j & 1)
    return sets
