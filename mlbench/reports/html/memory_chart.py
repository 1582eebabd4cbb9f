"""The HTML report's memory chart: the loaded data's footprint beside the training peak against rows, from
summary's pivots (train points and the cost curve). Its own module so the chart list in charts.py stays short."""

from __future__ import annotations

from typing import Any

from mlbench.reports import summary, svg
from mlbench.reports.html.cells import figure


def _above_base(point: dict[str, Any]) -> float | None:
    """A point's training peak above the session baseline its data footprint is measured from."""
    if point["peak_rss_mb"] is None or point["base_mb"] is None:
        return None
    return float(point["peak_rss_mb"]) - float(point["base_mb"])


def plot_memory(records: list[dict[str, Any]]) -> list[str]:
    """Per task, log-log: per platform, the loaded data's MB (solid; dotted: its power law extended to
    summary.EXTRAPOLATED_ROWS) and the training peak, the largest over its models (dashed), both in MB above the
    tree's after the session started, so the gap between the two lines is what training adds to the data."""
    points = [p for p in summary.train_points(records) if p["n_rows"] and p["data_mb"] is not None]
    laws = {(r["task"], r["adapter"]): r for r in summary.growth(records)}
    adapters = list(dict.fromkeys(p["adapter"] for p in points))
    colors = {name: svg.color(i) for i, name in enumerate(adapters)}
    out = []
    for task in dict.fromkeys(p["task"] for p in points):
        series = []
        for adapter in adapters:
            mine = [p for p in points if (p["task"], p["adapter"]) == (task, adapter)]
            if not mine:
                continue
            data: dict[int, float] = {p["n_rows"]: float(p["data_mb"]) for p in mine}
            peaks: dict[int, float] = {}
            for p in mine:
                above = _above_base(p)
                if above is not None and not p["failed"]:
                    peaks[p["n_rows"]] = max(above, peaks.get(p["n_rows"], above))
            measured = [(float(n), mb, f"{adapter} · {n:,} rows: data {mb:.3g} MB (measured)")
                        for n, mb in sorted(data.items())]
            series.append(svg.Series(f"{adapter} · data", colors[adapter], "circle", "", measured))
            law = laws.get((task, adapter))
            ahead = [(float(n), float(e["data_mb"]), f"{adapter} · {n:,} rows: data {e['data_mb']:.3g} MB "
                      "(extrapolated)") for n, e in (law["extrapolated"].items() if law else ()) if e.get("data_mb")]
            if ahead and measured:
                series.append(svg.Series(f"{adapter} · data (extrapolated)", colors[adapter], "circle", "2 3",
                                         [measured[-1], *ahead]))
            if peaks:
                series.append(svg.Series(
                    f"{adapter} · training peak", colors[adapter], "square", "6 3",
                    [(float(n), mb, f"{adapter} · {n:,} rows: training peak {mb:.3g} MB above the session "
                      "(largest over its models)") for n, mb in sorted(peaks.items())]))
        sizes = sorted({p["n_rows"] for p in points if p["task"] == task})
        if any(s.dash == "2 3" for s in series):  # label the extrapolated sizes too
            sizes = sorted({*sizes, *summary.EXTRAPOLATED_ROWS})
        out.append(figure(
            svg.line_chart(series, f"Data footprint and training peak ({task})", "training rows (log)",
                           "MB above the session (log)", x_ticks=[float(n) for n in sizes] if len(sizes) <= 8 else ()),
            f"Memory against rows ({task}): the loaded data alone beside the training peak",
            "Solid: the data as the platform holds it after loading (train and test sets), the process tree's MB "
            "above its MB after the session started. Dashed: the tree's peak while training, the largest over the "
            "platform's models, above the same baseline. Dotted: the data's power law extended to 10M and 100M rows, "
            "an extrapolation. A value at or below zero is not drawn on the log scale; the tables show it."))
    return out
