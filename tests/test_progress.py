"""Progress tells the truth about a run: cells counted when they finish (not when they start), the running cell's
own start time, and how far an emulated search is inside its cell (fits of its bound, sizes done)."""

from __future__ import annotations

import copy
import re

import mlbench.runner
from mlbench import api
from tests.conftest import run_cli


def test_progress_counts_finished_cells_and_reports_inside_a_search(tmp_path, monkeypatch):
    monkeypatch.setattr(mlbench.runner, "DETAIL_EVERY_S", 0.0)  # every in-cell report passed on
    states = []
    request = api.RunRequest(scenario="feature-selection", dataset="hitters", adapters=["statsmodels", "sklearn"],
                             methods=["forward"], isolation="inline", out=tmp_path)
    outcome = api.run(request, progress=lambda state: states.append(copy.copy(state)))
    assert outcome.exit_code == 0
    total = states[-1].total
    assert total == 2 * 3  # two platforms x (pvalues, vif, subset/forward)
    assert states[-1].done == total
    starts = [s for s in states if s.message.endswith(" 1/1") and not s.detail]  # a cell begins
    assert [s.done for s in starts] == list(range(total)), [(s.message, s.done) for s in starts]
    assert all(s.cell_started is not None for s in starts)
    assert all(s.cell_started is None for s in states if s.message.endswith(" done"))
    inside = [s for s in states if s.detail]
    search = [s for s in inside if s.message.startswith("statsmodels: subset/forward")]  # emulated there
    assert search, [s.detail for s in inside]
    fits = [int(re.match(r"fits ([\d,]+)/190, sizes (\d+)/19", s.detail).group(1)) for s in search]
    assert fits == sorted(fits) and fits[-1] == 190  # Hitters: 19 + 18 + ... + 1 forward fits
    assert any(re.fullmatch(r"auxiliary fit \d+/19", s.detail) for s in inside)  # sklearn's emulated VIF


def test_piped_progress_counts_finished_cells(tmp_path):
    proc = run_cli("run", "pvalues", "--adapters", "statsmodels,sklearn", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("· [")]
    assert any(line.startswith("· [0/2] statsmodels: pvalues on advertising 1/1") for line in lines), lines
    assert any(line.startswith("· [1/2] sklearn: pvalues on advertising 1/1") for line in lines), lines
    assert lines[-1].startswith("· [2/2]"), lines
