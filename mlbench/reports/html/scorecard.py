"""The scorecard as a self-contained HTML page (`mlbench scorecard RUN... --format html`).

Transposed against the terminal's table: one column per platform and one row per criterion, in the criteria's
groups, so every measure fits a laptop's window (1280 px) however many criteria there are. The table is the
terminal's (mlbench.reports.scorecard.as_table), drawn transposed by html.cells.draw: a criterion no run measured
says so once, in a numbered note naming the command that would measure it (as <code>); a platform without a
figure where others have one shows "—", explained once in the legend.
"""

from __future__ import annotations

import string
from typing import Any

from mlbench import __version__
from mlbench.reports.html.cells import draw, esc
from mlbench.reports.html.page import _template, content_security_policy
from mlbench.reports.scorecard import as_table

__all__ = ["render_scorecard_html"]


def scorecard_table(card: dict[str, Any]) -> str:
    """The scorecard's table (declared once: mlbench.reports.scorecard.as_table) drawn transposed: platforms
    across, criteria down in their groups, the total (with weights) first."""
    return draw(as_table(card), transposed=True, cls="full scorecard")


def render_scorecard_html(card: dict[str, Any]) -> str:
    """The scorecard as a self-contained page: one table, each figure linked to its run and cell (hover)."""
    runs = "".join(f"<li><code>{esc(r)}</code></li>" for r in card["runs"])
    body = (f"<header><h1>mlbench scorecard</h1><p class=\"note\">{len(card['runs'])} runs</p></header>"
            f'<section id="scorecard"><h2>Choose your platform</h2>{scorecard_table(card)}'
            f"<h3>Runs</h3><ul>{runs}</ul></section>")
    template = _template()
    return string.Template(template).substitute(
        csp=esc(content_security_policy(template)), version=esc(__version__), title="mlbench · scorecard", body=body)
