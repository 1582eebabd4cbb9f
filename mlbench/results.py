"""The result record and the run store: results/<run_id>/records.jsonl + run.json.

One record per run x scenario x dataset x adapter x step x phase x repeat (long format, like
openml/automlbenchmark), every row carrying its own provenance so a CSV export stands on its own.
records.jsonl is appended and flushed per record, so a run that dies keeps every finished row.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlbench import SCHEMA_VERSION, __version__
from mlbench.errors import MlbenchError

STATUSES = ("ok", "error", "unsupported", "timeout", "skipped")


@dataclass
class ResultRecord:
    run_id: str
    scenario: str
    dataset: str
    dataset_sha256: str
    n_rows: int  # complete rows the platforms fit on
    n_cols: int
    seed: int
    adapter: str
    adapter_version: str
    platform_version: str | None
    step: str | None  # None for the per-adapter phases `session` and `load`
    variant: str | None  # e.g. the subset method or the model family
    params: dict[str, Any]
    support: str
    phase: str
    repeat: int
    is_warmup: bool
    status: str
    wall_s: float | None = None
    cpu_s: float | None = None
    peak_rss_mb: float | None = None
    result: dict[str, Any] | None = None
    deviation: dict[str, Any] | None = None
    error: str | None = None
    attempt: int = 1  # 2 for a cell retried on a fresh session after its platform died (timed apart)
    restart: int = 0  # session and load records: 0 in the first session, n in the n-th started after it (a platform
    # death, or a resumed run continuing the interrupted one)
    host: str = ""
    python: str = ""
    java: str | None = None
    mlbench_version: str = __version__
    schema_version: int = SCHEMA_VERSION
    utc: str = field(default_factory=lambda: utc_now())
    fault: str | None = None  # error and timeout records: "platform", "environment" or "mlbench" (runner.FAULTS)
    rows_dropped: int = 0  # rows of the source left out for a missing value (R's na.omit), so n_rows is honest

    def to_json(self) -> dict[str, Any]:
        return clean_json(asdict(self))


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# JSON has no infinity or NaN; None would say "missing". They are stored as these strings (JavaScript's and
# Python's spellings) and read back as floats by `restore_nonfinite` (load_run does it).
NONFINITE = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}


def _nonfinite_text(value: float) -> str:
    return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"


def clean_json(value: Any) -> Any:
    """Strict JSON: NaN and infinities become the strings of NONFINITE (not None: an infinite VIF is not a
    missing one), tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else _nonfinite_text(value)
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return clean_json(value.item())
    return value


def restore_nonfinite(value: Any) -> Any:
    """The inverse of clean_json's encoding: NONFINITE's strings back to floats, in values (never keys)."""
    if isinstance(value, str):
        return NONFINITE.get(value, value)
    if isinstance(value, dict):
        return {k: restore_nonfinite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [restore_nonfinite(v) for v in value]
    return value


def new_run_id(scenario: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in scenario)[:40]
    return f"{stamp}-{safe}-{secrets.token_hex(2)}"


class RunStore:
    """Writes one run directory. Append-only records; the manifest is rewritten as the run progresses."""

    def __init__(self, run_dir: Path, resume: bool = False) -> None:
        self.run_dir = run_dir
        try:
            run_dir.mkdir(parents=True, exist_ok=resume)
        except FileExistsError:
            raise MlbenchError(f"run directory already exists: {run_dir}") from None
        except OSError as exc:
            raise MlbenchError(f"cannot create run directory {run_dir}: {exc.strerror or exc}") from None
        self.records_path = run_dir / "records.jsonl"
        if resume:
            _drop_torn_line(self.records_path)
        self._fh = self.records_path.open("a", encoding="utf-8")

    def append(self, record: ResultRecord) -> None:
        self._fh.write(json.dumps(record.to_json(), allow_nan=False) + "\n")
        self._fh.flush()

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        tmp = self.run_dir / "run.json.tmp"
        tmp.write_text(json.dumps(clean_json(manifest), indent=2, allow_nan=False) + "\n", encoding="utf-8")
        tmp.replace(self.run_dir / "run.json")

    def close(self) -> None:
        self._fh.close()


def _drop_torn_line(path: Path) -> None:
    """An interrupted write can leave a partial last line; cut it so appended records start on a new line."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        path.write_bytes(data[: data.rfind(b"\n") + 1])


def repeat_key(record: dict[str, Any]) -> tuple[Any, ...]:
    """One repeat of one cell: what --resume skips once it is finished."""
    return (record["adapter"], record["dataset"], record["step"], record["variant"], record["repeat"])


def finished_cells(records: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """Repeats that need no rerun on --resume: their step's last phase was recorded, or they ended in a failure."""
    from mlbench import steps

    done = set()
    for record in records:
        if record["step"] is None:
            continue
        if record["phase"] == steps.kind(record["step"]).end_phase or record["status"] != "ok":
            done.add(repeat_key(record))
        if record["status"] == "unsupported":  # recorded once for all repeats
            done.add((*repeat_key(record)[:4], "*"))
    return done


def load_run(run_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read a run directory back: (manifest, records), infinities and NaN as floats again (see NONFINITE).
    Tolerates a torn last line of an interrupted run."""
    if not run_dir.is_dir():
        raise MlbenchError(f"not a run directory: {run_dir}")
    records_path = run_dir / "records.jsonl"
    if not records_path.exists():
        raise MlbenchError(f"{run_dir} has no records.jsonl: not an mlbench run directory")
    manifest_path = run_dir / "run.json"
    manifest: dict[str, Any] = {}
    if manifest_path.exists():
        try:
            manifest = restore_nonfinite(json.loads(manifest_path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise MlbenchError(f"{manifest_path}: not valid JSON ({exc.msg})") from None
    records = []
    for line in records_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            records.append(restore_nonfinite(json.loads(line)))
        except json.JSONDecodeError:
            continue  # the torn last line of an interrupted run
    _check_schema(run_dir, manifest, records)
    return manifest, records


def _check_schema(run_dir: Path, manifest: dict[str, Any], records: list[dict[str, Any]]) -> None:
    """A run stored by another layout version cannot be read as if it were this one: say so, and which."""
    found = manifest.get("schema_version", records[0].get("schema_version") if records else SCHEMA_VERSION)
    if found != SCHEMA_VERSION:
        by = manifest.get("mlbench_version") or (records[0].get("mlbench_version") if records else None) or "?"
        raise MlbenchError(f"{run_dir} was stored with result schema {found} (mlbench {by}); this mlbench "
                           f"({__version__}) reads schema {SCHEMA_VERSION}: re-run it, or report it with that version")


def reference_answers(manifest: dict[str, Any], dataset: str | None = None) -> dict[str, Any]:
    """The truth reference's answer per statistics cell ("pvalues", "subset/best") for one dataset of a stored
    run (its first statistics dataset by default)."""
    truth = manifest.get("truth") or {}
    if truth:
        entry = truth.get(dataset) if dataset else next(iter(truth.values()))
        return (entry or {}).get("answers") or {}
    return manifest.get("reference") or {}  # runs stored before the truth reference had one answer set
