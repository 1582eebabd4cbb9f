"""The model steps' detail tables: training per task, its cost curve (scaling) and deployability."""

from __future__ import annotations

from typing import Any

from mlbench.reports import summary
from mlbench.reports.details.accuracy import status_cell
from mlbench.reports.summary import fmt, with_spread
from mlbench.reports.table import Cell, Column, Layouts, RunView, Table, detail


@detail("training", "training")
def train_tables(run: RunView) -> list[Layouts]:
    """Per task: rows adapter x model, per size: median fit time (± IQR), the loaded data's footprint beside the
    training peak memory, the headline metric; split per size where all sizes do not fit; why a point has no
    numbers in numbered footnotes."""
    tables: list[Layouts] = []
    elsewhere = summary.computes_elsewhere(run.records)
    for grid in summary.train_grid(run.records):
        metric = grid["metric"].upper()
        table = Table(f"Training ({grid['task']}): median fit time (± IQR), MB of the loaded data and peak MB of "
                      f"the process tree while training, {metric} on the fixed test set",
                      [Column("adapter", key=True), Column("model", key=True)])
        for size in grid["sizes"]:
            table.columns += [Column(f"{size:,}\n{column}", "right", group=f"{size:,} rows", tooltip=tip)
                              for column, tip in (("fit s", None), ("data MB", DATA_MB_TIP),
                                                  ("peak MB", "peak MB of the process tree while it fit and predicted"),
                                                  (metric, None))]
        for row in grid["rows"]:
            cells: list[Any] = [row["adapter"], row["model"]]
            for point in row["points"].values():
                if point is None:
                    cells += ["—", "", "", ""]
                elif point["failed"]:
                    cells += [status_cell(point["status"], point["error"] or None, f"{row['adapter']} {row['model']}"),
                              "", "", ""]
                else:
                    cells += [Cell(with_spread(point["fit_s"], point["fit_iqr_s"], 3), sort=point["fit_s"]),
                              _data_cell(point, row["adapter"] in elsewhere),
                              Cell(fmt(point["peak_rss_mb"], 4), sort=point["peak_rss_mb"]),
                              Cell(with_spread(point["metric_value"], point["metric_spread"], 4),
                                   sort=point["metric_value"])]
            table.add(*cells)
        table.footnotes = [f"data MB: {DATA_MB_TIP}; a size loaded after others in the same session also holds "
                           "what their cells left resident (allocator caches, a JVM's grown heap): run it alone for "
                           "its own figure"]
        tables.append([[table]])
    return tables


DATA_MB_TIP = ("the loaded data alone, train and test sets as the platform holds them: the process tree's resident "
               "MB when the load ended, above the tree's after the session started (before any data)")


def _data_cell(point: dict[str, Any], elsewhere: bool) -> Cell | str:
    """A point's data footprint; a cluster joined by URL holds its data in processes mlbench does not measure."""
    if point["data_mb"] is None:
        return "—"
    if elsewhere:
        return Cell(fmt(point["data_mb"], 3), "dim", sort=point["data_mb"], note="the cluster was joined by URL: its "
                    "data is held in processes mlbench does not measure, so this is the client's memory only")
    return Cell(fmt(point["data_mb"], 3), sort=point["data_mb"])


def rows_text(n: float | None) -> str:
    """A row count in a few characters: 1.5M, 100k, > 1T."""
    if n is None:
        return "—"
    if n >= 1e12:
        return "> 1T"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.3g}"


@detail("scaling", "training")
def scaling_tables(run: RunView) -> list[Layouts]:
    """Per task: the growth exponents of fit time and memory against rows and the cost curve past the sizes that
    ran (extrapolated, marked *), with the rows at which memory would pass the budget (the machine's memory, or
    --budget-memory)."""
    budget = summary.budget_mb(run.manifest)
    rows = summary.growth(run.records, budget)
    tables: list[Layouts] = []
    for task in dict.fromkeys(r["task"] for r in rows):
        mine = [r for r in rows if r["task"] == task]
        budget_label = f"rows at\n{budget / 1024:.3g} GB" if budget else "rows at\nbudget"
        table = Table(f"Scaling ({task}): fit time and peak memory ~ rows^b, fitted on the sizes that ran; "
                      "* extrapolated, not measured",
                      [Column("adapter", key=True), Column("model", key=True),
                       Column("time\nb", "right", lambda b: f"{b:.2f}", tooltip="fit seconds ~ rows^b"),
                       Column("memory\nb", "right", lambda b: "—" if b is None else fmt(b, 2),
                              tooltip="peak MB above the session's ~ rows^b"),
                       Column("data\nb", "right", lambda b: "—" if b is None else fmt(b, 2),
                              tooltip="the loaded data's MB (data footprint) ~ rows^b")])
        for n in summary.EXTRAPOLATED_ROWS:
            table.columns += [Column(f"{rows_text(n)}*\nfit s", "right", _positive, group=f"{n:,} rows"),
                              Column(f"{rows_text(n)}*\ndata MB", "right", _positive, group=f"{n:,} rows"),
                              Column(f"{rows_text(n)}*\nMB", "right", _positive, group=f"{n:,} rows")]
        table.columns.append(Column(budget_label, "right", rows_text))
        for row in mine:
            cells = [row["adapter"], row["model"], row["time_exponent"], row["memory_exponent"], row["data_exponent"]]
            for n in summary.EXTRAPOLATED_ROWS:
                point = row["extrapolated"][n]
                cells += [point["fit_s"], point["data_mb"], point["peak_mb"]]
            cells.append(row["rows_at_budget"])
            table.add(*cells)
        sizes = sorted({n for r in mine for n in r["sizes"]})
        table.footnotes = [f"fitted on {', '.join(rows_text(n) for n in sizes)} rows; memory b is the exponent of "
                           "what the data adds above the session's peak, data b that of the loaded data's MB (data "
                           "MB: the footprint of the data alone, before training); — where no growth was measured. "
                           "Two sizes fit any curve: trust it more the more sizes ran and the larger they are"]
        tables.append([[table]])
    return tables


def _positive(value: Any) -> str:
    return fmt(value, 3) if value else "—"


def _yes(value: Any) -> str:
    return "yes" if value else "no" if value is not None else "—"


RAW_GROUPS = (("time", ("cold start s", "load s", "p50 ms", "p99 ms", "rows/s")),
              ("fidelity", ("parity max|Δ|", "repro Δ")), ("size", ("footprint MB", "size KB")),
              ("needs", ("JVM", "train lib", "code on load")))


@detail("deploy", "deploy")
def deploy_tables(run: RunView) -> list[Layouts]:
    """Deployability: per adapter x model x format, the total, floor and every sub-score (a cell with no format,
    e.g. a model the platform cannot train: —, its status in a footnote); then the raw values. Wide tables split
    by column groups; why a format or a cell has no numbers in numbered footnotes."""
    rows = summary.deploy_rows(run.records)
    if not rows:
        return []
    labels = summary.SUBSCORE_LABELS
    first = next((r for r in rows if r["formats"]), rows[0])
    weights = ", ".join(f"{labels.get(k, k)} {v:g}" for k, v in first["weights"].items())
    changed = first["weights_overridden"]
    note = ("; weights changed on the command line: " + ", ".join(
        f"{k} {v['from']:g}→{v['to']:g}" for k, v in changed.items())) if changed else ""
    version = f" v{first['score_version']}" if first["score_version"] is not None else ""
    scores = Table(f"Deployability score{version} (weights: {weights or '—'}{note})",
                   [Column("adapter", key=True), Column("model", key=True), Column("format", key=True),
                    Column("total", "right", group="total"), Column("floor", "right", group="total"),
                    *(Column(label, "right") for label in labels.values())])
    raw_table = Table("Deployability: raw measurements (each artifact reloaded in a fresh process)",
                      [Column("adapter", key=True), Column("model", key=True), Column("format", key=True),
                       *(Column(c, "right", group=g) for g, cols in RAW_GROUPS for c in cols)])
    blank = [""] * (1 + len(labels))
    for row in rows:
        where = f"{row['adapter']} {row['model']}"
        if not row["formats"]:
            why = ": ".join(str(x) for x in (row["status"], row["error"]) if x)
            scores.add(row["adapter"], row["model"] or "", "—", Cell("—", "dim", note=why or None, where=where),
                       *blank)
        for kind, raw in row["formats"].items():
            key = [row["adapter"], row["model"] or "", kind + (" ★" if kind == row["best_format"] else "")]
            if not raw.get("ok"):
                label = "unavailable" if raw.get("unavailable") else "error"
                scores.add(*key, Cell(label, "dim" if raw.get("unavailable") else "bad",
                                      note=str(raw["error"]) if raw.get("error") else None, where=f"{where} {kind}"),
                           *blank)
                continue
            sub = raw.get("subscores") or {}
            scores.add(*key, Cell(fmt(raw.get("score"), 4), sort=raw.get("score")), fmt(raw.get("floor"), 3),
                       *[fmt(sub.get(name), 3) for name in labels])
            raw_table.add(*key, fmt(raw.get("cold_start_s"), 3), fmt(raw.get("load_s"), 3),
                          fmt(raw.get("p50_ms"), 3), fmt(raw.get("p99_ms"), 3), fmt(raw.get("throughput_rows_s"), 3),
                          fmt(raw.get("parity_max_abs"), 2), fmt(row["reproducibility"], 2),
                          fmt(raw.get("footprint_mb"), 4), fmt((raw.get("size_bytes") or 0) / 1024, 4),
                          _yes(raw.get("needs_jvm")), _yes(raw.get("needs_training_library")),
                          _yes(raw.get("runs_code_on_load")))
    scores.footnotes = ["★ the adapter's best format; floor: its weakest sub-score; " + ", ".join(
        f"{short} = {name.replace('_', ' ')}" for name, short in labels.items())]
    return [[[scores]], *([[[raw_table]]] if raw_table.rows else [])]
