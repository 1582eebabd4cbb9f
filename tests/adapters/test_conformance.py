"""Every built-in adapter passes the conformance kit (JVM adapters under their markers)."""

from __future__ import annotations

import pytest

from mlbench.platforms.catboost import CatBoostAdapter
from mlbench.platforms.h2o import H2OAdapter
from mlbench.platforms.lightgbm import LightGBMAdapter
from mlbench.platforms.octave import OctaveAdapter
from mlbench.platforms.r import RAdapter
from mlbench.platforms.sklearn import SklearnAdapter, SklearnDefaultAdapter
from mlbench.platforms.sklearnex import SklearnexAdapter
from mlbench.platforms.spark import SparkAdapter
from mlbench.platforms.statsmodels import StatsmodelsAdapter
from mlbench.platforms.tensorflow import TensorFlowAdapter
from mlbench.platforms.xgboost import XGBoostAdapter
from mlbench.testing import parametrize_with_adapter_checks, run_check

KNOWN_FAILURES = {
    # Spark's LinearRegression is unpenalised but its tree models draw bootstrap samples per partition: seeded,
    # so no known failures are declared today. Add "adapter:check": "reason" here when a platform deviates.
}


@parametrize_with_adapter_checks(
    [SklearnAdapter, SklearnDefaultAdapter, SklearnexAdapter, StatsmodelsAdapter, XGBoostAdapter, RAdapter,
     OctaveAdapter, H2OAdapter, SparkAdapter, TensorFlowAdapter, LightGBMAdapter, CatBoostAdapter],
    known_failures=KNOWN_FAILURES,
    marks={"h2o": [pytest.mark.h2o], "spark": [pytest.mark.spark], "tensorflow": [pytest.mark.tensorflow]},
)
def test_conformance(adapter_cls, check):
    run_check(adapter_cls, check)
