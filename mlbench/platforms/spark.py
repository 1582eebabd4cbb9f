"""Spark ML: OLS inference natively (LinearRegression with the normal-equation solver), binomial and Poisson GLM
inference natively (GeneralizedLinearRegression, IRLS); VIF and subsets emulated; training (linear, logistic, random
forest, GBM) natively with Spark ML's estimators.

Every number comes from a Spark fit on the cached DataFrame that Spark's own Parquet reader loaded; nothing
collects the data to the driver. Spark's training summary lists coefficient standard errors, t and p values
with the intercept LAST; they are reordered here to mlbench's `Intercept`-first terms. p-values smaller than
~1e-16 come out as exactly 0 (Spark computes 1 - cdf); they are kept as Spark reports them.

GLMs run with GeneralizedLinearRegression's defaults (IRLS, tol 1e-6, maxIter 25, regParam 0). Spark's IRLS stops
when the largest absolute change of a coefficient or the intercept (original scale) is below tol
(IterativelyReweightedLeastSquares.scala), and its standard errors are those of the last weighted least squares
solve, i.e. with the weights of the previous iterate, as R's `glm` reports them. Spark has no convergence flag: its
loop ends early only on convergence, so fewer iterations than maxIter means converged; at maxIter it cannot tell.

The driver JVM is started by this adapter with its stdout and stderr sent to the run's platform log (and
log4j at WARN), so nothing the JVM prints can reach mlbench's own stdout (`--json`). `close()` stops the
session, shuts the py4j gateway down and waits for the driver JVM to exit, so another session can start in
the same Python process (the generic stopping is `mlbench.procs.stop`).

Training: `load` reads the training file (and the test file, when the unit has one) with Spark's Parquet reader,
assembles the feature vector (VectorAssembler) for both, caches and counts them, so reading and assembling are
charged to `load` and `fit` times the estimator alone. `predict` transforms the cached test frame and brings back
one column through Arrow: P(y = 1) (the second element of `probability`) or `prediction`. A single-file Parquet
read, a row-wise transform and a select keep the file's row order (no shuffle; partitions come back in order).
Each load unpersists the frames the previous load cached.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import warnings
from pathlib import Path
from typing import IO, Any

import numpy as np

from mlbench import procs
from mlbench.adapter import Adapter, Capability, DataSource, GLMFit, OLSFit, SessionOptions, TrainSpec
from mlbench.deploy import failures
from mlbench.errors import UnsupportedStep
from mlbench.stats.ols import f_statistic, no_predictors

_FEATURES_COL = "__mlbench_features"  # OLS fits: assembled per fit from the features asked for
_TRAIN_FEATURES_COL = "__mlbench_train_features"  # training: assembled once in `load`, all features
_PREDICTION_COL = "__mlbench_prediction"
_PROBABILITY_COL = "__mlbench_probability"
_RAW_PREDICTION_COL = "__mlbench_raw_prediction"
_JVM_EXIT_TIMEOUT_S = 15.0  # the driver exits by itself once its stdin closes; stopped after this long
_JVM_KILL_GRACE_S = 5.0
_GLM_LINKS = {"binomial": "logit", "poisson": "log"}
EXECUTORS_TIMEOUT = 120.0  # a sized standalone application waits this long for its executors to register


def _sized(options: SessionOptions) -> bool:
    """Whether this session sizes a standalone cluster's application: a spark:// master and --cores given."""
    return bool(options.cores_given and options.spark_master and options.spark_master.startswith("spark://"))

_LOG4J2 = """\
# Written by mlbench: the Spark driver logs at WARN to stderr, which mlbench sends to the run's platform log.
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
# "regParam is zero, which might cause numerical instability": OLS is what mlbench asks for, on every fit.
logger.instrumentation.name = org.apache.spark.ml.util.Instrumentation
logger.instrumentation.level = error
logger.jetty.name = org.sparkproject.jetty
logger.jetty.level = warn
logger.parquet.name = org.apache.parquet.CorruptStatistics
logger.parquet.level = error
"""


class SparkAdapter(Adapter):
    name = "spark"
    distribution = "pyspark"
    modules = ("pyspark",)
    session_imports = (
        "pyspark.sql", "pyspark.ml.feature", "pyspark.ml.regression", "pyspark.ml.classification",
        "pyspark.ml.functions",
    )
    needs_java = True
    capabilities = {
        "pvalues": Capability.native(
            "LinearRegression(solver='normal') training summary: coefficientStandardErrors, tValues, pValues "
            "(through the origin fitIntercept=False)",
            "p-values below ~1e-16 underflow to exactly 0 in Spark",
        ),
        "vif": Capability.emulated(
            "auxiliary Spark LinearRegression fits (summary.r2 of each feature on the others); "
            "VIF = 1/(1-R²) by mlbench"
        ),
        "subset:forward": Capability.emulated("mlbench's forward search over Spark LinearRegression fits (RSS)"),
        "subset:backward": Capability.emulated("mlbench's backward search over Spark LinearRegression fits (RSS)"),
        "subset:best": Capability.emulated(
            "mlbench's branch and bound over Spark LinearRegression fits (RSS)",
            "each bound and candidate is one Spark fit (~0.14 s): 4202 fits for Hitters, within the budgets",
        ),
        "glm:binomial": Capability.native(
            "GeneralizedLinearRegression(family='binomial', link='logit') (defaults: irls, tol 1e-6, maxIter 25, "
            "regParam 0): summary coefficientStandardErrors, tValues, pValues, deviance, nullDeviance, aic",
            "stops on an absolute coefficient change < 1e-6; SEs from the last IRLS solve (previous iterate's "
            "weights, as R); no convergence flag (converged = fewer iterations than maxIter); p below ~1e-16 is 0",
        ),
        "glm:poisson": Capability.native(
            "GeneralizedLinearRegression(family='poisson', link='log') (defaults: irls, tol 1e-6, maxIter 25, "
            "regParam 0): summary coefficientStandardErrors, tValues, pValues, deviance, nullDeviance, aic",
            "as for binomial",
        ),
        "deploy": Capability.native(
            "PipelineModel (needs Spark + a JVM to load); ONNX via onnxmltools where it converts"),
        "train:linear": Capability.native("LinearRegression(regParam=0)"),
        "train:logistic": Capability.native("LogisticRegression(regParam=0)"),
        "train:random_forest": Capability.native(
            "RandomForestClassifier/Regressor(numTrees, maxDepth, seed)",
            "Spark defaults: maxBins=32, featureSubsetStrategy=auto (sqrt(p) classification, p/3 regression)",
        ),
        "train:gbm": Capability.native(
            "GBTClassifier/GBTRegressor(maxIter=trees, maxDepth, stepSize=learning_rate, seed)",
            "Spark defaults: maxBins=32, subsamplingRate=1",
        ),
    }

    def __init__(self) -> None:
        self._spark: Any = None
        self._sc: Any = None
        self._gateway: Any = None
        self._jvm_proc: subprocess.Popen[bytes] | None = None
        self._jvm_pids: list[tuple[int, float]] = []  # (pid, create_time) of the driver JVM and its children
        self._log: IO[bytes] | None = None
        self._safe: dict[str, str] = {}  # user's column name -> the internal name Spark sees (see `load`)
        self._frame: Any = None  # the cached training frame (with the assembled features for a training unit)
        self._test: Any = None  # the cached test frame: the assembled features only
        self._master: str | None = None
        self._sized = False  # a standalone application sized by --cores: executors of one core each
        self.target: str | None = None
        self.n_rows = 0
        self.n_test = 0

    @classmethod
    def fixed_cores(cls, options: SessionOptions) -> str | None:
        """A local master takes the core count (local[N]); a standalone master given --cores takes it as the
        application's executors, one core each (`_sized`: GBM-perf's question, scaling over executors). Any other
        cluster hands out its executors as it was set up."""
        from mlbench.sanitize import redact

        master = options.spark_master
        if not master or master.startswith("local") or _sized(options):
            return None
        hint = " (--cores sizes a standalone master's application)" if master.startswith("spark://") else ""
        return f"fixed by the cluster's executors (master {redact(master)}){hint}"

    # ----- lifecycle ------------------------------------------------------------------------------------

    def start_session(self, options: SessionOptions) -> None:
        super().start_session(options)
        from pyspark import SparkConf, SparkContext
        from pyspark.java_gateway import launch_gateway
        from pyspark.sql import SparkSession

        if SparkContext._active_spark_context is not None or SparkContext._gateway is not None:
            raise RuntimeError(
                "a Spark driver is already running in this Python process; close the other Spark session first"
            )
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
        spark_dir = Path(options.run_dir).resolve() / "spark"  # absolute: the log4j file is passed as a file URI
        local_dir = spark_dir / "local"
        local_dir.mkdir(parents=True, exist_ok=True)
        log4j = spark_dir / "log4j2.properties"
        log4j.write_text(_LOG4J2, encoding="utf-8")
        log_path = Path(options.log_path) if options.log_path else spark_dir / "driver.log"

        self._master = options.spark_master or f"local[{options.cores}]"
        if self._master.startswith("spark://"):  # Spark's client retries an absent master for minutes
            from mlbench.adapter import require_reachable

            require_reachable(self._master, "Spark master")
        conf = (
            SparkConf()
            .setMaster(self._master)
            .setAppName("mlbench")
            .set("spark.ui.enabled", "false")
            .set("spark.ui.showConsoleProgress", "false")
            .set("spark.sql.execution.arrow.pyspark.enabled", "true")
            .set("spark.driver.memory", options.memory)
            .set("spark.driver.bindAddress", "127.0.0.1")
            .set("spark.driver.host", "127.0.0.1")
            .set("spark.local.dir", str(local_dir))
            .set("spark.log.level", "WARN")
            .set("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log4j.as_uri()}")
        )
        self._sized = _sized(options)
        if self._sized:  # N executors of one core each: the sweep's count is the executors doing the work
            conf.set("spark.executor.cores", "1").set("spark.cores.max", str(options.cores))
        # The driver JVM (spark-submit) inherits our stdout unless told otherwise: send both streams to the log.
        self._log = procs.open_log(log_path)
        try:
            self._gateway = launch_gateway(conf, popen_kwargs={"stdout": self._log, "stderr": self._log})
            self._jvm_proc = self._gateway.proc
            self._remember_jvm()
            with warnings.catch_warnings():
                # pyspark warns that pandas 3 is not fully supported (its py4j converter imports
                # pyspark.testing here); this adapter never converts to or from pandas.
                warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
                sc = self._sc = SparkContext(conf=conf, gateway=self._gateway)
            self._spark = SparkSession(sc)
            sc.setLogLevel("WARN")
            if self._sized:
                self._await_executors(options.cores)
        except BaseException:
            self.close()  # a half-started driver must not outlive a failed session phase
            raise

    def _await_executors(self, count: int, timeout: float = EXECUTORS_TIMEOUT) -> None:
        """Wait until the standalone master has granted `count` executors: they register after the application
        does, and a fit started before would run on fewer than its record says."""
        from mlbench.sanitize import redact

        deadline = time.monotonic() + timeout
        while True:
            granted = max(len(self._sc._jsc.sc().statusTracker().getExecutorInfos()) - 1, 0)  # less the driver
            if granted >= count:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Spark master {redact(self._master or '')} granted {granted} of {count} "
                                   f"one-core executors within {timeout:g} s (its workers have fewer free cores)")
            time.sleep(0.25)

    def liveness(self) -> str | None:
        """The driver JVM (the py4j gateway's process; its output is already in the platform log), and for a
        standalone cluster its master's port."""
        proc = self._jvm_proc
        cause = procs.ended(proc)
        if cause and proc is not None:
            return f"Spark driver JVM (pid {proc.pid}) {cause}"
        if self._master and self._master.startswith("spark://") and self._sc is not None:
            from mlbench.adapter import unreachable

            return unreachable(self._master, "Spark master")
        return None

    def _remember_jvm(self) -> None:
        if self._jvm_proc is not None and self._jvm_proc.poll() is None:
            procs.remember(self._jvm_proc.pid, self._jvm_pids)

    def jvm_pids(self) -> list[int]:
        """Process ids of the driver JVM this adapter started (and its children), for checks and tests."""
        return [pid for pid, _ in self._jvm_pids]

    def close(self) -> None:
        """Stop the session, shut the py4j gateway down, wait for the driver JVM to exit (kill it if it won't)."""
        from pyspark import SparkContext

        try:
            self._frame = self._test = None
            self._remember_jvm()  # processes the driver started since (e.g. Python workers) must go too
            if self._spark is not None or self._sc is not None:
                with contextlib.suppress(Exception):
                    (self._spark or self._sc).stop()
                self._spark = self._sc = None
            if self._gateway is not None:
                with contextlib.suppress(Exception):
                    self._gateway.shutdown()
                if SparkContext._gateway is self._gateway:
                    SparkContext._gateway = None
                    SparkContext._jvm = None
                self._gateway = None
            self._stop_jvm()
        finally:
            procs.close_log(self._log)
            self._log = None

    def _stop_jvm(self) -> None:
        proc, self._jvm_proc = self._jvm_proc, None
        if proc is not None:
            # Spark's PythonGatewayServer exits when its stdin closes; wait for it, then insist.
            procs.close_streams(proc.stdin)
            procs.stop(proc, wait=_JVM_EXIT_TIMEOUT_S, grace=_JVM_KILL_GRACE_S)
        # what the driver started and left behind (re-parented once the driver is gone) goes too
        procs.terminate_then_kill(procs.running(self._jvm_pids), grace=_JVM_KILL_GRACE_S)

    def load(self, source: DataSource) -> None:
        self._unpersist()  # the runner loads one data unit after another in the same session
        self.target, self.n_rows, self.n_test = None, 0, 0
        self.intercept = source.intercept  # False: the statistics steps' fits go through the origin
        # Spark ML resolves column names as SQL (a dot is a struct field, a backtick quotes): every column gets a
        # plain internal name here, the user's names stay in everything this adapter reports
        frame = self._spark.read.parquet(str(source.parquet_path))
        self._safe = {name: f"c{i}" for i, name in enumerate(frame.columns)}
        frame = frame.toDF(*(self._safe[name] for name in frame.columns))
        test = None
        if source.test_parquet_path is not None:  # a training unit: assemble the features once, here
            from pyspark.ml.feature import VectorAssembler

            assembler = VectorAssembler(inputCols=self._internal(source.features), outputCol=_TRAIN_FEATURES_COL)
            frame = assembler.transform(frame)
            raw_test = self._spark.read.parquet(str(source.test_parquet_path))
            raw_test = raw_test.toDF(*(self._safe.get(name, f"t{i}") for i, name in enumerate(raw_test.columns)))
            test = assembler.transform(raw_test).select(_TRAIN_FEATURES_COL)
        frame = frame.cache()
        self._frame = frame
        self.n_rows = int(frame.count())  # materialises the cache, so the load phase times the real read
        if test is not None:
            test = test.cache()
            self._test = test
            self.n_test = int(test.count())
        self.target = source.target
        self._features = list(source.features)

    def _internal(self, names: list[str]) -> list[str]:
        """The internal column names of the user's `names` (see `load`)."""
        return [self._safe[name] for name in names]

    def export(self, model: Any, directory: Path) -> dict[str, Any]:
        """A PipelineModel (the assembler + the fitted model: raw feature columns in, predictions out), which
        needs Spark and a JVM to load; ONNX through onnxmltools' Spark ML converter where the model converts."""
        from pyspark.ml import PipelineModel
        from pyspark.ml.classification import ProbabilisticClassificationModel
        from pyspark.ml.feature import VectorAssembler

        from mlbench.deploy.loaders import Artifact

        classify = isinstance(model, ProbabilisticClassificationModel)
        task = "classification" if classify else "regression"
        assembler = VectorAssembler(inputCols=self._internal(self._features), outputCol=_TRAIN_FEATURES_COL)
        path = directory / "spark-pipeline"
        PipelineModel(stages=[assembler, model]).write().overwrite().save(str(path))
        columns = {"prediction_col": model.getPredictionCol(),
                   "probability_col": model.getProbabilityCol() if classify else None,
                   "input_columns": self._internal(self._features)}
        artifacts = [Artifact("spark-pipeline", str(path), task, list(self._features), extra=columns)]
        unavailable: dict[str, str] = {}
        tracebacks: dict[str, str] = {}
        try:
            from onnxmltools import convert_sparkml
            from onnxmltools.convert.common.data_types import FloatTensorType

            inputs = [(model.getFeaturesCol(), FloatTensorType([None, len(self._features)]))]
            onnx_model = convert_sparkml(model, "mlbench", inputs, spark_session=self._spark, target_opset=15)
            onnx_path = directory / "model.onnx"
            onnx_path.write_bytes(onnx_model.SerializeToString())
            artifacts.append(Artifact("onnx", str(onnx_path), task, list(self._features)))
        except Exception as exc:  # noqa: BLE001 - a converter gap is a finding, not a crash
            failures.record(unavailable, tracebacks, "onnx", "onnxmltools convert_sparkml", exc, model)
        for art in artifacts:
            art.write_meta()
        return {"artifacts": artifacts, "unavailable": unavailable, "tracebacks": tracebacks}

    def _unpersist(self) -> None:
        frames = [f for f in (self._frame, self._test) if f is not None]
        self._frame = self._test = None
        for frame in frames:
            frame.unpersist(blocking=True)

    def describe(self) -> dict[str, Any]:
        """The master, and how many executors did the work: the driver runs the tasks itself in local mode; on
        a cluster, the executors registered with this application (they register as the first jobs start, so
        the load record's count is the one to read)."""
        if self._spark is None:
            return {"master": self._master}
        sc = self._spark.sparkContext
        facts: dict[str, Any] = {"master": sc.master, "spark_version": self._spark.version,
                                 # executors of a cluster are not in the measured process tree: their CPU is not
                                 "computes_elsewhere": not sc.master.startswith("local")}
        with contextlib.suppress(Exception):  # provenance is best effort
            infos = sc._jsc.sc().statusTracker().getExecutorInfos()  # the driver's entry included
            hosts = sorted({str(info.host()) for info in infos})
            facts["executors"] = 0 if sc.master.startswith("local") else max(len(infos) - 1, 0)
            facts["executor_hosts"] = hosts
        if self._sized:
            facts["executor_cores"] = 1  # spark.executor.cores: the run's --cores counts executors
        return facts

    # ----- primitives -------------------------------------------------------------------------------------

    def _assembled(self, features: list[str]) -> Any:
        """The cached frame with `features` assembled into one vector column, as Spark's regressions read them."""
        from pyspark.ml.feature import VectorAssembler

        return VectorAssembler(inputCols=self._internal(features), outputCol=_FEATURES_COL).transform(self._frame)

    @staticmethod
    def _intercept_first(values: Any, intercept: bool = True) -> list[float]:
        """Spark's summaries list [features..., intercept]; mlbench's terms are [Intercept, features...]. A fit
        through the origin has no intercept entry."""
        values = [float(v) for v in values]
        return [values[-1], *values[:-1]] if intercept else values

    @staticmethod
    def _no_standard_errors(exc: Exception) -> RuntimeError:
        """Spark's message for a fit without SEs is a Java stack trace: say what it means."""
        return RuntimeError(
            "Spark reports no standard errors for this fit (its solver found the design singular: a constant or "
            f"collinear feature): {str(exc).splitlines()[0] if str(exc) else exc!r}"
        )

    def _fit(self, features: list[str], label: str, intercept: bool = True) -> Any:
        """One Spark LinearRegression (OLS with intercept, normal equations) of `label` on `features`; through
        the origin `fitIntercept=False` (Spark's summary then reads R² about 0, as R does: `throughOrigin`)."""
        from pyspark.ml.regression import LinearRegression

        assembled = self._assembled(features)
        regression = LinearRegression(
            featuresCol=_FEATURES_COL, labelCol=self._safe[label], predictionCol=_PREDICTION_COL, solver="normal",
            fitIntercept=intercept, regParam=0.0, elasticNetParam=0.0, standardization=False,
        )
        return regression.fit(assembled)

    def ols(self, features: list[str]) -> OLSFit:
        if not features and not self.intercept:  # y ~ 0: Spark cannot fit zero columns; nothing to estimate
            return no_predictors(*self._squares())
        model = self._fit(features, self._label(), self.intercept)
        summary = model.summary
        try:
            se = list(summary.coefficientStandardErrors)
            t = list(summary.tValues)
            p = list(summary.pValues)
        except Exception as exc:
            raise self._no_standard_errors(exc) from exc
        # Spark: [features..., intercept]; mlbench: [Intercept, features...] (through the origin: no intercept)
        first = 1 if self.intercept else 0
        estimate = [*[float(model.intercept)][:first], *map(float, model.coefficients.toArray())]
        n = int(summary.numInstances)
        df_resid = int(summary.degreesOfFreedom)
        df_model = len(features)
        r2 = float(summary.r2)
        return OLSFit(
            terms=["Intercept", *features][1 - first:],
            estimate=estimate,
            std_error=self._intercept_first(se, self.intercept),
            t_value=self._intercept_first(t, self.intercept),
            p_value=self._intercept_first(p, self.intercept),
            r_squared=r2,
            adj_r_squared=float(summary.r2adj),
            f_statistic=f_statistic(r2, df_model, df_resid),  # Spark reports no F: finished from its R²
            df_model=df_model,
            df_resid=df_resid,
            rss=float(summary.meanSquaredError) * n,
            n_obs=n,
        )

    def glm(self, features: list[str], family: str) -> GLMFit:
        """GeneralizedLinearRegression with its defaults (IRLS, tol 1e-6, maxIter 25) and the family's canonical
        link; everything from its training summary. `converged` is True when IRLS stopped before maxIter (its loop
        ends early only on convergence) and None at maxIter, where Spark does not say."""
        from pyspark.ml.regression import GeneralizedLinearRegression

        if family not in _GLM_LINKS:
            raise UnsupportedStep(f"Spark GLM: no {family!r} family here (gaussian is the OLS step)")
        label = self._safe[self._label()]
        regression = GeneralizedLinearRegression(
            family=family, link=_GLM_LINKS[family], featuresCol=_FEATURES_COL, labelCol=label,
            predictionCol=_PREDICTION_COL,
        )
        model = regression.fit(self._assembled(features))
        summary = model.summary
        try:
            se, z, p = summary.coefficientStandardErrors, summary.tValues, summary.pValues
        except Exception as exc:
            raise self._no_standard_errors(exc) from exc
        iterations = int(summary.numIterations)
        converged = True if iterations < regression.getMaxIter() else None
        return GLMFit(
            family=family,
            terms=["Intercept", *features],
            estimate=[float(model.intercept), *map(float, model.coefficients.toArray())],
            std_error=self._intercept_first(se),
            z_value=self._intercept_first(z),  # Spark's "tValues": Wald z for a family with fixed dispersion
            p_value=self._intercept_first(p),
            deviance=float(summary.deviance),
            null_deviance=float(summary.nullDeviance),
            aic=float(summary.aic),
            df_resid=int(summary.residualDegreeOfFreedom),
            n_obs=int(summary.numInstances),
            iterations=iterations,
            converged=converged,
            warnings=[] if converged else [f"IRLS ran its maxIter ({iterations}) iterations; Spark does not say "
                                           "whether the last one met tol"],
        )

    def _squares(self) -> tuple[int, float]:
        """(n, Σy²) of the target by Spark's own aggregation: the empty model through the origin."""
        from pyspark.sql import functions as F  # noqa: N812 - Spark's own spelling

        column = F.col(self._safe[self._label()])
        row = self._frame.agg(F.count(column), F.sum(column * column)).first()
        return int(row[0]), float(row[1] or 0.0)

    def rss(self, features: list[str]) -> float:
        summary = self._fit(features, self._label(), self.intercept).summary
        return float(summary.meanSquaredError) * int(summary.numInstances)

    def r_squared(self, features: list[str], target: str) -> float:
        """The training summary's r2 of an auxiliary Spark fit: mlbench turns it into a VIF."""
        return float(self._fit(features, target).summary.r2)

    def _label(self) -> str:
        if self.target is None or self._frame is None:
            raise RuntimeError("no data loaded: call load() first")
        return self.target

    # ----- training -----------------------------------------------------------------------------------

    def fit(self, spec: TrainSpec) -> Any:
        """One Spark ML estimator on the cached, assembled training frame; returns the fitted Spark model."""
        from pyspark.ml import classification, regression

        label = self._label()
        if self._test is None:
            raise RuntimeError("no training unit loaded: load() a DataSource with a test set first")
        classify = spec.task == "classification"
        columns: dict[str, Any] = {"featuresCol": _TRAIN_FEATURES_COL, "labelCol": self._safe[label],
                                   "predictionCol": _PREDICTION_COL}
        if spec.family in ("linear", "logistic") and classify != (spec.family == "logistic"):
            raise ValueError(f"{spec.family} does not fit a {spec.task} task")
        estimator: Any
        cls: Any
        if spec.family == "linear":
            estimator = regression.LinearRegression(regParam=0.0, elasticNetParam=0.0, **columns)
        elif spec.family == "logistic":
            estimator = classification.LogisticRegression(regParam=0.0, elasticNetParam=0.0, **columns)
        elif spec.family == "random_forest":
            cls = classification.RandomForestClassifier if classify else regression.RandomForestRegressor
            estimator = cls(numTrees=spec.trees, maxDepth=spec.max_depth, seed=spec.seed, **columns)
        elif spec.family == "gbm":
            cls = classification.GBTClassifier if classify else regression.GBTRegressor
            estimator = cls(maxIter=spec.trees, maxDepth=spec.max_depth, stepSize=spec.learning_rate,
                            seed=spec.seed, **columns)
        else:
            raise ValueError(f"unknown model family {spec.family!r}")
        if classify:  # not every classifier's constructor takes these (GBTClassifier's doesn't)
            estimator.setProbabilityCol(_PROBABILITY_COL).setRawPredictionCol(_RAW_PREDICTION_COL)
        return estimator.fit(self._frame)

    def predict(self, model: Any) -> np.ndarray:
        """P(y = 1) or the predicted value for each test row, in the test file's order; only that column
        comes back to the driver (Arrow)."""
        from pyspark.ml.classification import ProbabilisticClassificationModel
        from pyspark.ml.functions import vector_to_array
        from pyspark.sql.functions import col

        if self._test is None:
            raise RuntimeError("no test set loaded")
        if isinstance(model, ProbabilisticClassificationModel):
            column = vector_to_array(col(model.getProbabilityCol()))[1]
        else:
            column = col(model.getPredictionCol())
        table = model.transform(self._test).select(column.alias("p")).toArrow()
        prediction = table.column(0).to_numpy().astype(float, copy=False)
        if len(prediction) != self.n_test:
            raise RuntimeError(f"{len(prediction)} predictions for {self.n_test} test rows")
        return prediction
