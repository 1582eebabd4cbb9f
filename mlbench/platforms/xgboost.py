"""xgboost (the `xgboost-cpu` wheel): GBM and random forests natively; linear models via the gblinear booster.

xgboost has no OLS inference, VIF or subset search, so statistics steps are unsupported. It has no Parquet
reader either: data is read with pandas.read_parquet and handed to xgboost, which the load phase times.
"""

from __future__ import annotations

import importlib.metadata
import math
from typing import Any

from mlbench.adapter import Capability, TrainSpec
from mlbench.platforms.gbm_common import BoostedTreesAdapter, Exports, no_statistics

NO_STATS = "xgboost fits boosted models only: no OLS inference, VIF or subset search"
NO_GLM = ("xgboost's only linear model, the gblinear booster, is an elastic-net coordinate descent stopped after a "
          "number of boosting rounds, not a converged maximum-likelihood fit, and reports no SEs or deviance")


class XGBoostAdapter(BoostedTreesAdapter):
    takes_csr = True  # XGBClassifier.fit builds its DMatrix from scipy CSR; absent entries are missing values
    name = "xgboost"
    distribution = "xgboost"
    modules = ("xgboost",)
    capabilities = {
        **no_statistics(NO_STATS, NO_GLM),
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

    def _write_formats(self, model: Any, exports: Exports) -> None:
        for kind, suffix in (("xgboost-json", "json"), ("xgboost-ubj", "ubj")):
            path = exports.directory / f"model.{suffix}"
            model.get_booster().save_model(str(path))
            exports.written(kind, path)
        exports.onnx_by_onnxmltools(model, "convert_xgboost")
