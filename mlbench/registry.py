"""Adapters by name, from the entry-point group `mlbench.adapters` (the built-ins are declared there too).

Registration is a "module:Class" string, so listing names never imports a platform; the class is imported
only when an adapter is asked for. Built-ins are listed here as well, so a source checkout that was never
installed still finds them; an entry point that reuses a built-in name for another class is rejected.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import importlib.metadata

from mlbench.adapter import Adapter
from mlbench.errors import MlbenchError

GROUP = "mlbench.adapters"
BUILTINS: dict[str, str] = {
    "sklearn": "adapters.sklearn:SklearnAdapter",
    "statsmodels": "adapters.statsmodels:StatsmodelsAdapter",
    "h2o": "adapters.h2o:H2OAdapter",
    "spark": "adapters.spark:SparkAdapter",
    "xgboost": "adapters.xgboost:XGBoostAdapter",
}


def suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@functools.lru_cache(maxsize=1)
def registered() -> dict[str, str]:
    """name -> "module:Class" for every adapter: built-ins first, then third-party entry points."""
    table = dict(BUILTINS)
    for ep in importlib.metadata.entry_points(group=GROUP):
        if ep.name in table and table[ep.name] != ep.value:
            raise MlbenchError(
                f"adapter name {ep.name!r} is registered twice ({table[ep.name]} and {ep.value}); rename one"
            )
        table[ep.name] = ep.value
    return table


def names() -> list[str]:
    return list(registered())


def get(name: str) -> type[Adapter]:
    table = registered()
    if name not in table:
        raise MlbenchError(f"unknown adapter {name!r}{suggest(name, list(table))}; known: {', '.join(table)}")
    module_name, _, class_name = table[name].partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise MlbenchError(f"adapter {name!r} cannot be loaded from {table[name]}: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise MlbenchError(f"adapter {name!r} ({table[name]}) is not an mlbench.adapter.Adapter subclass")
    return cls


def parse_list(text: str | None) -> list[str] | None:
    """'a, b' -> ['a', 'b'], validated against the registry."""
    if text is None:
        return None
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    if not wanted:
        raise MlbenchError("--adapters is empty")
    known = registered()
    for name in wanted:
        if name not in known:
            raise MlbenchError(
                f"unknown adapter {name!r}{suggest(name, list(known))}; known: {', '.join(known)}"
            )
    return wanted
