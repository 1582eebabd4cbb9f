"""Spark ML: OLS inference natively (LinearRegression with the normal-equation solver); VIF and subsets emulated.

Every number comes from a Spark fit on the cached DataFrame that Spark's own Parquet reader loaded; nothing
collects the data to the driver. Spark's training summary lists coefficient standard errors, t and p values
with the intercept LAST; they are reordered here to mlbench's `Intercept`-first terms. p-values smaller than
~1e-16 come out as exactly 0 (Spark computes 1 - cdf); they are kept as Spark reports them.

The driver JVM is started by this adapter with its stdout and stderr sent to the run's platform log (and
log4j at WARN), so nothing the JVM prints can reach mlbench's own stdout (`--json`). `close()` stops the
session, shuts the py4j gateway down and waits for the driver JVM to exit, so another session can start in
the same Python process.
"""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import warnings
from pathlib import Path
from typing import IO, Any

from mlbench.adapter import Adapter, Capability, DataSource, OLSFit, SessionOptions
from mlbench.emulate import vif_from_r2

_FEATURES_COL = "__mlbench_features"
_PREDICTION_COL = "__mlbench_prediction"
_JVM_EXIT_TIMEOUT_S = 15.0

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
    session_imports = ("pyspark.sql", "pyspark.ml.feature", "pyspark.ml.regression")
    needs_java = True
    capabilities = {
        "pvalues": Capability.native(
            "LinearRegression(solver='normal') training summary: coefficientStandardErrors, tValues, pValues",
            "p-values below ~1e-16 underflow to exactly 0 in Spark",
        ),
        "vif": Capability.emulated(
            "auxiliary Spark LinearRegression fits: VIF = 1/(1-R²) of each feature on the others"
        ),
        "subset:forward": Capability.emulated("mlbench's forward search over Spark LinearRegression fits (RSS)"),
        "subset:backward": Capability.emulated("mlbench's backward search over Spark LinearRegression fits (RSS)"),
        "subset:best": Capability.emulated(
            "mlbench's exhaustive search over Spark LinearRegression fits (RSS)",
            "one Spark fit per candidate subset, within the fit budget",
        ),
    }

    def __init__(self) -> None:
        self._spark: Any = None
        self._sc: Any = None
        self._gateway: Any = None
        self._jvm_proc: subprocess.Popen[bytes] | None = None
        self._jvm_pids: list[tuple[int, float]] = []  # (pid, create_time) of the driver JVM and its children
        self._log: IO[bytes] | None = None
        self._frame: Any = None
        self._master: str | None = None
        self.target: str | None = None
        self.n_rows = 0

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
        spark_dir = Path(options.run_dir) / "spark"
        local_dir = spark_dir / "local"
        local_dir.mkdir(parents=True, exist_ok=True)
        log4j = spark_dir / "log4j2.properties"
        log4j.write_text(_LOG4J2, encoding="utf-8")
        log_path = Path(options.log_path) if options.log_path else spark_dir / "driver.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)

        self._master = options.spark_master or f"local[{options.cores}]"
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
        # The driver JVM (spark-submit) inherits our stdout unless told otherwise: send both streams to the log.
        self._log = log_path.open("ab")
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
        except BaseException:
            self.close()  # a half-started driver must not outlive a failed session phase
            raise

    def _remember_jvm(self) -> None:
        import psutil

        if self._jvm_proc is None:
            return
        known = set(self._jvm_pids)
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(self._jvm_proc.pid)
            for p in [proc, *proc.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    if (p.pid, p.create_time()) not in known:
                        self._jvm_pids.append((p.pid, p.create_time()))

    def jvm_pids(self) -> list[int]:
        """Process ids of the driver JVM this adapter started (and its children), for checks and tests."""
        return [pid for pid, _ in self._jvm_pids]

    def close(self) -> None:
        """Stop the session, shut the py4j gateway down, wait for the driver JVM to exit (kill it if it won't)."""
        from pyspark import SparkContext

        try:
            self._frame = None
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
            if self._log is not None:
                self._log.close()
                self._log = None

    def _stop_jvm(self) -> None:
        import psutil

        proc, self._jvm_proc = self._jvm_proc, None
        if proc is not None:
            # Spark's PythonGatewayServer exits when its stdin closes; wait for it, then insist.
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
            try:
                proc.wait(timeout=_JVM_EXIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
        survivors = []
        for pid, created in self._jvm_pids:
            with contextlib.suppress(psutil.Error):
                p = psutil.Process(pid)
                if p.create_time() == created and p.status() != psutil.STATUS_ZOMBIE:
                    survivors.append(p)
        for p in survivors:
            with contextlib.suppress(psutil.Error):
                p.terminate()
        _, alive = psutil.wait_procs(survivors, timeout=5)
        for p in alive:
            with contextlib.suppress(psutil.Error):
                p.kill()
        psutil.wait_procs(alive, timeout=5)

    def load(self, source: DataSource) -> None:
        frame = self._spark.read.parquet(str(source.parquet_path)).cache()
        self.n_rows = int(frame.count())  # materialises the cache, so the load phase times the real read
        self._frame = frame
        self.target = source.target

    def describe(self) -> dict[str, Any]:
        if self._spark is None:
            return {"master": self._master}
        return {"master": self._spark.sparkContext.master, "spark_version": self._spark.version}

    # ----- primitives -------------------------------------------------------------------------------------

    def _fit(self, features: list[str], label: str) -> Any:
        """One Spark LinearRegression (OLS with intercept, normal equations) of `label` on `features`."""
        from pyspark.ml.feature import VectorAssembler
        from pyspark.ml.regression import LinearRegression

        assembled = VectorAssembler(inputCols=list(features), outputCol=_FEATURES_COL).transform(self._frame)
        regression = LinearRegression(
            featuresCol=_FEATURES_COL, labelCol=label, predictionCol=_PREDICTION_COL, solver="normal",
            fitIntercept=True, regParam=0.0, elasticNetParam=0.0, standardization=False,
        )
        return regression.fit(assembled)

    def ols(self, features: list[str]) -> OLSFit:
        model = self._fit(features, self._label())
        summary = model.summary
        try:
            se = list(summary.coefficientStandardErrors)
            t = list(summary.tValues)
            p = list(summary.pValues)
        except Exception as exc:  # Spark's message is a Java stack trace: say what it means
            raise RuntimeError(
                "Spark reports no standard errors for this fit (its normal-equation solver found the design "
                f"singular: a constant or collinear feature): {str(exc).splitlines()[0] if str(exc) else exc!r}"
            ) from exc
        # Spark: [features..., intercept]; mlbench: [Intercept, features...]
        estimate = [float(model.intercept), *map(float, model.coefficients.toArray())]
        n = int(summary.numInstances)
        df_resid = int(summary.degreesOfFreedom)
        df_model = len(features)
        r2 = float(summary.r2)
        if df_model > 0 and df_resid > 0 and r2 < 1.0:
            f_statistic = (r2 / df_model) / ((1.0 - r2) / df_resid)
        else:
            f_statistic = math.inf if df_model > 0 and r2 >= 1.0 else math.nan
        return OLSFit(
            terms=["Intercept", *features],
            estimate=estimate,
            std_error=[float(se[-1]), *map(float, se[:-1])],
            t_value=[float(t[-1]), *map(float, t[:-1])],
            p_value=[float(p[-1]), *map(float, p[:-1])],
            r_squared=r2,
            adj_r_squared=float(summary.r2adj),
            f_statistic=f_statistic,
            df_model=df_model,
            df_resid=df_resid,
            rss=float(summary.meanSquaredError) * n,
            n_obs=n,
        )

    def rss(self, features: list[str]) -> float:
        summary = self._fit(features, self._label()).summary
        return float(summary.meanSquaredError) * int(summary.numInstances)

    def vif(self, features: list[str]) -> dict[str, float]:
        r2 = {}
        for name in features:
            others = [f for f in features if f != name]
            r2[name] = float(self._fit(others, name).summary.r2)
        return vif_from_r2(r2)

    def _label(self) -> str:
        if self.target is None or self._frame is None:
            raise RuntimeError("no data loaded: call load() first")
        return self.target
