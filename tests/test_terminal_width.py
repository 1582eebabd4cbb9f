"""Terminal tables a person can read at 80, 100 and 120 columns: every scenario's stored run (real runs, kept in
tests/fixtures/runs/: records.jsonl and run.json only) rendered at each width fits it, never cuts a number with
an ellipsis, and shows every platform with its grade; the same under a real pseudo-terminal of 100 columns."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from mlbench.reports import summary
from mlbench.reports.compare import compare_runs, render_compare
from mlbench.reports.console import render_run
from mlbench.results import load_run
from tests.conftest import run_cli

RUNS = Path(__file__).parent / "fixtures" / "runs"
SCENARIOS = ["pvalues", "pvalues-filip", "feature-selection", "accuracy", "glm-accuracy", "train", "deploy"]
WIDTHS = [80, 100, 120]
TABLE_LINE = re.compile(r"^[│┃]")


def _render(name: str, width: int) -> str:
    manifest, records = load_run(RUNS / name)
    buffer = io.StringIO()
    render_run(Console(file=buffer, width=width), manifest, records)
    return buffer.getvalue()


def _word(name: str) -> re.Pattern[str]:
    """A platform or grade as a word of its own ("r" is not the r of "error")."""
    return re.compile(rf"(?<![\w/-]){re.escape(name)}(?![\w/-])")


def _check_fits(text: str, width: int) -> None:
    lines = text.splitlines()
    too_long = [line for line in lines if cell_len(line) > width]
    assert not too_long, "\n".join(too_long)
    cut = [line for line in lines if TABLE_LINE.match(line) and "…" in line]
    assert not cut, "\n".join(cut)  # rich cuts a cell that does not fit with an ellipsis: none may be cut


def _check_platforms_and_grades(text: str, manifest: dict, records: list[dict]) -> None:
    """Every platform's name is in a table, and every graded cell's verdict is on a table line of its platform
    (and step); for a suite of datasets, every platform's correct digits on its dataset's line."""
    rows = [line for line in text.splitlines() if TABLE_LINE.match(line)]
    for adapter in {r["adapter"] for r in records}:
        assert any(_word(adapter).search(line) for line in rows), adapter
    pivot = summary.accuracy(records, manifest)
    if len(pivot["rows"]) > 1:
        for row in pivot["rows"]:
            lines = [line for line in rows if _word(row["label"]).search(line)]  # a line per part of a split table
            for adapter, cell in row["cells"].items():
                shown = cell["status"] if cell["status"] != "ok" else f"{cell['digits']:.1f}"
                assert any(shown in line for line in lines), (row["label"], adapter, lines)
        return
    glm = summary.glm_accuracy(records, manifest)
    if len(glm["rows"]) > 1:  # the GLM suite: estimate and SE digits of every platform on its case's line
        for row in glm["rows"]:
            lines = [line for line in rows if row["label"] in line]
            for adapter, cell in row["cells"].items():
                shown = [cell["status"]] if cell["status"] != "ok" else \
                    [f"{cell['estimate']:.1f}", f"{cell['std_error']:.1f}"]
                assert any(all(s in line for s in shown) for line in lines), (row["label"], adapter, lines)
        return
    for cell in summary.cell_rows(records, manifest):
        if cell["step"] in ("train", *summary.ADAPTER_PHASES) or not cell["grade"]:
            continue
        verdict = str(cell["grade"]).split(":", 1)[0]
        assert any(_word(cell["adapter"]).search(line) and cell["label"] in line and verdict in line
                   for line in rows), (cell["adapter"], cell["label"], verdict)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_fits_the_terminal_without_cutting_a_number(name, width):
    manifest, records = load_run(RUNS / name)
    text = _render(name, width)
    _check_fits(text, width)
    _check_platforms_and_grades(text, manifest, records)


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_fits_the_terminal(width):
    manifest_a, records_a = load_run(RUNS / "compare-a")
    manifest_b, records_b = load_run(RUNS / "compare-b")
    buffer = io.StringIO()
    render_compare(Console(file=buffer, width=width), compare_runs(manifest_a, records_a, manifest_b, records_b))
    text = buffer.getvalue()
    _check_fits(text, width)
    rows = [line for line in text.splitlines() if TABLE_LINE.match(line)]
    for adapter in ("statsmodels", "sklearn", "r"):
        assert sum(bool(_word(adapter).search(line)) for line in rows) == 3, adapter  # session, load, pvalues
    assert "Grade changes: none" in text and "B/A" in text


def test_the_main_table_shows_the_reference_once_and_what_differs():
    """pvalues at 100 columns: the reference's estimate and p-value once per term, each platform's correct digits
    beside them, p-values as R's format.pval shows them, and Spark's underflow to 0 said in a footnote."""
    manifest, _records = load_run(RUNS / "pvalues")
    text = _render("pvalues", 100)
    reference = manifest["truth"]["advertising"]["answers"]["pvalues"]["coefficients"]
    table = text.split("OLS coefficients", 1)[1].split("Backward elimination", 1)[0]
    for term, coef in reference.items():
        (line,) = [line for line in table.splitlines() if line.startswith(f"│ {term} ")]
        assert summary.fmt(coef["estimate"]) in line and summary.format_pvalue(coef["p_value"]) in line
    body = "\n".join(line for line in table.splitlines() if line.startswith("│"))
    assert body.count("< 2e-16") == 3 and "e-81" not in body and "e-54" not in body
    assert re.search(r"\[1\] spark: reports p = 0 for Intercept, TV, Radio", " ".join(table.split()))
    for adapter in ("statsmodels", "sklearn", "h2o", "spark"):
        assert _word(adapter).search(table.splitlines()[2] + table.splitlines()[3]), adapter


def test_values_that_differ_are_shown_where_they_differ():
    """NIST Filip: every platform but the reference gets other coefficients; the compact layout shows their
    values in a table of their own, and aliased terms (H2O's x6, x8, x9; R's x10) as aliased."""
    text = _render("pvalues-filip", 120)
    differ = text.split("Where a platform's value differs", 1)[1]
    assert "8.44305" in differ and "aliased" in differ  # statsmodels' Intercept; H2O's removed columns
    coefficients = text.split("OLS coefficients", 1)[1].split("Where a platform", 1)[0]
    assert "x10" in coefficients and "aliased" in coefficients


def test_wide_keeps_the_full_tables_and_width_is_a_cli_option(tmp_path):
    run = str(RUNS / "pvalues")
    wide = run_cli("report", run, "--wide")
    assert wide.returncode == 0, wide.stderr
    assert "reference" in wide.stdout and "how / why" in wide.stdout  # every value side by side, text in place
    assert max(cell_len(line) for line in wide.stdout.splitlines()) > 120
    narrow = run_cli("report", run, "--format", "table", "--width", "80")
    assert narrow.returncode == 0, narrow.stderr
    _check_fits(narrow.stdout, 80)
    out = tmp_path / "table.txt"
    assert run_cli("report", run, "--width", "100", "-o", str(out)).returncode == 0
    _check_fits(out.read_text(encoding="utf-8"), 100)
    both = run_cli("report", run, "--wide", "--width", "100")
    assert both.returncode == 2 and "not both" in both.stderr
    compare = run_cli("compare", str(RUNS / "compare-a"), str(RUNS / "compare-b"), "--width", "80")
    assert compare.returncode == 0, compare.stderr
    _check_fits(compare.stdout, 80)


@pytest.mark.parametrize(("p", "shown"), [(0.0, "< 2e-16"), (1.50995995481444e-81, "< 2e-16"),
                                          (2.2e-16, "< 2e-16"), (1.27e-05, "1.27e-05"),
                                          (0.8599150500805721, "0.8599"), (0.0004872, "0.0004872"), (1.0, "1"),
                                          (None, "—")])
def test_p_values_as_r_format_pval_shows_them(p, shown):
    assert summary.format_pvalue(p) == shown


def _screen(args: list[str], columns: int, rows: int = 50, timeout: float = 60.0) -> tuple[int, str]:
    """Run a command in a real pseudo-terminal of `columns` x `rows`; (exit code, what it printed, ANSI removed)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    code = proc.wait(timeout=10)
    text = b"".join(chunks).decode("utf-8", "replace")
    text = re.sub(r"\x1b\][^\x07\x1b]*(\x07|\x1b\\)", "", text)  # OSC (links, titles)
    text = re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]", "", text)  # CSI (colours, cursor)
    return code, text.replace("\r\n", "\n").replace("\r", "")


@pytest.mark.parametrize("name", ["pvalues", "feature-selection"])
def test_report_in_a_real_100_column_terminal(name):
    code, text = _screen([sys.executable, "-m", "mlbench", "report", str(RUNS / name)], columns=100)
    assert code == 0, text
    assert "OLS coefficients" in text
    _check_fits(text, 100)
    manifest, records = load_run(RUNS / name)
    _check_platforms_and_grades(text, manifest, records)


def test_piped_output_honours_columns_and_width_wins(monkeypatch):
    """Not a terminal: $COLUMNS is the width (a pager, `| less`, a CI log of known width); without it, the wide
    default; --width wins over both."""
    run = str(RUNS / "pvalues")
    monkeypatch.delenv("COLUMNS", raising=False)
    default = run_cli("report", run)
    assert default.returncode == 0, default.stderr
    widest = max(cell_len(line) for line in default.stdout.splitlines())
    assert 100 < widest <= 160
    piped = run_cli("report", run, env={"COLUMNS": "90"})
    assert piped.returncode == 0, piped.stderr
    _check_fits(piped.stdout, 90)
    assert piped.stdout != default.stdout
    wins = run_cli("report", run, "--width", "120", env={"COLUMNS": "90"})
    assert wins.returncode == 0, wins.stderr
    _check_fits(wins.stdout, 120)
    assert max(cell_len(line) for line in wins.stdout.splitlines()) > 90


@pytest.mark.parametrize("name", ["feature-selection", "pvalues-filip"])
def test_footnotes_at_80_columns_are_whole_wrapped_not_cut(name):
    """Every platform's how-text is in its footnote in full (wrapped at words by rich), none shortened."""
    _manifest, records = load_run(RUNS / name)
    text = _render(name, 80)
    _check_fits(text, 80)
    assert "shortened" not in text and "…" not in text
    flat = " ".join(text.split())
    hows = {" ".join(str(r["params"]["how"]).split()) for r in records
            if r.get("status") == "ok" and (r.get("params") or {}).get("how")}
    assert hows
    for how in hows:
        assert how in flat, how


@pytest.mark.parametrize("weights", [[], ["--weight", "speed=2,accuracy=3"]])
def test_scorecard_title_is_one_short_line_at_80_columns(weights):
    """The title (and each part's, when the table is split by groups) is one line right above its table; what the
    figures are (★, sub-scores, the weights) is a caption line under it."""
    runs = [str(RUNS / s) for s in ("pvalues", "accuracy", "train", "deploy", "feature-selection")]
    proc = run_cli("scorecard", *runs, "--width", "80", *weights)
    assert proc.returncode == 0, proc.stderr
    _check_fits(proc.stdout, 80)
    lines = proc.stdout.splitlines()
    titles = [i for i, line in enumerate(lines) if line.startswith("Scorecard")]
    assert titles
    for i in titles:
        assert len(lines[i].strip()) <= 60 and lines[i + 1].startswith("┏"), lines[i:i + 2]
    caption = " ".join(proc.stdout.split())
    assert ("total = weighted mean: accuracy 3, speed 2" if weights else "★ best per column, nothing ranked") in caption
