"""Why a deploy format failed, in words: one home for the sentences deploy failures are recorded as.

A converter's exception is rarely readable on its own: skl2onnx puts every attribute of the node it could not
build into one message (arrays of thousands of numbers), onnxmltools answers a gblinear booster with
`KeyError: 'gbtree_model_param'`. The record and the reports carry one short, complete sentence saying what
failed and why; the full traceback goes to the run's errors.log (`log_tracebacks`, called by the runner).

Known failures have their own sentence (`KNOWN`, first match wins); any other exception gets the generic one:
"<FORMAT> export failed (<converter>): <ExceptionType>: <its first line, cut at a word boundary>".
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlbench.results import append_log

MAX_DETAIL = 120  # characters of an exception's text kept in a sentence; the rest is in errors.log

# (kind, converter, exception, model) -> a sentence, or None when the rule does not apply
Rule = Callable[[str, str | None, BaseException, Any], str | None]


def _format_name(kind: str) -> str:
    return "ONNX" if kind == "onnx" else kind


def _booster(model: Any) -> str | None:
    """The xgboost booster type of a scikit-learn-style xgboost model (gbtree, dart, gblinear), else None."""
    get_params = getattr(model, "get_params", None)
    if get_params is None or not type(model).__module__.startswith("xgboost"):
        return None
    booster = get_params().get("booster")
    return str(booster) if booster else "gbtree"  # xgboost's default


def _xgboost_gblinear(kind: str, converter: str | None, exc: BaseException, model: Any) -> str | None:
    gbtree_key = isinstance(exc, KeyError) and exc.args[:1] == ("gbtree_model_param",)
    if _booster(model) != "gblinear" and not (gbtree_key and converter == "onnxmltools"):
        return None
    return (f"{_format_name(kind)} export failed: onnxmltools converts tree boosters only; this model uses "
            "gblinear (xgboost's linear booster), which it cannot convert.")


def _skl2onnx_node(kind: str, converter: str | None, exc: BaseException, model: Any) -> str | None:
    """skl2onnx's "Unable to create node 'Op' ... attributes={...}" (the attributes are the unreadable part);
    the reason is the exception it chained from (e.g. onnx refusing a bool where it wants an int)."""
    match = re.match(r"Unable to create node '([^']+)'", str(exc))
    if not isinstance(exc, ValueError) or match is None:
        return None
    cause = exc.__cause__
    why = f"; onnx refused an attribute: {type(cause).__name__}: {first_line(str(cause)).rstrip('.')}" if cause else ""
    return (f"{_format_name(kind)} export failed: {converter or 'the converter'} could not convert "
            f"{type(model).__name__} (it could not build the ONNX node {match.group(1)}{why}).")


KNOWN: list[Rule] = [_xgboost_gblinear, _skl2onnx_node]

# Not an exception but a converter that answers wrongly: onnxmltools (1.16) converts LightGBM's rf mode by
# dividing the tree sum by a constant 100.0 and, for a binary model, applying the sigmoid to the sum before
# that division (LightGBM averages the raw scores, then applies the sigmoid). Its ONNX scores 30 regression
# trees off by 4 and 100 classification trees off by 0.83 in probability, so mlbench does not ship it.
LIGHTGBM_RF_ONNX = ("ONNX export withheld: onnxmltools converts LightGBM's rf mode wrongly (it divides the tree "
                    "sum by a fixed 100, and applies the sigmoid before averaging), so its predictions differ.")


def first_line(text: str, limit: int = MAX_DETAIL) -> str:
    """The first line of `text`, without any bracket it opens and does not close (the start of a repr), cut
    at a word boundary within `limit` characters with an ellipsis when anything was left out."""
    lines = text.strip().splitlines()
    line = lines[0].strip() if lines else ""
    cut = len(lines) > 1
    depth: list[int] = []
    pairs = {"(": ")", "[": "]", "{": "}"}
    for i, ch in enumerate(line):
        if ch in pairs:
            depth.append(i)
        elif ch in pairs.values() and depth:
            depth.pop()
    if depth:  # a repr runs past the end of the line: drop it and the name it is assigned to
        line, cut = re.sub(r"\s*\w*=$", "", line[: depth[0]]), True
    if len(line) > limit:
        line, cut = line[: limit + 1].rsplit(" ", 1)[0], True
    line = line.rstrip(" ,;:=")
    if cut:
        return line + "…"
    return line


def _sentence(text: str) -> str:
    return text if text.endswith((".", "…", "!", "?")) else text + "."


def explain(kind: str, converter: str | None, exc: BaseException, model: Any = None) -> str:
    """One short, complete sentence saying which format failed to export and why."""
    for rule in KNOWN:
        sentence = rule(kind, converter, exc, model)
        if sentence:
            return sentence
    source = f" ({converter})" if converter else ""
    detail = first_line(str(exc))
    return _sentence(f"{_format_name(kind)} export failed{source}: {type(exc).__name__}"
                     + (f": {detail}" if detail else ""))


def reload_failed(kind: str, exc: BaseException) -> str:
    """The sentence for an artifact the fresh scorer process could not load or score."""
    detail = first_line(str(exc))
    return _sentence(f"Reloading the {kind} artifact failed: {type(exc).__name__}" + (f": {detail}" if detail else ""))


def record(unavailable: dict[str, str], tracebacks: dict[str, str], kind: str, converter: str | None,
           exc: BaseException, model: Any = None) -> None:
    """Note a format that could not be exported: its sentence in `unavailable`, its traceback in `tracebacks`
    (an adapter's export returns both; the runner writes the tracebacks to errors.log)."""
    unavailable[kind] = explain(kind, converter, exc, model)
    tracebacks[kind] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def log_tracebacks(errors_log: Path, heading: str, tracebacks: dict[str, str]) -> None:
    """Append each format's full traceback to the run's errors.log (nothing is written when there are none)."""
    if tracebacks:
        append_log(errors_log, "".join(f"--- {heading} {kind}\n{text}\n" for kind, text in tracebacks.items()))
