"""The HTML report in a real browser: Debian's chromium, headless, offline.

One run with statsmodels, sklearn and xgboost covering feature selection (p-values, VIF, subsets) and a small
training ladder (two sizes, both tasks) is rendered to a file; chromium dumps the DOM after the page's script
ran, logs every console message to stderr, and takes a screenshot. Skips only where chromium is missing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mlbench.reports.html import render_html
from mlbench.results import load_run
from tests.conftest import run_cli

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install -y chromium); "
                                                "the HTML report's browser test needs it"),
    pytest.mark.slow,
]

SCENARIO = """\
name: report-browser
description: feature selection on advertising plus a small training ladder, for the HTML report's browser test
dataset: advertising
adapters: [statsmodels, sklearn, xgboost]
sizes: ["1k", "3k"]
test_rows: 2000
steps:
  - step: pvalues
  - step: vif
  - step: subset
    methods: [best, forward]
  - step: train
    task: classification
    models: [logistic, random_forest, gbm]
    trees: 20
    max_depth: 4
    features: 5
  - step: train
    task: regression
    models: [linear, gbm]
    trees: 20
    max_depth: 4
    features: 5
repeats: 2
warmup: 0
seed: 7
"""

# Sorts the "median s" column of the side-by-side table twice with real clicks and records the result in the DOM.
SORT_PROBE = """
<script>
(function () {
  var th = Array.prototype.filter.call(document.querySelectorAll("table.sortable thead th"),
                                       function (h) { return h.textContent.indexOf("median s") === 0; })[0];
  var table = th.closest("table"), index = th.cellIndex, seen = {};
  function column() {
    return Array.prototype.map.call(table.tBodies[0].rows, function (row) {
      var v = row.cells[index].getAttribute("data-sort"); return v === null ? null : Number(v); });
  }
  th.click(); seen.ascending = column(); seen.first = th.getAttribute("aria-sort");
  th.click(); seen.descending = column(); seen.second = th.getAttribute("aria-sort");
  document.body.setAttribute("data-probe", JSON.stringify(seen));
})();
</script>
"""


def _chromium(*args: str, profile: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--enable-logging=stderr", "--v=0", *args],
        capture_output=True, text=True, timeout=timeout,
    )


def _console_lines(stderr: str, page: Path) -> list[str]:
    """Console messages of our page (chromium logs them as `...:CONSOLE:N] "message", source: file://...`)."""
    return [line for line in stderr.splitlines()
            if ("CONSOLE" in line and page.name in line) or "Uncaught" in line or "ERROR:CONSOLE" in line]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("browser")
    scenario = base / "report-browser.yaml"
    scenario.write_text(SCENARIO)
    proc = run_cli("run", str(scenario), "--cores", "1", "--out", str(base / "runs"), timeout=900)
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = (base / "runs").iterdir()
    manifest, records = load_run(run_dir)
    assert {r["adapter"] for r in records} == {"statsmodels", "sklearn", "xgboost"}
    path = base / "report.html"
    path.write_text(render_html(manifest, records), encoding="utf-8")
    return path


def test_report_renders_in_chromium_without_console_errors(report, tmp_path):
    proc = _chromium("--dump-dom", report.as_uri(), profile=tmp_path / "profile")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert _console_lines(proc.stderr, report) == []  # no script error, no blocked resource or CSP violation
    assert dom.count("<table") >= 10
    assert len(re.findall(r"<svg\b", dom)) >= 6  # agreement, fit vs rows x2, Pareto x2, phases
    for text in ("Platforms side by side", "OLS coefficients", "Variance inflation factors", "exact best subset",
                 "Training (classification)", "Training (regression)", "Pareto front", "Fit time against training rows",
                 "seconds per phase", "xgboost", "unsupported", "native", "emulated", "agrees"):
        assert text in dom, text
    # The sorter ran (it makes every header of a sortable table focusable) - so the page's script was allowed.
    assert 'tabindex="0"' in dom


def test_report_headers_sort_when_clicked(report, tmp_path):
    page = report.read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)  # admit the probe script
    probe.write_text(page.replace("</body>", SORT_PROBE + "</body>"), encoding="utf-8")
    proc = _chromium("--dump-dom", probe.as_uri(), profile=tmp_path / "profile")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _console_lines(proc.stderr, probe) == []
    found = re.search(r'data-probe="([^"]*)"', proc.stdout)
    assert found, "the probe did not run"
    seen = json.loads(found.group(1).replace("&quot;", '"'))
    ascending = [v for v in seen["ascending"] if v is not None]
    descending = [v for v in seen["descending"] if v is not None]
    assert len(ascending) >= 4 and ascending == sorted(ascending) and descending == sorted(descending, reverse=True)
    assert (seen["first"], seen["second"]) == ("ascending", "descending")
    # Cells without a value (unsupported cells) sort last both ways.
    assert seen["ascending"][-1] is None and seen["descending"][-1] is None


def test_report_screenshot(report, tmp_path):
    shot = tmp_path / "report.png"
    proc = _chromium(f"--screenshot={shot}", "--window-size=1400,3000", "--hide-scrollbars", report.as_uri(),
                     profile=tmp_path / "profile")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _console_lines(proc.stderr, report) == []
    assert shot.exists() and shot.stat().st_size > 50_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot: {shot}")


FIVE_ADAPTERS = """\
name: report-five
description: every built-in platform on a user file with a hostile column name, for the browser test
adapters: [statsmodels, sklearn, xgboost, h2o, spark]
steps:
  - step: pvalues
  - step: train
    task: regression
    models: [linear, gbm]
    trees: 10
    max_depth: 3
"""


@pytest.mark.h2o
@pytest.mark.spark
def test_five_adapter_report_with_a_hostile_column_renders_escaped(tmp_path):
    hostile = "<script>alert(1)</script>"
    rows = [f"{i % 17},{(i * 7) % 11},{(i * 3) % 5},{2 * (i % 17) - (i * 7) % 11 + (i % 4) * 0.5}" for i in range(400)]
    data = tmp_path / "hostile.csv"
    data.write_text(f'"{hostile}",b,c,y\n' + "\n".join(rows) + "\n", encoding="utf-8")
    scenario = tmp_path / "five.yaml"
    scenario.write_text(FIVE_ADAPTERS)
    proc = run_cli("run", str(scenario), "--data", str(data), "--target", "y", "--out", str(tmp_path / "runs"),
                   timeout=1500)
    assert proc.returncode in (0, 1), proc.stderr  # a platform may refuse the name: a per-cell error at most
    (run_dir,) = (tmp_path / "runs").iterdir()
    manifest, records = load_run(run_dir)
    assert {r["adapter"] for r in records} == {"statsmodels", "sklearn", "xgboost", "h2o", "spark"}
    page = tmp_path / "five.html"
    page.write_text(render_html(manifest, records), encoding="utf-8")
    assert "<script>alert(1)" not in page.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.read_text(encoding="utf-8")
    shown = _chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile")
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert _console_lines(shown.stderr, page) == []
    assert "<script>alert(1)</script>" not in shown.stdout  # the DOM holds it as text, never as an element
    for adapter in ("statsmodels", "sklearn", "xgboost", "h2o", "spark"):
        assert adapter in shown.stdout


# Measures the laid-out page in the browser: the page's and every table's scroll box against the viewport.
LAYOUT_PROBE = """
<script>
(function () {
  var root = document.documentElement, clipped = [];
  Array.prototype.forEach.call(document.querySelectorAll("table, .scroll"), function (el) {
    var box = el.getBoundingClientRect();
    if (box.right > window.innerWidth + 0.5 || el.scrollWidth > el.clientWidth + 1) {
      clipped.push(el.tagName + " " + Math.round(box.right) + " " + el.scrollWidth + "/" + el.clientWidth);
    }
  });
  var heads = Array.prototype.map.call(document.querySelectorAll("table.scorecard th[scope=row]"),
                                       function (th) { return th.childNodes[0].textContent; });
  document.body.setAttribute("data-layout", JSON.stringify({
    viewport: window.innerWidth, page: root.scrollWidth, clipped: clipped, criteria: heads,
    platforms: document.querySelectorAll("table.scorecard thead th").length - 1}));
})();
</script>
"""


def test_scorecard_shows_every_column_at_1280_px(tmp_path):
    """Every criterion and every platform of a five-run scorecard is on screen at 1280 px: nothing scrolls
    sideways, no table reaches past the viewport (the issue: columns cold s to version were clipped)."""
    fixtures = Path(__file__).parent / "fixtures" / "runs"
    proc = run_cli("scorecard", *(str(fixtures / s) for s in ("pvalues", "accuracy", "train", "deploy",
                                                               "feature-selection")), "--format", "html")
    assert proc.returncode == 0, proc.stderr
    page = tmp_path / "scorecard.html"
    page.write_text(proc.stdout, encoding="utf-8")
    shot = tmp_path / "scorecard.png"
    taken = _chromium(f"--screenshot={shot}", "--window-size=1280,2200", "--hide-scrollbars", page.as_uri(),
                      profile=tmp_path / "profile")
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert _console_lines(taken.stderr, page) == [] and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    probe = tmp_path / "probe.html"
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", proc.stdout)  # admit the probe
    probe.write_text(text.replace("</body>", LAYOUT_PROBE + "</body>"), encoding="utf-8")
    shown = _chromium("--window-size=1280,2200", "--dump-dom", probe.as_uri(), profile=tmp_path / "profile2")
    assert shown.returncode == 0, shown.stderr[-2000:]
    found = re.search(r'data-layout="([^"]*)"', shown.stdout)
    assert found, "the probe did not run"
    layout = json.loads(found.group(1).replace("&quot;", '"'))
    assert layout["viewport"] == 1280
    assert layout["page"] <= layout["viewport"] and layout["clipped"] == [], layout
    assert layout["platforms"] == 7  # every platform in the five runs (TensorFlow from accuracy, xgboost from train)
    assert layout["criteria"] == ["stats support", "digits lost worst", "digits lost median", "GLM digits lost",
                                  "fit x fastest",
                                  "session s", "peak MB", "data MB", "time b", "nodes", "deploy", "cold s",
                                  "p50/p99 ms", "served", "native models", "version"]
    print(f"screenshot: {shot}")
