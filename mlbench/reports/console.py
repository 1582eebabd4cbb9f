"""All terminal output: rich tables drawn from summary's pivots of stored records (dicts, as in records.jsonl).

Nothing here computes a number: each table draws what a mlbench.reports.summary function returns, so the
terminal, the HTML report and the CSVs show the same values for the same cell. The side-by-side table's columns
are summary.CELL_COLUMNS; `column_cell` is how a column's kind looks in a terminal.

Every table fits the width it is printed in, and no number is ever cut: the layout engine (`Grid`, `choose`,
`split`, `Notes`) is mlbench.reports.layout. `wide` (or a width of None) prints every table in its fullest layout.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from mlbench.reports import summary
from mlbench.reports.layout import Col, Grid, Layout, Notes, legend, print_layouts, print_tables
from mlbench.reports.summary import Column, fmt, format_pvalue

TONE_STYLE = {"good": "green", "warn": "yellow", "bad": "bold red", "dim": "dim"}


def styled(value: Any, tones: dict[str, str]) -> Text:
    """A badge value in its tone's colour."""
    return Text("" if value is None else str(value), style=TONE_STYLE.get(summary.tone(value, tones) or "", ""))


def status_text(status: Any) -> Text:
    return styled(status, summary.STATUS_TONES)


def verdict(grade: Any, agrees: Any) -> Text:
    """A grade in the reports' words (summary.grade_text): green when it agrees, red when it does not."""
    return Text(summary.grade_text(grade), style="green" if agrees else "red" if grade else "")


def with_spread(value: Any, spread: Any, digits: int) -> str:
    """A median and its ± spread (IQR over the repeats, or a metric's range)."""
    extra = summary.spread_text(spread)
    return fmt(value, digits) + (f" {extra}" if extra and value is not None else "")


def column_cell(column: Column, row: dict[str, Any]) -> Text:
    """One cell of a per-cell table (summary.cell_rows), drawn as its column's kind says."""
    value = row.get(column.key)
    aux = row.get(column.aux) if column.aux else None
    if column.kind == "badge":
        return styled(value, column.tones)
    if column.kind == "verdict":
        return verdict(value, aux)
    if column.kind == "number":
        return Text(fmt(value, column.digits))
    if column.kind == "time":
        return Text(with_spread(value, aux, column.digits))
    if column.kind == "headline":
        shown, label = summary.headline_text(aux, value)
        return Text.assemble(shown, (f" {label}" if label else "", "dim"))
    if column.kind == "note":
        return Text(str(value or ""), style="red" if row.get("status") in summary.FAILED else "")
    return Text("" if value is None else str(value))




# ------------------------------------------------------------------------------------------- the tables

CELL_KEYS = ("dataset", "adapter", "label")
# The side-by-side columns in the two halves a narrow terminal shows one after the other.
CELL_GROUPS = {**dict.fromkeys(("support", "status", "grade", "min_digits", "vs_r_grade"), "the answer"),
               **dict.fromkeys(("median_wall_s", "repeats", "peak_rss_mb", "metric_value"), "time, memory, headline")}


def _where(row: dict[str, Any], several: bool) -> str:
    return f"{row['adapter']} {row['label']}" + (f" on {row['dataset']}" if several else "")


def cells_layouts(title: str, rows: list[dict[str, Any]]) -> list[Layout]:
    """A side-by-side table of summary.cell_rows rows with the columns summary.shown_columns picks: in full (free
    text in place), then compact: the steps' cells with free text and long grades as numbered footnotes (marked
    on the step), and each platform's start-up and loads in a table of their own."""
    if not rows:
        return []
    columns = summary.shown_columns(rows)
    full = Grid(title, [Col(c.header or c.key, "right" if c.numeric else "left", wrap=c.kind == "note",
                            key=c.key in CELL_KEYS) for c in columns])
    for row in rows:
        full.add(*(column_cell(c, row) for c in columns))

    steps_rows = [r for r in rows if r["step"] not in summary.ADAPTER_PHASES]
    phase_rows = [r for r in rows if r["step"] in summary.ADAPTER_PHASES]
    layout: Layout = []
    several = len({r["dataset"] for r in rows}) > 1
    if steps_rows:
        shown = [c for c in summary.shown_columns(steps_rows) if c.kind != "note"]
        # a number or badge that is the same in every cell (the repeats, an all-ok status) is said once, under it
        constant = [c for c in shown if c.kind in ("number", "badge") and c.key not in CELL_KEYS
                    and len({str(r.get(c.key)) for r in steps_rows}) == 1 and steps_rows[0].get(c.key) is not None]
        shown = [c for c in shown if c not in constant]
        compact = Grid(title, [Col(c.header or c.key, "right" if c.numeric else "left", key=c.key in CELL_KEYS,
                                   group=CELL_GROUPS.get(c.key)) for c in shown])
        notes = Notes()
        markers = _adapter_notes(steps_rows, several, notes)
        keys = [c.key for c in shown]
        for row in steps_rows:
            cells = []
            for column in shown:
                if column.kind == "verdict":
                    aux = row.get(column.aux) if column.aux else None
                    cells.append(verdict(summary.grade_words(row.get(column.key))[0], aux))
                else:
                    cells.append(column_cell(column, row))
            if row["adapter"] in markers and "label" in keys:  # the adapter's footnote, on its first cell
                text, failed = markers.pop(row["adapter"])
                cells[keys.index("label")].append(text, style="red" if failed else "dim")
            compact.add(*cells)
        same = ", ".join(f"{c.header} {fmt(steps_rows[0].get(c.key), c.digits)}" for c in constant)
        compact.notes = [*notes.lines(), *([legend(f"in every cell: {same}")] if constant else [])]
        layout.append(compact)
    if phase_rows:
        layout.append(startup_grid(phase_rows, several))
    return [[full], layout]


def _adapter_notes(rows: list[dict[str, Any]], several: bool, notes: Notes) -> dict[str, tuple[str, bool]]:
    """One footnote per adapter: each long grade and each error, then how it answered each step (one text for the
    steps that share it). adapter -> (marker, whether a cell of it failed)."""
    markers = {}
    for adapter in dict.fromkeys(r["adapter"] for r in rows):
        mine = [r for r in rows if r["adapter"] == adapter]
        segments: list[str] = []
        hows: dict[str, list[str]] = {}
        for row in mine:
            where = str(row["label"]) + (f" on {row['dataset']}" if several else "")
            long = [summary.grade_text(row["grade"])] if summary.grade_words(row.get("grade"))[1] else []
            if summary.grade_words(row.get("vs_r_grade"))[1]:
                long.append(f"vs R {summary.grade_text(row['vs_r_grade'])}")
            if row.get("status") in summary.FAILED and row.get("how"):
                long.append(str(row["how"]))
            elif row.get("how"):
                hows.setdefault(str(row["how"]), [])
                if row["label"] not in hows[str(row["how"])]:
                    hows[str(row["how"])].append(str(row["label"]))
            if long:
                segments.append(f"{where}: {'; '.join(long)}")
        # what went wrong first (a grade's detail, an error), then how each step ran: a shortened note keeps it
        segments += [f"{', '.join(labels)}: {how}" for how, labels in hows.items()]
        if segments:
            failed = any(r.get("status") in summary.FAILED for r in mine)
            markers[adapter] = (notes.mark(" · ".join(segments), adapter), failed)
    return markers


def startup_grid(rows: list[dict[str, Any]], several: bool | None = None) -> Grid:
    """Each platform's session start and its own reader's load (of each dataset), one line per platform (and
    dataset): the seconds of each and the peak memory; a failure's reason in a numbered footnote."""
    several = len({r["dataset"] for r in rows}) > 1 if several is None else several
    grid = Grid("Start-up and loading with its own reader",
                [Col("adapter", key=True), *([Col("dataset", key=True)] if several else []),
                 Col("session s", "right"), Col("load s", "right"), Col("peak MB", "right")])
    notes = Notes()

    def seconds(row: dict[str, Any] | None) -> Text:
        if row is None:
            return Text("")
        if row["status"] != "ok":
            mark = notes.mark(str(row["how"]), _where(row, several)) if row.get("how") else ""
            return status_text(row["status"]).append(mark)
        return Text(with_spread(row["median_wall_s"], row["iqr_wall_s"], 3))

    for adapter in dict.fromkeys(r["adapter"] for r in rows):
        session = next((r for r in rows if r["adapter"] == adapter and r["step"] == "session"), None)
        loads: list[dict[str, Any] | None] = [r for r in rows if r["adapter"] == adapter and r["step"] == "load"]
        for index, load in enumerate(loads or [None]):
            mine = [r for r in (session if index == 0 else None, load) if r is not None]
            peaks = [r["peak_rss_mb"] for r in mine if r.get("peak_rss_mb") is not None]
            grid.add(adapter, *([str(load["dataset"]) if load else ""] if several else []),
                     seconds(session if index == 0 else None), seconds(load), fmt(max(peaks) if peaks else None, 4))
    grid.notes = notes.lines()
    return grid


def summary_table(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> list[Layout]:
    """The side-by-side cells (summary.side_by_side_rows), each adapter's session and load first."""
    rows = summary.cell_rows(records, manifest)
    shown = {id(r) for r in summary.side_by_side_rows(rows)}
    if not shown:
        return []
    return cells_layouts("Platforms side by side",
                         [r for r in rows if id(r) in shown or r["step"] in summary.ADAPTER_PHASES])


def _digits_cell(digits: Any, pass_digits: float) -> Text:
    return Text(summary.digits_text(digits), style="" if digits is None else
                "green" if digits >= pass_digits else "red")


def coefficient_table(records: list[dict[str, Any]], reference: dict[str, Any] | None = None,
                      order: list[str] | None = None) -> list[Layout]:
    """Each platform's OLS coefficient table side by side: in full (estimate and p-value of the reference and of
    every platform), then compact: the reference's values once per term and each platform's correct digits,
    with a second table of the values that differ from the reference's as shown."""
    grid = summary.coefficient_grid(records, reference, order)
    if grid is None:
        return []
    names, has_reference = grid["names"], grid["reference"]
    pass_digits = grid["pass_digits"]
    notes = Notes()
    markers = {name: notes.mark(text, name) for name, text in grid["underflow_notes"].items()}

    def underflow_mark(name: str, cell: dict[str, Any]) -> str:
        return markers[name] if cell["underflow"] else ""

    full = Grid("OLS coefficients (full model)", [Col("term", key=True)])
    for name in names:
        full.columns += [Col(f"{name}\nestimate", "right", group=name), Col(f"{name}\np-value", "right", group=name)]
    for index, row in enumerate(grid["rows"]):
        cells: list[Text | str] = [row["term"]]
        for name, cell in zip(names, row["cells"], strict=True):
            cells += ([Text("aliased", style="dim"), Text("NA", style="dim")] if cell["aliased"]
                      else [fmt(cell["estimate"]), format_pvalue(cell["p_value"]) + underflow_mark(name, cell)])
        full.add(*cells, rule=index == len(grid["rows"]) - 1)
    for label, values in grid["fit"]:
        full.add(Text(label, style="bold"), *[x for value in values for x in (fmt(value), "")])
    full.notes = notes.lines()
    if not has_reference:
        return [[full]]

    platforms = grid["platforms"]
    compact = Grid("OLS coefficients (full model): exact reference, correct digits per platform",
                   [Col("term", key=True), Col("estimate", "right", key=True), Col("p-value", "right", key=True),
                    *(Col(name, "right") for name in platforms)])
    for index, row in enumerate(grid["rows"]):
        ref, mine = row["cells"][0], row["cells"][1:]
        cells = [Text(row["term"])]
        cells += ([Text("aliased", style="dim"), Text("NA", style="dim")] if ref["aliased"]
                  else [Text(fmt(ref["estimate"])), Text(format_pvalue(ref["p_value"]))])
        for name, cell in zip(platforms, mine, strict=True):
            if cell["aliased"]:
                cells.append(Text("aliased", style="green" if ref["aliased"] else "red"))
            elif ref["aliased"]:
                cells.append(Text("estimated", style="red"))
            else:
                shown = _digits_cell(cell["digits"], pass_digits)
                cells.append(shown.append(underflow_mark(name, cell)))
        compact.add(*cells, rule=index == len(grid["rows"]) - 1)
    for fit in grid["fit_rows"]:
        compact.add(Text(fit["label"], style="bold"), fmt(fit["values"][0]), "",
                    *[_digits_cell(d, pass_digits) for d in fit["digits"][1:]])
    compact.notes = [*notes.lines(), legend(
        f"digits: correct significant digits against the exact reference (the fewest of the term's estimate, SE, "
        f"t and p); green: at least {pass_digits:g}. p-values as R's format.pval shows them.")]
    layout = [compact]
    differ = _coefficient_differences(grid)
    if differ is not None:
        layout.append(differ)
    return [[full], layout]


def _coefficient_differences(grid: dict[str, Any]) -> Grid | None:
    """The platforms' values where they differ from the reference's as shown (blank where they are the same)."""
    platforms = grid["platforms"]
    shown_rows = []
    differing: set[str] = set()
    for row in grid["rows"]:
        ref, mine = row["cells"][0], row["cells"][1:]
        cells: list[tuple[str, str] | None] = []
        for name, cell in zip(platforms, mine, strict=True):
            if cell["aliased"] or ref["aliased"]:
                same = cell["aliased"] == ref["aliased"]
                value = (("aliased", "NA") if cell["aliased"]
                         else (fmt(cell["estimate"]), format_pvalue(cell["p_value"])))
            else:
                value = (fmt(cell["estimate"]), format_pvalue(cell["p_value"]))
                same = value == (fmt(ref["estimate"]), format_pvalue(ref["p_value"]))
            cells.append(None if same else value)
            if not same:
                differing.add(name)
        if any(cells):
            shown_rows.append((row["term"], cells))
    fit_rows = []
    for fit in grid["fit_rows"]:
        ref_value = fmt(fit["values"][0])
        values = [None if fmt(v) == ref_value else fmt(v) for v in fit["values"][1:]]
        differing |= {name for name, v in zip(platforms, values, strict=True) if v is not None}
        if any(v is not None for v in values):
            fit_rows.append((fit["label"], values))
    if not differing:
        return None
    chosen = [i for i, name in enumerate(platforms) if name in differing]
    out = Grid("Where a platform's value differs from the reference as shown (blank: the same)",
               [Col("term", key=True)])
    for i in chosen:
        out.columns += [Col(f"{platforms[i]}\nestimate", "right", group=platforms[i]),
                        Col(f"{platforms[i]}\np-value", "right", group=platforms[i])]
    for index, (term, cells) in enumerate(shown_rows):
        line: list[Text | str] = [term]
        for i in chosen:
            pair = cells[i]
            line += list(pair) if pair else ["", ""]
        out.add(*line, rule=index == len(shown_rows) - 1)
    for label, values in fit_rows:
        out.add(Text(label, style="bold"), *[x for i in chosen for x in (values[i] or "", "")])
    return out


def vif_table(records: list[dict[str, Any]], reference: dict[str, Any] | None = None) -> list[Layout]:
    """VIF per feature and platform; compact: the reference's VIF and each platform's correct digits. What each
    platform dropped (VIF removal) in a line under the table, said once where they all dropped the same."""
    grid = summary.vif_grid(records, reference)
    if grid is None:
        return []
    adapters = grid["adapters"]
    threshold = "" if grid["threshold"] is None else f" while the largest VIF > {grid['threshold']:g}"
    by_text: dict[str, list[str]] = {}
    for adapter, dropped in zip(adapters, grid["dropped"], strict=True):
        by_text.setdefault(dropped, []).append(adapter)
    if grid["reference"] is not None and list(by_text) == [grid["reference_dropped"]]:
        dropped_line = f"dropped{threshold}: {grid['reference_dropped']} (the reference and every platform)"
    else:
        reference_part = f"reference: {grid['reference_dropped']}; " if grid["reference"] is not None else ""
        dropped_line = f"dropped{threshold}: {reference_part}" + "; ".join(
            f"{', '.join(names)}: {text}" for text, names in by_text.items())
    full = Grid("Variance inflation factors", [Col("feature", key=True), *(Col(a, "right") for a in adapters)])
    for feature, values in grid["rows"]:
        full.add(feature, *[fmt(v) for v in values])
    full.notes = [Text(dropped_line), *(Text(line) for line in grid["notes"])]
    if grid["reference"] is None:
        return [[full]]
    compact = Grid("Variance inflation factors: the exact reference, and each platform's correct digits",
                   [Col("feature", key=True), Col("VIF", "right", key=True), *(Col(a, "right") for a in adapters)])
    for (feature, _values), ref, digits in zip(grid["rows"], grid["reference"], grid["digits"], strict=True):
        compact.add(feature, fmt(ref), *[_digits_cell(d, grid["pass_digits"]) for d in digits])
    compact.notes = [Text(dropped_line), *(Text(line) for line in grid["notes"]), legend(
        f"digits: correct significant digits of each VIF against the exact reference; green: at least "
        f"{grid['pass_digits']:g}")]
    return [[full], [compact]]


def _subset_mark(row: dict[str, Any], size: int) -> Text:
    """✓/✗: same set as the reference of the row's own method; '≠best' where that is not the best subset."""
    same = row["same"].get(size)
    if same is None:
        return Text(row["status"] if row["status"] != "ok" else "—", style="dim")
    return Text(("✓" if same else "✗") + (" ≠best" if row["not_best"].get(size) else ""),
                style="green" if same else "red")


def _sizes(sizes: list[int]) -> str:
    return ", ".join(map(str, sizes)) if sizes else "—"


def subset_table(records: list[dict[str, Any]], reference: dict[str, Any]) -> list[Layout]:
    """Per size: the reference's best set, then per adapter x method whether the platform chose the same set;
    compact: the reference's best subsets, and one row per adapter x method saying at which sizes it differs."""
    sizes, rows = summary.subset_agreement(records, reference)
    if not rows:
        return []
    exact = summary.exact_subset_rows(reference, sizes)
    several = len({r["dataset"] for r in rows}) > 1
    full = Grid("Subset selection: ✓ = same set as the exact reference of the same method; ≠best = not the best "
                "subset", [Col("size", "right", key=True)])
    if exact:
        full.columns += [Col("exact best subset (reference)", wrap=True, key=True), Col("adj. R²", "right", key=True),
                         Col("BIC", "right", key=True)]
    full.columns += [Col(f"{row['adapter']}\n{row['method']}" + (f"\n{row['dataset']}" if several else ""), "center")
                     for row in rows]
    for index, size in enumerate(sizes):
        cells: list[Text | str] = [str(size)]
        if exact:
            ref = exact["by_size"][size]
            cells += [", ".join(map(str, ref.get("features") or [])), fmt(ref.get("adj_r_squared")),
                      fmt(ref.get("bic"))]
        full.add(*cells, *[_subset_mark(row, size) for row in rows], rule=index == len(sizes) - 1)
    picks: list[Text | str] = [Text("picks", style="bold")]
    if exact:
        picks += [exact["picks"], "", ""]
    full.add(*picks, *[row["picks"] or "—" for row in rows])

    layout: Layout = []
    if exact:
        best = Grid("Exact best subset of each size (the reference)",
                    [Col("size", "right", key=True), Col("features", wrap=True), Col("adj. R²", "right"),
                     Col("BIC", "right")])
        for size in sizes:
            ref = exact["by_size"][size]
            best.add(str(size), ", ".join(map(str, ref.get("features") or [])), fmt(ref.get("adj_r_squared")),
                     fmt(ref.get("bic")))
        best.notes = [Text(exact["picks"])]
        layout.append(best)
    folded = summary.subset_summary(records, reference)[1]
    notes = Notes()
    per = Grid("Subset selection per platform: sizes where it chose the exact reference's set of the same method",
               [Col("adapter", key=True), Col("method", key=True), *([Col("dataset", key=True)] if several else []),
                Col("same set", "right"), Col("other set at", wrap=True), Col("≠best at", wrap=True),
                Col("picks", "right"), Col("fits", "right")])
    for row in folded:
        key: list[Text | str] = [row["adapter"], row["method"], *([row["dataset"]] if several else [])]
        if not row["sizes_judged"]:
            why = row["error"] or row["grade"]
            mark = notes.mark(str(why), f"{row['adapter']} {row['method']}") if why else ""
            per.add(*key, status_text(row["status"]).append(mark), "", "", row["picks"] or "—", "")
            continue
        same = Text(f"{row['sizes_same']}/{row['sizes_judged']}",
                    style="green" if row["sizes_same"] == row["sizes_judged"] else "red")
        picked = Text(row["picks"] or "—", style="" if row["reference_picks"] is None else
                      "green" if row["picks"] == row["reference_picks"] else "red")
        per.add(*key, same, Text(_sizes(row["differs_at"]), style="red" if row["differs_at"] else ""),
                _sizes(row["not_best_at"]), picked, "native" if row["fits"] is None else f"{row['fits']:,}")
    per.notes = [*notes.lines(), legend(
        "same set: sizes with the exact reference's set of the same method (best, forward or backward search); "
        "≠best at: sizes where the chosen set is not the best subset (a stepwise search may miss it); picks: the "
        "sizes adj. R² / Cp / BIC pick (green: the reference's); fits: the platform's own fits an emulated search "
        "drove.")]
    layout.append(per)
    return [[full], layout]


def train_tables(records: list[dict[str, Any]]) -> list[list[Layout]]:
    """Per task: rows adapter x model, per size: median fit time (± IQR), peak memory, the headline metric; split
    per size where all sizes do not fit; why a point has no numbers in numbered footnotes."""
    tables = []
    for grid in summary.train_grid(records):
        metric = grid["metric"].upper()
        out = Grid(f"Training ({grid['task']}): median fit time (± IQR), peak MB of the process tree, {metric} on "
                   f"the fixed test set", [Col("adapter", key=True), Col("model", key=True)])
        for size in grid["sizes"]:
            out.columns += [Col(f"{size:,}\n{column}", "right", group=f"{size:,} rows")
                            for column in ("fit s", "peak MB", metric)]
        notes = Notes()
        for row in grid["rows"]:
            cells: list[Text | str] = [row["adapter"], row["model"]]
            for point in row["points"].values():
                if point is None:
                    cells += ["—", "", ""]
                elif point["failed"]:
                    mark = notes.mark(point["error"], f"{row['adapter']} {row['model']}") \
                        if point["error"] else ""
                    cells += [status_text(point["status"]).append(mark), "", ""]
                else:
                    cells += [with_spread(point["fit_s"], point["fit_iqr_s"], 3), fmt(point["peak_rss_mb"], 4),
                              with_spread(point["metric_value"], point["metric_spread"], 4)]
            out.add(*cells)
        out.notes = notes.lines()
        tables.append([[out]])
    return tables


def scorecard_table(card: dict[str, Any]) -> list[Layout]:
    """The scorecard: adapters down, criteria across in their groups (a narrow terminal shows the groups one
    after another), ★ the best per column, "not measured" cells naming the scenario in footnotes."""
    from mlbench.reports.scorecard import not_measured_text

    notes = Notes()
    columns = [Col("adapter", key=True)]
    for c in card["criteria"]:
        columns.append(Col(c["label"].replace(" ", "\n", 1), "right" if c["better"] else "left", group=c["group"]))
    if card["weights"]:
        columns.append(Col("total", "right", key=True))
    weights = card["weights"]
    grid = Grid("Scorecard", columns)  # a short title, on one line at any width; what it shows in the caption
    caption = "measured per platform; " + (
        "sub-score after each figure; total = weighted mean: " + ", ".join(f"{k} {v:g}" for k, v in weights.items())
        if weights else "★ best per column, nothing ranked")
    for row in card["rows"]:
        cells: list[Text | str] = [row["adapter"]]
        for c in card["criteria"]:
            cell = row["cells"][c["key"]]
            if cell is None:
                command = card["not_measured"].get(c["key"])
                cells.append(Text("—" + (notes.mark(not_measured_text(command)) if command else ""), style="dim"))
                continue
            best = row["adapter"] in card["best"].get(c["key"], [])
            sub = (row.get("subscores") or {}).get(c["key"])
            text = Text(str(cell["text"]) + (" ★" if best else ""), style="bold green" if best else "")
            if sub is not None:
                text.append(f" {sub:g}", style="dim")
            cells.append(text)
        if weights:
            cells.append(fmt(row.get("total"), 3))
        grid.add(*cells)
    grid.notes = [legend(caption), *notes.lines(),
                  legend(f"runs: {', '.join(str(r) for r in card['runs'])}; each figure's run and cell: --format json")]
    return [[grid]]


def _yes(value: Any) -> str:
    return "yes" if value else "no" if value is not None else "—"


def deploy_tables(records: list[dict[str, Any]]) -> list[list[Layout]]:
    """Deployability: per adapter x model x format, the total, floor and every sub-score; then the raw values.
    Wide tables split by column groups; why a format has no numbers in numbered footnotes."""
    rows = [r for r in summary.deploy_rows(records) if r["formats"]]
    if not rows:
        return []
    labels = summary.SUBSCORE_LABELS
    first = rows[0]
    weights = ", ".join(f"{labels.get(k, k)} {v:g}" for k, v in first["weights"].items())
    changed = first["weights_overridden"]
    note = ("; weights changed on the command line: " + ", ".join(
        f"{k} {v['from']:g}→{v['to']:g}" for k, v in changed.items())) if changed else ""
    keys = [Col("adapter", key=True), Col("model", key=True), Col("format", key=True)]
    scores = Grid(f"Deployability score v{first['score_version']} (weights: {weights}{note})",
                  [*keys, Col("total", "right", group="total"), Col("floor", "right", group="total"),
                   *(Col(label, "right") for label in labels.values())])
    raw_groups = (("time", ("cold start s", "load s", "p50 ms", "p99 ms", "rows/s")),
                  ("fidelity", ("parity max|Δ|", "repro Δ")), ("size", ("footprint MB", "size KB")),
                  ("needs", ("JVM", "train lib", "code on load")))
    raw_table = Grid("Deployability: raw measurements (each artifact reloaded in a fresh process)",
                     [Col("adapter", key=True), Col("model", key=True), Col("format", key=True),
                      *(Col(c, "right", group=g) for g, cols in raw_groups for c in cols)])
    notes = Notes()
    for row in rows:
        for kind, raw in row["formats"].items():
            key: list[Text | str] = [row["adapter"], row["model"] or "",
                                     kind + (" ★" if kind == row["best_format"] else "")]
            if not raw.get("ok"):
                label = "unavailable" if raw.get("unavailable") else "error"
                mark = notes.mark(str(raw.get("error") or ""), f"{row['adapter']} {row['model']} {kind}") \
                    if raw.get("error") else ""
                scores.add(*key, Text(label + mark, style="dim" if raw.get("unavailable") else "red"),
                           *[""] * (1 + len(labels)))
                continue
            sub = raw.get("subscores") or {}
            scores.add(*key, fmt(raw.get("score"), 4), fmt(raw.get("floor"), 3),
                       *[fmt(sub.get(name), 3) for name in labels])
            raw_table.add(*key, fmt(raw.get("cold_start_s"), 3), fmt(raw.get("load_s"), 3),
                          fmt(raw.get("p50_ms"), 3), fmt(raw.get("p99_ms"), 3), fmt(raw.get("throughput_rows_s"), 3),
                          fmt(raw.get("parity_max_abs"), 2), fmt(row["reproducibility"], 2),
                          fmt(raw.get("footprint_mb"), 4), fmt((raw.get("size_bytes") or 0) / 1024, 4),
                          _yes(raw.get("needs_jvm")), _yes(raw.get("needs_training_library")),
                          _yes(raw.get("runs_code_on_load")))
    scores.notes = [*notes.lines(), legend("★ the adapter's best format; floor: its weakest sub-score; " + ", ".join(
        f"{short} = {name.replace('_', ' ')}" for name, short in labels.items()))]
    return [[[scores]], [[raw_table]]]


def best_table(records: list[dict[str, Any]], manifest: dict[str, Any] | None = None) -> list[Layout]:
    """A short "best per metric" summary: who was fastest among correct answers, most accurate, leanest."""
    lines = summary.best_per_metric(summary.cell_rows(records, manifest))
    if not lines:
        return []
    grid = Grid("Best per metric", [Col("metric", wrap=True), Col("who", wrap=True), Col("value")])
    for metric, who, value in lines:
        grid.add(metric, who, value)
    return [[grid]]


def render_run(console: Console, manifest: dict[str, Any], records: list[dict[str, Any]],
               wide: bool = False) -> None:
    """Every table of a run, each fitting the console's width (wide: each in full, as wide as it needs)."""
    header = summary.run_header(manifest, records)
    dataset = manifest.get("dataset", {})
    several = [d.get("name") for d in manifest.get("datasets") or []]
    what: list[Any]
    if len(several) > 1:
        what = [" · datasets ", (f"{len(several)} ({several[0]} … {several[-1]})", "bold")]
    else:
        what = [" · dataset ", (str(dataset.get("name", "?")), "bold"),
                f" ({dataset.get('n_rows', '?')} rows, target {dataset.get('target')}, "
                f"sha256 {str(dataset.get('sha256', ''))[:12]})"]
    console.print(Text.assemble(
        ("mlbench", "bold"), " run ", (str(header["run_id"] or "?"), "cyan"), " · scenario ",
        (str(header["scenario"] or "?"), "bold"), *what, f" · status {header['status'] or '?'}",
    ))
    described = manifest.get("datasets") or [dataset]
    for each in described:  # e.g. rows dropped for missing values: said here, once (stderr only with --json)
        for note in each.get("notes") or []:
            console.print(Text(f"  note: {each.get('name')}: {note}" if len(described) > 1 else f"  note: {note}"))
    from mlbench.reports.table import RunView, details
    from mlbench.results import reference_answers

    run = RunView(manifest, records, reference_answers(manifest))
    for each in details():
        shown = each.build(run) if each.build is not None else []
        print_tables(console, shown, wide)
        for layouts in each.console(run) if each.console is not None else []:
            print_layouts(console, layouts, wide)
        if each.name == "accuracy" and shown and len({r["dataset"] for r in records if r.get("step")}) > 1:
            # the accuracy table shows each dataset's p-values: the per-dataset tables after it would mix them
            run = RunView(manifest, [r for r in records if r.get("step") != "pvalues"], run.reference)
    print_layouts(console, summary_table(run.records, manifest), wide)
    print_layouts(console, best_table(run.records, manifest), wide)


def availability_text(row: dict[str, Any]) -> str:
    """An adapter's availability as a listing says it: "yes", or "no: <why>"."""
    if row.get("available"):
        return "yes"
    return f"no: {row['reason']}" if row.get("reason") else "no"


def render_listing(console: Console, title: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print(f"no {title}")
        return
    if "available" in rows[0]:  # adapters: "yes", or "no: <why>" in one column
        rows = [{**{k: v for k, v in row.items() if k != "reason"}, "available": availability_text(row)}
                for row in rows]
    columns = list(rows[0])
    grid = Grid(title, [Col(column, wrap=True, key=index == 0) for index, column in enumerate(columns)])
    for row in rows:
        cells = []
        for column in columns:
            value = row[column]
            if isinstance(value, dict):
                value = ", ".join(f"{k}={v}" for k, v in value.items())
            elif isinstance(value, list):
                value = ", ".join(map(str, value))
            cells.append(Text("" if value is None else str(value)))
        grid.add(*cells)
    print_layouts(console, [[grid]])
