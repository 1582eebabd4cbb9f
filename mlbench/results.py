"""The result record and the run store: results/<run_id>/records.jsonl + run.json.

One record per run x scenario x dataset x adapter x step x phase x repeat (long format, like
openml/automlbenchmark), every row carrying its own provenance so a CSV export stands on its own.
records.jsonl is appended and flushed per record, so a run that dies keeps every finished row.

The store has one writer (RunLock: an flock on run.lock naming its holder) and checks itself when read back
(read_run: unreadable or foreign lines and missing records are counted and said, another schema is refused, a
`running` run whose writer is gone reads `interrupted`). Every write that fails is one line (MlbenchError).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import math
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from mlbench import SCHEMA_VERSION, __version__
from mlbench.errors import MlbenchError
from mlbench.run_data import Manifest, Records
from mlbench.sanitize import redact


def append_log(path: Path, text: str) -> None:
    """Append a traceback to a run's errors.log, URL userinfo redacted. A full or read-only disk loses only the
    log: the record's append that follows says the failure in one line."""
    with contextlib.suppress(OSError), path.open("a", encoding="utf-8") as fh:
        fh.write(redact(text))


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
    cores: int | None = None  # the session's --cores count (a core sweep: one per count); None: fixed by a cluster
    # load records: the data footprint, the tree's resident MB when the load ended above `base_rss_mb`, the tree's
    # MB after the session started and before its first load (lifecycle.Lifecycle.ready)
    data_mb: float | None = None
    base_rss_mb: float | None = None

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


LOCK_NAME = "run.lock"  # one writer per run directory: an flock held by a run or --resume, naming its holder
LOCK_WAIT_S = 0.5  # how long a writer waits for a lock a reader is only glancing at (see holder)


def why(exc: OSError) -> str:
    """An OSError in words, without the path the message names anyway: "No space left on device"."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        return str(exc.args[0][0][-1])  # copytree's list of (source, destination, why)
    return exc.strerror or str(exc)


class RunLock:
    """An exclusive flock on <run_dir>/run.lock, whose text is the holder's pid and start time. The kernel drops
    the lock when its holder dies (even by kill -9), so a lock left with text in it names a writer that is gone:
    the next writer takes it over and says so (`taken_over`)."""

    def __init__(self, run_dir: Path, fd: int, taken_over: str | None) -> None:
        self.run_dir, self._fd, self.taken_over = run_dir, fd, taken_over

    @classmethod
    def acquire(cls, run_dir: Path) -> RunLock:
        path = run_dir / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise MlbenchError(f"cannot write to {run_dir}: {why(exc)}") from None
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                text = _lock_text(fd)
                os.close(fd)
                raise MlbenchError(f"{run_dir} is being written by another mlbench ({text or 'a live process'}); "
                                   "one writer at a time: wait for it, or stop it first") from None
        before = _lock_text(fd)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}, started {utc_now()}\n".encode(), 0)
        except OSError as exc:
            os.close(fd)
            raise MlbenchError(f"cannot write to {run_dir}: {why(exc)}") from None
        return cls(run_dir, fd, before or None)

    def release(self) -> None:
        """Empty the lock's text (a clean finish leaves nothing to take over) and let it go. Idempotent."""
        if self._fd < 0:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing the only descriptor drops the flock
        self._fd = -1


def _lock_text(fd: int) -> str:
    with contextlib.suppress(OSError):
        return os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    return ""


def holder(run_dir: Path) -> str | None:
    """The live writer of a run directory ("pid 123, started ..."), or None when no process holds its lock (a
    `running` run.json then means a writer that died)."""
    try:
        fd = os.open(run_dir / LOCK_NAME, os.O_RDONLY)
    except OSError:
        return None  # no lock file: stored before locks, or never started
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _lock_text(fd) or "a live process"
    finally:
        os.close(fd)  # also drops the shared lock just taken
    return None


class RunStore:
    """Writes one run directory, as its only writer (RunLock). Append-only records; the manifest is rewritten
    (atomically) as the run progresses. Every write that fails raises MlbenchError: one line, exit 2."""

    def __init__(self, run_dir: Path, resume: bool = False, lock: RunLock | None = None) -> None:
        self.run_dir = run_dir
        if lock is None:
            try:
                run_dir.mkdir(parents=True, exist_ok=resume)
            except FileExistsError:
                raise MlbenchError(f"run directory already exists: {run_dir}") from None
            except OSError as exc:
                raise MlbenchError(f"cannot create run directory {run_dir}: {why(exc)}") from None
            lock = RunLock.acquire(run_dir)
        self.lock = lock
        self.records_path = run_dir / "records.jsonl"
        try:
            self._fh = self.records_path.open("ab", buffering=0)
        except OSError as exc:
            lock.release()
            raise MlbenchError(f"cannot write {self.records_path}: {why(exc)}") from None

    def append(self, record: ResultRecord) -> None:
        """One line per record, written straight to the file (no buffer to flush later); a write cut short
        leaves a torn line that readers count and --resume repairs."""
        data = (json.dumps(record.to_json(), allow_nan=False) + "\n").encode("utf-8")
        try:
            while data:
                data = data[self._fh.write(data) or 0:]
        except OSError as exc:
            raise MlbenchError(f"cannot write a record to {self.records_path}: {why(exc)}") from None

    def write_manifest(self, manifest: Manifest | dict[str, Any]) -> None:
        """Rewrite run.json whole, in the layout of `Manifest` (a dict is read as one first). When that fails (a
        full disk) for a run that has stopped, run.json still stops saying `running`: its status word is
        overwritten in place, in bytes the file already has."""
        typed = manifest if isinstance(manifest, Manifest) else Manifest.from_json(manifest)
        path = self.run_dir / "run.json"
        try:
            write_atomic(path, json.dumps(clean_json(typed.to_json()), indent=2, allow_nan=False) + "\n")
        except MlbenchError:
            if typed.status != "running":
                _mark_failed_in_place(path)
            raise

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._fh.close()
        self.lock.release()


def _mark_failed_in_place(path: Path) -> None:
    """`"status": "running"` -> `"status": "failed" ` (the same length: no block to allocate on a full disk)."""
    with contextlib.suppress(OSError):
        offset = path.read_bytes().find(RUNNING)
        if offset >= 0:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.pwrite(fd, FAILED_SAME_LENGTH, offset)
            finally:
                os.close(fd)


RUNNING, FAILED_SAME_LENGTH = b'"status": "running"', b'"status": "failed" '


def write_atomic(path: Path, text: str) -> None:
    write_atomic_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def output_file(path: Path) -> Iterator[IO[str]]:
    """A file a command writes its output to (report -o, scorecard -o); a failure is one line, not a traceback."""
    try:
        with path.open("w", encoding="utf-8") as fh:
            yield fh
    except OSError as exc:
        raise MlbenchError(f"cannot write {path}: {why(exc)}") from None


def copy_data(staging: Path, data_dir: Path) -> None:
    """Copy a run's prepared data into its directory, file by file through a temporary name, so a failure (a
    full disk) never leaves a half-written data file where a resumed run would read it."""
    try:
        for source in sorted(staging.rglob("*")):
            target = data_dir / source.relative_to(staging)
            if source.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".tmp")
            try:
                shutil.copyfile(source, tmp)
                os.replace(tmp, target)
            except OSError:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
    except OSError as exc:
        raise MlbenchError(f"cannot copy the data into {data_dir}: {why(exc)}") from None


def repair(run_dir: Path, stored: StoredRun) -> None:
    """Before a resumed run appends: keep only the readable records in records.jsonl (atomically), moving every
    unreadable line to records.damaged (appended, never lost), so the cells they held run again."""
    if not stored.bad_lines:
        return
    damaged = run_dir / "records.damaged"
    try:
        with damaged.open("ab") as fh:
            fh.write(b"".join(line + b"\n" for line in stored.bad_lines))
    except OSError as exc:
        raise MlbenchError(f"cannot write {damaged}: {why(exc)}") from None
    write_atomic_bytes(run_dir / "records.jsonl", b"".join(line + b"\n" for line in stored.good_lines))


def write_atomic_bytes(path: Path, data: bytes) -> None:
    """Replace `path` by `data` whole or not at all: through <path>.tmp, removed again when the write fails."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise MlbenchError(f"cannot write {path}: {why(exc)}") from None


def repeat_key(record: dict[str, Any]) -> tuple[Any, ...]:
    """One repeat of one cell: what --resume skips once it is finished."""
    return (record["adapter"], record["dataset"], record["step"], record["variant"], record["repeat"],
            record.get("cores"))


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
            done.add((*repeat_key(record)[:4], "*", record.get("cores")))
    return done


REQUIRED = ("run_id", "adapter", "dataset", "step", "variant", "phase", "repeat", "status")  # what readers key on


@dataclass
class StoredRun:
    """A run directory as read back and checked: its records, and what of records.jsonl could not be read."""
    manifest: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)
    lines: int = 0  # non-empty lines of records.jsonl
    good_lines: list[bytes] = field(default_factory=list)
    bad_lines: list[bytes] = field(default_factory=list)  # torn, not JSON, not an object, without the record fields
    stored_status: str | None = None  # run.json's own word
    status: str | None = None  # the truth: `interrupted` for a `running` run nobody writes; `damaged: ...`

    @property
    def missing(self) -> int:
        """Records run.json counted that records.jsonl no longer has (whole lines lost)."""
        counted = sum((self.manifest.get("counts") or {}).values())
        return max(counted - len(self.records), 0)


def read_run(run_dir: Path) -> StoredRun:
    """Read a run directory back and check it: every line of records.jsonl an object with the record fields of
    this schema (another schema is refused; unreadable lines are counted, never silently skipped), and the status
    it truly has (StoredRun.status). Infinities and NaN come back as floats (see NONFINITE)."""
    if not run_dir.is_dir():
        raise MlbenchError(f"not a run directory: {run_dir}")
    records_path = run_dir / "records.jsonl"
    if not records_path.exists():
        raise MlbenchError(f"{run_dir} has no records.jsonl: not an mlbench run directory")
    manifest_path = run_dir / "run.json"
    manifest: Any = {}
    try:
        if manifest_path.exists():
            manifest = restore_nonfinite(json.loads(manifest_path.read_text(encoding="utf-8")))
        data = records_path.read_bytes()
    except json.JSONDecodeError as exc:
        raise MlbenchError(f"{manifest_path}: not valid JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        raise MlbenchError(f"{manifest_path}: not valid JSON (not UTF-8 text)") from None
    except OSError as exc:
        raise MlbenchError(f"cannot read {run_dir}: {why(exc)}") from None
    if not isinstance(manifest, dict):
        raise MlbenchError(f"{manifest_path}: not a run manifest (a JSON {type(manifest).__name__})")
    _check_schema(run_dir, manifest, manifest.get("schema_version"), manifest.get("mlbench_version"))
    stored = StoredRun(manifest, stored_status=manifest.get("status"))
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        stored.lines += 1
        record = _parse(line)
        if record is not None and "schema_version" in record:
            _check_schema(run_dir, manifest, record["schema_version"], record.get("mlbench_version"),
                          f"records.jsonl line {number}")
        if record is None or any(key not in record for key in REQUIRED):
            stored.bad_lines.append(line)
            continue
        stored.good_lines.append(line)
        stored.records.append(restore_nonfinite(record))
    stored.status = _true_status(run_dir, stored)
    return stored


def _parse(line: bytes) -> dict[str, Any] | None:
    """A line's record, or None when it is not one: torn, not UTF-8 (NUL bytes...), not JSON, not an object."""
    try:
        value = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _true_status(run_dir: Path, stored: StoredRun) -> str | None:
    if stored.bad_lines:
        return f"damaged: {len(stored.bad_lines)} of {stored.lines} lines unreadable"
    if stored.stored_status == "complete" and stored.missing:
        return f"damaged: {stored.missing} of {len(stored.records) + stored.missing} records missing"
    if stored.stored_status == "running" and holder(run_dir) is None:
        return "interrupted"  # its writer died (kill -9, power loss) without saying so
    return stored.stored_status


def load_run(run_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read a run directory back (read_run): (manifest, records). The manifest's `status` is the true one; when
    run.json said otherwise, its word is kept as `stored_status`."""
    stored = read_run(run_dir)
    manifest = stored.manifest
    if stored.status != stored.stored_status:
        manifest["stored_status"], manifest["status"] = stored.stored_status, stored.status
    return manifest, stored.records


def load_typed(run_dir: Path) -> tuple[Manifest, Records]:
    """load_run, typed: the run's `Manifest` (true status, run.json's word as `stored_status`) and `Records`."""
    manifest, records = load_run(run_dir)
    return Manifest.from_json(manifest), Records(records)


def read_manifest(run_dir: Path) -> Manifest:
    """run.json alone, typed (the records read and checked as load_run does)."""
    return load_typed(run_dir)[0]


def _check_schema(run_dir: Path, manifest: dict[str, Any], found: Any, by: Any, where: str = "") -> None:
    """A run stored by another layout version cannot be read as if it were this one: say so, and which."""
    if found is None or found == SCHEMA_VERSION:
        return
    by = by or manifest.get("mlbench_version") or "?"
    at = f" ({where})" if where else ""
    raise MlbenchError(f"{run_dir} was stored with result schema {found} (mlbench {by}){at}; this mlbench "
                       f"({__version__}) reads schema {SCHEMA_VERSION}: re-run it, or report it with that version")


def reference_answers(manifest: dict[str, Any], dataset: str | None = None) -> dict[str, Any]:
    """The truth reference's answer per statistics cell ("pvalues", "subset/best") for one dataset of a stored
    run (its first statistics dataset by default)."""
    truth = manifest.get("truth") or {}
    if truth:
        entry = truth.get(dataset) if dataset else next(iter(truth.values()))
        return (entry or {}).get("answers") or {}
    return manifest.get("reference") or {}  # runs stored before the truth reference had one answer set
