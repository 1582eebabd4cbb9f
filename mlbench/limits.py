"""The input limits, stated once and enforced as one-line usage errors (MlbenchError: exit 2).

Each limit is checked before the work it protects (a read, an allocation, a platform's seed), so an input
past it never reaches a traceback, a minutes-long parse or the kernel's OOM killer. README "Limits" lists them.
"""

from __future__ import annotations

from mlbench.errors import MlbenchError

CSV_FIELD_BYTES = 128 * 1024  # a CSV header field (a column name): Python's csv module's own field limit
YAML_MAX_BYTES = 1024 * 1024  # a scenario file: shipped ones are under 2 KiB
SEED_MAX = 2**32 - 1  # seeds are 0..2^32-1: numpy's legacy RandomState, scikit-learn and R take no more
DATA_COPIES = 6  # float64 copies of a synthetic table alive while it is generated, hashed, built and written
MEMORY_SHARE = 0.8  # of the memory available now, the most a synthetic dataset may need
MAX_EXECUTORS = 1024  # --cores on a standalone Spark cluster: executors of one core each, as many as it may grant


def check_seed(seed: int) -> int:
    """The seed, when it is within 0..SEED_MAX."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise MlbenchError(f"seed {seed!r} is out of range: seeds are whole numbers from 0 to {SEED_MAX} (2^32-1)")
    return seed


def parse_cores(text: str) -> list[int]:
    """`--cores` as the command line gives it: one count ("2") or a comma list ("1,2") of whole numbers, checked
    by `check_cores`."""
    counts = []
    for part in text.split(","):
        try:
            counts.append(int(part.strip()))
        except ValueError:
            raise MlbenchError(f"--cores {text!r}: {part.strip()!r} is not a whole number of cores (e.g. --cores 1,2)"
                               ) from None
    return check_cores(counts)


def check_cores(counts: list[int], machine: int | None = None) -> list[int]:
    """The core counts of a run, ascending: each from 1 to the machine's cores (`machine`, default os.cpu_count();
    MAX_EXECUTORS for Spark alone on a standalone cluster), none twice. A count above the machine's would time the
    same cores shared by more threads, not more cores."""
    import os

    limit = machine or os.cpu_count() or 1
    where = "a cluster's executors" if machine == MAX_EXECUTORS else f"this machine's {limit} cores"
    if not counts:
        raise MlbenchError("--cores needs at least one core count, e.g. --cores 2 or --cores 1,2")
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= limit:
            raise MlbenchError(f"--cores {count!r} is out of range: core counts are whole numbers from 1 to "
                               f"{where}{f' ({limit})' if machine == MAX_EXECUTORS else ''}")
    if len(set(counts)) < len(counts):
        raise MlbenchError(f"--cores lists a count twice: {','.join(map(str, counts))}")
    return sorted(counts)


def check_yaml_size(path: object, size: int) -> None:
    if size > YAML_MAX_BYTES:
        raise MlbenchError(f"{path}: {_mib(size)} is over the {_mib(YAML_MAX_BYTES)} limit of a scenario file")


def csv_field_error(path: object) -> MlbenchError:
    return MlbenchError(f"{path}: a header field (column name) is over the {CSV_FIELD_BYTES // 1024} KiB limit "
                        "of a CSV field")


def synthetic_bytes(n: int, p: int) -> int:
    """Memory generating n rows of p features takes at its peak: the table's copies and the p x p covariance."""
    return 8 * (DATA_COPIES * n * (p + 1) + 3 * p * p)


def check_synthetic_memory(what: str, n: int, p: int) -> None:
    """Refuse, before allocating, a synthetic table that would not fit in MEMORY_SHARE of available memory."""
    import psutil

    available = psutil.virtual_memory().available
    need = synthetic_bytes(n, p)
    if need > MEMORY_SHARE * available:
        raise MlbenchError(
            f"{what} with {n:,} rows and {p:,} features needs about {_gib(need)} of memory; this machine has "
            f"{_gib(available)} available (limit: {MEMORY_SHARE:.0%} of it): use fewer rows (--sizes) or features")


def _mib(size: float) -> str:
    return f"{size / 2**20:.1f} MiB" if size < 2**30 else _gib(size)


def _gib(size: float) -> str:
    return f"{size / 2**30:,.1f} GiB" if size < 2**50 else f"{size / 2**40:,.0f} TiB"
