"""All terminal output: rich tables built from stored records (dicts, as in records.jsonl)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

SUPPORT_STYLE = {"native": "green", "emulated": "yellow", "unsupported": "dim"}
STATUS_STYLE = {"ok": "green", "error": "bold red", "timeout": "red", "skipped": "yellow", "unsupported": "dim"}


def _fmt(value: Any, digits: int = 6) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e7):
            return f"{value:.{digits - 2}e}"
        return f"{value:.{digits}g}"
    return str(value)


def _cell_key(record: dict[str, Any]) -> tuple[str, str]:
    step = record["step"] + (f"/{record['variant']}" if record.get("variant") else "")
    return record["adapter"], step


def _measured(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if not r.get("is_warmup")]


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def summary_table(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> Table:
    """adapter x step: support, status, grade, median fit time, peak memory; plus session and load times."""
    from mlbench.reports.summary import r_agreement

    versus_r = {(k[1], k[2] + (f"/{k[3]}" if k[3] else "")): v for k, v in r_agreement(manifest).items()}
    table = Table(title="Platforms side by side", title_justify="left")
    columns = ["adapter", "step", "support", "status", "grade", "digits", "median s", "peak MB", "how / why"]
    if versus_r:
        columns.insert(6, "vs R")
    for column in columns:
        table.add_column(column, overflow="fold")
    phase_time: dict[tuple[str, str], float | None] = {}
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in _measured(records):
        if record["step"] is None:
            phase_time[(record["adapter"], record["phase"])] = record.get("wall_s")
        else:
            cells[_cell_key(record)].append(record)
    adapters = list(dict.fromkeys(r["adapter"] for r in records))
    for adapter in adapters:
        for phase in ("session", "load"):
            if (adapter, phase) in phase_time:
                seconds = _fmt(phase_time[(adapter, phase)], 3)
                table.add_row(Text(adapter), Text(phase, style="dim"), "", "", "", "", *([""] if versus_r else []),
                              seconds, "", "")
        for (cell_adapter, step), rows in cells.items():
            if cell_adapter != adapter:
                continue
            last = rows[-1]
            statuses = sorted({r["status"] for r in rows})
            status = statuses[0] if len(statuses) == 1 else "/".join(statuses)
            deviation = last.get("deviation") or {}
            grade = deviation.get("grade", "")
            grade_text = Text(grade, style="green" if deviation.get("agrees") else "red" if grade else "")
            why = last.get("error") or (last.get("params") or {}).get("how", "")
            vs_r = versus_r.get((adapter, step))
            r_text = [Text(vs_r["grade"], style="green" if vs_r["agrees"] else "red") if vs_r else Text("")]
            table.add_row(
                Text(adapter), Text(step), Text(last["support"], style=SUPPORT_STYLE.get(last["support"], "")),
                Text(status, style=STATUS_STYLE.get(status, "")), grade_text,
                Text("" if deviation.get("min_digits") is None else f"{deviation['min_digits']:.1f}"),
                *(r_text if versus_r else []),
                _fmt(_median([r.get("wall_s") for r in rows]), 3),
                _fmt(max((r.get("peak_rss_mb") or 0 for r in rows), default=None), 4), Text(why),
            )
    return table


def _latest_ok(records: list[dict[str, Any]], step: str) -> dict[str, dict[str, Any]]:
    """adapter -> result of its last measured ok record of `step`."""
    found: dict[str, dict[str, Any]] = {}
    for record in _measured(records):
        if record["step"] == step and record["status"] == "ok" and record.get("result"):
            found[record["adapter"]] = record["result"]
    return found


def coefficient_table(records: list[dict[str, Any]], reference: dict[str, Any] | None = None,
                      order: list[str] | None = None) -> Table | None:
    """Each platform's OLS coefficient table side by side (estimate and p-value), after the reference's."""
    results = _latest_ok(records, "pvalues")
    if not results:
        return None
    if reference and "coefficients" in reference:
        results = {"reference": reference, **results}
    table = Table(title="OLS coefficients (full model)", title_justify="left")
    table.add_column("term")
    for adapter in results:
        table.add_column(f"{adapter}\nestimate", justify="right")
        table.add_column(f"{adapter}\np-value", justify="right")
    from mlbench.reports.summary import coefficient_terms

    for term in coefficient_terms(results, order):
        row: list[Any] = [Text(term)]
        for res in results.values():
            if term in (res.get("aliased") or []):
                row += [Text("aliased", style="dim"), Text("NA", style="dim")]
                continue
            coef = res["coefficients"].get(term, {})
            row += [_fmt(coef.get("estimate")), _fmt(coef.get("p_value"), 4)]
        table.add_row(*row)
    for label, key in (("R²", "r_squared"), ("adj. R²", "adj_r_squared"), ("F", "f_statistic")):
        row = [Text(label, style="bold")]
        for res in results.values():
            row += [_fmt(res.get(key)), ""]
        table.add_row(*row)
    return table


def elimination_table(records: list[dict[str, Any]]) -> Table | None:
    """Backward elimination by p-value: what each platform dropped, in order, and the refit."""
    results = _latest_ok(records, "pvalues")
    if not results:
        return None
    alpha = next(iter(results.values())).get("alpha")
    table = Table(title=f"Backward elimination (drop the largest p > {alpha}, refit)", title_justify="left")
    for column in ("adapter", "dropped, in order", "kept", "refit R²", "refit adj. R²"):
        table.add_column(column, overflow="fold")
    for adapter, res in results.items():
        refit = res.get("refit", {})
        table.add_row(Text(adapter), Text(", ".join(res.get("dropped", [])) or "none"),
                      Text(", ".join(res.get("kept", []))), _fmt(refit.get("r_squared")),
                      _fmt(refit.get("adj_r_squared")))
    return table


def vif_table(records: list[dict[str, Any]]) -> Table | None:
    results = _latest_ok(records, "vif")
    if not results:
        return None
    table = Table(title="Variance inflation factors", title_justify="left")
    table.add_column("feature")
    for adapter in results:
        table.add_column(adapter, justify="right")
    features = list(dict.fromkeys(f for res in results.values() for f in res["vif"]))
    for feature in features:
        table.add_row(Text(feature), *[_fmt(res["vif"].get(feature)) for res in results.values()])
    dropped = [Text(", ".join(res["dropped"]) or "none") for res in results.values()]
    table.add_row(Text("dropped", style="bold"), *dropped)
    return table


def _subset_results(records: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(adapter, method) -> the last measured subset record (any status)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for record in _measured(records):
        if record["step"] == "subset":
            found[(record["adapter"], record["variant"])] = record
    return found


def _subset_mark(record: dict[str, Any], size: int, best_set: set[str]) -> Text:
    """✓/✗: same set as the reference of the record's own method; '≠best' where that is not the best subset."""
    same = ((record.get("deviation") or {}).get("same_set_by_size") or {}).get(str(size))
    if same is None:
        return Text(record["status"] if record["status"] != "ok" else "—", style="dim")
    chosen = set(((record.get("result") or {}).get("by_size") or {}).get(str(size), {}).get("features", []))
    suffix = " ≠best" if best_set and chosen != best_set else ""
    return Text(("✓" if same else "✗") + suffix, style="green" if same else "red")


def subset_table(records: list[dict[str, Any]], reference: dict[str, Any]) -> Table | None:
    """Per size: the reference's best set, then per adapter x method whether the platform chose the same set."""
    cells = _subset_results(records)
    if not cells:
        return None
    exact = reference.get("subset/best") or next(
        (v for k, v in reference.items() if k.startswith("subset/") and "by_size" in v), None)
    table = Table(
        title="Subset selection: ✓ = same set as the exact reference of the same method; ≠best = not the best subset",
        title_justify="left",
    )
    table.add_column("size", justify="right")
    if exact and "by_size" in exact:
        table.add_column("exact best subset (reference)", overflow="fold")
        table.add_column("adj. R²", justify="right")
        table.add_column("BIC", justify="right")
    for adapter, method in cells:
        table.add_column(f"{adapter}\n{method}", justify="center")
    sizes = sorted({int(k) for r in cells.values() for k in ((r.get("result") or {}).get("by_size") or {})}
                   | {int(k) for k in ((exact or {}).get("by_size") or {})})
    for size in sizes:
        row: list[Any] = [str(size)]
        if exact and "by_size" in exact:
            ref = exact["by_size"].get(str(size), {})
            row += [Text(", ".join(ref.get("features", []))), _fmt(ref.get("adj_r_squared")), _fmt(ref.get("bic"))]
        best_set = set(((exact or {}).get("by_size") or {}).get(str(size), {}).get("features", []))
        for record in cells.values():
            row.append(_subset_mark(record, size, best_set))
        table.add_row(*row)
    chosen_row: list[Any] = [Text("picks", style="bold")]
    if exact and "by_size" in exact:
        chosen = exact.get("chosen", {})
        chosen_row += [Text(f"adj. R² {chosen.get('adj_r_squared')}, Cp {chosen.get('cp')}, BIC {chosen.get('bic')}"),
                       "", ""]
    for record in cells.values():
        chosen = (record.get("result") or {}).get("chosen") or {}
        chosen_row.append(Text(f"{chosen.get('adj_r_squared')}/{chosen.get('cp')}/{chosen.get('bic')}"
                               if chosen else "—"))
    table.add_row(*chosen_row)
    return table


def truth_table(records: list[dict[str, Any]]) -> Table | None:
    """Synthetic data: precision and recall of the model each criterion picks, against the true support."""
    cells = {k: v for k, v in _subset_results(records).items() if (v.get("deviation") or {}).get("truth")}
    if not cells:
        return None
    table = Table(title="Recovery of the true support (precision / recall of the picked model)", title_justify="left")
    for column in ("adapter", "method", "adj. R²", "Cp", "BIC"):
        table.add_column(column)
    for (adapter, method), record in cells.items():
        truth = record["deviation"]["truth"]
        row: list[Any] = [Text(adapter), Text(method)]
        for criterion in ("adj_r_squared", "cp", "bic"):
            q = truth.get(criterion, {})
            row.append(f"{q.get('precision', 0):.2f} / {q.get('recall', 0):.2f} (k={q.get('size')})")
        table.add_row(*row)
    return table


def _iqr(values: list[float]) -> float | None:
    if len(values) < 2:
        return None
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[2] - q[0]


def _time_cell(values: list[float]) -> str:
    if not values:
        return "—"
    iqr = _iqr(values)
    return _fmt(statistics.median(values), 3) + (f" ±{_fmt(iqr, 2)}" if iqr is not None else "")


def train_tables(records: list[dict[str, Any]]) -> list[Table]:
    """Per task: rows adapter x model, per size: median fit time (± IQR), peak memory, the headline metric."""
    measured = [r for r in _measured(records) if r["step"] == "train"]
    tables = []
    for task, metric in (("classification", "auc"), ("regression", "rmse")):
        rows = [r for r in measured if (r.get("params") or {}).get("task") == task]
        if not rows:
            continue
        sizes = sorted({r["n_rows"] for r in rows})
        table = Table(title=f"Training ({task}): median fit time (± IQR), peak MB of the process tree, "
                            f"{metric.upper()} on the fixed test set", title_justify="left")
        table.add_column("adapter")
        table.add_column("model")
        for size in sizes:
            for column in ("fit s", "peak MB", metric.upper()):
                table.add_column(f"{size:,}\n{column}", justify="right")
        keys = list(dict.fromkeys((r["adapter"], r["variant"]) for r in rows))
        for adapter, model in keys:
            row: list[Any] = [Text(adapter), Text(model)]
            for size in sizes:
                cell = [r for r in rows if (r["adapter"], r["variant"], r["n_rows"]) == (adapter, model, size)]
                fits = [r for r in cell if r["phase"] == "fit"]
                if fits and all(r["status"] != "ok" for r in fits):
                    row += [Text(fits[0]["status"], style=STATUS_STYLE.get(fits[0]["status"], "")), "", ""]
                    continue
                times = [r["wall_s"] for r in fits if r["status"] == "ok"]
                peak = max((r.get("peak_rss_mb") or 0 for r in cell), default=None)
                values = [r["result"]["metrics"][metric] for r in cell
                          if r["phase"] == "predict" and r["status"] == "ok"]
                spread = f" ±{_fmt(max(values) - min(values), 2)}" if len(values) > 1 else ""
                row += [_time_cell(times), _fmt(peak, 4), (_fmt(statistics.median(values), 4) + spread)
                        if values else "—"]
            table.add_row(*row)
        tables.append(table)
    return tables


SUBSCORE_LABELS = {"portability": "port", "fidelity": "fid", "reproducibility": "repro", "latency": "lat",
                   "throughput": "thru", "cold_start": "cold", "footprint": "foot", "security": "sec"}


def _yes(value: Any) -> str:
    return "yes" if value else "no" if value is not None else "—"


def deploy_tables(records: list[dict[str, Any]]) -> list[Table]:
    """Deployability: per adapter x model x format, the total, floor and every sub-score; then the raw values."""
    cells = [r for r in _measured(records) if r["step"] == "deploy" and r["phase"] == "reload" and r.get("result")]
    if not cells:
        return []
    first = cells[0]["result"]
    weights = ", ".join(f"{SUBSCORE_LABELS[k]} {v:g}" for k, v in first.get("weights", {}).items())
    changed = first.get("weights_overridden") or {}
    note = ("; weights changed on the command line: " + ", ".join(
        f"{k} {v['from']:g}→{v['to']:g}" for k, v in changed.items())) if changed else ""
    scores = Table(title=f"Deployability score v{first.get('score_version')} (weights: {weights}{note})",
                   title_justify="left")
    raw = Table(title="Deployability: raw measurements (each artifact reloaded in a fresh process)",
                title_justify="left")
    for column in ("adapter", "model", "format", "total", "floor", *SUBSCORE_LABELS.values()):
        scores.add_column(column, justify="left" if column in ("adapter", "model", "format") else "right")
    for column in ("adapter", "model", "format", "cold start s", "load s", "p50 ms", "p99 ms", "rows/s",
                   "parity max|Δ|", "footprint MB", "size KB", "JVM", "train lib", "code on load", "repro Δ"):
        raw.add_column(column, justify="left" if column in ("adapter", "model", "format") else "right",
                       overflow="fold")
    for record in cells:
        result = record["result"]
        repro = (result.get("reproducibility") or {}).get("max_abs_diff")
        for kind, fmt in result.get("formats", {}).items():
            key = [Text(record["adapter"]), Text(record["variant"] or ""),
                   Text(kind + (" ★" if kind == result.get("best_format") else ""))]
            if not fmt.get("ok"):
                label = "unavailable" if fmt.get("unavailable") else "error"
                why = Text(f"{label}: {fmt.get('error', '')}", style="dim" if fmt.get("unavailable") else "red")
                scores.add_row(*key, why, *[""] * (1 + len(SUBSCORE_LABELS)))
                continue
            sub = fmt.get("subscores", {})
            scores.add_row(*key, _fmt(fmt.get("score"), 4), _fmt(fmt.get("floor"), 3),
                           *[_fmt(sub.get(name), 3) for name in SUBSCORE_LABELS])
            raw.add_row(*key, _fmt(fmt.get("cold_start_s"), 3), _fmt(fmt.get("load_s"), 3),
                        _fmt(fmt.get("p50_ms"), 3), _fmt(fmt.get("p99_ms"), 3), _fmt(fmt.get("throughput_rows_s"), 3),
                        _fmt(fmt.get("parity_max_abs"), 2), _fmt(fmt.get("footprint_mb"), 4),
                        _fmt((fmt.get("size_bytes") or 0) / 1024, 4), _yes(fmt.get("needs_jvm")),
                        _yes(fmt.get("needs_training_library")), _yes(fmt.get("runs_code_on_load")), _fmt(repro, 2))
    return [scores, raw]


def best_table(records: list[dict[str, Any]]) -> Table | None:
    """A short "best per metric" summary: who was fastest among correct answers, most accurate, leanest."""
    from mlbench.reports.summary import cell_rows

    rows = [r for r in cell_rows(records) if r["step"] not in ("session", "load")]
    lines: list[tuple[str, str, str]] = []
    for step in dict.fromkeys(r["step"] for r in rows):
        cells = [r for r in rows if r["step"] == step and r["status"] == "ok"]
        correct = [r for r in cells if r["agrees"] and r["median_wall_s"] is not None]
        if step not in ("train", "deploy") and correct:
            best = min(correct, key=lambda r: r["median_wall_s"])
            label = step + (f"/{best['variant']}" if best["variant"] else "")
            lines.append((f"fastest correct {step}", f"{best['adapter']} ({label})", f"{best['median_wall_s']:.3g} s"))
        metric_cells = [r for r in cells if r["metric_value"] is not None and r["metric"] in ("auc", "rmse", "score")]
        for metric in dict.fromkeys(r["metric"] for r in metric_cells):
            candidates = [r for r in metric_cells if r["metric"] == metric]
            pick = min if metric == "rmse" else max
            best = pick(candidates, key=lambda r: r["metric_value"])
            lines.append((f"best {metric} ({step})", f"{best['adapter']} {best['variant']} at {best['n_rows']:,} rows",
                          f"{best['metric_value']:.4g}"))
        timed = [r for r in cells if r["median_wall_s"] is not None and step == "train"]
        if timed:
            best = min(timed, key=lambda r: r["median_wall_s"])
            lines.append(("fastest fit (train)", f"{best['adapter']} {best['variant']} at {best['n_rows']:,} rows",
                          f"{best['median_wall_s']:.3g} s"))
    peaks = [r for r in rows if r.get("peak_rss_mb") and r["status"] == "ok"]
    if peaks:
        best = min(peaks, key=lambda r: r["peak_rss_mb"])
        lines.append(("least memory", f"{best['adapter']} ({best['step']})", f"{best['peak_rss_mb']:.0f} MB"))
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
    from mlbench.reports.summary import accuracy

    pivot = accuracy(records, manifest)
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
                cells.append(Text(f"{cell['status']}{mark}", style=STATUS_STYLE.get(cell["status"], "")))
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
    dataset = manifest.get("dataset", {})
    scenario = manifest.get("scenario", {}).get("name", "?")
    several = [d.get("name") for d in manifest.get("datasets") or []]
    what: list[Any]
    if len(several) > 1:
        what = [" · datasets ", (f"{len(several)} ({several[0]} … {several[-1]})", "bold")]
    else:
        what = [" · dataset ", (str(dataset.get("name", "?")), "bold"),
                f" ({dataset.get('n_rows', '?')} rows, target {dataset.get('target')}, "
                f"sha256 {str(dataset.get('sha256', ''))[:12]})"]
    console.print(Text.assemble(
        ("mlbench", "bold"), " run ", (str(manifest.get("run_id", "?")), "cyan"), " · scenario ",
        (str(scenario), "bold"), *what, f" · status {manifest.get('status', '?')}",
    ))
    for note in dataset.get("notes", []):
        console.print(Text(f"  note: {note}"))
    from mlbench.reports.summary import design_terms
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
        coefficient_table(records, reference.get("pvalues"), design_terms(manifest)), elimination_table(records),
        vif_table(records),
        subset_table(records, reference), truth_table(records),
        *train_tables([r for r in records if r["step"] == "train"]), *deploy_tables(records),
        summary_table([r for r in records if r["step"] != "train"], manifest) if any(
            r["step"] not in (None, "train") for r in records) else None,
        best_table(records),
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
