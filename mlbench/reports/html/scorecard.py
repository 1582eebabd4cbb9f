"""The scorecard as a self-contained HTML page (`mlbench scorecard RUN... --format html`).

Transposed against the terminal's table: one column per platform and one row per criterion, in the criteria's
groups, so every measure fits a laptop's window (1280 px) however many criteria there are. A criterion no run
measured says so once, in a numbered note naming the command that would measure it (as <code>); a platform
without a figure where others have one shows "—", explained once in the legend.
"""

from __future__ import annotations

import string
from typing import Any

from mlbench import __version__
from mlbench.reports.html.cells import esc, table, td, th
from mlbench.reports.html.page import _template, content_security_policy

__all__ = ["render_scorecard_html"]


def _criterion_head(criterion: dict[str, Any], marker: str) -> str:
    sup = f"<sup>{esc(marker)}</sup>" if marker else ""
    help_text = f'<br><span class="muted sc-help">{esc(criterion["help"])}</span>' if criterion["help"] else ""
    return f'<th scope="row">{esc(criterion["label"])}{sup}{help_text}</th>'


def _figure(card: dict[str, Any], adapter: str, row: dict[str, Any], criterion: dict[str, Any]) -> str:
    cell = row["cells"][criterion["key"]]
    if cell is None:
        return td("—", "muted")
    best = adapter in card["best"].get(criterion["key"], [])
    sub = (row.get("subscores") or {}).get(criterion["key"])
    text = esc(cell["text"]) + (" ★" if best else "")
    if best:
        text = f"<strong>{text}</strong>"
    if sub is not None:
        text += f' <span class="iqr">{sub:g}</span>'
    source = cell["source"]
    title = f"run {source['run_id']}: {source['cell']}" if source.get("run_id") else str(source["cell"])
    return td(text, "good" if best else None, title=title)


def scorecard_table(card: dict[str, Any]) -> str:
    """Platforms across, criteria down (grouped); ★ the best where platforms differ; numbered notes say once
    which command would measure a criterion no run measured."""
    rows_by_adapter = {row["adapter"]: row for row in card["rows"]}
    adapters = list(rows_by_adapter)
    commands = list(dict.fromkeys(card["not_measured"].values()))
    markers = {command: str(i) for i, command in enumerate(commands, 1)}
    head = [th("criterion"), *(th(a) for a in adapters)]
    body: list[list[str]] = []
    if card["weights"]:
        weights = ", ".join(f"{k} {v:g}" for k, v in card["weights"].items())
        body.append([f'<th scope="row">total<br><span class="muted sc-help">weighted mean of the sub-scores '
                     f"(weights: {esc(weights)})</span></th>",
                     *(td(f"<strong>{esc(rows_by_adapter[a].get('total'))}</strong>") for a in adapters)])
    group = None
    for criterion in card["criteria"]:
        if criterion["group"] != group:
            group = criterion["group"]
            body.append([f'<th scope="rowgroup" colspan="{len(adapters) + 1}" class="sc-group">{esc(group)}</th>'])
        command = card["not_measured"].get(criterion["key"])
        cells = [_criterion_head(criterion, markers[command] if command else "")]
        cells += [_figure(card, a, rows_by_adapter[a], criterion) for a in adapters]
        body.append(cells)
    caption = ("One column per platform, one row per criterion; every figure measured in the runs below (hover "
               "a cell for its run and cell)")
    notes = [f'<p class="note"><sup>{markers[c]}</sup> not measured in these runs: <code>{esc(c)}</code> '
             "measures it.</p>" for c in commands]
    legend = ("★ the best on a criterion where the platforms' figures differ (no star where they are all the "
              "same); — this platform has no figure in these runs; support as each adapter declares it: "
              "N native, E emulated, - unsupported" +
              ("; small numbers: sub-scores (0-100 against the best)" if card["weights"] else
               "; nothing ranked (no --weight)"))
    return (table(head, body, caption, sortable=False, cls="full scorecard") + "".join(notes)
            + f'<p class="note">{esc(legend)}</p>')


def render_scorecard_html(card: dict[str, Any]) -> str:
    """The scorecard as a self-contained page: one table, each figure linked to its run and cell (hover)."""
    runs = "".join(f"<li><code>{esc(r)}</code></li>" for r in card["runs"])
    body = (f"<header><h1>mlbench scorecard</h1><p class=\"note\">{len(card['runs'])} runs</p></header>"
            f'<section id="scorecard"><h2>Choose your platform</h2>{scorecard_table(card)}'
            f"<h3>Runs</h3><ul>{runs}</ul></section>")
    template = _template()
    return string.Template(template).substitute(
        csp=esc(content_security_policy(template)), version=esc(__version__), title="mlbench · scorecard", body=body)
