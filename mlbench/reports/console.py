"""All terminal output: rich tables built from stored records (dicts, as in records.jsonl)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

SUPPORT_STYLE = {"native": "green", "emulated": "yellow", "unsupported": "dim"}
STATUS_STYLE = {"ok": "green", "error": "bold red", "timeout": "red", "skipped": "yellow", "unsupported": "dim"}


def _fmt(value: Any, digits: int = 6) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e7):
            return f"{value:.{digits - 2}e}"
        return f"{value:.{digits}g}"
    return str(value)


def _cell_key(record: dict[str, Any]) -> tuple[str, str]:
    step = record["step"] + (f"/{record['variant']}" if record.get("variant") else "")
    return record["adapter"], step


def _measured(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if not r.get("is_warmup")]


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def summary_table(records: list[dict[str, Any]]) -> Table:
    """adapter x step: support, status, grade, median fit time, peak memory; plus session and load times."""
    table = Table(title="Platforms side by side", title_justify="left")
    for column in ("adapter", "step", "support", "status", "grade", "median s", "peak MB", "how / why"):
        table.add_column(column, overflow="fold")
    phase_time: dict[tuple[str, str], float | None] = {}
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in _measured(records):
        if record["step"] is None:
            phase_time[(record["adapter"], record["phase"])] = record.get("wall_s")
        else:
            cells[_cell_key(record)].append(record)
    adapters = list(dict.fromkeys(r["adapter"] for r in records))
    for adapter in adapters:
        for phase in ("session", "load"):
            if (adapter, phase) in phase_time:
                seconds = _fmt(phase_time[(adapter, phase)], 3)
                table.add_row(Text(adapter), Text(phase, style="dim"), "", "", "", seconds, "", "")
        for (cell_adapter, step), rows in cells.items():
            if cell_adapter != adapter:
                continue
            last = rows[-1]
            statuses = sorted({r["status"] for r in rows})
            status = statuses[0] if len(statuses) == 1 else "/".join(statuses)
            deviation = last.get("deviation") or {}
            grade = deviation.get("grade", "")
            grade_text = Text(grade, style="green" if deviation.get("agrees") else "red" if grade else "")
            why = last.get("error") or (last.get("params") or {}).get("how", "")
            table.add_row(
                Text(adapter), Text(step), Text(last["support"], style=SUPPORT_STYLE.get(last["support"], "")),
                Text(status, style=STATUS_STYLE.get(status, "")), grade_text,
                _fmt(_median([r.get("wall_s") for r in rows]), 3),
                _fmt(max((r.get("peak_rss_mb") or 0 for r in rows), default=None), 4), Text(why),
            )
    return table


def _latest_ok(records: list[dict[str, Any]], step: str) -> dict[str, dict[str, Any]]:
    """adapter -> result of its last measured ok record of `step`."""
    found: dict[str, dict[str, Any]] = {}
    for record in _measured(records):
        if record["step"] == step and record["status"] == "ok" and record.get("result"):
            found[record["adapter"]] = record["result"]
    return found


def coefficient_table(records: list[dict[str, Any]], reference: dict[str, Any] | None = None) -> Table | None:
    """Each platform's OLS coefficient table side by side (estimate and p-value), after the reference's."""
    results = _latest_ok(records, "pvalues")
    if not results:
        return None
    if reference and "coefficients" in reference:
        results = {"reference": reference, **results}
    table = Table(title="OLS coefficients (full model)", title_justify="left")
    table.add_column("term")
    for adapter in results:
        table.add_column(f"{adapter}\nestimate", justify="right")
        table.add_column(f"{adapter}\np-value", justify="right")
    terms = list(dict.fromkeys(t for res in results.values() for t in res["coefficients"]))
    for term in terms:
        row: list[Any] = [Text(term)]
        for res in results.values():
            coef = res["coefficients"].get(term, {})
            row += [_fmt(coef.get("estimate")), _fmt(coef.get("p_value"), 4)]
        table.add_row(*row)
    for label, key in (("R²", "r_squared"), ("adj. R²", "adj_r_squared"), ("F", "f_statistic")):
        row = [Text(label, style="bold")]
        for res in results.values():
            row += [_fmt(res.get(key)), ""]
        table.add_row(*row)
    return table


def elimination_table(records: list[dict[str, Any]]) -> Table | None:
    """Backward elimination by p-value: what each platform dropped, in order, and the refit."""
    results = _latest_ok(records, "pvalues")
    if not results:
        return None
    alpha = next(iter(results.values())).get("alpha")
    table = Table(title=f"Backward elimination (drop the largest p > {alpha}, refit)", title_justify="left")
    for column in ("adapter", "dropped, in order", "kept", "refit R²", "refit adj. R²"):
        table.add_column(column, overflow="fold")
    for adapter, res in results.items():
        refit = res.get("refit", {})
        table.add_row(Text(adapter), Text(", ".join(res.get("dropped", [])) or "none"),
                      Text(", ".join(res.get("kept", []))), _fmt(refit.get("r_squared")),
                      _fmt(refit.get("adj_r_squared")))
    return table


def vif_table(records: list[dict[str, Any]]) -> Table | None:
    results = _latest_ok(records, "vif")
    if not results:
        return None
    table = Table(title="Variance inflation factors", title_justify="left")
    table.add_column("feature")
    for adapter in results:
        table.add_column(adapter, justify="right")
    features = list(dict.fromkeys(f for res in results.values() for f in res["vif"]))
    for feature in features:
        table.add_row(Text(feature), *[_fmt(res["vif"].get(feature)) for res in results.values()])
    dropped = [Text(", ".join(res["dropped"]) or "none") for res in results.values()]
    table.add_row(Text("dropped", style="bold"), *dropped)
    return table


def render_run(console: Console, manifest: dict[str, Any], records: list[dict[str, Any]]) -> None:
    dataset = manifest.get("dataset", {})
    scenario = manifest.get("scenario", {}).get("name", "?")
    console.print(Text.assemble(
        ("mlbench", "bold"), " run ", (str(manifest.get("run_id", "?")), "cyan"), " · scenario ",
        (str(scenario), "bold"), " · dataset ", (str(dataset.get("name", "?")), "bold"),
        f" ({dataset.get('n_rows', '?')} rows, target {dataset.get('target')}, "
        f"sha256 {str(dataset.get('sha256', ''))[:12]}) · status {manifest.get('status', '?')}",
    ))
    for note in dataset.get("notes", []):
        console.print(Text(f"  note: {note}"))
    reference = manifest.get("reference", {})
    tables = (
        coefficient_table(records, reference.get("pvalues")), elimination_table(records), vif_table(records),
        summary_table(records),
    )
    for table in tables:
        if table is not None:
            console.print(table)


def render_listing(console: Console, title: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print(f"no {title}")
        return
    table = Table(title=title, title_justify="left")
    columns = list(rows[0])
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        cells = []
        for column in columns:
            value = row[column]
            if isinstance(value, dict):
                value = ", ".join(f"{k}={v}" for k, v in value.items())
            elif isinstance(value, list):
                value = ", ".join(map(str, value))
            cells.append(Text("" if value is None else str(value)))
        table.add_row(*cells)
    console.print(table)
