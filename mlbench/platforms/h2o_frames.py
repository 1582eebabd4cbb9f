"""H2O frames: reading a run's files into the cluster under keys of ours, with the target made a factor for
classification. Kept apart from the adapter (`mlbench.platforms.h2o`) because reading with fallbacks is one
concern of its own; the caller quiets h2o's output. Imports h2o only when called."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any


def read_frame(key: str, parquet: Path, csv: Path | None, columns: list[str], n_rows: int | None,
               factor: str | None) -> tuple[Any, str]:
    """Read one file into the frame `key`: H2O's own parallel reader on the Parquet file, then on the CSV, then
    an upload (a remote cluster cannot see our files); the first that gives every column (and n_rows rows when
    known) wins, and says its name. With `factor` (a classification target) that column is made a factor and
    the converted frame, not the parsed one, ends up under `key`."""
    import h2o

    parsed_key = f"{key}_parsed" if factor else key
    attempts: list[tuple[str, Callable[[], Any]]] = [
        ("parquet", lambda: h2o.import_file(str(parquet), destination_frame=parsed_key))]
    if csv is not None:
        attempts.append(("csv", lambda: h2o.import_file(str(csv), destination_frame=parsed_key)))
    attempts.append(("parquet-upload", lambda: h2o.upload_file(str(parquet), destination_frame=parsed_key)))
    problems = []
    for reader, action in attempts:
        try:
            frame = action()
        except Exception as exc:  # noqa: BLE001 - try the next reader, report all if none works
            problems.append(f"{reader}: {type(exc).__name__}: {str(exc).strip()[:200]}")
            continue
        missing = [c for c in columns if c not in frame.columns]
        if missing or (n_rows is not None and frame.nrows != n_rows):
            problems.append(f"{reader}: read {frame.nrows} rows, missing columns {missing}")
            h2o.remove(frame)
            continue
        if factor:
            frame = target_as_factor(frame, factor, key)
        return frame, reader
    raise RuntimeError(f"H2O could not read {parquet.name}: " + "; ".join(problems))


def target_as_factor(frame: Any, target: str, key: str) -> Any:
    """`target` as a factor (H2O trains classifiers only on one). The column assignment is lazy in h2o's client;
    assigning the result to `key` evaluates it now, under a key of ours, and the parsed frame goes."""
    import h2o

    parsed = frame.frame_id
    try:
        frame[target] = frame[target].asfactor()
        h2o.assign(frame, key)
    finally:
        with contextlib.suppress(Exception):
            h2o.remove(parsed)  # a Rapids rm: the converted frame keeps the columns it shares
    return frame
