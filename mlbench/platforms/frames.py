"""The run's data as pandas frames, for the platforms whose own reader is pandas (scikit-learn, statsmodels,
TensorFlow, xgboost): one home for reading the training file and the optional test file, so each adapter's
`load` keeps only what its platform does with the frames."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
