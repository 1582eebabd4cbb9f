"""The cost curve: growth exponents and extrapolations checked against closed forms, and the table it renders."""

from __future__ import annotations

import pytest

from mlbench.reports import summary
from tests.conftest import run_cli


def _records(time_of, memory_of, base: float = 300.0) -> list[dict]:
    """A ladder whose fit seconds and peak MB follow the given laws exactly."""
    out = [{"adapter": "p", "phase": "session", "status": "ok", "peak_rss_mb": base, "step": None,
            "is_warmup": False, "dataset": "x"}]
    for n in (10_000, 100_000, 1_000_000):
        common = {"adapter": "p", "step": "train", "variant": "gbm", "n_rows": n, "dataset": f"synthetic:n={n}",
                  "is_warmup": False, "repeat": 0, "params": {"task": "classification"}}
        out.append({**common, "phase": "fit", "status": "ok", "wall_s": time_of(n), "peak_rss_mb": memory_of(n)})
        out.append({**common, "phase": "predict", "status": "ok", "wall_s": 0.1, "peak_rss_mb": memory_of(n),
                    "result": {"task": "classification", "metrics": {"auc": 0.9}}})
    return out


def test_exponents_and_extrapolation_follow_the_laws_exactly():
    records = _records(lambda n: 2e-6 * n ** 1.5, lambda n: 300.0 + 0.004 * n ** 0.9)
    (row,) = summary.growth(records, budget=24 * 1024)
    assert row["time_exponent"] == pytest.approx(1.5, rel=1e-12)
    assert row["memory_exponent"] == pytest.approx(0.9, rel=1e-12)
    ten_million = row["extrapolated"][10_000_000]
    assert ten_million["fit_s"] == pytest.approx(2e-6 * 1e7 ** 1.5, rel=1e-9)
    assert ten_million["peak_mb"] == pytest.approx(300.0 + 0.004 * 1e7 ** 0.9, rel=1e-9)
    # the rows at which 300 + 0.004 n^0.9 reaches 24 GiB
    assert row["rows_at_budget"] == pytest.approx(((24 * 1024 - 300.0) / 0.004) ** (1 / 0.9), rel=1e-9)


def test_no_growth_is_not_extrapolated():
    records = _records(lambda n: 1.0, lambda n: 250.0)  # flat time; memory never above the session's
    (row,) = summary.growth(records, budget=1024)
    assert row["time_exponent"] == pytest.approx(0.0, abs=1e-12)
    assert row["memory_exponent"] is None and row["rows_at_budget"] is None
    assert all(e["fit_s"] is None and e["peak_mb"] is None for e in row["extrapolated"].values())


def test_memory_that_barely_grows_puts_the_budget_out_of_reach_not_out_of_floats():
    # what the data adds above the session's 300 MB grows as (n / 1e4)^1e-4: 24 GiB is reached at
    # 1e4 * 24276^1e4 rows, past any float; it was an OverflowError that stopped `mlbench report`
    records = _records(lambda n: 1e-4 * n, lambda n: 300.0 + (n / 1e4) ** 1e-4)
    (row,) = summary.growth(records, budget=24 * 1024)
    assert row["memory_exponent"] == pytest.approx(1e-4, rel=1e-6)
    assert row["rows_at_budget"] == pytest.approx(summary.ROWS_CAP)


def test_the_ladder_fixture_renders_its_cost_curve_with_a_budget(tmp_path):
    proc = run_cli("report", "tests/fixtures/runs/train", "--width", "100", "--budget-memory", "24G")
    assert proc.returncode == 0, proc.stderr
    assert "Scaling (classification)" in proc.stdout and "24 GB" in proc.stdout and "extrapolated" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 100
    html = tmp_path / "r.html"
    assert run_cli("report", "tests/fixtures/runs/train", "--format", "html", "-o", str(html)).returncode == 0
    assert "Cost curve (classification)" in html.read_text() and "extrapolated" in html.read_text()
    bad = run_cli("report", "tests/fixtures/runs/train", "--budget-memory", "lots")
    assert bad.returncode == 2 and "not a memory size" in bad.stderr
