"""The contract between mlbench's core and one ML platform.

An adapter contains platform calls only: it starts a session, loads a file with the platform's own reader,
and answers primitive questions (fit this OLS, give these VIFs, run your native subset search), returning what
the platform returned. Everything else - backward elimination, iterative VIF removal, emulation of p-values,
VIF and subset search from primitives, timing, memory, grading - lives in the core, so every platform is driven
and measured the same way.

Each adapter declares, per step and variant, whether it does the work natively, emulated (mlbench drives the
platform's own fits) or not at all, and why. The runner never calls a primitive for an unsupported step.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

from mlbench.errors import UnsupportedStep


class Support(str, Enum):
    NATIVE = "native"
    EMULATED = "emulated"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Capability:
    """How an adapter does one step (or one variant such as `subset:best`)."""

    support: Support
    how: str = ""  # what actually runs, shown in reports, e.g. "statsmodels OLS" or "SequentialFeatureSelector"
    reason: str = ""  # why unsupported, or a caveat of the emulation
    tests_coefficients: bool = False  # the platform's own procedure tests its coefficients (t or z), so it needs
    # residual degrees of freedom (n > p + 1) where the step itself may not: a shape condition (steps.shape_problem)

    @classmethod
    def native(cls, how: str, reason: str = "", tests_coefficients: bool = False) -> Capability:
        return cls(Support.NATIVE, how, reason, tests_coefficients)

    @classmethod
    def emulated(cls, how: str, reason: str = "") -> Capability:
        return cls(Support.EMULATED, how, reason)

    @classmethod
    def unsupported(cls, reason: str) -> Capability:
        return cls(Support.UNSUPPORTED, "", reason)


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str = ""


@dataclass
class OLSFit:
    """An OLS fit as a platform reported it. Term names follow DESIGN.md (`Intercept` first); a fit through the
    origin (`DataSource.intercept` False) has no `Intercept` term, and its R², adj. R² and F are R's for such a
    fit (about 0, not the mean: the uncentred total sum of squares, df_model = p)."""

    terms: list[str]
    estimate: list[float]
    std_error: list[float]
    t_value: list[float]
    p_value: list[float]
    r_squared: float
    adj_r_squared: float
    f_statistic: float
    df_model: int
    df_resid: int
    rss: float
    n_obs: int
    aliased: list[str] = field(default_factory=list)  # terms the platform dropped as collinear (R's NA rows)
    not_estimable: list[str] = field(default_factory=list)  # the truth reference only: coefficients not identified

    def coefficients(self) -> dict[str, dict[str, float]]:
        return {
            term: {"estimate": e, "std_error": s, "t_value": t, "p_value": p}
            for term, e, s, t, p in zip(
                self.terms, self.estimate, self.std_error, self.t_value, self.p_value, strict=True
            )
        }


FAMILIES = ("gaussian", "binomial", "poisson")  # gaussian: OLS (`OLSFit`); binomial: logit link; poisson: log link


@dataclass
class GLMFit:
    """A maximum-likelihood GLM fit with intercept (binomial with logit link, poisson with log link), as a platform
    reported it: what R's `summary(glm())` prints. Wald z and p per term; NaN where the platform gives nothing.

    `iterations`, `converged` and `warnings` are the platform's own words (None: it does not say), so a
    platform that silently returns finite numbers on separated data can be told from one that warned."""

    family: str
    terms: list[str]  # `Intercept` first, then the features in the order asked
    estimate: list[float]
    std_error: list[float]
    z_value: list[float]
    p_value: list[float]
    deviance: float
    null_deviance: float
    aic: float
    df_resid: int
    n_obs: int
    iterations: int | None = None
    converged: bool | None = None
    warnings: list[str] = field(default_factory=list)
    aliased: list[str] = field(default_factory=list)
    covariance: list[list[float]] | None = None  # the platform's own coefficient covariance (terms' order), if any

    def coefficients(self) -> dict[str, dict[str, float]]:
        return {
            term: {"estimate": e, "std_error": s, "z_value": z, "p_value": p}
            for term, e, s, z, p in zip(
                self.terms, self.estimate, self.std_error, self.z_value, self.p_value, strict=True
            )
        }


@dataclass
class GLMCoefficients:
    """The estimates of a platform's GLM fit that reports no standard errors (scikit-learn, TensorFlow): mlbench
    emulates the inference from them (the Fisher information X'WX at these estimates, in float64)."""

    intercept: float
    coefficients: list[float]
    iterations: int | None = None
    converged: bool | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class SessionOptions:
    """What the runner tells an adapter about the run it is part of."""

    run_dir: Path
    seed: int = 42
    cores: int = 2
    memory: str = "4G"
    log_path: Path | None = None
    h2o_url: str | None = None
    spark_master: str | None = None
    cores_given: bool = False  # --cores was given: a cluster mlbench can size (Spark standalone) takes it as executors


@dataclass
class DataSource:
    """One dataset as the run materialised it: the same design matrix for every platform.

    `parquet_path` / `csv_path` hold the numeric design (dummy-coded, missing rows dropped) plus the target,
    so every platform reads identical columns with its own reader.
    """

    name: str
    parquet_path: Path
    csv_path: Path
    target: str
    features: list[str]
    n_rows: int
    test_parquet_path: Path | None = None  # train steps: the fixed test set, scored by `predict`
    test_csv_path: Path | None = None
    task: str | None = None  # "classification" (target 0/1) or "regression"
    intercept: bool = True  # False: every OLS of the statistics steps is a fit through the origin (y ~ 0 + x)
    sparse_path: Path | None = None  # sparse shape: the training design as scipy CSR (.npz), for platforms taking CSR
    test_sparse_path: Path | None = None  # ... and the test set's (platforms/frames.read_sparse reads both)


@dataclass(frozen=True)
class TrainSpec:
    """One model to train, with hyperparameters matched across platforms (declared in the scenario)."""

    family: str  # linear | logistic | random_forest | gbm
    task: str  # classification | regression
    trees: int = 100
    max_depth: int = 6
    learning_rate: float = 0.1
    seed: int = 42
    cores: int = 2


def require_reachable(url: str, what: str, timeout: float = 5.0) -> None:
    """Fail within `timeout` seconds when nothing listens at the URL's host:port (clients retry for minutes)."""
    problem = unreachable(url, what, timeout)
    if problem:
        from mlbench.sanitize import redact

        raise ConnectionError(redact(problem))


def unreachable(url: str, what: str, timeout: float = 2.0) -> str | None:
    """Why nothing answers at the URL's host:port, in one line; None when something listens (or the URL names
    no single host:port, e.g. a YARN master: then the platform's client is left to judge)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url if "://" in url else f"http://{url}")
    try:
        port = parts.port
    except ValueError:  # e.g. a multi-master list "spark://a:7077,b:7077": leave it to the platform's client
        return None
    if parts.hostname is None or port is None:
        return None  # no explicit port (e.g. a YARN or k8s master): leave it to the platform's client
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{what} at {url} is not reachable ({exc.strerror or exc})"


class Adapter(ABC):
    """Base class of every platform adapter. Subclasses set the class attributes and override primitives."""

    name: ClassVar[str]
    adapter_version: ClassVar[str] = "1"
    distribution: ClassVar[str]  # the PyPI distribution whose version is the platform version
    modules: ClassVar[tuple[str, ...]] = ()  # import names that must be importable
    session_imports: ClassVar[tuple[str, ...]] = ()  # imported in the session phase (default: `modules`)
    needs_java: ClassVar[bool] = False
    capabilities: ClassVar[dict[str, Capability]] = {}  # keys: "pvalues", "vif", "subset:best", ...
    intercept: bool = True  # the loaded source's `intercept` (set by `load`): False, every OLS through the origin

    # ----- declarations (cheap: no platform import) -------------------------------------------------

    @classmethod
    def declared(cls, step: str, variant: str | None = None) -> Capability | None:
        """What this class itself declares for `step:variant`, else for `step`, else None. What it means for a
        step that requires another or shares another's support is resolved by the step table:
        `mlbench.steps.capability(cls, step, variant)`."""
        if variant is not None and f"{step}:{variant}" in cls.capabilities:
            return cls.capabilities[f"{step}:{variant}"]
        return cls.capabilities.get(step)

    @classmethod
    def platform_version(cls) -> str | None:
        try:
            return importlib.metadata.version(cls.distribution)
        except importlib.metadata.PackageNotFoundError:
            return None

    @classmethod
    def availability(cls) -> Availability:
        for module in cls.modules:
            if importlib.util.find_spec(module) is None:
                return Availability(
                    False, f"python package {module!r} is not installed (pip install 'mlbench[{cls.name}]')"
                )
        if cls.needs_java:
            from mlbench.environment import java_problem

            problem = java_problem()
            if problem:
                return Availability(False, problem)
        return Availability(True)

    @classmethod
    def fixed_cores(cls, options: SessionOptions) -> str | None:
        """Why this session's core count is not mlbench's to set (a cluster joined by URL: its nodes' threads were
        fixed when it started), in words; None when the session takes `options.cores` (the default). A core sweep
        runs such an adapter once and says why."""
        return None

    # ----- lifecycle (timed by the runner as phases) -------------------------------------------------

    def start_session(self, options: SessionOptions) -> None:
        """Start or connect to the platform (JVMs, clusters). Phase `session`.

        The default imports the platform's modules, so a cold import is charged to `session` (as a JVM start
        is for H2O and Spark), not to whichever step happens to run first.
        """
        self.options = options
        for module in self.session_imports or self.modules:
            importlib.import_module(module)

    def liveness(self) -> str | None:
        """None while the platform this session started or joined is up; once it is gone, one line saying how
        (e.g. "H2O JVM (pid 123) killed by signal 9 (SIGKILL)", "Spark master at spark://h:7077 is not
        reachable (Connection refused)"). Cheap and safe to call from another thread while a call runs: the
        worker polls it during every call, so a death fails the cell in seconds rather than after a client's
        retries. In-process libraries have nothing that can die apart from the worker: the default says up."""
        return None

    @abstractmethod
    def load(self, source: DataSource) -> None:
        """Read the run's data file with the platform's own reader. Phase `load`."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release everything start_session acquired; must be safe to call twice."""

    # ----- step primitives (phase `fit`); the default says "not supported" ---------------------------

    def ols(self, features: list[str]) -> OLSFit:
        """OLS of the target on `features` plus an intercept (none when the loaded source's `intercept` is False:
        the platform's own fit through the origin): estimates, standard errors, t and p values, as the platform
        reports them (declared `native` for pvalues)."""
        raise UnsupportedStep(f"{self.name} has no OLS")

    def coefficients(self, features: list[str]) -> tuple[float, list[float]]:
        """(intercept, coefficients) of the platform's OLS fit of the target on `features`, for a platform that
        reports no standard errors: mlbench emulates the inference from them (pvalues declared `emulated`). A fit
        through the origin (the source's `intercept` False) returns 0.0 as its intercept."""
        raise UnsupportedStep(f"{self.name} has no OLS coefficients")

    def r_squared(self, features: list[str], target: str) -> float:
        """R² of the platform's OLS fit of the column `target` on `features` plus an intercept: the auxiliary
        regression from which mlbench emulates VIF (vif declared `emulated`). VIF is a statistic of models with
        an intercept: mlbench does not ask for it on a fit through the origin."""
        raise UnsupportedStep(f"{self.name} has no auxiliary R²")

    def rss(self, features: list[str]) -> float:
        """Residual sum of squares of one OLS fit; the unit of work of emulated subset searches."""
        return self.ols(features).rss

    def vif(self, features: list[str]) -> dict[str, float]:
        """Variance inflation factor of each feature in an OLS with intercept (R car::vif semantics), by the
        platform's own VIF (vif declared `native`)."""
        raise UnsupportedStep(f"{self.name} has no VIF")

    def gvif(self, features: list[str], groups: dict[str, list[str]]) -> dict[str, float]:
        """car's generalised VIF of each term (groups: term -> its columns among `features`, a factor's dummies)
        by the platform's own call. Optional: without it mlbench computes the GVIF from the platform's `vif` on
        sub-models (mlbench.stats.procedures.gvif_from_vif)."""
        raise UnsupportedStep(f"{self.name} has no generalised VIF")

    def subset(self, method: str, features: list[str], max_size: int) -> dict[int, Any]:
        """A native subset search: size -> chosen features, or (features, RSS) when the platform's search
        reports the RSS (saves a refit per size). Only called when declared native."""
        raise UnsupportedStep(f"{self.name} has no native {method} subset search")

    def glm(self, features: list[str], family: str) -> GLMFit:
        """Maximum-likelihood GLM of the target on `features` plus an intercept, `family` "binomial" (logit) or
        "poisson" (log), with the platform's own defaults for stopping and no penalty: estimates, SEs, Wald z
        and p, deviance, AIC, iterations and convergence as the platform reports them (declared `native`)."""
        raise UnsupportedStep(f"{self.name} has no {family} GLM")

    def glm_vif(self, features: list[str], family: str) -> dict[str, float]:
        """VIF of each feature in a GLM as the platform's own call computes it (R's `car::vif` on a `glm`: from the
        coefficient covariance). Optional: without it mlbench computes it from the fit's covariance."""
        raise UnsupportedStep(f"{self.name} has no GLM VIF")

    def glm_coefficients(self, features: list[str], family: str) -> GLMCoefficients:
        """The estimates of the platform's unpenalised GLM fit, for a platform that reports no standard errors:
        mlbench emulates the inference (declared `emulated`)."""
        raise UnsupportedStep(f"{self.name} has no {family} GLM coefficients")

    def fit(self, spec: TrainSpec) -> Any:
        """Train one model on the loaded training data; return a handle for `predict`. Phase `fit`."""
        raise UnsupportedStep(f"{self.name} cannot train {spec.family}")

    def predict(self, model: Any) -> Any:
        """Predictions on the loaded test set as a 1-d numpy array: P(y = 1) for classification, values for
        regression. Only the prediction vector comes back to Python. Phase `predict`."""
        raise UnsupportedStep(f"{self.name} cannot predict")

    def export(self, model: Any, directory: Path) -> dict[str, Any]:
        """Write every deployable format of a trained model into `directory`. Returns {"artifacts":
        [mlbench.deploy.loaders.Artifact, ...], "unavailable": {format: why}, "tracebacks": {format: text}}: `why` is
        one sentence (`mlbench.deploy.failures.record` writes both), the traceback goes to errors.log. Phase
        `export`."""
        raise UnsupportedStep(f"{self.name} cannot export models")

    def release(self, model: Any) -> None:  # noqa: B027 - optional hook
        """Free a trained model the runner no longer needs (platforms holding models in a JVM drop them)."""

    def ran(self) -> str | None:
        """What actually ran in this adapter's calls since it was last asked, in one line, for a platform that
        chooses its code path itself where the declaration cannot say (scikit-learn-intelex runs oneDAL or falls
        back to stock scikit-learn per call and setting). The runner asks after each fit and predict phase and
        keeps the answer on the cell's record (`result["ran"]`), which the reports show beside its `how`. None:
        nothing to add to the declaration."""
        return None

    def describe(self) -> dict[str, Any]:
        """Extra facts for provenance (e.g. the cluster version actually connected to). `computes_elsewhere`: True
        when the platform's work runs in processes outside this adapter's process tree (a cluster joined by URL),
        whose CPU time mlbench cannot measure; the reports then do not read wall above CPU as waiting."""
        return {}


def primitives() -> tuple[str, ...]:
    """The calls a runner makes on an adapter (lifecycle and step primitives): every public method the Adapter
    class defines except `close`, which a handle performs itself. A primitive added to the contract is forwarded
    to worker processes with no other change."""
    import inspect

    return tuple(name for name, value in vars(Adapter).items()
                 if inspect.isfunction(value) and not name.startswith("_") and name != "close")
