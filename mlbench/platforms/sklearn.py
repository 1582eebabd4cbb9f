"""scikit-learn: LinearRegression fits; mlbench emulates p-values and VIF from them (sklearn has neither)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from mlbench.deploy.loaders import Artifact

from mlbench.adapter import Adapter, Capability, DataSource, TrainSpec
from mlbench.deploy import failures
from mlbench.errors import UnsupportedStep
from mlbench.platforms import frames

# SequentialFeatureSelector reproduces leaps' stepwise paths only when it scores in-sample: one "fold" whose
# train and test rows are all rows, scored by negative MSE (i.e. RSS). Its default 5-fold CV picks other sets.
SFS_HOW = "SequentialFeatureSelector(direction={direction}), in-sample neg MSE scoring (cv=[(all rows, all rows)])"


class SklearnAdapter(Adapter):
    name = "sklearn"
    distribution = "scikit-learn"
    modules = ("sklearn",)
    session_imports = ("sklearn.linear_model",)
    capabilities = {
        "pvalues": Capability.emulated("LinearRegression().fit(X, y) (scipy lstsq); mlbench emulates SEs and "
                                        "p-values from its residuals"),
        "vif": Capability.emulated("auxiliary LinearRegression().score (R² of each feature on the others); "
                                    "VIF = 1/(1 - R²) by mlbench"),
        "subset:forward": Capability.native(SFS_HOW.format(direction="forward")),
        "subset:backward": Capability.native(SFS_HOW.format(direction="backward")),
        "subset:best": Capability.emulated("mlbench's branch and bound over LinearRegression fits (RSS), "
                                           "within the budgets"),
        "train:linear": Capability.native("LinearRegression"),
        "train:logistic": Capability.native("LogisticRegression(C=inf: unpenalised, lbfgs)"),
        "train:random_forest": Capability.native("RandomForestClassifier/Regressor"),
        "train:gbm": Capability.native("HistGradientBoostingClassifier/Regressor (early stopping off)"),
        "deploy": Capability.native("joblib; ONNX via skl2onnx (float64 for linear models, float32 for trees)"),
    }

    def load(self, source: DataSource) -> None:
        self.frame, self.test = frames.read(source)
        self.target, self.features = source.target, source.features

    def fit(self, spec: TrainSpec) -> Any:
        from sklearn import ensemble, linear_model

        classify = spec.task == "classification"
        estimators: dict[str, Any] = {
            "linear": lambda: linear_model.LinearRegression(),
            "logistic": lambda: linear_model.LogisticRegression(C=np.inf, max_iter=2000),
            "random_forest": lambda: (ensemble.RandomForestClassifier if classify else ensemble.RandomForestRegressor)(
                n_estimators=spec.trees, max_depth=spec.max_depth, n_jobs=spec.cores, random_state=spec.seed),
            "gbm": lambda: (ensemble.HistGradientBoostingClassifier if classify
                            else ensemble.HistGradientBoostingRegressor)(
                max_iter=spec.trees, max_depth=spec.max_depth, learning_rate=spec.learning_rate,
                early_stopping=False, random_state=spec.seed),
        }
        X = self.frame[self.features].to_numpy(dtype=float)
        return estimators[spec.family]().fit(X, self.frame[self.target].to_numpy(dtype=float))

    def predict(self, model: Any) -> np.ndarray:
        assert self.test is not None, "no test set loaded"
        X = self.test[self.features].to_numpy(dtype=float)
        return model.predict_proba(X)[:, 1] if hasattr(model, "predict_proba") else model.predict(X)

    def _fit(self, features: list[str], target: str) -> tuple[Any, np.ndarray, np.ndarray]:
        from sklearn.linear_model import LinearRegression

        X = self.frame[features].to_numpy(dtype=float)
        y = self.frame[target].to_numpy(dtype=float)
        return LinearRegression().fit(X, y), X, y

    def coefficients(self, features: list[str]) -> tuple[float, list[float]]:
        """LinearRegression's own fit (scipy's lstsq, with its `tol` as the singular-value cut-off); mlbench
        emulates standard errors and p-values from these estimates."""
        model, _, _ = self._fit(features, self.target)
        return float(model.intercept_), [float(c) for c in model.coef_]

    def rss(self, features: list[str]) -> float:
        model, X, y = self._fit(features, self.target)
        residuals = y - model.predict(X)
        return float(residuals @ residuals)

    def r_squared(self, features: list[str], target: str) -> float:
        """LinearRegression.score of the auxiliary regression: mlbench turns it into a VIF."""
        model, X, y = self._fit(features, target)
        return float(model.score(X, y))

    def subset(self, method: str, features: list[str], max_size: int) -> dict[int, list[str]]:
        """One SequentialFeatureSelector run, its path read off as it goes (see _recording_selector)."""
        if method not in ("forward", "backward"):
            raise UnsupportedStep(f"sklearn has no native {method} subset search")
        from sklearn.linear_model import LinearRegression

        X = self.frame[features].to_numpy(dtype=float)
        y = self.frame[self.target].to_numpy(dtype=float)
        p = len(features)
        in_sample = [(np.arange(len(y)), np.arange(len(y)))]
        steps_taken: list[int] = []
        selector = _recording_selector(steps_taken)(
            LinearRegression(), direction=method, scoring="neg_mean_squared_error", cv=in_sample,
            n_features_to_select=min(max_size, p - 1) if method == "forward" else 1,
        )
        selector.fit(X, y)
        path: dict[int, list[str]] = {p: list(features)}
        mask = np.zeros(p, dtype=bool) if method == "forward" else np.ones(p, dtype=bool)
        for index in steps_taken:
            mask[index] = method == "forward"
            path[int(mask.sum())] = [f for f, keep in zip(features, mask, strict=True) if keep]
        final = [f for f, keep in zip(features, selector.get_support(), strict=True) if keep]
        assert path[len(final)] == final, "recorded path disagrees with the selector's support"
        return {k: v for k, v in path.items() if k <= max_size}


    def export(self, model: Any, directory: Path) -> dict[str, Any]:
        import joblib

        from mlbench.deploy.loaders import Artifact

        task = "classification" if hasattr(model, "predict_proba") else "regression"
        path = directory / "model.joblib"
        joblib.dump(model, path)
        artifacts = [Artifact("joblib", str(path), task, list(self.features))]
        unavailable: dict[str, str] = {}
        tracebacks: dict[str, str] = {}
        try:
            artifacts.append(_to_onnx(model, directory / "model.onnx", task, list(self.features)))
        except Exception as exc:  # noqa: BLE001 - a converter gap is a finding, not a crash
            failures.record(unavailable, tracebacks, "onnx", "skl2onnx", exc, model)
        for art in artifacts:
            art.write_meta()
        return {"artifacts": artifacts, "unavailable": unavailable, "tracebacks": tracebacks}


def _recording_selector(steps_taken: list[int]) -> Any:
    """SequentialFeatureSelector that records each feature it adds (forward) or removes (backward).

    sklearn exposes only the final support; leaps reports every size. Running the selector once per size
    would cost O(p³) fits instead of O(p²), and time a usage nobody would write. The hook is the selector's
    own per-iteration method, so the fits and scoring are entirely sklearn's.
    """
    from sklearn.feature_selection import SequentialFeatureSelector

    class RecordingSelector(SequentialFeatureSelector):
        def _get_best_new_feature_score(self, *args: Any, **kwargs: Any) -> Any:
            index, score = super()._get_best_new_feature_score(*args, **kwargs)
            steps_taken.append(int(index))
            return index, score

    return RecordingSelector

def _to_onnx(model: Any, path: Path, task: str, features: list[str]) -> Artifact:
    """Linear models convert in float64 (exact parity); tree ensembles only in float32 (skl2onnx's limit)."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    from mlbench.deploy.loaders import Artifact

    linear = type(model).__name__ in ("LinearRegression", "LogisticRegression")
    tensor = DoubleTensorType if linear else FloatTensorType
    options = {id(model): {"zipmap": False}} if task == "classification" else None
    with _onnx_ints_not_bools():
        onnx_model = convert_sklearn(model, initial_types=[("input", tensor([None, len(features)]))],
                                     options=options, target_opset=17)
    path.write_bytes(onnx_model.SerializeToString())
    return Artifact("onnx", str(path), task, features)


@contextmanager
def _onnx_ints_not_bools() -> Iterator[None]:
    """ONNX has no boolean attributes (a flag is an int 0/1), and protobuf >= 7.34 refuses a Python or numpy
    bool in an int field. skl2onnx 1.20's HistGradientBoosting converter still writes leaves'
    `nodes_missing_value_tracks_true` as `False` ("Unable to create node 'TreeEnsembleClassifier' ...
    Expected an int, got a boolean"). While converting, the node builder skl2onnx calls gets ints instead:
    the same values ONNX stores, so the model is unchanged."""
    from skl2onnx.common import _container

    make_node = _container.make_node

    def as_int(value: Any) -> Any:
        return int(value) if isinstance(value, bool | np.bool_) else value

    def make_node_with_ints(*args: Any, **attrs: Any) -> Any:
        for key, value in attrs.items():
            if isinstance(value, list | tuple) and any(isinstance(v, bool | np.bool_) for v in value):
                attrs[key] = [as_int(v) for v in value]
            else:
                attrs[key] = as_int(value)
        return make_node(*args, **attrs)

    _container.make_node = make_node_with_ints
    try:
        yield
    finally:
        _container.make_node = make_node
