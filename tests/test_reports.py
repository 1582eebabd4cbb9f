"""Reports people read: the long and wide CSV, the self-contained HTML page, and comparing two runs.

Runs are made with the real `mlbench` command (as a user makes them); a user CSV named `=cmd.csv` with a
feature column named `<script>alert(1)</script>` checks formula neutralising and HTML escaping end to end.
"""

from __future__ import annotations

import io
import json
import re
import statistics
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from mlbench.reports.compare import compare_runs, render_compare
from mlbench.reports.console import render_run
from mlbench.reports.csv_export import COLUMNS, records_to_csv
from mlbench.reports.html import render_html
from mlbench.reports.svg import Point, pareto_front
from mlbench.reports.wide import WIDE_COLUMNS, records_to_wide_csv, wide_rows
from mlbench.results import ResultRecord, load_run
from tests.conftest import run_cli

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _only_run(out: Path) -> Path:
    (run_dir,) = out.iterdir()
    return run_dir


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> Path:
    """pvalues on a user CSV whose file name starts with '=' and whose feature column is a script tag."""
    base = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=80), rng.normal(size=80)
    data = base / "=cmd.csv"
    pd.DataFrame({XSS: x1, "other": x2, "y": 1 + 2 * x1 + rng.normal(size=80)}).to_csv(data, index=False)
    proc = run_cli("run", "pvalues", "--data", str(data), "--target", "y", "--adapters", "statsmodels",
                   "--out", str(base / "runs"))
    assert proc.returncode == 0, proc.stderr
    return _only_run(base / "runs")


@pytest.fixture(scope="module")
def selection_runs(tmp_path_factory) -> tuple[Path, Path]:
    """Two runs of the same scenario (p-values, VIF, best subset; 3 repeats each) on two platforms."""
    runs = []
    for name in ("a", "b"):
        out = tmp_path_factory.mktemp(f"selection-{name}")
        proc = run_cli("run", "feature-selection", "--dataset", "advertising", "--adapters", "statsmodels,sklearn",
                       "--method", "best", "--repeats", "3", "--isolation", "inline", "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        runs.append(_only_run(out))
    return runs[0], runs[1]


# ------------------------------------------------------------------------------------------------- CSV


def test_long_csv_round_trips_every_record(hostile_run):
    _manifest, records = load_run(hostile_run)
    frame = pd.read_csv(io.StringIO(records_to_csv(records)))
    assert len(frame) == len(records) == 3
    assert list(frame.columns) == COLUMNS
    assert set(frame["run_id"]) == {hostile_run.name}
    assert list(frame["phase"]) == [r["phase"] for r in records]
    # The file name starts with '=': a spreadsheet would run it as a formula, so it comes back with an apostrophe.
    assert set(frame["dataset"]) == {"'=cmd.csv"}
    fit = frame[frame["phase"] == "fit"].iloc[0]
    result = json.loads(fit["result"])  # nested values are JSON text
    assert XSS in result["coefficients"]
    assert fit["wall_s"] == pytest.approx(next(r for r in records if r["phase"] == "fit")["wall_s"])


def test_wide_csv_round_trips_through_pandas(selection_runs):
    _manifest, records = load_run(selection_runs[0])
    text = records_to_wide_csv(records)
    frame = pd.read_csv(io.StringIO(text))
    expected = wide_rows(records)
    assert list(frame.columns) == WIDE_COLUMNS
    assert len(frame) == len(expected) == 2 * (2 + 3)  # per adapter: session, load, pvalues, vif, subset/best
    assert set(frame["run_id"]) == {selection_runs[0].name}
    row = frame[(frame["adapter"] == "statsmodels") & (frame["step"] == "pvalues")].iloc[0]
    assert row["support"] == "native" and row["status"] == "ok" and row["grade"] == "agrees"
    assert bool(row["agrees"]) is True and row["repeats"] == 3
    fits = [r["wall_s"] for r in records if (r["adapter"], r["step"], r["phase"]) == ("statsmodels", "pvalues", "fit")]
    assert row["median_wall_s"] == pytest.approx(statistics.median(fits))
    assert row["iqr_wall_s"] >= 0
    assert row["metric"] == "adj_r_squared" and row["metric_value"] == pytest.approx(0.8956373316204668, rel=1e-9)
    subset = frame[(frame["adapter"] == "sklearn") & (frame["step"] == "subset")].iloc[0]
    assert subset["variant"] == "best" and subset["metric_value"] == 1.0
    session = frame[(frame["adapter"] == "sklearn") & (frame["step"] == "session")].iloc[0]
    assert session["phase"] == "session" and session["median_wall_s"] > 0 and pd.isna(session["support"])
    for got, want in zip(frame.to_dict("records"), expected, strict=True):
        for key in ("adapter", "step", "status"):
            assert got[key] == want[key]
        for key in ("median_wall_s", "peak_rss_mb"):
            assert (pd.isna(got[key]) and want[key] is None) or got[key] == pytest.approx(want[key])


def test_wide_csv_neutralises_formulas(hostile_run):
    _manifest, records = load_run(hostile_run)
    frame = pd.read_csv(io.StringIO(records_to_wide_csv(records)))
    assert set(frame["dataset"]) == {"'=cmd.csv"}


# ------------------------------------------------------------------------------------------------- HTML


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.starts: list[str] = []
        self.text: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.starts.append(tag)
        self.attributes += [v for _, v in attrs if v]

    def handle_data(self, data):
        self.text.append(data)


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", page, flags=re.S)


def test_html_escapes_data_everywhere(hostile_run):
    manifest, records = load_run(hostile_run)
    page = render_html(manifest, records)
    assert XSS_ESCAPED in page
    assert "<script>alert(1)" not in page and "alert(1)</script>" not in page
    parsed = _Tags()
    parsed.feed(page)
    assert parsed.starts.count("script") == 1  # the template's sorter, nothing else
    assert any(XSS in chunk for chunk in parsed.text)  # shown to the reader as text
    assert "=cmd.csv" in page and "<table" in page and "<svg" in page


def test_html_is_self_contained_with_tables_and_plots(selection_runs):
    manifest, records = load_run(selection_runs[0])
    page = render_html(manifest, records)
    for section in ('id="run"', 'id="data"', 'id="side-by-side"', 'id="pvalues"', 'id="vif"', 'id="subsets"',
                    'id="phases"'):
        assert section in page
    for text in ("OLS coefficients", "Backward elimination", "Variance inflation factors", "exact best subset",
                 "Feature-selection agreement", "seconds per phase", "statsmodels", "sklearn", "agrees", "native",
                 "emulated", manifest["environment"]["cpu_model"], manifest["environment"]["libraries"]["numpy"],
                 "ISLR", selection_runs[0].name):
        assert text in page, text
    assert page.count("<table") >= 7
    svgs = _svgs(page)
    assert len(svgs) >= 2
    for markup in svgs:
        ET.fromstring(markup)  # every chart is well-formed XML
    # Offline: nothing is loaded from anywhere (the SVG namespace is an identifier, not a request).
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page.replace("&#x27;", "'")


def _record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = dict(
        run_id="r", scenario="s", dataset="d", dataset_sha256="0" * 64, n_rows=100, n_cols=5, seed=1, adapter="a",
        adapter_version="1", platform_version="1.0", step=None, variant=None, params={}, support="native",
        phase="fit", repeat=0, is_warmup=False, status="ok", wall_s=1.0, cpu_s=1.0, peak_rss_mb=100.0)
    base.update(fields)
    return ResultRecord(**base).to_json()


def _train_records(adapters=("fast", "<b>slow</b>")) -> list[dict]:
    records = []
    for i, adapter in enumerate(adapters):
        records.append(_record(adapter=adapter, phase="session", wall_s=2.0 + i))
        for n_rows in (1000, 10_000):
            dataset = f"synthetic-classification:n={n_rows}"
            records.append(_record(adapter=adapter, phase="load", dataset=dataset, n_rows=n_rows, wall_s=0.1))
            for model, auc in (("logistic", 0.80), ("gbm", 0.86 - 0.01 * i)):
                params = {"task": "classification", "model": model}
                common = dict(adapter=adapter, step="train", variant=model, dataset=dataset, n_rows=n_rows,
                              params=params)
                for repeat in range(2):
                    fit_s = (0.01 if model == "logistic" else 0.5) * (1 + i) * n_rows / 1000 * (1 + 0.1 * repeat)
                    records.append(_record(**common, phase="fit", repeat=repeat, wall_s=fit_s,
                                           result={"model": model, "task": "classification"}))
                    records.append(_record(**common, phase="predict", repeat=repeat, wall_s=0.01,
                                           result={"model": model, "metrics": {"auc": auc + n_rows / 1e6}},
                                           deviation={"agrees": True, "grade": "valid predictions"}))
    return records


def test_html_training_plots_from_records():
    page = render_html({}, _train_records())
    assert "Fit time against training rows (classification), log-log" in page
    assert "AUC against fit time (classification, 10,000 training rows)" in page and "Pareto front" in page
    assert "&lt;b&gt;slow&lt;/b&gt;" in page and "<b>slow" not in page
    assert 'id="deploy"' not in page  # no deploy records: that section and its chart are skipped
    svgs = _svgs(page)
    assert len(svgs) == 4  # fit vs rows, Pareto, the cost curve (two sizes ran), phases
    assert "Cost curve (classification)" in page and "extrapolated, not measured" in page
    for markup in svgs:
        ET.fromstring(markup)
    assert "AUC" in page and "10,000 rows" in page


def test_html_deploy_subscores_and_failures():
    subscores = {"portability": 60.0, "fidelity": 100.0, "reproducibility": 100.0, "latency": 54.0,
                 "throughput": 90.0, "cold_start": 70.0, "footprint": 95.0, "security": 0.0}
    common = dict(step="deploy", variant="gbm", dataset="synthetic-classification:n=2000", n_rows=2000)
    records = [
        _record(adapter="good", phase="reload", **common,
                result={"model": "gbm", "score": 71.5, "subscores": subscores, "best_format": "joblib",
                        "floor": 0.0, "floor_subscore": "security",
                        "formats": {"joblib": {"ok": True, "p99_ms": 1.5, "parity_max_abs": 0.0, "score": 71.5}}}),
        _record(adapter="broken", phase="export", status="error", wall_s=None, **common,
                error='ValueError: <img src=x onerror="alert(1)">'),
    ]
    page = render_html({}, records)
    assert 'id="deploy"' in page and "Deployability sub-scores" in page and "71.5" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page and "<img" not in page
    heat = [s for s in _svgs(page) if "Deployability sub-scores" in s]
    assert len(heat) == 1 and "cold start" in heat[0]
    # Without sub-scores (every export failed) the table stays and the chart is skipped.
    page = render_html({}, records[1:])
    assert 'id="deploy"' in page and "Deployability sub-scores" not in page


def _repeated_run() -> list[dict]:
    """Two adapters, each with session and load, three statistics cells and two train cells. Every cell has a
    warm-up and a failed repeat far slower than its ok repeats; train cells also have predict phases, slower still:
    only the median of the ok fit repeats is right."""
    records = []
    for i, adapter in enumerate(("alpha", "beta")):
        records.append(_record(adapter=adapter, phase="session", wall_s=2.0 + i))
        records.append(_record(adapter=adapter, phase="load", wall_s=0.25 + i))
        for step, variant in (("pvalues", None), ("vif", None), ("subset", "best")):
            common = dict(adapter=adapter, step=step, variant=variant, params={"how": "its own OLS"},
                          deviation={"agrees": True, "grade": "agrees", "min_digits": 12.5})
            records.append(_record(**common, is_warmup=True, wall_s=50.0))
            for repeat, wall_s in enumerate((1.0, 1.5, 1.25)):
                records.append(_record(**common, repeat=repeat, wall_s=wall_s + i))
            records.append(_record(adapter=adapter, step=step, variant=variant, repeat=3, status="error", wall_s=30.0,
                                   error="boom"))
        for model in ("logistic", "gbm"):
            common = dict(adapter=adapter, step="train", variant=model,
                          params={"task": "classification", "model": model})
            for repeat, fit_s in enumerate((0.2, 0.5, 0.375)):
                records.append(_record(**common, repeat=repeat, wall_s=fit_s * (1 + i),
                                       result={"model": model, "task": "classification"}))
                records.append(_record(**common, phase="predict", repeat=repeat, wall_s=7.0,
                                       result={"model": model, "metrics": {"auc": 0.8}}))
            records.append(_record(**common, repeat=3, status="error", wall_s=40.0, error="boom"))
    return records


def _rich_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Title -> rows ({header: cell text}) of every rich table in a console transcript (no wrapped cells)."""
    lines, tables, title = text.splitlines(), {}, []
    rows: list[dict[str, str]] = []
    head: list[str] = []
    for line in lines:
        if line.startswith("┏"):
            header_lines: list[list[str]] = []
        elif line.startswith("┃"):
            header_lines.append([c.strip() for c in line.strip().strip("┃").split("┃")])
        elif line.startswith("┡"):
            head = [" ".join(p for p in parts if p) for parts in zip(*header_lines, strict=True)]
            rows = []
        elif line.startswith("│"):
            rows.append(dict(zip(head, [c.strip() for c in line.strip().strip("│").split("│")], strict=True)))
        elif line.startswith("└"):
            tables[" ".join(title)] = rows
            title = []
        else:
            title.append(line.strip())
    return tables


class _HtmlTables(HTMLParser):
    """Caption -> rows ({header: cell text}) of the body of every <table> with a header row in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[dict[str, str]]] = {}
        self.caption: list[str] | None = None
        self.last_caption = ""
        self.cell: list[str] | None = None
        self.row: list[str] = []
        self.head: list[str] = []
        self.part = ""

    def handle_starttag(self, tag, attrs):
        if tag == "p" and ("class", "tcap") in attrs:
            self.caption = []
        elif tag == "table":
            self.head = []
        elif tag in ("thead", "tbody", "tfoot"):
            self.part = tag
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "p" and self.caption is not None:
            self.last_caption, self.caption = "".join(self.caption), None
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.part == "thead":
            self.head = self.row
        elif tag == "tr" and self.part == "tbody" and self.head:  # key/value tables have no header row
            self.tables.setdefault(self.last_caption, []).append(dict(zip(self.head, self.row, strict=True)))

    def handle_data(self, data):
        for sink in (self.caption, self.cell):
            if sink is not None:
                sink.append(data)


def _seconds(text: str) -> float | None:
    """A median as shown ("1.25 ±0.25", "—")."""
    shown = text.split("±")[0].strip()
    return None if shown == "—" else float(shown)


def _table(tables: dict[str, list[dict[str, str]]], start: str) -> list[dict[str, str]]:
    # `in`, not startswith: the footnotes printed under a table run into the next table's title lines
    (rows,) = [rows for title, rows in tables.items() if start in title]
    return rows


def test_console_and_html_show_the_same_median_of_every_cell():
    records = _repeated_run()
    buffer = io.StringIO()
    render_run(Console(file=buffer, width=200), {}, records)
    console = _rich_tables(buffer.getvalue())
    parser = _HtmlTables()
    parser.feed(render_html({}, records))
    html = parser.tables

    # The side-by-side tables: statistics cells, and each adapter's session and load (the HTML's start-up table).
    shown_console = {(r["adapter"], r["step"]): _seconds(r["median s"])
                     for r in _table(console, "Platforms side by side")}
    shown_html = {(r["adapter"], r["step"]): _seconds(r["median s"]) for r in _table(html, "Support, status, grade")}
    shown_html |= {(r["adapter"], r["phase"]): _seconds(r["seconds"]) for r in _table(html, "Platform start-up")}
    # Training: fit seconds per adapter x model.
    fit_console = {(r["adapter"], r["model"]): _seconds(r["100 fit s"])
                   for r in _table(console, "Training (classification)")}
    fit_html = {(r["adapter"], r["model"]): _seconds(r["100 fit s"])  # the table is declared once: same header
                for r in _table(html, "Training (classification)")}

    expected = {}  # the median of the ok measured repeats of each cell's primary phase, computed here
    for record in records:
        if record["is_warmup"] or record["status"] != "ok":
            continue
        if record["step"] is None:
            expected.setdefault((record["adapter"], record["phase"]), []).append(record["wall_s"])
        elif record["phase"] == "fit":
            label = record["step"] if record["step"] == "train" else "/".join(
                x for x in (record["step"], record["variant"]) if x)
            key = (record["adapter"], record["variant"] if record["step"] == "train" else label)
            expected.setdefault(key, []).append(record["wall_s"])
    medians = {key: statistics.median(values) for key, values in expected.items()}

    assert set(shown_console) == set(shown_html) and len(shown_console) == 2 * 5
    assert set(fit_console) == set(fit_html) and len(fit_console) == 2 * 2
    for shown_a, shown_b in ((shown_console, shown_html), (fit_console, fit_html)):
        for cell, seconds in shown_a.items():
            assert seconds == shown_b[cell], cell
            assert seconds == pytest.approx(medians[cell], rel=5e-3), cell
    assert shown_console[("alpha", "pvalues")] == 1.25 and shown_console[("beta", "subset/best")] == 2.25


def test_a_column_declared_once_reaches_console_html_and_wide_csv(monkeypatch):
    from mlbench.reports import summary

    column = summary.Column("label", "cell label", "the cell as one string", kind="text")
    monkeypatch.setattr(summary, "CELL_COLUMNS", [*summary.CELL_COLUMNS, column])
    records = _repeated_run()
    buffer = io.StringIO()
    render_run(Console(file=buffer, width=250), {}, records)
    console = _table(_rich_tables(buffer.getvalue()), "Platforms side by side")
    parser = _HtmlTables()
    parser.feed(render_html({}, records))
    html = _table(parser.tables, "Support, status, grade")
    frame = pd.read_csv(io.StringIO(records_to_wide_csv(records)))
    assert {r["cell label"] for r in console} == {"session", "load", "pvalues", "vif", "subset/best"}
    assert {r["cell label"] for r in html} == {"pvalues", "vif", "subset/best"}
    assert list(frame.columns) == [*WIDE_COLUMNS, "label"] and "subset/best" in set(frame["label"])


def test_console_and_html_show_the_same_side_by_side_rows_for_a_deploy_run():
    """One row filter (summary.side_by_side_rows): the deploy run's cells are in the console's side-by-side table
    and in the HTML's alike; each adapter's session and load are the HTML's start-up table."""
    manifest, records = load_run(Path(__file__).parent / "fixtures" / "runs" / "deploy")
    buffer = io.StringIO()
    render_run(Console(file=buffer, width=400), manifest, records, wide=True)
    console = {(r["adapter"], r["step"]) for r in _table(_rich_tables(buffer.getvalue()), "Platforms side by side")}
    parser = _HtmlTables()
    parser.feed(render_html(manifest, records))
    html = {(r["adapter"], r["step"]) for r in _table(parser.tables, "Support, status, grade")}
    startup = {(r["adapter"], r["phase"]) for r in _table(parser.tables, "Platform start-up")}
    deploy = {(a, s) for a, s in console if s.startswith("deploy/")}
    assert deploy and {s for _, s in deploy} == {"deploy/logistic", "deploy/gbm"}
    assert html == console - startup and deploy <= html
    assert {s for _, s in startup} == {"session", "load"}


@pytest.fixture
def fit_seconds_table():
    """docs/architecture.md's recipe for a detail table, in test code: one declaration, drawn by both renderers."""
    from mlbench.reports import summary, table

    @table.detail("fit-seconds", "timing", before="deploy")
    def fit_seconds(run: table.RunView) -> list[table.Layouts]:
        rows = [r for r in summary.cell_rows(run.records, run.manifest) if r["step"] == "pvalues"]
        if not rows:
            return []
        out = table.Table("Fit seconds of the p-values step", [
            table.Column("adapter", key=True),
            table.Column("median s", "right", lambda v: summary.fmt(v, 3)),
            table.Column("status", tone=lambda v: "good" if v == "ok" else "bad")])
        for row in rows:
            out.add(row["adapter"], row["median_wall_s"],
                    table.Cell(row["status"], note="a note for the first platform" if row is rows[0] else None,
                               where=row["adapter"]))
        out.footnotes = ["median over the measured repeats"]
        return [[[out]]]

    yield fit_seconds
    table.forget("fit-seconds")


def test_a_detail_table_declared_in_test_code_reaches_console_and_html(fit_seconds_table):
    manifest, records = load_run(Path(__file__).parent / "fixtures" / "runs" / "pvalues")
    expected = {r["adapter"]: f"{r['median_wall_s']:.3g}" for r in summary_cell_rows(records, manifest)
                if r["step"] == "pvalues"}
    buffer = io.StringIO()
    render_run(Console(file=buffer, width=100), manifest, records)
    text = buffer.getvalue()
    (rows,) = [rows for title, rows in _rich_tables(text).items() if "Fit seconds of the p-values step" in title]
    shown = {r["adapter"]: r["median s"] for r in rows}
    assert shown == expected and len(expected) >= 2
    assert text.index("Fit seconds of the p-values step") < text.index("Platforms side by side")
    assert "[1] " + next(iter(expected)) + ": a note for the first platform" in text
    assert "median over the measured repeats" in text
    parser = _HtmlTables()
    page = render_html(manifest, records)
    parser.feed(page)
    assert {r["adapter"]: r["median s"] for r in _table(parser.tables, "Fit seconds")} == expected
    assert '<section id="timing"><h2>Timing</h2>' in page and "median over the measured repeats" in page
    first = next(iter(expected))
    assert f'<p class="note"><sup>1</sup> {first}: a note for the first platform</p>' in page  # numbered as in
    assert re.search(r"ok<sup>1</sup></td>", page)  # the terminal, the number beside its cell


def summary_cell_rows(records: list[dict[str, Any]], manifest: dict[str, Any]) -> list[dict[str, Any]]:
    from mlbench.reports import summary

    return summary.cell_rows(records, manifest)


def test_pareto_front_keeps_only_undominated_points():
    points = [Point(1.0, 0.80, "", "", "a"), Point(2.0, 0.85, "", "", "b"), Point(3.0, 0.84, "", "", "c"),
              Point(0.5, 0.70, "", "", "d"), Point(4.0, 0.90, "", "", "e")]
    assert [p.tip for p in pareto_front(points, higher_is_better=True)] == ["d", "a", "b", "e"]
    assert [p.tip for p in pareto_front(points, higher_is_better=False)] == ["d"]


# ------------------------------------------------------------------------------------------------- compare


def test_compare_two_runs_of_the_same_scenario(selection_runs):
    manifest_a, records_a = load_run(selection_runs[0])
    manifest_b, records_b = load_run(selection_runs[1])
    comparison = compare_runs(manifest_a, records_a, manifest_b, records_b)
    json.dumps(comparison, allow_nan=False)  # plain JSON for --json output
    assert comparison["a"]["run_id"] == selection_runs[0].name and comparison["b"]["run_id"] == selection_runs[1].name
    cells = comparison["cells"]
    assert len(cells) == 2 * (2 + 3) and not comparison["only_in_a"] and not comparison["only_in_b"]
    for cell in cells:
        assert cell["ratio"] is not None and cell["ratio"] > 0
        assert cell["ratio"] == pytest.approx(cell["median_b"] / cell["median_a"])
    fits = [c for c in cells if c["phase"] == "fit"]
    assert fits and all(c["n_a"] == c["n_b"] == 3 for c in fits)
    assert all(c["p_value"] is not None and c["flag"] in ("no", "slower", "faster") for c in fits)
    assert all(c["flag"] == "n/a" and c["p_value"] is None for c in cells if c["phase"] in ("session", "load"))
    assert comparison["grade_changes"] == [] and comparison["status_changes"] == []
    assert comparison["environment"] == [] and comparison["settings"] == []

    buffer = io.StringIO()
    render_compare(Console(file=buffer, width=200), comparison)
    text = buffer.getvalue()
    assert "Grade changes: none" in text and "Environment differences: none" in text and "B/A" in text


def test_compare_flags_an_environment_difference(selection_runs, tmp_path):
    manifest_a, records_a = load_run(selection_runs[0])
    edited = tmp_path / selection_runs[1].name
    edited.mkdir()
    (edited / "records.jsonl").write_text((selection_runs[1] / "records.jsonl").read_text())
    manifest = json.loads((selection_runs[1] / "run.json").read_text())
    manifest["environment"]["libraries"]["numpy"] = "0.0.1-edited"
    (edited / "run.json").write_text(json.dumps(manifest))
    manifest_b, records_b = load_run(edited)
    comparison = compare_runs(manifest_a, records_a, manifest_b, records_b)
    assert comparison["environment"] == [{"key": "libraries.numpy",
                                          "a": manifest_a["environment"]["libraries"]["numpy"],
                                          "b": "0.0.1-edited"}]
    buffer = io.StringIO()
    render_compare(Console(file=buffer, width=200), comparison)
    assert "libraries.numpy" in buffer.getvalue() and "0.0.1-edited" in buffer.getvalue()


def test_compare_flags_significant_slowdowns_grades_and_too_few_repeats():
    def run(times: list[float], agrees: bool) -> list[dict]:
        deviation = {"agrees": agrees, "grade": "agrees" if agrees else "differs: p_value rel. err 1e-02"}
        return [_record(step="pvalues", repeat=i, wall_s=t, deviation=deviation) for i, t in enumerate(times)]

    a = run([1.0, 1.1, 1.05, 0.95, 1.02], True)
    b = run([2.0, 2.1, 2.05, 1.95, 2.02], False)
    comparison = compare_runs({}, a, {}, b)
    (cell,) = comparison["cells"]
    assert cell["flag"] == "slower" and cell["significant"] is True and cell["p_value"] < 0.05
    assert cell["ratio"] == pytest.approx(2.02 / 1.02)
    assert comparison["grade_changes"][0]["agrees_a"] is True and comparison["grade_changes"][0]["agrees_b"] is False
    (cell,) = compare_runs({}, b, {}, a)["cells"]
    assert cell["flag"] == "faster"
    (cell,) = compare_runs({}, a[:2], {}, b[:2])["cells"]
    assert cell["flag"] == "n/a" and cell["p_value"] is None and cell["ratio"] is not None
