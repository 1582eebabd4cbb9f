"""The statistics steps' detail tables: OLS coefficients, backward elimination, VIF, subsets, the true support's
recovery and cross-validated MSE (summary's pivots)."""

from __future__ import annotations

from typing import Any

from mlbench import grading
from mlbench.reports import summary
from mlbench.reports.details.accuracy import one_decimal, status_cell
from mlbench.reports.summary import fmt, format_pvalue
from mlbench.reports.table import Cell, Column, Layouts, Plain, RunView, Table, detail


def _pvalue(value: Any, note: str | None, where: str) -> Cell:
    """A p-value as R's format.pval shows it, sorted by its value; `note` says why it is exactly 0."""
    sort = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return Cell(format_pvalue(value), sort=sort, note=note, where=where)


ALIASED = "exactly collinear with earlier terms: R's NA"


@detail("coefficients", "pvalues")
def coefficient_table(run: RunView) -> list[Layouts]:
    """Each platform's OLS coefficient table side by side: in full (estimate and p-value of the reference and of
    every platform), then compact: the reference's values once per term and each platform's correct digits,
    with a second table of the values that differ from the reference's as shown."""
    grid = summary.coefficient_grid(run.records, run.reference.get("pvalues"), summary.design_terms(run.manifest))
    if grid is None:
        return []
    names, underflow = grid["names"], grid["underflow_notes"]
    pass_digits = grid["pass_digits"]

    def note(name: str, cell: dict[str, Any]) -> str | None:
        return underflow[name] if cell["underflow"] else None

    model = grid.get("model", "OLS")
    full = Table(f"{model} coefficients (full model)", [Column("term", key=True)],
                 footnotes=[Plain(line) for line in grid.get("platform_words", [])])
    graded = {name for name in names if grid["reference"] and name != "reference"}  # a digits column each
    for name in names:
        full.columns += [Column(f"{name}\nestimate", "right", fmt, group=name),
                         Column(f"{name}\np-value", "right", group=name)]
        if name in graded:
            full.columns.append(Column(f"{name}\ndigits", "right", group=name))
    for index, row in enumerate(grid["rows"]):
        cells: list[Any] = [row["term"]]
        for name, cell in zip(names, row["cells"], strict=True):
            cells += ([Cell("aliased", "dim", title=ALIASED), Cell("NA", "dim")] if cell["aliased"]
                      else [cell["estimate"], _pvalue(cell["p_value"], note(name, cell), name)])
            if name in graded:
                cells.append(Cell("") if cell["aliased"] else digits_cell(cell["digits"], pass_digits))
        full.add(*cells, rule=index == len(grid["rows"]) - 1)
    for fit in grid["fit_rows"]:
        full.add(Cell(fit["label"], "strong"), *[x for name, value, digits in zip(names, fit["values"], fit["digits"],
                                                                                  strict=True)
                                                 for x in (value, Cell(""), *([digits_cell(digits, pass_digits)]
                                                                              if name in graded else []))])
    if not grid["reference"]:
        return [[[full]]]

    platforms = grid["platforms"]
    ceiling = _pvalues_ceiling(run)
    binds = any(c < grading.CAP for c in grading.ceiling_by_quantity(ceiling).values())
    compact = Table(f"{model} coefficients (full model): exact reference, correct digits per platform",
                    [Column("term", key=True), Column("estimate", "right", fmt, key=True),
                     Column("p-value", "right", key=True),
                     *([Column("float64\nceiling", "right", one_decimal, key=True,
                               tooltip="the digits of this term the float64 data hold (see the footnote)")]
                       if binds else []),
                     *(Column(name, "right") for name in platforms)])
    for index, row in enumerate(grid["rows"]):
        ref, mine = row["cells"][0], row["cells"][1:]
        cells = [row["term"]]
        cells += ([Cell("aliased", "dim"), Cell("NA", "dim")] if ref["aliased"]
                  else [ref["estimate"], _pvalue(ref["p_value"], None, "")])
        term_ceiling = grading.term_ceiling(ceiling, row["term"])
        if binds:
            cells.append(term_ceiling)
        for name, cell in zip(platforms, mine, strict=True):
            if cell["aliased"]:
                cells.append(Cell("aliased", "good" if ref["aliased"] else "bad"))
            elif ref["aliased"]:
                cells.append(Cell("estimated", "bad"))
            else:
                shown = digits_cell(cell["digits"], pass_digits, term_ceiling)
                shown.note, shown.where = note(name, cell), name
                cells.append(shown)
        compact.add(*cells, rule=index == len(grid["rows"]) - 1)
    for fit in grid["fit_rows"]:
        fit_ceiling = ceiling.get(grading.item_key(fit["key"], None))
        compact.add(Cell(fit["label"], "strong"), fit["values"][0], "", *([fit_ceiling] if binds else []),
                    *[digits_cell(d, pass_digits, fit_ceiling) for d in fit["digits"][1:]])
    compact.footnotes = [
        f"digits: correct significant digits against the exact reference (the fewest of the term's estimate, SE, "
        f"{grid.get('statistic', 't')} and p); green: at least {pass_digits:g}. p-values as R's format.pval shows "
        "them.", *(Plain(line) for line in grid.get("platform_words", []))]
    if binds:
        compact.footnotes.append(
            "float64 ceiling: the digits the data as doubles let any computation get right (the exact answer on the "
            "data moved one ulp); digits within one of it are at float64's floor (green, as right as possible).")
    layout = [compact]
    differ = _coefficient_differences(grid)
    if differ is not None:
        layout.append(differ)
    return [[[full], layout]]


def _coefficient_differences(grid: dict[str, Any]) -> Table | None:
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
            else:  # each of the two shown only where it differs: an equal estimate beside a differing p is blank
                shown = (fmt(cell["estimate"]), format_pvalue(cell["p_value"]))
                theirs = (fmt(ref["estimate"]), format_pvalue(ref["p_value"]))
                same = shown == theirs
                value = ("" if shown[0] == theirs[0] else shown[0], "" if shown[1] == theirs[1] else shown[1])
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
    out = Table("Where a platform's value differs from the reference as shown (blank: the same)",
                [Column("term", key=True)])
    for i in chosen:
        out.columns += [Column(f"{platforms[i]}\nestimate", "right", group=platforms[i]),
                        Column(f"{platforms[i]}\np-value", "right", group=platforms[i])]
    for index, (term, cells) in enumerate(shown_rows):
        line: list[Any] = [term]
        for i in chosen:
            pair = cells[i]
            line += list(pair) if pair else ["", ""]
        out.add(*line, rule=index == len(shown_rows) - 1)
    for label, values in fit_rows:
        out.add(Cell(label, "strong"), *[x for i in chosen for x in (values[i] or "", "")])
    return out


@detail("elimination", "pvalues")
def elimination_table(run: RunView) -> list[Layouts]:
    """Backward elimination by p-value: what each platform dropped, in order, and the refit."""
    factors = {name: list(columns) for name, columns in ((run.manifest.get("dataset") or {}).get("factors")
                                                         or {}).items() if len(columns) > 1}
    alpha, rows = summary.elimination_rows(run.records, factors)
    if not rows:
        return []
    glm = any(row["family"] != "gaussian" for row in rows)
    first, second = (("deviance", "deviance"), ("aic", "AIC")) if glm else (("r_squared", "R²"),
                                                                            ("adj_r_squared", "adj. R²"))
    how = "drop1 LRT p" if glm else "p"
    table = Table(f"Backward elimination (drop the largest {how} > {alpha}, refit)",
                  [Column("adapter", key=True), Column("dropped, in order", wrap=True), Column("kept", wrap=True),
                   Column(f"refit {first[1]}", "right", fmt), Column(f"refit {second[1]}", "right", fmt)])
    for row in rows:
        table.add(row["adapter"], row["dropped"], row["kept"], row[first[0]], row[second[0]])
    drop1 = summary.factor_notes(run.records, "pvalues", run.reference.get("pvalues"))
    table.footnotes = [Plain(line) for line in drop1]
    return [[[table]]]


def digits_cell(digits: Any, pass_digits: float, ceiling: float | None = None) -> Cell:
    """Correct digits, green from the pass line up or at float64's floor (within a digit of the `ceiling`), red
    below it."""
    floor = digits is not None and digits < pass_digits and grading.at_floor(digits, ceiling)
    return Cell(summary.digits_text(digits), None if digits is None else "good" if digits >= pass_digits or floor
                else "bad", digits, title=grading.FLOOR_WORDS if floor else None)


def _pvalues_ceiling(run: RunView) -> dict[str, float]:
    """The stored ceiling of the pvalues cell ("quantity|term" -> digits) of the dataset the coefficient table
    shows; empty where no record needed it."""
    datasets = {r.get("dataset") for r in run.records if r.get("step") == "pvalues"}
    if len(datasets) != 1:
        return {}
    entry = (run.manifest.get("truth") or {}).get(datasets.pop()) or {}
    return (entry.get("ceiling") or {}).get("pvalues") or {}


@detail("vif", "vif")
def vif_table(run: RunView) -> list[Layouts]:
    """VIF per feature and platform; compact: the reference's VIF and each platform's correct digits. What each
    platform dropped (VIF removal) in a line under the table, said once where they all dropped the same."""
    grid = summary.vif_grid(run.records, run.reference.get("vif"))
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
    notes: list[str] = [Plain(dropped_line), *(Plain(line) for line in grid["notes"])]
    full = Table("Variance inflation factors", [Column("feature", key=True),
                                                *(Column(a, "right", fmt) for a in adapters)], footnotes=notes)
    if grid["reference"] is None:
        for feature, values in grid["rows"]:
            full.add(feature, *values)
        return [[[full]]]
    # with the reference: its VIF first, each platform's value and its correct digits
    full.columns = [Column("feature", key=True), Column("reference", "right", fmt, key=True)]
    for a in adapters:
        full.columns += [Column(f"{a}\nVIF", "right", fmt, group=a), Column(f"{a}\ndigits", "right", group=a)]
    for (feature, values), ref, digits in zip(grid["rows"], grid["reference"], grid["digits"], strict=True):
        full.add(feature, ref, *[x for value, d in zip(values, digits, strict=True)
                                 for x in (value, digits_cell(d, grid["pass_digits"]))])
    full.footnotes = [*notes, f"digits: correct significant digits of each VIF against the exact reference; "
                              f"green: at least {grid['pass_digits']:g}"]
    compact = Table("Variance inflation factors: the exact reference, and each platform's correct digits",
                    [Column("feature", key=True), Column("VIF", "right", fmt, key=True),
                     *(Column(a, "right") for a in adapters)])
    for (feature, _values), ref, digits in zip(grid["rows"], grid["reference"], grid["digits"], strict=True):
        compact.add(feature, ref, *[digits_cell(d, grid["pass_digits"]) for d in digits])
    compact.footnotes = [*notes, f"digits: correct significant digits of each VIF against the exact reference; "
                                 f"green: at least {grid['pass_digits']:g}"]
    return [[[full], [compact]]]
def _subset_mark(row: dict[str, Any], size: int) -> Cell:
    """✓/✗: same set as the reference of the row's own method; '≠best' where that is not the best subset; the
    chosen set as the cell's title."""
    same = row["same"].get(size)
    if same is None:
        return Cell(row["status"] if row["status"] != "ok" else "—", "dim", "")
    chosen = row["chosen"].get(size)
    return Cell(("✓" if same else "✗") + (" ≠best" if row["not_best"].get(size) else ""), "good" if same else "bad",
                int(bool(same)), title=", ".join(sorted(chosen)) if chosen else None)


def _sizes(sizes: list[int]) -> str:
    return ", ".join(map(str, sizes)) if sizes else "—"


@detail("subsets", "subsets")
def subset_table(run: RunView) -> list[Layouts]:
    """Per size: the reference's best set, then per adapter x method whether the platform chose the same set;
    compact: the reference's best subsets, and one row per adapter x method saying at which sizes it differs."""
    sizes, rows = summary.subset_agreement(run.records, run.reference)
    if not rows:
        return []
    exact = summary.exact_subset_rows(run.reference, sizes)
    several = len({r["dataset"] for r in rows}) > 1
    full = Table("Subset selection: ✓ = same set as the exact reference of the same method; ≠best = not the best "
                 "subset", [Column("size", "right", key=True)])
    (first, first_key), (second, second_key) = exact["columns"] if exact else (("", ""), ("", ""))
    if exact:
        full.columns += [Column("exact best subset (reference)", wrap=True, key=True),
                         Column(first, "right", fmt, key=True), Column(second, "right", fmt, key=True)]
    full.columns += [Column(f"{row['adapter']}\n{row['method']}" + (f"\n{row['dataset']}" if several else ""),
                            "center") for row in rows]
    for index, size in enumerate(sizes):
        cells: list[Any] = [size]
        if exact:
            ref = exact["by_size"][size]
            cells += [", ".join(map(str, ref.get("features") or [])), ref.get(first_key), ref.get(second_key)]
        full.add(*cells, *[_subset_mark(row, size) for row in rows], rule=index == len(sizes) - 1)
    picks: list[Any] = [Cell("picks", "strong")]
    if exact:
        picks += [exact["picks"], Cell(""), Cell("")]
    title = exact["picks_title"] if exact else "size picked by adj. R² / Cp / BIC"
    full.add(*picks, *[Cell(row["picks"] or "—", title=title) for row in rows])
    ties = [f"{row['adapter']} {row['method']}: an exact tie at step {', '.join(map(str, row['tie_steps']))} (equal "
            "RSS in the exact engine) broken the other way: ✓ = the truth's set on the branch it took"
            for row in summary.subset_summary(run.records, run.reference)[1] if row.get("tie_steps")]
    full.footnotes = list(ties)

    layout: list[Table] = []
    if exact:
        best = Table("Exact best subset of each size (the reference)",
                     [Column("size", "right", key=True), Column("features", wrap=True),
                      Column(first, "right", fmt), Column(second, "right", fmt)], footnotes=[Plain(exact["picks"])])
        for size in sizes:
            ref = exact["by_size"][size]
            best.add(size, ", ".join(map(str, ref.get("features") or [])), ref.get(first_key), ref.get(second_key))
        layout.append(best)
    per = Table("Subset selection per platform: sizes where it chose the exact reference's set of the same method",
                [Column("adapter", key=True), Column("method", key=True),
                 *([Column("dataset", key=True)] if several else []), Column("same set", "right"),
                 Column("other set at", wrap=True), Column("≠best at", wrap=True), Column("picks", "right"),
                 Column("fits", "right")])
    for row in summary.subset_summary(run.records, run.reference)[1]:
        key: list[Any] = [row["adapter"], row["method"], *([row["dataset"]] if several else [])]
        if not row["sizes_judged"]:
            why = row["error"] or row["grade"]
            per.add(*key, status_cell(row["status"], str(why) if why else None, f"{row['adapter']} {row['method']}"),
                    "", "", row["picks"] or "—", "")
            continue
        same = Cell(f"{row['sizes_same']}/{row['sizes_judged']}",
                    "good" if row["sizes_same"] == row["sizes_judged"] else "bad", row["sizes_same"])
        picked = Cell(row["picks"] or "—", None if row["reference_picks"] is None else
                      "good" if row["picks"] == row["reference_picks"] else "bad")
        per.add(*key, same, Cell(_sizes(row["differs_at"]), "bad" if row["differs_at"] else None),
                _sizes(row["not_best_at"]), picked, "native" if row["fits"] is None else f"{row['fits']:,}")
    per.footnotes = [
        "same set: sizes with the exact reference's set of the same method (best, forward or backward search); "
        "≠best at: sizes where the chosen set is not the best subset (a stepwise search may miss it); picks: the "
        "sizes adj. R² / Cp / BIC pick (green: the reference's); fits: the platform's own fits an emulated search "
        "drove.", *ties]
    if exact and exact["glm"]:  # R's step by AIC: where each platform's forward / backward search stops
        steps_end = [Plain(line) for line in summary.step_ends(rows)]
        full.footnotes = [*ties, *steps_end]
        per.footnotes = [per.footnotes[0].replace("adj. R² / Cp / BIC", "AIC / BIC"), *ties, *steps_end]
    layout.append(per)
    return [[[full], layout]]


@detail("truth", "subsets")
def truth_table(run: RunView) -> list[Layouts]:
    """Synthetic data: precision and recall of the model each criterion picks, against the true support; compact:
    the same as numbers."""
    rows = summary.support_recovery(run.records)
    if not rows:
        return []
    title = "Recovery of the true support (precision / recall of the picked model)"
    labels = [label for _, label in summary.CRITERIA]
    full = Table(title, [Column("adapter", key=True), Column("method", key=True), *(Column(x) for x in labels)])
    compact = Table(title, [Column("adapter", key=True), Column("method", key=True), *(Column(x) for x in labels)])
    for row in rows:
        full.add(row["adapter"], row["method"], *[Cell(c["text"], sort=c.get("precision"))
                                                  for c in row["criteria"].values()])
        compact.add(row["adapter"], row["method"],
                    *[f"{c.get('precision') or 0:.2f}/{c.get('recall') or 0:.2f} k={c.get('size')}"
                      for c in row["criteria"].values()])
    return [[[full], [compact]]]


@detail("cv", "subsets")
def cv_table(run: RunView) -> list[Layouts]:
    """Cross-validated MSE of the set each platform chose, per size (summary.cv_errors): sizes down, platform x
    method across (the exact reference's best subsets first), the smallest of each column marked ★."""
    pivot = summary.cv_errors(run.records, run.reference)
    if pivot is None:
        return []
    folds = f" ({pivot['folds']}-fold)" if pivot["folds"] else ""
    table = Table(f"Cross-validated MSE per subset size{folds}", [Column("size", "right", key=True)])
    for column in pivot["columns"]:
        header = f"{column['adapter']}\n{column['method']}" + (
            f"\n{column['dataset']}" if pivot["several"] and column["dataset"] else "")
        table.columns.append(Column(header, "right", key=column["adapter"] == "reference"))
    for size in pivot["sizes"]:
        cells: list[Any] = [Cell(str(size), sort=size)]
        for column in pivot["columns"]:
            value = column["by_size"].get(size)
            smallest = size == column["min_size"]
            cells.append(Cell(fmt(value, 4) + (" ★" if smallest else ""), "best" if smallest else None, value))
        table.add(*cells)
    table.footnotes = ["★ the smallest: the size cross-validation picks. Each platform's chosen set of each size "
                       "is refitted by mlbench (OLS) on the same folds, so equal sets have equal errors"]
    return [[[table]]]
