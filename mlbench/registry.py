"""Adapters by name, from the entry-point group `mlbench.adapters` (the built-ins are declared there too).

Registration is a "module:Class" string, so listing names never imports a platform; the class is imported
only when an adapter is asked for. Built-ins are listed here as well, so a source checkout that was never
installed still finds them; an entry point that reuses a built-in name for another class is rejected.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os

from mlbench.adapter import Adapter
from mlbench.errors import MlbenchError, unknown

GROUP = "mlbench.adapters"
BUILTINS: dict[str, str] = {
    "sklearn": "mlbench.platforms.sklearn:SklearnAdapter",
    "sklearnex": "mlbench.platforms.sklearnex:SklearnexAdapter",
    "statsmodels": "mlbench.platforms.statsmodels:StatsmodelsAdapter",
    "h2o": "mlbench.platforms.h2o:H2OAdapter",
    "spark": "mlbench.platforms.spark:SparkAdapter",
    "xgboost": "mlbench.platforms.xgboost:XGBoostAdapter",
    "r": "mlbench.platforms.r:RAdapter",
    "tensorflow": "mlbench.platforms.tensorflow:TensorFlowAdapter",
    "octave": "mlbench.platforms.octave:OctaveAdapter",
    "lightgbm": "mlbench.platforms.lightgbm:LightGBMAdapter",
    "catboost": "mlbench.platforms.catboost:CatBoostAdapter",
    "sklearn-default": "mlbench.platforms.sklearn:SklearnDefaultAdapter",  # GLMs only: sklearn's penalised defaults
}  # the one list of built-ins: tests/test_architecture.py holds it equal to pyproject.toml's entry points


ENV_VAR = "MLBENCH_ADAPTERS"  # "name=module:Class,..." - for development and tests, without installing


def _extra_from_env() -> list[tuple[str, str]]:
    pairs = []
    for item in filter(None, (part.strip() for part in os.environ.get(ENV_VAR, "").split(","))):
        name, sep, target = item.partition("=")
        if not sep or ":" not in target:
            raise MlbenchError(f"{ENV_VAR}: {item!r} is not name=module:Class")
        pairs.append((name.strip(), target.strip()))
    return pairs


@functools.lru_cache(maxsize=1)
def registered() -> dict[str, str]:
    """name -> "module:Class" for every adapter: built-ins first, then entry points, then $MLBENCH_ADAPTERS."""
    table = dict(BUILTINS)
    found = [(ep.name, ep.value) for ep in importlib.metadata.entry_points(group=GROUP)]
    for name, target in [*found, *_extra_from_env()]:
        if name in table and table[name] != target:
            raise MlbenchError(f"adapter name {name!r} is registered twice ({table[name]} and {target}); rename one")
        table[name] = target
    return table


def names() -> list[str]:
    return list(registered())


def get(name: str) -> type[Adapter]:
    table = registered()
    if name not in table:
        raise MlbenchError(unknown("adapter", name, table))
    module_name, _, class_name = table[name].partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except Exception as exc:  # noqa: BLE001 - a broken third-party adapter is a one-line error, not a traceback
        why = f"{type(exc).__name__}: {exc}"
        raise MlbenchError(f"adapter {name!r} cannot be loaded from {table[name]}: {why}") from None
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise MlbenchError(f"adapter {name!r} ({table[name]}) is not an mlbench.adapter.Adapter subclass")
    return cls
