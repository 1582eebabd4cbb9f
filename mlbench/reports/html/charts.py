"""The HTML report's charts: inline SVG drawn by mlbench.reports.svg from summary's pivots (train points, phase
totals, deploy rows, subset agreement). No plotting library, no scripts."""

from __future__ import annotations

from typing import Any

from mlbench.reports import pivots_batches, summary, svg
from mlbench.reports.html.cells import figure
from mlbench.stats import metrics

# Phases get their own colours (Paul Tol's muted scheme), distinct from the per-platform palette of the other charts.
PHASE_COLORS = {"session": "#555555", "load": "#bbbbbb", "fit": "#332288", "predict": "#cc6677", "export": "#117733",
                "reload": "#88ccee"}
MODEL_SHAPES = {"linear": "circle", "logistic": "circle", "random_forest": "triangle", "gbm": "square"}


def _colors(names: list[str]) -> dict[str, str]:
    return {name: svg.color(i) for i, name in enumerate(names)}


def _shapes(models: list[str]) -> dict[str, str]:
    shapes: dict[str, str] = {}
    free = [s for s in svg.MARKERS if s not in MODEL_SHAPES.values()] + list(svg.MARKERS)
    for model in models:
        shapes[model] = MODEL_SHAPES.get(model) or free[len(shapes) % len(free)]
    return shapes


def plot_fit_vs_rows(records: list[dict[str, Any]]) -> list[str]:
    """(a) Median fit seconds against training rows, log-log; one line per platform x model, per task."""
    points = [p for p in summary.train_points(records) if p["fit_s"] and p["n_rows"]]
    out = []
    adapters = list(dict.fromkeys(p["adapter"] for p in points))
    colors, shapes = _colors(adapters), _shapes(list(dict.fromkeys(p["model"] for p in points)))
    for task in dict.fromkeys(p["task"] for p in points):
        models = list(dict.fromkeys(p["model"] for p in points if p["task"] == task))
        dashes = {m: svg.DASHES[i % len(svg.DASHES)] for i, m in enumerate(models)}
        series = []
        for adapter in adapters:
            for model in models:
                mine = [p for p in points if (p["task"], p["adapter"], p["model"]) == (task, adapter, model)]
                if not mine:
                    continue
                series.append(svg.Series(
                    f"{adapter} · {model}", colors[adapter], shapes[model], dashes[model],
                    [(float(p["n_rows"]), float(p["fit_s"]),
                      f"{adapter} · {model} · {p['n_rows']:,} rows: fit {p['fit_s']:.3g} s") for p in mine]))
        sizes = sorted({p["n_rows"] for p in points if p["task"] == task})
        note = ("One size only: run more sizes (--sizes 10k,100k,1m) to see how fit time grows."
                if len(sizes) < 2 else "Median over the measured repeats; hover a point for its value.")
        out.append(figure(svg.line_chart(series, f"Fit time vs rows ({task})", "training rows (log)",
                                         "median fit seconds (log)",
                                         x_ticks=[float(n) for n in sizes] if len(sizes) <= 8 else ()),
                          f"Fit time against training rows ({task}), log-log", note))
    return out


def plot_core_sweep(records: list[dict[str, Any]]) -> list[str]:
    """Speed-up of the median fit against core counts (`--cores 1,2`), one line per platform x model and the
    perfectly parallel line (speed-up = N / the smallest count) dashed grey, per task and size; [] for one count."""
    rows = [r for r in summary.core_sweep(records) if not r["fixed"]]
    counts = summary.core_counts(records)
    adapters = list(dict.fromkeys(r["adapter"] for r in rows))
    colors, shapes = _colors(adapters), _shapes(list(dict.fromkeys(r["model"] for r in rows)))
    out = []
    for task, n_rows in dict.fromkeys((r["task"], r["n_rows"]) for r in rows):
        series = [svg.Series("perfectly parallel", "#999999", "circle", "4 3",
                             [(float(n), n / counts[0], f"{n} cores: {n / counts[0]:.2f}x") for n in counts])]
        for r in (r for r in rows if (r["task"], r["n_rows"]) == (task, n_rows)):
            label = f"{r['adapter']} · {r['model']}"
            series.append(svg.Series(label, colors[r["adapter"]], shapes[r["model"]], "", [
                (float(n), float(p["speedup"]), f"{label} · {n} cores: fit {p['fit_s']:.3g} s, speed-up "
                 f"{p['speedup']:.2f}x, efficiency {p['efficiency']:.2f}")
                for n, p in r["points"].items() if n is not None and p["speedup"]]))
        out.append(figure(svg.line_chart(series, f"Speed-up with cores ({task}, {n_rows:,} rows)", "cores",
                                         f"speed-up over {counts[0]} core{'s' * (counts[0] != 1)}", log_x=False,
                                         log_y=False, x_ticks=[float(n) for n in counts]),
                          f"Scaling with cores ({task}, {n_rows:,} rows): speed-up of the median fit",
                          "Each core count ran in a session of its own; the grey line is perfectly parallel "
                          "(efficiency 1). Hover a point for its fit time and efficiency."))
    return out


def plot_cost_curve(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> list[str]:
    """Fit seconds against rows, log-log: measured points joined solid, the fitted power law extended to
    summary.EXTRAPOLATED_ROWS dashed and marked as extrapolated."""
    rows = summary.growth(records, summary.budget_mb(manifest))
    points = [p for p in summary.train_points(records) if p["fit_s"] and p["n_rows"] and not p["failed"]]
    adapters = list(dict.fromkeys(r["adapter"] for r in rows))
    colors, shapes = _colors(adapters), _shapes(list(dict.fromkeys(r["model"] for r in rows)))
    out = []
    for task in dict.fromkeys(r["task"] for r in rows):
        series = []
        for r in (r for r in rows if r["task"] == task):
            label = f"{r['adapter']} · {r['model']}"
            measured = sorted((float(p["n_rows"]), float(p["fit_s"]), f"{label} · {p['n_rows']:,} rows: "
                               f"fit {p['fit_s']:.3g} s (measured)") for p in points
                              if (p["task"], p["adapter"], p["model"]) == (task, r["adapter"], r["model"]))
            series.append(svg.Series(label, colors[r["adapter"]], shapes[r["model"]], "", measured))
            ahead = [(float(n), float(e["fit_s"]), f"{label} · {n:,} rows: fit {e['fit_s']:.3g} s (extrapolated)")
                     for n, e in r["extrapolated"].items() if e["fit_s"]]
            if ahead:
                series.append(svg.Series(f"{label} (extrapolated)", colors[r["adapter"]], shapes[r["model"]],
                                         "2 3", [measured[-1], *ahead]))
        out.append(figure(svg.line_chart(series, f"Cost curve ({task})", "training rows (log)",
                                         "fit seconds (log)"),
                          f"Fit time against rows ({task}), measured and extrapolated, log-log",
                          "Dotted: the power law fitted on the measured sizes, extended to 10M and 100M rows: an "
                          "extrapolation, not a measurement."))
    return out


def plot_pareto(records: list[dict[str, Any]]) -> list[str]:
    """(b) Test metric against fit time at the largest size, the Pareto front ringed and labelled."""
    points = [p for p in summary.train_points(records) if p["fit_s"] and p["metric_value"] is not None]
    out = []
    adapters = list(dict.fromkeys(p["adapter"] for p in points))
    models = list(dict.fromkeys(p["model"] for p in points))
    colors, shapes = _colors(adapters), _shapes(models)
    for task in dict.fromkeys(p["task"] for p in points):
        size = max(p["n_rows"] for p in points if p["task"] == task)
        chosen = [p for p in points if p["task"] == task and p["n_rows"] == size]
        metric = chosen[0]["metric"] or "metric"
        higher = metrics.higher_is_better(metric)
        models = list(dict.fromkeys(p["model"] for p in chosen))
        plotted = [svg.Point(float(p["fit_s"]), float(p["metric_value"]), colors[p["adapter"]], shapes[p["model"]],
                             f"{p['adapter']} · {p['model']}: {metric.upper()} {p['metric_value']:.4g}, "
                             f"fit {p['fit_s']:.3g} s", f"{p['adapter']} · {p['model']}") for p in chosen]
        legends = [("platform", [svg.LegendEntry(a, colors[a], "circle") for a in adapters
                                 if any(p["adapter"] == a for p in chosen)]),
                   ("model", [svg.LegendEntry(m, "#666", shapes[m]) for m in models
                              if any(p["model"] == m for p in chosen)])]
        direction = "higher" if higher else "lower"
        out.append(figure(
            svg.pareto_chart(plotted, f"{metric.upper()} vs fit time ({task}, {size:,} rows)",
                             "median fit seconds (log)", f"{metric.upper()} on the test set ({direction} is better)",
                             higher, legends),
            f"{metric.upper()} against fit time ({task}, {size:,} training rows), Pareto front ringed",
            f"A ringed point is on the front: no other platform × model is both faster and more accurate. "
            f"{metric.upper()}: {direction} is better."))
    return out


def plot_phases(records: list[dict[str, Any]]) -> str | None:
    """(c) Seconds per phase per adapter, stacked: session, load, fit, predict (export, reload if any)."""
    totals = summary.phase_totals(records)
    if not totals:
        return None
    phases = [p for p in summary.PHASES if any(p in v for v in totals.values())]
    phases += sorted({p for v in totals.values() for p in v} - set(phases))
    rows = [(adapter, values) for adapter, values in totals.items()]
    return figure(svg.stacked_bars(rows, phases, "Seconds per phase per platform", "seconds", PHASE_COLORS),
                  "Where the time goes: seconds per phase per platform",
                  "Per phase, the sum over cells of each cell's median over the repeats, i.e. one pass of the "
                  "scenario. Session is platform start-up (a JVM for H2O and Spark).")


def plot_deploy(records: list[dict[str, Any]]) -> str | None:
    """(d) Deployability sub-scores (0-100) per adapter x model; skipped when no record carries sub-scores."""
    rows_data = [r for r in summary.deploy_rows(records) if r["subscores"]]
    if not rows_data:
        return None
    names = [s for s in summary.SUBSCORE_LABELS if any(s in r["subscores"] for r in rows_data)]
    names += sorted({k for r in rows_data for k in r["subscores"]} - set(names))
    columns = [*names, "score"]
    labels, cells = [], []
    for r in rows_data:
        labels.append(f"{r['adapter']} · {r['model']}" + (f" ({r['best_format']})" if r["best_format"] else ""))
        row = []
        for name in columns:
            value = r["score"] if name == "score" else r["subscores"].get(name)
            value = float(value) if isinstance(value, int | float) else None
            fill, ink = svg.sequential(value)
            row.append(svg.HeatCell(fill, "—" if value is None else f"{value:.0f}",
                                    f"{labels[-1]} · {name}: {'missing' if value is None else f'{value:.1f}'}", ink))
        cells.append(row)
    markup = svg.heatmap(labels, [c.replace("_", " ") for c in columns], cells, "Deployability sub-scores",
                         [(svg.sequential(0)[0], "0"), (svg.sequential(50)[0], "50"), (svg.sequential(100)[0], "100"),
                          ("#e0e0e0", "missing")], cell_w=84)
    return figure(markup, "Deployability sub-scores (0-100) of each model's best format",
                  "The last column is the weighted total; the weakest sub-score is listed in the table above.")


def plot_batch_sweep(records: list[dict[str, Any]]) -> list[str]:
    """Rows/s against rows per call, log-log, per model (and dataset): one line per artifact, coloured by platform,
    dashed by format, so a chart stays readable with every platform's formats: where batching pays, how much."""
    points = [p for p in pivots_batches.batch_rows(records) if p["rows_s"]]
    colors = _colors(list(dict.fromkeys(p["adapter"] for p in points)))
    formats = list(dict.fromkeys(p["format"] for p in points))
    dashes = {f: svg.DASHES[i % len(svg.DASHES)] for i, f in enumerate(formats)}
    shapes = {f: svg.MARKERS[i // len(svg.DASHES) % len(svg.MARKERS)] for i, f in enumerate(formats)}
    groups = list(dict.fromkeys((p["dataset"], p["model"]) for p in points))
    several = len({dataset for dataset, _ in groups}) > 1
    out = []
    for dataset, model in groups:
        mine = [p for p in points if (p["dataset"], p["model"]) == (dataset, model)]
        series = []
        for adapter, kind in dict.fromkeys((p["adapter"], p["format"]) for p in mine):
            label = f"{adapter} · {kind}"
            series.append(svg.Series(label, colors[adapter], shapes[kind], dashes[kind], [
                (float(p["rows"]), float(p["rows_s"]), f"{label} · {model} · {p['rows']:,} rows per call: "
                 f"{p['rows_s']:.3g} rows/s, p50 {p['p50_ms']:.3g} ms, p99 {p['p99_ms']:.3g} ms ({p['calls']} calls)")
                for p in mine if (p["adapter"], p["format"]) == (adapter, kind)]))
        where = f"{model}, {dataset}" if several else model
        out.append(figure(svg.line_chart(series, f"Rows/s by batch size ({where})", "rows per call (log)",
                                         "rows per second (log)",
                                         x_ticks=sorted({float(p["rows"]) for p in mine})),
                          f"Inference throughput by batch size ({where}): rows/s against rows per call, log-log",
                          "rows/s = rows per call / median seconds per call, each artifact in a fresh process; "
                          "a line that keeps rising pays a fixed cost per call (a JVM, a Spark job), a flat one "
                          "pays per row. Hover a point for its p50, p99 and calls."))
    return out


def plot_subset_agreement(records: list[dict[str, Any]], reference: dict[str, Any]) -> str | None:
    """(e) Rows adapter x method, columns subset size: same subset as the reference (yes / no / missing)."""
    sizes, rows_data = summary.subset_agreement(records, reference)
    if not rows_data or not sizes:
        return None
    several = len({r["dataset"] for r in rows_data}) > 1
    labels, cells = [], []
    for r in rows_data:
        label = f"{r['adapter']} · {r['method']}" + (f" · {r['dataset']}" if several else "")
        labels.append(label)
        row = []
        for size in sizes:
            same = r["same"].get(size)
            if same is None:
                why = r["status"] if r["status"] != "ok" else "not computed"
                row.append(svg.HeatCell("#e0e0e0", "–", f"{label}, size {size}: missing ({why})", "#555"))
            elif same:
                row.append(svg.HeatCell("#b7e4c7", "✓", f"{label}, size {size}: same subset as the reference"))
            else:
                row.append(svg.HeatCell("#f4b6b0", "✗", f"{label}, size {size}: a different subset"))
        cells.append(row)
    markup = svg.heatmap(labels, [str(s) for s in sizes], cells, "Subset agreement with the reference",
                         [("#b7e4c7", "✓ same subset"), ("#f4b6b0", "✗ different"), ("#e0e0e0", "– missing")],
                         col_heading="subset size")
    return figure(markup, "Feature-selection agreement: same subset as the reference, per size",
                  "The reference of each method: the exact best subset of each size for best (by RSS for OLS, by "
                  "deviance for a GLM), the exact stepwise path for forward and backward (by AIC for a GLM, as "
                  "R's step).")
