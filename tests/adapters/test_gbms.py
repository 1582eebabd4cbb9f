"""LightGBM and CatBoost: each learns the learnable task about as well as xgboost does with the same settings,
every exported format reloads in a fresh scorer process with its stated parity, the linear rows and CatBoost's
random forest are unsupported with the reason, and LightGBM's rf ONNX stays withheld while onnxmltools still
converts it wrongly. Each test skips with one line when its library is not installed (extras `lightgbm`,
`catboost`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlbench.adapter import SessionOptions, TrainSpec
from mlbench.deploy import failures
from mlbench.deploy.evaluate import score_artifact
from mlbench.deploy.loaders import KINDS
from mlbench.errors import UnsupportedStep
from mlbench.platforms.catboost import CatBoostAdapter
from mlbench.platforms.lightgbm import LightGBMAdapter
from mlbench.platforms.xgboost import XGBoostAdapter

LIBRARY = {"lightgbm": LightGBMAdapter, "catboost": CatBoostAdapter}


def _adapter(name: str, source, tmp_path: Path):
    pytest.importorskip(name, reason=f"{name} is not installed (pip install 'mlbench[{name}]')")
    adapter = LIBRARY[name]() if name in LIBRARY else XGBoostAdapter()
    adapter.start_session(SessionOptions(run_dir=tmp_path, cores=2))
    adapter.load(source)
    return adapter


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    """Mann-Whitney AUC written out here (no ties in continuous scores): the share of (positive, negative)
    pairs the score orders correctly, independent of mlbench.stats.metrics."""
    pos, neg = score[y == 1], score[y == 0]
    return float(np.mean(pos[:, None] > neg[None, :]) + 0.5 * np.mean(pos[:, None] == neg[None, :]))


@pytest.mark.parametrize(("name", "family"), [("lightgbm", "gbm"), ("lightgbm", "random_forest"),
                                              ("catboost", "gbm")])
def test_learns_like_xgboost_with_the_same_settings(name, family, classification_task, tmp_path):
    source, y_test = classification_task
    spec = TrainSpec(family, "classification", trees=100, max_depth=6, learning_rate=0.1, seed=3)
    adapter = _adapter(name, source, tmp_path)
    auc = _auc(y_test, np.asarray(adapter.predict(adapter.fit(spec))))
    xgb = _adapter("xgboost", source, tmp_path)
    reference = _auc(y_test, np.asarray(xgb.predict(xgb.fit(spec))))
    # the task's Bayes AUC is ~0.87; on 2,000 rows the platforms' trees differ (leaf-wise, oblivious, depth-wise)
    assert auc > 0.8 and abs(auc - reference) < 0.03, (auc, reference)


@pytest.mark.parametrize(("name", "family", "kinds"), [
    ("lightgbm", "gbm", {"lightgbm-text": 0.0, "onnx": 1e-5}),
    ("lightgbm", "random_forest", {"lightgbm-text": 0.0}),
    ("catboost", "gbm", {"catboost-cbm": 0.0, "onnx": 1e-5}),
])
def test_exports_reload_in_a_fresh_process_with_stated_parity(name, family, kinds, classification_task, tmp_path):
    """Native formats score bit-identically; ONNX within float32 input rounding (1e-5 in probability)."""
    source, _ = classification_task
    adapter = _adapter(name, source, tmp_path)
    model = adapter.fit(TrainSpec(family, "classification", trees=50, max_depth=6, seed=3))
    reference = np.asarray(adapter.predict(model), dtype=float)
    (tmp_path / "export").mkdir()
    out = adapter.export(model, tmp_path / "export")
    test_x = tmp_path / "test_x.npy"
    np.save(test_x, adapter.X_test)
    assert {art.kind for art in out["artifacts"]} == set(kinds), out["unavailable"]
    for art in out["artifacts"]:
        result = score_artifact(art, test_x, reference, "classification", latency_calls=5, warmup_calls=1,
                                work_dir=tmp_path)
        assert result["ok"], result
        assert result["parity_max_abs"] <= kinds[art.kind], (art.kind, result["parity_max_abs"])
        assert not result["runs_code_on_load"]  # model text, flatbuffers, protobuf: data, no unpickling
    if family == "random_forest":
        assert out["unavailable"] == {"onnx": failures.LIGHTGBM_RF_ONNX}


def test_onnxmltools_still_converts_lightgbm_rf_wrongly(classification_task, tmp_path):
    """Why the rf ONNX is withheld: converted anyway, its probabilities are sigmoid(sum)/100, not
    sigmoid(mean). The day onnxmltools fixes this, this test fails: ship the format again."""
    source, _ = classification_task
    adapter = _adapter("lightgbm", source, tmp_path)
    ort = pytest.importorskip("onnxruntime")
    onnxmltools = pytest.importorskip("onnxmltools")
    from onnxmltools.convert.common.data_types import FloatTensorType

    model = adapter.fit(TrainSpec("random_forest", "classification", trees=50, max_depth=6, seed=3))
    total = model.predict(adapter.X_test, raw_score=True)  # rf mode: the raw score is the trees' sum
    expected = 1 / (1 + np.exp(-total / 50))  # LightGBM rf, binary: the sigmoid of the trees' mean
    np.testing.assert_allclose(model.predict_proba(adapter.X_test)[:, 1], expected, rtol=1e-12)
    onnx = onnxmltools.convert_lightgbm(model, initial_types=[("input", FloatTensorType([None, len(source.features)]))],
                                        target_opset=15, zipmap=False)
    session = ort.InferenceSession(onnx.SerializeToString(), providers=["CPUExecutionProvider"])
    probability = session.run(None, {"input": adapter.X_test.astype(np.float32)})[1][:, 1]
    np.testing.assert_allclose(probability, 1 / (1 + np.exp(-total)) / 100, atol=1e-5)
    assert np.max(np.abs(probability - expected)) > 0.3


def test_unsupported_rows_say_why(classification_task, tmp_path):
    source, _ = classification_task
    lgb = _adapter("lightgbm", source, tmp_path)
    with pytest.raises(UnsupportedStep, match="no linear or logistic model"):
        lgb.fit(TrainSpec("logistic", "classification"))
    cat = _adapter("catboost", source, tmp_path)
    with pytest.raises(UnsupportedStep, match="no random-forest mode"):
        cat.fit(TrainSpec("random_forest", "classification"))
    for cls in (LightGBMAdapter, CatBoostAdapter):
        for key in ("train:linear", "train:logistic", "pvalues", "vif", "subset", "glm:binomial", "glm:poisson"):
            declared = cls.capabilities[key]
            assert declared.support == "unsupported" and declared.reason, (cls.name, key)
    assert CatBoostAdapter.capabilities["train:random_forest"].support == "unsupported"
    assert not KINDS["lightgbm-text"].runs_code_on_load and not KINDS["catboost-cbm"].runs_code_on_load
