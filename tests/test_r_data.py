"""CSVs written by R's write.csv (dotted names, a row-names column) through every statistics adapter: no cell
fails on a column's name, and each platform's answer is graded against the exact reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

RDATA = Path(__file__).parent / "fixtures" / "rdata"
ADAPTERS = "statsmodels,sklearn,tensorflow,r,h2o,spark"


@pytest.mark.h2o
@pytest.mark.spark
@pytest.mark.parametrize(("name", "target", "dotted"), [("swiss", "Fertility", "Infant.Mortality"),
                                                         ("longley", "Employed", "GNP.deflator")])
def test_dotted_names_from_r_work_on_every_adapter(tmp_path, name, target, dotted):
    proc = run_cli("run", "pvalues", "--data", str(RDATA / f"{name}.csv"), "--target", target, "--adapters",
                   ADAPTERS, "--json", "--out", str(tmp_path), timeout=1200)
    assert proc.returncode in (0, 1), proc.stderr
    records = json.loads(proc.stdout)
    fits = {r["adapter"]: r for r in records if r["phase"] == "fit"}
    errors = {a: r["error"] for a, r in fits.items() if r["status"] == "error"}
    assert not errors, errors
    for adapter, fit in fits.items():
        if fit["status"] == "unsupported":  # e.g. an adapter not installed here
            continue
        assert dotted in fit["result"]["coefficients"], (adapter, list(fit["result"]["coefficients"]))
    # swiss is well conditioned: everyone agrees; on longley the float64 solvers that square the condition
    # number (Spark's normal equations, TensorFlow's fast lstsq) keep about 7 digits, and the grade says so
    agreeing = {a for a, fit in fits.items() if fit["status"] == "ok" and fit["deviation"]["agrees"]}
    assert {"statsmodels", "r"} <= agreeing
    if name == "swiss":
        assert agreeing == {a for a, fit in fits.items() if fit["status"] == "ok"}
