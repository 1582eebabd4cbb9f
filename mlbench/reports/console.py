"""All terminal output: rich tables drawn from summary's pivots of stored records (dicts, as in records.jsonl).

Nothing here computes a number: each table draws what a mlbench.reports.summary function returns, so the
terminal, the HTML report and the CSVs show the same values for the same cell. The side-by-side table's columns
are summary.CELL_COLUMNS; `column_cell` is how a column's kind looks in a terminal.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mlbench.reports import summary
from mlbench.reports.summary import Column, fmt

TONE_STYLE = {"good": "green", "warn": "yellow", "bad": "bold red", "dim": "dim"}


def styled(value: Any, tones: dict[str, str]) -> Text:
    """A badge value in its tone's colour."""
    return Text("" if value is None else str(value), style=TONE_STYLE.get(summary.tone(value, tones) or "", ""))


def status_text(status: Any) -> Text:
    return styled(status, summary.STATUS_TONES)


def verdict(grade: Any, agrees: Any) -> Text:
    """A grade: green when it agrees, red when it does not."""
    return Text(str(grade or ""), style="green" if agrees else "red" if grade else "")


def with_spread(value: Any, spread: Any, digits: int) -> str:
    """A median and its ± spread (IQR over the repeats, or a metric's range)."""
    extra = summary.spread_text(spread)
    return fmt(value, digits) + (f" {extra}" if extra and value is not None else "")


def column_cell(column: Column, row: dict[str, Any]) -> Text:
    """One cell of a per-cell table (summary.cell_rows), drawn as its column's kind says."""
    value = row.get(column.key)
    aux = row.get(column.aux) if column.aux else None
    if column.kind == "badge":
        return styled(value, column.tones)
    if column.kind == "verdict":
        return verdict(value, aux)
    if column.kind == "number":
        return Text(fmt(value, column.digits))
    if column.kind == "time":
        return Text(with_spread(value, aux, column.digits))
    if column.kind == "headline":
        shown, label = summary.headline_text(aux, value)
        return Text.assemble(shown, (f" {label}" if label else "", "dim"))
    if column.kind == "note":
        return Text(str(value or ""), style="red" if row.get("status") in summary.FAILED else "")
    return Text("" if value is None else str(value))


def cells_table(title: str, rows: list[dict[str, Any]]) -> Table:
    """A side-by-side table of summary.cell_rows rows, with the columns summary.shown_columns picks."""
    columns = summary.shown_columns(rows)
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column.header or column.key, justify="right" if column.numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*(column_cell(column, row) for column in columns))
    return table


def summary_table(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> Table | None:
    """Every cell but training's (which has its own tables), each adapter's session and load first."""
    rows = [r for r in summary.cell_rows(records, manifest) if r["step"] != "train"]
    if all(r["step"] in summary.ADAPTER_PHASES for r in rows):
        return None
    return cells_table("Platforms side by side", rows)


def coefficient_table(records: list[dict[str, Any]], reference: dict[str, Any] | None = None,
                      order: list[str] | None = None) -> Table | None:
    """Each platform's OLS coefficient table side by side (estimate and p-value), after the reference's."""
    grid = summary.coefficient_grid(records, reference, order)
    if grid is None:
        return None
    table = Table(title="OLS coefficients (full model)", title_justify="left")
    table.add_column("term")
    for name in grid["names"]:
        table.add_column(f"{name}\nestimate", justify="right")
        table.add_column(f"{name}\np-value", justify="right")
    for row in grid["rows"]:
        cells: list[Any] = [Text(row["term"])]
        for cell in row["cells"]:
            cells += ([Text("aliased", style="dim"), Text("NA", style="dim")] if cell["aliased"]
                      else [fmt(cell["estimate"]), fmt(cell["p_value"], 4)])
        table.add_row(*cells)
    for label, values in grid["fit"]:
        table.add_row(Text(label, style="bold"), *[x for value in values for x in (fmt(value), "")])
    return table


def elimination_table(records: list[dict[str, Any]]) -> Table | None:
    """Backward elimination by p-value: what each platform dropped, in order, and the refit."""
    alpha, rows = summary.elimination_rows(records)
    if not rows:
        return None
    table = Table(title=f"Backward elimination (drop the largest p > {alpha}, refit)", title_justify="left")
    for column in ("adapter", "dropped, in order", "kept", "refit R²", "refit adj. R²"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(Text(row["adapter"]), Text(row["dropped"]), Text(row["kept"]), fmt(row["r_squared"]),
                      fmt(row["adj_r_squared"]))
    return table


def vif_table(records: list[dict[str, Any]]) -> Table | None:
    grid = summary.vif_grid(records)
    if grid is None:
        return None
    table = Table(title="Variance inflation factors", title_justify="left")
    table.add_column("feature")
    for adapter in grid["adapters"]:
        table.add_column(adapter, justify="right")
    for feature, values in grid["rows"]:
        table.add_row(Text(feature), *[fmt(v) for v in values])
    table.add_row(Text("dropped", style="bold"), *[Text(d) for d in grid["dropped"]])
    return table


def _subset_mark(row: dict[str, Any], size: int) -> Text:
    """✓/✗: same set as the reference of the row's own method; '≠best' where that is not the best subset."""
    same = row["same"].get(size)
    if same is None:
        return Text(row["status"] if row["status"] != "ok" else "—", style="dim")
    return Text(("✓" if same else "✗") + (" ≠best" if row["not_best"].get(size) else ""),
                style="green" if same else "red")


def subset_table(records: list[dict[str, Any]], reference: dict[str, Any]) -> Table | None:
    """Per size: the reference's best set, then per adapter x method whether the platform chose the same set."""
    sizes, rows = summary.subset_agreement(records, reference)
    if not rows:
        return None
    exact = summary.exact_subset_rows(reference, sizes)
    several = len({r["dataset"] for r in rows}) > 1
    table = Table(
        title="Subset selection: ✓ = same set as the exact reference of the same method; ≠best = not the best subset",
        title_justify="left",
    )
    table.add_column("size", justify="right")
    if exact:
        table.add_column("exact best subset (reference)", overflow="fold")
        table.add_column("adj. R²", justify="right")
        table.add_column("BIC", justify="right")
    for row in rows:
        table.add_column(f"{row['adapter']}\n{row['method']}" + (f"\n{row['dataset']}" if several else ""),
                         justify="center")
    for size in sizes:
        cells: list[Any] = [str(size)]
        if exact:
            ref = exact["by_size"][size]
            cells += [Text(", ".join(map(str, ref.get("features") or []))), fmt(ref.get("adj_r_squared")),
                      fmt(ref.get("bic"))]
        table.add_row(*cells, *[_subset_mark(row, size) for row in rows])
    picks: list[Any] = [Text("picks", style="bold")]
    if exact:
        picks += [Text(exact["picks"]), "", ""]
    table.add_row(*picks, *[Text(row["picks"] or "—") for row in rows])
    return table


def truth_table(records: list[dict[str, Any]]) -> Table | None:
    """Synthetic data: precision and recall of the model each criterion picks, against the true support."""
    rows = summary.support_recovery(records)
    if not rows:
        return None
    table = Table(title="Recovery of the true support (precision / recall of the picked model)", title_justify="left")
    for column in ("adapter", "method", *(label for _, label in summary.CRITERIA)):
        table.add_column(column)
    for row in rows:
        table.add_row(Text(row["adapter"]), Text(row["method"]), *[c["text"] for c in row["criteria"].values()])
    return table


def train_tables(records: list[dict[str, Any]]) -> list[Table]:
    """Per task: rows adapter x model, per size: median fit time (± IQR), peak memory, the headline metric."""
    tables = []
    for grid in summary.train_grid(records):
        metric = grid["metric"].upper()
        table = Table(title=f"Training ({grid['task']}): median fit time (± IQR), peak MB of the process tree, "
                            f"{metric} on the fixed test set", title_justify="left")
        table.add_column("adapter")
        table.add_column("model")
        for size in grid["sizes"]:
            for column in ("fit s", "peak MB", metric):
                table.add_column(f"{size:,}\n{column}", justify="right")
        for row in grid["rows"]:
            cells: list[Any] = [Text(row["adapter"]), Text(row["model"])]
            for point in row["points"].values():
                if point is None:
                    cells += ["—", "", ""]
                elif point["failed"]:
                    cells += [status_text(point["status"]), "", ""]
                else:
                    cells += [with_spread(point["fit_s"], point["fit_iqr_s"], 3), fmt(point["peak_rss_mb"], 4),
                              with_spread(point["metric_value"], point["metric_spread"], 4)]
            table.add_row(*cells)
        tables.append(table)
    return tables


def _yes(value: Any) -> str:
    return "yes" if value else "no" if value is not None else "—"


def deploy_tables(records: list[dict[str, Any]]) -> list[Table]:
    """Deployability: per adapter x model x format, the total, floor and every sub-score; then the raw values."""
    rows = [r for r in summary.deploy_rows(records) if r["formats"]]
    if not rows:
        return []
    labels = summary.SUBSCORE_LABELS
    first = rows[0]
    weights = ", ".join(f"{labels.get(k, k)} {v:g}" for k, v in first["weights"].items())
    changed = first["weights_overridden"]
    note = ("; weights changed on the command line: " + ", ".join(
        f"{k} {v['from']:g}→{v['to']:g}" for k, v in changed.items())) if changed else ""
    scores = Table(title=f"Deployability score v{first['score_version']} (weights: {weights}{note})",
                   title_justify="left")
    raw_table = Table(title="Deployability: raw measurements (each artifact reloaded in a fresh process)",
                      title_justify="left")
    for column in ("adapter", "model", "format", "total", "floor", *labels.values()):
        scores.add_column(column, justify="left" if column in ("adapter", "model", "format") else "right")
    for column in ("adapter", "model", "format", "cold start s", "load s", "p50 ms", "p99 ms", "rows/s",
                   "parity max|Δ|", "footprint MB", "size KB", "JVM", "train lib", "code on load", "repro Δ"):
        raw_table.add_column(column, justify="left" if column in ("adapter", "model", "format") else "right",
                             overflow="fold")
    for row in rows:
        for kind, raw in row["formats"].items():
            key = [Text(row["adapter"]), Text(row["model"] or ""),
                   Text(kind + (" ★" if kind == row["best_format"] else ""))]
            if not raw.get("ok"):
                label = "unavailable" if raw.get("unavailable") else "error"
                why = Text(f"{label}: {raw.get('error', '')}", style="dim" if raw.get("unavailable") else "red")
                scores.add_row(*key, why, *[""] * (1 + len(labels)))
                continue
            sub = raw.get("subscores") or {}
            scores.add_row(*key, fmt(raw.get("score"), 4), fmt(raw.get("floor"), 3),
                           *[fmt(sub.get(name), 3) for name in labels])
            raw_table.add_row(*key, fmt(raw.get("cold_start_s"), 3), fmt(raw.get("load_s"), 3),
                              fmt(raw.get("p50_ms"), 3), fmt(raw.get("p99_ms"), 3),
                              fmt(raw.get("throughput_rows_s"), 3), fmt(raw.get("parity_max_abs"), 2),
                              fmt(raw.get("footprint_mb"), 4), fmt((raw.get("size_bytes") or 0) / 1024, 4),
                              _yes(raw.get("needs_jvm")), _yes(raw.get("needs_training_library")),
                              _yes(raw.get("runs_code_on_load")), fmt(row["reproducibility"], 2))
    return [scores, raw_table]


def best_table(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> Table | None:
    """A short "best per metric" summary: who was fastest among correct answers, most accurate, leanest."""
    lines = summary.best_per_metric(summary.cell_rows(records, manifest))
    if not lines:
        return None
    table = Table(title="Best per metric", title_justify="left")
    for column in ("metric", "who", "value"):
        table.add_column(column)
    for metric, who, value in lines:
        table.add_row(Text(metric), Text(who), Text(value))
    return table


def accuracy_table(records: list[dict[str, Any]], manifest: dict[str, Any]) -> tuple[Table | None, list[str]]:
    """McCullough's table: correct digits of each platform's OLS answer per dataset, with numbered footnotes for
    what a number cannot say (a different model, an error, a suite member that cannot run). Shown for runs over
    several datasets or NIST's; single-dataset runs have the digits in the side-by-side table."""
    pivot = summary.accuracy(records, manifest)
    rows, adapters = pivot["rows"], pivot["adapters"]
    if not rows or (len(rows) == 1 and rows[0]["difficulty"] is None):
        return None, []
    digits = manifest.get("digits", 6)
    table = Table(title=f"Correct digits (OLS: min over estimate, SE, t, p, R², F; pass >= {digits:g})",
                  title_justify="left")
    for column in ("dataset", "difficulty", "float64 input"):
        table.add_column(column, justify="right" if column == "float64 input" else "left")
    for adapter in adapters:
        table.add_column(adapter, justify="right")
    notes: list[str] = []
    for row in rows:
        cells: list[Text] = []
        for adapter in adapters:
            cell = row["cells"].get(adapter)
            if cell is None:
                cells.append(Text(""))
                continue
            mark = ""
            if cell["note"]:
                notes.append(f"{adapter} on {row['label']}: {cell['note']}")
                mark = f" [{len(notes)}]"
            if cell["status"] != "ok":
                cells.append(status_text(cell["status"]).append(mark))
            else:
                shown = "—" if cell["digits"] is None else f"{cell['digits']:.1f}"
                cells.append(Text(shown + mark, style="green" if cell["agrees"] else "red"))
        if row["not_run"]:
            notes.append(f"{row['label']}: not run: {row['not_run']}")
            cells = [Text(f"not run [{len(notes)}]", style="dim") for _ in adapters]
        ceiling = row["input_digits"]
        table.add_row(Text(row["label"]), Text(row["difficulty"] or ""),
                      Text("" if ceiling is None else f"{ceiling:.1f}"), *cells)
    return table, notes


def render_run(console: Console, manifest: dict[str, Any], records: list[dict[str, Any]]) -> None:
    header = summary.run_header(manifest, records)
    dataset = manifest.get("dataset", {})
    several = [d.get("name") for d in manifest.get("datasets") or []]
    what: list[Any]
    if len(several) > 1:
        what = [" · datasets ", (f"{len(several)} ({several[0]} … {several[-1]})", "bold")]
    else:
        what = [" · dataset ", (str(dataset.get("name", "?")), "bold"),
                f" ({dataset.get('n_rows', '?')} rows, target {dataset.get('target')}, "
                f"sha256 {str(dataset.get('sha256', ''))[:12]})"]
    console.print(Text.assemble(
        ("mlbench", "bold"), " run ", (str(header["run_id"] or "?"), "cyan"), " · scenario ",
        (str(header["scenario"] or "?"), "bold"), *what, f" · status {header['status'] or '?'}",
    ))
    for note in dataset.get("notes", []):
        console.print(Text(f"  note: {note}"))
    from mlbench.results import reference_answers

    reference = reference_answers(manifest)
    accuracy, notes = accuracy_table(records, manifest)
    if accuracy is not None:
        console.print(accuracy)
        for number, note in enumerate(notes, 1):
            console.print(Text(f"[{number}] {note}", style="dim"), soft_wrap=False)
        console.print(Text("float64 input: the digits left by storing the exact data as float64 (the best any "
                           "platform reading it can do); digits are against mlbench's exact reference.",
                           style="dim"))
        if len({r["dataset"] for r in records if r.get("step")}) > 1:
            records = [r for r in records if r.get("step") != "pvalues"]  # the per-dataset tables would mix them
    tables = (
        coefficient_table(records, reference.get("pvalues"), summary.design_terms(manifest)),
        elimination_table(records), vif_table(records), subset_table(records, reference), truth_table(records),
        *train_tables(records), *deploy_tables(records), summary_table(records, manifest),
        best_table(records, manifest),
    )
    for table in tables:
        if table is not None:
            console.print(table)


def render_listing(console: Console, title: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print(f"no {title}")
        return
    table = Table(title=title, title_justify="left")
    columns = list(rows[0])
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        cells = []
        for column in columns:
            value = row[column]
            if isinstance(value, dict):
                value = ", ".join(f"{k}={v}" for k, v in value.items())
            elif isinstance(value, list):
                value = ", ".join(map(str, value))
            cells.append(Text("" if value is None else str(value)))
        table.add_row(*cells)
    console.print(table)
