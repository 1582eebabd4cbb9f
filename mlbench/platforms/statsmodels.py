"""statsmodels: OLS and VIF natively (its results match R's lm to ~1e-13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlbench.adapter import Adapter, Capability, DataSource, OLSFit, TrainSpec
from mlbench.platforms import frames


class StatsmodelsAdapter(Adapter):
    name = "statsmodels"
    distribution = "statsmodels"
    modules = ("statsmodels",)
    session_imports = ("statsmodels.api", "statsmodels.stats.outliers_influence")
    capabilities = {
        "pvalues": Capability.native("OLS(y, add_constant(X)).fit() (method='pinv'), t-based p-values"),
        "vif": Capability.native("variance_inflation_factor on a design with the constant"),
        # statsmodels has no stepwise or best-subset search: mlbench drives its OLS fits.
        "subset:best": Capability.emulated("mlbench's branch and bound over OLS fits (RSS), within the budgets"),
        "subset:forward": Capability.emulated("forward stepwise by OLS fits"),
        "subset:backward": Capability.emulated("backward stepwise by OLS fits"),
        "train:linear": Capability.native("OLS"),
        "train:logistic": Capability.native("Logit (Newton)"),
        "train:random_forest": Capability.unsupported("statsmodels has no tree ensembles"),
        "train:gbm": Capability.unsupported("statsmodels has no tree ensembles"),
        "deploy": Capability.native("results.save (a pickle: runs code on load; no other format exists)"),
    }

    def load(self, source: DataSource) -> None:
        self.frame, self.test = frames.read(source)
        self.target, self.features = source.target, source.features

    def fit(self, spec: TrainSpec) -> Any:
        import statsmodels.api as sm

        model = sm.OLS if spec.family == "linear" else sm.Logit
        fitted = model(self.frame[self.target].to_numpy(dtype=float), self._exog(self.features))
        return fitted.fit(disp=0) if spec.family == "logistic" else fitted.fit()

    def predict(self, model: Any) -> Any:
        import statsmodels.api as sm

        assert self.test is not None, "no test set loaded"
        exog = sm.add_constant(self.test[self.features].to_numpy(dtype=float), has_constant="add")
        return model.predict(exog)

    def _exog(self, features: list[str]) -> Any:
        import statsmodels.api as sm

        return sm.add_constant(self.frame[features].to_numpy(dtype=float), has_constant="add")

    def ols(self, features: list[str]) -> OLSFit:
        """statsmodels' defaults: `OLS(y, add_constant(X)).fit()` solves by pseudo-inverse (method="pinv"), so a
        rank-deficient design gets its minimum-norm estimates for every term, reported as statsmodels gives them."""
        import statsmodels.api as sm

        exog = self._exog(features)
        res = sm.OLS(self.frame[self.target].to_numpy(dtype=float), exog).fit()
        return OLSFit(
            terms=["Intercept", *features],
            estimate=list(map(float, res.params)),
            std_error=list(map(float, res.bse)),
            t_value=list(map(float, res.tvalues)),
            p_value=list(map(float, res.pvalues)),
            r_squared=float(res.rsquared),
            adj_r_squared=float(res.rsquared_adj),
            f_statistic=float(res.fvalue),
            df_model=int(res.df_model),
            df_resid=int(res.df_resid),
            rss=float(res.ssr),
            n_obs=int(res.nobs),
        )

    def rss(self, features: list[str]) -> float:
        import statsmodels.api as sm

        return float(sm.OLS(self.frame[self.target].to_numpy(dtype=float), self._exog(features)).fit().ssr)

    def vif(self, features: list[str]) -> dict[str, float]:
        from statsmodels.stats.outliers_influence import variance_inflation_factor

        exog = self._exog(features)
        return {name: float(variance_inflation_factor(exog, i + 1)) for i, name in enumerate(features)}

    def export(self, model: Any, directory: Path) -> dict[str, Any]:
        from mlbench.deploy.loaders import Artifact

        path = directory / "model.pickle"
        model.save(str(path), remove_data=True)
        task = "classification" if type(model.model).__name__ == "Logit" else "regression"
        art = Artifact("statsmodels-pickle", str(path), task, list(self.features))
        art.write_meta()
        return {"artifacts": [art], "unavailable": {"onnx": "statsmodels has no ONNX (or any non-pickle) export."}}
