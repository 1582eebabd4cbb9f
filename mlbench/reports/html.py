"""One self-contained HTML report of a stored run: no CDN, no fonts or scripts from anywhere, readable offline
and without JavaScript (tables are real <table>s; the one inline script only adds click-to-sort on headers).

The page holds the run header and environment from run.json, dataset provenance, the same side-by-side tables
as the console (support, grade, median time ± IQR, peak memory; OLS coefficients and p-values, elimination,
VIF, subset agreement per size, recovery of the true support, the training ladder, deployability) and inline
SVG charts drawn here in Python (mlbench.reports.svg).

Every string that comes from data, a manifest or an error message is escaped with html.escape; a Content
Security Policy admits only the template's own style and script (by hash), so even a missed escape could not
run a script or load anything from the network.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import string
from collections.abc import Sequence
from html import escape
from importlib import resources
from typing import Any

from mlbench import __version__
from mlbench.reports import summary, svg
from mlbench.reports.summary import fmt
from mlbench.results import reference_answers
from mlbench.stats import metrics

TEMPLATE = "report_template.html"
SUPPORT_CLASS = {"native": "b-ok", "emulated": "b-warn", "unsupported": "b-dim"}
STATUS_CLASS = {"ok": "b-ok", "error": "b-bad", "timeout": "b-bad", "skipped": "b-warn", "unsupported": "b-dim"}
DEPLOY_SUBSCORES = ("portability", "fidelity", "reproducibility", "latency", "throughput", "cold_start",
                    "footprint", "security")
METRIC_LABELS = {"adj_r_squared": "adj. R²", "max_vif": "max VIF", "share_sizes_same_set": "sizes same",
                 "auc": "AUC", "rmse": "RMSE", "score": "deploy score"}
# Phases get their own colours (Paul Tol's muted scheme), distinct from the per-platform palette of the other charts.
PHASE_COLORS = {"session": "#555555", "load": "#bbbbbb", "fit": "#332288", "predict": "#cc6677", "export": "#117733",
                "reload": "#88ccee"}
MODEL_SHAPES = {"linear": "circle", "logistic": "circle", "random_forest": "triangle", "gbm": "square"}


def esc(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


# ---------------------------------------------------------------------------------------------- table cells


def _attrs(cls: str | None = None, sort: Any = None, title: str | None = None, scope: str | None = None) -> str:
    out = ""
    if cls:
        out += f' class="{esc(cls)}"'
    if sort is not None and not (isinstance(sort, float) and sort != sort):
        out += f' data-sort="{esc(repr(sort) if isinstance(sort, float) else sort)}"'
    if title:
        out += f' title="{esc(title)}"'
    if scope:
        out += f' scope="{scope}"'
    return out


def td(inner: str = "", cls: str | None = None, sort: Any = None, title: str | None = None) -> str:
    """A cell whose `inner` is already HTML (escape data with esc() or use txt())."""
    return f"<td{_attrs(cls, sort, title)}>{inner}</td>"


def txt(value: Any, cls: str | None = None, title: str | None = None) -> str:
    return td(esc(value), cls, title=title)


def num(value: Any, digits: int = 6, cls: str = "num") -> str:
    sort = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return td(esc(fmt(value, digits)), cls, sort=sort)


def th(label: str, cls: str | None = None, title: str | None = None) -> str:
    """A header cell; `label` is escaped, a '\\n' becomes a line break."""
    inner = "<br>".join(esc(part) for part in label.split("\n"))
    return f'<th{_attrs(cls, title=title, scope="col")}>{inner}</th>'


def badge(text: Any, cls: str) -> str:
    return f'<span class="badge {cls}">{esc(text)}</span>'


def support_badge(support: Any) -> str:
    return badge(support, SUPPORT_CLASS.get(str(support), "b-dim")) if support else ""


def status_badge(status: Any) -> str:
    if not status:
        return ""
    return badge(status, STATUS_CLASS.get(str(status), "b-warn"))


def grade_badge(grade: Any, agrees: Any) -> str:
    if not grade:
        return ""
    if agrees:
        return badge(grade, "b-ok")
    return badge("deviation", "b-bad") + f' <span class="muted">{esc(grade)}</span>'


def time_cell(median: float | None, iqr: float | None) -> str:
    if median is None:
        return td("—", "num")
    spread = f' <span class="iqr">±{esc(fmt(iqr, 2))}</span>' if iqr is not None else ""
    return td(esc(fmt(median, 3)) + spread, "num", sort=float(median),
              title=None if iqr is None else "median; ± is the interquartile range of the repeats")


def table(head: list[str], rows: list[list[str]], caption: str | None = None, foot: list[list[str]] | None = None,
          sortable: bool = True, cls: str = "") -> str:
    """A <table> from pre-rendered <th>/<td> strings; footer rows are not sorted."""
    classes = " ".join(c for c in ("sortable" if sortable else "", cls) if c)
    # The caption sits above the table as a paragraph: a <caption> would widen or squeeze the table to its text.
    label = f' aria-label="{esc(caption)}"' if caption else ""
    out = [f'<p class="tcap">{esc(caption)}</p>' if caption else "",
           f'<div class="scroll"><table{_attrs(classes or None)}{label}>']
    out.append("<thead><tr>" + "".join(head) + "</tr></thead>")
    out.append("<tbody>" + "".join("<tr>" + "".join(r) + "</tr>" for r in rows) + "</tbody>")
    if foot:
        out.append("<tfoot>" + "".join("<tr>" + "".join(r) + "</tr>" for r in foot) + "</tfoot>")
    out.append("</table></div>")
    return "\n".join(out)


def kv_table(pairs: list[tuple[str, str]], caption: str | None = None) -> str:
    """Key/value rows; values are pre-rendered HTML."""
    rows = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{v}</td></tr>' for k, v in pairs)
    cap = f'<p class="tcap">{esc(caption)}</p>' if caption else ""
    return f'{cap}<div class="scroll"><table class="kv"><tbody>{rows}</tbody></table></div>'


def figure(svg_markup: str, caption: str, note: str = "") -> str:
    small = f"<small>{esc(note)}</small>" if note else ""
    return f"<figure><figcaption>{esc(caption)}{small}</figcaption>\n{svg_markup}\n</figure>"


# ------------------------------------------------------------------------------------------ header, provenance


def _duration(manifest: dict[str, Any]) -> str | None:
    try:
        start = dt.datetime.fromisoformat(str(manifest["started_utc"]).replace("Z", "+00:00"))
        end = dt.datetime.fromisoformat(str(manifest["finished_utc"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    seconds = (end - start).total_seconds()
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _header(manifest: dict[str, Any], records: list[dict[str, Any]]) -> str:
    scenario = manifest.get("scenario") or {}
    name = scenario.get("name") if isinstance(scenario, dict) else scenario
    name = name or (records[0].get("scenario") if records else "?")
    run_id = manifest.get("run_id") or (records[0].get("run_id") if records else "?")
    status = manifest.get("status", "unknown")
    out = [f"<h1>mlbench report: {esc(name)}</h1>"]
    description = scenario.get("description") if isinstance(scenario, dict) else None
    sub = [f"run <code>{esc(run_id)}</code>"]
    if manifest.get("started_utc"):
        sub.append(f"started {esc(manifest['started_utc'])}")
    duration = _duration(manifest) if status != "running" else None
    if duration:
        sub.append(f"took {esc(duration)}")
    sub.append("status " + badge(status, "b-ok" if status == "complete" else "b-warn"))
    out.append(f'<p class="sub">{" · ".join(sub)}</p>')
    if description:
        out.append(f'<p class="note">{esc(description)}</p>')
    if status != "complete":
        out.append(f'<p class="banner">This run is {esc(status)}: the tables show the records it stored, '
                   "which may not cover every cell.</p>")
    measured = summary.measured(records)
    counts: dict[str, int] = {}
    for record in measured:
        counts[str(record.get("status"))] = counts.get(str(record.get("status")), 0) + 1
    adapters = list(dict.fromkeys(str(r.get("adapter")) for r in records))
    kpis = [(len(adapters), "platforms: " + ", ".join(adapters) if adapters else "platforms")]
    kpis.append((len(summary.group_cells(records)), "cells (adapter × step × dataset)"))
    kpis.append((len(measured), "measured records"))
    for status_name in ("ok", "error", "timeout", "unsupported", "skipped"):
        if counts.get(status_name):
            kpis.append((counts[status_name], status_name))
    if manifest.get("repeats") is not None:
        kpis.append((manifest["repeats"], f"repeats (+{manifest.get('warmup', 0)} warm-up)"))
    out.append('<div class="kpis">' + "".join(
        f'<div class="kpi"><b>{esc(v)}</b><span>{esc(label)}</span></div>' for v, label in kpis) + "</div>")
    return "\n".join(out)


def _environment(manifest: dict[str, Any], records: list[dict[str, Any]]) -> str:
    env = manifest.get("environment") or {}
    if not env and records:  # an old or torn run: what every record carries
        env = {"python": records[0].get("python"), "java": records[0].get("java"), "host": records[0].get("host"),
               "mlbench_version": records[0].get("mlbench_version")}
    command = env.get("command_line")
    if isinstance(command, list):
        command = " ".join(str(part) for part in command)
    memory = env.get("memory_gb")
    pairs = [
        ("python", esc(" ".join(str(p) for p in (env.get("python"), env.get("python_implementation")) if p))),
        ("mlbench", esc(env.get("mlbench_version"))),
        ("java", esc(env.get("java") or "none")),
        ("cpu", esc(env.get("cpu_model"))),
        ("cores", esc(env.get("cores"))),
        ("memory", esc(f"{memory} GB" if memory is not None else "—")),
        ("os", esc(env.get("os"))),
        ("host", esc(env.get("host"))),
        ("command line", f"<code>{esc(command)}</code>" if command else "—"),
    ]
    settings = [(k, manifest.get(k)) for k in ("seed", "repeats", "warmup", "tolerance", "isolation", "timeout_s")
                if manifest.get(k) is not None]
    if settings:
        pairs.append(("settings", esc(", ".join(f"{k} {v}" for k, v in settings))))
    weights = manifest.get("deploy_weights_overridden")
    if weights:
        pairs.append(("deploy weights overridden", esc(", ".join(f"{k}={v}" for k, v in weights.items()))))
    platforms: dict[str, str] = {}
    for record in records:
        if record.get("platform_version"):
            platforms[str(record["adapter"])] = str(record["platform_version"])
    libraries = env.get("libraries") or {}
    pairs_installed = [(name, version) for name, version in libraries.items() if version]
    half = (len(pairs_installed) + 1) // 2
    installed = []
    for i in range(half):  # two library/version pairs per row keeps the table short
        row = [txt(pairs_installed[i][0]), txt(pairs_installed[i][1], "mono")]
        if i + half < len(pairs_installed):
            row += [txt(pairs_installed[i + half][0]), txt(pairs_installed[i + half][1], "mono")]
        else:
            row += [td(), td()]
        installed.append(row)
    missing = [name for name, version in libraries.items() if not version]
    right = ""
    if platforms:
        right += table([th("adapter"), th("platform version")],
                       [[txt(a), txt(v, "mono")] for a, v in platforms.items()], "Platforms", sortable=False)
    if installed:
        right += table([th("library"), th("version"), th("library"), th("version")], installed, "Libraries",
                       sortable=False)
    if missing:
        right += f'<p class="note">Not installed: {esc(", ".join(missing))}</p>'
    return f'<div class="grid2"><div>{kv_table(pairs, "Machine and software")}</div><div>{right}</div></div>'


def _datasets(manifest: dict[str, Any], records: list[dict[str, Any]]) -> str:
    datasets = manifest.get("datasets") or ([manifest["dataset"]] if manifest.get("dataset") else [])
    if not datasets:  # fall back to what the records say
        seen: dict[str, dict[str, Any]] = {}
        for record in records:
            seen.setdefault(str(record.get("dataset")), {"name": record.get("dataset"),
                                                         "sha256": record.get("dataset_sha256"),
                                                         "n_rows": record.get("n_rows")})
        datasets = list(seen.values())
    rows = []
    for d in datasets:
        features = d.get("features") or []
        feature_text = ", ".join(str(f) for f in features[:12]) + (f", … ({len(features)} in all)"
                                                                      if len(features) > 12 else "")
        dropped = d.get("n_dropped")
        rows_text = fmt(d.get("n_rows"))
        if dropped:
            rows_text += f" ({dropped} of {d.get('n_input_rows')} dropped: missing values)"
        notes = "; ".join(str(n) for n in d.get("notes") or [])
        factors = d.get("factors") or {}
        if factors:
            notes = "; ".join(x for x in (notes, "factors: " + ", ".join(
                f"{k} ({', '.join(map(str, v)) if isinstance(v, list) else v})" for k, v in factors.items())) if x)
        sha = str(d.get("sha256") or "")
        rows.append([
            txt(d.get("name")), txt(d.get("task") or "statistics"), td(esc(rows_text), "num", sort=d.get("n_rows")),
            num(d.get("n_test")), txt(d.get("target")), txt(feature_text, "wrap"),
            td(f"<code>{esc(sha[:12])}…</code>" if sha else "—", title=sha or None),
            txt(d.get("provenance"), "wrap"), txt(notes or "", "wrap"),
        ])
    head = [th(h) for h in ("dataset", "task", "rows", "test rows", "target", "features", "sha256", "provenance",
                            "notes")]
    keep = [i for i in range(len(head)) if i not in (
        *((3,) if not any(d.get("n_test") for d in datasets) else ()),
        *((8,) if not any(d.get("notes") or d.get("factors") for d in datasets) else ()))]
    return table([head[i] for i in keep], [[row[i] for i in keep] for row in rows], sortable=len(rows) > 1,
                 cls="full")


# ------------------------------------------------------------------------------------------ result tables


def side_by_side(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> str | None:
    """The console's "Platforms side by side" for the statistics steps (training and deploy have their own)."""
    rows_data = [r for r in summary.cell_rows(records, manifest)
                 if r["step"] not in ("train", "deploy", *summary.ADAPTER_PHASES)]
    if not rows_data:
        return None
    several = len({r["dataset"] for r in rows_data}) > 1
    with_r = any(r.get("vs_r") for r in rows_data)
    head = ([th("dataset")] if several else []) + [
        th("adapter"), th("step"), th("support"), th("status"), th("grade"),
        th("digits", "num", "correct significant digits against the exact reference: the minimum over every "
                            "quantity the step reports"),
        *([th("vs R", "", "agreement with the live R adapter's answer in this run")] if with_r else []),
        th("median s", "num"),
        th("runs", "num", "measured repeats"), th("peak MB", "num", "peak RSS of the process tree"),
        th("headline", "num"), th("how / why")]
    body = []
    for r in rows_data:
        headline = ""
        if r["metric"] is not None:
            value = r["metric_value"]
            shown = f"{value:.0%}" if r["metric"] == "share_sizes_same_set" else fmt(value, 4)
            headline = f'{esc(shown)} <span class="muted">{esc(METRIC_LABELS.get(r["metric"], r["metric"]))}</span>'
        body.append(([txt(r["dataset"])] if several else []) + [
            txt(r["adapter"]), txt(summary.step_label(r["step"], r["variant"])),
            td(support_badge(r["support"])), td(status_badge(r["status"])),
            td(grade_badge(r["grade"], r["agrees"]), sort=r["grade"] or ""),
            num(r["min_digits"], 3),
            *([td(grade_badge((r.get("vs_r") or {}).get("grade"), (r.get("vs_r") or {}).get("agrees")),
                  sort=(r.get("vs_r") or {}).get("grade") or "")] if with_r else []),
            time_cell(r["median_wall_s"], r["iqr_wall_s"]), num(r["repeats"]), num(r["peak_rss_mb"], 4),
            td(headline, "num", sort=r["metric_value"]),
            txt(r["how"], "wrap err" if r["status"] in ("error", "timeout") else "wrap"),
        ])
    return table(head, body, "Support, status, grade against the reference, median wall time (± IQR), peak memory",
                 cls="full")


def accuracy_table(records: list[dict[str, Any]], manifest: dict[str, Any]) -> str | None:
    """McCullough's table: correct digits of each platform's OLS answer (rows: datasets by NIST's difficulty;
    columns: platforms), the float64 ceiling of each dataset, and what a number cannot say as a note."""
    pivot = summary.accuracy(records, manifest)
    if not pivot["rows"]:
        return None
    adapters = pivot["adapters"]
    head = [th("dataset"), th("difficulty"),
            th("float64 input", "num", "digits left by storing the exact data as float64: the best a platform "
                                      "reading it can do"),
            *(th(a, "num") for a in adapters), th("notes")]
    body = []
    for row in pivot["rows"]:
        cells, notes = [], []
        for adapter in adapters:
            cell = row["cells"].get(adapter)
            if cell is None:
                cells.append(td())
            elif cell["status"] != "ok":
                cells.append(td(status_badge(cell["status"])))
            else:
                worst = cell.get("worst") or {}
                title = f"worst: {worst.get('quantity')} of {worst.get('term')}" if worst.get("term") else None
                style = "num good" if cell["agrees"] else "num bad"
                cells.append(td(esc(fmt(cell["digits"], 3)), style, sort=cell["digits"], title=title))
            if cell and cell["note"]:
                notes.append(f"{adapter}: {cell['note']}")
        if row["not_run"]:
            notes.append(f"not run: {row['not_run']}")
        body.append([txt(row["label"]), txt(row["difficulty"] or ""), num(row["input_digits"], 3), *cells,
                     txt("; ".join(notes), "wrap")])
    digits = manifest.get("digits", 6)
    return table(head, body, f"Correct significant digits of the OLS answer against mlbench's exact reference "
                             f"(minimum over estimate, SE, t, p, R², F); green: at least {digits:g} and the same "
                             "model", cls="full")


def startup_table(records: list[dict[str, Any]]) -> str | None:
    """Each platform's session start and its native-reader load of each dataset."""
    rows_data = [r for r in summary.cell_rows(records) if r["step"] in summary.ADAPTER_PHASES]
    if not rows_data:
        return None
    body = [[txt(r["adapter"]), txt(r["step"]), txt(r["dataset"] if r["step"] == "load" else ""),
             td(status_badge(r["status"])), time_cell(r["median_wall_s"], r["iqr_wall_s"]),
             num(r["peak_rss_mb"], 4), txt(r["how"], "wrap err") if r["how"] else td()] for r in rows_data]
    head = [th("adapter"), th("phase"), th("dataset"), th("status"), th("seconds", "num"), th("peak MB", "num"),
            th("error")]
    if not any(r["how"] for r in rows_data):
        head, body = head[:-1], [row[:-1] for row in body]
    return table(head, body, "Platform start-up (session) and data loading with each platform's own reader (load)")


def coefficient_table(records: list[dict[str, Any]], reference: dict[str, Any] | None,
                      order: list[str] | None = None) -> str | None:
    results = summary.latest_ok(records, "pvalues")
    if not results:
        return None
    if reference and "coefficients" in reference:
        results = {"reference": reference, **results}
    head = [th("term")]
    for name in results:
        head += [th(f"{name}\nestimate", "num"), th(f"{name}\np-value", "num")]
    rows = []
    for term in summary.coefficient_terms(results, order):
        row = [txt(term)]
        for res in results.values():
            if term in (res.get("aliased") or []):
                row += [td(esc("aliased"), "num muted", title="exactly collinear with earlier terms: R's NA"),
                        td("NA", "num muted")]
                continue
            coef = (res.get("coefficients") or {}).get(term, {})
            row += [num(coef.get("estimate")), num(coef.get("p_value"), 4)]
        rows.append(row)
    foot = []
    for label, key in (("R²", "r_squared"), ("adj. R²", "adj_r_squared"), ("F", "f_statistic")):
        row = [txt(label)]
        for res in results.values():
            row += [num(res.get(key)), td()]
        foot.append(row)
    return table(head, rows, "OLS coefficients of the full model: estimate and p-value per platform", foot)


def elimination_table(records: list[dict[str, Any]]) -> str | None:
    results = summary.latest_ok(records, "pvalues")
    if not results:
        return None
    alpha = next(iter(results.values())).get("alpha")
    rows = []
    for adapter, res in results.items():
        refit = res.get("refit") or {}
        rows.append([txt(adapter), txt(", ".join(map(str, res.get("dropped") or [])) or "none", "wrap"),
                     txt(", ".join(map(str, res.get("kept") or [])), "wrap"), num(refit.get("r_squared")),
                     num(refit.get("adj_r_squared"))])
    head = [th("adapter"), th("dropped, in order"), th("kept"), th("refit R²", "num"), th("refit adj. R²", "num")]
    return table(head, rows, f"Backward elimination: drop the largest p > {alpha}, refit")


def vif_table(records: list[dict[str, Any]]) -> str | None:
    results = summary.latest_ok(records, "vif")
    if not results:
        return None
    head = [th("feature")] + [th(a, "num") for a in results]
    features = list(dict.fromkeys(f for res in results.values() for f in (res.get("vif") or {})))
    rows = [[txt(f)] + [num((res.get("vif") or {}).get(f)) for res in results.values()] for f in features]
    foot = [[txt("dropped")] + [txt(", ".join(map(str, res.get("dropped") or [])) or "none", "num")
                                for res in results.values()]]
    return table(head, rows, "Variance inflation factors (with intercept, as car::vif)", foot)


def _subset_mark(record: dict[str, Any], size: int, best_set: set[str]) -> str:
    same = ((record.get("deviation") or {}).get("same_set_by_size") or {}).get(str(size))
    if same is None:
        status = record.get("status")
        return td(f'<span class="muted">{esc(status if status != "ok" else "—")}</span>', "center", sort="")
    chosen = set(((record.get("result") or {}).get("by_size") or {}).get(str(size), {}).get("features", []))
    not_best = bool(best_set) and chosen != best_set
    mark = f'<span class="{"yes" if same else "no"}">{"✓" if same else "✗"}</span>'
    if not_best:
        mark += ' <span class="muted">≠best</span>'
    return td(mark, "center", sort=int(bool(same)),
              title=", ".join(sorted(chosen)) if chosen else None)


def subset_table(records: list[dict[str, Any]], reference: dict[str, Any]) -> str | None:
    sizes, rows_data = summary.subset_agreement(records, reference)
    if not rows_data:
        return None
    exact = reference.get("subset/best") or next(
        (v for k, v in reference.items() if k.startswith("subset/") and isinstance(v, dict) and "by_size" in v),
        None)
    has_exact = bool(exact and "by_size" in exact)
    head = [th("size", "num")]
    if has_exact:
        head += [th("exact best subset (reference)"), th("adj. R²", "num"), th("BIC", "num")]
    several = len({r["dataset"] for r in rows_data}) > 1
    head += [th(f"{r['adapter']}\n{r['method']}" + (f"\n{r['dataset']}" if several else ""), "center")
             for r in rows_data]
    body = []
    for size in sizes:
        row = [num(size)]
        best_set: set[str] = set()
        if has_exact:
            assert exact is not None
            ref = exact["by_size"].get(str(size), {})
            best_set = set(ref.get("features", []))
            row += [txt(", ".join(map(str, ref.get("features", []))), "wrap"), num(ref.get("adj_r_squared")),
                    num(ref.get("bic"))]
        row += [_subset_mark(r["record"], size, best_set) for r in rows_data]
        body.append(row)
    foot_row = [txt("picks")]
    if has_exact:
        assert exact is not None
        chosen = exact.get("chosen") or {}
        foot_row += [txt(f"adj. R² {chosen.get('adj_r_squared')}, Cp {chosen.get('cp')}, BIC {chosen.get('bic')}"),
                     td(), td()]
    for r in rows_data:
        chosen = (r["record"].get("result") or {}).get("chosen") or {}
        foot_row.append(txt(f"{chosen.get('adj_r_squared')}/{chosen.get('cp')}/{chosen.get('bic')}" if chosen
                            else "—", "center", title="size picked by adj. R² / Cp / BIC"))
    return table(head, body, "Subset selection per size: ✓ = same set as the exact reference of the same method; "
                             "≠best = not the best subset of that size", [foot_row])


def truth_table(records: list[dict[str, Any]]) -> str | None:
    _sizes, rows_data = summary.subset_agreement(records)
    rows_data = [r for r in rows_data if (r["record"].get("deviation") or {}).get("truth")]
    if not rows_data:
        return None
    body = []
    for r in rows_data:
        truth = r["record"]["deviation"]["truth"]
        row = [txt(r["adapter"]), txt(r["method"])]
        for criterion in ("adj_r_squared", "cp", "bic"):
            q = truth.get(criterion) or {}
            row.append(td(esc(f"{q.get('precision', 0):.2f} / {q.get('recall', 0):.2f} (k={q.get('size')})"),
                          "num", sort=q.get("precision")))
        body.append(row)
    head = [th("adapter"), th("method"), th("adj. R²", "num"), th("Cp", "num"), th("BIC", "num")]
    return table(head, body, "Recovery of the true support: precision / recall of the model each criterion picks")


def train_tables(records: list[dict[str, Any]]) -> list[str]:
    points = summary.train_points(records)
    out = []
    for task in dict.fromkeys(p["task"] for p in points):
        task_points = [p for p in points if p["task"] == task]
        metric = metrics.headline_metric(task) or "metric"
        sizes = sorted({p["n_rows"] for p in task_points})
        head = [th("adapter"), th("model")]
        for size in sizes:
            head += [th(f"{size:,} rows\nfit s", "num"), th(f"{size:,} rows\npeak MB", "num"),
                     th(f"{size:,} rows\n{metric.upper()}", "num")]
        keys = list(dict.fromkeys((p["adapter"], p["model"]) for p in task_points))
        by_key = {(p["adapter"], p["model"], p["n_rows"]): p for p in task_points}
        rows = []
        for adapter, model in keys:
            row = [txt(adapter), txt(model)]
            for size in sizes:
                p = by_key.get((adapter, model, size))
                if p is None:
                    row += [td("—", "num"), td(), td()]
                    continue
                if p["failed"]:
                    row += [td(status_badge(p["status"]), "num", sort="", title=p["error"]), td(), td()]
                    continue
                spread = (f' <span class="iqr">±{esc(fmt(p["metric_spread"], 2))}</span>'
                          if p["metric_spread"] is not None else "")
                row += [time_cell(p["fit_s"], p["fit_iqr_s"]), num(p["peak_rss_mb"], 4),
                        td(esc(fmt(p["metric_value"], 4)) + spread, "num", sort=p["metric_value"])]
            rows.append(row)
        out.append(table(head, rows, f"Training ({task}): median fit seconds (± IQR), peak MB of the process tree, "
                                     f"{metric.upper()} on the fixed test set"))
    return out


def deploy_table(records: list[dict[str, Any]]) -> str | None:
    rows_data = summary.deploy_rows(records)
    if not rows_data:
        return None
    body = []
    for r in rows_data:
        formats = []
        for kind, raw in (r["formats"] or {}).items():
            if not isinstance(raw, dict):
                continue
            if raw.get("ok"):
                formats.append(f"{kind}: p99 {fmt(raw.get('p99_ms'), 3)} ms, parity {fmt(raw.get('parity_max_abs'), 3)}"
                               f", score {fmt(raw.get('score'), 4)}")
            else:
                formats.append(f"{kind}: {'unavailable' if raw.get('unavailable') else 'failed'}"
                               f" ({raw.get('error')})")
        floor = f"{r['floor_subscore']} {fmt(r['floor'], 4)}" if r["floor_subscore"] else "—"
        body.append([txt(r["adapter"]), txt(r["model"]), td(support_badge(r["support"])),
                     td(status_badge(r["status"])), num(r["score"], 4), txt(r["best_format"] or "—"), txt(floor),
                     td("<br>".join(esc(f) for f in formats) or esc(r["error"] or "—"),
                        "wrap err" if r["error"] and not formats else "wrap")])
    head = [th("adapter"), th("model"), th("support"), th("status"), th("score", "num", "0-100, best format"),
            th("best format"), th("weakest sub-score"), th("formats")]
    return table(head, body, "Deployability: export, reload in a fresh process, parity, latency, footprint",
                 cls="full")


def errors_table(records: list[dict[str, Any]]) -> str | None:
    grouped: dict[tuple[str, str, str, str, str], int] = {}
    for record in summary.measured(records):
        if record.get("status") in ("error", "timeout"):
            key = (str(record.get("adapter")), summary.step_label(summary.step_name(record), record.get("variant")),
                   str(record.get("phase")), str(record.get("dataset")), str(record.get("error") or ""))
            grouped[key] = grouped.get(key, 0) + 1
    if not grouped:
        return None
    rows = [[txt(a), txt(s), txt(p), txt(d), num(n), txt(e, "wrap err")] for (a, s, p, d, e), n in grouped.items()]
    head = [th("adapter"), th("step"), th("phase"), th("dataset"), th("times", "num"), th("error")]
    return table(head, rows, "Failed cells (the run went on; see errors.log in the run directory for tracebacks)",
                 cls="full")


# ------------------------------------------------------------------------------------------ charts


def _colors(names: list[str]) -> dict[str, str]:
    return {name: svg.color(i) for i, name in enumerate(names)}


def _shapes(models: list[str]) -> dict[str, str]:
    shapes: dict[str, str] = {}
    free = [s for s in svg.MARKERS if s not in MODEL_SHAPES.values()] + list(svg.MARKERS)
    for model in models:
        shapes[model] = MODEL_SHAPES.get(model) or free[len(shapes) % len(free)]
    return shapes


def plot_fit_vs_rows(records: list[dict[str, Any]]) -> list[str]:
    """(a) Median fit seconds against training rows, log-log; one line per platform x model, per task."""
    points = [p for p in summary.train_points(records) if p["fit_s"] and p["n_rows"]]
    out = []
    adapters = list(dict.fromkeys(p["adapter"] for p in points))
    colors, shapes = _colors(adapters), _shapes(list(dict.fromkeys(p["model"] for p in points)))
    for task in dict.fromkeys(p["task"] for p in points):
        models = list(dict.fromkeys(p["model"] for p in points if p["task"] == task))
        dashes = {m: svg.DASHES[i % len(svg.DASHES)] for i, m in enumerate(models)}
        series = []
        for adapter in adapters:
            for model in models:
                mine = [p for p in points if (p["task"], p["adapter"], p["model"]) == (task, adapter, model)]
                if not mine:
                    continue
                series.append(svg.Series(
                    f"{adapter} · {model}", colors[adapter], shapes[model], dashes[model],
                    [(float(p["n_rows"]), float(p["fit_s"]),
                      f"{adapter} · {model} · {p['n_rows']:,} rows: fit {p['fit_s']:.3g} s") for p in mine]))
        sizes = sorted({p["n_rows"] for p in points if p["task"] == task})
        note = ("One size only: run more sizes (--sizes 10k,100k,1m) to see how fit time grows."
                if len(sizes) < 2 else "Median over the measured repeats; hover a point for its value.")
        out.append(figure(svg.line_chart(series, f"Fit time vs rows ({task})", "training rows (log)",
                                         "median fit seconds (log)",
                                         x_ticks=[float(n) for n in sizes] if len(sizes) <= 8 else ()),
                          f"Fit time against training rows ({task}), log-log", note))
    return out


def plot_pareto(records: list[dict[str, Any]]) -> list[str]:
    """(b) Test metric against fit time at the largest size, the Pareto front ringed and labelled."""
    points = [p for p in summary.train_points(records) if p["fit_s"] and p["metric_value"] is not None]
    out = []
    adapters = list(dict.fromkeys(p["adapter"] for p in points))
    models = list(dict.fromkeys(p["model"] for p in points))
    colors, shapes = _colors(adapters), _shapes(models)
    for task in dict.fromkeys(p["task"] for p in points):
        size = max(p["n_rows"] for p in points if p["task"] == task)
        chosen = [p for p in points if p["task"] == task and p["n_rows"] == size]
        metric = chosen[0]["metric"] or "metric"
        higher = metrics.higher_is_better(metric)
        models = list(dict.fromkeys(p["model"] for p in chosen))
        plotted = [svg.Point(float(p["fit_s"]), float(p["metric_value"]), colors[p["adapter"]], shapes[p["model"]],
                             f"{p['adapter']} · {p['model']}: {metric.upper()} {p['metric_value']:.4g}, "
                             f"fit {p['fit_s']:.3g} s", f"{p['adapter']} · {p['model']}") for p in chosen]
        legends = [("platform", [svg.LegendEntry(a, colors[a], "circle") for a in adapters
                                 if any(p["adapter"] == a for p in chosen)]),
                   ("model", [svg.LegendEntry(m, "#666", shapes[m]) for m in models
                              if any(p["model"] == m for p in chosen)])]
        direction = "higher" if higher else "lower"
        out.append(figure(
            svg.pareto_chart(plotted, f"{metric.upper()} vs fit time ({task}, {size:,} rows)",
                             "median fit seconds (log)", f"{metric.upper()} on the test set ({direction} is better)",
                             higher, legends),
            f"{metric.upper()} against fit time ({task}, {size:,} training rows), Pareto front ringed",
            f"A ringed point is on the front: no other platform × model is both faster and more accurate. "
            f"{metric.upper()}: {direction} is better."))
    return out


def plot_phases(records: list[dict[str, Any]]) -> str | None:
    """(c) Seconds per phase per adapter, stacked: session, load, fit, predict (export, reload if any)."""
    totals = summary.phase_totals(records)
    if not totals:
        return None
    phases = [p for p in summary.PHASES if any(p in v for v in totals.values())]
    phases += sorted({p for v in totals.values() for p in v} - set(phases))
    rows = [(adapter, values) for adapter, values in totals.items()]
    return figure(svg.stacked_bars(rows, phases, "Seconds per phase per platform", "seconds", PHASE_COLORS),
                  "Where the time goes: seconds per phase per platform",
                  "Per phase, the sum over cells of each cell's median over the repeats, i.e. one pass of the "
                  "scenario. Session is platform start-up (a JVM for H2O and Spark).")


def plot_deploy(records: list[dict[str, Any]]) -> str | None:
    """(d) Deployability sub-scores (0-100) per adapter x model; skipped when no record carries sub-scores."""
    rows_data = [r for r in summary.deploy_rows(records) if r["subscores"]]
    if not rows_data:
        return None
    names = [s for s in DEPLOY_SUBSCORES if any(s in r["subscores"] for r in rows_data)]
    names += sorted({k for r in rows_data for k in r["subscores"]} - set(names))
    columns = [*names, "score"]
    labels, cells = [], []
    for r in rows_data:
        labels.append(f"{r['adapter']} · {r['model']}" + (f" ({r['best_format']})" if r["best_format"] else ""))
        row = []
        for name in columns:
            value = r["score"] if name == "score" else r["subscores"].get(name)
            value = float(value) if isinstance(value, int | float) else None
            fill, ink = svg.sequential(value)
            row.append(svg.HeatCell(fill, "—" if value is None else f"{value:.0f}",
                                    f"{labels[-1]} · {name}: {'missing' if value is None else f'{value:.1f}'}", ink))
        cells.append(row)
    markup = svg.heatmap(labels, [c.replace("_", " ") for c in columns], cells, "Deployability sub-scores",
                         [(svg.sequential(0)[0], "0"), (svg.sequential(50)[0], "50"), (svg.sequential(100)[0], "100"),
                          ("#e0e0e0", "missing")], cell_w=84)
    return figure(markup, "Deployability sub-scores (0-100) of each model's best format",
                  "The last column is the weighted total; the weakest sub-score is listed in the table above.")


def plot_subset_agreement(records: list[dict[str, Any]], reference: dict[str, Any]) -> str | None:
    """(e) Rows adapter x method, columns subset size: same subset as the reference (yes / no / missing)."""
    sizes, rows_data = summary.subset_agreement(records, reference)
    if not rows_data or not sizes:
        return None
    several = len({r["dataset"] for r in rows_data}) > 1
    labels, cells = [], []
    for r in rows_data:
        label = f"{r['adapter']} · {r['method']}" + (f" · {r['dataset']}" if several else "")
        labels.append(label)
        row = []
        for size in sizes:
            same = r["same"].get(size)
            if same is None:
                why = r["status"] if r["status"] != "ok" else "not computed"
                row.append(svg.HeatCell("#e0e0e0", "–", f"{label}, size {size}: missing ({why})", "#555"))
            elif same:
                row.append(svg.HeatCell("#b7e4c7", "✓", f"{label}, size {size}: same subset as the reference"))
            else:
                row.append(svg.HeatCell("#f4b6b0", "✗", f"{label}, size {size}: a different subset"))
        cells.append(row)
    markup = svg.heatmap(labels, [str(s) for s in sizes], cells, "Subset agreement with the reference",
                         [("#b7e4c7", "✓ same subset"), ("#f4b6b0", "✗ different"), ("#e0e0e0", "– missing")],
                         col_heading="subset size")
    return figure(markup, "Feature-selection agreement: same subset as the reference, per size",
                  "The reference of each method: exhaustive (leaps-style) for best, the exact stepwise path for "
                  "forward and backward.")


# ------------------------------------------------------------------------------------------ page


def _template() -> str:
    return resources.files("mlbench.reports").joinpath(TEMPLATE).read_text(encoding="utf-8")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(template: str) -> str:
    """Nothing from the network, only the template's own <style> and <script> (by hash)."""
    styles = re.findall(r"<style>(.*?)</style>", template, flags=re.S)
    scripts = re.findall(r"<script>(.*?)</script>", template, flags=re.S)
    return ("default-src 'none'; base-uri 'none'; form-action 'none'; img-src data:; "
            f"style-src {' '.join(_hash(s) for s in styles)}; script-src {' '.join(_hash(s) for s in scripts)}")


def _section(anchor: str, title: str, parts: Sequence[str | None], intro: str = "") -> tuple[str, str, str] | None:
    present = [p for p in parts if p]
    if not present:
        return None
    note = f'<p class="note">{esc(intro)}</p>' if intro else ""
    return anchor, title, f'<section id="{anchor}"><h2>{esc(title)}</h2>{note}\n' + "\n".join(present) + "</section>"


def render_html(manifest: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """The whole report as one HTML string (write it to a .html file; open it anywhere, offline)."""
    reference = reference_answers(manifest)
    notes = [n for d in (manifest.get("datasets") or [manifest.get("dataset") or {}]) for n in (d or {}).get(
        "notes") or []]
    sections = [
        _section("run", "Run and environment", [_environment(manifest, records)]),
        _section("data", "Data", [_datasets(manifest, records)] + [
            f'<p class="note">note: {esc(n)}</p>' for n in notes]),
        _section("side-by-side", "Platforms side by side", [side_by_side(records, manifest), startup_table(records)],
                 "Support: native = the platform's own API does it; emulated = mlbench drives the platform's own "
                 "fits; unsupported = cannot. Grade: the answer against mlbench's exact reference computation."),
        _section("accuracy", "Accuracy: correct digits", [accuracy_table(records, manifest)],
                 "Correct digits (McCullough's log relative error) of every quantity against the truth: an exact "
                 "rational-arithmetic reference on the data the platforms read (NIST's exact decimals where "
                 "certified values exist)."),
        _section("pvalues", "OLS p-values", [coefficient_table(records, reference.get("pvalues"),
                                                               summary.design_terms(manifest)),
                                             elimination_table(records)]),
        _section("vif", "Variance inflation", [vif_table(records)]),
        _section("subsets", "Feature selection", [plot_subset_agreement(records, reference),
                                                  subset_table(records, reference), truth_table(records)]),
        _section("training", "Training", [*train_tables(records), *plot_fit_vs_rows(records),
                                          *plot_pareto(records)]),
        _section("deploy", "Deployability", [deploy_table(records), plot_deploy(records)]),
        _section("phases", "Time per phase", [plot_phases(records)]),
        _section("errors", "Errors", [errors_table(records)]),
    ]
    present = [s for s in sections if s is not None]
    toc = '<nav class="toc" aria-label="Sections">' + "".join(
        f'<a href="#{anchor}">{esc(title)}</a>' for anchor, title, _ in present) + "</nav>"
    run_id = manifest.get("run_id") or (records[0].get("run_id") if records else "")
    footer = (f"<footer>Generated by mlbench {esc(__version__)} from run <code>{esc(run_id)}</code> "
              f"({len(records)} records in records.jsonl and its run.json). This file is self-contained: it loads "
              "nothing from the network, and every table reads without JavaScript.</footer>")
    body = "\n".join([_header(manifest, records), toc, *(html for _, _, html in present), footer])
    scenario = manifest.get("scenario") or {}
    name = scenario.get("name") if isinstance(scenario, dict) else scenario
    template = _template()
    return string.Template(template).substitute(
        csp=esc(content_security_policy(template)), version=esc(__version__),
        title=esc(f"mlbench · {name or '?'} · {run_id}"), body=body)
