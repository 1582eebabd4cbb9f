"""statsmodels: OLS and VIF natively (its results match R's lm to ~1e-13); logistic and Poisson GLMs natively
(`GLM(...).fit()`: IRLS to an absolute deviance change of 1e-8, at most 100 iterations; as in R, estimates and
covariance come from the last weighted least squares, whose weights are the previous iterate's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlbench.adapter import Adapter, Capability, DataSource, GLMFit, OLSFit, TrainSpec
from mlbench.platforms import frames

GLM_HOW = ("statsmodels GLM(y, add_constant(X), family={family}()).fit() (IRLS: absolute deviance change "
           "< 1e-8, maxiter 100; Wald z from cov_params, the last IRLS step's weights)")


def _coefficients(res: Any, statistic: str) -> dict[str, Any]:
    """A statsmodels result's coefficient table as OLSFit/GLMFit keywords; `statistic` names the test column
    (t_value for OLS, z_value for a GLM: statsmodels calls both `tvalues`)."""
    return {"estimate": list(map(float, res.params)), "std_error": list(map(float, res.bse)),
            statistic: list(map(float, res.tvalues)), "p_value": list(map(float, res.pvalues))}


class StatsmodelsAdapter(Adapter):
    name = "statsmodels"
    distribution = "statsmodels"
    modules = ("statsmodels",)
    session_imports = ("statsmodels.api", "statsmodels.stats.outliers_influence")
    capabilities = {
        "pvalues": Capability.native("OLS(y, add_constant(X)).fit() (method='pinv'), t-based p-values; "
                                       "through the origin OLS(y, X)"),
        "vif": Capability.native("variance_inflation_factor on a design with the constant"),
        # statsmodels has no stepwise or best-subset search: mlbench drives its OLS fits.
        "subset:best": Capability.emulated("mlbench's branch and bound over OLS fits (RSS), within the budgets"),
        "subset:forward": Capability.emulated("forward stepwise by OLS fits"),
        "subset:backward": Capability.emulated("backward stepwise by OLS fits"),
        "glm:binomial": Capability.native(GLM_HOW.format(family="Binomial")),
        "glm:poisson": Capability.native(GLM_HOW.format(family="Poisson")),
        "train:linear": Capability.native("OLS"),
        "train:logistic": Capability.native("Logit (Newton)"),
        "train:random_forest": Capability.unsupported("statsmodels has no tree ensembles"),
        "train:gbm": Capability.unsupported("statsmodels has no tree ensembles"),
        "deploy": Capability.native("results.save (a pickle: runs code on load; no other format exists)"),
    }

    def load(self, source: DataSource) -> None:
        self.frame, self.test = frames.read(source)
        self.target, self.features = source.target, source.features
        self.intercept = source.intercept  # False: the statistics steps' fits go through the origin

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

    def _ols_exog(self, features: list[str]) -> Any:
        """The design of the statistics steps' OLS: with the constant, or X alone for a fit through the origin
        (statsmodels then reports R², adj. R² and F about 0, uncentred, as R does: its `k_constant` is 0)."""
        if self.intercept:
            return self._exog(features)
        return self.frame[features].to_numpy(dtype=float).reshape(len(self.frame), len(features))

    def ols(self, features: list[str]) -> OLSFit:
        """statsmodels' defaults: `OLS(y, add_constant(X)).fit()` solves by pseudo-inverse (method="pinv"), so a
        rank-deficient design gets its minimum-norm estimates for every term, reported as statsmodels gives them.
        Through the origin: `OLS(y, X)` without `add_constant`."""
        import statsmodels.api as sm

        if not features and not self.intercept:  # y ~ 0: nothing to fit, a model statsmodels cannot build
            from mlbench.stats.ols import no_predictors, total_ss

            y = self.frame[self.target].to_numpy(dtype=float)
            return no_predictors(len(y), total_ss(y, intercept=False))
        exog = self._ols_exog(features)
        res = sm.OLS(self.frame[self.target].to_numpy(dtype=float), exog).fit()
        return OLSFit(
            terms=["Intercept", *features] if self.intercept else list(features),
            **_coefficients(res, "t_value"),
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

        return float(sm.OLS(self.frame[self.target].to_numpy(dtype=float), self._ols_exog(features)).fit().ssr)

    def vif(self, features: list[str]) -> dict[str, float]:
        from statsmodels.stats.outliers_influence import variance_inflation_factor

        exog = self._exog(features)
        return {name: float(variance_inflation_factor(exog, i + 1)) for i, name in enumerate(features)}

    def glm(self, features: list[str], family: str) -> GLMFit:
        """statsmodels' defaults, as a user calls it. It only warns on separation (PerfectSeparationWarning) and on
        a rank-deficient design (SingularMatrixWarning, then minimum-norm estimates for every term, so nothing
        is reported aliased): every warning raised during the fit is recorded, so the grade can tell a warned
        answer from a silent one. `converged` is statsmodels' own flag, `iterations` its fit_history's count."""
        import statsmodels.api as sm

        from mlbench.platforms.warned import recorded

        families = {"binomial": sm.families.Binomial, "poisson": sm.families.Poisson}
        if family not in families:
            raise ValueError(f"statsmodels GLM: unknown family {family!r}")
        with recorded() as caught:
            res = sm.GLM(self.frame[self.target].to_numpy(dtype=float), self._exog(features),
                         family=families[family]()).fit()
        return GLMFit(
            family=family,
            terms=["Intercept", *features],
            **_coefficients(res, "z_value"),
            deviance=float(res.deviance),
            null_deviance=float(res.null_deviance),
            aic=float(res.aic),  # -2 llf + 2 (df_model + 1): R's AIC for these families (scale fixed at 1)
            df_resid=round(res.df_resid),
            n_obs=int(res.nobs),
            iterations=int(res.fit_history["iteration"]),
            converged=bool(res.converged),
            warnings=caught,
            covariance=[list(map(float, row)) for row in res.cov_params()],
        )

    def export(self, model: Any, directory: Path) -> dict[str, Any]:
        from mlbench.deploy.loaders import Artifact

        path = directory / "model.pickle"
        model.save(str(path), remove_data=True)
        task = "classification" if type(model.model).__name__ == "Logit" else "regression"
        art = Artifact("statsmodels-pickle", str(path), task, list(self.features))
        art.write_meta()
        return {"artifacts": [art], "unavailable": {"onnx": "statsmodels has no ONNX (or any non-pickle) export."}}

