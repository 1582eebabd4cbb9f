"""scikit-learn: LinearRegression fits; mlbench emulates p-values and VIF from them (sklearn has neither).

GLMs: `LogisticRegression(C=np.inf)` and `PoissonRegressor(alpha=0)` give unpenalised estimates (lbfgs, sklearn's
tol 1e-4 and max_iter 100) from which mlbench emulates the inference. `C=np.inf` rather than `penalty=None`:
sklearn 1.8 deprecated `penalty` (removed in 1.10), and `C=np.inf` is what its warning asks for. What most users
run, sklearn's penalised defaults (`LogisticRegression()`: L2 with C=1.0; `PoissonRegressor()`: alpha=1.0),
is the separate adapter `sklearn-default` below: a row of its own beside the unpenalised one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from mlbench.deploy.loaders import Artifact

from mlbench.adapter import Adapter, Capability, DataSource, GLMCoefficients, TrainSpec
from mlbench.deploy import failures
from mlbench.errors import UnsupportedStep
from mlbench.platforms import frames

# SequentialFeatureSelector reproduces leaps' stepwise paths only when it scores in-sample: one "fold" whose
# train and test rows are all rows, scored by negative MSE (i.e. RSS). Its default 5-fold CV picks other sets.
SFS_HOW = "SequentialFeatureSelector(direction={direction}), in-sample neg MSE scoring (cv=[(all rows, all rows)])"
LBFGS = "lbfgs, tol 1e-4, max_iter 100"
NO_SE = "; sklearn reports no SEs: mlbench emulates them from X'WX at these estimates"
GLM_ESTIMATORS = {  # family -> the unpenalised estimator's keyword arguments (sklearn's defaults otherwise)
    "binomial": ("LogisticRegression", {"C": np.inf}),
    "poisson": ("PoissonRegressor", {"alpha": 0.0}),
}


class _SklearnBase(Adapter):
    """What both scikit-learn adapters share: pandas reads the run's Parquet file, and a GLM is one fit of the
    family's estimator (`glm_estimators`: family -> estimator name and keyword arguments)."""

    distribution = "scikit-learn"
    modules = ("sklearn",)
    session_imports: ClassVar[tuple[str, ...]] = ("sklearn.linear_model",)
    glm_estimators: ClassVar[dict[str, tuple[str, dict[str, Any]]]] = {}

    def _estimator(self, module: str, name: str) -> Any:
        """The estimator class `name` of `sklearn.<module>` ("linear_model", "ensemble") that every call of this
        adapter fits. The one hook of an adapter over a patched scikit-learn (sklearnex): it answers with the
        patched class, and every scenario runs through it unchanged."""
        import importlib

        return getattr(importlib.import_module(f"sklearn.{module}"), name)

    def load(self, source: DataSource) -> None:
        """pandas reads the Parquet file; a sparse-shape run's training data is read as CSR only (`csr`:
        X, y and the test X), handed to the estimators that take sparse input."""
        self.target, self.features = source.target, source.features
        self.intercept = source.intercept  # False: the statistics steps' fits go through the origin
        self.csr = frames.read_sparse(source) if source.sparse_path is not None else None
        self.frame: Any
        self.test: Any
        self.frame, self.test = frames.read(source) if self.csr is None else (None, None)

    def glm_coefficients(self, features: list[str], family: str) -> GLMCoefficients:
        """One fit of the family's estimator with sklearn's own solver settings. sklearn says it stopped short
        only by a ConvergenceWarning: recorded, and `converged` is False when one was raised."""
        from sklearn.exceptions import ConvergenceWarning

        from mlbench.platforms.warned import recorded

        if family not in self.glm_estimators:
            raise UnsupportedStep(f"{self.name} has no {family} GLM")
        estimator, kwargs = self.glm_estimators[family]
        X = self.frame[features].to_numpy(dtype=float)
        y = self.frame[self.target].to_numpy(dtype=float)
        with recorded() as caught:
            model = self._estimator("linear_model", estimator)(**kwargs).fit(X, y)
        coef = np.ravel(model.coef_)
        return GLMCoefficients(
            intercept=float(np.ravel(model.intercept_)[0]),
            coefficients=[float(c) for c in coef],
            iterations=int(np.max(model.n_iter_)),
            converged=not any(w.startswith(f"{ConvergenceWarning.__name__}:") for w in caught),
            warnings=caught,
        )


class SklearnAdapter(_SklearnBase):
    name = "sklearn"
    glm_estimators = GLM_ESTIMATORS
    capabilities = {
        "pvalues": Capability.emulated("LinearRegression().fit(X, y) (scipy lstsq; through the origin "
                                        "fit_intercept=False); mlbench emulates SEs and p-values from its residuals"),
        "vif": Capability.emulated("auxiliary LinearRegression().score (R² of each feature on the others); "
                                    "VIF = 1/(1 - R²) by mlbench"),
        "subset:forward": Capability.native(SFS_HOW.format(direction="forward")),
        "subset:backward": Capability.native(SFS_HOW.format(direction="backward")),
        "subset:best": Capability.emulated("mlbench's branch and bound over LinearRegression fits (RSS), "
                                           "within the budgets"),
        "glm:binomial": Capability.emulated(f"LogisticRegression(C=np.inf) ({LBFGS}; C=np.inf, not the deprecated "
                                            f"penalty=None){NO_SE}"),
        "glm:poisson": Capability.emulated(f"PoissonRegressor(alpha=0) ({LBFGS}){NO_SE}"),
        "train:linear": Capability.native("LinearRegression"),
        "train:logistic": Capability.native("LogisticRegression(C=inf: unpenalised, lbfgs)"),
        "train:random_forest": Capability.native("RandomForestClassifier/Regressor"),
        "train:gbm": Capability.native("HistGradientBoostingClassifier/Regressor (early stopping off)"),
        "deploy": Capability.native("joblib; ONNX via skl2onnx (float64 for linear models, float32 for trees)"),
    }

    def fit(self, spec: TrainSpec) -> Any:
        kind = "Classifier" if spec.task == "classification" else "Regressor"
        linear_model = lambda name: self._estimator("linear_model", name)  # noqa: E731
        ensemble = lambda name: self._estimator("ensemble", name + kind)  # noqa: E731
        estimators: dict[str, Any] = {
            "linear": lambda: linear_model("LinearRegression")(),
            "logistic": lambda: linear_model("LogisticRegression")(C=np.inf, max_iter=2000),
            "random_forest": lambda: ensemble("RandomForest")(
                n_estimators=spec.trees, max_depth=spec.max_depth, n_jobs=spec.cores, random_state=spec.seed),
            "gbm": lambda: ensemble("HistGradientBoosting")(
                max_iter=spec.trees, max_depth=spec.max_depth, learning_rate=spec.learning_rate,
                early_stopping=False, random_state=spec.seed),
        }
        X, y = self._training(spec.family)
        return estimators[spec.family]().fit(X, y)

    def _training(self, family: str) -> tuple[Any, np.ndarray]:
        """The training (X, y): from the frame, or the CSR matrix as it is; HistGradientBoosting takes no sparse
        input, so the gbm densifies it (the run's data note says so: shapes.AS_CSR). Not said through `ran`:
        asking it would cost every phase of every sklearn run a round trip to the worker."""
        if self.csr is None:
            return self.frame[self.features].to_numpy(dtype=float), self.frame[self.target].to_numpy(dtype=float)
        X, y, _ = self.csr
        return (X.toarray() if family == "gbm" else X), y

    def predict(self, model: Any) -> np.ndarray:
        if self.csr is not None:
            X = self.csr[2]
            assert X is not None, "no test set loaded"
            X = X.toarray() if type(model).__name__.startswith("HistGradientBoosting") else X
        else:
            assert self.test is not None, "no test set loaded"
            X = self.test[self.features].to_numpy(dtype=float)
        return model.predict_proba(X)[:, 1] if hasattr(model, "predict_proba") else model.predict(X)

    def _fit(self, features: list[str], target: str, intercept: bool = True) -> tuple[Any, np.ndarray, np.ndarray]:
        X = self.frame[features].to_numpy(dtype=float)
        y = self.frame[target].to_numpy(dtype=float)
        return self._estimator("linear_model", "LinearRegression")(fit_intercept=intercept).fit(X, y), X, y

    def coefficients(self, features: list[str]) -> tuple[float, list[float]]:
        """LinearRegression's own fit (scipy's lstsq, with its `tol` as the singular-value cut-off); mlbench
        emulates standard errors and p-values from these estimates. Through the origin: `fit_intercept=False`
        (its `intercept_` is then 0.0)."""
        model, _, _ = self._fit(features, self.target, self.intercept)
        return float(model.intercept_), [float(c) for c in model.coef_]

    def rss(self, features: list[str]) -> float:
        model, X, y = self._fit(features, self.target, self.intercept)
        residuals = y - model.predict(X)
        return float(residuals @ residuals)

    def r_squared(self, features: list[str], target: str) -> float:
        """LinearRegression.score of the auxiliary regression: mlbench turns it into a VIF."""
        model, X, y = self._fit(features, target)
        return float(model.score(X, y))

    def subset(self, method: str, features: list[str], max_size: int) -> dict[int, list[str]]:
        """One SequentialFeatureSelector run, its path read off as it goes (see _recording_selector)."""
        if method not in ("forward", "backward"):
            raise UnsupportedStep(f"{self.name} has no native {method} subset search")
        X = self.frame[features].to_numpy(dtype=float)
        y = self.frame[self.target].to_numpy(dtype=float)
        p = len(features)
        in_sample = [(np.arange(len(y)), np.arange(len(y)))]
        steps_taken: list[int] = []
        selector = _recording_selector(steps_taken)(
            self._estimator("linear_model", "LinearRegression")(), direction=method,
            scoring="neg_mean_squared_error", cv=in_sample,
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


class SklearnDefaultAdapter(_SklearnBase):
    """scikit-learn's GLMs as most users run them: `LogisticRegression()` and `PoissonRegressor()` with every
    default, i.e. L2-penalised (C=1.0, alpha=1.0). Their estimates are a ridge estimator's, not the MLE, and
    the SEs people compute from them (pingouin #53) belong to that estimator: a row of its own, graded against
    the same MLE truth, so the cost of the default is measured. Only the GLM steps: the rest is `sklearn`'s."""

    name = "sklearn-default"
    glm_estimators = {"binomial": ("LogisticRegression", {}), "poisson": ("PoissonRegressor", {})}
    _SAME = "the sklearn adapter answers it: sklearn-default differs only in its penalised GLM defaults"
    capabilities = {
        "pvalues": Capability.unsupported(_SAME),
        "vif": Capability.unsupported(_SAME),
        "subset": Capability.unsupported(_SAME),
        "train": Capability.unsupported(_SAME),
        "deploy": Capability.unsupported(_SAME),
        "glm:binomial": Capability.emulated(f"LogisticRegression() (defaults: L2 penalty, C=1.0, {LBFGS}){NO_SE}",
                                            "penalised: a ridge estimate, not the MLE"),
        "glm:poisson": Capability.emulated(f"PoissonRegressor() (defaults: L2 penalty, alpha=1.0, {LBFGS}){NO_SE}",
                                           "penalised: a ridge estimate, not the MLE"),
    }


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
