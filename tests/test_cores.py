"""The core sweep (`mlbench run train --cores 1,2`): the list parsed and checked, every training cell timed once
per core count in a session of its own, records carrying the count, speed-up and parallel efficiency recomputed
here from the recorded fit times, the table in the terminal and the HTML report (with its chart)."""

from __future__ import annotations

import io
import os
import statistics

import pytest
from rich.console import Console

from mlbench import api, limits
from mlbench.adapter import SessionOptions
from mlbench.errors import MlbenchError
from mlbench.platforms.h2o import H2OAdapter
from mlbench.platforms.spark import SparkAdapter
from mlbench.platforms.xgboost import XGBoostAdapter
from mlbench.reports import summary
from mlbench.reports.details.cores import core_tables
from mlbench.reports.table import RunView
from tests.conftest import expect_usage_error, run_cli

MACHINE = os.cpu_count() or 1
SCENARIO = ("name: sweep\nsizes: ['1500']\ntest_rows: 300\nrepeats: 2\nwarmup: 0\nsteps:\n"
            "  - step: train\n    task: classification\n    models: [random_forest]\n    trees: 10\n"
            "    max_depth: 4\n    features: 5\n")


def test_a_core_list_parses_sorted_and_one_count_stays_one():
    assert limits.parse_cores("1") == [1]
    if MACHINE >= 2:
        assert limits.parse_cores(" 2, 1") == [1, 2]
    assert limits.check_cores([2, 1], machine=2) == [1, 2]
    assert limits.check_cores([1], machine=2) == [1]
    for bad, needle in (([0], "out of range"), ([-1], "out of range"), ([3], "machine's 2 cores"),
                        ([1, 1], "twice"), ([], "at least one")):
        with pytest.raises(MlbenchError, match=needle):
            limits.check_cores(bad, machine=2)
    for text in ("a", "1,two", "1.5", "1,,2"):
        with pytest.raises(MlbenchError, match="not a whole number"):
            limits.parse_cores(text)


@pytest.mark.parametrize(("cores", "needle"), [("0", "out of range"), ("-1", "out of range"),
                                               (f"1,{MACHINE + 1}", "out of range"), ("1,x", "not a whole number")])
def test_a_bad_core_list_is_one_line_and_exit_2(cores, needle, tmp_path):
    expect_usage_error(run_cli("run", "train", "--adapters", "sklearn", "--cores", cores, "--out", str(tmp_path)),
                       needle)


def test_a_statistics_step_takes_one_core_count(tmp_path):
    with pytest.raises(MlbenchError, match="a core sweep times the training steps; this run also has pvalues"):
        api.run(api.RunRequest(scenario="pvalues", adapters=["statsmodels"], cores=[1, 2], isolation="inline",
                               out=tmp_path))


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """sklearn and xgboost random forests timed at 1 and 2 cores (inline: the sessions are in this process)."""
    if MACHINE < 2:
        pytest.skip("a sweep of 1,2 needs two cores")
    tmp = tmp_path_factory.mktemp("sweep")
    scenario = tmp / "sweep.yaml"
    scenario.write_text(SCENARIO)
    return api.run(api.RunRequest(scenario=str(scenario), adapters=["sklearn", "xgboost"], cores=[1, 2],
                                  isolation="inline", out=tmp))


def _fit_times(records, adapter, cores):
    return [r["wall_s"] for r in records if r["adapter"] == adapter and r["phase"] == "fit" and r["cores"] == cores
            and r["status"] == "ok" and not r["is_warmup"]]


def test_a_sweep_records_each_count_in_a_session_of_its_own(sweep):
    records = sweep.records
    assert sweep.manifest["cores"] == [1, 2]
    for adapter in ("sklearn", "xgboost"):
        sessions = [r["cores"] for r in records if r["adapter"] == adapter and r["phase"] == "session"]
        assert sessions == [1, 2]  # one session per count, the smaller first
        assert all(r["restart"] == 0 for r in records if r["adapter"] == adapter)  # not taken for restarts
        for cores in (1, 2):
            assert len(_fit_times(records, adapter, cores)) == 2  # the scenario's repeats at each count
    assert {r["cores"] for r in records} == {1, 2}


def test_efficiency_is_t1_over_n_t_n_from_the_recorded_times(sweep):
    rows = summary.core_sweep(sweep.records)
    assert {(r["adapter"], r["model"]) for r in rows} == {("sklearn", "random_forest"), ("xgboost", "random_forest")}
    for row in rows:
        t1 = statistics.median(_fit_times(sweep.records, row["adapter"], 1))
        t2 = statistics.median(_fit_times(sweep.records, row["adapter"], 2))
        assert row["points"][1]["speedup"] == pytest.approx(1.0)
        assert row["points"][2]["speedup"] == pytest.approx(t1 / t2, rel=1e-12)
        assert row["points"][2]["efficiency"] == pytest.approx(t1 / (2 * t2), rel=1e-12)


def test_the_other_tables_show_the_sweep_at_its_most_cores(sweep):
    points = {p["adapter"]: p for p in summary.train_points(sweep.records)}
    for adapter in ("sklearn", "xgboost"):
        assert sorted(points[adapter]["fit_times"]) == sorted(_fit_times(sweep.records, adapter, 2))


def test_the_sweep_table_in_the_terminal_and_html(sweep):
    layouts = core_tables(RunView(sweep.manifest, sweep.records))
    assert len(layouts) == 1
    table = layouts[0][0][0]
    assert table.title.startswith("Scaling with cores (classification, 1,500 rows)")
    assert [c.header for c in table.columns][2:] == [f"{g}\n{w}" for g in ("1 core", "2 cores")
                                                     for w in ("fit s", "speed-up", "efficiency")]
    row = next(r for r in summary.core_sweep(sweep.records) if r["adapter"] == "sklearn")
    cells = next(cells for cells in table.rows if cells[0] == "sklearn")
    assert cells[7].text == f"{row['points'][2]['efficiency']:.2f}"
    assert cells[6].text == f"{row['points'][2]['speedup']:.2f}x"
    from mlbench.reports.console import render_run

    console = Console(file=io.StringIO(), width=200, color_system=None)
    render_run(console, sweep.manifest, sweep.records)
    text = console.file.getvalue()
    assert "Scaling with cores (classification, 1,500 rows)" in text and "efficiency" in text
    from mlbench.reports.html.page import render_html

    page = render_html(sweep.manifest, sweep.records)
    assert "Scaling with cores (classification, 1,500 rows)" in page
    assert "Speed-up with cores (classification, 1,500 rows)" in page and "perfectly parallel" in page


def test_one_count_makes_no_sweep_table(tmp_path):
    scenario = tmp_path / "one.yaml"
    scenario.write_text(SCENARIO.replace("repeats: 2", "repeats: 1"))
    outcome = api.run(api.RunRequest(scenario=str(scenario), adapters=["sklearn"], cores=1, isolation="inline",
                                     out=tmp_path))
    assert {r["cores"] for r in outcome.records} == {1} and outcome.manifest["cores"] == [1]
    assert summary.core_sweep(outcome.records) == [] and core_tables(RunView(outcome.manifest, outcome.records)) == []


def test_cores_fixed_by_a_cluster_are_said_in_words(monkeypatch, tmp_path):
    joined = SessionOptions(run_dir=tmp_path, h2o_url="http://user:secret@example.org:54321")
    assert H2OAdapter.fixed_cores(joined) == "fixed by the cluster at http://***@example.org:54321"
    assert H2OAdapter.fixed_cores(SessionOptions(run_dir=tmp_path)) is None
    assert SparkAdapter.fixed_cores(SessionOptions(run_dir=tmp_path, spark_master="local[2]")) is None
    assert "fixed by the cluster" in SparkAdapter.fixed_cores(
        SessionOptions(run_dir=tmp_path, spark_master="spark://example.org:7077"))
    # --cores given: a standalone master's application is sized (executors of one core), any other cluster is not
    assert SparkAdapter.fixed_cores(
        SessionOptions(run_dir=tmp_path, spark_master="spark://example.org:7077", cores_given=True)) is None
    assert "fixed by the cluster" in SparkAdapter.fixed_cores(
        SessionOptions(run_dir=tmp_path, spark_master="yarn", cores_given=True))
    # such an adapter runs once in a sweep, its records' cores None, its row saying why
    monkeypatch.setattr(XGBoostAdapter, "fixed_cores", classmethod(lambda cls, options: "fixed by the cluster"))
    if MACHINE < 2:
        pytest.skip("a sweep of 1,2 needs two cores")
    scenario = tmp_path / "sweep.yaml"
    scenario.write_text(SCENARIO.replace("repeats: 2", "repeats: 1"))
    outcome = api.run(api.RunRequest(scenario=str(scenario), adapters=["sklearn", "xgboost"], cores=[1, 2],
                                     isolation="inline", out=tmp_path))
    xgb = [r for r in outcome.records if r["adapter"] == "xgboost"]
    assert {r["cores"] for r in xgb} == {None} and len([r for r in xgb if r["phase"] == "fit"]) == 1
    assert next(r for r in xgb if r["phase"] == "session")["result"]["cores_fixed"] == "fixed by the cluster"
    table = core_tables(RunView(outcome.manifest, outcome.records))[0][0][0]
    cells = next(cells for cells in table.rows if cells[0] == "xgboost")
    assert cells[3].note == "fixed by the cluster: timed once, at the cluster's cores"


def test_counts_above_the_machine_are_executors_only_for_spark_alone_on_a_standalone_master(tmp_path):
    big = [1, 2, 8] if MACHINE < 8 else [1, 2, MACHINE + 8]
    request = api.RunRequest(scenario="train", adapters=["spark"], cores=big, spark_master="spark://127.0.0.1:7077",
                             out=tmp_path)
    assert api._core_counts(request, []) == big
    for adapters, master in ((["spark", "sklearn"], "spark://127.0.0.1:7077"), (["spark"], "local[2]")):
        with pytest.raises(MlbenchError, match="this machine's"):
            api._core_counts(api.RunRequest(scenario="train", adapters=adapters, cores=big, spark_master=master,
                                            out=tmp_path), [])


def test_a_sized_application_waits_for_its_executors_and_says_when_the_cluster_has_too_few():
    class Tracker:  # what pyspark's status tracker answers: the driver's entry and one per executor
        def __init__(self, executors):
            self.infos = ["driver", *["executor"] * executors]

        def getExecutorInfos(self):  # noqa: N802 - the JVM's method name
            return self.infos

    class Context:
        def __init__(self, executors):
            tracker = Tracker(executors)
            self._jsc = type("J", (), {"sc": lambda _self: type("S", (), {"statusTracker": lambda _s: tracker})()})()

    adapter = SparkAdapter()
    adapter._master = "spark://user:secret@127.0.0.1:7077"
    adapter._sc = Context(2)
    adapter._await_executors(2, timeout=0.5)  # granted: returns at once
    with pytest.raises(RuntimeError, match=r"granted 2 of 3 one-core executors within 0.3 s") as caught:
        adapter._await_executors(3, timeout=0.3)
    assert "secret" not in str(caught.value)


def test_a_resumed_sweep_knows_which_count_a_finished_repeat_ran_at():
    from mlbench.results import finished_cells

    record = {"adapter": "sklearn", "dataset": "d", "step": "train", "variant": "random_forest", "repeat": 0,
              "phase": "predict", "status": "ok", "cores": 1}
    done = finished_cells([record])
    assert ("sklearn", "d", "train", "random_forest", 0, 1) in done
    assert ("sklearn", "d", "train", "random_forest", 0, 2) not in done  # the 2-core repeat still runs
