"""The HTML page: header, environment, data provenance, sections in order, the template and its Content Security
Policy, and `render_html` (the whole report as one string). Tables are in tables.py, charts in charts.py."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import string
from collections.abc import Sequence
from importlib import resources
from typing import Any

from mlbench import __version__
from mlbench.environment import missing_libraries
from mlbench.reports import summary
from mlbench.reports.details import details
from mlbench.reports.html import charts, memory_chart, tables
from mlbench.reports.html.cells import badge, draw, esc, kv_table, num, table, td, th, txt
from mlbench.reports.summary import fmt
from mlbench.reports.table import RunView
from mlbench.results import reference_answers
from mlbench.run_data import Manifest
from mlbench.sanitize import redact

TEMPLATE = "report_template.html"  # next to this module, in the mlbench.reports.html package


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
    info = summary.run_header(manifest, records)
    status = info["status"] or "unknown"
    out = [f"<h1>mlbench report: {esc(info['scenario'] or '?')}</h1>"]
    description = info["description"]
    sub = [f"run <code>{esc(info['run_id'] or '?')}</code>"]
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
    command = redact(env.get("command_line"))  # runs stored before redaction too
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
    settings = Manifest.from_json(manifest).settings()  # run.json's settings, the pass line (`digits`) among them
    if settings:
        pairs.append(("settings", esc(", ".join(f"pass line {v:g} correct digits" if k == "digits" else f"{k} {v}"
                                                for k, v in settings.items()))))
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
    missing = missing_libraries(libraries)
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


# ------------------------------------------------------------------------------------------ page


def _template() -> str:
    return resources.files(__package__ or "mlbench.reports.html").joinpath(TEMPLATE).read_text(encoding="utf-8")


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


def _details(run: RunView, section: str) -> list[str | None]:
    """The declared detail tables of a section (mlbench.reports.details.details), each drawn in its fullest layout."""
    out: list[str | None] = []
    for each in details():
        if each.section != section:
            continue
        out += [draw(t) for layouts in each.build(run) if layouts for t in layouts[0]]
    return out


SECTIONS = {"accuracy": "Accuracy: correct digits", "pvalues": "p-values and elimination", "vif": "Variance inflation",
            "subsets": "Feature selection", "training": "Training", "deploy": "Deployability"}


def render_html(manifest: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """The whole report as one HTML string (write it to a .html file; open it anywhere, offline)."""
    reference = reference_answers(manifest)
    run = RunView(manifest, records, reference)
    notes = [n for d in (manifest.get("datasets") or [manifest.get("dataset") or {}]) for n in (d or {}).get(
        "notes") or []]
    sections = [
        _section("run", "Run and environment", [_environment(manifest, records)]),
        _section("data", "Data", [_datasets(manifest, records)] + [
            f'<p class="note">note: {esc(n)}</p>' for n in notes]),
        _section("side-by-side", "Platforms side by side",
                 [tables.side_by_side(records, manifest), tables.startup_table(records)],
                 "Support: native = the platform's own API does it; emulated = mlbench drives the platform's own "
                 "fits; unsupported = cannot. Grade: the answer against mlbench's exact reference computation."),
        _section("accuracy", SECTIONS["accuracy"], _details(run, "accuracy"),
                 "Correct digits (McCullough's log relative error) of every quantity against the truth: an exact "
                 "rational-arithmetic reference on the data the platforms read (NIST's exact decimals where "
                 "certified values exist); for GLMs the MLE certified in arbitrary precision."),
        _section("pvalues", SECTIONS["pvalues"], _details(run, "pvalues")),
        _section("vif", SECTIONS["vif"], _details(run, "vif")),
        _section("subsets", SECTIONS["subsets"],
                 [charts.plot_subset_agreement(records, reference), *_details(run, "subsets")]),
        _section("training", SECTIONS["training"],
                 [*_details(run, "training"), *charts.plot_fit_vs_rows(records), *charts.plot_core_sweep(records),
                  *charts.plot_pareto(records),
                  *charts.plot_cost_curve(records, manifest),
                  *memory_chart.plot_memory(records)]),
        _section("deploy", SECTIONS["deploy"], [*_details(run, "deploy"), charts.plot_deploy(records),
                                                *charts.plot_batch_sweep(records)]),
        *(_section(other, other.capitalize(), _details(run, other))
          for other in dict.fromkeys(d.section for d in details()) if other not in SECTIONS),
        _section("phases", "Time per phase", [charts.plot_phases(records)]),
        _section("errors", "Errors", [tables.errors_table(records)]),
    ]
    present = [s for s in sections if s is not None]
    toc = '<nav class="toc" aria-label="Sections">' + "".join(
        f'<a href="#{anchor}">{esc(title)}</a>' for anchor, title, _ in present) + "</nav>"
    info = summary.run_header(manifest, records)
    run_id = info["run_id"] or ""
    footer = (f"<footer>Generated by mlbench {esc(__version__)} from run <code>{esc(run_id)}</code> "
              f"({len(records)} records in records.jsonl and its run.json). This file is self-contained: it loads "
              "nothing from the network, and every table reads without JavaScript.</footer>")
    body = "\n".join([_header(manifest, records), toc, *(html for _, _, html in present), footer])
    template = _template()
    return string.Template(template).substitute(
        csp=esc(content_security_policy(template)), version=esc(__version__),
        title=esc(f"mlbench · {info['scenario'] or '?'} · {run_id}"), body=body)
