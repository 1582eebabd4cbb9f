"""CatBoost: gradient boosting on oblivious (symmetric) trees, exported by CatBoost itself to ONNX and .cbm.

CatBoost's default tree is oblivious: every node of one depth splits on the same feature and threshold, so a
depth-d tree has exactly 2**d leaves and is evaluated as a d-bit index. That is its design, not a mismatch of
the scenario's settings: trees, depth, learning rate, seed and threads are passed as the scenario states them.
It has no random-forest mode (every CatBoost model is boosted: `boosting_type` is Ordered or Plain), no linear
or logistic model, and no OLS inference, VIF or subset search; those rows are unsupported. Data is read with
pandas.read_parquet and handed over as float64 (CatBoost has no Parquet reader); the load phase times it.
"""

from __future__ import annotations

from typing import Any

from mlbench.adapter import Capability, TrainSpec
from mlbench.errors import UnsupportedStep
from mlbench.platforms.gbm_common import BoostedTreesAdapter, Exports, no_statistics

NO_STATS = "CatBoost fits boosted trees only: no OLS inference, VIF or subset search"
NO_GLM = ("CatBoost has no GLM: its Logloss and Poisson objectives are fitted by boosting trees, never one "
          "maximum-likelihood linear model with standard errors or deviance")
NO_LINEAR = ("CatBoost has no linear or logistic model: every CatBoost model is an ensemble of boosted "
             "trees (its Logloss objective boosts trees, it does not fit a logistic regression)")
NO_RF = ("CatBoost has no random-forest mode: every model is boosted (boosting_type is Ordered or Plain); "
         "bagging_temperature and rsm randomise a boosted model, they do not average independent trees")


class CatBoostAdapter(BoostedTreesAdapter):
    name = "catboost"
    distribution = "catboost"
    modules = ("catboost",)
    capabilities = {
        **no_statistics(NO_STATS, NO_GLM),
        "train:gbm": Capability.native("CatBoostClassifier/CatBoostRegressor (oblivious trees of depth "
                                       "max_depth, its default border count 254)"),
        "train:random_forest": Capability.unsupported(NO_RF),
        "train:linear": Capability.unsupported(NO_LINEAR),
        "train:logistic": Capability.unsupported(NO_LINEAR),
        "deploy": Capability.native("CatBoost's own .cbm and ONNX (save_model(format='onnx'))"),
    }

    def _label_dtype(self, task: str | None) -> type:
        # 0/1 labels as integers: CatBoost's ONNX writer refuses a model trained on float labels
        return int if task == "classification" else float

    def fit(self, spec: TrainSpec) -> Any:
        import catboost

        if spec.family == "random_forest":
            raise UnsupportedStep(f"catboost cannot train random_forest: {NO_RF}")
        if spec.family != "gbm":
            raise UnsupportedStep(f"catboost cannot train {spec.family}: {NO_LINEAR}")
        cls = catboost.CatBoostClassifier if spec.task == "classification" else catboost.CatBoostRegressor
        # allow_writing_files=False: CatBoost otherwise writes a catboost_info/ folder into the working directory
        model = cls(iterations=spec.trees, depth=spec.max_depth, learning_rate=spec.learning_rate,
                    random_seed=spec.seed, thread_count=spec.cores, verbose=False, allow_writing_files=False)
        return model.fit(self.X, self.y)

    def _write_formats(self, model: Any, exports: Exports) -> None:
        for kind, suffix, fmt in (("catboost-cbm", "cbm", "cbm"), ("onnx", "onnx", "onnx")):
            path = exports.directory / f"model.{suffix}"
            try:  # both are CatBoost's own writers: data (flatbuffers, protobuf), no code
                model.save_model(str(path), format=fmt)
                exports.written(kind, path)
            except Exception as exc:  # noqa: BLE001 - a format CatBoost refuses is a finding, not a crash
                exports.failed(kind, "catboost", exc, model)
