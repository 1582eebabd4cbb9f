"""The inference batch sweep in deploy: 1, 100 and 10,000 rows per call timed in the scorer's fresh process, its
long-format rows, the terminal table, the HTML table and chart."""

from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from mlbench.deploy import evaluate, sweep
from mlbench.platforms.sklearn import SklearnAdapter
from mlbench.reports.console import render_run
from mlbench.reports.html import render_html
from mlbench.reports.pivots_batches import batch_rows
from mlbench.steps.models import DeployStep
from tests.test_deploy import _trained
from tests.test_reports import _HtmlTables, _record, _rich_tables, _svgs, _table


@pytest.fixture(scope="module")
def onnx_scored(tmp_path_factory) -> dict:
    """A small scikit-learn logistic model exported to ONNX, scored by the real scorer process (1,000 test rows:
    the 10,000-row calls repeat them)."""
    tmp = tmp_path_factory.mktemp("onnx_sweep")
    artifacts, prediction, _ = _trained(SklearnAdapter, tmp, "classification", "logistic")
    np.save(tmp / "X.npy", np.asarray(pd.read_parquet(tmp / "test.parquet").drop(columns="y"), dtype=float))
    raw = evaluate.score_artifact(artifacts["onnx"], tmp / "X.npy", prediction, "classification", 200, 20, tmp)
    assert raw["ok"], raw
    return raw


def test_the_sweep_times_three_batch_sizes_of_an_onnx_artifact(onnx_scored):
    batches = onnx_scored["batches"]
    assert [b["rows"] for b in batches] == [1, 100, 10_000]
    one, hundred, large = batches
    # one row per call is the latency calls already timed, not a second loop
    assert one["calls"] == onnx_scored["calls"] == 200 and one["p50_ms"] == onnx_scored["p50_ms"]
    assert hundred["calls"] == 200 or hundred["capped"]
    assert large["calls"] == 50 or (large["capped"] and large["calls"] >= sweep.MIN_CALLS)
    for b in batches:
        assert 0 < b["p25_ms"] <= b["p50_ms"] <= b["p75_ms"] <= b["p99_ms"], b
        # rows/s recomputed from the recorded per-call times: rows / median seconds, inside the p25-p75 spread
        recomputed = b["rows"] / (b["p50_ms"] / 1e3)
        assert b["rows_s"] == pytest.approx(recomputed, rel=1e-12)
        assert b["rows"] / (b["p75_ms"] / 1e3) <= b["rows_s"] <= b["rows"] / (b["p25_ms"] / 1e3)
        assert b["seconds"] >= 0.7 * b["calls"] * b["p25_ms"] / 1e3  # the calls' sum: 3/4 of them take >= p25
    # a logistic model in onnxruntime: a call's fixed cost dominates one row, so 10,000 rows per call score far
    # more rows per second than one, though each such call takes longer
    assert large["p50_ms"] > one["p50_ms"] and large["rows_s"] > 20 * one["rows_s"]


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_a_known_cost_per_call_and_per_row_gives_its_closed_form_rows_per_second():
    """predict costs a + b·rows seconds (busy-waited: never less); the median per call is that, the rows/s
    rows / (a + b·rows), up to the machine's preemptions, which the median absorbs."""
    a, b = 1e-3, 2e-7
    seen: list[tuple[int, float]] = []

    def predict(X: np.ndarray) -> np.ndarray:
        seen.append((len(X), float(X[0, 0])))
        _busy(a + b * len(X))
        return np.zeros(len(X))

    X = np.arange(30.0)[:, None].repeat(2, axis=1)  # 30 rows, row i = (i, i)
    rows = sweep.sweep(predict, X, single_row_samples=[], batch_rows=[1, 20, 2000], cap_s=30.0)
    assert [r["rows"] for r in rows] == [1, 20, 2000] and not any(r["capped"] for r in rows)
    assert [r["calls"] for r in rows] == [200, 200, 50]
    for r in rows:
        expected_s = a + b * r["rows"]
        assert expected_s * 1e3 <= r["p50_ms"] <= expected_s * 1e3 * 1.5 + 0.5, r
        assert r["rows"] / expected_s / 1.5 - 1 <= r["rows_s"] <= r["rows"] / expected_s, r
    # consecutive test rows per call, moving on; a batch larger than the test set repeats it
    twenty = [first for n, first in seen if n == 20]
    assert twenty[:3] == [0.0, 9.0, 7.0]  # starts 0, 20 % 11, 40 % 11: the 11 windows of 20 in 30 rows
    assert all(n in (1, 20, 2000) for n, _ in seen) and sum(n == 2000 for n, _ in seen) == 50 + sweep.WARMUP_CALLS


def test_the_time_cap_stops_a_slow_size_after_a_few_calls():
    rows = sweep.sweep(lambda X: _busy(0.05), np.ones((10, 2)), single_row_samples=[0.001] * 5,
                       batch_rows=[1, 100], cap_s=0.3)
    assert rows[0]["calls"] == 5 and not rows[0]["capped"]  # the latency samples, reused
    assert rows[1]["capped"] and sweep.MIN_CALLS <= rows[1]["calls"] <= 6
    assert rows[1]["p50_ms"] >= 50.0 and rows[1]["rows_s"] <= 100 / 0.05


def test_the_step_takes_the_sizes_and_cap_from_its_spec():
    spec = DeployStep(step="deploy", batch_rows=[10_000, 1, 100, 100], batch_seconds=2)
    assert spec.batch_rows == [1, 100, 10_000] and spec.batch_seconds == 2
    with pytest.raises(ValueError, match="batch_rows"):
        DeployStep(step="deploy", batch_rows=[0])


def _deploy_records(raw: dict) -> list[dict]:
    common = dict(step="deploy", variant="logistic", dataset="synthetic-classification:n=2000", n_rows=2000,
                  params={"batch_seconds": 5.0, "model": "logistic"})
    slow = {**raw, "batches": [{**b, "rows_s": b["rows_s"] / 10, "capped": b["rows"] == 10_000}
                               for b in raw["batches"]]}
    return [_record(adapter="sklearn", phase="reload", **common,
                    result={"model": "logistic", "best_format": "onnx", "formats": {"onnx": raw, "joblib": slow}})]


def test_the_table_shows_rows_per_second_and_latency_per_size_in_terminal_and_html(onnx_scored):
    records = _deploy_records(onnx_scored)
    pivot = batch_rows(records)
    assert [(p["format"], p["rows"]) for p in pivot] == [(f, n) for f in ("onnx", "joblib") for n in (1, 100, 10_000)]
    buffer = io.StringIO()
    render_run(Console(file=buffer, width=220), {}, records)
    text = buffer.getvalue()
    table = _table(_rich_tables(text), "Inference by batch size")
    onnx = next(r for r in table if r["format"] == "onnx")
    one, hundred, large = onnx_scored["batches"]
    from mlbench.reports.details.models import rows_text
    from mlbench.reports.summary import fmt

    assert onnx["10,000 rows rows/s"] == rows_text(large["rows_s"])
    assert onnx["1 row p50 ms"] == fmt(one["p50_ms"], 3) and onnx["100 rows p99 ms"] == fmt(hundred["p99_ms"], 3)
    joblib = next(r for r in table if r["format"] == "joblib")
    assert joblib["10,000 rows rows/s"].endswith("[1]")  # the capped size's footnote
    assert "[1] " in text and "stopped at the time cap" in text
    note = " ".join(text.split())
    assert f"1 row: 200; 100 rows: {hundred['calls']}" in note and "10,000 rows: " in note and "5 s" in note
    page = render_html({}, records)
    parser = _HtmlTables()
    parser.feed(page)
    html = {r["format"]: r for r in _table(parser.tables, "Inference by batch size")}
    assert html["onnx"]["10,000 rows rows/s"] == onnx["10,000 rows rows/s"]
    assert html["onnx"]["1 row p50 ms"] == onnx["1 row p50 ms"]
    (chart,) = [s for s in _svgs(page) if "Rows/s by batch size" in s]
    ET.fromstring(chart)
    assert "rows per call (log)" in chart and "sklearn · onnx" in chart and "(logistic)" in chart
    assert chart.count("<polyline") == 2 and f"{large['rows_s']:.3g} rows/s" in chart
