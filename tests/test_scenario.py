"""Scenario YAML: strict validation with errors that name the key and the file; `extends`."""

from __future__ import annotations

import pytest

from mlbench import scenario
from mlbench.errors import MlbenchError


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_pvalues_scenario_loads():
    spec = scenario.load("pvalues")
    assert spec.steps[0].step == "pvalues" and spec.steps[0].alpha == 0.05


def test_unknown_key_names_key_and_file(tmp_path):
    path = _write(tmp_path, "bad.yaml", "name: x\nsteps:\n  - step: pvalues\n    alpah: 0.1\n")
    with pytest.raises(MlbenchError) as info:
        scenario.load(str(path))
    assert "'alpah'" in str(info.value) and "bad.yaml" in str(info.value)


def test_unknown_top_level_key(tmp_path):
    path = _write(tmp_path, "top.yaml", "name: x\nrepeat: 3\nsteps: [{step: pvalues}]\n")
    with pytest.raises(MlbenchError, match="unknown key 'repeat'"):
        scenario.load(str(path))


def test_malformed_yaml_says_where(tmp_path):
    path = _write(tmp_path, "broken.yaml", "name: x\nsteps: [\n")
    with pytest.raises(MlbenchError, match=r"broken.yaml: malformed YAML \(line"):
        scenario.load(str(path))


def test_unknown_step_and_wrong_type(tmp_path):
    with pytest.raises(MlbenchError, match=r"steps\.0"):
        scenario.load(str(_write(tmp_path, "s.yaml", "name: x\nsteps: [{step: nope}]\n")))
    with pytest.raises(MlbenchError, match="alpha"):
        scenario.load(str(_write(tmp_path, "t.yaml", "name: x\nsteps: [{step: pvalues, alpha: 2}]\n")))


def test_extends_overrides_top_level_keys(tmp_path):
    _write(tmp_path, "base.yaml", "name: base\nrepeats: 3\nsteps: [{step: pvalues, alpha: 0.1}]\n")
    child = _write(tmp_path, "child.yaml", f"extends: {tmp_path / 'base.yaml'}\nname: child\n")
    spec = scenario.load(str(child))
    assert (spec.name, spec.repeats, spec.steps[0].alpha) == ("child", 3, 0.1)


def test_yaml_is_loaded_safely(tmp_path):
    path = _write(tmp_path, "evil.yaml", "name: !!python/object/apply:os.system ['echo pwned']\nsteps: []\n")
    with pytest.raises(MlbenchError, match="malformed YAML"):
        scenario.load(str(path))
