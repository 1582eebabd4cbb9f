"""What the run report says, in the terminal and in HTML alike (issue 27, item 6): one grade vocabulary, a subset
search's picks in words (never a Python dict), an underflowed p-value explained in sight, and a library counted
installed when another wheel provides its module (xgboost-cpu is xgboost)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from mlbench import grading
from mlbench.environment import missing_libraries
from mlbench.reports import summary
from tests.conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "runs"
OLD_GRADE = ("differs: chosen sizes {'adj_r_squared': 11, 'cp': 8, 'bic': 6} vs "
             "{'adj_r_squared': 10, 'cp': 8, 'bic': 6}")


@pytest.fixture(scope="module")
def regraded(tmp_path_factory) -> Path:
    """The feature-selection fixture with H2O's best-subset cell graded as an older mlbench stored it when the
    chosen sizes differ from the reference's: a dict in the grade."""
    run = tmp_path_factory.mktemp("wording") / "feature-selection"
    shutil.copytree(FIXTURES / "feature-selection", run)
    lines = []
    for line in (run / "records.jsonl").read_text().splitlines():
        record = json.loads(line)
        if (record["adapter"], record["step"], record.get("variant"), record["phase"]) == ("h2o", "subset", "best",
                                                                                           "fit"):
            record["deviation"] = {**record["deviation"], "agrees": False, "grade": OLD_GRADE}
        lines.append(json.dumps(record))
    (run / "records.jsonl").write_text("\n".join(lines) + "\n")
    return run


@pytest.fixture(scope="module")
def shown(regraded) -> dict[str, str]:
    text = run_cli("report", str(regraded), "--width", "200")
    page = run_cli("report", str(regraded), "--format", "html")
    assert text.returncode == 0 and page.returncode == 0, text.stderr + page.stderr
    return {"text": text.stdout, "html": page.stdout}


def test_picks_are_words_from_one_helper():
    assert grading.picks_text({"adj_r_squared": 11, "cp": 8, "bic": 6}) == "adj. R² picks 11, Cp 8, BIC 6"
    got = {"by_size": {"1": {"features": ["a"], "rss": 1.0}}, "chosen": {"adj_r_squared": 1, "cp": 1, "bic": 1}}
    ref = {"by_size": {"1": {"features": ["a"], "rss": 1.0}}, "chosen": {"adj_r_squared": 2, "cp": 1, "bic": 1}}
    grade = grading.grade_subset(got, ref, pass_digits=6)["grade"]
    assert "{" not in grade and "adj. R² picks 1, Cp 1, BIC 1 where the reference's adj. R² picks 2" in grade
    # a grade stored by an older mlbench is said in the same words
    assert summary.grade_words(OLD_GRADE) == ("differs", "adj. R² picks 11, Cp 8, BIC 6 where the reference's "
                                                         "adj. R² picks 10, Cp 8, BIC 6")


def test_no_python_dict_in_either_report(shown):
    for where, text in shown.items():
        assert "{'adj_r_squared'" not in text and "chosen sizes" not in text, where
        assert "adj. R² picks 11, Cp 8, BIC 6" in text, where


def test_one_grade_vocabulary_in_terminal_and_html(shown):
    html, text = shown["html"], shown["text"]
    assert ">deviation<" not in html  # the old HTML-only word
    badges = set(re.findall(r'<span class="badge b-(?:ok|bad)">([^<]*)</span>', html))
    assert "differs" in badges and "agrees" in badges
    assert re.search(r"\bdiffers\b", text) and re.search(r"\bagrees\b", text)
    # every grade word the HTML shows is a word the terminal shows
    grade_words = badges - {"ok", "error", "timeout", "native", "emulated", "unsupported", "skipped"}
    assert grade_words and all(word in text for word in grade_words)


def test_underflowed_p_values_are_explained_in_sight(shown):
    note = "spark: reports p = 0 for Intercept, TV, Radio"
    assert note in shown["text"]
    html = shown["html"]
    assert re.search(r'<p class="note"><sup>\d+</sup> ' + re.escape(note), html), "the note is not shown"
    assert re.search(r"&lt; 2e-16<sup>\d+</sup>", html)  # the cells point to it


def test_xgboost_cpu_is_xgboost():
    assert missing_libraries({"xgboost": None, "xgboost-cpu": "3.2.0", "onnx": None}) == ["onnx"]
    assert missing_libraries({"xgboost": "3.2.0", "xgboost-cpu": None}) == []
    assert missing_libraries({"xgboost": None, "xgboost-cpu": None}) == ["xgboost"]


def test_html_does_not_call_an_installed_xgboost_missing(shown, regraded):
    libraries = json.loads((regraded / "run.json").read_text())["environment"]["libraries"]
    assert libraries["xgboost"] is None and libraries["xgboost-cpu"]
    found = re.search(r"Not installed: ([^<]*)<", shown["html"])
    assert found is None or "xgboost" not in found.group(1)
