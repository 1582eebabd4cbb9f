"""The run's data as pandas frames, for the platforms whose own reader is pandas (scikit-learn, statsmodels,
TensorFlow, xgboost): one home for reading the training file and the optional test file, so each adapter's
`load` keeps only what its platform does with the frames; and of the sparse shape's CSR files, for the platforms
that take CSR (scikit-learn, xgboost, LightGBM)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from mlbench.adapter import DataSource


def read(source: DataSource) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(training frame, test frame or None when the run has no test set), read with pandas.read_parquet; pandas
    is imported here, inside the load phase that times it."""
    import pandas as pd

    test = pd.read_parquet(source.test_parquet_path) if source.test_parquet_path else None
    train = pd.read_parquet(source.parquet_path)
    release()
    return train, test


def release() -> None:
    """Hand back to the system what pyarrow's allocator kept after decoding Parquet: its pool keeps freed decode
    buffers resident (about three times the frame), which is the interchange file's cost, not the platform's, and
    would be counted as the loaded data's footprint and under every later phase's peak. Also after an adapter
    drops the frames it converted (gbm_common)."""
    try:
        import pyarrow
    except ImportError:  # pandas read with another engine: no arrow pool to hand back
        return
    pyarrow.default_memory_pool().release_unused()


def read_sparse(source: DataSource) -> tuple[Any, Any, Any]:
    """(training X as scipy CSR, training target as float64, test X as CSR or None) of a sparse-shape run: the
    CSR files mlbench.shapes wrote (scipy.sparse.save_npz), and only the target column of the training Parquet
    file, so a platform that takes CSR never holds the dense copy."""
    import pandas as pd
    import scipy.sparse as sp

    assert source.sparse_path is not None, "not a sparse source"
    X = sp.load_npz(source.sparse_path).tocsr()
    y = pd.read_parquet(source.parquet_path, columns=[source.target])[source.target].to_numpy(dtype=float)
    test = sp.load_npz(source.test_sparse_path).tocsr() if source.test_sparse_path else None
    return X, y, test
