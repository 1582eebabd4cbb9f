"""H2O: OLS p-values, VIFs, subset searches and binomial/Poisson GLM inference from H2O's own GLM and ModelSelection,
on a local or remote cluster.

Session: either a local single-node cluster that this adapter starts (and shuts down) itself, bound to loopback,
with its ice root and logs inside the run directory, or an existing cluster given by URL (`h2o.connect`, never
`h2o.init(url=...)`, which starts a local JVM when the versions differ) that is left running. Starting, joining,
shutting down and leaving the cluster live in `mlbench.platforms.h2o_cluster`; this module is the adapter.

H2O's Python client prints to stdout (version-age warnings, connection messages, progress bars) even with
`verbose=False`; every platform call here runs with Python's stdout and stderr redirected to the run's platform
log, so nothing reaches `mlbench --json`'s stdout. The JVM's own stdout/stderr go to files under the run dir.

Every statistic comes from what H2O reports: coefficients, standard errors, t and p values from the GLM's
coefficients table; RSS and TSS from its residual and null deviance (gaussian family); degrees of freedom and
row count from its training metrics. Nothing is recomputed from data pulled into Python.

GLMs (binomial/logit, Poisson/log) are the same GLM with what a user must set for unpenalised inference and
nothing else: H2O standardizes the predictors by default and reports coefficients de-standardized; its standard
errors are computed after the fit from X'WX rebuilt on the original (non-standardized) predictors at the final
coefficients (GLM.java, `if (_parms._compute_p_values)`, 3.46.0.11), so they are on the coefficients' scale and
at H2O's estimate - not at the previous IRLS iterate as R's `glm` reports them. H2O stops when the largest change
of a standardized coefficient is < beta_epsilon (1e-4) or the relative objective improvement is < 1e-6 (the
lambda = 0 default of objective_epsilon; ComputationState.converged), at most 50 iterations.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

import numpy as np

from mlbench.adapter import Adapter, Capability, DataSource, GLMFit, OLSFit, SessionOptions, TrainSpec
from mlbench.errors import UnsupportedStep
from mlbench.platforms.h2o_cluster import H2OCluster
from mlbench.platforms.h2o_frames import read_frame
from mlbench.procs import close_log, open_log
from mlbench.stats.ols import finished_fit, intercept_only

# H2O's refusals, by the text of its Java exceptions: (pattern, the condition in words)
_REFUSALS = (
    (re.compile(r"Found collinear columns \[([^\]]*)\]"),
     "its GLM found exactly collinear columns [{0}] and computes no p-values with them (its VIF and backward "
     "elimination need them)"),
    (re.compile(r"duplicated predictors\.\s+After removal, reduce your max_predictor_number to (\d+)"),
     "ModelSelection found duplicated (exactly collinear) predictors and searches at most {0} once they are "
     "removed"),
)


ORIGIN_NO_PVALUES = ("H2O computes no p-values for a GLM fitted through the origin (intercept=False with "
                     "compute_p_values=True: H2O's IRLSM raises 'unimplemented'), so it cannot answer this model")

class H2OAdapter(Adapter):
    name = "h2o"
    distribution = "h2o"
    modules = ("h2o",)
    needs_java = True
    # maxrsweep is H2O's fast sequential-replacement search; "allsubsets" is exact but took 491 s for sizes
    # up to 6 on Hitters (2 cores), so it is never the default and must never run unbounded.
    best_subset_mode: ClassVar[str] = "maxrsweep"
    capabilities = {
        "pvalues": Capability.native(
            "H2O GLM gaussian, lambda_=0, solver IRLSM, compute_p_values=True, remove_collinear_columns=True "
            "(t-based p-values, dispersion estimated); none through the origin (H2O computes no p-values "
            "without an intercept)"
        ),
        "vif": Capability.native(
            "H2O GLM generate_variable_inflation_factors=True",
            "H2O computes VIFs for numeric predictors only (a factor column gets none); mlbench's design matrix "
            "is already dummy-coded numeric, so every column, dummies included, gets its VIF. On exactly "
            "collinear predictors H2O fails (CollinearColumnsException) where R reports an infinite VIF",
        ),
        "subset:best": Capability.native(
            "H2OModelSelectionEstimator mode='maxrsweep' (sequential replacement: a heuristic, not exhaustive)",
            "maxrsweep is fast but not guaranteed to find the best subset at every size (on Hitters it misses "
            "sizes 7, 9 and 10); the exact mode 'allsubsets' took 491 s on Hitters and is not used",
        ),
        "subset:backward": Capability.native("H2OModelSelectionEstimator mode='backward' (min_predictor_number=1)",
                                             tests_coefficients=True),  # it drops the smallest |z|
        "subset:forward": Capability.emulated(
            "forward stepwise driven by mlbench: one H2O GLM fit (residual deviance = RSS) per candidate",
            "H2O's ModelSelection has no forward mode",
        ),
        "glm:binomial": Capability.native(
            "H2OGeneralizedLinearEstimator(family='binomial', lambda_=0, compute_p_values=True, solver='IRLSM', "
            "remove_collinear_columns=True), the 0/1 target made a factor (asfactor) for the fit",
            "standardize=True (H2O's default) kept: estimates and SEs come de-standardized, SEs at the final "
            "estimate; stops on max |change| of a standardized coefficient < 1e-4 or relative objective change "
            "< 1e-6, so ~6-10 digits; no covariance (H2O's model output does not expose its vcov)",
        ),
        "glm:poisson": Capability.native(
            "H2OGeneralizedLinearEstimator(family='poisson', lambda_=0, compute_p_values=True, solver='IRLSM', "
            "remove_collinear_columns=True)",
            "stopping and standardization as for binomial; no covariance",
        ),
        "train:linear": Capability.native("H2O GLM family='gaussian', lambda_=0"),
        "train:logistic": Capability.native("H2O GLM family='binomial', lambda_=0"),
        "train:random_forest": Capability.native("H2ORandomForestEstimator (ntrees, max_depth, seed)"),
        "train:gbm": Capability.native("H2OGradientBoostingEstimator (ntrees, max_depth, learn_rate, seed)"),
        "deploy": Capability.native(
            "MOJO (h2o-genmodel.jar), scored by mojo_predict_pandas (a JVM per call) and by one long-lived JVM"
        ),
    }

    def __init__(self) -> None:
        self._log: IO[str] | None = None
        self._cluster: H2OCluster | None = None  # the session's cluster: started by us, or joined by URL
        self._closed = False
        self._facts: dict[str, Any] = {}
        self._prefix = "mlbench"  # every key we create in the cluster starts with this (set per session)
        self._fits = 0
        self.frame: Any = None
        self.test: Any = None  # train units: the test frame that `predict` scores
        self._task: str | None = None  # the loaded source's task: "classification" means a factor target
        self._factor_frame: Any = None  # the frame with the numeric 0/1 target as a factor, for binomial GLMs

    @classmethod
    def fixed_cores(cls, options: SessionOptions) -> str | None:
        """A cluster joined by URL keeps the nthreads its nodes started with (h2o.init's nthreads only reaches a
        cluster it starts)."""
        from mlbench.sanitize import redact

        return f"fixed by the cluster at {redact(options.h2o_url)}" if options.h2o_url else None

    # ----- plumbing ------------------------------------------------------------------------------------

    @staticmethod
    @contextlib.contextmanager
    def _refusals(what: str) -> Iterator[None]:
        """H2O's refusals (a Java exception's text, naming flags mlbench does not set) as one line saying what
        H2O refused and the condition it found."""
        try:
            yield
        except Exception as exc:
            text = str(exc)
            for pattern, message in _REFUSALS:
                found = pattern.search(text)
                if found:
                    raise RuntimeError(f"H2O refused the {what}: " + message.format(*found.groups())) from None
            raise

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        """Send whatever the h2o client prints to the platform log instead of the terminal."""
        if self._log is None:
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                yield
            return
        try:
            with contextlib.redirect_stdout(self._log), contextlib.redirect_stderr(self._log):
                yield
        finally:
            self._log.flush()

    # ----- lifecycle -----------------------------------------------------------------------------------

    def start_session(self, options: SessionOptions) -> None:
        os.environ["DO_NOT_TRACK"] = "1"  # before h2o is imported and before the JVM inherits the environment
        super().start_session(options)  # imports h2o: a cold import is charged to the session phase
        import h2o

        self._log = open_log(options.log_path or options.run_dir / "platform.log", text=True)
        self._closed, self._facts = False, {}
        self._prefix = f"mlbench_{uuid.uuid4().hex[:12]}"
        cluster = self._cluster = H2OCluster(self._prefix)  # set first: close() must find a half-started JVM
        try:
            with self._quiet():
                if options.h2o_url:
                    from mlbench.adapter import require_reachable  # only a remote cluster is checked first

                    require_reachable(options.h2o_url, "H2O cluster")
                    cluster.connect(options.h2o_url)
                else:
                    cluster.start_local(options)
                h2o.no_progress()
                self._facts = cluster.describe()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Shut down the cluster we started (and make sure its JVM is gone), or just leave one we joined."""
        if self._closed:
            return
        self._closed = True
        cluster, self._cluster = self._cluster, None
        try:
            if cluster is not None:
                with self._quiet():
                    cluster.close()
        finally:
            self.frame = self.test = self._factor_frame = None
            close_log(self._log)
            self._log = None

    def describe(self) -> dict[str, Any]:
        return dict(self._facts)

    def liveness(self) -> str | None:
        cluster = self._cluster
        return cluster.liveness() if cluster is not None else None

    # ----- data ----------------------------------------------------------------------------------------

    def load(self, source: DataSource) -> None:
        """H2O's own parallel reader on the run's Parquet file; the CSV if Parquet fails; an upload as a last
        resort (a remote cluster cannot see our files). A train unit's test file is read the same way, and for
        classification the target becomes a factor in both frames here, so the conversion is timed as load."""
        import h2o

        self.target, self.features = source.target, list(source.features)
        self.intercept = source.intercept  # False: the statistics steps' fits go through the origin
        with self._quiet():
            for old in (self.frame, self.test, self._factor_frame):  # a second load replaces the first's frames
                if old is not None:
                    with contextlib.suppress(Exception):
                        h2o.remove(old)
            self.frame = self.test = self._factor_frame = None
            self._task = source.task
            self._facts.pop("test_reader", None)
            # a key of our own: the default key comes from the file name, the same "design" for every run, so
            # two runs sharing a cluster would overwrite (and on close remove) each other's frames. H2O keys
            # allow letters, digits and -._~ only; dataset names such as "synthetic-regression:n=10000" do not
            key = f"{self._prefix}_{re.sub(r'[^A-Za-z0-9._~-]', '_', source.name)}"
            columns = [*source.features, source.target]
            factor = source.target if source.task == "classification" else None
            self.frame, self._facts["reader"] = read_frame(
                key, source.parquet_path, source.csv_path, columns, source.n_rows, factor)
            if source.test_parquet_path is not None:
                try:
                    self.test, self._facts["test_reader"] = read_frame(
                        f"{key}_test", source.test_parquet_path, source.test_csv_path, columns, None, factor)
                except BaseException:  # a unit without its test set is a failed load: leave nothing behind
                    with contextlib.suppress(Exception):
                        h2o.remove(self.frame)
                    self.frame = None
                    raise

    # ----- fits ----------------------------------------------------------------------------------------

    def _model_id(self, kind: str) -> str:
        self._fits += 1
        return f"{self._prefix}_{kind}_{self._fits}"

    def _glm(self, features: list[str], family: str = "gaussian", **params: Any) -> Any:
        """One unpenalised H2O GLM (lambda_=0, IRLSM, collinear columns removed), everything else H2O's default."""
        from h2o.estimators import H2OGeneralizedLinearEstimator

        model = H2OGeneralizedLinearEstimator(
            model_id=self._model_id("glm"), family=family, lambda_=0, solver="IRLSM",
            **{"remove_collinear_columns": True, **params},
        )
        frame = self._binomial_frame() if family == "binomial" else self.frame
        model.train(x=list(features), y=self.target, training_frame=frame)
        return model

    def _binomial_frame(self) -> Any:
        """The loaded frame with its 0/1 target as a factor (H2O fits a binomial GLM only on one), made once per
        load under a key of ours and kept for the next fits; statistics data keeps its numeric target."""
        import h2o

        if self._task == "classification":
            return self.frame  # load made the target a factor already
        if self._factor_frame is None:
            key = f"{self._prefix}_binomial_{self._fits}"
            frame = h2o.deep_copy(self.frame, key)  # a slice would share (and convert) the loaded frame
            frame[self.target] = frame[self.target].asfactor()
            frame = h2o.assign(frame, key)
            levels = frame[self.target].levels()[0]
            if levels != ["0", "1"]:
                h2o.remove(frame)
                raise RuntimeError(f"a binomial GLM needs a 0/1 target; H2O reads {self.target!r} as the levels "
                                   f"{levels[:5]}")
            self._factor_frame = frame
        return self._factor_frame

    @staticmethod
    def _coefficients(output: dict[str, Any], features: list[str]) -> tuple[dict, list[str], list[str]]:
        """(rows, terms, aliased) from a GLM's coefficients table: term -> (estimate, SE, z, p). The table's
        coefficients are de-standardized by H2O (standardize=True is its default). remove_collinear_columns keeps
        a dropped column in the table with coefficient 0 and NaN statistics; ignore_const_cols leaves a constant
        column out of it altogether: both are R's aliased (NA) terms."""
        table = output["coefficients_table"]
        rows = {
            str(name): (float(coef), float(se), float(z), float(p))
            for name, coef, se, z, p in zip(
                table["names"], table["coefficients"], table["std_error"], table["z_value"], table["p_value"],
                strict=True,
            )
        }
        aliased = [t for t in ["Intercept", *features] if t not in rows or math.isnan(rows[t][1])]
        return rows, [t for t in ["Intercept", *features] if t not in aliased], aliased

    @staticmethod
    def _drop(model: Any) -> None:
        """Remove a fitted model from the cluster (fits would pile up over a subset search)."""
        import h2o

        with contextlib.suppress(Exception):
            h2o.remove(model)  # cascade: its training metrics too

    def _origin(self) -> dict[str, Any]:
        """The GLM parameters of a fit through the origin: `intercept=False`, which H2O refuses together with
        `remove_collinear_columns` ("not supported without intercept"), and `standardize=False`: with H2O's
        default standardisation an `intercept=False` GLM still fits an intercept (measured on NoInt1, H2O 3.46:
        intercept -65, slope 1, where y = 2.0744·x is the fit through 0)."""
        if self.intercept:
            return {}
        return {"intercept": False, "remove_collinear_columns": False, "standardize": False}

    def ols(self, features: list[str]) -> OLSFit:
        """H2O's GLM (gaussian, lambda 0, IRLSM) with p-values. Not through the origin: H2O computes no p-values
        for an `intercept=False` GLM (its IRLSM raises "unimplemented"), so that cell is unsupported, not answered
        with another model."""
        if not self.intercept:
            raise UnsupportedStep(ORIGIN_NO_PVALUES)
        if not features:
            return self._intercept_only()
        with self._quiet():
            model = self._glm(features, compute_p_values=True)
            try:
                output = model._model_json["output"]
                metrics = output["training_metrics"]._metric_json
            finally:
                self._drop(model)
        rows, terms, aliased = self._coefficients(output, features)
        rss = float(metrics["residual_deviance"])  # gaussian deviance = residual sum of squares
        tss = float(metrics["null_deviance"])
        n = int(metrics["nobs"])
        df_resid = int(metrics["residual_degrees_of_freedom"])
        df_model = int(metrics["null_degrees_of_freedom"]) - df_resid
        # rows[t]: estimate, std. error, t (H2O labels it z_value; for gaussian it is t-based), p-value
        return finished_fit(terms, *([rows[t][i] for t in terms] for i in range(4)), rss=rss, tss=tss, n=n,
                            df_model=df_model, df_resid=df_resid, aliased=aliased)

    def glm(self, features: list[str], family: str) -> GLMFit:
        """H2O's GLM with p-values (binomial: logit link, poisson: log link, H2O's defaults). Its warnings (a job
        warning such as "Reached maximum number of iterations 50!") are recorded, not shown; H2O has no convergence
        flag, so `converged` is False exactly when it warns that it reached max_iterations (GLM.java), else True."""
        if family not in ("binomial", "poisson"):
            raise UnsupportedStep(f"H2O GLM: no {family!r} family here (gaussian is the OLS step)")
        if not features:  # H2O's GLM refuses an empty predictor list
            raise UnsupportedStep("H2O's GLM refuses an empty predictor list (the intercept-only model)")
        with self._quiet(), self._refusals(f"{family} GLM"), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = self._glm(features, family, compute_p_values=True)
            try:
                output = model._model_json["output"]
                metrics = output["training_metrics"]._metric_json  # AIC: R's for binomial, 3.9 off on Bikeshare
                iterations = int(output["model_summary"]["number_of_iterations"][0])
            finally:
                self._drop(model)
        said = [str(w.message) for w in caught]
        rows, terms, aliased = self._coefficients(output, features)
        return GLMFit(
            family=family,
            terms=terms,
            estimate=[rows[t][0] for t in terms],
            std_error=[rows[t][1] for t in terms],
            z_value=[rows[t][2] for t in terms],
            p_value=[rows[t][3] for t in terms],
            deviance=float(metrics["residual_deviance"]),
            null_deviance=float(metrics["null_deviance"]),
            aic=float(metrics["AIC"]),
            df_resid=int(metrics["residual_degrees_of_freedom"]),
            n_obs=int(metrics["nobs"]),
            iterations=iterations,
            converged=not any("maximum number of iterations" in m for m in said),
            warnings=said,
            aliased=aliased,
            covariance=None,  # H2O computes it (GLMModel vcov) but its model output does not expose it
        )

    def _target_summary(self) -> tuple[int, float, float]:
        """n, mean and total sum of squares of the target, from H2O's own column summary."""
        with self._quiet():
            column = self.frame[self.target]
            n = int(self.frame.nrows)
            return n, float(column.mean()[0]), float(column.var()) * (n - 1)

    def _intercept_only(self) -> OLSFit:
        """The model with no predictors (backward elimination can end there). H2O's GLM refuses an empty
        predictor list, so this one fit is emulated: H2O's own mean and variance of the target, finished into the
        t test of the mean by mlbench.stats."""
        return intercept_only(*self._target_summary())

    def rss(self, features: list[str]) -> float:
        with self._quiet():
            if not features:  # H2O's GLM refuses an empty predictor list
                return self._target_summary()[2]
            model = self._glm(features, compute_p_values=False, **self._origin())
            try:
                return float(model._model_json["output"]["training_metrics"]._metric_json["residual_deviance"])
            finally:
                self._drop(model)

    def vif(self, features: list[str]) -> dict[str, float]:
        with self._quiet(), self._refusals("VIF"):
            model = self._glm(features, generate_variable_inflation_factors=True)
            try:
                values = model.get_variable_inflation_factors() or {}
            finally:
                self._drop(model)
        return {f: float(values[f]) if values.get(f) is not None else math.nan for f in features}

    def subset(self, method: str, features: list[str], max_size: int) -> dict[int, list[str]]:
        """H2O's ModelSelection: `best` by maxrsweep (a heuristic), `backward` by its backward mode."""
        from h2o.estimators import H2OModelSelectionEstimator

        if method == "best":
            params: dict[str, Any] = {"mode": self.best_subset_mode, "max_predictor_number": int(max_size)}
        elif method == "backward":
            params = {"mode": "backward", "min_predictor_number": 1}
        else:
            raise UnsupportedStep(f"H2O ModelSelection has no {method!r} mode")
        with self._quiet(), self._refusals(f"{method} subset search"):
            model = H2OModelSelectionEstimator(model_id=self._model_id("selection"), **params)
            before = self._keys()
            try:
                model.train(x=list(features), y=self.target, training_frame=self.frame)
            except Exception:  # a refused search leaves its half-built models in the cluster: remove them
                self._remove_new(before, (str(model.model_id), "GLM_model_"))
                raise
            try:
                subsets = model.get_best_model_predictors() or []
            finally:
                self._drop_selection(model)
        known = set(features)
        out: dict[int, list[str]] = {}
        for chosen in subsets:
            names = [str(c) for c in chosen]
            unknown = [c for c in names if c not in known]
            if unknown:  # e.g. a factor named by its column, not its level: never guess a mapping
                raise RuntimeError(f"H2O returned predictors that are not design columns: {unknown}")
            if 1 <= len(names) <= max_size:
                out[len(names)] = [f for f in features if f in names]  # design order
        return dict(sorted(out.items()))

    @staticmethod
    def _keys() -> set[str]:
        import h2o

        with contextlib.suppress(Exception):
            return {str(k) for k in h2o.ls()["key"]}
        return set()

    def _remove_new(self, before: set[str], prefixes: tuple[str, ...]) -> None:
        """Remove the keys with these prefixes that appeared since `before` (what a failed train left behind)."""
        import h2o

        for key in self._keys() - before:
            if key.startswith(prefixes):
                with contextlib.suppress(Exception):
                    h2o.remove(key)

    def _drop_selection(self, model: Any) -> None:
        """Remove the selection model and the per-size GLMs it built."""
        import h2o

        model_ids = (getattr(model, "_model_json", None) or {}).get("output", {}).get("best_model_ids") or []
        for entry in model_ids:
            key = entry.get("name") if isinstance(entry, dict) else entry
            if key:
                with contextlib.suppress(Exception):
                    h2o.remove(str(key))
        self._drop(model)

    # ----- training --------------------------------------------------------------------------------------

    def fit(self, spec: TrainSpec) -> Any:
        """Train on the loaded frame; the model stays on the cluster until `release` (after predict and export).
        The cluster's thread count is the session's `cores`, so spec.cores needs no per-model setting."""
        from h2o.estimators import (
            H2OGeneralizedLinearEstimator,
            H2OGradientBoostingEstimator,
            H2ORandomForestEstimator,
        )

        if self.frame is None:
            raise RuntimeError("no training data loaded")
        if (spec.task == "classification") != (self._task == "classification"):
            # H2O decides classification vs regression by the target's type, which load set from the source
            raise RuntimeError(f"a {spec.task} model on data loaded for {self._task or 'statistics'}: the target "
                               "is a factor exactly when the data's task is classification")
        trees = {"ntrees": spec.trees, "max_depth": spec.max_depth, "seed": spec.seed}
        builders: dict[str, Callable[[str], Any]] = {
            "linear": lambda key: H2OGeneralizedLinearEstimator(model_id=key, family="gaussian", lambda_=0),
            "logistic": lambda key: H2OGeneralizedLinearEstimator(model_id=key, family="binomial", lambda_=0),
            "random_forest": lambda key: H2ORandomForestEstimator(model_id=key, **trees),
            "gbm": lambda key: H2OGradientBoostingEstimator(model_id=key, learn_rate=spec.learning_rate, **trees),
        }
        if spec.family not in builders:
            raise UnsupportedStep(f"h2o cannot train {spec.family}")
        key = self._model_id(spec.family)
        with self._quiet():
            model = builders[spec.family](key)
            try:
                model.train(x=list(self.features), y=self.target, training_frame=self.frame)
            except BaseException:
                self._drop(key)  # a failed build can still leave its key behind
                raise
        return model

    def predict(self, model: Any) -> np.ndarray:
        """Score the test frame on the cluster and bring back only the prediction column: P(y = 1) ("p1") for
        classification, "predict" for regression. Every frame made here is removed after; the model stays on the
        cluster for `export` until the runner calls `release`."""
        import h2o
        from h2o.exceptions import H2ODependencyWarning

        column = "p1" if self._task == "classification" else "predict"
        predictions = picked = None
        try:
            if self.test is None:
                raise RuntimeError("no test set loaded")
            with self._quiet(), warnings.catch_warnings():
                # as_data_frame suggests polars for speed on every call; one column needs no multi-threading
                warnings.simplefilter("ignore", H2ODependencyWarning)
                predictions = model.predict(self.test)
                if column not in predictions.columns:
                    raise RuntimeError(f"H2O's predictions have no {column!r} column: {predictions.columns}")
                picked = predictions[column]
                values = picked.as_data_frame(use_pandas=True)[column].to_numpy(dtype=float)
        finally:
            with self._quiet():
                for frame in (picked, predictions):
                    if frame is not None:
                        with contextlib.suppress(Exception):
                            h2o.remove(frame)
        return values

    def export(self, model: Any, directory: Path) -> dict[str, Any]:
        """The model's MOJO and the cluster's h2o-genmodel.jar, downloaded into `directory`, as two artifacts:
        one scored by h2o.mojo_predict_pandas (a JVM per call), one (a copy of the zip, so each has its own
        meta file) by one long-lived JVM, whose small server is compiled here once (it needs javac). The jar
        is shipped for whoever deploys the folder; mlbench scores with the installed package's (mojo_jvm.py)."""
        from mlbench.deploy import mojo_jvm
        from mlbench.deploy.loaders import Artifact

        category = str(model._model_json["output"]["model_category"])
        tasks = {"Binomial": "classification", "Regression": "regression"}
        if category not in tasks:  # mlbench's targets are 0/1 or numeric: anything else is a bug upstream
            raise RuntimeError(f"cannot export a {category} model: mlbench scores binomial and regression models")
        task = tasks[category]
        directory.mkdir(parents=True, exist_ok=True)
        with self._quiet():
            downloaded = Path(model.download_mojo(path=str(directory), get_genmodel_jar=True))
        jar = directory / "h2o-genmodel.jar"
        if not downloaded.is_file() or not jar.is_file():
            raise RuntimeError(f"H2O's MOJO download left no {downloaded.name} or {jar.name} in {directory}")
        mojo = downloaded.replace(directory / "model.zip")
        features = list(self.features)
        extra = {"genmodel_jar": str(jar)}
        artifacts = [Artifact("h2o-mojo-pandas", str(mojo), task, features, extra=dict(extra))]
        unavailable = {"pojo": "POJO not measured: MOJO supersedes POJO for scoring."}
        try:
            mojo_jvm.compile_server(mojo_jvm.installed_genmodel_jar())
        except mojo_jvm.MojoJvmError as exc:
            unavailable["h2o-mojo-jvm"] = str(exc)
        else:
            copy = directory / "model-jvm.zip"
            shutil.copyfile(mojo, copy)
            artifacts.append(Artifact("h2o-mojo-jvm", str(copy), task, features, extra=dict(extra)))
        for art in artifacts:
            art.write_meta()
        return {"artifacts": artifacts, "unavailable": unavailable}

    def release(self, model: Any) -> None:
        """Remove a trained model from the cluster once the runner is done with it (after predict and export)."""
        with self._quiet():
            self._drop(model)
