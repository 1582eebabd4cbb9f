"""How each artifact kind is loaded and scored outside the training session: one home for the scorer
subprocess and for `mlbench serve`.

Every kind says whether loading it runs code from the file (pickle, joblib: the file can execute anything) and
whether it needs a JVM or the training library; those facts feed the deployability score, so they live next to
the loader that proves them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from mlbench.errors import MlbenchError

PredictFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Kind:
    name: str
    runs_code_on_load: bool  # pickle/joblib execute code from the file; ONNX, JSON, MOJO are data
    needs_jvm: bool
    needs_training_library: bool  # e.g. xgboost JSON needs xgboost; ONNX needs only onnxruntime
    scorer: str  # what loads it: shown in reports


KINDS: dict[str, Kind] = {k.name: k for k in [
    Kind("joblib", True, False, True, "joblib.load + the estimator's predict"),
    Kind("onnx", False, False, False, "onnxruntime.InferenceSession"),
    Kind("xgboost-json", False, False, True, "xgboost.Booster.load_model (JSON)"),
    Kind("xgboost-ubj", False, False, True, "xgboost.Booster.load_model (UBJSON)"),
    Kind("statsmodels-pickle", True, False, True, "statsmodels load_pickle + predict"),
    # MOJO kinds are data: scored with the installed h2o package's h2o-genmodel.jar and a server class mlbench
    # compiles into its private cache, never with a jar or class found in the artifact's folder (mojo_jvm.py)
    Kind("h2o-mojo-pandas", False, True, False, "h2o.mojo_predict_pandas: a JVM per call (h2o-genmodel.jar)"),
    Kind("h2o-mojo-jvm", False, True, False, "one long-lived JVM with h2o-genmodel EasyPredictModelWrapper"),
    Kind("spark-pipeline", False, True, True, "pyspark PipelineModel.load in a local Spark session"),
    Kind("tf-savedmodel", False, False, True, "tf.saved_model.load + its serving_default signature"),
    Kind("tflite", False, False, True, "tf.lite.Interpreter (float32 inputs)"),
    Kind("ydf", False, False, True, "ydf.load_model + predict"),
    # LightGBM's model text and CatBoost's .cbm (flatbuffers) are parsed as data: neither unpickles
    Kind("lightgbm-text", False, False, True, "lightgbm.Booster(model_file=...).predict"),
    Kind("catboost-cbm", False, False, True, "catboost.CatBoost().load_model (cbm) + predict"),
]}


@dataclass(frozen=True)
class Artifact:
    """One exported model file (or directory) and how to score it. Written next to it as `<path>.meta.json`.

    The description holds no absolute path: `path` is written as the file's name and the paths in `extra`
    (`PATH_KEYS`) as names in the same folder, and reading it back resolves them against where the description
    is. A folder copied elsewhere serves what is in it, and a description cannot point outside its folder."""

    kind: str
    path: str
    task: str  # classification -> the scorer returns P(y = 1); regression -> values
    features: list[str]
    extra: dict[str, Any] | None = None  # kind-specific, e.g. the genmodel jar shipped beside a MOJO

    PATH_KEYS: ClassVar[tuple[str, ...]] = ("genmodel_jar",)  # entries of `extra` that name a file beside the artifact

    def write_meta(self) -> Path:
        meta = Path(self.path + ".meta.json")
        data = asdict(self)
        data["path"] = Path(self.path).name
        if self.extra:
            data["extra"] = {key: Path(value).name if key in self.PATH_KEYS and isinstance(value, str) else value
                             for key, value in self.extra.items()}
        meta.write_text(json.dumps(data, indent=1), encoding="utf-8")
        return meta

    @classmethod
    def read_meta(cls, path: Path) -> Artifact:
        suffix = ".meta.json"
        meta = path if path.name.endswith(suffix) else Path(str(path) + suffix)
        artifact = Path(str(meta)[:-len(suffix)])
        if not path.exists():
            raise MlbenchError(f"no such file: {path}")
        if not meta.exists():
            raise MlbenchError(f"{path}: no {meta.name} beside it: not an artifact exported by mlbench")
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            art = cls(**data)
        except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as exc:
            raise MlbenchError(f"{meta}: not a valid artifact description ({exc})") from None
        if not (isinstance(art.kind, str) and isinstance(art.task, str) and isinstance(art.features, list)
                and all(isinstance(f, str) for f in art.features) and isinstance(art.extra, dict | None)):
            raise MlbenchError(f"{meta}: not a valid artifact description (kind, task, features or extra mistyped)")
        extra = art.extra
        if extra:  # a shipped file is looked for beside the artifact, whatever path the description names
            extra = {key: str(artifact.parent / Path(value).name)
                     if key in cls.PATH_KEYS and isinstance(value, str) else value for key, value in extra.items()}
        return replace(art, path=str(artifact), extra=extra)


def _positive_class(probabilities: Any) -> np.ndarray:
    """P(y = 1) from a 2-column probability output, a list of {label: p} maps (skl2onnx), or a vector."""
    if isinstance(probabilities, list) and probabilities and isinstance(probabilities[0], dict):
        key = 1 if 1 in probabilities[0] else 1.0 if 1.0 in probabilities[0] else "1"
        return np.array([row[key] for row in probabilities], dtype=float)
    array = np.asarray(probabilities, dtype=float)
    return array[:, 1] if array.ndim == 2 else array.ravel()


def _load_joblib(art: Artifact) -> PredictFn:
    import joblib

    model = joblib.load(art.path)
    if art.task == "classification":
        return lambda X: model.predict_proba(X)[:, 1]
    return lambda X: np.asarray(model.predict(X), dtype=float)


def _load_onnx(art: Artifact) -> PredictFn:
    import onnxruntime as ort

    session = ort.InferenceSession(art.path, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    dtype = np.float32 if "float)" in session.get_inputs()[0].type and "double" not in session.get_inputs()[
        0].type else np.float64
    outputs = [o.name for o in session.get_outputs()]

    def predict(X: np.ndarray) -> np.ndarray:
        result = session.run(None, {input_name: np.asarray(X, dtype=dtype)})
        if art.task == "classification":
            return _positive_class(result[outputs.index(_probability_output(outputs))])
        return np.asarray(result[0], dtype=float).ravel()

    return predict


def _probability_output(names: list[str]) -> str:
    for candidate in ("probabilities", "output_probability", "probability"):
        if candidate in names:
            return candidate
    return names[-1]


def _load_xgboost(art: Artifact) -> PredictFn:
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(art.path)

    def predict(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        try:
            return np.asarray(booster.inplace_predict(X), dtype=float).ravel()
        except xgb.core.XGBoostError:  # gblinear boosters have no in-place prediction
            return np.asarray(booster.predict(xgb.DMatrix(X)), dtype=float).ravel()

    return predict


def _load_statsmodels(art: Artifact) -> PredictFn:
    from statsmodels.iolib.smpickle import load_pickle

    results = load_pickle(art.path)
    return lambda X: np.asarray(results.predict(np.column_stack([np.ones(len(X)), X])), dtype=float)


def _load_spark(art: Artifact) -> PredictFn:
    import os

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    import pandas as pd
    from pyspark.ml import PipelineModel
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[1]").appName("mlbench-scorer")
             .config("spark.ui.enabled", "false").config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    model = PipelineModel.load(art.path)

    columns = art.extra or {}

    def predict(X: np.ndarray) -> np.ndarray:
        names = columns.get("input_columns") or art.features  # the pipeline's own column names (see the adapter)
        frame = spark.createDataFrame(pd.DataFrame(np.asarray(X, dtype=float), columns=names))
        out = model.transform(frame)
        if art.task == "classification":
            out = out.select(vector_to_array(out[columns.get("probability_col") or "probability"])[1].alias("p"))
        else:
            out = out.select(out[columns.get("prediction_col") or "prediction"].alias("p"))
        return out.toPandas()["p"].to_numpy(dtype=float)

    return predict


def _load_mojo_pandas(art: Artifact) -> PredictFn:
    import zipfile

    import pandas as pd

    from mlbench.deploy.mojo_jvm import installed_genmodel_jar

    with zipfile.ZipFile(art.path) as mojo:  # this scorer reads the file only at the first call: check it now
        if "model.ini" not in mojo.namelist() or mojo.testzip() is not None:
            raise ValueError("not a valid MOJO (model.ini missing or a corrupt entry)")
    jar = str(installed_genmodel_jar())  # never the jar shipped in the folder: that would run its code

    def predict(X: np.ndarray) -> np.ndarray:
        import h2o

        frame = pd.DataFrame(np.asarray(X, dtype=float), columns=art.features)
        out = h2o.mojo_predict_pandas(frame, art.path, genmodel_jar_path=jar, classpath=jar, verbose=False)
        column = "p1" if art.task == "classification" else "predict"
        return out[column].to_numpy(dtype=float)

    return predict


def _load_mojo_jvm(art: Artifact) -> PredictFn:
    from mlbench.deploy.mojo_jvm import MojoJvm, installed_genmodel_jar

    jvm = MojoJvm(Path(art.path), installed_genmodel_jar(), art.features, art.task)
    return jvm.predict


def _load_savedmodel(art: Artifact) -> PredictFn:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    serve = tf.saved_model.load(art.path).signatures["serving_default"]

    def predict(X: np.ndarray) -> np.ndarray:
        (output,) = serve(x=tf.constant(np.asarray(X, dtype=np.float64))).values()
        return np.asarray(output.numpy(), dtype=float).ravel()

    return predict


def _load_tflite(art: Artifact) -> PredictFn:
    import os
    import warnings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    with warnings.catch_warnings():  # tf.lite.Interpreter's notice that LiteRT's package will replace it
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_path=art.path)
    (source,), (output,) = interpreter.get_input_details(), interpreter.get_output_details()

    def predict(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=source["dtype"])
        interpreter.resize_tensor_input(source["index"], list(X.shape))
        interpreter.allocate_tensors()
        interpreter.set_tensor(source["index"], X)
        interpreter.invoke()
        return np.asarray(interpreter.get_tensor(output["index"]), dtype=float).ravel()

    return predict


def _load_ydf(art: Artifact) -> PredictFn:
    import pandas as pd
    import ydf

    model = ydf.load_model(art.path)
    return lambda X: np.asarray(model.predict(pd.DataFrame(np.asarray(X, dtype=float), columns=art.features)),
                                dtype=float).ravel()


def _load_lightgbm(art: Artifact) -> PredictFn:
    import lightgbm as lgb

    booster = lgb.Booster(model_file=art.path)  # binary objective: predict returns P(y = 1) already
    return lambda X: np.asarray(booster.predict(np.asarray(X, dtype=float)), dtype=float).ravel()


def _load_catboost(art: Artifact) -> PredictFn:
    import catboost

    model = catboost.CatBoost()
    model.load_model(art.path, format="cbm")
    if art.task == "classification":
        return lambda X: np.asarray(model.predict(np.asarray(X, dtype=float), prediction_type="Probability"),
                                    dtype=float)[:, 1]
    return lambda X: np.asarray(model.predict(np.asarray(X, dtype=float)), dtype=float).ravel()


LOADERS: dict[str, Callable[[Artifact], PredictFn]] = {
    "joblib": _load_joblib,
    "onnx": _load_onnx,
    "xgboost-json": _load_xgboost,
    "xgboost-ubj": _load_xgboost,
    "statsmodels-pickle": _load_statsmodels,
    "spark-pipeline": _load_spark,
    "h2o-mojo-pandas": _load_mojo_pandas,
    "h2o-mojo-jvm": _load_mojo_jvm,
    "tf-savedmodel": _load_savedmodel,
    "tflite": _load_tflite,
    "ydf": _load_ydf,
    "lightgbm-text": _load_lightgbm,
    "catboost-cbm": _load_catboost,
}


def load(art: Artifact, trusted: bool) -> PredictFn:
    """A predict function for the artifact. Code-executing formats need `trusted` (mlbench wrote them this run,
    or the user said --trust): loading a pickle from an unknown source runs whatever it contains."""
    kind = KINDS.get(art.kind)
    if kind is None:
        raise MlbenchError(f"unknown artifact kind {art.kind!r}; known: {', '.join(KINDS)}")
    if kind.runs_code_on_load and not trusted:
        raise MlbenchError(f"{art.path}: {art.kind} runs code when loaded; pass --trust if you wrote this file")
    if not Path(art.path).exists():
        raise MlbenchError(f"artifact not found: {art.path}")
    try:
        return LOADERS[art.kind](art)
    except MlbenchError:
        raise
    except Exception as exc:  # noqa: BLE001 - a corrupted or foreign file: say so in one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise MlbenchError(f"cannot load {art.kind} artifact {art.path}: {type(exc).__name__}: {first}") from None
