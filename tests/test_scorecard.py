"""The scorecard, built from stored fixture runs of each scenario: every cell is checked against the records of
the run it cites, recomputed here from the raw records (not through mlbench's pivots)."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

from mlbench import steps
from mlbench.results import load_run
from tests.conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "runs"
SCENARIOS = ("pvalues", "accuracy", "glm-accuracy", "train", "deploy", "feature-selection")


@pytest.fixture(scope="module")
def card() -> dict:
    proc = run_cli("scorecard", *(str(FIXTURES / s) for s in SCENARIOS), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def runs() -> dict[str, list[dict]]:
    out = {}
    for scenario in SCENARIOS:
        manifest, records = load_run(FIXTURES / scenario)
        out[manifest["run_id"]] = [r for r in records if not r.get("is_warmup")]
    return out


def _cells(card: dict, key: str) -> dict[str, dict]:
    return {row["adapter"]: row["cells"][key] for row in card["rows"] if row["cells"][key] is not None}


def test_every_cell_cites_one_of_the_runs(card, runs):
    assert set(card["runs"]) == set(runs)
    for row in card["rows"]:
        for key, cell in row["cells"].items():
            if cell is None:
                continue
            if key == "support":  # what the adapter declares, not a run's figure
                assert cell["source"]["run_id"] is None and "declared" in cell["source"]["cell"]
            else:
                assert cell["source"]["run_id"] in runs and cell["source"]["cell"], (row["adapter"], key)


def _declared(adapter: str) -> dict[str, str]:
    from mlbench import registry

    cls = registry.get(adapter)
    return {label: steps.capability(cls, step, variant).support.value for step, variant, label in (
        ("pvalues", None, "pvalues"), ("vif", None, "vif"), ("subset", "best", "best"),
        ("subset", "forward", "forward"), ("subset", "backward", "backward"))}


def test_session_version_and_support_are_the_cited_records(card, runs):
    for adapter, cell in _cells(card, "session_s").items():
        walls = [r["wall_s"] for r in runs[cell["source"]["run_id"]] if r["adapter"] == adapter
                 and r["phase"] == "session" and r["status"] == "ok"]
        assert cell["value"] in walls
    for adapter, cell in _cells(card, "version").items():
        assert any(r["platform_version"] == cell["value"] for r in runs[cell["source"]["run_id"]]
                   if r["adapter"] == adapter)
    for adapter, cell in _cells(card, "support").items():
        assert cell["value"] == _declared(adapter), adapter


def test_support_is_declared_not_what_a_run_happened_to_ask():
    """The accuracy run asks R only for p-values; R declares VIF and every subset method native all the same."""
    card = json.loads(run_cli("scorecard", str(FIXTURES / "accuracy"), "--format", "json").stdout)
    support = _cells(card, "support")
    assert support["r"]["value"] == _declared("r")
    assert support["r"]["value"]["vif"] == "native" and support["r"]["value"]["best"] == "native"
    assert support["r"]["text"] == "pvalues:N vif:N best:N forward:N backward:N"


def _ceilings(run_id: str) -> dict[str, float]:
    """The digits each dataset's input allows: the accuracy table's 'float64 input', 15 where float64 holds it."""
    for scenario in SCENARIOS:
        manifest, _ = load_run(FIXTURES / scenario)
        if manifest["run_id"] == run_id:
            return {name: (truth or {}).get("float64_input_digits") or 15.0
                    for name, truth in (manifest.get("truth") or {}).items()}
    raise KeyError(run_id)


def _graded(records: list[dict], ceilings: dict[str, float]) -> dict[str, dict[tuple, float]]:
    """Per adapter and (dataset, step, variant): the most correct digits lost by the ok fits against the input's
    float64 ceiling, the whole ceiling for a failed cell."""
    out: dict[str, dict[tuple, float]] = {}
    for r in records:
        if r["phase"] != "fit" or r["step"] not in ("pvalues", "vif", "subset"):
            continue
        key = (r["dataset"], r["step"], r.get("variant"))
        top = ceilings.get(r["dataset"], 15.0)
        digits = (r.get("deviation") or {}).get("min_digits")
        mine = out.setdefault(r["adapter"], {})
        if r["status"] == "ok" and digits is not None:
            mine[key] = max(max(top - digits, 0.0), mine.get(key, -math.inf))
        elif r["status"] in ("error", "timeout"):
            mine.setdefault(key, top)
    return out


def test_digits_lost_are_the_worst_and_median_over_every_graded_statistics_cell(card, runs):
    worst, middle = _cells(card, "digits_lost_worst"), _cells(card, "digits_lost_median")
    every: dict[str, list[float]] = {}
    for run_id, records in runs.items():
        for adapter, cells in _graded(records, _ceilings(run_id)).items():
            every.setdefault(adapter, []).extend(cells.values())
    # every statistics platform's p-values, VIF and subsets graded in any run count (TensorFlow's from accuracy)
    assert set(worst) == set(middle) == set(every) == {"statsmodels", "sklearn", "r", "h2o", "spark", "tensorflow"}
    for adapter, lost in every.items():
        assert worst[adapter]["value"] == max(lost) and middle[adapter]["value"] == statistics.median(lost)
    h2o_worst = worst["h2o"]
    holders = {run_id for run_id, records in runs.items()
               if max(_graded(records, _ceilings(run_id)).get("h2o", {}).values(), default=-math.inf)
               == h2o_worst["value"]}
    assert h2o_worst["source"]["run_id"] in holders  # the figure names the run that measured it


def test_a_star_marks_only_a_real_distinction():
    """Every platform of the accuracy run gets 0 correct digits on Filip, whose float64 input allows 7.7: each
    loses the same 7.7 there, so Filip decides nothing and the star goes to the fewest digits lost elsewhere, not
    to a tie at 0. H2O and Spark both report one node (1): nobody is best there, so no star."""
    accuracy = json.loads(run_cli("scorecard", str(FIXTURES / "accuracy"), "--format", "json").stdout)
    worst = _cells(accuracy, "digits_lost_worst")
    assert len({round(c["value"], 1) for c in worst.values()}) > 1
    assert all("nist-filip" not in c["text"] for c in worst.values())
    best = min(round(c["value"], 1) for c in worst.values())
    assert accuracy["best"]["digits_lost_worst"] == [a for a, c in worst.items() if round(c["value"], 1) == best]
    pvalues = json.loads(run_cli("scorecard", str(FIXTURES / "pvalues"), "--format", "json").stdout)
    assert {c["value"] for c in _cells(pvalues, "nodes").values()} == {1}
    assert "nodes" not in pvalues["best"]
    weighted = json.loads(run_cli("scorecard", str(FIXTURES / "pvalues"), "--format", "json", "--weight",
                                  "scale=5").stdout)
    assert all("nodes" not in row["subscores"] for row in weighted["rows"])  # a tie at 1 ranks no one
    html = run_cli("scorecard", str(FIXTURES / "accuracy"), "--format", "html").stdout
    assert "(pvalues, nist-filip) ★" not in html


def test_speed_is_the_geometric_mean_of_ratios_to_the_fastest(card, runs):
    for adapter, cell in _cells(card, "speed").items():
        records = runs[cell["source"]["run_id"]]
        times: dict[tuple, dict[str, float]] = {}
        for r in records:
            if r["step"] == "train" and r["phase"] == "fit" and r["status"] == "ok":
                key = (r["params"]["task"], r["variant"], r["n_rows"])
                times.setdefault(key, {})[r["adapter"]] = r["wall_s"]  # one repeat per cell in the fixture
        ratios = [t[adapter] / min(t.values()) for t in times.values() if adapter in t and len(t) > 1]
        assert cell["value"] == pytest.approx(math.exp(statistics.fmean(map(math.log, ratios))), rel=1e-12)
    assert card["best"]["speed"] == [min(_cells(card, "speed").items(), key=lambda kv: kv[1]["value"])[0]]


def test_memory_breadth_and_deploy_figures(card, runs):
    for adapter, cell in _cells(card, "peak_mb").items():
        train = [r for r in runs[cell["source"]["run_id"]] if r["adapter"] == adapter and r["step"] == "train"]
        largest = max(r["n_rows"] for r in train)
        assert cell["value"] == max(r["peak_rss_mb"] for r in train if r["n_rows"] == largest
                                    and r.get("peak_rss_mb") is not None)
    for adapter, cell in _cells(card, "breadth").items():
        fits = [r for r in runs[cell["source"]["run_id"]] if r["adapter"] == adapter and r["step"] == "train"
                and r["phase"] == "fit"]
        native = {r["variant"] for r in fits if r["support"] == "native" and r["status"] == "ok"}
        assert cell["value"] == len(native) and cell["text"] == f"{len(native)}/{len({r['variant'] for r in fits})}"
    for adapter, cell in _cells(card, "deploy_score").items():
        reloads = [r["result"] for r in runs[cell["source"]["run_id"]] if r["adapter"] == adapter
                   and r["phase"] == "reload" and r.get("result")]
        best = max(reloads, key=lambda result: result["score"])
        assert cell["value"] == best["score"] and cell["text"].endswith(best["best_format"])
        fmt = best["formats"][best["best_format"]]
        assert _cells(card, "cold_start_s")[adapter]["value"] == fmt["cold_start_s"]
        assert _cells(card, "p99_ms")[adapter]["value"] == fmt["p99_ms"]


def test_weights_rank_with_every_subscore_shown_and_bad_weights_fail():
    paths = [str(FIXTURES / s) for s in SCENARIOS]
    ranked = json.loads(run_cli("scorecard", *paths, "--format", "json", "--weight", "speed=2,accuracy=3").stdout)
    assert ranked["weights"]["speed"] == 2 and ranked["weights"]["accuracy"] == 3
    totals = [row["total"] for row in ranked["rows"]]
    assert totals == sorted(totals, reverse=True)
    for row in ranked["rows"]:
        assert all(0 <= v <= 100 for v in row["subscores"].values())
    bad = run_cli("scorecard", *paths, "--weight", "beauty=5")
    assert bad.returncode == 2 and "unknown scorecard weight" in bad.stderr


def test_table_fits_100_columns_and_html_and_csv_render(tmp_path):
    paths = [str(FIXTURES / s) for s in SCENARIOS]
    table = run_cli("scorecard", *paths, "--width", "100")
    assert table.returncode == 0 and "Scorecard" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 100
    assert "…" not in table.stdout
    html = run_cli("scorecard", *paths, "--format", "html").stdout
    assert "Choose your platform" in html and "run 20261129T" in html
    csv_text = run_cli("scorecard", *paths, "--format", "csv").stdout
    assert csv_text.startswith("adapter,criterion,group,value") and "digits_lost_worst" in csv_text


def test_a_criterion_no_run_measured_names_its_scenario_once_as_code():
    proc = run_cli("scorecard", str(FIXTURES / "pvalues"), "--format", "json")
    card = json.loads(proc.stdout)
    assert card["not_measured"]["deploy_score"] == "mlbench run deploy"
    assert card["not_measured"]["peak_mb"] == "mlbench run train"
    html = run_cli("scorecard", str(FIXTURES / "pvalues"), "--format", "html").stdout
    assert "`" not in html  # commands are <code>, never markdown backticks
    assert html.count("<code>mlbench run deploy</code>") == 1 and html.count("<code>mlbench run train</code>") == 1
    assert "not measured" in html and html.count("not measured in these runs") == len(set(
        card["not_measured"].values()))
    text = run_cli("scorecard", str(FIXTURES / "pvalues"), "--width", "200").stdout
    assert "`" not in text and text.count("mlbench run deploy measures it") == 1


def test_the_terminal_and_the_html_page_draw_one_declared_table():
    """The scorecard is declared once (scorecard.as_table): the terminal draws it with platforms down, the HTML
    page transposed (platforms across, criteria down); every figure, ★ and sub-score is the same text in both."""
    import io
    from html.parser import HTMLParser

    from rich.console import Console

    from mlbench import api
    from mlbench.reports.console import print_layouts, scorecard_table
    from mlbench.reports.html.scorecard import render_scorecard_html
    from mlbench.reports.scorecard import as_table

    card = api.scorecard([FIXTURES / s for s in SCENARIOS], {"speed": 2.0})
    table = as_table(card)
    buffer = io.StringIO()
    print_layouts(Console(file=buffer, width=400), scorecard_table(card), wide=True)
    terminal = " ".join(buffer.getvalue().split())

    class Rows(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[list[str]] = []
            self.cell: list[str] | None = None
            self.inside = False

        in_note = False  # a cell's note mark (<sup>n</sup>): the page's numbered notes, not the cell's value

        def handle_starttag(self, tag, attrs):
            self.inside = self.inside or (tag == "table" and ("class", "full scorecard") in attrs)
            self.in_note = self.in_note or tag == "sup"
            if self.inside and tag == "tr":
                self.rows.append([])
            elif self.inside and tag in ("td", "th"):
                self.cell = []

        def handle_endtag(self, tag):
            self.in_note = self.in_note and tag != "sup"
            if tag == "table":
                self.inside = False
            elif self.cell is not None and tag in ("td", "th"):
                self.rows[-1].append(" ".join("".join(self.cell).split()))
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None and not self.in_note:
                self.cell.append(data)

    parser = Rows()
    parser.feed(render_scorecard_html(card))
    head, *body = parser.rows
    adapters = [row["adapter"] for row in card["rows"]]
    assert head == ["", *adapters]  # transposed: the platforms across
    by_label = {row[0]: row[1:] for row in body if len(row) == len(head)}
    total = next(label for label in by_label if label.startswith("total"))
    assert next(iter(by_label)) == total  # the key column, total, is the first row
    for index, column in enumerate(table.columns[1:], 1):
        label = next(label for label in by_label if label.startswith(column.header.replace("\n", " ")))
        for adapter, row, cell in zip(adapters, table.rows, by_label[label], strict=True):
            shown = column.cell(row[index])
            text = " ".join(f"{shown.text} {shown.aside}".split())
            assert cell == text, (adapter, column.header, cell, text)
            assert text in terminal, (adapter, column.header, text)
    assert {c["key"] for c in card["criteria"] if c["key"] in card["best"]}  # there are stars to compare
