"""The main job written by hand, as a user would without mlbench: OLS p-values on Advertising, the full model
and the refit without Newspaper, on each platform asked for (statsmodels, scikit-learn with textbook standard
errors, H2O and Spark started on loopback and stopped, configured as mlbench configures them).

Usage: python benchmarks/handwritten_pvalues.py statsmodels,sklearn,h2o,spark
The baseline of benchmarks/overhead.py (`--job pvalues`).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "mlbench" / "data" / "advertising.csv"
FULL, REDUCED = ["TV", "Radio", "Newspaper"], ["TV", "Radio"]


def with_statsmodels(frame) -> None:
    import statsmodels.api as sm

    for features in (FULL, REDUCED):
        fit = sm.OLS(frame["Sales"], sm.add_constant(frame[features])).fit()
        print("statsmodels", features, fit.pvalues.round(4).to_dict(), round(fit.rsquared_adj, 6))


def with_sklearn(frame) -> None:
    import numpy as np
    from scipy import stats
    from sklearn.linear_model import LinearRegression

    y = frame["Sales"].to_numpy()
    for features in (FULL, REDUCED):
        X = frame[features].to_numpy()
        model = LinearRegression().fit(X, y)
        A = np.column_stack([np.ones(len(y)), X])
        residuals = y - model.predict(X)
        df = len(y) - A.shape[1]
        se = np.sqrt(residuals @ residuals / df * np.diag(np.linalg.inv(A.T @ A)))
        t = np.concatenate([[model.intercept_], model.coef_]) / se
        print("sklearn", features, (2 * stats.t.sf(np.abs(t), df)).round(4))


def with_h2o(csv: Path, workdir: Path) -> None:
    import h2o
    from h2o.estimators import H2OGeneralizedLinearEstimator

    os.environ["DO_NOT_TRACK"] = "1"
    h2o.init(ip="127.0.0.1", nthreads=os.cpu_count() or 1, max_mem_size="4G", ice_root=str(workdir),
             verbose=False)
    h2o.no_progress()
    frame = h2o.import_file(str(csv))
    for features in (FULL, REDUCED):
        glm = H2OGeneralizedLinearEstimator(family="gaussian", lambda_=0, solver="IRLSM", compute_p_values=True,
                                            remove_collinear_columns=True)
        glm.train(x=features, y="Sales", training_frame=frame)
        table = glm._model_json["output"]["coefficients_table"]
        print("h2o", features, dict(zip(table["names"], [round(p, 4) for p in table["p_value"]], strict=True)))
    h2o.cluster().shutdown()


def with_spark(csv: Path) -> None:
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.regression import LinearRegression
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (SparkSession.builder.master(f"local[{os.cpu_count() or 1}]").appName("handwritten")
             .config("spark.ui.enabled", "false").config("spark.driver.memory", "4g")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    frame = spark.read.csv(str(csv), header=True, inferSchema=True)
    for features in (FULL, REDUCED):
        data = VectorAssembler(inputCols=features, outputCol="features").transform(frame)
        model = LinearRegression(labelCol="Sales", solver="normal", regParam=0.0).fit(data)
        print("spark", features, [round(p, 4) for p in model.summary.pValues])
    spark.stop()


def main() -> None:
    platforms = sys.argv[1].split(",") if len(sys.argv) > 1 else ["statsmodels"]
    import pandas as pd

    frame = pd.read_csv(DATA, index_col=0)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "advertising.csv"
        frame.to_csv(csv, index=False)
        for name in platforms:
            {"statsmodels": lambda: with_statsmodels(frame), "sklearn": lambda: with_sklearn(frame),
             "h2o": lambda: with_h2o(csv, Path(tmp)), "spark": lambda: with_spark(csv)}[name]()


if __name__ == "__main__":
    main()
