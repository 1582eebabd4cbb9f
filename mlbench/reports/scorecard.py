"""The choose-your-platform scorecard: one row per platform, one column per criterion, across stored runs.

Every cell is a figure measured in one of the runs given, with the run and the cell it came from (`source`),
never an opinion; a criterion no run measured says "not measured" and names the scenario that would. Without
weights nothing is ranked and the best value per column is marked; with weights (`--weight speed=2,...`, defaults
in scenarios/scores/scorecard.yaml) each criterion becomes a 0-100 sub-score against the best platform on it and
the total is their weighted mean over the criteria that tell the platforms apart (0 where this one has no
figure), every sub-score shown beside it. A star marks a real distinction only: none where every platform shows
the same figure or only one has a figure. The support column is what each adapter declares (passed in by the
caller, which may load adapters).

The criteria are declared once (CRITERIA); the terminal, CSV, HTML and JSON renderers all read `build`'s result.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from mlbench import grading
from mlbench.reports import summary
from mlbench.reports.table import Cell, Column, Table

Run = tuple[dict[str, Any], list[dict[str, Any]]]  # (manifest, records)


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str  # short column header
    group: str  # statistics, speed, memory, scale, productionizing, breadth, versions
    better: str | None  # "high", "low", or None (not ranked: text)
    scenario: str  # the scenario that measures it, for "not measured"
    unit: str = ""
    help: str = ""


CRITERIA = [
    Criterion("support", "stats support", "statistics", None, "feature-selection",
              help="pvalues / vif / subset methods as each adapter declares them: native (N), emulated (E) or "
                   "unsupported (-)"),
    Criterion("digits_lost_worst", "digits lost worst", "accuracy", "low", "accuracy",
              help="most correct digits lost by any graded statistics answer (p-values, VIF, subsets) in the runs, "
                   "NIST's accuracy suite included, against what its input allows (the case's float64 ceiling, "
                   "the accuracy table's 'float64 input'; 15 for data float64 holds exactly, the GLM suite's against "
                   "its certified MLE); a failed answer loses them all"),
    Criterion("digits_lost_median", "digits lost median", "accuracy", "low", "accuracy",
              help="median correct digits lost (against the case's float64 ceiling) over the graded statistics "
                   "cells of the runs"),
    Criterion("glm_digits_lost", "GLM digits lost", "accuracy", "low", "accuracy",
              help="median correct digits lost over the GLM cells (logistic, Poisson: the GLM accuracy suite, "
                   "Default, Bikeshare) against the MLE certified in arbitrary precision (no input ceiling: the "
                   "cases are doubles), the worst beside it; on separated data, finite estimates returned "
                   "silently lose them all"),
    Criterion("speed", "fit x fastest", "speed", "low", "train",
              help="fit time relative to the fastest platform on the same cell, geometric mean over cells"),
    Criterion("session_s", "session s", "speed", "low", "pvalues", "s", "median session start"),
    Criterion("peak_mb", "peak MB", "memory", "low", "train", "MB",
              help="peak memory of the process tree at the largest training size run"),
    Criterion("data_mb", "data MB", "memory", "low", "train", "MB",
              help="data footprint at the largest training size run: the loaded data alone (train and test sets "
                   "as the platform holds them), the process tree's MB when the load ended above its MB after the "
                   "session started"),
    Criterion("time_exponent", "time b", "scale", "low", "train",
              help="median growth exponent of fit time against rows (needs two sizes or more)"),
    Criterion("nodes", "nodes", "scale", "high", "pvalues",
              help="most executors (Spark) or nodes (H2O) that did the work in a run; 1 = one machine"),
    Criterion("deploy_score", "deploy", "productionizing", "high", "deploy",
              help="best deploy score (0-100) and its format"),
    Criterion("cold_start_s", "cold s", "productionizing", "low", "deploy", "s",
              help="cold start of the best-scoring artifact in a fresh process"),
    Criterion("p99_ms", "p50/p99 ms", "productionizing", "low", "deploy", "ms",
              help="single-row latency of the best-scoring artifact, p50/p99 (ranked by p99)"),
    Criterion("served", "served", "productionizing", None, "deploy",
              help="whether mlbench serve answered HTTP requests for it in a run"),
    Criterion("breadth", "native models", "breadth", "high", "train",
              help="models trained natively of those the scenarios asked for"),
    Criterion("version", "version", "versions", None, "pvalues", help="platform version that ran"),
]
CRITERIA_BY_KEY = {c.key: c for c in CRITERIA}


def _cell(value: Any, text: str, manifest: dict[str, Any], where: str) -> dict[str, Any]:
    return {"value": value, "text": text, "source": {"run_id": manifest.get("run_id"), "cell": where}}


def _fits(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in summary.measured(records) if r.get("phase") == "fit" and r.get("step")]


# ----- one function per criterion: (runs) -> {adapter: cell} ----------------------------------------------


STATISTICS_LABELS = (("pvalues", None, "pvalues"), ("vif", None, "vif"), ("subset", "best", "best"),
                     ("subset", "forward", "forward"), ("subset", "backward", "backward"))
LETTERS = {"native": "N", "emulated": "E", "unsupported": "-"}


def declared_support(capability: Any) -> dict[str, str]:
    """What an adapter class declares for the statistics steps ({"pvalues": "native", "best": ...}), from its
    `capability(step, variant)`: the same declaration `mlbench list adapters` shows and the runner obeys."""
    return {label: str(capability(step, variant).support.value) for step, variant, label in STATISTICS_LABELS}


def _support(runs: list[Run], declared: dict[str, dict[str, str]]) -> dict[str, dict[str, Any]]:
    """Each platform's declared support (what it can do, whichever steps the runs happened to ask of it); a
    platform that cannot be loaded here falls back to the support its fit records carry."""
    out: dict[str, dict[str, Any]] = {}
    for adapter, steps in declared.items():
        if steps:
            text = " ".join(f"{k}:{LETTERS.get(v, '?')}" for k, v in steps.items())
            out[adapter] = {"value": dict(steps), "text": text,
                            "source": {"run_id": None, "cell": f"declared by the {adapter} adapter "
                                                               "(mlbench list adapters)"}}
    for manifest, records in runs:
        by: dict[str, dict[str, str]] = {}
        for r in _fits(records):
            if r["step"] in ("pvalues", "vif", "subset") and r["adapter"] not in declared:
                label = r["step"] if r["step"] != "subset" else str(r.get("variant"))
                by.setdefault(r["adapter"], {})[label] = str(r.get("support"))
        for adapter, steps in by.items():
            if adapter in out and len(out[adapter]["value"]) >= len(steps):
                continue
            text = " ".join(f"{k}:{LETTERS.get(v, '?')}" for k, v in steps.items())
            out[adapter] = _cell(steps, text, manifest, "fit records of " + ", ".join(steps))
    return out


def ceiling(manifest: dict[str, Any], dataset: str) -> float:
    """The correct digits a case's input allows: what storing its exact data as float64 leaves (the accuracy
    table's 'float64 input'), or grading.CAP where float64 holds the data exactly."""
    stored = ((manifest.get("truth") or {}).get(dataset) or {}).get("float64_input_digits")
    return float(stored) if isinstance(stored, int | float) and not isinstance(stored, bool) else grading.CAP


def _graded_digits(deviation: dict[str, Any], top: float) -> float | None:
    """The correct digits a grade counts: its `min_digits`; on data without a finite MLE (the GLM truth's
    separation) the whole ceiling for a platform that said so, none for finite numbers returned silently."""
    if deviation.get("separation"):
        return top if deviation.get("agrees") else 0.0
    digits = deviation.get("min_digits")
    return float(digits) if isinstance(digits, int | float) and not isinstance(digits, bool) else None


def _digits(runs: list[Run], glm_only: bool = False) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Correct digits lost by every graded statistics answer (p-values, VIF, subsets: records whose deviation has
    `min_digits`), whatever scenario the run was, against what the case's input allows (`ceiling`): per cell
    (run, dataset, step, variant) the most over its ok repeats, or the whole ceiling when it only failed (no
    answer is no correct digit); worst and median over the cells. A case nobody can pass costs everyone the same
    and so decides nothing. `glm_only`: the GLM cells alone (graded against the certified MLE)."""
    cells: dict[str, dict[tuple[Any, ...], float]] = {}
    failed: dict[str, set[tuple[Any, ...]]] = {}
    manifests: dict[Any, dict[str, Any]] = {}
    for manifest, records in runs:
        manifests[manifest.get("run_id")] = manifest
        for r in _fits(records):
            if r["step"] not in ("pvalues", "vif", "subset") or (glm_only and not summary.is_glm(r)):
                continue
            key = (manifest.get("run_id"), str(r["dataset"]), r["step"], r.get("variant"))
            top = ceiling(manifest, str(r["dataset"]))
            digits = _graded_digits(r.get("deviation") or {}, top)
            mine = cells.setdefault(r["adapter"], {})
            if r.get("status") == "ok" and digits is not None:
                if key in failed.get(r["adapter"], set()):  # a retry answered: the failure was not the answer
                    failed[r["adapter"]].discard(key)
                    mine.pop(key, None)
                mine[key] = max(max(top - float(digits), 0.0), mine.get(key, -math.inf))
            elif r.get("status") in ("error", "timeout") and key not in mine:
                mine[key] = top
                failed.setdefault(r["adapter"], set()).add(key)
    worst: dict[str, dict[str, Any]] = {}
    middle: dict[str, dict[str, Any]] = {}
    for adapter, by_cell in cells.items():
        if not by_cell:
            continue
        high = max(by_cell, key=lambda k: by_cell[k])
        run_id, dataset, step, variant = high
        label = step if variant is None else f"{step}/{variant}"
        how = "error on " if high in failed.get(adapter, set()) else ""
        worst[adapter] = _cell(by_cell[high], f"{by_cell[high]:.1f} ({how}{label}, {dataset})", manifests[run_id],
                               f"{label} on {dataset}")
        med = statistics.median(by_cell.values())
        count = len({k[0] for k in by_cell})
        middle[adapter] = _cell(med, f"{med:.1f} ({len(by_cell)} cell{'s' if len(by_cell) > 1 else ''})",
                                manifests[run_id],
                                f"{len(by_cell)} graded statistics cells in {count} run{'s' if count > 1 else ''}")
    return worst, middle


def _with_worst(middle: dict[str, dict[str, Any]], worst: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The median cell, the worst beside it in its text ("2.1, worst 15.0"); the worst cell's run and cell join
    its source (--format json)."""
    return {adapter: {**cell, "text": f"{cell['value']:.1f}, worst {worst[adapter]['value']:.1f}",
                      "source": {**cell["source"], "worst": worst[adapter]["source"]["cell"]}}
            for adapter, cell in middle.items()}


def _speed(runs: list[Run]) -> dict[str, dict[str, Any]]:
    ratios: dict[str, list[float]] = {}
    where: dict[str, tuple[dict[str, Any], int]] = {}
    for manifest, records in runs:
        cells: dict[tuple[Any, ...], dict[str, float]] = {}
        for row in summary.train_points(records):
            if row["fit_s"] and not row["failed"]:
                cells.setdefault((row["task"], row["model"], row["n_rows"]), {})[row["adapter"]] = row["fit_s"]
        for times in cells.values():
            if len(times) < 2:
                continue
            fastest = min(times.values())
            for adapter, seconds in times.items():
                ratios.setdefault(adapter, []).append(seconds / fastest)
                where[adapter] = (manifest, len(ratios[adapter]))
    out = {}
    for adapter, values in ratios.items():
        manifest, count = where[adapter]
        mean = math.exp(statistics.fmean(math.log(v) for v in values))
        out[adapter] = _cell(mean, f"{mean:.3g}x", manifest, f"train fits, {count} cells shared with others")
    return out


def _session(runs: list[Run]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for manifest, records in runs:
        for r in summary.measured(records):
            if r.get("phase") == "session" and r.get("status") == "ok" and r.get("wall_s") \
                    and not summary.is_retry(r) and r["adapter"] not in found:
                found[r["adapter"]] = _cell(float(r["wall_s"]), f"{r['wall_s']:.3g}", manifest, "session")
    return found


def _at_largest_size(runs: list[Run], field: str, shown: str, where: str,
                     skip_elsewhere: bool = False) -> dict[str, dict[str, Any]]:
    """Per adapter, the train points' `field` at the largest size it ran (the largest value there, over its tasks
    and models), shown with the `shown` format and said to come from `where` (both formatted with the row);
    `skip_elsewhere`: not for a cluster joined by URL, whose processes mlbench does not measure."""
    best: dict[str, tuple[int, dict[str, Any]]] = {}
    for manifest, records in runs:
        elsewhere = summary.computes_elsewhere(records) if skip_elsewhere else set()
        for row in summary.train_points(records):
            if row[field] is None or row["adapter"] in elsewhere:
                continue
            size, current = best.get(row["adapter"], (-1, {}))
            if row["n_rows"] > size or (row["n_rows"] == size and row[field] > current["value"]):
                best[row["adapter"]] = (row["n_rows"], _cell(float(row[field]), shown.format(**row), manifest,
                                                             where.format(**row)))
    return {adapter: cell for adapter, (_, cell) in best.items()}


def _peak(runs: list[Run]) -> dict[str, dict[str, Any]]:
    return _at_largest_size(runs, "peak_rss_mb", "{peak_rss_mb:.0f} @{n_rows:,}",
                            "train {task} {model} at {n_rows} rows")


def _data(runs: list[Run]) -> dict[str, dict[str, Any]]:
    """The data footprint at the largest training size (not for a cluster joined by URL: its data is held in
    processes mlbench does not measure)."""
    return _at_largest_size(runs, "data_mb", "{data_mb:.3g} @{n_rows:,}", "load of {dataset} (train {task})",
                            skip_elsewhere=True)


def _exponent(runs: list[Run]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for manifest, records in runs:
        exponents: dict[str, list[float]] = {}
        for row in summary.growth(records):
            exponents.setdefault(row["adapter"], []).append(row["time_exponent"])
        for adapter, values in exponents.items():
            med = statistics.median(values)
            out[adapter] = _cell(med, f"{med:.2f}", manifest, f"train, {len(values)} models over sizes")
    return out


def _nodes(runs: list[Run]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for manifest, records in runs:
        for r in records:
            result = r.get("result") or {}
            if r.get("phase") not in ("session", "load") or not isinstance(result, dict):
                continue
            if "nodes" in result:  # H2O: the cloud's size
                count = result["nodes"]
            elif "executors" in result:  # Spark: executors on a cluster; local mode runs in the driver alone
                count = max(int(result["executors"]), 1)
            else:
                continue
            if isinstance(count, int) and count > (out.get(r["adapter"], {}).get("value") or 0):
                where = f"{r['phase']} on {result.get('url') or result.get('master')}"
                out[r["adapter"]] = _cell(count, str(count), manifest, where)
    return out


def _deploy(runs: list[Run]) -> tuple[dict[str, dict[str, Any]], ...]:
    score: dict[str, dict[str, Any]] = {}
    cold: dict[str, dict[str, Any]] = {}
    latency: dict[str, dict[str, Any]] = {}
    served: dict[str, dict[str, Any]] = {}
    for manifest, records in runs:
        for row in summary.deploy_rows(records):
            if row["score"] is None or (row["adapter"] in score and score[row["adapter"]]["value"] >= row["score"]):
                continue
            fmt = row["best_format"]
            where = f"deploy/{row['model']} on {row['dataset']}, format {fmt}"
            score[row["adapter"]] = _cell(row["score"], f"{row['score']:.1f} {fmt}", manifest, where)
            best = row["formats"].get(fmt) or {}
            if best.get("cold_start_s") is not None:
                cold[row["adapter"]] = _cell(best["cold_start_s"], f"{best['cold_start_s']:.3g}", manifest, where)
            if best.get("p99_ms") is not None:
                latency[row["adapter"]] = _cell(best["p99_ms"], f"{best['p50_ms']:.3g}/{best['p99_ms']:.3g}",
                                                manifest, where)
            http = any("http_p50_ms" in f for f in row["formats"].values())
            served[row["adapter"]] = _cell(http, "yes" if http else "no (not asked)", manifest, where)
    return score, cold, latency, served


def _breadth(runs: list[Run]) -> dict[str, dict[str, Any]]:
    asked: dict[str, set[str]] = {}
    native: dict[str, set[str]] = {}
    where: dict[str, dict[str, Any]] = {}
    for manifest, records in runs:
        for r in _fits(records):
            if r["step"] != "train":
                continue
            asked.setdefault(r["adapter"], set()).add(str(r.get("variant")))
            where[r["adapter"]] = manifest
            if r.get("support") == "native" and r.get("status") == "ok":
                native.setdefault(r["adapter"], set()).add(str(r.get("variant")))
    return {adapter: _cell(len(native.get(adapter, set())), f"{len(native.get(adapter, set()))}/{len(models)}",
                           where[adapter], "train fits: " + ", ".join(sorted(native.get(adapter, set()))))
            for adapter, models in asked.items()}


def _version(runs: list[Run]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for manifest, records in runs:
        for r in records:
            if r.get("platform_version") and r["adapter"] not in out:
                out[r["adapter"]] = _cell(r["platform_version"], str(r["platform_version"]), manifest,
                                          f"{r.get('phase')} record")
    return out


def _measure(runs: list[Run], declared: dict[str, dict[str, str]]) -> dict[str, dict[str, dict[str, Any]]]:
    worst, middle = _digits(runs)
    glm_worst, glm_middle = _digits(runs, glm_only=True)
    score, cold, latency, served = _deploy(runs)
    measures: dict[str, dict[str, dict[str, Any]]] = {
        "support": _support(runs, declared), "digits_lost_worst": worst, "digits_lost_median": middle,
        "glm_digits_lost": _with_worst(glm_middle, glm_worst),
        "speed": _speed(runs),
        "session_s": _session(runs), "peak_mb": _peak(runs), "data_mb": _data(runs), "time_exponent": _exponent(runs),
        "nodes": _nodes(runs), "deploy_score": score, "cold_start_s": cold, "p99_ms": latency, "served": served,
        "breadth": _breadth(runs), "version": _version(runs),
    }
    assert set(measures) == set(CRITERIA_BY_KEY), "every criterion has one measure"
    return measures


# ----- the scorecard --------------------------------------------------------------------------------------


def load_weights(overrides: dict[str, float] | None = None) -> dict[str, float]:
    """Weights per criterion group from scorecard.yaml (beside the deploy score's), then the overrides."""
    import yaml

    from mlbench.errors import MlbenchError
    from mlbench.scenario import SCENARIO_DIRS

    path = next((d / "scores" / "scorecard.yaml" for d in SCENARIO_DIRS
                 if (d / "scores" / "scorecard.yaml").exists()), None)
    if path is None:
        raise MlbenchError("scorecard.yaml not found next to the scenarios")
    weights = {str(k): float(v) for k, v in (yaml.safe_load(path.read_text()) or {}).get("weights", {}).items()}
    for key, value in (overrides or {}).items():
        if key not in weights:
            raise MlbenchError(f"unknown scorecard weight {key!r}; known: {', '.join(weights)}")
        weights[key] = value
    return weights


def _as_shown(criterion: Criterion, value: float) -> float:
    """The value at the precision the table shows it: digits to a tenth, other figures to 3 significant."""
    return round(value, 1) if criterion.group == "accuracy" else float(f"{value:.3g}")


def _subscore(criterion: Criterion, value: float, values: list[float]) -> float:
    """100 for the best platform on the criterion, others in proportion (ratio to the best)."""
    best = max(values) if criterion.better == "high" else min(values)
    if criterion.better == "high":
        return 100.0 * value / best if best > 0 else 100.0
    return 100.0 * best / value if value > 0 else 100.0


def _best(criterion: Criterion, values: dict[str, float]) -> list[str]:
    """The platforms a star marks: the best as the reader sees the values, only where the values differ (no
    star when every platform measured shows the same figure, or only one was measured)."""
    if not criterion.better or not values:
        return []
    shown = {a: _as_shown(criterion, float(v)) for a, v in values.items()}
    if len(set(shown.values())) < 2:
        return []
    target = max(shown.values()) if criterion.better == "high" else min(shown.values())
    return [a for a, v in shown.items() if v == target]


def not_measured_text(command: str) -> str:
    """Why a criterion has no figure, in plain words (renderers that can show code show `command` as code)."""
    return f"not measured in these runs; {command} measures it"


def build(runs: list[Run], weights: dict[str, float] | None = None,
          declared: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """The scorecard as plain data: criteria, one row per platform with a cell per criterion (value, text,
    source) or None, the command that would measure a criterion no run did (`not_measured`), the best
    platform(s) per column where the platforms differ, and (with weights) sub-scores and totals. `declared`:
    each adapter's declared statistics support (declared_support), the support column's source."""
    measured = _measure(runs, declared or {})
    adapters = list(dict.fromkeys(r["adapter"] for _, records in runs for r in records))
    rows: list[dict[str, Any]] = [{"adapter": a, "cells": {c.key: measured[c.key].get(a) for c in CRITERIA}}
                                  for a in adapters]
    best: dict[str, list[str]] = {}
    for c in CRITERIA:
        values = {row["adapter"]: row["cells"][c.key]["value"] for row in rows
                  if row["cells"][c.key] is not None and isinstance(row["cells"][c.key]["value"], int | float)
                  and not isinstance(row["cells"][c.key]["value"], bool)}
        if _best(c, values):
            best[c.key] = _best(c, values)
    not_measured = {c.key: f"mlbench run {c.scenario}" for c in CRITERIA
                    if not any(row["cells"][c.key] for row in rows)}
    card: dict[str, Any] = {"runs": [m.get("run_id") for m, _ in runs], "criteria": [c.__dict__ for c in CRITERIA],
                            "rows": rows, "best": best, "not_measured": not_measured, "weights": None}
    if weights:
        card["weights"] = weights
        for row in rows:
            subscores: dict[str, float] = {}
            for c in CRITERIA:
                cell = row["cells"][c.key]
                if c.key not in best or cell is None or c.group not in weights or isinstance(cell["value"], bool):
                    continue
                others = [float(r["cells"][c.key]["value"]) for r in rows if r["cells"][c.key] is not None]
                subscores[c.key] = round(_subscore(c, float(cell["value"]), others), 1)
            row["subscores"] = subscores
        # the same criteria for everyone: those weighted on which the platforms' figures differ (a star: one
        # platform's nodes 1, or the same figure for all, ranks no one); a platform without a figure on one
        # scores 0 there (it did not show it), and its sub-scores say which
        ranked = [c for c in CRITERIA if c.better and c.group in weights and c.key in best]
        total_weight = sum(weights[c.group] for c in ranked)
        for row in rows:
            row["total"] = round(sum(weights[c.group] * row["subscores"].get(c.key, 0.0) for c in ranked)
                                 / total_weight, 1) if total_weight else None
        rows.sort(key=lambda r: -(r.get("total") or 0))
    return card


def as_table(card: dict[str, Any]) -> Table:
    """The scorecard as a report table, declared once: platforms down, criteria across in their groups (their
    help the tooltip), ★ the best per column, each figure's run and cell its hover text, a criterion no run
    measured a footnote naming the command that would (as code in HTML). The terminal draws it as it is (a
    narrow one shows the groups one after another); the HTML page draws it transposed (html/scorecard.py)."""
    weights = card["weights"]
    columns = [Column("adapter", key=True)]
    for c in card["criteria"]:
        columns.append(Column(c["label"].replace(" ", "\n", 1), "right" if c["better"] else "left",
                              group=c["group"], tooltip=c["help"] or None))
    if weights:
        shown = ", ".join(f"{k} {v:g}" for k, v in weights.items())
        columns.append(Column("total", "right", lambda v: summary.fmt(v, 3), lambda _: "strong", key=True,
                              tooltip=f"weighted mean of the sub-scores (weights: {shown})"))
    caption = "measured per platform; " + (
        f"sub-score after each figure; total = weighted mean: {shown}" if weights
        else "★ best per column, nothing ranked")
    # a short title, on one line at any width; what it shows in the caption under it
    table = Table("Scorecard", columns, footnotes=[
        caption, f"— no figure in these runs; support as each adapter declares it: "
                 f"{', '.join(f'{letter} {word}' for word, letter in LETTERS.items())}",
        f"runs: {', '.join(str(r) for r in card['runs'])}; each figure's run and cell: --format json"])
    for row in card["rows"]:
        cells: list[Any] = [row["adapter"]]
        for c in card["criteria"]:
            cell = row["cells"][c["key"]]
            if cell is None:
                command = card["not_measured"].get(c["key"])
                cells.append(Cell("—", "dim", note=not_measured_text(command) if command else None, code=command))
                continue
            best = row["adapter"] in card["best"].get(c["key"], [])
            sub = (row.get("subscores") or {}).get(c["key"])
            source = cell["source"]
            cells.append(Cell(str(cell["text"]) + (" ★" if best else ""), "best" if best else None,
                              sort=cell["value"] if isinstance(cell["value"], int | float) else None,
                              title=f"run {source['run_id']}: {source['cell']}" if source.get("run_id")
                              else str(source["cell"]), aside="" if sub is None else f"{sub:g}"))
        if weights:
            cells.append(row.get("total"))
        table.add(*cells)
    return table


def to_csv(card: dict[str, Any]) -> str:
    """Long format: one line per platform x criterion, with the run and cell each figure came from."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["adapter", "criterion", "group", "value", "text", "run_id", "cell", "best", "subscore"])
    for row in card["rows"]:
        for c in CRITERIA:
            cell = row["cells"][c.key]
            writer.writerow([row["adapter"], c.key, c.group, "" if cell is None else cell["value"],
                             (not_measured_text(card["not_measured"][c.key]) if c.key in card["not_measured"]
                              else "not measured") if cell is None else cell["text"],
                             "" if cell is None else cell["source"]["run_id"],
                             "" if cell is None else cell["source"]["cell"],
                             row["adapter"] in card["best"].get(c.key, []),
                             (row.get("subscores") or {}).get(c.key, "")])
    return out.getvalue()
