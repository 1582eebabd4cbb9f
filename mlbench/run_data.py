"""A stored run's data, typed: `Manifest` (run.json) and `Records` (records.jsonl with the queries reports need).

results.py reads and writes them (`results.read_manifest`, `results.load_typed`, `RunStore.write_manifest`);
run.json's layout is the field list of `Manifest`, so a key the readers use is spelled once, here. Reports may
adopt the typed view one by one: `Manifest.settings()` is what `mlbench compare` and the HTML settings line show,
`Manifest.pass_line` the correct digits a grade had to reach.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# The run settings a reader shows and compares, in this order; `digits` is the pass line of every grade.
SETTING_KEYS = ("seed", "repeats", "warmup", "digits", "isolation", "timeout_s", "retries")

# Fields written only once they have a value (a finished, resumed, failed or re-read run).
_LATER = ("resumed_utc", "finished_utc", "error", "counts", "truth", "vs_r", "reference", "stored_status")


@dataclass
class Manifest:
    """run.json. Unknown keys (a newer writer's, or a report's own) are kept in `extra` and written back."""

    schema_version: int | None = None
    mlbench_version: str | None = None
    run_id: str | None = None
    status: str | None = None
    started_utc: str | None = None
    request: dict[str, Any] = field(default_factory=dict)
    scenario: dict[str, Any] | str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    adapters: list[str] = field(default_factory=list)
    repeats: int | None = None
    warmup: int | None = None
    seed: int | None = None
    digits: float | None = None  # the pass line: correct digits a grade must reach
    datasets_not_run: list[Any] = field(default_factory=list)
    isolation: str | None = None
    timeout_s: float | None = None
    retries: int | None = None
    budget_memory_mb: float | None = None
    deploy_weights_overridden: dict[str, Any] = field(default_factory=dict)
    dataset: dict[str, Any] = field(default_factory=dict)
    datasets: list[dict[str, Any]] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    resumed_utc: list[str] | None = None
    finished_utc: str | None = None
    error: str | None = None
    counts: dict[str, int] | None = None
    truth: dict[str, Any] | None = None
    vs_r: list[Any] | None = None
    reference: dict[str, Any] | None = None  # runs stored before `truth`
    stored_status: str | None = None  # run.json's own word where the true status differs (results.load_run)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in data.items() if k in names}
        for key in ("request", "deploy_weights_overridden", "dataset", "environment"):
            if not isinstance(known.get(key), dict):
                known.pop(key, None)
        for key in ("steps", "adapters", "datasets_not_run", "datasets"):
            if not isinstance(known.get(key), list):
                known.pop(key, None)
        return cls(**known, extra={k: v for k, v in data.items() if k not in names})

    def to_json(self) -> dict[str, Any]:
        """run.json's object: every field in layout order (the later ones once set), then the kept extras."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name != "extra" and not (f.name in _LATER and value is None):
                out[f.name] = value
        return {**out, **self.extra}

    @property
    def pass_line(self) -> float | None:
        return self.digits

    @property
    def scenario_name(self) -> str | None:
        return self.scenario.get("name") if isinstance(self.scenario, dict) else self.scenario

    def settings(self) -> dict[str, Any]:
        """The run settings (SETTING_KEYS) that are set, in order: what compare diffs and the HTML page shows."""
        return {key: getattr(self, key) for key in SETTING_KEYS if getattr(self, key) is not None}

    def datasets_text(self) -> str:
        """"name (sha256 prefix), ..." of the datasets the run read."""
        return ", ".join(f"{d.get('name')} ({str(d.get('sha256') or '')[:12]})"
                         for d in self.datasets or [self.dataset] if d)


CellKey = tuple[str, str | None, str | None, str | None]  # adapter, step, variant, dataset


def _cell(record: dict[str, Any]) -> CellKey:
    return str(record.get("adapter")), record.get("step"), record.get("variant"), record.get("dataset")


def is_retry(record: dict[str, Any]) -> bool:
    """A retried cell, or a session started again (after a platform death, or by a resumed run) and its loads:
    timed apart from first attempts (a fresh session's first calls, with the data reloaded, are not the same
    measurement, and a second start is not a second repeat of the first)."""
    return (record.get("attempt") or 1) > 1 or (record.get("restart") or 0) > 0


def measured(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every record but the warm-up repeats and, in a core sweep (`--cores 1,2`), those of a run's counts below its
    largest: every table but the sweep's own shows the run at its most cores, as a run with that one count would
    (the sweep's table, reports.pivots_cores, reads all counts)."""
    rows = [r for r in records if not r.get("is_warmup")]
    most: dict[Any, int] = {}
    for r in rows:
        if r.get("cores") is not None:
            most[r.get("run_id")] = max(most.get(r.get("run_id"), 0), int(r["cores"]))
    return [r for r in rows if r.get("cores") is None or r["cores"] == most[r.get("run_id")]]


def latest_ok_records(records: Iterable[dict[str, Any]], step: str) -> dict[str, dict[str, Any]]:
    """adapter -> its last measured ok record of `step` with a result (the answer every report shows)."""
    found: dict[str, dict[str, Any]] = {}
    for record in measured(records):
        if record.get("step") == step and record.get("status") == "ok" and record.get("result"):
            found[str(record["adapter"])] = record
    return found


class Records:
    """records.jsonl as read back, in stored order, with the few queries reports need."""

    def __init__(self, records: Iterable[dict[str, Any]]) -> None:
        self.rows = list(records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def measured(self) -> list[dict[str, Any]]:
        """Every record but the warm-up repeats."""
        return measured(self.rows)

    def cells(self) -> list[CellKey]:
        """(adapter, step, variant, dataset) of every step cell, in first-stored order (not the session/load
        phases of an adapter, whose step is None)."""
        return list(dict.fromkeys(_cell(r) for r in self.rows if r.get("step")))

    def latest_ok(self, step: str) -> dict[str, dict[str, Any]]:
        """adapter -> its last measured ok record of `step` with a result (the answer every report shows)."""
        return latest_ok_records(self.rows, step)

    def measured_repeats(self, cell: CellKey, phase: str = "fit") -> list[float]:
        """Wall seconds of the measured ok first attempts of one cell's phase (the samples compare tests)."""
        return [float(r["wall_s"]) for r in self.measured()
                if _cell(r) == cell and r.get("phase") == phase and r.get("status") == "ok"
                and r.get("wall_s") is not None and not is_retry(r)]

    def pass_line(self, manifest: Manifest | None = None) -> float | None:
        """The correct digits the grades had to reach: run.json's `digits`, else what a graded record says."""
        if manifest is not None and manifest.pass_line is not None:
            return manifest.pass_line
        for record in self.rows:
            digits = (record.get("deviation") or {}).get("pass_digits")
            if digits is not None:
                return float(digits)
        return None
