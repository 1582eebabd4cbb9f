"""`mlbench run --set step.param=value`: any parameter of a scenario step, from the step table, beside the named
flags (--alpha, --vif-threshold, ...)."""

from __future__ import annotations

import json

import pytest

from mlbench import steps
from mlbench.errors import MlbenchError
from mlbench.scenario import load as load_scenario
from tests.conftest import run_cli


def _specs():
    return list(load_scenario("feature-selection").steps)


def test_set_changes_the_named_parameters_and_reads_numbers_and_lists():
    specs = steps.apply_settings(_specs(), {"vif": {"threshold": "5"}, "subset": {"methods": "best,forward",
                                                                                  "max_size": "3"}})
    by_step = {s.step: s for s in specs}
    assert by_step["vif"].threshold == 5.0 and by_step["vif"].by == "term"
    assert by_step["subset"].methods == ["best", "forward"] and by_step["subset"].max_size == 3
    assert by_step["pvalues"] == _specs()[0]  # untouched


@pytest.mark.parametrize(("text", "says"), [
    ("vif.treshold=5", "unknown parameter of step 'vif' in --set 'treshold'; did you mean 'threshold'?"),
    ("vif=5", "--set takes step.param=value"),
    ("nosuch.x=1", "unknown step 'nosuch'"),
])
def test_a_bad_setting_is_one_line_naming_what_is_known(text, says):
    with pytest.raises(MlbenchError) as caught:
        steps.parse_setting(text)
    assert says in str(caught.value)


def test_a_value_the_spec_refuses_or_a_step_not_in_the_scenario_is_an_error():
    with pytest.raises(MlbenchError, match=r"--set vif.threshold=0.5: "):
        steps.apply_settings(_specs(), {"vif": {"threshold": "0.5"}})
    with pytest.raises(MlbenchError, match="the scenario has no 'train' step"):
        steps.apply_settings(_specs(), {"train": {"features": "3"}})


def test_mlbench_run_with_set_stores_the_changed_step(tmp_path):
    proc = run_cli("run", "feature-selection", "--dataset", "advertising", "--adapters", "statsmodels",
                   "--set", "vif.threshold=5", "--set", "subset.methods=best", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = tmp_path.iterdir()
    manifest = json.loads((run_dir / "run.json").read_text())
    stored = {s["step"]: s for s in manifest["steps"]}
    assert stored["vif"]["threshold"] == 5.0 and stored["subset"]["methods"] == ["best"]
    assert manifest["request"]["settings"] == {"vif": {"threshold": "5"}, "subset": {"methods": "best"}}
    bad = run_cli("run", "feature-selection", "--set", "vif.treshold=5", "--out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "did you mean 'threshold'" in bad.stderr
