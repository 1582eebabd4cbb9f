"""The core sweep's table (`--cores 1,2`): platform x cores, fit seconds, speed-up and parallel efficiency,
declared once and drawn in the terminal and in the HTML report's training section."""

from __future__ import annotations

from typing import Any

from mlbench.reports import summary
from mlbench.reports.details.accuracy import status_cell
from mlbench.reports.summary import fmt
from mlbench.reports.table import Cell, Column, Layouts, RunView, Table, Tone, detail


def _tone(efficiency: float | None) -> Tone | None:
    """Green at 0.8 or more of perfectly parallel, red under 0.5 (most of the added cores wasted)."""
    if efficiency is None:
        return None
    return "good" if efficiency >= 0.8 else "bad" if efficiency < 0.5 else None


@detail("cores", "training", before="scaling")
def core_tables(run: RunView) -> list[Layouts]:
    """Per task and size: rows adapter x model, per core count: median fit s, speed-up over the smallest count,
    parallel efficiency; a platform whose cores a cluster fixed says so in words."""
    counts = summary.core_counts(run.records)
    rows = summary.core_sweep(run.records)
    tables: list[Layouts] = []
    for task, n_rows in dict.fromkeys((r["task"], r["n_rows"]) for r in rows):
        table = Table(f"Scaling with cores ({task}, {n_rows:,} rows): median fit s, speed-up, parallel efficiency",
                      [Column("adapter", key=True), Column("model", key=True)])
        for count in counts:
            group = f"{count} core{'s' * (count != 1)}"
            table.columns += [Column(f"{group}\n{what}", "right", group=group)
                              for what in ("fit s", "speed-up", "efficiency")]
        for row in (r for r in rows if (r["task"], r["n_rows"]) == (task, n_rows)):
            cells: list[Any] = [row["adapter"], row["model"]]
            if row["fixed"]:
                point = row["points"][None]
                cells += [Cell(fmt(point["fit_s"], 3), sort=point["fit_s"]),
                          Cell("—", "dim", note=f"{row['fixed']}: timed once, at the cluster's cores"), ""]
                cells += [""] * (3 * (len(counts) - 1))
                table.add(*cells)
                continue
            for count in counts:
                point = row["points"].get(count)
                if point is None:
                    cells += ["—", "", ""]
                elif point["fit_s"] is None:
                    cells += [status_cell("error", point["error"], f"{row['adapter']} {row['model']}"), "", ""]
                else:
                    cells += [Cell(fmt(point["fit_s"], 3), sort=point["fit_s"]),
                              Cell(f"{point['speedup']:.2f}x", sort=point["speedup"]),
                              Cell(f"{point['efficiency']:.2f}", _tone(point["efficiency"]),
                                   sort=point["efficiency"])]
            table.add(*cells)
        table.footnotes = [f"speed-up: fit time at {counts[0]} core{'s' * (counts[0] != 1)} / at N cores; "
                           f"efficiency: speed-up x {counts[0]} / N (1.00 = perfectly parallel). Each count ran in a "
                           f"session of its own; the other tables show the run at {counts[-1]} cores."]
        table.footnotes += [f"{adapter}: the counts are executors of one core each on the cluster at {master} "
                            f"(spark.cores.max)" for adapter, master in summary.executor_sweeps(run.records).items()]
        tables.append([[table]])
    return tables
