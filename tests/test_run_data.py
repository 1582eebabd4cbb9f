"""Typed run data (mlbench/run_data.py): run.json as a `Manifest`, records.jsonl as `Records`, read and written
by results.py; `mlbench compare` and the HTML settings line take their settings from it and say the pass line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mlbench import results
from mlbench.reports.html import render_html
from mlbench.run_data import SETTING_KEYS, Manifest, Records
from tests.conftest import run_cli

RUNS = Path(__file__).parent / "fixtures" / "runs"


def _copy_with_digits(tmp_path: Path, digits: float) -> Path:
    copy = tmp_path / "compare-b"
    shutil.copytree(RUNS / "compare-b", copy)
    manifest = json.loads((copy / "run.json").read_text())
    manifest["digits"] = digits
    (copy / "run.json").write_text(json.dumps(manifest, indent=2))
    return copy


def test_compare_of_two_runs_graded_at_different_digits_says_so(tmp_path):
    edited = _copy_with_digits(tmp_path, 8.0)
    shown = run_cli("compare", str(RUNS / "compare-a"), str(edited), "--width", "160")
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "graded at different pass lines (--digits): A 6, B 8 correct digits" in text
    assert "Setting differences" in text and "digits" in text
    as_json = run_cli("compare", str(RUNS / "compare-a"), str(edited), "--json")
    comparison = json.loads(as_json.stdout)
    assert comparison["pass_line"] == {"a": 6.0, "b": 8.0, "differs": True}
    assert {"key": "digits", "a": 6.0, "b": 8.0} in comparison["settings"]


def test_compare_of_two_runs_at_the_same_pass_line_is_silent_about_it():
    shown = run_cli("compare", str(RUNS / "compare-a"), str(RUNS / "compare-b"), "--width", "160")
    assert shown.returncode == 0, shown.stderr
    assert "pass line" not in shown.stdout
    comparison = json.loads(run_cli("compare", str(RUNS / "compare-a"), str(RUNS / "compare-b"), "--json").stdout)
    assert comparison["pass_line"]["differs"] is False
    assert "tolerance" not in {row["key"] for row in comparison["settings"]}


def test_the_html_settings_line_shows_the_pass_line(tmp_path):
    manifest, records = results.load_run(_copy_with_digits(tmp_path, 7.5))
    html = render_html(manifest, records)
    line = next(part for part in html.split("<tr>") if ">settings<" in part)
    assert "pass line 7.5 correct digits" in line and "tolerance" not in line


def test_a_manifest_reads_and_writes_run_json_without_loss(tmp_path):
    stored = json.loads((RUNS / "compare-a" / "run.json").read_text())
    stored["a_newer_writers_key"] = {"kept": True}
    manifest = Manifest.from_json(stored)
    assert manifest.pass_line == 6.0 and manifest.scenario_name == stored["scenario"]["name"]
    assert manifest.extra == {"a_newer_writers_key": {"kept": True}}
    written = manifest.to_json()
    assert {k: v for k, v in written.items() if k in stored} == stored
    assert set(written) - set(stored) <= {"retries", "budget_memory_mb"}  # layout fields an older writer lacked
    assert list(manifest.settings()) == [k for k in SETTING_KEYS if stored.get(k) is not None]

    run_dir = tmp_path / "run"
    store = results.RunStore(run_dir)
    store.write_manifest(manifest)
    store.close()
    assert json.loads((run_dir / "run.json").read_text())["a_newer_writers_key"] == {"kept": True}
    typed, records = results.load_typed(run_dir)
    assert typed.digits == 6.0 and typed.run_id == stored["run_id"] and len(records) == 0


def test_records_answer_the_queries_reports_need():
    manifest, records = results.load_typed(RUNS / "compare-a")
    assert isinstance(records, Records) and len(records) > 0
    cells = records.cells()
    assert cells and all(step for _, step, _, _ in cells) and len(cells) == len(set(cells))
    latest = records.latest_ok("pvalues")
    assert latest and all(r["status"] == "ok" and r["step"] == "pvalues" for r in latest.values())
    cell = next(c for c in cells if c[1] == "pvalues")
    times = records.measured_repeats(cell)
    assert len(times) == manifest.repeats and all(t > 0 for t in times)
    assert records.pass_line(manifest) == 6.0
    assert Records([{"deviation": {"pass_digits": 7}}]).pass_line() == 7.0
