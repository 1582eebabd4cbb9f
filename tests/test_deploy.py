"""Deployability: export, fresh-process reload, parity, the transparent score, serving, bad artifacts."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from mlbench.adapter import SessionOptions, TrainSpec
from mlbench.deploy import evaluate, failures, score
from mlbench.deploy.loaders import Artifact, load
from mlbench.errors import MlbenchError
from mlbench.platforms.sklearn import SklearnAdapter
from mlbench.platforms.statsmodels import StatsmodelsAdapter
from mlbench.platforms.xgboost import XGBoostAdapter
from tests.conftest import run_cli
from tests.test_train import task_source


def _trained(cls, tmp_path, task: str, family: str):
    source, _ = task_source(tmp_path, task)
    adapter = cls()
    adapter.start_session(SessionOptions(run_dir=tmp_path))
    adapter.load(source)
    model = adapter.fit(TrainSpec(family, task, trees=20, max_depth=4))
    prediction = adapter.predict(model)
    exported = adapter.export(model, tmp_path)
    return {a.kind: a for a in exported["artifacts"]}, prediction, exported


@pytest.mark.parametrize(("task", "family"), [("regression", "linear"), ("classification", "logistic")])
def test_onnx_linear_parity_within_1e_6(tmp_path, task, family):
    artifacts, prediction, _ = _trained(SklearnAdapter, tmp_path, task, family)
    X = np.asarray(__import__("pandas").read_parquet(tmp_path / "test.parquet").drop(columns="y"), dtype=float)
    onnx_pred = load(Artifact.read_meta(__import__("pathlib").Path(artifacts["onnx"].path)), trusted=False)(X)
    assert np.max(np.abs(onnx_pred - prediction)) <= 1e-6


def test_fresh_process_scoring_reports_every_figure(tmp_path):
    artifacts, prediction, _ = _trained(SklearnAdapter, tmp_path, "classification", "random_forest")
    test_x = tmp_path / "X.npy"
    np.save(test_x, np.asarray(__import__("pandas").read_parquet(tmp_path / "test.parquet").drop(columns="y")))
    raw = evaluate.score_artifact(artifacts["onnx"], test_x, prediction, "classification", 200, 20, tmp_path,
                                  batch_rows=())  # the batch sweep: tests/test_batch_sweep.py
    assert raw["ok"], raw
    assert "batches" not in raw
    for key in ("cold_start_s", "load_s", "p50_ms", "p99_ms", "throughput_rows_s", "parity_max_abs",
                "scorer_peak_rss_mb", "size_bytes"):
        assert raw[key] is not None and raw[key] >= 0, key
    assert raw["calls"] == 200 and raw["parity_max_abs"] <= 1e-5 and raw["label_agreement"] > 0.99
    assert (raw["needs_jvm"], raw["needs_training_library"], raw["runs_code_on_load"]) == (False, False, False)


def test_hist_gradient_boosting_onnx_reloads_with_parity(tmp_path):
    """skl2onnx 1.20 wrote HistGradientBoosting leaves' missing-value flag as a bool, which protobuf >= 7.34
    refuses in an ONNX int attribute; the adapter's conversion now passes ints and the export reloads."""
    artifacts, prediction, exported = _trained(SklearnAdapter, tmp_path, "classification", "gbm")
    assert "onnx" in artifacts, exported["unavailable"]
    assert exported["unavailable"] == {} and exported["tracebacks"] == {}
    test_x = tmp_path / "X.npy"
    np.save(test_x, np.asarray(__import__("pandas").read_parquet(tmp_path / "test.parquet").drop(columns="y")))
    raw = evaluate.score_artifact(artifacts["onnx"], test_x, prediction, "classification", 20, 5, tmp_path,
                                  batch_rows=())
    assert raw["ok"], raw
    assert raw["parity_max_abs"] <= 1e-5 and raw["label_agreement"] > 0.99


def _unbuildable_node_error() -> ValueError:
    """What skl2onnx raised for HistGradientBoostingClassifier: the node's attributes pretty-printed, arrays
    and all, chained from onnx's refusal."""
    attributes = {"base_values": np.array([0.12014432], dtype=np.float32), "class_ids": [0] * 40,
                  "nodes_values": np.linspace(-1, 1, 75, dtype=np.float32)}
    try:
        try:
            raise TypeError("Field onnx.AttributeProto.ints: Expected an int, got a boolean.")
        except TypeError as cause:
            raise ValueError(f"Unable to create node 'TreeEnsembleClassifier' with name='TreeEnsembleClassifier' "
                             f"and attributes={__import__('pprint').pformat(attributes)}.") from cause
    except ValueError as exc:
        return exc


def _is_one_sentence(text: str) -> bool:
    return (text.endswith((".", "…")) and "\n" not in text and len(text) <= 300
            and not any(raw in text for raw in ("array(", "dtype=", "[0,", "{'", "attributes=")))


def test_a_deploy_failure_is_one_whole_sentence():
    from sklearn.ensemble import HistGradientBoostingClassifier

    sentence = failures.explain("onnx", "skl2onnx", _unbuildable_node_error(), HistGradientBoostingClassifier())
    assert sentence == ("ONNX export failed: skl2onnx could not convert HistGradientBoostingClassifier (it could "
                        "not build the ONNX node TreeEnsembleClassifier; onnx refused an attribute: TypeError: "
                        "Field onnx.AttributeProto.ints: Expected an int, got a boolean).")
    # an exception no rule knows: its type and first line, cut before the repr at a word boundary
    generic = failures.explain("onnx", "skl2onnx", RuntimeError(str(_unbuildable_node_error())))
    assert generic == ("ONNX export failed (skl2onnx): RuntimeError: Unable to create node 'TreeEnsembleClassifier' "
                       "with name='TreeEnsembleClassifier' and…")
    message = "the converter gave up " * 20
    long = failures.explain("tflite", None, RuntimeError(message))
    kept = long.removeprefix("tflite export failed: RuntimeError: ").removesuffix("…")
    assert long.endswith("…") and len(long) < 160 and message.startswith(kept + " ")  # cut between words
    for text in (sentence, generic, long, failures.explain("onnx", None, KeyError("x"))):
        assert _is_one_sentence(text), text


def test_a_failed_export_is_a_sentence_in_the_record_and_a_traceback_in_errors_log(tmp_path):
    unavailable: dict[str, str] = {}
    tracebacks: dict[str, str] = {}
    failures.record(unavailable, tracebacks, "onnx", "skl2onnx", _unbuildable_node_error(), object())
    assert _is_one_sentence(unavailable["onnx"])
    log = tmp_path / "errors.log"
    failures.log_tracebacks(log, "sklearn deploy/gbm export", tracebacks)
    text = log.read_text()
    assert text.startswith("--- sklearn deploy/gbm export onnx\nTraceback")
    assert "Expected an int, got a boolean" in text and "'class_ids': [0," in text  # the whole story is kept
    failures.log_tracebacks(tmp_path / "none.log", "x", {})
    assert not (tmp_path / "none.log").exists()


def test_the_stored_deploy_run_footnotes_its_failures_in_sentences():
    """tests/fixtures/runs/deploy was run again after the fix: scikit-learn's gbm exports to ONNX, and the
    footnote of xgboost's gblinear ONNX says why in words (it was `onnxmltools: KeyError: 'gbtree_model_param'`,
    and scikit-learn's was a repr cut mid-array)."""
    from pathlib import Path

    run = Path(__file__).parent / "fixtures" / "runs" / "deploy"
    proc = run_cli("report", str(run), "--width", "100")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(line.strip() for line in proc.stdout.splitlines())
    assert "xgboost logistic onnx: ONNX export failed: onnxmltools converts tree boosters only; this model uses " \
           "gblinear" in text
    assert not any(raw in text for raw in ("KeyError", "class_ids", "array(", "Unable to create node"))
    records = [json.loads(line) for line in (run / "records.jsonl").read_text().splitlines()]
    (gbm,) = [r for r in records if (r["adapter"], r["variant"], r["phase"]) == ("sklearn", "gbm", "reload")]
    assert gbm["result"]["formats"]["onnx"]["ok"] and gbm["result"]["formats"]["onnx"]["parity_max_abs"] <= 1e-5
    for record in records:
        for raw in ((record.get("result") or {}).get("formats") or {}).values():
            assert raw.get("ok") or _is_one_sentence(raw["error"]), raw["error"]


def test_xgboost_gblinear_onnx_failure_says_why_and_gbtree_converts(tmp_path):
    artifacts, _, exported = _trained(XGBoostAdapter, tmp_path, "classification", "logistic")
    assert "onnx" not in artifacts and {"xgboost-json", "xgboost-ubj"} <= set(artifacts)
    assert exported["unavailable"]["onnx"] == (
        "ONNX export failed: onnxmltools converts tree boosters only; this model uses gblinear (xgboost's linear "
        "booster), which it cannot convert.")
    assert "KeyError: 'gbtree_model_param'" in exported["tracebacks"]["onnx"]
    (tmp_path / "gbm").mkdir()
    gbm, _, gbm_exported = _trained(XGBoostAdapter, tmp_path / "gbm", "classification", "gbm")
    assert "onnx" in gbm and gbm_exported["unavailable"] == {}


def test_corrupted_artifacts_give_a_clear_error(tmp_path):
    artifacts, _, _ = _trained(SklearnAdapter, tmp_path, "classification", "logistic")
    for kind in ("onnx", "joblib"):
        path = __import__("pathlib").Path(artifacts[kind].path)
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 3])
        with pytest.raises(MlbenchError, match=f"cannot load {kind} artifact"):
            load(artifacts[kind], trusted=True)


def test_pickles_are_refused_unless_trusted(tmp_path):
    artifacts, _, exported = _trained(StatsmodelsAdapter, tmp_path, "classification", "logistic")
    with pytest.raises(MlbenchError, match="--trust"):
        load(artifacts["statsmodels-pickle"], trusted=False)
    assert "onnx" in exported["unavailable"]


def test_total_is_recomputable_from_subscores_and_weights():
    config = score.load_config({"latency": 30})
    raw = {"parity_max_abs": 1e-10, "p99_ms": 2.0, "throughput_rows_s": 5e4, "cold_start_s": 1.5, "footprint_mb": 80}
    subs = score.subscores("onnx", raw, 0.0, config)
    total = score.total(subs, config)
    weights = total["weights"]
    assert weights["latency"] == 30 and config["overridden"] == {"latency": {"from": 15, "to": 30}}
    recomputed = sum(weights[k] * subs[k] for k in subs) / sum(weights.values())
    assert total["score"] == pytest.approx(recomputed, abs=0.01)
    assert total["floor"] == min(subs.values())
    assert score.log_scale(10.0, best=1.0, worst=100.0) == 50.0  # log-scale midpoint, closed form
    with pytest.raises(MlbenchError):
        score.load_config({"speed": 1})


SMALL_DEPLOY = """
name: deploy-small
adapters: [sklearn, statsmodels]
sizes: ["2k"]
test_rows: 500
steps:
  - step: deploy
    models: [logistic, random_forest]
    trees: 20
    max_depth: 4
    latency_calls: 100
    warmup_calls: 10
    http: true
    batch_rows: [1, 1000]
    batch_seconds: 1
"""


def test_cli_deploy_table_with_weight_override(tmp_path):
    scenario = tmp_path / "deploy-small.yaml"
    scenario.write_text(SMALL_DEPLOY)
    proc = run_cli("run", str(scenario), "--weight", "latency=30", "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    assert "Deployability score" in proc.stdout and "latency 15→30" in proc.stdout
    (run_dir,) = (tmp_path / "runs").iterdir()
    records = [json.loads(line) for line in (run_dir / "records.jsonl").read_text().splitlines()]
    reloads = {(r["adapter"], r["variant"]): r for r in records if r["phase"] == "reload"}
    assert set(reloads) == {("sklearn", "logistic"), ("sklearn", "random_forest"), ("statsmodels", "logistic")}
    for record in reloads.values():
        result = record["result"]
        assert result["reproducibility"]["max_abs_diff"] is not None
        best = result["formats"][result["best_format"]]
        assert best["parity_max_abs"] <= 1e-5 and 0 <= result["score"] <= 100
    assert reloads[("sklearn", "logistic")]["result"]["best_format"] == "onnx"
    http = reloads[("sklearn", "logistic")]["result"]["formats"]["onnx"]
    assert http["http_calls"] == 100 and 0 < http["http_p50_ms"] <= http["http_p99_ms"]
    assert reloads[("statsmodels", "logistic")]["result"]["subscores"]["security"] == 0
    for record in reloads.values():  # the batch sweep ran in every scorer process, as the step said
        scored = [raw for raw in record["result"]["formats"].values() if raw["ok"]]
        assert scored
        for raw in scored:
            assert [b["rows"] for b in raw["batches"]] == [1, 1000] and raw["batches"][0]["calls"] == 100
    assert "Inference by batch size" in proc.stdout
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["truth"] == {}  # a deploy run has no statistics cell: no truth computed, so no truth errors
    assert "error" not in json.dumps(manifest["truth"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_predicts_over_http_on_loopback(tmp_path):
    artifacts, prediction, _ = _trained(SklearnAdapter, tmp_path, "classification", "logistic")
    X = np.asarray(__import__("pandas").read_parquet(tmp_path / "test.parquet").drop(columns="y"), dtype=float)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "mlbench", "serve", artifacts["onnx"].path, "--port", str(port),
                               "--max-body", "64K"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2))
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "server did not come up"
                time.sleep(0.3)
        assert health["kind"] == "onnx" and len(health["features"]) == X.shape[1]
        body = json.dumps({"rows": X[:5].tolist()}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=body,
                                         headers={"Content-Type": "application/json"})
        got = np.array(json.load(urllib.request.urlopen(request, timeout=10))["predictions"])
        assert np.max(np.abs(got - prediction[:5])) <= 1e-6
        width = X.shape[1]  # README's promise: a bad body is a 422 saying what is wrong, never a 500
        for bad in ({}, {"rows": "x"}, {"rows": [["a"] * width]}, {"rows": [[1.0] * (width - 1)]},
                    {"rows": [[1.0] * width, [1.0]]}, {"rows": []}):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=json.dumps(bad).encode(),
                                             headers={"Content-Type": "application/json"})
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            assert refused.value.code == 422, bad
            assert "detail" in json.load(refused.value), bad
        numbers = ", ".join(["0.5"] * (width - 1))  # strict JSON numbers: no NaN/Infinity/overflow, no coercion
        for value in ("NaN", "Infinity", "-Infinity", "1e400", '"1.5"', "true", "null"):
            raw = f'{{"rows": [[{value}, {numbers}]]}}'.encode()
            request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=raw,
                                             headers={"Content-Type": "application/json"})
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            assert refused.value.code == 422, value
            assert "detail" in json.load(refused.value), value
        big = json.dumps({"rows": [[0.5] * width] * (100_000 // (5 * width))}).encode()
        assert len(big) > 64 * 1024
        request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=big,
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 413 and "--max-body" in json.load(refused.value)["detail"]
        import http.client  # a chunked body declares no length: refused once it passes the limit

        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", "/predict", body=iter([big[i:i + 8192] for i in range(0, len(big), 8192)]),
                           headers={"Content-Type": "application/json"}, encode_chunked=True)
        answer = connection.getresponse()
        assert answer.status == 413 and "--max-body" in json.loads(answer.read())["detail"]
        connection.close()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=body,  # and still serving
                                         headers={"Content-Type": "application/json"})
        assert len(json.load(urllib.request.urlopen(request, timeout=10))["predictions"]) == 5
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_refuses_pickles_without_trust(tmp_path):
    artifacts, _, _ = _trained(SklearnAdapter, tmp_path, "classification", "logistic")
    proc = run_cli("serve", artifacts["joblib"].path, "--port", str(_free_port()))
    assert proc.returncode == 2 and "--trust" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("serve", artifacts["onnx"].path, "--port", str(_free_port()), "--max-body", "lots")
    assert proc.returncode == 2 and "not a memory size" in proc.stderr and "Traceback" not in proc.stderr


# ----- an artifact folder is data: nothing in it runs without --trust (issue 28) ---------------------------------

CRAFTED_KINDS = ("h2o-mojo-jvm", "h2o-mojo-pandas")


def _crafted_mojo_folder(folder, marker, kind: str):
    """The issue's crafted folder: a jar holding a `MojoServer` and a `hex.genmodel.tools.PredictCsv` that write
    `marker` (benign stand-ins for any code), the same MojoServer.class where the old code looked beside the jar
    (`mojo-server-<sha>/`), a MOJO zip with a model.ini (so it passes the zip check) and a .meta.json of `kind`."""
    import hashlib
    import shutil
    import zipfile
    from pathlib import Path

    from mlbench.deploy import mojo_jvm

    javac = shutil.which("javac")
    if javac is None:
        pytest.skip("no javac to build the crafted classes")
    src, classes = folder / "src", folder / "classes"
    (src / "hex" / "genmodel" / "tools").mkdir(parents=True)
    body = ("{ public static void main(String[] args) throws Exception { "
            f"java.nio.file.Files.writeString(java.nio.file.Path.of({json.dumps(str(marker))}), \"ran\"); }} }}")
    (src / "MojoServer.java").write_text("public class MojoServer " + body)
    (src / "hex" / "genmodel" / "tools" / "PredictCsv.java").write_text(
        "package hex.genmodel.tools; public class PredictCsv " + body)
    subprocess.run([javac, "-d", str(classes), str(src / "MojoServer.java"),
                    str(src / "hex" / "genmodel" / "tools" / "PredictCsv.java")], check=True, capture_output=True)
    jar = folder / "h2o-genmodel.jar"
    with zipfile.ZipFile(jar, "w") as out:
        for path in classes.rglob("*.class"):
            out.write(path, path.relative_to(classes).as_posix())
    old_cache = f"mojo-server-{hashlib.sha256(mojo_jvm.SOURCE.read_bytes()).hexdigest()[:12]}"
    (folder / old_cache).mkdir()
    shutil.copy(classes / "MojoServer.class", folder / old_cache / "MojoServer.class")
    model = folder / "model.zip"
    with zipfile.ZipFile(model, "w") as out:
        out.writestr("model.ini", "[info]\nalgorithm = planted\n")
    Path(str(model) + ".meta.json").write_text(json.dumps({
        "kind": kind, "path": str(model), "task": "classification", "features": ["a", "b"],
        "extra": {"genmodel_jar": str(jar)}}))
    return model, classes / "MojoServer.class", old_cache


@pytest.mark.parametrize("kind", CRAFTED_KINDS)
def test_a_crafted_mojo_folder_runs_none_of_its_code_without_trust(tmp_path, kind):
    import shutil

    folder, tmp, cache = tmp_path / "artifact", tmp_path / "tmp", tmp_path / "cache"
    for directory in (folder, tmp, cache):
        directory.mkdir()
    marker = tmp_path / "ran"
    model, planted_class, old_cache = _crafted_mojo_folder(folder, marker, kind)
    (tmp / f"mlbench-{old_cache}").mkdir()  # the old fallback: a predictable name in a world-writable directory
    shutil.copy(planted_class, tmp / f"mlbench-{old_cache}" / "MojoServer.class")
    port = _free_port()
    env = {**__import__("os").environ, "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(cache)}
    server = subprocess.Popen([sys.executable, "-m", "mlbench", "serve", str(model), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 120
        while server.poll() is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
            except OSError:
                time.sleep(0.3)
                continue
            request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=b'{"rows": [[1.0, 2.0]]}',
                                             headers={"Content-Type": "application/json"})
            with pytest.raises(urllib.error.HTTPError):  # the installed genmodel cannot read the planted MOJO
                urllib.request.urlopen(request, timeout=120)
            break
        else:
            assert server.poll() is not None, "the server neither came up nor stopped"
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert not marker.exists(), f"code shipped in the artifact folder ran ({kind})"
    if kind == "h2o-mojo-jvm":  # refused at start, in one line: the real server could not read the MOJO
        assert server.returncode == 2 and b"Traceback" not in stderr, stderr
    assert sorted(p.name for p in cache.iterdir()) == ["mlbench"]  # the classpath came from the private cache
    assert (cache / "mlbench").stat().st_mode & 0o777 == 0o700


def test_the_private_cache_is_the_users_alone(tmp_path, monkeypatch):
    import os

    from mlbench.deploy import mojo_jvm

    loose = tmp_path / "loose"
    (loose / "mlbench").mkdir(parents=True, mode=0o777)
    os.chmod(loose / "mlbench", 0o777)
    monkeypatch.setenv("XDG_CACHE_HOME", str(loose))
    assert mojo_jvm.cache_dir() == loose / "mlbench"  # ours: tightened to 0700 before use
    assert (loose / "mlbench").stat().st_mode & 0o777 == 0o700
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "mlbench").symlink_to(loose / "mlbench")  # a link may point anywhere: not used
    monkeypatch.setenv("XDG_CACHE_HOME", str(linked))
    fallback = mojo_jvm.cache_dir()
    assert fallback != linked / "mlbench" and fallback.name.startswith("mlbench-cache-") and fallback.name != \
        "mlbench-cache-"  # a fresh mkdtemp name, not a predictable one
    assert fallback.stat().st_mode & 0o777 == 0o700 and fallback.stat().st_uid == os.getuid()


def test_a_copied_artifact_folder_serves_what_is_in_it(tmp_path):
    import shutil
    from pathlib import Path

    original = tmp_path / "original"
    original.mkdir()
    artifacts, prediction, _ = _trained(SklearnAdapter, original, "classification", "logistic")
    meta = Path(artifacts["onnx"].path + ".meta.json").read_text()
    assert str(original) not in meta  # no absolute path in the description
    X = np.asarray(__import__("pandas").read_parquet(original / "test.parquet").drop(columns="y"), dtype=float)
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    shutil.rmtree(original)
    art = Artifact.read_meta(copy / Path(artifacts["onnx"].path).name)
    assert Path(art.path).parent == copy
    assert np.max(np.abs(load(art, trusted=False)(X) - prediction)) <= 1e-6


def test_a_description_names_files_only_inside_its_folder(tmp_path):
    (tmp_path / "model.zip").write_bytes(b"")
    (tmp_path / "model.zip.meta.json").write_text(json.dumps({
        "kind": "h2o-mojo-jvm", "path": "/elsewhere/other.zip", "task": "regression", "features": ["a"],
        "extra": {"genmodel_jar": "/elsewhere/h2o-genmodel.jar"}}))
    art = Artifact.read_meta(tmp_path / "model.zip")
    assert art.path == str(tmp_path / "model.zip")
    assert art.extra == {"genmodel_jar": str(tmp_path / "h2o-genmodel.jar")}
    (tmp_path / "model.zip.meta.json").write_text(json.dumps({"kind": "onnx", "path": "m", "task": "regression",
                                                              "features": "a,b"}))
    with pytest.raises(MlbenchError, match="not a valid artifact description"):
        Artifact.read_meta(tmp_path / "model.zip")
