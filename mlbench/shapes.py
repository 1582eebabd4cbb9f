"""The shape of the training ladder's synthetic data: tall (many rows, 10 columns: the default), wide (p >> n: a
few hundred to a few thousand rows of 1,000+ columns) and sparse (95% zeros, kept as a CSR matrix for the
platforms that take one).

Benchmark users ask for more than tall data (scikit-learn_bench #13): a platform fast on 100k x 10 can be slow or
out of memory at 500 x 5,000, and a CSR matrix of 5% nonzeros needs about an eighth of the memory of its dense
copy, which only the platforms that accept CSR save. So a shape names three things together: how the data is
generated (with a planted, known signal so test AUC/RMSE stay meaningful), the column count and the default row
ladder, and what each platform is handed.

Wide and sparse data carry a linear signal on `k` planted columns whose coefficients depend only on (shape, p),
never on the seed: the test set, drawn with another seed, shares them, as the tall generator's fixed
coefficients do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlbench.errors import MlbenchError, unknown

DENSITY = 0.05  # the sparse shape's share of nonzeros (95% zeros)
SIGNAL_SD = 2.0  # the planted signal's standard deviation: logit scale (classification) and y (regression)
COEFFICIENT_SEED = 20_261_207  # the planted coefficients' own stream (with the shape and p), apart from the data's


@dataclass(frozen=True)
class Shape:
    name: str
    description: str
    min_columns: int  # the step's `features` below this is replaced by `columns`
    columns: int  # default column count
    planted: int  # columns carrying the signal (k)
    sizes: tuple[int, ...]  # the default row ladder when the shape is asked for on a tall scenario
    test_rows: int  # cap on the fixed test set's rows (a 10k x 2,000 test set alone would be 160 MB)

    def p(self, features: int) -> int:
        """The column count: the step's `features` when it is at least this shape's minimum, else its default."""
        return features if features >= self.min_columns else self.columns


SHAPES = {
    "tall": Shape("tall", "many rows, the step's `features` columns (10), AR(1)-correlated, nonlinear signal",
                  5, 10, 5, (10_000, 100_000), 10**9),
    "wide": Shape("wide", "p >> n: 2,000 N(0,1) columns (the step's `features` if 1,000 or more), rows below p, "
                  "linear signal on 10 columns", 1_000, 2_000, 10, (250, 1_000), 2_000),
    "sparse": Shape("sparse", "95% zeros: 1,000 columns (the step's `features` if 100 or more) of N(0,1) nonzeros, "
                    "CSR to the platforms that take it, linear signal on 50 columns", 100, 1_000, 50,
                    (5_000, 20_000), 5_000),
}


def check(name: str | None) -> Shape:
    """The named shape (None: tall); an unknown name is a one-line error with the closest known one."""
    if name is None:
        return SHAPES["tall"]
    if name not in SHAPES:
        raise MlbenchError(unknown("shape", name, SHAPES))
    return SHAPES[name]


def ladder(shape: Shape, asked: list[int] | None, scenario_sizes: list[int], scenario_shape: str | None) -> list[int]:
    """The row counts to train on: --sizes, else the scenario's own sizes when the scenario is written for this
    shape (tall, or it names the shape itself), else the shape's default ladder (`--shape wide` on the tall train
    scenario must not train 100k rows of 2,000 columns)."""
    if asked:
        return asked
    return scenario_sizes if shape.name == "tall" or scenario_shape == shape.name else list(shape.sizes)


def check_sizes(shape: Shape, sizes: list[int], p: int) -> None:
    """Wide means fewer rows than columns: a size at or above p is a one-line error naming the fix."""
    if shape.name == "wide" and (too_many := [n for n in sizes if n >= p]):
        raise MlbenchError(f"shape wide needs fewer rows than its {p:,} columns: size "
                           f"{', '.join(f'{n:,}' for n in too_many)} is not; pass --sizes below {p:,} (e.g. 250,1000)")


def coefficients(shape: Shape, p: int) -> np.ndarray:
    """The planted coefficients of wide or sparse data with p columns: +-U(0.5, 1.5) on the first k columns, zero
    elsewhere, from their own stream seeded by (shape, p) so every seed of the data shares them."""
    k = min(shape.planted, p)
    rng = np.random.default_rng([COEFFICIENT_SEED, p, list(SHAPES).index(shape.name)])
    beta = np.zeros(p)
    beta[:k] = rng.choice([-1.0, 1.0], size=k) * rng.uniform(0.5, 1.5, size=k)
    return beta


def generate(shape: Shape, task: str, n: int, p: int, seed: int) -> tuple[Any, np.ndarray, dict[str, Any]]:
    """(X, y, truth) of a wide (dense ndarray) or sparse (scipy CSR, exactly round(DENSITY * n * p) nonzeros)
    shape. The signal X b is scaled by the planted coefficients' population standard deviation to SIGNAL_SD
    (`scale` in the truth): y = scale X b + N(0, 1) for regression, P(y = 1) = 1 / (1 + exp(-scale X b)) for
    classification; `truth["coefficients"]` are scale * b, what a fit recovers."""
    beta = coefficients(shape, p)
    rng = np.random.default_rng(seed)
    if shape.name == "sparse":
        import scipy.sparse as sp

        X: Any = sp.random(n, p, density=DENSITY, format="csr", random_state=rng, data_rvs=rng.standard_normal)
        variance = DENSITY * float(beta @ beta)  # each entry: nonzero with probability DENSITY, then N(0, 1)
    else:
        X = rng.standard_normal((n, p))
        variance = float(beta @ beta)
    scale = SIGNAL_SD / np.sqrt(variance)
    signal = np.asarray(X @ (scale * beta)).ravel()
    if task == "classification":
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-signal))).astype(float)
    else:
        y = signal + rng.standard_normal(n)
    k = int(np.count_nonzero(beta))
    truth = {"shape": shape.name, "scale": float(scale), "support": [f"x{i + 1}" for i in range(k)],
             "coefficients": {f"x{i + 1}": float(scale * beta[i]) for i in range(k)},
             "noise_sd": 1.0 if task == "regression" else None}
    return X, y, truth


def footprint(X: Any) -> dict[str, Any]:
    """nnz, density, and the bytes of the CSR arrays beside a dense float64 copy: the memory a platform that
    takes CSR saves."""
    n, p = X.shape
    csr_bytes = int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)
    return {"nnz": int(X.nnz), "density": X.nnz / (n * p), "csr_bytes": csr_bytes, "dense_bytes": n * p * 8}


# What each platform is handed from a sparse run (the run's data note; README "Tall, wide and sparse").
AS_CSR = {
    "sklearn": "scipy CSR to LinearRegression, LogisticRegression and RandomForest; HistGradientBoosting takes "
               "no sparse input, so its gbm densifies (toarray)",
    "xgboost": "scipy CSR (absent entries are xgboost's missing values, not zeros)",
    "lightgbm": "scipy CSR (zeros stay zeros: zero_as_missing off)",
}
DENSIFIED = ("every other platform reads the dense Parquet/CSV file: H2O imports the Parquet file and stores a "
             "mostly-zero column chunk in its sparse chunk encoding (CXIChunk); Spark's VectorAssembler stores each "
             "row as a SparseVector when that is smaller; statsmodels, CatBoost, TensorFlow and R get dense float64")


def note(X: Any, test: Any = None) -> str:
    """The run's data note of a sparse unit: its footprint and what each platform is handed."""
    f = footprint(X)
    mib = 2**20
    text = (f"sparse: nnz {f['nnz']:,} of {X.shape[0] * X.shape[1]:,} ({f['density']:.2%} nonzero); CSR "
            f"{f['csr_bytes'] / mib:.1f} MiB vs dense float64 {f['dense_bytes'] / mib:.1f} MiB")
    if test is not None:
        t = footprint(test)
        text += f" (test set: nnz {t['nnz']:,}, {t['density']:.2%})"
    return text + ". CSR to " + "; ".join(f"{k}: {v}" for k, v in AS_CSR.items()) + f". Densified: {DENSIFIED}"


def save_csr(X: Any, path: Path) -> Path:
    """scipy's own .npz format (scipy.sparse.save_npz), read back by platforms/frames.read_sparse."""
    import scipy.sparse as sp

    sp.save_npz(path, X, compressed=False)
    return path
