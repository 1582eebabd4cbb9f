"""xgboost (the `xgboost-cpu` wheel): GBM and random forests natively; linear models via the gblinear booster.

xgboost has no OLS inference, VIF or subset search, so statistics steps are unsupported. It has no Parquet
reader either: data is read with pandas.read_parquet and handed to xgboost, which the load phase times.
"""

from __future__ import annotations

import importlib.metadata
import math
from pathlib import Path
from typing import Any

from mlbench.adapter import Adapter, Capability, DataSource, TrainSpec
from mlbench.deploy import failures
from mlbench.platforms import frames

NO_STATS = "xgboost fits boosted models only: no OLS inference, VIF or subset search"
NO_GLM = ("xgboost's only linear model, the gblinear booster, is an elastic-net coordinate descent stopped after a "
          "number of boosting rounds, not a converged maximum-likelihood fit, and reports no SEs or deviance")


class XGBoostAdapter(Adapter):
    name = "xgboost"
    distribution = "xgboost"
    modules = ("xgboost",)
    capabilities = {
        "pvalues": Capability.unsupported(NO_STATS),
        "vif": Capability.unsupported(NO_STATS),
        "subset": Capability.unsupported(NO_STATS),
        "glm:binomial": Capability.unsupported(NO_GLM),
        "glm:poisson": Capability.unsupported(NO_GLM),
        "train:gbm": Capability.native("XGBClassifier/XGBRegressor, tree_method=hist"),
        "train:random_forest": Capability.native("XGBRFClassifier/XGBRFRegressor (subsample 0.632, sqrt(p) per node)"),
        "train:linear": Capability.native("XGBRegressor(booster=gblinear): coordinate descent, not exact OLS"),
        "train:logistic": Capability.native("XGBClassifier(booster=gblinear): coordinate descent, unpenalised"),
        "deploy": Capability.native("native JSON and UBJSON; ONNX via onnxmltools where the booster converts"),
    }

    @classmethod
    def platform_version(cls) -> str | None:
        for dist in ("xgboost-cpu", "xgboost"):  # the same module ships in either wheel
            try:
                return importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                continue
        return None

    def load(self, source: DataSource) -> None:
        self.features, self.target = source.features, source.target
        train, test = frames.read(source)
        self.X, self.y = train[self.features].to_numpy(dtype=float), train[self.target].to_numpy(dtype=float)
        self.X_test = None if test is None else test[self.features].to_numpy(dtype=float)

    def fit(self, spec: TrainSpec) -> Any:
        import xgboost as xgb

        classify = spec.task == "classification"
        common = {"n_jobs": spec.cores, "random_state": spec.seed}
        if spec.family == "gbm":
            cls = xgb.XGBClassifier if classify else xgb.XGBRegressor
            model = cls(n_estimators=spec.trees, max_depth=spec.max_depth, learning_rate=spec.learning_rate,
                        tree_method="hist", **common)
        elif spec.family == "random_forest":
            cls = xgb.XGBRFClassifier if classify else xgb.XGBRFRegressor
            model = cls(n_estimators=spec.trees, max_depth=spec.max_depth, subsample=0.632,
                        colsample_bynode=math.sqrt(len(self.features)) / len(self.features), **common)
        else:
            cls = xgb.XGBClassifier if spec.family == "logistic" else xgb.XGBRegressor
            model = cls(booster="gblinear", n_estimators=max(spec.trees, 200), learning_rate=0.5,
                        reg_lambda=0.0, reg_alpha=0.0, **common)
        return model.fit(self.X, self.y)

    def predict(self, model: Any) -> Any:
        assert self.X_test is not None, "no test set loaded"
        return model.predict_proba(self.X_test)[:, 1] if hasattr(model, "predict_proba") else model.predict(
            self.X_test)

    def export(self, model: Any, directory: Path) -> dict[str, Any]:
        from mlbench.deploy.loaders import Artifact

        task = "classification" if hasattr(model, "predict_proba") else "regression"
        features = list(self.features)
        artifacts = []
        for kind, suffix in (("xgboost-json", "json"), ("xgboost-ubj", "ubj")):
            path = directory / f"model.{suffix}"
            model.get_booster().save_model(str(path))
            artifacts.append(Artifact(kind, str(path), task, features))
        unavailable: dict[str, str] = {}
        tracebacks: dict[str, str] = {}
        try:
            from onnxmltools import convert_xgboost
            from onnxmltools.convert.common.data_types import FloatTensorType

            onnx_model = convert_xgboost(model, initial_types=[("input", FloatTensorType([None, len(features)]))],
                                         target_opset=15)
            path = directory / "model.onnx"
            path.write_bytes(onnx_model.SerializeToString())
            artifacts.append(Artifact("onnx", str(path), task, features))
        except Exception as exc:  # noqa: BLE001 - a converter gap is a finding, not a crash
            failures.record(unavailable, tracebacks, "onnx", "onnxmltools", exc, model)
        for art in artifacts:
            art.write_meta()
        return {"artifacts": artifacts, "unavailable": unavailable, "tracebacks": tracebacks}
