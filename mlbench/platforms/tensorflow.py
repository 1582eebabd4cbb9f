"""TensorFlow: least squares by TensorFlow's own float64 solve, logistic regression by Newton steps in tf.linalg,
tree ensembles by YDF (the engine of TensorFlow Decision Forests); models deployed as SavedModel, TFLite, ONNX
(tf2onnx) and YDF's own format.

Statistics are emulated from TensorFlow's solves, as for scikit-learn: `tf.linalg.lstsq(A, y)` with TensorFlow's
defaults (`fast=True`: a Cholesky solve of the normal equations A'A, `l2_regularizer=0`), A the design with an
intercept column, all in float64; mlbench computes standard errors and p-values from its residuals. Squaring
the condition number is what `fast=True` costs, and the truth grade shows it on NIST's harder cases.

The session imports TensorFlow (and YDF when installed) and starts TensorFlow's runtime with its intra- and
inter-op thread pools pinned to `--cores`: that start belongs to `session`, not to the first fit.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from mlbench.adapter import Adapter, Capability, DataSource, GLMCoefficients, SessionOptions, TrainSpec
from mlbench.deploy import failures
from mlbench.errors import UnsupportedStep
from mlbench.platforms import frames

LSTSQ = "tf.linalg.lstsq(A, y) (TF defaults: fast=True, Cholesky of A'A), float64"
NEWTON_TOL = 1e-10  # relative change of the deviance that ends the Newton iterations of a GLM fit
NEWTON_MAX_ITER = 100
NEWTON = ("Newton-Raphson (IRLS, from R's starting values) in tf.linalg, float64, unpenalised; stops when the "
          f"deviance changes by less than {NEWTON_TOL:g} relative (at most {NEWTON_MAX_ITER} steps)")
YDF_SAVEDMODEL = ("ydf-tf, YDF's SavedModel exporter, requires the `tensorflow` distribution (the CUDA-capable "
                  "build), which would replace tensorflow-cpu; not installed")


class TensorFlowAdapter(Adapter):
    name = "tensorflow"
    distribution = "tensorflow-cpu"
    modules = ("tensorflow",)
    capabilities = {
        "pvalues": Capability.emulated(f"{LSTSQ} (through the origin: A = X, no column of ones); "
                                       "mlbench emulates SEs and p-values from its residuals"),
        "vif": Capability.emulated(f"auxiliary {LSTSQ} fits (R² of each feature on the others); VIF = 1/(1 - R²) "
                                   "by mlbench"),
        "subset:best": Capability.emulated("mlbench's branch and bound over tf.linalg.lstsq fits (RSS), within "
                                           "the budgets"),
        "subset:forward": Capability.emulated("forward stepwise by tf.linalg.lstsq fits"),
        "subset:backward": Capability.emulated("backward stepwise by tf.linalg.lstsq fits"),
        "train:linear": Capability.native(f"{LSTSQ}: least squares, no regularisation"),
        "glm:binomial": Capability.emulated(f"{NEWTON}, logit link; TensorFlow has no GLM inference in core: mlbench "
                                            "emulates SEs from X'WX at these estimates"),
        "glm:poisson": Capability.emulated(f"{NEWTON}, log link; TensorFlow has no GLM inference in core: mlbench "
                                           "emulates SEs from X'WX at these estimates"),
        "train:logistic": Capability.native(NEWTON),
        "train:random_forest": Capability.native("YDF RandomForestLearner (TensorFlow Decision Forests' engine)"),
        "train:gbm": Capability.native("YDF GradientBoostedTreesLearner (no early stopping, validation_ratio 0)"),
        "deploy": Capability.native("SavedModel (float64), TFLite (float32: TFLite has no float64 kernels), ONNX "
                                    "via tf2onnx (float64); YDF models in YDF's format"),
    }

    # ----- lifecycle -----------------------------------------------------------------------------------

    def start_session(self, options: SessionOptions) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ banner goes nowhere useful
        super().start_session(options)
        import tensorflow as tf

        cores = max(1, int(options.cores))
        with contextlib.suppress(RuntimeError):  # already set: the runtime of this process started before
            tf.config.threading.set_intra_op_parallelism_threads(cores)
            tf.config.threading.set_inter_op_parallelism_threads(cores)
        float(tf.reduce_sum(tf.constant([1.0, 2.0], dtype=tf.float64)))  # start the runtime and its thread pools
        with contextlib.suppress(ImportError):
            import ydf  # noqa: F401 - the tree learners' engine, imported with the platform

    def describe(self) -> dict[str, Any]:
        import tensorflow as tf

        facts: dict[str, Any] = {"intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads()}
        with contextlib.suppress(ImportError):
            import ydf

            facts["ydf_version"] = ydf.__version__
        return facts

    def load(self, source: DataSource) -> None:
        """pandas reads the Parquet file; the columns become float64 tensors (TensorFlow has no Parquet reader
        of its own outside tensorflow-io)."""
        import tensorflow as tf

        self.target, self.features = source.target, list(source.features)
        self.intercept = source.intercept  # False: the statistics steps' fits go through the origin
        self.frame, self.test = frames.read(source)
        self.columns = {name: tf.constant(self.frame[name].to_numpy(dtype=float), dtype=tf.float64)
                        for name in [*self.features, self.target]}
        self.test_x = (tf.constant(self.test[self.features].to_numpy(dtype=float), dtype=tf.float64)
                       if self.test is not None else None)

    # ----- statistics primitives -----------------------------------------------------------------------

    def _design(self, features: list[str], intercept: bool = True) -> Any:
        import tensorflow as tf

        y = self.columns[self.target]
        return tf.stack([*([tf.ones_like(y)] if intercept else []), *(self.columns[f] for f in features)], axis=1)

    def _lstsq(self, features: list[str], target: str, intercept: bool = True) -> tuple[Any, Any, Any]:
        """(beta, residuals, y) of TensorFlow's least-squares fit of `target` on `features` plus an intercept
        (without the column of ones when `intercept` is False: its own solve through the origin)."""
        import tensorflow as tf

        A, y = self._design(features, intercept), self.columns[target]
        beta = tf.linalg.lstsq(A, y[:, None])[:, 0]
        return beta, y - tf.linalg.matvec(A, beta), y

    def coefficients(self, features: list[str]) -> tuple[float, list[float]]:
        beta, _, _ = self._lstsq(features, self.target, self.intercept)
        values = beta.numpy()
        if not self.intercept:
            return 0.0, [float(v) for v in values]
        return float(values[0]), [float(v) for v in values[1:]]

    def rss(self, features: list[str]) -> float:
        import tensorflow as tf

        _, residuals, _ = self._lstsq(features, self.target, self.intercept)
        return float(tf.reduce_sum(residuals * residuals))

    def r_squared(self, features: list[str], target: str) -> float:
        import tensorflow as tf

        _, residuals, y = self._lstsq(features, target)
        centred = y - tf.reduce_mean(y)
        return float(1.0 - tf.reduce_sum(residuals * residuals) / tf.reduce_sum(centred * centred))

    # ----- training ------------------------------------------------------------------------------------

    def fit(self, spec: TrainSpec) -> Any:
        if spec.family == "linear":
            beta, _, _ = self._lstsq(self.features, self.target)
            return _LinearModel("linear", beta.numpy(), spec.task)
        if spec.family == "logistic":
            return _LinearModel("logistic", self._newton(self.features, "binomial")[0], spec.task)
        if spec.family in ("random_forest", "gbm"):
            return self._ydf(spec)
        raise UnsupportedStep(f"tensorflow cannot train {spec.family}")

    def glm_coefficients(self, features: list[str], family: str) -> GLMCoefficients:
        beta, iterations, converged, said = self._newton(features, family)
        return GLMCoefficients(intercept=float(beta[0]), coefficients=[float(b) for b in beta[1:]],
                               iterations=iterations, converged=converged, warnings=said)

    def _newton(self, features: list[str], family: str) -> tuple[np.ndarray, int, bool, list[str]]:
        """Unpenalised maximum likelihood by Newton-Raphson, every step a TensorFlow float64 solve: (estimates,
        steps taken, whether the deviance settled, what went wrong). For the canonical links (logit, log) Newton
        is IRLS; it starts where R's glm does (mu = (y + 1/2)/2, resp. y + 0.1), so a Poisson fit with large
        counts does not begin far from the answer. A singular X'WX (aliased columns, or weights underflowing on
        separated data) or a non-finite deviance stops it: the last estimates, converged False, and why."""
        import tensorflow as tf

        if family not in ("binomial", "poisson"):
            raise UnsupportedStep(f"tensorflow has no {family} GLM")
        A, y = self._design(features), self.columns[self.target]
        binomial = family == "binomial"

        def mean(eta: Any) -> Any:
            return tf.sigmoid(eta) if binomial else tf.exp(eta)

        def deviance(eta: Any) -> float:
            if binomial:
                return 2.0 * float(tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=eta)))
            mu = tf.exp(eta)
            return 2.0 * float(tf.reduce_sum(tf.math.xlogy(y, y / mu) - (y - mu)))

        mu = (y + 0.5) / 2.0 if binomial else y + 0.1
        eta = tf.math.log(mu / (1.0 - mu)) if binomial else tf.math.log(mu)
        beta = tf.zeros(A.shape[1], dtype=tf.float64)
        previous = np.inf
        for step in range(1, NEWTON_MAX_ITER + 1):
            weights = mu * (1.0 - mu) if binomial else mu  # the variance function: X'WX is the Hessian
            working = eta + (y - mu) / weights
            try:
                proposed = tf.linalg.solve(tf.linalg.matmul(A * weights[:, None], A, transpose_a=True),
                                           tf.linalg.matvec(A, weights * working, transpose_a=True)[:, None])[:, 0]
                problem = "" if bool(tf.reduce_all(tf.math.is_finite(proposed))) else "non-finite Newton step"
            except tf.errors.InvalidArgumentError as exc:
                problem = f"tf.linalg.solve: {exc.message}"
            if problem:  # the last estimates stand; a fit that never stepped (step 1) has none but zeros
                return np.asarray(beta.numpy(), dtype=float), step - 1, False, [f"{problem} at step {step}"]
            beta = proposed
            eta = tf.linalg.matvec(A, beta)
            mu = mean(eta)
            current = deviance(eta)
            if abs(previous - current) < NEWTON_TOL * (abs(current) + 0.1):
                return np.asarray(beta.numpy(), dtype=float), step, True, []
            previous = current
        return np.asarray(beta.numpy(), dtype=float), NEWTON_MAX_ITER, False, [
            f"no convergence in {NEWTON_MAX_ITER} Newton steps"]

    def _ydf(self, spec: TrainSpec) -> Any:
        try:
            import ydf
        except ImportError:
            raise UnsupportedStep("ydf is not installed (pip install 'mlbench[tensorflow]')") from None
        classify = spec.task == "classification"
        common = {"label": self.target, "task": ydf.Task.CLASSIFICATION if classify else ydf.Task.REGRESSION,
                  "num_trees": spec.trees, "max_depth": spec.max_depth, "random_seed": spec.seed,
                  "num_threads": spec.cores}
        if spec.family == "random_forest":
            learner = ydf.RandomForestLearner(**common)
        else:
            learner = ydf.GradientBoostedTreesLearner(**common, shrinkage=spec.learning_rate, validation_ratio=0.0,
                                                      early_stopping="NONE")
        frame = self.frame[[*self.features, self.target]]
        if classify:
            frame = frame.assign(**{self.target: frame[self.target].astype(int)})
        return learner.train(frame, verbose=0)

    def predict(self, model: Any) -> np.ndarray:
        assert self.test is not None and self.test_x is not None, "no test set loaded"
        if isinstance(model, _LinearModel):
            return model.predict(self.test_x)
        return np.asarray(model.predict(self.test[self.features]), dtype=float).ravel()

    # ----- deployment ----------------------------------------------------------------------------------

    def export(self, model: Any, directory: Path) -> dict[str, Any]:
        from mlbench.deploy.loaders import Artifact

        features = list(self.features)
        artifacts: list[Artifact] = []
        unavailable: dict[str, str] = {}
        tracebacks: dict[str, str] = {}
        if isinstance(model, _LinearModel):
            exporters = {"tf-savedmodel": model.save_savedmodel, "tflite": model.save_tflite,
                         "onnx": model.save_onnx}
            for kind, export in exporters.items():
                try:
                    artifacts.append(Artifact(kind, str(export(directory)), model.task, features))
                except Exception as exc:  # noqa: BLE001 - a converter gap is a finding, not a crash
                    failures.record(unavailable, tracebacks, kind, None, exc, model)
        else:
            path = directory / "ydf-model"
            model.save(str(path))
            task = "classification" if "CLASSIFICATION" in str(model.task()) else "regression"
            artifacts.append(Artifact("ydf", str(path), task, features))
            unavailable["tf-savedmodel"] = YDF_SAVEDMODEL
        for art in artifacts:
            art.write_meta()
        return {"artifacts": artifacts, "unavailable": unavailable, "tracebacks": tracebacks}


class _LinearModel:
    """A linear or logistic model fitted with TensorFlow: its coefficients (intercept first), predicted and
    exported as TensorFlow graphs."""

    def __init__(self, family: str, beta: np.ndarray, task: str) -> None:
        self.family, self.beta, self.task = family, beta, task

    def _function(self, dtype: Any) -> Any:
        import tensorflow as tf

        values, logistic = self.beta, self.family == "logistic"

        def score(x: Any) -> Any:
            beta = tf.constant(values, dtype=dtype)  # created inside: a constant of the graph, not a captured input
            eta = beta[0] + tf.linalg.matvec(x, beta[1:])
            return tf.sigmoid(eta) if logistic else eta

        return tf.function(score)

    def predict(self, x: Any) -> np.ndarray:
        import tensorflow as tf

        return np.asarray(self._function(tf.float64)(x).numpy(), dtype=float)

    def _signature(self, dtype: Any) -> Any:
        import tensorflow as tf

        return tf.TensorSpec([None, len(self.beta) - 1], dtype, name="x")

    def save_savedmodel(self, directory: Path) -> Path:
        import tensorflow as tf

        module = tf.Module()
        module.score = self._function(tf.float64)
        concrete = module.score.get_concrete_function(self._signature(tf.float64))
        path = directory / "savedmodel"
        tf.saved_model.save(module, str(path), signatures={"serving_default": concrete})
        return path

    def save_tflite(self, directory: Path) -> Path:
        import tensorflow as tf

        function = self._function(tf.float32)
        converter = tf.lite.TFLiteConverter.from_concrete_functions(
            [function.get_concrete_function(self._signature(tf.float32))], function)
        path = directory / "model.tflite"
        path.write_bytes(converter.convert())
        return path

    def save_onnx(self, directory: Path) -> Path:
        import tensorflow as tf
        import tf2onnx

        path = directory / "model.onnx"
        tf2onnx.convert.from_function(self._function(tf.float64), input_signature=[self._signature(tf.float64)],
                                      opset=17, output_path=str(path))
        return path
