"""docs/architecture.md's recipes, proven in test code only: a new step and a new metric, each registered in one
place, run end to end through the real planner, runner, grader, store and reports. And the store's schema check."""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
import pytest

from mlbench import api, grading, steps
from mlbench.datasets import synthetic_task
from mlbench.errors import MlbenchError
from mlbench.results import load_run
from mlbench.stats import metrics
from mlbench.steps import StepKind, StepSpec


class FullRssStep(StepSpec):
    """A toy statistics step: the residual sum of squares of the full model."""

    step: Literal["full-rss"]
    scale: float = 1.0


@pytest.fixture
def toy_step(monkeypatch):
    monkeypatch.setattr(steps.table, "_KINDS", dict(steps.kinds()))  # registered for this test only
    return steps.register(StepKind(
        name="full-rss", spec=FullRssStep, statistics=True, support_from="pvalues",
        run=lambda spec, variant, fitter, ctx: {"rss": spec.scale * fitter.rss(ctx.features)},
        grade=lambda got, ref, digits, cap, truth: grading.grade_numbers(got, ref, digits, cap),
        headline=lambda rows: ("rss", rows[-1]["result"]["rss"] if rows[-1].get("result") else None),
    ))


def test_a_step_added_in_test_code_runs_graded_and_reported(toy_step, tmp_path, r_advertising):
    scenario = tmp_path / "toy.yaml"
    scenario.write_text("name: toy\ndataset: advertising\nsteps:\n  - step: full-rss\n    scale: 1.0\n")
    outcome = api.run(api.RunRequest(scenario=str(scenario), adapters=["statsmodels", "sklearn"],
                                     isolation="inline", out=tmp_path))
    fits = [r for r in outcome.records if r["phase"] == "fit"]
    assert {r["adapter"] for r in fits} == {"statsmodels", "sklearn"}
    rss = r_advertising["full_model"]["rss"]  # R's deviance(lm(Sales ~ TV + Radio + Newspaper))
    for record in fits:
        assert record["status"] == "ok" and record["support"] in ("native", "emulated")
        assert record["result"]["rss"] == pytest.approx(rss, rel=1e-10)
        assert record["deviation"]["agrees"] and record["deviation"]["min_digits"] >= 12
    manifest, records = load_run(outcome.run_dir)
    assert manifest["truth"]["advertising"]["answers"]["full-rss"]["rss"] == pytest.approx(rss, rel=1e-10)
    from mlbench.reports.summary import cell_rows

    rows = {r["adapter"]: r for r in cell_rows(records, manifest) if r["step"] == "full-rss"}
    assert rows["statsmodels"]["metric"] == "rss" and rows["statsmodels"]["metric_value"] == pytest.approx(rss)


def test_a_metric_added_in_test_code_is_computed_and_headlined(monkeypatch, tmp_path):
    monkeypatch.setattr(metrics, "METRICS", dict(metrics.METRICS))
    metrics.register(metrics.Metric("max_abs_error", "regression", higher_is_better=False, headline=True,
                                    compute=lambda y, pred: float(np.max(np.abs(y - pred)))))
    scenario = tmp_path / "train.yaml"
    scenario.write_text("name: t\nsizes: ['1000']\ntest_rows: 500\nsteps:\n"
                        "  - step: train\n    task: regression\n    models: [linear]\n")
    outcome = api.run(api.RunRequest(scenario=str(scenario), adapters=["sklearn"], isolation="inline",
                                     out=tmp_path))
    predict = next(r for r in outcome.records if r["phase"] == "predict")
    value = predict["result"]["metrics"]["max_abs_error"]
    # independently: sklearn's own fit of the same seeded data, scored on the same test rows
    from sklearn.linear_model import LinearRegression

    train, test = synthetic_task("regression", 1000, 10, 42).frame, synthetic_task("regression", 500, 10, 43).frame
    model = LinearRegression().fit(train.drop(columns="y"), train["y"])
    assert value == pytest.approx(float(np.max(np.abs(test["y"] - model.predict(test.drop(columns="y"))))))
    from mlbench.reports.wide import wide_rows

    row = next(r for r in wide_rows(outcome.records) if r["step"] == "train")
    assert row["metric"] == "max_abs_error" and row["metric_value"] == pytest.approx(value)


def test_a_run_stored_by_another_schema_is_refused_clearly(tmp_path):
    run_dir = tmp_path / "old-run"
    run_dir.mkdir()
    (run_dir / "records.jsonl").write_text(json.dumps({"schema_version": 1, "mlbench_version": "0.0.9"}) + "\n")
    (run_dir / "run.json").write_text("{}")
    with pytest.raises(MlbenchError, match=r"schema 1 \(mlbench 0.0.9\).*reads schema 2"):
        load_run(run_dir)
