"""Compare two stored runs (A = baseline, B = candidate): did anything get slower or faster, did a grade change,
and what differs in the environment that might explain it.

Per cell (adapter, step, variant, dataset, phase): the ratio of median wall seconds B/A and a significance flag
from the repeats: a two-sided Mann-Whitney U test (scipy.stats.mannwhitneyu) when both runs have at least
MIN_REPEATS ok repeats of the cell, else "n/a". Per graded cell (adapter, step, variant, dataset): the grade
(deviation.agrees and deviation.grade) of each run when they differ. Environment: python, java, CPU, cores,
memory, OS, host, mlbench and every library version from run.json, plus each adapter's platform version.
Settings: run.json's (`Manifest.settings`), among them `digits`, the pass line every grade was held to: when the
runs differ there, compare says so before any grade change (a grade may have changed with the line alone).
The result is a plain JSON-serialisable dict; render_compare prints it with rich.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from mlbench import steps
from mlbench.reports import summary
from mlbench.run_data import SETTING_KEYS, Manifest, Records

MIN_REPEATS = 3
ENV_KEYS = ("python", "python_implementation", "mlbench_version", "java", "cpu_model", "cores", "memory_gb", "os",
            "host")


def _run_info(manifest: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    info = summary.run_header(manifest, records)
    return {**{k: info[k] for k in ("run_id", "scenario", "started_utc", "status")}, "records": len(records)}


def _significance(a: list[float], b: list[float], alpha: float) -> tuple[float | None, str, float | None]:
    """(p-value, flag, smallest p the test can give with these sample sizes); flag: slower | faster | no | n/a."""
    if len(a) < MIN_REPEATS or len(b) < MIN_REPEATS:
        return None, "n/a", None
    from scipy.stats import mannwhitneyu

    min_p = 2.0 / math.comb(len(a) + len(b), len(a))  # exact two-sided test, complete separation
    if len(set(a) | set(b)) == 1:  # every repeat took the same time: no evidence of a change
        return 1.0, "no", min_p
    try:
        p = float(mannwhitneyu(b, a, alternative="two-sided").pvalue)
    except ValueError:
        return None, "n/a", min_p
    if not math.isfinite(p):
        return None, "n/a", min_p
    if p >= alpha:
        return p, "no", min_p
    return p, "slower" if statistics.median(b) > statistics.median(a) else "faster", min_p


def timing_cells(records_a: list[dict[str, Any]], records_b: list[dict[str, Any]],
                 alpha: float = 0.05) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(cells in both runs with ratio and significance, cells only in A, cells only in B)."""
    samples_a, samples_b = summary.phase_samples(records_a), summary.phase_samples(records_b)
    cells, only_a, only_b = [], [], []
    names = ("adapter", "step", "variant", "dataset", "phase")
    for key in dict.fromkeys([*samples_a, *samples_b]):
        ident = dict(zip(names, key, strict=True))
        if key not in samples_b:
            only_a.append(ident)
            continue
        if key not in samples_a:
            only_b.append(ident)
            continue
        a, b = samples_a[key], samples_b[key]
        median_a = statistics.median(a) if a else None
        median_b = statistics.median(b) if b else None
        ratio = median_b / median_a if median_a and median_b is not None else None
        p, flag, min_p = _significance(a, b, alpha)
        cells.append({**ident, "n_a": len(a), "n_b": len(b), "median_a": median_a, "median_b": median_b,
                      "ratio": ratio, "p_value": p, "significant": flag in ("slower", "faster") if p is not None
                      else None, "flag": flag, "min_p": min_p})
    return cells, only_a, only_b


def _cell_verdicts(records: list[dict[str, Any]]) -> dict[tuple[str, str, str | None, str], dict[str, Any]]:
    """(adapter, step, variant, dataset) -> grade, agrees and combined status of a step cell (summary.cell_rows)."""
    return {(r["adapter"], r["step"], r["variant"], r["dataset"]): {k: r[k] for k in ("grade", "agrees", "status")}
            for r in summary.cell_rows(records) if r["step"] not in summary.ADAPTER_PHASES}


def verdict_changes(records_a: list[dict[str, Any]],
                    records_b: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(grade changes, status changes) of the step cells present in both runs."""
    verdicts_a, verdicts_b = _cell_verdicts(records_a), _cell_verdicts(records_b)
    grades, statuses = [], []
    for key, a in verdicts_a.items():
        b = verdicts_b.get(key)
        if b is None:
            continue
        ident = dict(zip(("adapter", "step", "variant", "dataset"), key, strict=True))
        if (a["agrees"], a["grade"]) != (b["agrees"], b["grade"]):
            grades.append({**ident, "grade_a": a["grade"], "grade_b": b["grade"], "agrees_a": a["agrees"],
                           "agrees_b": b["agrees"]})
        if a["status"] != b["status"]:
            statuses.append({**ident, "status_a": a["status"], "status_b": b["status"]})
    return grades, statuses


def _flat_environment(manifest: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    env = manifest.get("environment") or {}
    flat: dict[str, Any] = {key: env.get(key) for key in ENV_KEYS if key in env}
    if not env and records:  # no manifest: what the records carry
        flat.update(python=records[0].get("python"), java=records[0].get("java"), host=records[0].get("host"),
                    mlbench_version=records[0].get("mlbench_version"))
    for name, version in (env.get("libraries") or {}).items():
        flat[f"libraries.{name}"] = version
    for record in records:
        adapter = record.get("adapter")
        if record.get("platform_version") is not None:
            flat[f"platform.{adapter}"] = record["platform_version"]
        if record.get("adapter_version") is not None:
            flat[f"adapter.{adapter}"] = record["adapter_version"]
    return flat


def environment_differences(manifest_a: dict[str, Any], records_a: list[dict[str, Any]],
                            manifest_b: dict[str, Any], records_b: list[dict[str, Any]]) -> list[dict[str, Any]]:
    env_a, env_b = _flat_environment(manifest_a, records_a), _flat_environment(manifest_b, records_b)
    return [{"key": key, "a": env_a.get(key), "b": env_b.get(key)} for key in dict.fromkeys([*env_a, *env_b])
            if env_a.get(key) != env_b.get(key)]


def _settings(manifest: Manifest) -> dict[str, Any]:
    return {**{key: getattr(manifest, key) for key in SETTING_KEYS}, "scenario": manifest.scenario_name,
            "datasets": manifest.datasets_text()}


def pass_lines(manifest_a: Manifest, records_a: list[dict[str, Any]], manifest_b: Manifest,
               records_b: list[dict[str, Any]]) -> dict[str, Any]:
    """{"a", "b": the correct digits each run's grades had to reach, "differs": whether they are not the same}."""
    a, b = Records(records_a).pass_line(manifest_a), Records(records_b).pass_line(manifest_b)
    return {"a": a, "b": b, "differs": a is not None and b is not None and float(a) != float(b)}


def _typed(manifest: Manifest | dict[str, Any]) -> Manifest:
    return manifest if isinstance(manifest, Manifest) else Manifest.from_json(manifest)


def compare_runs(manifest_a: Manifest | dict[str, Any], records_a: list[dict[str, Any]],
                 manifest_b: Manifest | dict[str, Any], records_b: list[dict[str, Any]],
                 alpha: float = 0.05) -> dict[str, Any]:
    """Run B against baseline run A. Returns a JSON-serialisable dict:

    a, b: run id, scenario, start, status, record count; alpha; min_repeats;
    cells: [{adapter, step, variant, dataset, phase, n_a, n_b, median_a, median_b, ratio (B/A), p_value,
             significant (None = n/a), flag: slower | faster | no | n/a, min_p}];
    only_in_a, only_in_b: cells measured in one run only;
    grade_changes: [{adapter, step, variant, dataset, grade_a, grade_b, agrees_a, agrees_b}];
    status_changes: [{adapter, step, variant, dataset, status_a, status_b}];
    environment: [{key, a, b}] differing keys (python, java, cpu_model, cores, ..., libraries.<dist>,
                  platform.<adapter>); settings: [{key, a, b}] differing run settings (scenario, repeats, digits,
              ...); pass_line: {a, b, differs}: the correct digits each run's grades had to reach.
    """
    typed_a, typed_b = _typed(manifest_a), _typed(manifest_b)
    json_a, json_b = typed_a.to_json(), typed_b.to_json()
    cells, only_a, only_b = timing_cells(records_a, records_b, alpha)
    grades, statuses = verdict_changes(records_a, records_b)
    settings_a, settings_b = _settings(typed_a), _settings(typed_b)
    return {
        "a": _run_info(json_a, records_a),
        "b": _run_info(json_b, records_b),
        "alpha": alpha,
        "min_repeats": MIN_REPEATS,
        "cells": cells,
        "only_in_a": only_a,
        "only_in_b": only_b,
        "grade_changes": grades,
        "status_changes": statuses,
        "environment": environment_differences(json_a, records_a, json_b, records_b),
        "settings": [{"key": k, "a": settings_a.get(k), "b": settings_b.get(k)} for k in settings_a
                     if settings_a.get(k) != settings_b.get(k)],
        "pass_line": pass_lines(typed_a, records_a, typed_b, records_b),
    }


def _label(cell: dict[str, Any]) -> str:
    """step/variant; empty for the per-adapter phases (session, load), whose phase column says it."""
    return steps.label(cell["step"], cell.get("variant")) if cell.get("step") else ""


def _cell_label(cell: dict[str, Any]) -> str:
    """step/variant, and the phase where it is not the step's fit (session, load, predict, ...)."""
    label = _label(cell)
    phase = str(cell.get("phase") or "")
    return label if label and phase == "fit" else " ".join(x for x in (label, phase) if x)


def render_compare(console: Any, comparison: dict[str, Any], wide: bool = False) -> None:
    """Print a comparison (from compare_runs) with rich: the runs and their warnings, environment and setting
    differences, grade and status changes, then the timing ratios; every table fits the console's width (wide:
    in full)."""
    _render_heading(console, comparison)
    _render_changes(console, comparison, wide)
    _render_timing(console, comparison, wide)
    _render_unpaired(console, comparison)


def _warn(console: Any, text: str) -> None:
    from rich.text import Text

    console.print(Text(text, style="yellow"))


def _render_heading(console: Any, comparison: dict[str, Any]) -> None:
    """The two runs, and what makes their comparison partial: different scenarios, different pass lines."""
    from rich.text import Text

    a, b = comparison["a"], comparison["b"]
    console.print(Text.assemble(
        ("mlbench compare", "bold"), "  A ", (str(a.get("run_id")), "cyan"), f" ({a.get('scenario')}, "
        f"{a.get('started_utc')})  →  B ", (str(b.get("run_id")), "cyan"),
        f" ({b.get('scenario')}, {b.get('started_utc')})"))
    if a.get("scenario") != b.get("scenario"):
        _warn(console, "warning: the runs are of different scenarios; only cells present in both are compared")
    line = comparison.get("pass_line") or {}
    if line.get("differs"):
        _warn(console, f"warning: the runs were graded at different pass lines (--digits): A {summary.fmt(line['a'])}, "
              f"B {summary.fmt(line['b'])} correct digits; a grade change may be the pass line's, not the platform's")


def _render_changes(console: Any, comparison: dict[str, Any], wide: bool) -> None:
    """Environment and setting differences (A beside B), then the cells whose grade or status changed."""
    from rich.text import Text

    from mlbench.reports.layout import Col, Grid, print_layouts
    from mlbench.reports.side_by_side import status_text, verdict

    for title, key in (("Environment differences", "environment"), ("Setting differences", "settings")):
        rows = comparison.get(key) or []
        if not rows:
            console.print(Text(f"{title}: none", style="dim"))
            continue
        grid = Grid(title, [Col("", wrap=True), Col("A", wrap=True), Col("B", wrap=True)])
        for row in rows:
            grid.add(str(row["key"]), summary.fmt(row["a"]), Text(summary.fmt(row["b"]), style="bold"))
        print_layouts(console, [[grid]], wide)

    changes = (
        ("Grade changes", "grade_changes", lambda row, side: verdict(row[f"grade_{side}"], row[f"agrees_{side}"])),
        ("Status changes", "status_changes", lambda row, side: status_text(row[f"status_{side}"])),
    )
    for title, key, cell in changes:
        rows = comparison.get(key) or []
        if not rows:
            if key == "grade_changes":
                console.print(Text(f"{title}: none", style="green"))
            continue
        grid = Grid(title, [Col("adapter"), Col("step"), Col("dataset", wrap=True), Col("A", wrap=True),
                            Col("B", wrap=True)])
        for row in rows:
            grid.add(row["adapter"], _label(row), str(row["dataset"]), cell(row, "a"), cell(row, "b"))
        print_layouts(console, [[grid]], wide)


def _render_timing(console: Any, comparison: dict[str, Any], wide: bool) -> None:
    """Median wall seconds of every cell in both runs, B/A, and whether the change is significant: in full (a
    column each) or compact (the cell in one column, the ratio with its verdict)."""
    from rich.text import Text

    from mlbench.reports.layout import Col, Grid, legend, print_layouts

    cells = comparison.get("cells") or []
    several = len({c["dataset"] for c in cells}) > 1
    title = (f"Median wall seconds, B/A (Mann-Whitney U, two-sided, alpha {comparison['alpha']}, needs >= "
             f"{comparison['min_repeats']} repeats each)")
    style = {"slower": "bold red", "faster": "bold green", "no": "dim", "n/a": "dim"}
    full = Grid(title, [Col("adapter", key=True), Col("step", key=True),
                        *([Col("dataset", key=True)] if several else []), Col("phase", key=True),
                        Col("A s (n)", "right"), Col("B s (n)", "right"), Col("B/A", "right"), Col("p", "right"),
                        Col("change")])
    for cell in cells:
        ratio = cell["ratio"]
        full.add(cell["adapter"], _label(cell), *([str(cell["dataset"])] if several else []), cell["phase"],
                 f"{summary.fmt(cell['median_a'], 3)} ({cell['n_a']})",
                 f"{summary.fmt(cell['median_b'], 3)} ({cell['n_b']})",
                 Text("—" if ratio is None else f"{ratio:.2f}×", style=style.get(cell["flag"], "")),
                 summary.format_pvalue(cell["p_value"], 2), Text(cell["flag"], style=style.get(cell["flag"], "")))
    # compact: the cell in one column (the phase only where it is not the step's fit), the repeats said once
    # when every cell has the same number, the ratio and its verdict together
    counts = {(c["n_a"], c["n_b"]) for c in cells}
    same_n = len(counts) == 1
    compact = Grid(title, [Col("adapter", key=True), Col("cell", key=True),
                           *([Col("dataset", key=True)] if several else []),
                           Col("A s" if same_n else "A s (n)", "right"), Col("B s" if same_n else "B s (n)", "right"),
                           Col("B/A", "right"), Col("p", "right")])
    for cell in cells:
        ratio = cell["ratio"]
        shown = "—" if ratio is None else f"{ratio:.2f}×"
        if cell["flag"] in ("slower", "faster"):
            shown += f" {cell['flag']}"
        compact.add(cell["adapter"], _cell_label(cell), *([str(cell["dataset"])] if several else []),
                    summary.fmt(cell["median_a"], 3) + ("" if same_n else f" ({cell['n_a']})"),
                    summary.fmt(cell["median_b"], 3) + ("" if same_n else f" ({cell['n_b']})"),
                    Text(shown, style=style.get(cell["flag"], "")), summary.format_pvalue(cell["p_value"], 2))
    repeats = ""
    if same_n and cells:
        n_a, n_b = next(iter(counts))
        repeats = f"repeats: {n_a} in A and {n_b} in B for every cell; "
    compact.notes = [legend(f"{repeats}B/A in red (slower) or green (faster) where the change is significant; "
                            f"p: — where a run has fewer than {comparison['min_repeats']} repeats")]
    print_layouts(console, [[full], [compact]], wide)
    min_ps = [c["min_p"] for c in cells if c.get("min_p") is not None]
    if min_ps and max(min_ps) >= comparison["alpha"]:
        _warn(console, f"note: with this few repeats the smallest p-value the test can reach is {max(min_ps):.2g} "
              f"(>= alpha {comparison['alpha']}), so such cells cannot be flagged; run with --repeats 4 or more.")


def _render_unpaired(console: Any, comparison: dict[str, Any]) -> None:
    """The cells only one of the runs has, named in one dim line each."""
    from rich.text import Text

    for key, title in (("only_in_a", "only in A"), ("only_in_b", "only in B")):
        only = comparison.get(key) or []
        if only:
            labels = sorted({" ".join(x for x in (c["adapter"], _label(c), c["phase"]) if x) for c in only})
            console.print(Text(f"{len(only)} cell(s) {title}: " + "; ".join(labels[:12])
                               + (f"; and {len(labels) - 12} more" if len(labels) > 12 else ""), style="dim"))
