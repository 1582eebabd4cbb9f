"""One self-contained HTML report of a stored run: no CDN, no fonts or scripts from anywhere, readable offline
and without JavaScript (tables are real <table>s; the one inline script only adds click-to-sort on headers).

The page holds the run header and environment from run.json, dataset provenance, the same side-by-side tables
as the console (support, grade, median time ± IQR, peak memory; OLS coefficients and p-values, elimination,
VIF, subset agreement per size, recovery of the true support, the training ladder, deployability) and inline
SVG charts drawn here in Python (mlbench.reports.svg).

Every string that comes from data, a manifest or an error message is escaped with html.escape; a Content
Security Policy admits only the template's own style and script (by hash), so even a missed escape could not
run a script or load anything from the network.

cells.py: esc, td, th, badges, number cells, the shared columns; tables.py: the result tables; charts.py: the
SVG plots; page.py: header, environment, sections, the template (report_template.html, next to it) and
render_html.
"""

from mlbench.reports.html.page import render_html

__all__ = ["render_html"]
