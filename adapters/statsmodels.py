"""statsmodels: OLS and VIF natively (its results match R's lm to ~1e-13)."""

from __future__ import annotations

from typing import Any

from mlbench.adapter import Adapter, Capability, DataSource, OLSFit


class StatsmodelsAdapter(Adapter):
    name = "statsmodels"
    distribution = "statsmodels"
    modules = ("statsmodels",)
    session_imports = ("statsmodels.api", "statsmodels.stats.outliers_influence")
    capabilities = {
        "pvalues": Capability.native("statsmodels OLS summary (t-based p-values)"),
        "vif": Capability.native("variance_inflation_factor on a design with the constant"),
        # statsmodels has no stepwise or best-subset search: mlbench drives its OLS fits.
        "subset:best": Capability.emulated("exhaustive OLS fits within the fit budget"),
        "subset:forward": Capability.emulated("forward stepwise by OLS fits"),
        "subset:backward": Capability.emulated("backward stepwise by OLS fits"),
    }

    def load(self, source: DataSource) -> None:
        import pandas as pd

        self.frame = pd.read_parquet(source.parquet_path)
        self.target = source.target

    def _exog(self, features: list[str]) -> Any:
        import statsmodels.api as sm

        return sm.add_constant(self.frame[features].to_numpy(dtype=float), has_constant="add")

    def ols(self, features: list[str]) -> OLSFit:
        import statsmodels.api as sm

        res = sm.OLS(self.frame[self.target].to_numpy(dtype=float), self._exog(features)).fit()
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
