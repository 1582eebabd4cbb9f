"""Small hand-written SVG charts for the HTML report: no plotting library, no scripts, no external resources.

Every string that can come from data (labels, tooltips) is HTML-escaped here, in text nodes and attributes
alike; colours and shapes come only from the fixed palettes below. Each chart is one <svg> element that scales
to its container (viewBox + width 100%).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D1F", "#555555")
MARKERS = ("circle", "triangle", "square", "diamond")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"'
CHAR_PX = 6.6  # rough width of one 12 px character, for layout only


def esc(value: Any) -> str:
    """Text for an HTML/SVG text node or attribute value; None is empty."""
    return escape("" if value is None else str(value), quote=True)


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def short_number(value: float) -> str:
    """Tick labels: 2k, 100k, 1M, 0.01, 1e-05."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:g}M"
    if magnitude >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:.3g}"


@dataclass
class Scale:
    lo: float
    hi: float
    start: float  # pixels
    end: float
    log: bool = False
    fixed_ticks: tuple[float, ...] = ()  # label exactly these values (e.g. the sizes that were run)

    @classmethod
    def fit(cls, values: Sequence[float], start: float, end: float, log: bool = False, pad: float = 0.05,
            zero: bool = False) -> Scale:
        data = [v for v in values if v is not None and math.isfinite(v) and (v > 0 or not log)]
        if not data:
            data = [1.0, 10.0] if log else [0.0, 1.0]
        if log:
            lo, hi = math.log10(min(data)), math.log10(max(data))
            if hi - lo < 1e-9:
                lo, hi = lo - 0.5, hi + 0.5
            span = hi - lo
            return cls(lo - pad * span, hi + pad * span, start, end, log=True)
        lo, hi = min(data), max(data)
        if zero:
            lo = min(lo, 0.0)
        if hi - lo < 1e-12:
            lo, hi = lo - (abs(lo) * 0.1 or 0.5), hi + (abs(hi) * 0.1 or 0.5)
        span = hi - lo
        return cls(lo if zero and lo == 0 else lo - pad * span, hi + pad * span, start, end)

    def __call__(self, value: float) -> float:
        v = math.log10(value) if self.log else value
        return self.start + (v - self.lo) / (self.hi - self.lo) * (self.end - self.start)

    def ticks(self) -> list[float]:
        if self.fixed_ticks:
            return list(self.fixed_ticks)
        if self.log:
            first, last = math.floor(self.lo), math.ceil(self.hi)
            steps = (1, 2, 5) if last - first <= 3 else (1,)
            found = [m * 10.0**k for k in range(first, last + 1) for m in steps]
            return [t for t in found if self.lo <= math.log10(t) <= self.hi]
        span = self.hi - self.lo
        raw = span / 5
        base = 10 ** math.floor(math.log10(raw))
        step = next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= raw)
        tick = math.ceil(self.lo / step) * step
        found = []
        while tick <= self.hi + 1e-12 * span:
            found.append(round(tick, 12))
            tick += step
        return found


def _open(width: float, height: float, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" {FONT} font-size="12">',
        f"<title>{esc(title)}</title>",
    ]


def marker(shape: str, x: float, y: float, fill: str, size: float = 4.5, tip: str | None = None,
           stroke: str = "#fff") -> str:
    tip_el = f"<title>{esc(tip)}</title>" if tip else ""
    common = f'fill="{fill}" stroke="{stroke}" stroke-width="1"'
    if shape == "square":
        body = f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size:.1f}" height="{2 * size:.1f}" {common}'
    elif shape == "triangle":
        s = size * 1.25
        points = f"{x:.1f},{y - s:.1f} {x - s:.1f},{y + s * 0.8:.1f} {x + s:.1f},{y + s * 0.8:.1f}"
        body = f'<polygon points="{points}" {common}'
    elif shape == "diamond":
        s = size * 1.3
        points = f"{x:.1f},{y - s:.1f} {x + s:.1f},{y:.1f} {x:.1f},{y + s:.1f} {x - s:.1f},{y:.1f}"
        body = f'<polygon points="{points}" {common}'
    else:
        body = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" {common}'
    return body + (f">{tip_el}</{body.split()[0][1:]}>" if tip_el else "/>")


def _x_grid(out: list[str], xs: Scale, top: float, bottom: float) -> None:
    """Vertical grid lines from top to bottom at the x ticks, labelled below."""
    for tick in xs.ticks():
        x = xs(tick)
        out.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 16:.1f}" text-anchor="middle" fill="#333">'
                   f"{esc(short_number(tick))}</text>")


def _axes(out: list[str], xs: Scale, ys: Scale, left: float, top: float, right: float, bottom: float,
          x_label: str, y_label: str) -> None:
    out.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" height="{bottom - top:.1f}" '
               'fill="#fafafa" stroke="#999"/>')
    _x_grid(out, xs, top, bottom)
    for tick in ys.ticks():
        y = ys(tick)
        out.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" fill="#333">'
                   f"{esc(short_number(tick))}</text>")
    out.append(f'<text x="{(left + right) / 2:.1f}" y="{bottom + 36:.1f}" text-anchor="middle" fill="#111">'
               f"{esc(x_label)}</text>")
    cy = (top + bottom) / 2
    out.append(f'<text x="14" y="{cy:.1f}" text-anchor="middle" fill="#111" '
               f'transform="rotate(-90 14 {cy:.1f})">{esc(y_label)}</text>')


@dataclass
class LegendEntry:
    label: str
    color: str = "#333"
    shape: str | None = "circle"
    dash: str | None = None  # a line sample when not None


def _legend(out: list[str], entries: list[LegendEntry], x: float, y: float, heading: str | None = None) -> float:
    if heading:
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" font-weight="bold" fill="#111">{esc(heading)}</text>')
        y += 16
    for entry in entries:
        if entry.dash is not None:
            dash = f' stroke-dasharray="{entry.dash}"' if entry.dash else ""
            out.append(f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 22:.1f}" y2="{y - 4:.1f}" '
                       f'stroke="{entry.color}" stroke-width="2"{dash}/>')
        if entry.shape:
            out.append(marker(entry.shape, x + 11, y - 4, entry.color, 4))
        out.append(f'<text x="{x + 28:.1f}" y="{y:.1f}" fill="#222">{esc(entry.label)}</text>')
        y += 16
    return y


@dataclass
class Series:
    label: str
    color: str
    shape: str = "circle"
    dash: str = ""
    points: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, tooltip


def _legend_width(labels: list[str]) -> float:
    return 40 + CHAR_PX * max((len(label) for label in labels), default=0)


def line_chart(series: list[Series], title: str, x_label: str, y_label: str, log_x: bool = True,
               log_y: bool = True, x_ticks: Sequence[float] = ()) -> str:
    """One polyline with markers per series (e.g. fit seconds against rows, log-log); `x_ticks` labels exactly
    those x values (the sizes run) instead of round numbers."""
    legend_w = min(260.0, _legend_width([s.label for s in series]))
    width, height = 640 + legend_w, 380.0
    left, top, right, bottom = 64.0, 16.0, width - legend_w - 16, height - 52
    xs = Scale.fit([p[0] for s in series for p in s.points], left, right, log=log_x)
    if x_ticks:
        xs.fixed_ticks = tuple(x_ticks)
    ys = Scale.fit([p[1] for s in series for p in s.points], bottom, top, log=log_y)
    out = _open(width, height, title)
    _axes(out, xs, ys, left, top, right, bottom, x_label, y_label)
    for s in series:
        pts = sorted(p for p in s.points if _plottable(p, log_x, log_y))
        if len(pts) > 1:
            path = " ".join(f"{xs(x):.1f},{ys(y):.1f}" for x, y, _ in pts)
            dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
            out.append(f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="2"{dash}/>')
        for x, y, tip in pts:
            out.append(marker(s.shape, xs(x), ys(y), s.color, tip=tip))
    _legend(out, [LegendEntry(s.label, s.color, s.shape, s.dash) for s in series], right + 16, top + 12)
    out.append("</svg>")
    return "\n".join(out)


def _plottable(point: tuple[float, float, str], log_x: bool, log_y: bool) -> bool:
    x, y = point[0], point[1]
    if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
        return False
    return (x > 0 or not log_x) and (y > 0 or not log_y)


@dataclass
class Point:
    x: float
    y: float
    color: str
    shape: str
    tip: str
    label: str = ""


def pareto_front(points: list[Point], higher_is_better: bool) -> list[Point]:
    """Points no other point beats on both less time (x) and a better metric (y); sorted by x."""
    front: list[Point] = []
    best = -math.inf
    for point in sorted(points, key=lambda p: (p.x, -p.y if higher_is_better else p.y)):
        value = point.y if higher_is_better else -point.y
        if value > best:
            front.append(point)
            best = value
    return front


def pareto_chart(points: list[Point], title: str, x_label: str, y_label: str, higher_is_better: bool,
                 legends: list[tuple[str, list[LegendEntry]]]) -> str:
    """Metric against fit time (log x); the Pareto front drawn as a step line with ringed, labelled points."""
    labels = [e.label for _, entries in legends for e in entries] + [h for h, _ in legends]
    legend_w = min(260.0, _legend_width(labels))
    width, height = 640 + legend_w, 400.0
    left, top, right, bottom = 64.0, 16.0, width - legend_w - 16, height - 52
    usable = [p for p in points if p.x is not None and p.y is not None and p.x > 0 and math.isfinite(p.y)]
    xs = Scale.fit([p.x for p in usable], left, right, log=True, pad=0.08)
    ys = Scale.fit([p.y for p in usable], bottom, top, pad=0.12)
    out = _open(width, height, title)
    _axes(out, xs, ys, left, top, right, bottom, x_label, y_label)
    front = pareto_front(usable, higher_is_better)
    if len(front) > 1:
        steps = [f"{xs(front[0].x):.1f},{ys(front[0].y):.1f}"]
        for prev, point in itertools.pairwise(front):
            steps.append(f"{xs(point.x):.1f},{ys(prev.y):.1f}")
            steps.append(f"{xs(point.x):.1f},{ys(point.y):.1f}")
        out.append(f'<polyline points="{" ".join(steps)}" fill="none" stroke="#111" stroke-width="1.5" '
                   'stroke-dasharray="5 3"/>')
    on_front = {id(p) for p in front}
    for point in usable:
        if id(point) in on_front:
            out.append(f'<circle cx="{xs(point.x):.1f}" cy="{ys(point.y):.1f}" r="9" fill="none" stroke="#111" '
                       'stroke-width="1.5"/>')
        out.append(marker(point.shape, xs(point.x), ys(point.y), point.color, 5,
                          tip=point.tip + (" (Pareto front)" if id(point) in on_front else "")))
    placed: list[tuple[float, float, float]] = []  # x0, x1, baseline of labels already drawn
    for point in front:
        if point.label:
            x, y = xs(point.x), ys(point.y)
            width_px = CHAR_PX * 0.92 * len(point.label)
            anchor = "end" if x + 12 + width_px > right else "start"
            x0 = x - 12 - width_px if anchor == "end" else x + 12
            for dy in (-10, 18, -24, 32, -38, 46):
                baseline = y + dy
                clear = all(x0 + width_px < a or x0 > b or abs(baseline - c) >= 13 for a, b, c in placed)
                if clear and top + 10 <= baseline <= bottom - 2:
                    break
            placed.append((x0, x0 + width_px, baseline))
            out.append(f'<text x="{x0:.1f}" y="{baseline:.1f}" fill="#111" font-size="11">{esc(point.label)}</text>')
    y = top + 12
    for heading, entries in legends:
        y = _legend(out, entries, right + 16, y, heading) + 8
    _legend(out, [LegendEntry("Pareto front", "#111", None, "5 3")], right + 16, y)
    out.append("</svg>")
    return "\n".join(out)


def ink(fill: str) -> str:
    """Black or white text, whichever reads on `fill` (#rrggbb)."""
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "#111" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#fff"


def stacked_bars(rows: list[tuple[str, dict[str, float]]], segments: list[str], title: str, x_label: str,
                 colors: dict[str, str] | None = None) -> str:
    """Horizontal bars, one per row label, stacked by segment (e.g. seconds per phase per adapter)."""
    label_w = 24 + CHAR_PX * max((len(label) for label, _ in rows), default=4)
    bar_h, gap = 24.0, 12.0
    legend_h = 28.0
    width = 880.0
    left, right, top = label_w, width - 70, legend_h + 12
    height = top + len(rows) * (bar_h + gap) + 44
    bottom = height - 44
    total_max = max((sum(v.values()) for _, v in rows), default=1.0) or 1.0
    xs = Scale(0.0, total_max * 1.04, left, right)
    out = _open(width, height, title)
    colors = {segment: (colors or {}).get(segment) or color(i) for i, segment in enumerate(segments)}
    x = left
    for segment in segments:  # legend on top, left to right
        out.append(f'<rect x="{x:.1f}" y="8" width="12" height="12" fill="{colors[segment]}"/>')
        out.append(f'<text x="{x + 16:.1f}" y="18" fill="#222">{esc(segment)}</text>')
        x += 30 + CHAR_PX * len(segment)
    _x_grid(out, xs, top - 4, bottom)
    out.append(f'<text x="{(left + right) / 2:.1f}" y="{bottom + 34:.1f}" text-anchor="middle" fill="#111">'
               f"{esc(x_label)}</text>")
    for i, (label, values) in enumerate(rows):
        y = top + i * (bar_h + gap)
        out.append(f'<text x="{left - 8:.1f}" y="{y + bar_h / 2 + 4:.1f}" text-anchor="end" fill="#111">'
                   f"{esc(label)}</text>")
        x = left
        for segment in segments:
            value = values.get(segment)
            if not value:
                continue
            w = xs(value) - left
            out.append(f'<rect x="{x:.2f}" y="{y:.1f}" width="{max(w, 0.5):.2f}" height="{bar_h:.1f}" '
                       f'fill="{colors[segment]}"><title>{esc(f"{label} · {segment}: {value:.3g} s")}</title></rect>')
            if w > 34:
                out.append(f'<text x="{x + w / 2:.1f}" y="{y + bar_h / 2 + 4:.1f}" text-anchor="middle" '
                           f'fill="{ink(colors[segment])}" font-size="11">{esc(f"{value:.3g}")}</text>')
            x += w
        total = sum(values.values())
        out.append(f'<text x="{x + 6:.1f}" y="{y + bar_h / 2 + 4:.1f}" fill="#111">{esc(f"{total:.3g} s")}</text>')
    out.append("</svg>")
    return "\n".join(out)


@dataclass
class HeatCell:
    fill: str
    text: str
    tip: str
    text_color: str = "#111"


def heatmap(row_labels: list[str], col_labels: list[str], cells: list[list[HeatCell]], title: str,
            legend: list[tuple[str, str]], col_heading: str = "", cell_w: float = 36.0) -> str:
    """A grid of labelled cells; `legend` is (fill, label) pairs. Text in every cell, so colour is never alone."""
    label_w = 20 + CHAR_PX * max((len(label) for label in row_labels), default=4)
    cell_h = 26.0
    top = 58.0 if col_heading else 40.0
    legend_w = sum(34 + CHAR_PX * len(label) for _, label in legend)
    width = max(label_w + cell_w * len(col_labels) + 20, label_w + legend_w + 20, 360.0)
    height = top + cell_h * len(row_labels) + 40
    out = _open(width, height, title)
    if col_heading:
        out.append(f'<text x="{label_w + cell_w * len(col_labels) / 2:.1f}" y="16" text-anchor="middle" '
                   f'fill="#111">{esc(col_heading)}</text>')
    for j, label in enumerate(col_labels):
        out.append(f'<text x="{label_w + cell_w * (j + 0.5):.1f}" y="{top - 8:.1f}" text-anchor="middle" '
                   f'fill="#333" font-size="11">{esc(label)}</text>')
    for i, label in enumerate(row_labels):
        y = top + i * cell_h
        out.append(f'<text x="{label_w - 8:.1f}" y="{y + cell_h / 2 + 4:.1f}" text-anchor="end" fill="#111">'
                   f"{esc(label)}</text>")
        for j, cell in enumerate(cells[i]):
            x = label_w + j * cell_w
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell_w - 2:.1f}" height="{cell_h - 2:.1f}" '
                       f'fill="{cell.fill}"><title>{esc(cell.tip)}</title></rect>')
            out.append(f'<text x="{x + (cell_w - 2) / 2:.1f}" y="{y + cell_h / 2 + 3:.1f}" text-anchor="middle" '
                       f'fill="{cell.text_color}" font-size="11">{esc(cell.text)}</text>')
    x, y = label_w, height - 14
    for fill, label in legend:
        out.append(f'<rect x="{x:.1f}" y="{y - 11:.1f}" width="12" height="12" fill="{fill}" stroke="#999"/>')
        out.append(f'<text x="{x + 16:.1f}" y="{y:.1f}" fill="#222">{esc(label)}</text>')
        x += 34 + CHAR_PX * len(label)
    out.append("</svg>")
    return "\n".join(out)


def sequential(value: float | None, lo: float = 0.0, hi: float = 100.0) -> tuple[str, str]:
    """(fill, text colour) on a light-to-dark blue ramp; grey for a missing value."""
    if value is None or not math.isfinite(value):
        return "#e0e0e0", "#555"
    t = min(1.0, max(0.0, (value - lo) / (hi - lo) if hi > lo else 0.0))
    start, end = (0xF1, 0xF5, 0xFB), (0x08, 0x45, 0x94)
    rgb = tuple(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb), ("#fff" if t > 0.55 else "#111")
