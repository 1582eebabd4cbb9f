"""LightGBM: gradient boosting and a random-forest mode (`boosting_type="rf"`) on histogram-binned features.

LightGBM grows trees leaf-wise, bounded by `num_leaves` (default 31) and, optionally, `max_depth`. The scenario
states trees of depth d: the adapter sets `num_leaves = 2**d` so depth is the binding bound, as it is for
xgboost's and H2O's depth-wise trees (a 31-leaf default would train smaller trees than the other platforms').
It has no OLS inference, VIF or subset search, and its only linear model (`linear_tree`) fits a ridge
regression in each leaf of a tree, not one linear or logistic model: those rows are unsupported. Data is read
with pandas.read_parquet and handed over as float64 (LightGBM has no Parquet reader); the load phase times it.
"""

from __future__ import annotations

import math
from typing import Any

from mlbench.adapter import Capability, TrainSpec
from mlbench.deploy import failures
from mlbench.errors import UnsupportedStep
from mlbench.platforms.gbm_common import BoostedTreesAdapter, Exports, no_statistics

NO_STATS = "LightGBM fits boosted trees only: no OLS inference, VIF or subset search"
NO_GLM = ("LightGBM has no GLM: its objectives are fitted by boosting trees (linear_tree adds a ridge fit per "
          "leaf), never one maximum-likelihood linear model with standard errors or deviance")
NO_LINEAR = ("LightGBM has no linear or logistic model: a boosted model always splits on features (linear_tree "
             "fits a ridge regression in each leaf of a tree), so its answer would not be the scenario's model")
RF_BAGGING = 0.632  # bagging_fraction: a bootstrap's share of distinct rows, as xgboost's and Spark's forests use


class LightGBMAdapter(BoostedTreesAdapter):
    takes_csr = True  # LGBMClassifier.fit takes scipy CSR; zeros stay zeros (zero_as_missing off)
    name = "lightgbm"
    distribution = "lightgbm"
    modules = ("lightgbm",)
    capabilities = {
        **no_statistics(NO_STATS, NO_GLM),
        "train:gbm": Capability.native("LGBMClassifier/LGBMRegressor (gbdt, num_leaves 2^max_depth, "
                                       "deterministic=True)"),
        "train:random_forest": Capability.native(
            "LGBMClassifier/LGBMRegressor(boosting_type='rf'): bagging 0.632 of rows without replacement each "
            "tree, sqrt(p) features per node, num_leaves 2^max_depth"),
        "train:linear": Capability.unsupported(NO_LINEAR),
        "train:logistic": Capability.unsupported(NO_LINEAR),
        "deploy": Capability.native("LightGBM's model text (Booster.save_model); ONNX via onnxmltools "
                                    "convert_lightgbm"),
    }

    def fit(self, spec: TrainSpec) -> Any:
        import lightgbm as lgb

        if spec.family not in ("gbm", "random_forest"):
            raise UnsupportedStep(f"lightgbm cannot train {spec.family}: {NO_LINEAR}")
        cls = lgb.LGBMClassifier if spec.task == "classification" else lgb.LGBMRegressor
        # deterministic + force_row_wise: the same model for the same seed and threads (LightGBM's documented
        # recipe); verbose=-1 keeps its per-fit warnings out of platform.log
        common = {"n_estimators": spec.trees, "max_depth": spec.max_depth, "num_leaves": 2 ** spec.max_depth,
                  "random_state": spec.seed, "n_jobs": spec.cores, "deterministic": True, "force_row_wise": True,
                  "verbose": -1}
        if spec.family == "gbm":
            model = cls(learning_rate=spec.learning_rate, **common)
        else:  # LightGBM's rf mode refuses to run without bagging: it requires bagging_freq > 0 and fraction < 1
            p = len(self.features)
            model = cls(boosting_type="rf", subsample=RF_BAGGING, subsample_freq=1,
                        feature_fraction_bynode=math.sqrt(p) / p, **common)
        return model.fit(self.X, self.y)

    def _write_formats(self, model: Any, exports: Exports) -> None:
        path = exports.directory / "model.txt"
        model.booster_.save_model(str(path))  # LightGBM's own text format: trees as data, no code
        exports.written("lightgbm-text", path)
        if model.get_params()["boosting_type"] == "rf":
            exports.unavailable["onnx"] = failures.LIGHTGBM_RF_ONNX
        else:
            exports.onnx_by_onnxmltools(model, "convert_lightgbm", zipmap=False)
