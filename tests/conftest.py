"""Shared fixtures: R's reference answers (copied into tests/reference with provenance) and the CLI runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REFERENCE_DIR = Path(__file__).parent / "reference"

# The suite runs on two pytest-xdist workers (pyproject's addopts: -n 2 --dist loadgroup --no-loadscope-reorder):
# serially it keeps 1.2 of the 2 cores busy (the rest is waiting on subprocesses and JVM starts). Each file is one
# unit of work, so its module fixtures (a Spark session, a scenario run) are made once; the files whose tests use the
# one H2O session (adapters/conftest.py `h2o_session`) are one unit, so one worker starts one H2O JVM for all of
# them. The longest units go first (their times in a serial run, 2026-12-07), so the last minutes are not one long
# file on one worker while the other idles.
H2O_SESSION_UNIT = "h2o-session"
LONGEST_FIRST = ["tests/test_r_data.py", "tests/test_accuracy.py", H2O_SESSION_UNIT, "tests/test_platforms_cli.py",
                 "tests/adapters/test_conformance.py", "tests/test_multinode.py", "tests/adapters/test_spark.py",
                 "tests/adapters/test_tensorflow.py", "tests/test_platform_death.py", "tests/test_html_browser.py",
                 "tests/test_bad_inputs.py", "tests/test_isolation.py", "tests/test_glm_platform_runs.py",
                 "tests/test_no_intercept.py"]


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    sharing_h2o = {item.path for item in items if "h2o_session" in getattr(item, "fixturenames", ())}
    units = {item.nodeid: H2O_SESSION_UNIT if item.path in sharing_h2o
             else item.path.relative_to(config.rootpath).as_posix() for item in items}
    for item in items:
        item.add_marker(pytest.mark.xdist_group(units[item.nodeid]))
    rank = {unit: i for i, unit in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(units[item.nodeid], len(rank)))  # stable: the rest keep their order


@pytest.fixture(scope="session")
def r_advertising() -> dict:
    return json.loads((REFERENCE_DIR / "advertising.json").read_text())


@pytest.fixture(scope="module")
def advertising(tmp_path_factory):
    """(design, source) of the built-in Advertising data, written where adapters read it."""
    from tests.helpers import materialise

    return materialise("advertising", tmp_path_factory.mktemp("advertising"))


@pytest.fixture(scope="session")
def r_hitters_subsets() -> dict:
    return json.loads((REFERENCE_DIR / "hitters_best_subset_partial.json").read_text())


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600, env: dict | None = None):
    """Run the real `mlbench` command in a subprocess (as a user would), returning CompletedProcess."""
    inherited = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}  # xdist's workers set 80
    full_env = {**inherited, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "mlbench", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env=full_env,
    )


def run_json(*args: str, **kwargs) -> list[dict]:
    """A `mlbench ... --json` that must succeed (exit 0): its stdout read as the JSON it must be and nothing else
    (a run's records, one per cell and phase)."""
    proc = run_cli(*args, **kwargs)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def expect_usage_error(proc, needle: str) -> None:
    """Bad input as mlbench answers it: exit 2, no traceback, one line on stderr that says `needle`."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0], lines[0]


def assert_rel(value: float, expected: float, tol: float = 1e-8) -> None:
    assert abs(value - expected) <= tol * abs(expected), f"{value!r} != {expected!r} (rel tol {tol})"


# The JVMs the tests start (H2O, Spark drivers and standalone daemons, through every subprocess) compile with
# HotSpot's first tier only: short-lived JVMs on 2 cores spend much of their start in the optimising compiler,
# and no test measures a JVM's speed (benchmarks/ do, without this). Results are the same: Java's floating point
# does not depend on the compiler tier.
os.environ.setdefault("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1")


# R's own answers: glm with its defaults and with a stopping rule at machine precision, drop1(test = "LRT"),
# step() backward from the full model and forward from the intercept, car::vif. Levels sort in the C locale,
# as mlbench's design sorts them (Bikeshare's hr read as text: its 24 levels, baseline "0").
R_GLM_SCRIPT = r"""
suppressMessages({library(jsonlite); library(car)})
invisible(Sys.setlocale("LC_COLLATE", "C"))
args <- commandArgs(trailingOnly = TRUE)
answer <- function(d, formula, family) {  # calls with the data and family in them: step() re-evaluates its call
  fit <- eval(bquote(glm(.(formula), family = .(family), data = .(d))))
  tight <- glm(formula, family = family, data = d, control = glm.control(epsilon = 1e-15, maxit = 100))
  d1 <- drop1(fit, test = "LRT")
  full_aic <- step(fit, direction = "backward", trace = 0)
  null <- eval(bquote(glm(.(update(formula, . ~ 1)), family = .(family), data = .(d))))
  fwd <- step(null, scope = formula, direction = "forward", trace = 0)
  gvif <- function(v) if (is.matrix(v)) as.list(setNames(v[, 1], rownames(v))) else as.list(v)
  list(terms = names(coef(fit)), estimate = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
       tight_estimate = unname(coef(tight)), tight_se = unname(sqrt(diag(vcov(tight)))),
       deviance = deviance(fit), null_deviance = fit$null.deviance, aic = AIC(fit), iter = fit$iter,
       drop1 = list(term = rownames(d1)[-1], df = d1$Df[-1], deviance = d1$Deviance[-1], aic = d1$AIC[-1],
                    lrt = d1$LRT[-1], p = d1[["Pr(>Chi)"]][-1]),
       backward = attr(terms(full_aic), "term.labels"), forward = attr(terms(fwd), "term.labels"),
       vif = gvif(vif(fit)), tight_vif = gvif(vif(tight)))
}
d <- read.csv(args[1], stringsAsFactors = TRUE)
default <- answer(d, default ~ student + balance + income, binomial)
b <- read.csv(args[2], colClasses = c(hr = "character"))
b <- b[, c("mnth", "hr", "workingday", "temp", "weathersit", "bikers")]
for (col in c("mnth", "hr", "weathersit")) b[[col]] <- factor(b[[col]])
bikeshare <- answer(b, bikers ~ mnth + hr + workingday + temp + weathersit, poisson)
cat(toJSON(list(default = default, bikeshare = bikeshare), digits = NA, auto_unbox = TRUE))
"""


@pytest.fixture(scope="session")
def r_glm(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """R's answers on ISLR2's Default and Bikeshare (R_GLM_SCRIPT), once per test session: shared by the truth's
    tests (test_glm_selection) and the real platforms' runs (test_glm_platform_runs, adapters/test_glm_jvm)."""
    import shutil

    from mlbench.datasets import DATA_DIR

    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed")
    script = tmp_path_factory.mktemp("r-glm") / "glm.R"
    script.write_text(R_GLM_SCRIPT)
    proc = subprocess.run(["Rscript", "--no-init-file", str(script), str(DATA_DIR / "default.csv"),
                           str(DATA_DIR / "bikeshare.csv")], capture_output=True, text=True, timeout=300, check=True)
    return json.loads(proc.stdout)
