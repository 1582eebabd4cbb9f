"""Bad input, each case: one clear line on stderr and exit 2 (or, where one platform alone is affected, a
per-cell error) - never a traceback. Collinear designs are answered like R: aliased terms, not a crash."""

from __future__ import annotations

import json
import os
import shutil
import socket

import pytest

from tests.conftest import expect_usage_error, run_cli, run_json


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _rows(n: int, header: str = "a,b,y") -> str:
    return header + "\n" + "\n".join(f"{i},{(i * 7) % 11},{3 * i + (i % 5)}" for i in range(n)) + "\n"


CASES = {
    "empty file": ("", "y", "empty"),
    "header only": ("a,b,y\n", "y", "no rows"),
    "missing target": (_rows(20), "price", "target column 'price' is not in the data"),
    "non-numeric target": ("a,y\n1,x\n2,y\n3,z\n", "y", "not numeric"),
    "all-NaN column": ("a,b,y\n1,,2\n2,,3\n3,,5\n4,,4\n", "y", "column 'b' has no values"),
    "inf values": ("a,b,y\n1,inf,2\n2,1,3\n3,2,5\n4,3,4\n5,3,1\n", "y", "infinite values in column(s): b"),
    "duplicate column names": ("a,a,y\n1,2,3\n2,3,4\n3,1,2\n", "y", "duplicate column names"),
    "n <= p + 1": ("a,b,c,y\n1,2,3,4\n2,3,1,5\n3,1,2,6\n", "y",
                   "pvalues needs more rows than coefficients (n > p + 1): 3 complete rows for 3 features"),
    "one row": ("a,y\n1,2\n", "y", "needs more rows than coefficients (n > p + 1)"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_data_is_a_one_line_usage_error(tmp_path, case):
    text, target, needle = CASES[case]
    path = _write(tmp_path, "data.csv", text)
    proc = run_cli("run", "pvalues", "--data", str(path), "--target", target, "--adapters", "statsmodels",
                   "--out", str(tmp_path / "runs"))
    expect_usage_error(proc, needle)


def test_missing_and_unreadable_files(tmp_path):
    expect_usage_error(run_cli("run", "pvalues", "--data", str(tmp_path / "nope.csv"), "--target", "y"),
                        "data file not found")
    expect_usage_error(run_cli("run", "pvalues", "--data", str(tmp_path), "--target", "y"), "not a file")
    binary = tmp_path / "garbage.parquet"
    binary.write_bytes(os.urandom(200))
    expect_usage_error(run_cli("run", "pvalues", "--data", str(binary), "--target", "y"), "cannot read as a table")


@pytest.mark.parametrize("extra", ["constant", "collinear"])
def test_constant_and_collinear_columns_are_aliased_by_the_truth_and_graded(tmp_path, extra):
    """statsmodels (pinv) and scikit-learn (lstsq) answer with minimum-norm estimates for every column: that is
    their answer, kept visible and graded against the truth, which aliases c (exact dependence)."""
    lines = ["a,b,c,y"]
    for i in range(30):
        a, b = i, (i * 7) % 11
        c = 5 if extra == "constant" else a + 2 * b
        lines.append(f"{a},{b},{c},{3 * a - b + (i % 4)}")
    path = _write(tmp_path, "d.csv", "\n".join(lines) + "\n")
    records = run_json("run", "pvalues", "--data", str(path), "--target", "y", "--adapters", "statsmodels,sklearn",
                       "--json", "--out", str(tmp_path / "runs"))
    for record in (r for r in records if r["phase"] == "fit"):
        assert record["result"]["aliased"] == [] and "c" in record["result"]["coefficients"], record["adapter"]
        assert record["deviation"]["agrees"] is False
        assert "c is exactly collinear (aliased) but was estimated" in record["deviation"]["grade"]
        assert record["deviation"]["min_digits"] >= 10  # the identifiable quantities are right
    manifest = json.loads((tmp_path / "runs" / records[0]["run_id"] / "run.json").read_text())
    truth = next(iter(manifest["truth"].values()))["answers"]["pvalues"]
    assert truth["aliased"] == ["c"] and "c" not in truth["coefficients"]


def test_unicode_and_hostile_column_names(tmp_path):
    header = 'Größe,"a b","=cmd()","<script>alert(1)</script>",y'
    rows = [f"{i},{(i * 3) % 7},{(i * 5) % 9},{(i * 2) % 5},{2 * i + (i % 3)}" for i in range(40)]
    path = _write(tmp_path, "hostile.csv", header + "\n" + "\n".join(rows) + "\n")
    proc = run_cli("run", "pvalues", "--data", str(path), "--target", "y", "--adapters", "statsmodels,sklearn",
                   "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    assert "Größe" in proc.stdout and "<script>alert(1)</script>" in proc.stdout  # shown literally, not as markup


def test_malformed_yaml_and_unknown_keys(tmp_path):
    broken = _write(tmp_path, "broken.yaml", "name: x\nsteps: [\n")
    expect_usage_error(run_cli("run", str(broken)), "malformed YAML")
    unknown = _write(tmp_path, "unknown.yaml", "name: x\nsteps: [{step: pvalues, alfa: 0.1}]\n")
    expect_usage_error(run_cli("run", str(unknown)), "unknown key 'alfa'")


@pytest.mark.parametrize(("args", "needle"), [
    (["run", "pvalues", "--adapters", "nosuch"], "unknown adapter 'nosuch'"),
    (["run", "nosuchscenario"], "unknown scenario"),
    (["run", "pvalues", "--dataset", "nosuchdata"], "unknown dataset"),
    (["run", "pvalues", "--isolation", "thread"], "--isolation"),
    (["run", "pvalues", "--weight", "speed"], "--weight takes name=number"),
])
def test_unknown_names(args, needle):
    expect_usage_error(run_cli(*args), needle)


def test_java_missing_makes_jvm_platforms_unsupported(tmp_path):
    java = shutil.which("java")
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                           if not java or not os.path.exists(os.path.join(p, "java")))
    env = {"PATH": path, "JAVA_HOME": "/nonexistent"}
    listing = run_cli("list", "adapters", env=env)
    assert listing.returncode == 0 and "no working Java" in listing.stdout
    records = run_json("run", "pvalues", "--adapters", "statsmodels,h2o,spark", "--json", "--out", str(tmp_path),
                       env=env)
    fits = {r["adapter"]: r for r in records if r["phase"] == "fit"}
    assert fits["statsmodels"]["status"] == "ok"
    for jvm in ("h2o", "spark"):
        assert fits[jvm]["status"] == "unsupported" and "Java" in fits[jvm]["error"]


def test_serve_a_missing_artifact_says_no_such_file(tmp_path):
    proc = run_cli("serve", "nothere.onnx", cwd=tmp_path)
    expect_usage_error(proc, "no such file: nothere.onnx")
    assert "meta.json" not in proc.stderr


def test_serve_port_in_use(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        meta = tmp_path / "m.onnx"
        meta.write_bytes(b"x")
        (tmp_path / "m.onnx.meta.json").write_text(json.dumps(
            {"kind": "onnx", "path": str(meta), "task": "regression", "features": ["a"]}))
        expect_usage_error(run_cli("serve", str(meta), "--port", str(port)), f"port {port}")


@pytest.mark.parametrize("adapter, option, address, timeout", [
    pytest.param("h2o", "--h2o-url", "http://127.0.0.1:9", 120, marks=pytest.mark.h2o),
    pytest.param("spark", "--spark-master", "spark://127.0.0.1:9", 180, marks=pytest.mark.spark),
])
def test_an_unreachable_cluster_fails_the_session_fast(tmp_path, adapter, option, address, timeout):
    proc = run_cli("run", "pvalues", "--adapters", adapter, option, address, "--json", "--out", str(tmp_path),
                   timeout=timeout)
    assert proc.returncode == 1
    session = next(r for r in json.loads(proc.stdout) if r["phase"] == "session")
    assert session["status"] == "error" and session["wall_s"] < 60


def test_rows_dropped_for_missing_values_are_said_on_stderr_and_in_the_json_run(tmp_path):
    rows = "a,b,y\n" + "".join(f"{i},{(i * 7) % 5},{i * 0.5 + (i % 3)}\n" for i in range(1, 30)) + "3,,4\n"
    path = tmp_path / "gaps.csv"
    path.write_text(rows)
    proc = run_cli("run", "pvalues", "--data", str(path), "--target", "y", "--adapters", "statsmodels", "--json",
                   "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    assert "note: gaps.csv: 1 of 30 rows dropped for missing values" in proc.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    dataset = json.loads((run_dir / "run.json").read_text())["dataset"]
    assert dataset["n_dropped"] == 1 and dataset["n_input_rows"] == 30


def _wide(tmp_path, n: int, p: int):
    import numpy as np

    rng = np.random.default_rng(7)
    header = ",".join([*(f"x{j}" for j in range(p)), "y"])
    rows = [",".join(f"{v:.6f}" for v in rng.normal(size=p + 1)) for _ in range(n)]
    return _write(tmp_path, f"wide{n}.csv", header + "\n" + "\n".join(rows) + "\n")


def test_n_at_most_p_plus_one_skips_only_the_steps_that_need_it(tmp_path):
    """11 rows, 10 features: no residual df for p-values (skipped, its condition in one note), but VIF (each
    auxiliary regression has 10 coefficients on 11 rows) and subsets are answered, as R answers them."""
    proc = run_cli("run", "feature-selection", "--data", str(_wide(tmp_path, 11, 10)), "--target", "y",
                   "--adapters", "statsmodels", "--method", "forward", "--json", "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    notes = [line for line in proc.stderr.splitlines() if line.startswith("note:")]
    assert notes == ["note: wide11.csv: skipped: pvalues needs more rows than coefficients (n > p + 1): 11 complete "
                     "rows for 10 features plus an intercept leave no residual degrees of freedom for standard "
                     "errors"], proc.stderr
    fits = {r["step"]: r for r in json.loads(proc.stdout) if r["phase"] == "fit"}
    assert fits["pvalues"]["status"] == "skipped" and "n > p + 1" in fits["pvalues"]["error"]
    assert fits["vif"]["status"] == "ok" and fits["vif"]["deviation"]["agrees"]
    assert fits["subset"]["status"] == "ok" and fits["subset"]["deviation"]["agrees"]
    saturated = fits["subset"]["result"]["by_size"]["10"]  # 11 coefficients on 11 rows: no criterion defined
    assert saturated["adj_r_squared"] == "NaN" and saturated["bic"] == "NaN"


def test_n_at_most_p_refuses_vif_too_and_every_step_refused_is_one_line(tmp_path):
    data = _wide(tmp_path, 10, 10)
    proc = run_cli("run", "feature-selection", "--data", str(data), "--target", "y", "--adapters", "statsmodels",
                   "--method", "forward", "--json", "--out", str(tmp_path / "runs"))
    fits = {r["step"]: r for r in json.loads(proc.stdout) if r["phase"] == "fit"}
    assert fits["vif"]["status"] == "skipped"
    assert fits["vif"]["error"].startswith("vif needs more rows than features (n > p): with 10 complete rows")
    assert fits["subset"]["status"] == "ok"  # sizes stop at the rank (9), as leaps' nvmax
    expect_usage_error(run_cli("run", "pvalues", "--data", str(data), "--target", "y", "--adapters",
                                "statsmodels", "--out", str(tmp_path / "runs")),
                        "pvalues needs more rows than coefficients (n > p + 1): 10 complete rows for 10 features")


def test_dropped_rows_are_counted_in_every_record_and_on_stderr(tmp_path):
    lines = ["a,b,y"] + [f"{i},{'' if i % 10 == 0 else (i * 7) % 11},{3 * i + i % 4}" for i in range(40)]
    proc = run_cli("run", "pvalues", "--data", str(_write(tmp_path, "gaps.csv", "\n".join(lines) + "\n")),
                   "--target", "y", "--adapters", "statsmodels", "--json", "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    assert "note: gaps.csv: 4 of 40 rows dropped for missing values" in proc.stderr.splitlines()
    records = json.loads(proc.stdout)
    assert records and all(r["rows_dropped"] == 4 and r["n_rows"] == 36 for r in records)
    manifest = json.loads((tmp_path / "runs" / records[0]["run_id"] / "run.json").read_text())
    assert manifest["datasets"][0]["n_dropped"] == 4


def test_a_feature_named_like_the_intercept_is_a_clear_error(tmp_path):
    path = _write(tmp_path, "d.csv", _rows(20, "Intercept,b,y"))
    expect_usage_error(run_cli("run", "pvalues", "--data", str(path), "--target", "y", "--adapters", "statsmodels",
                                "--out", str(tmp_path / "runs")), "a feature column is named 'Intercept'")


def test_java_options_from_the_environment_do_not_hide_the_java_version(monkeypatch):
    """The JVM first prints 'Picked up JAVA_TOOL_OPTIONS: ...' when that variable is set: a working Java 17 with
    options was reported as 'unsupported Java (Picked up ...)'."""
    import shutil

    from mlbench import environment

    if shutil.which("java") is None:
        pytest.skip("no Java here")
    monkeypatch.setenv("JAVA_TOOL_OPTIONS", "-Xss2m")
    environment.java_version.cache_clear()
    try:
        assert environment.java_problem() is None, environment.java_version()
        assert "Picked up" not in (environment.java_version() or "")
    finally:
        environment.java_version.cache_clear()
