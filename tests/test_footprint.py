"""The data footprint: the memory of the loaded data alone (the tree's resident MB when a load ended, above the
tree's after the session started), checked against the bytes of the arrays it holds, and shown in the train
table, the cost curve, the scorecard and the HTML report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlbench.measure import measure, tree_rss_mb
from mlbench.reports import scorecard, summary
from mlbench.reports.html.memory_chart import plot_memory
from tests.conftest import run_cli, run_json

MB = 2**20


def test_a_block_that_keeps_an_array_ends_above_its_start_by_the_array():
    before = tree_rss_mb()
    with measure() as m:
        kept = np.ones(40 * MB // 8)  # 40 MB of doubles, every page touched
    assert kept.nbytes == 40 * MB
    assert 40 * 0.95 <= m.end_rss_mb - before <= 40 + 30
    assert m.peak_rss_mb >= m.end_rss_mb


N, P, TEST_ROWS = 100_000, 20, 1000


@pytest.fixture(scope="module")
def sklearn_run(tmp_path_factory) -> tuple[Path, list[dict]]:
    """One train run of sklearn on n x p synthetic doubles: the frames it loads are (n + test) x (p + 1) float64."""
    tmp = tmp_path_factory.mktemp("footprint")
    scenario = tmp / "fp.yaml"
    scenario.write_text(
        "name: fp\ndescription: data footprint\nadapters: [sklearn]\n"
        f'sizes: ["{N}"]\ntest_rows: {TEST_ROWS}\n'
        f"steps:\n  - step: train\n    task: regression\n    models: [linear]\n    features: {P}\n"
        "repeats: 1\nwarmup: 0\nseed: 3\n")
    records = run_json("run", str(scenario), "--json", "--out", str(tmp / "runs"))
    return tmp / "runs" / records[0]["run_id"], records


def test_the_load_records_the_data_it_holds_above_the_session(sklearn_run):
    _, records = sklearn_run
    (load,) = [r for r in records if r["phase"] == "load"]
    (session,) = [r for r in records if r["phase"] == "session"]
    held = (N + TEST_ROWS) * (P + 1) * 8 / MB  # the two float64 frames sklearn keeps: 16.2 MB
    # at least the frames' own bytes; not absurdly more: the reader's first use (pyarrow's module and threads,
    # about 25 MB here) is in it, nothing else
    assert held <= load["data_mb"] <= 2 * held + 40, load["data_mb"]
    # the baseline is the tree after the session started: at least the session's own memory, below the load's end
    assert session["peak_rss_mb"] * 0.9 <= load["base_rss_mb"] <= load["peak_rss_mb"]
    fits = [r for r in records if r["phase"] == "fit"]
    assert fits and all(r.get("data_mb") is None for r in fits)  # a footprint is a load's figure only
    (point,) = summary.train_points(records)
    assert point["data_mb"] == load["data_mb"] and point["base_mb"] == load["base_rss_mb"]


def test_the_footprint_is_in_the_train_table_and_the_html_report(sklearn_run):
    run_dir, records = sklearn_run
    (load,) = [r for r in records if r["phase"] == "load"]
    shown = f"{load['data_mb']:.3g}"
    proc = run_cli("report", str(run_dir), "--width", "160")
    assert proc.returncode == 0, proc.stderr
    assert "data MB" in proc.stdout and shown in proc.stdout
    html = run_dir / "r.html"
    assert run_cli("report", str(run_dir), "--format", "html", "-o", str(html)).returncode == 0
    page = html.read_text()
    assert "data MB" in page and f">{shown}<" in page
    assert "Data footprint and training peak (regression)" in page  # the memory chart, one size: one point


def _ladder() -> list[dict]:
    """Two platforms at three sizes whose loads hold exactly 0.002·n MB (p) and 50 + 0.001·n MB (q)."""
    out = []
    for adapter, data_of, peak_of in (("p", lambda n: 0.002 * n, lambda n: 400 + 0.004 * n),
                                      ("q", lambda n: 50 + 0.001 * n, lambda n: 300 + 0.003 * n)):
        out.append({"adapter": adapter, "phase": "session", "status": "ok", "peak_rss_mb": 200.0, "step": None,
                    "is_warmup": False, "dataset": "x"})
        for n in (10_000, 100_000, 1_000_000):
            dataset = f"synthetic:n={n}"
            out.append({"adapter": adapter, "phase": "load", "status": "ok", "step": None, "dataset": dataset,
                        "n_rows": n, "is_warmup": False, "peak_rss_mb": 200 + data_of(n),
                        "base_rss_mb": 200.0, "data_mb": data_of(n)})
            common = {"adapter": adapter, "step": "train", "variant": "gbm", "n_rows": n, "dataset": dataset,
                      "is_warmup": False, "repeat": 0, "params": {"task": "regression"}}
            out.append({**common, "phase": "fit", "status": "ok", "wall_s": 1e-4 * n, "peak_rss_mb": peak_of(n)})
            out.append({**common, "phase": "predict", "status": "ok", "wall_s": 0.1, "peak_rss_mb": peak_of(n),
                        "result": {"task": "regression", "metrics": {"rmse": 1.0}}})
    return out


def test_the_cost_curve_fits_and_extrapolates_the_footprint():
    rows = {r["adapter"]: r for r in summary.growth(_ladder())}
    assert rows["p"]["data_exponent"] == pytest.approx(1.0, rel=1e-12)
    assert rows["p"]["extrapolated"][10_000_000]["data_mb"] == pytest.approx(0.002 * 1e7, rel=1e-9)
    # 50 + 0.001 n is no power law: its exponent, fitted on the logs, is below 1 and above 0.5
    assert 0.5 < rows["q"]["data_exponent"] < 1.0


def test_the_scorecard_takes_the_footprint_at_the_largest_size():
    assert "data_mb" in scorecard.CRITERIA_BY_KEY
    card = scorecard.build([({"run_id": "r1"}, _ladder())])
    cells = {row["adapter"]: row["cells"]["data_mb"] for row in card["rows"]}
    assert cells["p"]["value"] == pytest.approx(2000.0) and cells["q"]["value"] == pytest.approx(1050.0)
    assert "@1,000,000" in cells["q"]["text"]


def test_the_memory_chart_draws_data_and_training_peak_per_platform():
    (chart,) = plot_memory(_ladder())
    assert "Data footprint and training peak (regression)" in chart
    for label in ("p · data", "p · training peak", "q · data (extrapolated)"):
        assert label in chart
    # the training peak is drawn above the same baseline: 400 + 0.004·1e6 - 200 = 4200 MB at a million rows
    assert "training peak 4.2e+03 MB" in chart


def test_a_run_stored_before_the_footprint_reports_without_it():
    records = [{k: v for k, v in r.items() if k not in ("data_mb", "base_rss_mb")} for r in _ladder()]
    assert all(p["data_mb"] is None for p in summary.train_points(records))
    assert plot_memory(records) == []
    rows = summary.growth(records)
    assert rows and all(r["data_exponent"] is None for r in rows)
    assert all(e["data_mb"] is None for r in rows for e in r["extrapolated"].values())
