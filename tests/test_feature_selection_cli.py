"""`mlbench run feature-selection` and `selection-synthetic` end to end, through the real CLI."""

from __future__ import annotations

import json

from mlbench.reports.summary import fmt
from mlbench.results import reference_answers
from tests.conftest import run_cli


def _fits(stdout: str) -> list[dict]:
    return [r for r in json.loads(stdout) if r["phase"] == "fit"]


def test_feature_selection_on_hitters_both_adapters(tmp_path):
    proc = run_cli("run", "feature-selection", "--dataset", "hitters", "--adapters", "statsmodels,sklearn", "--json",
                   "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    fits = _fits(proc.stdout)
    cells = {(r["adapter"], r["step"], r["variant"]): r for r in fits}
    assert len(cells) == 2 * 5
    for (adapter, step, variant), record in cells.items():
        assert record["status"] == "ok", (adapter, step, variant, record["error"])
        assert record["deviation"]["agrees"], (adapter, step, variant, record["deviation"]["grade"])
    for adapter in ("statsmodels", "sklearn"):  # branch and bound over the platform's fits: 19 sizes, not 524287
        best = cells[(adapter, "subset", "best")]
        assert best["deviation"]["sizes_agree"] == best["deviation"]["sizes_total"] == 19
        assert best["result"]["fits"] < 5000
    assert cells[("sklearn", "subset", "forward")]["support"] == "native"
    assert cells[("statsmodels", "subset", "forward")]["support"] == "emulated"
    assert "in-sample" in cells[("sklearn", "subset", "forward")]["params"]["how"]
    (run_dir,) = tmp_path.iterdir()
    manifest = json.loads((run_dir / "run.json").read_text())
    assert reference_answers(manifest)["subset/best"]["chosen"] == {"adj_r_squared": 11, "cp": 10, "bic": 6}

    table = run_cli("report", str(run_dir))
    assert table.returncode == 0
    for needle in ("Variance inflation factors", "Subset selection", "Hits, CRBI", "19/19"):
        assert needle in table.stdout
    fits = str(cells[("statsmodels", "subset", "best")]["result"]["fits"])
    assert any("statsmodels" in line and "best" in line and f"{int(fits):,}" in line
               for line in table.stdout.splitlines())  # the fit count is in the table


def test_best_subset_with_budget_raised(tmp_path):
    proc = run_cli("run", "feature-selection", "--dataset", "advertising", "--method", "best", "--json",
                   "--adapters", "statsmodels", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    (best,) = [r for r in _fits(proc.stdout) if r["step"] == "subset"]
    assert best["status"] == "ok" and best["result"]["fits"] == 7 and best["deviation"]["agrees"]


def test_selection_synthetic_reports_precision_and_recall(tmp_path):
    proc = run_cli("run", "selection-synthetic", "--json", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    subset_records = [r for r in _fits(proc.stdout) if r["step"] == "subset"]
    assert len(subset_records) == 6
    for record in subset_records:
        truth = record["deviation"]["truth"]
        # BIC on n=300 with strong signals recovers the 4 true features
        assert truth["bic"]["recall"] == 1.0, truth
        assert 0 < truth["adj_r_squared"]["precision"] <= 1
        assert all("cv_mse" in v for v in record["result"]["by_size"].values())
    # the 5-fold CV MSE each cell computed is shown, per size and platform x method, in the terminal and in HTML
    (run_dir,) = tmp_path.iterdir()
    table = run_cli("report", str(run_dir), "--width", "200")
    assert table.returncode == 0, table.stderr
    shown = table.stdout.split("Cross-validated MSE per subset size (5-fold)", 1)[1].split("└", 1)[0]
    html = run_cli("report", str(run_dir), "--format", "html").stdout
    html_table = html.split("Cross-validated MSE per subset size", 1)[1].split("</table>", 1)[0]
    for record in subset_records:
        assert record["adapter"] in shown and record["variant"] in shown
        for size, answer in record["result"]["by_size"].items():
            line = next(line for line in shown.splitlines() if line.startswith(f"│ {size:>4} │"))
            assert fmt(answer["cv_mse"], 4) in line, (size, line)
            assert fmt(answer["cv_mse"], 4) in html_table


def test_an_emulated_search_stops_at_its_time_budget(tmp_path):
    scenario = tmp_path / "slow.yaml"
    scenario.write_text("name: slow\ndataset: hitters\nsteps:\n  - step: subset\n    methods: [best]\n"
                        "    max_seconds: 0.2\n")
    proc = run_cli("run", str(scenario), "--adapters", "statsmodels", "--json", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    (record,) = _fits(proc.stdout)
    assert record["status"] == "skipped"
    assert "stopped after" in record["error"] and "0.2 s" in record["error"]
