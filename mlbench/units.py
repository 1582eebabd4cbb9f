"""A run's data units (`plan.DataUnit`): the design built once from a dataset and written where every platform reads
it with its own reader (Parquet, CSV, CSR for sparse shapes, the test set's X), the statistics cells given the
design's family. Called by `api.run` when it plans a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlbench import steps


def write(frame: Any, directory: Path, stem: str) -> tuple[Path, Path]:
    parquet_path, csv_path = directory / f"{stem}.parquet", directory / f"{stem}.csv"
    frame.to_parquet(parquet_path, index=False)
    frame.to_csv(csv_path, index=False)
    return parquet_path, csv_path


def has_intercept(dataset: Any, run_intercept: bool) -> bool:
    """Whether a statistics dataset's fits have an intercept: the run's setting, and the source's own model (a
    NIST case certified through the origin is fitted so in every run). A certified case fitted otherwise than
    NIST certified it keeps no certified values to be graded against."""
    intercept = run_intercept and dataset.intercept
    if not intercept and dataset.intercept and dataset.truth.get("certified"):
        dataset.truth = {k: v for k, v in dataset.truth.items() if k != "certified"}
    return intercept


def unit(dataset: Any, cells: list[Any], directory: Path, test: Any = None, task: str | None = None,
          intercept: bool = True, family: str | None = "gaussian", test_sparse: Any = None) -> Any:
    """Build the design once and write it where every platform reads it with its own reader. Statistics cells
    take the design's family (`family` None: the dataset's, else decided from the target). Sparse data
    (`dataset.sparse`, `test_sparse`: scipy CSR) is also written as CSR for the platforms that take it, and its
    footprint (nnz, density, CSR vs dense bytes) goes into the data notes."""
    import numpy as np

    from mlbench.adapter import DataSource
    from mlbench.design import build_design
    from mlbench.plan import DataUnit

    design = build_design(dataset.frame, dataset.target, family=family or getattr(dataset, "family", None))
    cells = [(i, steps.with_family(s, design.family), v) for i, s, v in cells]
    if not intercept:
        design.notes.append("fit through the origin (no intercept, R's y ~ 0 + x): R², adj. R² and F on the "
                            "uncentred total sum of squares Σy², df_model = p"
                            + ("" if dataset.intercept else " (the source's own model)"))
    stem = "".join(c if c.isalnum() else "-" for c in dataset.name)[:60] or "data"
    parquet_path, csv_path = write(design.frame, directory, stem)
    test_design = test_paths = None
    if test is not None:
        test_design = build_design(test, dataset.target, features=None)
        test_paths = write(test_design.frame, directory, stem + "-test")
    sparse_paths: dict[str, Any] = {}
    if dataset.sparse is not None:
        from mlbench import shapes

        design.notes.append(shapes.note(dataset.sparse, test_sparse))
        sparse_paths["sparse_path"] = shapes.save_csr(dataset.sparse, directory / f"{stem}-X.npz")
        if test_sparse is not None:
            sparse_paths["test_sparse_path"] = shapes.save_csr(test_sparse, directory / f"{stem}-test-X.npz")
    source = DataSource(
        dataset.name, parquet_path, csv_path, design.target, design.features, len(design.frame),
        test_parquet_path=test_paths[0] if test_paths else None, test_csv_path=test_paths[1] if test_paths else None,
        task=task, intercept=intercept, **sparse_paths,
    )
    test_x_path = None
    if test_design is not None:
        test_x_path = directory / f"{stem}-test-X.npy"
        np.save(test_x_path, test_design.X)
    return DataUnit(dataset, design, source, cells, test_y=test_design.y if test_design is not None else None,
                    test_x_path=test_x_path)


def user_split(dataset: Any, seed: int) -> tuple[Any, Any, str]:
    """A user's file for training: a seeded 80/20 split; a 0/1 target means classification."""
    frame = dataset.frame.sample(frac=1.0, random_state=seed)
    cut = int(len(frame) * 0.8)
    values = set(frame[dataset.target].dropna().unique().tolist())
    task = "classification" if values <= {0, 1} and len(values) == 2 else "regression"
    train = frame.iloc[:cut]
    dataset.frame = train
    return dataset, frame.iloc[cut:], task
