"""GNU Octave (Matlab's language): the statistics package's fitlm, regress, stepwisefit and logistic_regression,
in one long-lived `octave-cli` process.

Matlab itself is commercial; Octave runs the same language, and its statistics package (Debian bookworm: 1.5.3)
has Matlab's `fitlm` (estimate, SE, t, p), `regress` and `stepwisefit`. Octave is not a Python package: the
adapter starts `octave-cli` once per session (phase `session`: starting Octave and `pkg load statistics`) and
keeps it, as the R adapter keeps Rscript. Each primitive is one JSON request line on Octave's stdin (decoded by
Octave's own `jsondecode`) and one JSON answer line on its stdout; doubles come back as "%.17g" text, so they are
exact. Whatever Octave prints while a request runs (warnings such as "matrix singular to machine precision"
included) is captured with `evalc` and written to the platform log. The Octave side is `octave_server.m`.

Data: the run's parquet file is read with pandas and handed to Octave as raw little-endian float64, column-major,
which Octave reads with `fread(fid, [n, p], "double", 0, "ieee-le")`. That keeps every double bit for bit with no
parser in between and no dependency; Octave's text readers (`dlmread`, `csvread`, `textscan`) parse decimal text
at a cost that grows with the training sizes, and `load`/`save -binary` would need a writer of Octave's own
format on the Python side. oct2py was not used: it exchanges data through .mat files written by scipy and drives
Octave through its own expect-style wrapper, one more dependency for what forty lines of pipe protocol do.
Names never cross into Octave: Python sends 1-based column positions and maps answers back to mlbench's names.

What each step calls, and what it cannot do (each stated in the capabilities below):
- p-values: `fitlm(X, y)`, whose fit is `anovan`'s QR (`lmfit`), p = 2 * (1 - tcdf(|t|, dfe)): a p-value below
  about 1e-16 comes back as 0 or a multiple of eps (graded absolutely, so right to 15 digits). fitlm returns no R²
  or F (they are in anovan's ANOVA table, which fitlm does not return), so mlbench.stats.ols finishes them from
  fitlm's residuals and the target's centred sum of squares as `regress` computes it. fitlm always fits an
  intercept (1.5.3 has no 'Intercept' option), so a fit through the origin is unsupported. Octave has no
  aliasing: on exactly collinear columns fitlm warns and answers what its singular solve gives, which is what is
  recorded. Its cost grows as n³ (`FITLM_COST`): fine on Hitters' 263 rows, a minute at 2000.
- VIF: emulated from `regress`'s own R² (`stats(1)`) of each auxiliary regression.
- forward subsets: `stepwisefit(y, X, penter, premove, "p")`, traced over its whole path (see STEPWISE_*).
  stepwisefit is p-value based: with the same number of columns in every candidate model, the smallest partial
  p-value is the largest partial F, i.e. the smallest RSS, so method "p" visits the RSS-greedy forward path.
  Its default method "corr" (the highest correlation with the current residuals) is a different path. It has no
  backward mode in 1.5.3 (it always starts from the empty model): backward and best are mlbench's searches over
  `regress` fits.
- training: linear by `regress`, logistic by `logistic_regression` (k = 2 ordinal categories: binary logistic
  regression); no tree ensembles, no deployable format.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path
from typing import Any

from mlbench.adapter import Availability, Capability, DataSource, OLSFit, SessionOptions
from mlbench.errors import UnsupportedStep
from mlbench.platforms import frames
from mlbench.platforms.server_process import ServerError, ServerProcessAdapter, tool_version
from mlbench.stats.ols import goodness_of_fit

OCTAVE = "octave-cli"
INSTALL_HINT = "apt-get install octave octave-statistics"
# --norc: neither the site's nor a user's ~/.octaverc may print into the protocol or change settings.
OCTAVE_ARGS = ("--norc", "--quiet", "--no-history", "--no-window-system", "--no-line-editing")
SERVER_SCRIPT = Path(__file__).with_name("octave_server.m")

# stepwisefit's entry and removal p-values, chosen so that it traces its whole forward path: every candidate whose
# partial p-value is below STEPWISE_PENTER enters (on Hitters the last one enters at p 0.92), and premove = 1 never
# removes one (tinv(1 - 1/2) = 0, so its removal threshold is 0). Octave's defaults, penter 0.05 and premove 0.1,
# stop where no candidate reaches p < 0.05 (5 columns on Hitters) and may remove columns on the way.
STEPWISE_PENTER = 0.999999
STEPWISE_PREMOVE = 1.0
STEPWISE_METHOD = "p"

FITLM_HOW = ("statistics fitlm(X, y) (anovan's QR fit; t = b/SE, p = 2*(1 - tcdf(|t|, dfe)), so p below ~1e-16 is "
             "0 or a multiple of eps); R², adj. R², F finished by mlbench from fitlm's residuals and the centred "
             "sum of squares of y; none through the origin (fitlm always fits an intercept)")
FITLM_COST = ("fitlm's anovan builds W = eye(n) and chol(W) for each of its 2p + 1 QR fits (p + 1 of them for the "
              "Type II ANOVA it discards): time grows as n³ (measured with 5 columns on a loaded 2-core machine: "
              "1.6 s at 500 rows, 7.8 s at 1000, 63 s at 2000)")
ORIGIN_UNSUPPORTED = ("Octave's fitlm (statistics 1.5.3) always fits an intercept (its MODELSPEC's intercept row "
                      "is ignored and it has no 'Intercept' option), so it cannot answer a fit through the origin")
NO_TREES = ("Octave's statistics package 1.5.3 has no tree ensembles (Matlab's TreeBagger and fitcensemble are not "
            "in it)")
NO_GLM = ("statistics 1.5.3 has no glmfit (it arrived in 1.7.0); its logistic_regression has no Poisson family and "
          "reports no null deviance or AIC, so mlbench does not drive it for the GLM steps")


def _num(value: Any) -> float:
    """A double from Octave: "%.17g" text (exact); float() reads "NaN", "Inf" and "-Inf"."""
    return float(value)


def _nums(values: list[Any]) -> list[float]:
    return [_num(v) for v in values]


@functools.lru_cache(maxsize=1)
def _octave_version() -> str | None:
    """Octave's version from `octave-cli --version` (answered without loading packages)."""
    return tool_version(OCTAVE)


@functools.lru_cache(maxsize=1)
def _octave_problem() -> str | None:
    """Why Octave cannot run the adapter (no octave-cli, no statistics package, no fitlm in it), or None. One
    Octave start (~0.5 s), cached."""
    octave = shutil.which(OCTAVE)
    if octave is None:
        return f"GNU Octave not installed: {INSTALL_HINT}"
    probe = "pkg load statistics; printf('fitlm %d\\n', exist('fitlm'));"
    try:
        proc = subprocess.run([octave, *OCTAVE_ARGS, "--eval", probe], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"octave-cli does not run ({exc}): {INSTALL_HINT}"
    if proc.returncode != 0:
        if "package" in proc.stderr and "statistics" in proc.stderr:
            return "Octave's statistics package is not installed: apt-get install octave-statistics"
        return f"octave-cli failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
    if "fitlm 2" not in proc.stdout:
        return ("Octave's statistics package has no fitlm (it needs statistics >= 1.5.0): apt-get install "
                "octave-statistics")
    return None


class OctaveError(ServerError):
    """Octave answered a request with an error (the message is Octave's own)."""


class OctaveAdapter(ServerProcessAdapter):
    name = "octave"
    distribution = "GNU Octave"  # not a PyPI distribution: platform_version asks octave-cli
    capabilities = {
        "pvalues": Capability.native(FITLM_HOW, FITLM_COST),
        "vif": Capability.emulated("auxiliary regress(y, [ones X]) fits: R² = stats(1) of each feature on the others; "
                                   "VIF = 1/(1 - R²) by mlbench"),
        "subset:forward": Capability.native(
            f"stepwisefit(y, X, penter = {STEPWISE_PENTER}, premove = {STEPWISE_PREMOVE:g}, '{STEPWISE_METHOD}'): the "
            "smallest partial p-value enters while p < penter and none is removed, so its whole path is traced; by "
            "p-value, which with equal model sizes is the RSS-greedy order (its default 'corr' method is another path)"
        ),
        "subset:backward": Capability.emulated(
            "mlbench's backward stepwise over regress fits (RSS)",
            "stepwisefit in statistics 1.5.3 always starts from the empty model (no Matlab 'InModel'): no native "
            "backward search",
        ),
        "subset:best": Capability.emulated("mlbench's branch and bound over regress fits (RSS), within the budgets",
                                           "Octave has no exhaustive subset search"),
        "train:linear": Capability.native("regress(y, [ones X]) (QR), no regularisation"),
        "train:logistic": Capability.native(
            "logistic_regression(y, X): binary logistic regression as the 2-category ordinal model, Newton steps "
            "with Levenberg damping to a 1e-12 score tolerance",
            "its derivatives build n x n diag() matrices: memory grows as n² (one is 0.8 GB at 10k rows, 80 GB at "
            "100k), so the training ladder's larger sizes are out of its reach",
        ),
        "train:random_forest": Capability.unsupported(NO_TREES),
        "train:gbm": Capability.unsupported(NO_TREES),
        "glm:binomial": Capability.unsupported(NO_GLM),
        "glm:poisson": Capability.unsupported(NO_GLM),
        "deploy": Capability.unsupported(
            "an Octave model is a struct of coefficients inside the session: Octave has no model export format "
            "(no ONNX, PMML or Matlab Coder's saveLearnerForCoder), so nothing deployable exists"
        ),
    }
    server_label = "Octave"
    server_error = OctaveError

    @classmethod
    def platform_version(cls) -> str | None:
        return _octave_version()

    @classmethod
    def availability(cls) -> Availability:
        problem = _octave_problem()
        return Availability(False, problem) if problem else Availability(True)

    # ----- lifecycle -------------------------------------------------------------------------------

    def start_session(self, options: SessionOptions) -> None:
        octave = shutil.which(OCTAVE)
        if octave is None:
            raise RuntimeError(f"GNU Octave not installed: {INSTALL_HINT}")
        self._start_server(options, [octave, *OCTAVE_ARGS, str(SERVER_SCRIPT)], prefix="octave-")

    def load(self, source: DataSource) -> None:
        """pandas reads the run's parquet file; Octave `fread`s its columns as raw float64 (exact)."""
        assert self._workdir is not None
        self.source = source
        self.intercept = source.intercept  # False: the statistics steps' fits go through the origin
        self.features = list(source.features)
        self._index = {name: i + 1 for i, name in enumerate(self.features)}  # 1-based, as Octave counts
        train, test = frames.read(source)
        files = {"x_path": self._workdir / "X.f64", "y_path": self._workdir / "y.f64"}
        request: dict[str, Any] = {"n": len(train), "p": len(self.features)}
        # column-major: X.T in C order is X in Fortran order, what fread(fid, [n, p]) fills
        train[self.features].to_numpy(dtype="<f8").T.tofile(files["x_path"])
        train[source.target].to_numpy(dtype="<f8").tofile(files["y_path"])
        if test is not None:
            files["test_x_path"] = self._workdir / "X_test.f64"
            test[self.features].to_numpy(dtype="<f8").T.tofile(files["test_x_path"])
            request["n_test"] = len(test)
        del train, test
        try:
            self._call("load", **request, **{key: str(path) for key, path in files.items()})
        finally:
            for path in files.values():
                path.unlink(missing_ok=True)  # Octave holds the data now

    def describe(self) -> dict[str, Any]:
        facts = getattr(self, "_facts", None) or {}
        return {"octave_version": facts.get("octave_version"), "statistics_version": facts.get("statistics_version")}

    # ----- primitives ------------------------------------------------------------------------------

    def ols(self, features: list[str]) -> OLSFit:
        """fitlm's coefficient table; R², adj. R² and F finished from its residual sum of squares."""
        if not self.intercept:
            raise UnsupportedStep(ORIGIN_UNSUPPORTED)
        r = self._call("ols", features=self._cols(features))
        rss, df_resid, n = _num(r["rss"]), int(r["df_resid"]), int(r["n_obs"])
        r2, adj, f = goodness_of_fit(rss, _num(r["tss"]), n, len(features), df_resid)
        return OLSFit(
            terms=["Intercept", *features],
            estimate=_nums(r["estimate"]),
            std_error=_nums(r["std_error"]),
            t_value=_nums(r["t_value"]),
            p_value=_nums(r["p_value"]),
            r_squared=r2 if features else 0.0,
            adj_r_squared=adj if features else 0.0,
            f_statistic=f,
            df_model=len(features),
            df_resid=df_resid,
            rss=rss,
            n_obs=n,
        )

    def rss(self, features: list[str]) -> float:
        """regress's residual sum of squares (through the origin without the column of ones)."""
        return _num(self._call("rss", features=self._cols(features), intercept=self.intercept)["rss"])

    def r_squared(self, features: list[str], target: str) -> float:
        r = self._call("r_squared", features=self._cols(features), target=self._cols([target])[0])
        return _num(r["r_squared"])

    def subset(self, method: str, features: list[str], max_size: int) -> dict[int, Any]:
        """stepwisefit's forward path: the first k columns it entered are its model of size k."""
        if method != "forward":
            raise UnsupportedStep(f"Octave's stepwisefit has no {method!r} search (it starts from the empty model)")
        r = self._call("stepwise", features=self._cols(features), penter=STEPWISE_PENTER,
                       premove=STEPWISE_PREMOVE, method=STEPWISE_METHOD)
        order = [features[i - 1] for i in r["order"]]
        return {k: order[:k] for k in range(1, min(max_size, len(order)) + 1)}
