"""scikit-learn-intelex (sklearnex, the accelerated scikit-learn Anaconda distributes): the `sklearn` adapter's
every call, through sklearnex's own estimator classes (`sklearnex.linear_model.LinearRegression`, ...).

Explicit sklearnex imports, not `sklearnex.patch_sklearn()`: nothing else in the process is patched, and the
stock `sklearn` row beside it stays stock when both run inline. sklearnex decides per call whether oneDAL runs
or stock scikit-learn does (a setting it does not support, e.g. `LogisticRegression(C=np.inf)`, falls back
silently), and says so only on its `sklearnex` logger: "<estimator>.<method>: running accelerated version on
CPU" or "... fallback to original Scikit-learn", the cause at DEBUG ("patching failed with cause - ..."). The
adapter listens to that logger (a filter on it: the records are kept, nothing is printed) and answers `ran()`
with the paths of the calls since it was last asked, so every cell's record says which code ran. Estimators
sklearnex does not have (HistGradientBoosting, PoissonRegressor) are stock scikit-learn, and said so too.

oneDAL's LinearRegression solves the normal equations (X'X, Cholesky-like), not scipy's lstsq with its
singular-value cut-off: a different loss of digits on ill-conditioned designs (NIST Longley, Wampler), graded by
the accuracy suite.
"""

from __future__ import annotations

import importlib
import logging
import re
from pathlib import Path
from typing import Any, ClassVar

from mlbench.adapter import Capability, SessionOptions
from mlbench.platforms.sklearn import GLM_ESTIMATORS, LBFGS, NO_SE, SFS_HOW, SklearnAdapter

LOGGER = "sklearnex"
# sklearnex 2026.2's words (daal4py/sklearn/_utils.PatchingConditionsChain.write_log, sklearnex/_utils)
SAID = re.compile(r"^\s*(?:sklearn\.\w+\.)?(?P<scope>[\w.]+): (?:(?P<accelerated>running accelerated version)|"
                  r"(?P<fallback>fallback to original Scikit-learn)|patching failed with cause - (?P<cause>.*))")
ONEDAL, STOCK = "oneDAL", "stock scikit-learn"
_PATCHED = "sklearnex runs oneDAL where it supports the setting, else stock scikit-learn: the cell's record says which"


class _Listener(logging.Filter):
    """The one filter on sklearnex's logger: hands what sklearnex says about each call to every live session's
    list (the conformance kit and tests hold several sessions in one process) and lets none of it through to a
    handler (sklearnex's own StreamHandler would print every call to stderr); warnings and errors pass. Installed
    with the first session, removed (and the logger's level restored) with the last."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level  # the logger's own level before the first session
        self.sessions: list[list[tuple[str, str, str]]] = []  # (scope, accelerated | fallback | cause, cause text)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        match = SAID.match(record.getMessage())
        if match:
            kind = next(k for k in ("accelerated", "fallback", "cause") if match.group(k) is not None)
            for said in self.sessions:
                said.append((match["scope"], kind, (match["cause"] or "").strip()))
        return False

    @classmethod
    def join(cls, said: list[tuple[str, str, str]]) -> None:
        logger = logging.getLogger(LOGGER)
        listener = next((f for f in logger.filters if isinstance(f, cls)), None)
        if listener is None:
            listener = cls(logger.level)
            logger.addFilter(listener)
            logger.setLevel(logging.DEBUG)  # the causes are said at DEBUG
        listener.sessions.append(said)

    @classmethod
    def leave(cls, said: list[tuple[str, str, str]]) -> None:
        logger = logging.getLogger(LOGGER)
        listener = next((f for f in logger.filters if isinstance(f, cls)), None)
        if listener is None:
            return
        listener.sessions = [s for s in listener.sessions if s is not said]
        if not listener.sessions:
            logger.removeFilter(listener)
            logger.setLevel(listener.level)


def paths(said: list[tuple[str, str, str]], stock: list[str]) -> str | None:
    """One line from sklearnex's words in call order: per scope (`LinearRegression.fit`), oneDAL or stock
    scikit-learn with its causes. sklearnex's dispatcher says "accelerated" before daal4py's own check may still
    fall back in the same call (LogisticRegression with C=inf: "Penalties other than l2 are not supported."), so
    a fallback cancels the scope's latest uncancelled "accelerated"."""
    accelerated: dict[str, int] = {}
    fell_back: dict[str, dict[str, None]] = {}
    pending: dict[str, list[str]] = {}
    for scope, kind, cause in said:
        if kind == "accelerated":
            accelerated[scope] = accelerated.get(scope, 0) + 1
        elif kind == "cause":
            pending.setdefault(scope, []).append(cause)
        else:
            if accelerated.get(scope):
                accelerated[scope] -= 1
            fell_back.setdefault(scope, {}).update(dict.fromkeys(pending.pop(scope, []) or ["no cause given"]))
    on_onedal = [scope for scope, count in accelerated.items() if count > 0]
    parts = [f"{ONEDAL}: {', '.join(on_onedal)}"] if on_onedal else []
    parts += [f"{STOCK}: {scope} ({' '.join(causes)})" for scope, causes in fell_back.items()]
    parts += [f"{STOCK}: {name} (not in sklearnex)" for name in dict.fromkeys(stock)]
    return "; ".join(parts) or None


class SklearnexAdapter(SklearnAdapter):
    """The `sklearn` adapter's scenarios with sklearnex's estimator classes (one hook: `_estimator`)."""

    name = "sklearnex"
    distribution = "scikit-learn-intelex"
    modules = ("sklearnex",)
    session_imports = ("sklearnex.linear_model", "sklearnex.ensemble")
    glm_estimators = GLM_ESTIMATORS
    capabilities: ClassVar[dict[str, Capability]] = {
        "pvalues": Capability.emulated("sklearnex LinearRegression().fit(X, y) (oneDAL: normal equations; through "
                                       "the origin fit_intercept=False); mlbench emulates SEs and p-values from its "
                                       "residuals", _PATCHED),
        "vif": Capability.emulated("auxiliary sklearnex LinearRegression().score (R² of each feature on the "
                                   "others); VIF = 1/(1 - R²) by mlbench", _PATCHED),
        "subset:forward": Capability.native(SFS_HOW.format(direction="forward") + " over sklearnex LinearRegression"),
        "subset:backward": Capability.native(SFS_HOW.format(direction="backward") + " over sklearnex LinearRegression"),
        "subset:best": Capability.emulated("mlbench's branch and bound over sklearnex LinearRegression fits (RSS), "
                                           "within the budgets"),
        "glm:binomial": Capability.emulated(f"sklearnex LogisticRegression(C=np.inf) ({LBFGS}){NO_SE}",
                                            "oneDAL's logistic takes only an l2 penalty: C=inf (unpenalised) runs "
                                            "stock scikit-learn, recorded per cell"),
        "glm:poisson": Capability.emulated(f"PoissonRegressor(alpha=0) ({LBFGS}){NO_SE}",
                                           "sklearnex has no PoissonRegressor: stock scikit-learn"),
        "train:linear": Capability.native("sklearnex LinearRegression (oneDAL)", _PATCHED),
        "train:logistic": Capability.native("sklearnex LogisticRegression(C=inf: unpenalised, lbfgs)",
                                            "C=inf is not an l2 penalty: stock scikit-learn runs, recorded per cell"),
        "train:random_forest": Capability.native("sklearnex RandomForestClassifier/Regressor (oneDAL: histogram "
                                                 "splits, max_bins 256: other trees than stock by design)", _PATCHED),
        "train:gbm": Capability.native("HistGradientBoostingClassifier/Regressor (early stopping off)",
                                       "sklearnex has no gradient boosting: stock scikit-learn"),
        "deploy": Capability.native("joblib (unpickling imports sklearnex); ONNX via skl2onnx with sklearn's "
                                    "converters for sklearnex's classes (float64 linear, float32 trees)"),
    }

    def start_session(self, options: SessionOptions) -> None:
        """Imports sklearnex's estimators and starts listening to its logger at DEBUG (for the causes)."""
        super().start_session(options)
        self._stock: list[str] = []
        self._said: list[tuple[str, str, str]] | None = []
        _Listener.join(self._said)

    def close(self) -> None:
        said = getattr(self, "_said", None)
        if said is not None:
            _Listener.leave(said)
            self._said = None

    def _estimator(self, module: str, name: str) -> Any:
        """sklearnex's class where it has one; else stock scikit-learn's, noted for `ran`."""
        patched = importlib.import_module(f"sklearnex.{module}")
        if hasattr(patched, name):
            return getattr(patched, name)
        self._stock.append(name)
        return super()._estimator(module, name)

    def predict(self, model: Any) -> Any:
        """The `sklearn` adapter's predictions; a stock model's (gradient boosting) is said to be stock too, as
        sklearnex's logger says nothing about it."""
        if not type(model).__module__.startswith("sklearnex."):
            self._stock.append(f"{type(model).__name__}.predict")
        return super().predict(model)

    def export(self, model: Any, directory: Path) -> dict[str, Any]:
        """The `sklearn` adapter's formats, with skl2onnx told that sklearnex's class converts as its stock
        namesake (see `_convert_as_stock`)."""
        _convert_as_stock(type(model))
        return super().export(model, directory)

    def ran(self) -> str | None:
        """oneDAL or stock scikit-learn per estimator method called since the last asking (see `paths`)."""
        said = getattr(self, "_said", None)
        if said is None:
            return None
        answer = paths(list(said), self._stock)
        said.clear()
        self._stock = []
        return answer


def _convert_as_stock(cls: type) -> None:
    """skl2onnx finds a model's converter (and, for a classifier, its parser) by the model's exact type, so a
    sklearnex class is "unable to find a shape calculator". Each sklearnex estimator subclasses or mirrors its
    stock scikit-learn namesake and keeps the fitted attributes the stock converter reads (coef_, intercept_,
    classes_, estimators_): registered under the namesake's converter, the ONNX model is what a stock model with
    those attributes converts to. A class with no stock namesake is left unregistered, and skl2onnx says so."""
    from skl2onnx import _parse
    from skl2onnx import _supported_operators as operators

    package = cls.__module__.split(".")[1] if cls.__module__.startswith("sklearnex.") else ""
    stock = getattr(importlib.import_module(f"sklearn.{package}"), cls.__name__, None) if package else None
    if stock is None or stock not in operators.sklearn_operator_name_map:
        return
    operators.sklearn_operator_name_map[cls] = operators.sklearn_operator_name_map[stock]
    if stock in _parse.sklearn_parsers_map:
        _parse.sklearn_parsers_map[cls] = _parse.sklearn_parsers_map[stock]
