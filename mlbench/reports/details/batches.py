"""The inference batch sweep's table: per artifact, rows/s and p50/p99 ms per call at each batch size (1, 100,
10,000 rows per call), with the calls timed said in its note, since a p99 of 20 calls is not one of 1,000."""

from __future__ import annotations

from typing import Any

from mlbench.reports.details.models import rows_text
from mlbench.reports.pivots_batches import batch_rows, time_caps
from mlbench.reports.summary import fmt
from mlbench.reports.table import Cell, Column, Layouts, RunView, Table, detail


def size_label(rows: int) -> str:
    return "1 row" if rows == 1 else f"{rows:,} rows"


def _calls_text(counts: list[int]) -> str:
    low, high = min(counts), max(counts)
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"


def calls_note(rows: list[dict[str, Any]], caps: list[float]) -> str:
    """The footnote: calls timed per size (their range over the artifacts), the warm-up, the cap, the formula."""
    sizes = sorted({r["rows"] for r in rows})
    counts = "; ".join(f"{size_label(n)}: {_calls_text([r['calls'] for r in rows if r['rows'] == n])}"
                       for n in sizes)
    cap = " or ".join(f"{c:g} s" for c in caps) or "its time cap"
    return (f"Calls timed per artifact, each call alone, in the scorer's fresh process: {counts}. One row per call "
            "reuses the deploy step's latency calls; each larger size is warmed up untimed, then stopped at "
            f"{cap} (once a few calls were timed). rows/s = rows / median seconds per call; a p99 over fewer than "
            "100 calls is about their slowest. The test rows are repeated where a batch is larger than the test "
            "set.")


@detail("batch sweep", "deploy")
def batch_tables(run: RunView) -> list[Layouts]:
    """Rows adapter x model x format (and dataset when the run has several), a column group per batch size:
    rows/s, p50 ms, p99 ms per call; a size the time cap stopped early carries a footnote."""
    rows = batch_rows(run.records)
    if not rows:
        return []
    sizes = sorted({r["rows"] for r in rows})
    several = len({r["dataset"] for r in rows}) > 1
    keys = ["dataset"] * several + ["adapter", "model", "format"]
    table = Table("Inference by batch size: rows/s and ms per call (each artifact reloaded in a fresh process)",
                  [Column(k, key=True) for k in keys])
    for n in sizes:
        group = f"{size_label(n)} per call"
        table.columns += [Column(f"{size_label(n)}\nrows/s", "right", group=group,
                                 tooltip="rows per call / median seconds per call"),
                          Column(f"{size_label(n)}\np50 ms", "right", lambda v: fmt(v, 3), group=group),
                          Column(f"{size_label(n)}\np99 ms", "right", lambda v: fmt(v, 3), group=group)]
    artifacts: dict[tuple[Any, ...], dict[int, dict[str, Any]]] = {}
    for r in rows:
        artifacts.setdefault(tuple(r[k] for k in keys), {})[r["rows"]] = r
    for key, by_size in artifacts.items():
        cells: list[Any] = [*key]
        for n in sizes:
            point = by_size.get(n)
            if point is None:
                cells += ["—", None, None]
                continue
            where = f"{' '.join(str(k) for k in key)} {size_label(n)}"
            note = (f"stopped at the time cap after {point['calls']} calls of {size_label(n)}"
                    if point.get("capped") else None)
            cells += [Cell(rows_text(point["rows_s"]), sort=point["rows_s"], note=note, where=where),
                      point["p50_ms"], point["p99_ms"]]
        table.add(*cells)
    table.footnotes = [calls_note(rows, time_caps(run.records))]
    return [[[table]]]
