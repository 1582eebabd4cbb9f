"""R: summary(lm()), car::vif, leaps::regsubsets and summary(glm()) natively, in one long-lived Rscript process.

R is not a Python package: the adapter starts `Rscript` once per session (phase `session`: starting R and
loading car, leaps and jsonlite) and keeps it. Each primitive is one JSON request line on R's stdin and one
JSON answer line on its stdout (jsonlite; doubles travel as "%.17g" text, so they come back exactly). R's messages
and warnings go to the platform log; output printed while a request runs is captured and logged there too. The R
side is `r_server.R`, beside this module.

Names never cross into R: Python sends column positions (read from the CSV header) and feature indices, and
maps R's answers back to mlbench's names. R's name mangling (`check.names`), formula parsing of odd names and
the locale's encoding of non-ASCII names therefore cannot change an answer. Inside R the model frame uses the
safe names x1..xk, so `lm(y ~ ., data)` fits exactly what `lm(Salary ~ AtBat + Hits + ...)` fits.

Trained models stay in the R process; `fit` returns a handle and `predict` has R write the prediction vector as
little-endian doubles to a file that Python reads back.
"""

from __future__ import annotations

import csv
import functools
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

from mlbench.adapter import Availability, Capability, DataSource, GLMFit, OLSFit, SessionOptions
from mlbench.errors import UnsupportedStep
from mlbench.platforms.server_process import ServerError, ServerProcessAdapter, tool_version

R_PACKAGES = ("car", "leaps", "jsonlite")
INSTALL_HINT = "apt-get install r-base-core r-cran-car r-cran-leaps r-cran-jsonlite"
# --no-init-file: a user's ~/.Rprofile must not print into the protocol or change options.
RSCRIPT_ARGS = ("--no-init-file",)

GLM_HOW = ("R glm(y ~ ., family = {family}) + summary.glm (glm.control defaults: relative deviance change < 1e-8, "
           "maxit 25; SEs from the last IRLS iteration's weights; aliased terms are R's NA coefficients)")
GLM_VIF_HOW = ("car::vif on glm(y ~ ., family = {family}): VIF per column, car's GVIF per factor term (the factor "
               "rebuilt from its dummies)")

# The whole R side, a real R file shipped beside this module: one request per stdin line, one answer per
# stdout line.
SERVER_SCRIPT = Path(__file__).with_name("r_server.R")


def _num(value: Any) -> float:
    """A double from R: "%.17g" text (exact), where R's NA is "NA"; float() reads "NaN", "Inf" and "-Inf"."""
    return math.nan if value == "NA" else float(value)


def _nums(values: list[Any]) -> list[float]:
    return [_num(v) for v in values]


def _coefficients(r: dict[str, Any], labels: list[str], statistic: str) -> dict[str, Any]:
    """The coefficient table of R's reply as OLSFit/GLMFit keywords: the terms R estimated (by index into
    `labels`), then estimate, std. error, `statistic` (t_value or z_value) and p-value."""
    return {"terms": [labels[i] for i in r["terms"]], "estimate": _nums(r["estimate"]),
            "std_error": _nums(r["std_error"]), statistic: _nums(r[statistic]), "p_value": _nums(r["p_value"])}


@functools.lru_cache(maxsize=1)
def _r_version() -> str | None:
    """R's version from `Rscript --version` (answered by the front end without starting R: instant)."""
    return tool_version("Rscript")


@functools.lru_cache(maxsize=1)
def _r_problem() -> str | None:
    """Why R cannot run the adapter (no Rscript, a package missing), or None. One R start (~0.5-1 s), cached."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return f"R not installed: {INSTALL_HINT}"
    probe = ("for (p in c({})) if (!suppressWarnings(requireNamespace(p, quietly = TRUE))) cat(p, '\\n')"
             .format(", ".join(f"'{p}'" for p in R_PACKAGES)))
    try:
        proc = subprocess.run([rscript, *RSCRIPT_ARGS, "-e", probe], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"Rscript does not run ({exc}): {INSTALL_HINT}"
    if proc.returncode != 0:
        return f"Rscript failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
    missing = proc.stdout.split()
    if missing:
        debs = " ".join(f"r-cran-{p}" for p in missing)
        return f"R package(s) {', '.join(missing)} not installed: apt-get install {debs}"
    return None


class RError(ServerError):
    """R answered a request with an error (the message is R's conditionMessage)."""


class RAdapter(ServerProcessAdapter):
    name = "r"
    distribution = "R"  # not a PyPI distribution: platform_version asks Rscript
    capabilities = {
        "pvalues": Capability.native("R lm + summary.lm (t-based p-values; aliased terms are R's NA coefficients); "
                                     "through the origin lm(y ~ 0 + .)"),
        "vif": Capability.native(
            "car::vif on lm: VIF per column, and car's GVIF per factor term on the lm fitted with the factor "
            "rebuilt from its dummies"
        ),
        "subset:best": Capability.native("leaps::regsubsets(method = 'exhaustive'): exact branch and bound"),
        "subset:forward": Capability.native("leaps::regsubsets(method = 'forward')"),
        "subset:backward": Capability.native("leaps::regsubsets(method = 'backward')"),
        "glm:binomial": Capability.native(GLM_HOW.format(family="binomial")),
        "glm:poisson": Capability.native(GLM_HOW.format(family="poisson")),
        "glm_vif:binomial": Capability.native(GLM_VIF_HOW.format(family="binomial")),
        "glm_vif:poisson": Capability.native(GLM_VIF_HOW.format(family="poisson")),
        "train:linear": Capability.native("lm"),
        "train:logistic": Capability.native("glm(family = binomial), IRLS"),
        "train:random_forest": Capability.unsupported(
            "base R has no tree ensembles; packages randomForest/gbm are not required"
        ),
        "train:gbm": Capability.unsupported("base R has no tree ensembles; packages randomForest/gbm are not required"),
    }
    server_label = "R"
    server_error = RError

    @classmethod
    def platform_version(cls) -> str | None:
        return _r_version()

    @classmethod
    def availability(cls) -> Availability:
        problem = _r_problem()
        return Availability(False, problem) if problem else Availability(True)

    # ----- lifecycle -------------------------------------------------------------------------------

    def start_session(self, options: SessionOptions) -> None:
        rscript = shutil.which("Rscript")
        if rscript is None:
            raise RuntimeError(f"R not installed: {INSTALL_HINT}")
        self._start_server(options, [rscript, *RSCRIPT_ARGS, str(SERVER_SCRIPT)], prefix="r-")

    def load(self, source: DataSource) -> None:
        self.source = source
        self.intercept = source.intercept  # False: the statistics steps' fits go through the origin
        self.features = list(source.features)
        self._index = {name: i + 1 for i, name in enumerate(self.features)}  # 1-based, as R counts
        header = _csv_header(source.csv_path)
        request: dict[str, Any] = {
            "path": str(source.csv_path),
            "feature_cols": _positions(header, self.features, source.csv_path),
            "target_col": _positions(header, [source.target], source.csv_path)[0],
        }
        if source.test_csv_path is not None:
            test_header = _csv_header(source.test_csv_path)
            request["test_path"] = str(source.test_csv_path)
            request["test_feature_cols"] = _positions(test_header, self.features, source.test_csv_path)
        self._call("load", **request)

    def describe(self) -> dict[str, Any]:
        facts = getattr(self, "_facts", None) or {}
        return {"r_version": facts.get("r_version"), "r_packages": facts.get("packages", {})}

    @property
    def rscript_pid(self) -> int | None:
        """The Rscript process id (its tree is measured through the worker that holds this adapter)."""
        return self._proc.pid if self._proc is not None else None

    # ----- primitives ------------------------------------------------------------------------------

    def ols(self, features: list[str]) -> OLSFit:
        """R's `summary(lm(y ~ .))`; through the origin (`source.intercept` False) `lm(y ~ 0 + .)`."""
        r = self._call("ols", features=self._cols(features), intercept=self.intercept)
        labels = ["Intercept", *features]
        return OLSFit(
            **_coefficients(r, labels, "t_value"),
            r_squared=_num(r["r_squared"]),
            adj_r_squared=_num(r["adj_r_squared"]),
            f_statistic=_num(r["f_statistic"]),
            df_model=int(r["df_model"]),
            df_resid=int(r["df_resid"]),
            rss=_num(r["rss"]),
            n_obs=int(r["n_obs"]),
            aliased=[labels[i] for i in r["aliased"]],
        )

    def vif(self, features: list[str]) -> dict[str, float]:
        r = self._call("vif", features=self._cols(features))
        return dict(zip(features, _nums(r["vif"]), strict=True))

    def gvif(self, features: list[str], groups: dict[str, list[str]]) -> dict[str, float]:
        r = self._call("gvif", groups=[self._cols(columns) for columns in groups.values()])
        return dict(zip(groups, _nums(r["gvif"]), strict=True))

    def glm(self, features: list[str], family: str) -> GLMFit:
        """summary(glm()) with R's defaults; its warnings (fitted probabilities 0 or 1, no convergence) are R's
        words, and a term R found aliased is left out of `terms` and named in `aliased`, as for `ols`."""
        r = self._call("glm", features=self._cols(features), family=family)
        labels = ["Intercept", *features]
        return GLMFit(
            family=family,
            **_coefficients(r, labels, "z_value"),
            deviance=_num(r["deviance"]),
            null_deviance=_num(r["null_deviance"]),
            aic=_num(r["aic"]),
            df_resid=int(r["df_resid"]),
            n_obs=int(r["n_obs"]),
            iterations=int(r["iterations"]),
            converged=bool(r["converged"]),
            warnings=list(r["warnings"]),
            aliased=[labels[i] for i in r["aliased"]],
            covariance=[_nums(row) for row in r["covariance"]],
        )

    def glm_vif(self, features: list[str], family: str,
                groups: dict[str, list[str]] | None = None) -> dict[str, float]:
        """car::vif on the glm: per column, or with `groups` (term -> its columns among `features`, a factor's
        dummies) per term, car's GVIF on the glm fitted with each factor rebuilt from its dummies."""
        if groups is None:
            r = self._call("glm_vif", features=self._cols(features), family=family)
            return dict(zip(features, _nums(r["vif"]), strict=True))
        r = self._call("glm_vif", groups=[self._cols(columns) for columns in groups.values()], family=family)
        return dict(zip(groups, _nums(r["vif"]), strict=True))

    def subset(self, method: str, features: list[str], max_size: int) -> dict[int, Any]:
        if method not in ("best", "forward", "backward"):
            raise UnsupportedStep(f"R has no {method!r} subset search")
        r = self._call("subset", method=method, features=self._cols(features), max_size=max_size)
        return {
            int(size): ([features[i - 1] for i in chosen], _num(rss))
            for size, chosen, rss in zip(r["sizes"], r["features"], r["rss"], strict=True)
        }



def _csv_header(path: Path) -> list[str]:
    if Path(path).suffix.lower() != ".csv":
        raise ValueError(f"R reads the run's CSV, but {path} is not a .csv file")
    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def _positions(header: list[str], names: list[str], path: Path) -> list[int]:
    """1-based column positions of `names` in a CSV header (as R's read.csv will number them)."""
    where = {name: i + 1 for i, name in enumerate(header)}
    missing = [n for n in names if n not in where]
    if missing:
        raise ValueError(f"{path} has no column(s) {', '.join(missing)}")
    return [where[n] for n in names]
