"""lmSubsets' benchmark design, reproduced bit for bit in numpy, and the times its authors published for it.

Source: Hofmann, Gatu, Kontoghiorghes, Colubi, Zeileis (2020), "lmSubsets: Exact Variable-Subset Selection in
Linear Regression for R", Journal of Statistical Software 93(3), doi:10.18637/jss.v093.i03, section "Benchmark
tests", tables 6 (benchmark 1: lmSubsets vs leaps, nvar 20-40) and 8 (benchmark 3: nvar 20-80); the scripts and
the saved results are in the CRAN package lmSubsets 0.5-2, vignettes/benchmark.R, bm-01.R, bm-03.R,
results.txt and bm-03.RData (github.com/cran/lmSubsets).

Their generator (benchmark.R, `simu_benchmark`) for one dataset, in R:

    set.seed(SEED)
    coefs <- rep_len(0, nvar); coefs[sample.int(nvar, size = ntrue)] <- 1   # the true set is RANDOM
    e <- rnorm(nobs, mean = 0, sd = sigma)
    x <- rnorm(nobs * nvar); dim(x) <- c(nobs, nvar)
    y <- cbind(1, x) %*% c(1, coefs) + e                                     # y = X 1_true + e + 1

with nobs = 1000, ntrue = floor(nvar / 2), and SEED the dataset's entry of `set.seed(1); sample.int(
.Machine$integer.max, size = 100)` (`data_benchmark`, bm$seed = 1). Benchmark 3 (bm-03.R) defines its datasets
in the order nvar = 20, 40, 60, 80, each with sigma = 0.05, 0.1, 0.5, 1, 5 and 5 repetitions (the repetition
varies fastest), so dataset (nvar, sigma, rep) has SEED number 25 * nvar_index + 5 * sigma_index + rep.

Their results were computed with R < 3.6, whose `sample` used the "Rounding" sampler (floor(n * unif_rand()));
the seeds and true sets saved in bm-03.RData match that sampler, not today's default "Rejection" one (checked with
R 4.2). So this module replays R's Mersenne-Twister (R's set.seed scrambling), R's inversion normal generator
(`qnorm` AS 241 on a 2^27-refined uniform) and the Rounding sampler in numpy: no R needed to rebuild their data,
and tests/test_lmsubsets_design.py checks the replay against R and against bm-03.RData's saved values.
"""

from __future__ import annotations

import math

import numpy as np

NOBS = 1000
SIGMAS = (0.05, 0.1, 0.5, 1.0, 5.0)
NVARS = (20, 40, 60, 80)  # benchmark 3's sizes, in its dataset order
REPS = 5
BENCHMARK_SEED = 1

# lmSubsets(tolerance = 0), their hardware (2016 laptop: Dell XPS15, Intel Core i7-6700HQ 2.60 GHz, 8 GB, Ubuntu),
# seconds, mean of 5 datasets (repetitions): JSS 93(3) table 8 (= vignettes/results.txt, bm-03). Every subset size
# 1..nvar, except nvar = 80 where only sizes 30..50 were searched (nmin = 30, nmax = 50).
PUBLISHED_LMSUBSETS: dict[tuple[int, float], float] = {
    (20, 0.05): 0.0210, (20, 0.1): 0.0070, (20, 0.5): 0.0068, (20, 1.0): 0.0070, (20, 5.0): 0.0072,
    (40, 0.05): 0.3266, (40, 0.1): 0.3150, (40, 0.5): 0.3358, (40, 1.0): 0.2902, (40, 5.0): 0.1958,
    (60, 0.05): 217.0276, (60, 0.1): 208.7206, (60, 0.5): 197.1472, (60, 1.0): 228.7098, (60, 5.0): 89.2436,
    (80, 0.05): 413.9822, (80, 0.1): 465.8244, (80, 0.5): 486.8580, (80, 1.0): 374.4522, (80, 5.0): 154.8358,
}
# The same runs one by one (bm-03.RData, table RUN, column ELAPSED, repetitions 1..5): their time on the very
# dataset `lmsubsets_problem(nvar, sigma, rep)` rebuilds, for a like-for-like row.
SAVED_LMSUBSETS_RUNS: dict[tuple[int, float], tuple[float, ...]] = {
    (20, 0.05): (0.009, 0.076, 0.007, 0.007, 0.006), (20, 0.1): (0.007, 0.007, 0.007, 0.007, 0.007),
    (20, 0.5): (0.006, 0.007, 0.007, 0.007, 0.007), (20, 1.0): (0.007, 0.007, 0.007, 0.007, 0.007),
    (20, 5.0): (0.007, 0.008, 0.007, 0.007, 0.007),
    (40, 0.05): (0.321, 0.329, 0.301, 0.323, 0.359), (40, 0.1): (0.300, 0.312, 0.296, 0.327, 0.340),
    (40, 0.5): (0.290, 0.342, 0.406, 0.338, 0.303), (40, 1.0): (0.296, 0.267, 0.289, 0.342, 0.257),
    (40, 5.0): (0.287, 0.193, 0.171, 0.166, 0.162),
    (60, 0.05): (248.198, 216.386, 229.784, 192.478, 198.292), (60, 0.1): (270.951, 162.294, 204.115, 195.102, 211.141),
    (60, 0.5): (203.897, 182.388, 274.379, 175.288, 149.784), (60, 1.0): (250.128, 182.249, 203.792, 254.689, 252.691),
    (60, 5.0): (92.393, 78.076, 101.342, 72.775, 101.632),
    (80, 0.05): (494.897, 380.685, 453.965, 393.870, 346.494), (80, 0.1): (530.741, 442.426, 547.671, 449.074, 359.210),
    (80, 0.5): (498.727, 551.995, 499.579, 462.926, 421.063), (80, 1.0): (441.764, 419.499, 386.904, 314.607, 309.487),
    (80, 5.0): (34.110, 65.768, 443.402, 175.127, 55.772),
}
PUBLISHED_SIZES: dict[int, tuple[int, int]] = {20: (1, 20), 40: (1, 40), 60: (1, 60), 80: (30, 50)}
# leaps::regsubsets (exhaustive, no preordering) on benchmark 1's datasets (other seeds), same laptop: table 6.
PUBLISHED_LEAPS: dict[tuple[int, float], float] = {
    (20, 0.05): 0.0088, (20, 0.1): 0.0078, (20, 0.5): 0.0086, (20, 1.0): 0.0084, (20, 5.0): 0.0080,
    (40, 0.05): 172.6132, (40, 0.1): 208.9978, (40, 0.5): 204.8344, (40, 1.0): 171.4990, (40, 5.0): 117.8592,
}
PUBLISHED_HARDWARE = "their hardware (2016 laptop: Intel Core i7-6700HQ 2.60 GHz)"


class RRandom:
    """R's default generator as of R 3.x: Mersenne-Twister seeded by `set.seed`, normal.kind "Inversion",
    sample.kind "Rounding" (the sampler of R < 3.6, which lmSubsets' published data used)."""

    _I2_32M1 = 2.328306437080797e-10  # 1 / (2^32 - 1): fixup's bound
    _BIG = 134217728  # 2^27: the inversion normal's refinement of one uniform by a second

    def __init__(self, seed: int):
        # RNG_Init: 50 scrambling steps of seed = 69069 seed + 1 (unsigned 32-bit), then 625 more filling
        # dummy[0..624]; FixupSeeds sets dummy[0] (mti) to 624, so the state is dummy[1..624], regenerated at once.
        s = seed & 0xFFFFFFFF
        for _ in range(50):
            s = (69069 * s + 1) & 0xFFFFFFFF
        key = np.empty(625, dtype=np.uint32)
        for j in range(625):
            s = (69069 * s + 1) & 0xFFFFFFFF
            key[j] = s
        self._bits = np.random.MT19937()
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key[1:], "pos": 624}}

    def unif_rand(self, n: int) -> np.ndarray:
        """n of R's `unif_rand()`: a 32-bit MT word times 2^-32, kept inside (0, 1) (R's `fixup`)."""
        u = self._bits.random_raw(n).astype(np.float64) * 2.3283064365386963e-10
        u[u <= 0.0] = 0.5 * self._I2_32M1
        u[1.0 - u <= 0.0] = 1.0 - 0.5 * self._I2_32M1
        return u

    def rnorm(self, n: int, sd: float = 1.0) -> np.ndarray:
        """R's `rnorm(n, 0, sd)`: each draw takes two uniforms, u = floor(2^27 u1) + u2, then qnorm(u / 2^27)."""
        u = self.unif_rand(2 * n)
        p = (np.floor(self._BIG * u[0::2]) + u[1::2]) / self._BIG
        return 0.0 + sd * qnorm(p)

    def sample_int(self, n: int, size: int) -> np.ndarray:
        """R's `sample.int(n, size)` without replacement (1-based), Rounding sampler. For n > 1e7 and size <= n/2
        R draws with a hash of the values seen (`sample2`: redraw a repeat); otherwise it draws from a shrinking
        array (`do_sample`: take x[j], move the last element into its place)."""
        out = np.empty(size, dtype=np.int64)
        if n > 1e7 and size <= n / 2:
            seen: set[int] = set()
            i = 0
            while i < size:
                v = math.floor(n * float(self.unif_rand(1)[0]))
                if v not in seen:
                    seen.add(v)
                    out[i] = v + 1
                    i += 1
            return out
        pool = list(range(n))
        left = n
        for i in range(size):
            j = int(left * self.unif_rand(1)[0])
            out[i] = pool[j] + 1
            left -= 1
            pool[j] = pool[left]
        return out


_A = (3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
      45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727)
_B = (1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867,
      39307.89580009271061, 28729.085735721942674, 5226.495278852854561)
_C = (1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
      1.27045825245236838258, .24178072517745061177, .0227238449892691845833, 7.7454501427834140764e-4)
_D = (1.0, 2.05319162663775882187, 1.6763848301838038494, .68976733498510000455, .14810397642748007459,
      .0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9)
_E = (6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, .29656057182850489123,
      .026532189526576123093, .0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7)
_F = (1.0, .59983220655588793769, .13692988092273580531, .0148753612908506148525, 7.868691311456132591e-4,
      1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15)


def _horner(c: tuple[float, ...], r: np.ndarray) -> np.ndarray:
    """((((c7 r + c6) r + c5) ... ) r + c0): R's evaluation order, so the doubles match R's."""
    v = r * c[7] + c[6]
    for k in range(5, -1, -1):
        v = v * r + c[k]
    return v


def qnorm(p: np.ndarray) -> np.ndarray:
    """R's `qnorm(p)` (Wichura's AS 241, as in R 3.x-4.2 nmath/qnorm.c) for 0 < p < 1, operation for operation.
    The logarithm of the tails is taken with `math.log` (the C library's, as R's) rather than numpy's own."""
    q = p - 0.5
    val = np.empty_like(p)
    mid = np.abs(q) <= 0.425
    r = 0.180625 - q[mid] * q[mid]
    val[mid] = q[mid] * _horner(_A, r) / _horner(_B, r)
    tail = ~mid
    rt = np.where(q[tail] > 0, 0.5 - p[tail] + 0.5, p[tail])
    rt = np.sqrt(-np.array([math.log(v) for v in rt]))
    near = rt <= 5.0
    v = np.empty_like(rt)
    r1 = rt[near] - 1.6
    v[near] = _horner(_C, r1) / _horner(_D, r1)
    r2 = rt[~near] - 5.0
    v[~near] = _horner(_E, r2) / _horner(_F, r2)
    val[tail] = np.where(q[tail] < 0.0, -v, v)
    return val


def benchmark_seeds(count: int = 100) -> list[int]:
    """`set.seed(1); sample.int(.Machine$integer.max, size = count)`: one seed per dataset, in definition order."""
    return [int(s) for s in RRandom(BENCHMARK_SEED).sample_int(2**31 - 1, count)]


def dataset_seed(nvar: int, sigma: float, rep: int = 1) -> int:
    """The seed of benchmark 3's dataset (nvar, sigma, repetition rep in 1..5). An nvar benchmark 3 does not
    have takes the seeds of a fifth block, as if `data_benchmark(bm, NOBS = 1000, NVAR = nvar, ...,
    DIST_ID = 1:5)` were appended after theirs: a documented extension, not their data."""
    if sigma not in SIGMAS:
        raise ValueError(f"sigma {sigma} is not one of lmSubsets' {SIGMAS}")
    if not 1 <= rep <= REPS:
        raise ValueError(f"repetition {rep} is not in 1..{REPS}")
    block = NVARS.index(nvar) if nvar in NVARS else len(NVARS)
    index = REPS * len(SIGMAS) * block + REPS * SIGMAS.index(sigma) + rep - 1
    return benchmark_seeds(index + 1)[index]


def generate(nvar: int, sigma: float, seed: int, nobs: int = NOBS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X nobs x nvar, y, true: 0-based indices of the ntrue = nvar // 2 regressors with coefficient 1) from
    `set.seed(seed)`, drawn in their order: the true set, then e, then X column by column."""
    rng = RRandom(seed)
    true = np.sort(rng.sample_int(nvar, nvar // 2) - 1)
    e = rng.rnorm(nobs, sd=sigma)
    X = rng.rnorm(nobs * nvar).reshape(nvar, nobs).T  # R fills the matrix column by column
    # cbind(1, x) %*% c(1, coefs) + e, summed in reference BLAS's order (column by column, the zero terms exact):
    # the same doubles as R with its reference BLAS, where numpy's `@` may differ in the last bit
    y = np.ones(nobs)
    for j in true:
        y = y + X[:, j]
    y = y + e
    return np.ascontiguousarray(X), y, true


def lmsubsets_problem(nvar: int, sigma: float, rep: int = 1) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Their dataset (nvar, sigma, rep) as (X, y, names x1..xnvar, true indices)."""
    X, y, true = generate(nvar, sigma, dataset_seed(nvar, sigma, rep))
    return X, y, [f"x{j + 1}" for j in range(nvar)], true
