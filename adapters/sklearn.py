"""scikit-learn: LinearRegression fits; p-values and VIF emulated from those fits (sklearn has neither)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlbench.adapter import Adapter, Capability, DataSource, OLSFit
from mlbench.emulate import ols_inference, vif_from_r2


class SklearnAdapter(Adapter):
    name = "sklearn"
    distribution = "scikit-learn"
    modules = ("sklearn",)
    session_imports = ("sklearn.linear_model",)
    capabilities = {
        "pvalues": Capability.emulated("LinearRegression fit; standard errors and p-values from its residuals"),
        "vif": Capability.emulated("auxiliary LinearRegression fits (R² of each feature on the others)"),
    }

    def load(self, source: DataSource) -> None:
        import pandas as pd

        self.frame = pd.read_parquet(source.parquet_path)
        self.target = source.target

    def _fit(self, features: list[str], target: str) -> tuple[Any, np.ndarray, np.ndarray]:
        from sklearn.linear_model import LinearRegression

        X = self.frame[features].to_numpy(dtype=float)
        y = self.frame[target].to_numpy(dtype=float)
        return LinearRegression().fit(X, y), X, y

    def ols(self, features: list[str]) -> OLSFit:
        model, X, y = self._fit(features, self.target)
        return ols_inference(X, y, float(model.intercept_), model.coef_, features)

    def rss(self, features: list[str]) -> float:
        model, X, y = self._fit(features, self.target)
        residuals = y - model.predict(X)
        return float(residuals @ residuals)

    def vif(self, features: list[str]) -> dict[str, float]:
        r2 = {}
        for name in features:
            others = [f for f in features if f != name]
            model, X, y = self._fit(others, name)
            r2[name] = float(model.score(X, y))
        return vif_from_r2(r2)
