"""The scorecard, built from stored fixture runs of each scenario: every cell is checked against the records of
the run it cites, recomputed here from the raw records (not through mlbench's pivots)."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

from mlbench.results import load_run
from tests.conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "runs"
SCENARIOS = ("pvalues", "accuracy", "train", "deploy", "feature-selection")


@pytest.fixture(scope="module")
def card() -> dict:
    proc = run_cli("scorecard", *(str(FIXTURES / s) for s in SCENARIOS), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def runs() -> dict[str, list[dict]]:
    out = {}
    for scenario in SCENARIOS:
        manifest, records = load_run(FIXTURES / scenario)
        out[manifest["run_id"]] = [r for r in records if not r.get("is_warmup")]
    return out


def _cells(card: dict, key: str) -> dict[str, dict]:
    return {row["adapter"]: row["cells"][key] for row in card["rows"] if row["cells"][key] is not None}


def test_every_cell_cites_one_of_the_runs(card, runs):
    assert set(card["runs"]) == set(runs)
    for row in card["rows"]:
        for key, cell in row["cells"].items():
            if cell is not None:
                assert cell["source"]["run_id"] in runs and cell["source"]["cell"], (row["adapter"], key)


def test_session_version_and_support_are_the_cited_records(card, runs):
    for adapter, cell in _cells(card, "session_s").items():
        walls = [r["wall_s"] for r in runs[cell["source"]["run_id"]] if r["adapter"] == adapter
                 and r["phase"] == "session" and r["status"] == "ok"]
        assert cell["value"] in walls
    for adapter, cell in _cells(card, "version").items():
        assert any(r["platform_version"] == cell["value"] for r in runs[cell["source"]["run_id"]]
                   if r["adapter"] == adapter)
    for adapter, cell in _cells(card, "support").items():
        fits = {(r["step"] if r["step"] != "subset" else f"subset:{r['variant']}"): r["support"]
                for r in runs[cell["source"]["run_id"]] if r["adapter"] == adapter and r["phase"] == "fit"
                and r["step"] in ("pvalues", "vif", "subset")}
        assert {k: {"N": "native", "E": "emulated", "-": "unsupported"}[v] for k, v in cell["value"].items()} == fits


def test_digits_are_the_worst_and_median_over_the_accuracy_suite(card, runs):
    worst, middle = _cells(card, "digits_worst"), _cells(card, "digits_median")
    assert set(worst) == {"statsmodels", "sklearn", "r"}
    for adapter, cell in worst.items():
        digits = [r["deviation"]["min_digits"] for r in runs[cell["source"]["run_id"]] if r["adapter"] == adapter
                  and r["phase"] == "fit" and r["status"] == "ok" and r["step"] == "pvalues"]
        assert cell["value"] == min(digits) and middle[adapter]["value"] == statistics.median(digits)


def test_speed_is_the_geometric_mean_of_ratios_to_the_fastest(card, runs):
    for adapter, cell in _cells(card, "speed").items():
        records = runs[cell["source"]["run_id"]]
        times: dict[tuple, dict[str, float]] = {}
        for r in records:
            if r["step"] == "train" and r["phase"] == "fit" and r["status"] == "ok":
                key = (r["params"]["task"], r["variant"], r["n_rows"])
                times.setdefault(key, {})[r["adapter"]] = r["wall_s"]  # one repeat per cell in the fixture
        ratios = [t[adapter] / min(t.values()) for t in times.values() if adapter in t and len(t) > 1]
        assert cell["value"] == pytest.approx(math.exp(statistics.fmean(map(math.log, ratios))), rel=1e-12)
    assert card["best"]["speed"] == [min(_cells(card, "speed").items(), key=lambda kv: kv[1]["value"])[0]]


def test_memory_breadth_and_deploy_figures(card, runs):
    for adapter, cell in _cells(card, "peak_mb").items():
        train = [r for r in runs[cell["source"]["run_id"]] if r["adapter"] == adapter and r["step"] == "train"]
        largest = max(r["n_rows"] for r in train)
        assert cell["value"] == max(r["peak_rss_mb"] for r in train if r["n_rows"] == largest
                                    and r.get("peak_rss_mb") is not None)
    for adapter, cell in _cells(card, "breadth").items():
        fits = [r for r in runs[cell["source"]["run_id"]] if r["adapter"] == adapter and r["step"] == "train"
                and r["phase"] == "fit"]
        native = {r["variant"] for r in fits if r["support"] == "native" and r["status"] == "ok"}
        assert cell["value"] == len(native) and cell["text"] == f"{len(native)}/{len({r['variant'] for r in fits})}"
    for adapter, cell in _cells(card, "deploy_score").items():
        reloads = [r["result"] for r in runs[cell["source"]["run_id"]] if r["adapter"] == adapter
                   and r["phase"] == "reload" and r.get("result")]
        best = max(reloads, key=lambda result: result["score"])
        assert cell["value"] == best["score"] and cell["text"].endswith(best["best_format"])
        fmt = best["formats"][best["best_format"]]
        assert _cells(card, "cold_start_s")[adapter]["value"] == fmt["cold_start_s"]
        assert _cells(card, "p99_ms")[adapter]["value"] == fmt["p99_ms"]


def test_weights_rank_with_every_subscore_shown_and_bad_weights_fail():
    paths = [str(FIXTURES / s) for s in SCENARIOS]
    ranked = json.loads(run_cli("scorecard", *paths, "--format", "json", "--weight", "speed=2,accuracy=3").stdout)
    assert ranked["weights"]["speed"] == 2 and ranked["weights"]["accuracy"] == 3
    totals = [row["total"] for row in ranked["rows"]]
    assert totals == sorted(totals, reverse=True)
    for row in ranked["rows"]:
        assert all(0 <= v <= 100 for v in row["subscores"].values())
    bad = run_cli("scorecard", *paths, "--weight", "beauty=5")
    assert bad.returncode == 2 and "unknown scorecard weight" in bad.stderr


def test_table_fits_100_columns_and_html_and_csv_render(tmp_path):
    paths = [str(FIXTURES / s) for s in SCENARIOS]
    table = run_cli("scorecard", *paths, "--width", "100")
    assert table.returncode == 0 and "Scorecard" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 100
    assert "…" not in table.stdout
    html = run_cli("scorecard", *paths, "--format", "html").stdout
    assert "Choose your platform" in html and "run 20261129T" in html
    csv_text = run_cli("scorecard", *paths, "--format", "csv").stdout
    assert csv_text.startswith("adapter,criterion,group,value") and "digits_worst" in csv_text


def test_a_criterion_no_run_measured_names_its_scenario():
    proc = run_cli("scorecard", str(FIXTURES / "pvalues"), "--format", "json")
    card = json.loads(proc.stdout)
    assert card["not_measured"]["digits_worst"] == "not measured: run `mlbench run accuracy`"
    assert card["not_measured"]["deploy_score"] == "not measured: run `mlbench run deploy`"
