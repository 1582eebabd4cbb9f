"""Where data comes from: built-in ISLR datasets, seeded synthetic data with known truth, user files.

Every dataset is returned with a sha256 and a provenance note so each result row says exactly what it ran on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlbench import glm_cases, limits, nist
from mlbench.errors import MlbenchError

DATA_DIR = Path(__file__).parent / "data"
ISLR_PROVENANCE = (
    "ISLR (James et al.) via JWarmenhoven/ISLR-python@4100e94, byte copy; see mlbench/data/SOURCES.md"
)


@dataclass(frozen=True)
class BuiltinDataset:
    file: str
    target: str
    description: str
    columns: tuple[str, ...] = ()  # the model's predictors where the file holds more (others left out); () = all
    factors: tuple[str, ...] = ()  # columns that are factors although written as numbers (Bikeshare's hr)
    family: str | None = None  # the statistics steps' family unless the run names one (None: from the target)
    provenance: str = ""  # where the file is from, when not ISLR-python


ISLR2_PROVENANCE = ("ISLR2 (James et al., 2nd ed.) via qx0731/Sharing_ISL_python@6b588e7, byte copy; "
                    "see mlbench/data/SOURCES.md")


BUILTINS: dict[str, BuiltinDataset] = {
    "advertising": BuiltinDataset(
        "advertising.csv", "Sales", "ISLR Advertising: Sales ~ TV, Radio, Newspaper (200 rows)"
    ),
    "hitters": BuiltinDataset(
        "hitters.csv", "Salary", "ISLR Hitters: baseball salaries, 19 predictors, 59 NA salaries (322 rows)"
    ),
    "credit": BuiltinDataset(
        "credit.csv", "Balance", "ISLR Credit: card balance, numeric and categorical predictors (400 rows)"
    ),
    "default": BuiltinDataset(
        "default.csv", "default", "ISLR2 Default: credit card default (No/Yes), logistic (10,000 rows)",
        provenance=ISLR2_PROVENANCE,
    ),
    "bikeshare": BuiltinDataset(
        "bikeshare.csv", "bikers", "ISLR2 Bikeshare: hourly rentals, Poisson; mnth (12) and hr (24) factors "
        "(8,645 rows)", columns=("mnth", "hr", "workingday", "temp", "weathersit"), factors=("hr",),
        family="poisson", provenance=ISLR2_PROVENANCE,
    ),
}
SYNTHETIC = {
    "synthetic-linear": "seeded linear model with known coefficients and support; params n, p, k, rho, noise",
    "synthetic-classification": "seeded nonlinear binary task for training (train scenario); params n, p",
    "synthetic-regression": "seeded nonlinear regression task for training (train scenario); params n, p",
}


@dataclass
class Dataset:
    name: str
    frame: pd.DataFrame
    target: str
    sha256: str
    provenance: str
    truth: dict[str, Any] = field(default_factory=dict)  # known coefficients / support, or certified values
    exact: dict[str, list[Fraction]] | None = None  # exact values of the design columns, where the source has them
    family: str | None = None  # the statistics steps' family unless the run names one (None: from the target)
    intercept: bool = True  # the source's own model has an intercept (False: NIST's NoInt1/NoInt2)
    sparse: Any = None  # the sparse shape's design as scipy CSR (the frame holds its dense copy); None otherwise


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _csv_header_duplicates(path: Path) -> list[str]:
    """pandas silently renames a repeated CSV header (`a`, `a.1`); a duplicated column is an input error. A header
    field over limits.CSV_FIELD_BYTES is one too."""
    import csv

    try:
        with path.open(newline="", encoding="utf-8", errors="replace") as fh:
            header = next(csv.reader(fh), [])
    except OSError:
        return []
    except csv.Error:  # the csv module's own field size limit (limits.CSV_FIELD_BYTES), or a NUL in the header
        raise limits.csv_field_error(path) from None
    return sorted({name for name in header if header.count(name) > 1 and name})


def _read_table(path: Path) -> pd.DataFrame:
    """CSV or Parquet; an unnamed first column (R's row names) becomes the index, as R's read.csv does."""
    suffixes = "".join(path.suffixes).lower()
    if not suffixes.endswith((".parquet", ".pq")) and (duplicated := _csv_header_duplicates(path)):
        raise MlbenchError(f"duplicate column names in the data: {', '.join(duplicated)}")
    try:
        if suffixes.endswith((".parquet", ".pq")):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise MlbenchError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MlbenchError(f"{path}: cannot read as a table: {first}") from None
    _refuse_nul(path, frame)
    first_col = str(frame.columns[0]) if len(frame.columns) else ""
    if first_col == "" or first_col.startswith("Unnamed: 0"):
        frame = frame.set_index(frame.columns[0])
        frame.index.name = None
    return frame


def _refuse_nul(path: Path, frame: pd.DataFrame) -> None:
    """A NUL byte in a CSV makes pandas read a numeric column as text (a factor to the design): an input error
    that names the column, rather than a silently different model."""
    for column in frame.columns:
        if "\x00" in str(column):
            raise MlbenchError(f"{path}: a column name contains a NUL byte (is this a text CSV file?)")
        values = frame[column]
        text = pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)
        if text and values.astype(str).str.contains("\x00", regex=False).any():
            raise MlbenchError(f"{path}: column {str(column)!r} contains NUL bytes (is this a text CSV file?)")


def load_builtin(name: str) -> Dataset:
    spec = BUILTINS[name]
    path = DATA_DIR / spec.file
    frame = _read_table(path)
    if spec.columns:  # ISLR2 section 4.6's model of Bikeshare: the file's other columns are not its predictors
        frame = frame[[*spec.columns, spec.target]]
    for column in spec.factors:  # a factor written as numbers: its levels as text, so the design dummy-codes it
        frame[column] = frame[column].map(lambda v: str(int(v)) if float(v).is_integer() else str(v))
    provenance = spec.provenance or ISLR_PROVENANCE
    return Dataset(name, frame, spec.target, _sha256_file(path), provenance, family=spec.family)


def load_file(path: Path, target: str | None) -> Dataset:
    if not path.exists():
        raise MlbenchError(f"data file not found: {path}")
    if not path.is_file():
        raise MlbenchError(f"data path is not a file: {path}")
    if target is None:
        raise MlbenchError("--data needs --target COLUMN (the response column)")
    try:
        digest = _sha256_file(path)
    except OSError as exc:
        raise MlbenchError(f"cannot read data file {path}: {exc.strerror or exc}") from None
    return Dataset(path.name, _read_table(path), target, digest, f"user file {path.resolve()}")


def synthetic_linear(
    n: int = 200, p: int = 10, k: int = 4, rho: float = 0.5, noise: float = 1.0, seed: int = 42
) -> Dataset:
    """y = X b + e with b nonzero on the first k of p features; features are AR(1)-correlated with rho.

    The correlated nuisance features make selection non-trivial while the true support stays known.
    """
    if not (1 <= k <= p and n >= 2):
        raise MlbenchError("synthetic-linear needs 1 <= k <= p and n >= 2")
    limits.check_seed(seed)
    limits.check_synthetic_memory("synthetic-linear", n, p)
    rng = np.random.default_rng(seed)
    cov = rho ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = rng.multivariate_normal(np.zeros(p), cov, size=n)
    beta = np.zeros(p)
    beta[:k] = rng.choice([-1.0, 1.0], size=k) * rng.uniform(1.0, 3.0, size=k)
    intercept = 1.5
    y = intercept + X @ beta + noise * rng.standard_normal(n)
    names = [f"x{i + 1}" for i in range(p)]
    frame = pd.DataFrame(X, columns=names)
    frame["y"] = y
    digest = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
    params = {"n": n, "p": p, "k": k, "rho": rho, "noise": noise, "seed": seed}
    truth = {
        "intercept": intercept,
        "coefficients": dict(zip(names, beta.tolist(), strict=True)),
        "support": names[:k],
        "params": params,
    }
    return Dataset("synthetic-linear", frame, "y", digest, f"generated by mlbench synthetic_linear({params})", truth)


def _nonlinear_signal(X: np.ndarray) -> np.ndarray:
    """Linear in five features plus an interaction and a sine: learnable by linear models, better by trees."""
    beta = np.array([1.0, -0.8, 0.6, 0.5, -0.4])
    return X[:, :5] @ beta + 0.7 * X[:, 0] * X[:, 1] + 0.8 * np.sin(2 * X[:, 2])


def synthetic_task(task: str, n: int, p: int = 10, seed: int = 42, shape: str = "tall") -> Dataset:
    """Seeded training data: `classification` (y in {0, 1}) or `regression`, of a shape (mlbench.shapes): tall
    (AR(1)-correlated features, a nonlinear signal), wide (p >> n) or sparse (95% zeros, also kept as CSR in
    `Dataset.sparse`), each with a known signal.

    The same (task, shape, p, seed) always generates the same rows, so a fixed test set is drawn with its own seed
    and every train size is scored on identical test rows.
    """
    from mlbench import shapes

    kind = shapes.check(shape)
    if task not in ("classification", "regression"):
        raise MlbenchError(f"unknown task {task!r}; use classification or regression")
    if p < 5 or n < 10:
        raise MlbenchError("synthetic training data needs p >= 5 features and n >= 10 rows")
    limits.check_synthetic_memory(f"synthetic-{task}", n, p)
    truth: dict[str, Any] = {}
    X: Any
    if kind.name == "tall":
        rng = np.random.default_rng(seed)
        cov = 0.3 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
        X = rng.multivariate_normal(np.zeros(p), cov, size=n, method="cholesky")
        signal = _nonlinear_signal(X)
        if task == "classification":
            y = (rng.uniform(size=n) < 1 / (1 + np.exp(-1.5 * signal))).astype(float)
        else:
            y = signal + rng.standard_normal(n)
    else:
        X, y, truth = shapes.generate(kind, task, n, p, seed)
    sparse = X if kind.name == "sparse" else None
    frame = pd.DataFrame(X.toarray() if sparse is not None else X, columns=[f"x{i + 1}" for i in range(p)])
    frame["y"] = y
    name = f"synthetic-{task}:n={n}" + ("" if kind.name == "tall" else f",p={p},shape={kind.name}")
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()
    shaped = "" if kind.name == "tall" else f", shape={kind.name!r}"
    params = {"n": n, "p": p, "seed": seed, **({} if kind.name == "tall" else {"shape": kind.name})}
    return Dataset(name, frame, "y", digest, f"generated by mlbench synthetic_task({task!r}, n={n}, p={p}, "
                   f"seed={seed}{shaped})", {"task": task, "params": params, **truth}, sparse=sparse)


def parse_size(text: str) -> int:
    """'10k' -> 10000, '1m' -> 1000000, '2500' -> 2500."""
    cleaned = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(cleaned[-1:], 1)
    digits = cleaned[:-1] if factor > 1 else cleaned
    try:
        value = int(float(digits) * factor)
    except ValueError:
        raise MlbenchError(f"size {text!r} is not a row count like 10k, 100k or 1m") from None
    if value < 10:
        raise MlbenchError(f"size {text!r} is too small (at least 10 rows)")
    return value


def _parse_params(text: str) -> dict[str, float | int]:
    params: dict[str, float | int] = {}
    for item in filter(None, text.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise MlbenchError(f"dataset parameter {item!r} is not key=value")
        try:
            params[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
        except ValueError:
            raise MlbenchError(f"dataset parameter {key!r} is not a number: {value!r}") from None
    return params


def resolve(name: str | None, path: Path | None, target: str | None, seed: int) -> Dataset:
    """The dataset a run asked for: a user file (--data) wins over a name (built-in or synthetic)."""
    if path is not None:
        return load_file(path, target)
    if name is None:
        raise MlbenchError("no dataset: pass --dataset NAME or --data PATH --target COLUMN")
    base, _, param_text = name.partition(":")
    if base in BUILTINS and not param_text:
        dataset = load_builtin(base)
    elif base.startswith(nist.PREFIX) and not param_text and nist.case(base) is not None:
        dataset = load_nist(base)
    elif base.startswith(glm_cases.PREFIX) and not param_text and glm_cases.case(base) is not None:
        dataset = load_glm_case(base)
    elif base == "synthetic-linear":
        params = {"seed": seed, **_parse_params(param_text)}
        try:
            dataset = synthetic_linear(**params)  # type: ignore[arg-type]
        except TypeError as exc:
            raise MlbenchError(f"synthetic-linear: {exc}") from None
    elif base in ("synthetic-classification", "synthetic-regression"):
        params = {"n": 1000, "seed": seed, **_parse_params(param_text)}
        limits.check_seed(params["seed"])  # type: ignore[arg-type]
        try:
            dataset = synthetic_task(base.removeprefix("synthetic-"), **params)  # type: ignore[arg-type]
        except TypeError as exc:
            raise MlbenchError(f"{base}: {exc}") from None
    else:
        from mlbench.errors import unknown

        raise MlbenchError(unknown("dataset", base, [*BUILTINS, *SYNTHETIC, *(c.dataset_name for c in nist.suite()),
                                                  *(c.dataset_name for c in glm_cases.cases())]))
    if target is not None:
        dataset.target = target
    return dataset


def list_datasets() -> list[dict[str, str]]:
    rows = [{"name": n, "target": d.target, "description": d.description} for n, d in BUILTINS.items()]
    rows += [{"name": n, "target": "y", "description": d} for n, d in SYNTHETIC.items()]
    rows += [{"name": c.dataset_name, "target": "y", "description": c.description()
              + (f" (not runnable: {c.unsupported})" if c.unsupported else "")} for c in nist.suite()]
    rows += [{"name": c.dataset_name, "target": "y", "description": c.description()} for c in glm_cases.cases()]
    return rows


def load_nist(name: str) -> Dataset:
    """A NIST StRD case: the float64 design for the platforms, its exact values and certified answers."""
    case = nist.case(name)
    assert case is not None
    if case.unsupported:
        raise MlbenchError(f"{name} cannot run: {case.unsupported}")
    truth = {"certified": case.certified, "nist": {"name": case.name, "difficulty": case.difficulty,
                                                   "order": case.order, "model": case.model}}
    provenance = f"NIST StRD {case.name} ({case.source}), public domain; mlbench/data/nist/{case.key}.json"
    return Dataset(name, case.frame(), "y", case.sha256, provenance, truth, exact=dict(case.exact),
                   intercept=case.intercept)


def load_glm_case(name: str) -> Dataset:
    """A case of the GLM accuracy suite: its data regenerated from the seed (sha256 checked) and its certified
    truth. The truth is under `certified_glm` (not `certified`, which is NIST's OLS values)."""
    case = glm_cases.case(name)
    assert case is not None
    truth = {"certified_glm": case.certified, "certificate": case.certificate, "family": case.family,
             "glm_case": {"name": case.name, "order": case.order, "provokes": case.provokes}}
    provenance = (f"mlbench GLM accuracy suite: {case.name}, generated (numpy PCG64, seed {case.generator['seed']}); "
                  f"mlbench/data/glm/{case.key}.json")
    return Dataset(name, case.frame(), "y", case.sha256, provenance, truth, family=case.family)


def expand_suite(names: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """A scenario's `datasets`, with `nist` standing for every NIST case in order and `glm` for every case of the
    GLM accuracy suite; the cases mlbench cannot run are returned apart, each with the reason."""
    runnable: list[str] = []
    not_run: list[dict[str, Any]] = []
    for name in names:
        cases = nist.suite() if name == "nist" else []
        if name == "glm":
            runnable += [c.dataset_name for c in glm_cases.cases()]
            continue
        if not cases:
            runnable.append(name)
        for c in cases:
            if c.unsupported:
                not_run.append({"name": c.dataset_name, "reason": c.unsupported, "label": c.name,
                                "difficulty": c.difficulty, "order": c.order})
            else:
                runnable.append(c.dataset_name)
    return runnable, not_run
