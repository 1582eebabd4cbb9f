"""The real `mlbench` command, run in a subprocess as a user runs it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_rel, run_cli, run_json


def _no_traceback(proc) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout


def test_run_pvalues_json_is_one_record_per_adapter_and_phase(tmp_path, r_advertising):
    records = run_json("run", "pvalues", "--dataset", "advertising", "--adapters", "statsmodels,sklearn", "--json",
                       "--out", str(tmp_path))  # stdout is the JSON list and nothing else
    keys = sorted((r["adapter"], r["phase"]) for r in records)
    assert keys == sorted((a, p) for a in ("statsmodels", "sklearn") for p in ("session", "load", "fit"))
    for record in records:
        assert record["status"] == "ok"
        assert record["dataset_sha256"] == "69104adc017e75d7019f61fe66ca2eb4ab014ee6f2a9b39b452943f209352010"
        assert record["wall_s"] >= 0 and record["peak_rss_mb"] > 0
    fits = [r for r in records if r["phase"] == "fit"]
    for record in fits:
        assert record["deviation"]["agrees"] is True
        assert record["deviation"]["min_digits"] >= 12
        newspaper = record["result"]["coefficients"]["Newspaper"]
        assert_rel(newspaper["p_value"], r_advertising["full_model"]["coefficients"]["Newspaper"]["p_value"])
        assert record["result"]["dropped"] == ["Newspaper"]
    assert {r["support"] for r in fits} == {"native", "emulated"}


def test_run_is_stored_with_provenance(tmp_path):
    proc = run_cli("run", "pvalues", "--dataset", "advertising", "--adapters", "statsmodels", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "Newspaper" in proc.stdout and "agrees" in proc.stdout
    (run_dir,) = tmp_path.iterdir()
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "complete"
    env = manifest["environment"]
    for key in ("python", "libraries", "java", "cpu_model", "cores", "memory_gb", "os", "command_line"):
        assert key in env
    assert env["libraries"]["statsmodels"]
    assert manifest["dataset"]["sha256"].startswith("69104adc")
    assert manifest["seed"] == 42
    lines = (run_dir / "records.jsonl").read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(line)["run_id"] == run_dir.name for line in lines)

    for fmt in ("json", "csv", "table"):
        report = run_cli("report", str(run_dir), "--format", fmt)
        assert report.returncode == 0, report.stderr
    assert len(json.loads(run_cli("report", str(run_dir), "--format", "json").stdout)) == 3


def test_user_csv_with_target(tmp_path):
    data = tmp_path / "mine.csv"
    data.write_text("a,b,y\n" + "\n".join(f"{i},{(i * 7) % 5},{2 * i + (i % 3)}" for i in range(30)) + "\n")
    records = run_json("run", "pvalues", "--data", str(data), "--target", "y", "--adapters", "statsmodels", "--json",
                       "--out", str(tmp_path / "r"))
    assert {r["dataset"] for r in records} == {"mine.csv"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "pvalues", "--data", "/no/such/file.csv", "--target", "y"], "not found"),
        (["run", "pvalues", "--dataset", "advertising", "--target", "Nope"], "'Nope'"),
        (["run", "pvalues", "--dataset", "advertising", "--adapters", "sklaern"], "did you mean 'sklearn'"),
        (["run", "nosuchscenario"], "unknown scenario"),
        (["run", "pvalues", "--dataset", "nosuch"], "unknown dataset"),
        (["report", "/no/such/run"], "not a run directory"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, needle):
    proc = run_cli(*args, "--out", str(tmp_path)) if args[0] == "run" else run_cli(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    _no_traceback(proc)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], proc.stderr


def test_missing_target_column_in_user_file(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,2\n3,4\n")
    proc = run_cli("run", "pvalues", "--data", str(data), "--target", "y", "--out", str(tmp_path))
    assert proc.returncode == 2 and "target column 'y' is not in the data" in proc.stderr
    _no_traceback(proc)


def test_list_commands():
    adapters = run_cli("list", "adapters")
    assert adapters.returncode == 0 and "statsmodels" in adapters.stdout and "sklearn" in adapters.stdout
    assert "pvalues" in run_cli("list", "scenarios").stdout
    datasets = run_cli("list", "datasets").stdout
    assert all(name in datasets for name in ("advertising", "hitters", "credit", "synthetic-linear"))


def test_listings_name_repeated_steps_apart_and_say_yes_or_no():
    from mlbench.reports.console import availability_text
    from mlbench.steps import parse_spec, spec_labels

    scenarios = run_cli("list", "scenarios", env={"COLUMNS": "300"})
    assert scenarios.returncode == 0, scenarios.stderr
    (train,) = [line for line in scenarios.stdout.splitlines() if line.startswith("│ train ")]
    assert "train, train" not in train and "train (task=classification" in train and "train (task=regression" in train
    twice = [parse_spec({"step": "train"}), parse_spec({"step": "pvalues"}), parse_spec({"step": "train"})]
    assert spec_labels(twice) == ["train ×2", "pvalues"]
    adapters = run_cli("list", "adapters", env={"COLUMNS": "300"})
    assert adapters.returncode == 0, adapters.stderr
    assert "True" not in adapters.stdout and "False" not in adapters.stdout
    (statsmodels,) = [line for line in adapters.stdout.splitlines() if line.startswith("│ statsmodels ")]
    assert "│ yes " in statsmodels
    assert availability_text({"available": False, "reason": "pip install mlbench[tensorflow]"}) == \
        "no: pip install mlbench[tensorflow]"


@pytest.mark.parametrize("json_output", [False, True])
def test_rows_dropped_note_is_said_once(tmp_path, json_output):
    proc = run_cli("run", "pvalues", "--dataset", "hitters", "--adapters", "statsmodels", "--isolation", "inline",
                   "--out", str(tmp_path), *(["--json"] if json_output else []))
    assert proc.returncode == 0, proc.stderr
    said = (proc.stdout + proc.stderr).count("rows dropped for missing values")
    assert said == 1, (proc.stdout, proc.stderr)


@pytest.mark.parametrize(
    ("scenario", "args", "needle"),
    [
        (None, ["--dataset", "advertising", "--target", "sales"],
         "target column 'sales' is not in the data; did you mean 'Sales'?"),
        (None, ["--dataset", "advertising", "--target", "Sails"], "; did you mean 'Sales'?"),
        ("name: t\nadapter: [statsmodels]\nsteps:\n  - step: pvalues\n", [],
         "unknown key 'adapter'; did you mean 'adapters'?"),
        ("name: t\nsteps:\n  - step: subset\n    metods: [best]\n", [],
         "unknown key 'metods'; did you mean 'methods'?"),
        ("name: t\nsteps:\n  - step: pvalue\n", [], "unknown step 'pvalue'; did you mean 'pvalues'?"),
        (None, ["--adapters", "sklaern"], "unknown adapter 'sklaern'; did you mean 'sklearn'?"),
    ],
)
def test_a_near_miss_gets_did_you_mean_in_one_line(tmp_path, scenario, args, needle):
    path = tmp_path / "s.yaml"
    if scenario is not None:
        path.write_text(scenario)
    proc = run_cli("run", str(path) if scenario else "pvalues", *args, "--adapters", "statsmodels",
                   "--out", str(tmp_path)) if "--adapters" not in args else \
        run_cli("run", "pvalues", *args, "--out", str(tmp_path))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    _no_traceback(proc)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], proc.stderr


def test_did_you_mean_has_one_home():
    from mlbench.errors import closest, unknown

    assert closest("sales", ["TV", "Sales"]) == "Sales" and closest("zzz", ["TV", "Sales"]) is None
    assert unknown("step", "vfi", ["pvalues", "vif"]) == "unknown step 'vfi'; did you mean 'vif'? (known: pvalues, vif)"
    assert unknown("step", "zzz", ["pvalues", "vif"]) == "unknown step 'zzz'; known: pvalues, vif"
