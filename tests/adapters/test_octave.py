"""The GNU Octave adapter (statistics package: fitlm, regress, stepwisefit, logistic_regression) against R's
printed answers, the exact reference, closed forms and statsmodels.

Every test but the availability one talks to a real `octave-cli` process, and all of them share one: the
session-scoped `octave` fixture starts Octave once (~0.5 s with `pkg load statistics`) and loads each dataset as a
test asks for it. Without Octave (Debian: apt-get install octave octave-statistics) they skip, with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from mlbench import steps
from mlbench.adapter import DataSource, SessionOptions, TrainSpec
from mlbench.design import Design
from mlbench.errors import UnsupportedStep
from mlbench.grading import grade_subset
from mlbench.platforms.octave import STEPWISE_PREMOVE, OctaveAdapter, OctaveError
from mlbench.stats import metrics, procedures
from tests.conftest import assert_rel, run_cli
from tests.helpers import answer, context, materialise, reference_fitter, started
from tests.test_train import task_source

_available = OctaveAdapter.availability()
needs_octave = pytest.mark.skipif(not _available.ok, reason=f"octave adapter unavailable: {_available.reason}")

ADVERTISING = ["TV", "Radio", "Newspaper"]
TOL = 1e-8
SIZES = [str(k) for k in range(1, 20)]


@dataclass
class Session:
    """The one Octave session of the test run and the source it has loaded."""

    adapter: OctaveAdapter
    directory: Path
    loaded: str | None = None
    designs: dict[str, tuple[Design, DataSource]] = field(default_factory=dict)

    def use(self, name: str) -> tuple[Design, OctaveAdapter]:
        """The session with built-in dataset `name` loaded (loaded once per switch)."""
        if name not in self.designs:
            self.designs[name] = materialise(name, self.directory / name)
        design, source = self.designs[name]
        if self.loaded != name:
            self.adapter.load(source)
            self.loaded = name
        return design, self.adapter

    def use_source(self, source: DataSource) -> OctaveAdapter:
        if self.loaded != source.name:
            self.adapter.load(source)
            self.loaded = source.name
        return self.adapter


@pytest.fixture(scope="session")
def octave(tmp_path_factory) -> Iterator[Session]:
    if not _available.ok:
        pytest.skip(f"octave adapter unavailable: {_available.reason}")
    directory = tmp_path_factory.mktemp("octave")
    adapter = OctaveAdapter()
    adapter.start_session(SessionOptions(run_dir=directory, log_path=directory / "platform.log"))
    try:
        yield Session(adapter, directory)
    finally:
        adapter.close()


def test_availability_says_what_is_missing_in_one_line(monkeypatch):
    import mlbench.platforms.octave as octave_module
    from mlbench import environment

    octave_module._octave_problem.cache_clear()
    octave_module._octave_version.cache_clear()
    try:
        monkeypatch.setattr(octave_module.shutil, "which", lambda _: None)
        monkeypatch.setattr(environment.shutil, "which", lambda _: None)
        found = OctaveAdapter.availability()
        assert not found.ok and found.reason == "GNU Octave not installed: apt-get install octave octave-statistics"
        assert OctaveAdapter.platform_version() is None
        for step, variant in [("pvalues", None), ("subset", "forward"), ("train", "linear")]:
            assert steps.capability(OctaveAdapter, step, variant).support.value == "native"
    finally:
        octave_module._octave_problem.cache_clear()
        octave_module._octave_version.cache_clear()


def test_declarations_say_what_runs_and_why_not():
    expected = {("pvalues", None): "native", ("vif", None): "emulated", ("subset", "forward"): "native",
                ("subset", "backward"): "emulated", ("subset", "best"): "emulated", ("train", "linear"): "native",
                ("train", "logistic"): "native", ("train", "random_forest"): "unsupported",
                ("train", "gbm"): "unsupported", ("deploy", None): "unsupported"}
    for (step, variant), support in expected.items():
        assert steps.capability(OctaveAdapter, step, variant).support.value == support, (step, variant)
    forward = steps.capability(OctaveAdapter, "subset", "forward").how
    assert "penter = 0.999999" in forward and "premove = 1" in forward and "'p'" in forward
    assert "InModel" in steps.capability(OctaveAdapter, "subset", "backward").reason
    assert "no model export format" in steps.capability(OctaveAdapter, "deploy").reason


@needs_octave
def test_session_reports_octave_and_statistics_versions(octave):
    facts = octave.adapter.describe()
    assert facts["octave_version"] == OctaveAdapter.platform_version()
    major, minor, _ = (int(part) for part in facts["statistics_version"].split("."))
    assert (major, minor) >= (1, 5)  # fitlm arrived in statistics 1.5.0


@needs_octave
def test_advertising_pvalues_equal_r(octave, r_advertising):
    """fitlm's table equals R's summary(lm()); its p-values below 1e-12 are 0 or eps multiples (1 - tcdf)."""
    design, adapter = octave.use("advertising")
    expected = r_advertising["full_model"]
    fit = adapter.ols(ADVERTISING)
    assert fit.terms == ["Intercept", *ADVERTISING]
    for term, got in fit.coefficients().items():
        want = expected["coefficients"]["(Intercept)" if term == "Intercept" else term]
        for key in ("estimate", "std_error", "t_value"):
            assert_rel(got[key], want[key], TOL)
        if want["p_value"] < 1e-12:  # 2 * (1 - tcdf(|t|)): what is left of 1 - cdf near 1 is 0 or k * eps
            assert got["p_value"] < 1e-15 and got["p_value"] / np.finfo(float).eps == round(got["p_value"] / 2**-52)
        else:
            assert_rel(got["p_value"], want["p_value"], TOL)
    assert fit.coefficients()["TV"]["p_value"] == 2**-52  # R: 1.5e-81
    for key in ("r_squared", "adj_r_squared", "f_statistic", "rss"):
        assert_rel(getattr(fit, key), expected[key], TOL)
    assert (fit.df_model, fit.df_resid, fit.n_obs) == (3, 196, 200)
    result = procedures.pvalues(adapter, design.features, alpha=0.05)
    assert result["dropped"] == ["Newspaper"] and result["kept"] == ["TV", "Radio"]
    assert_rel(result["refit"]["adj_r_squared"], r_advertising["reduced_model_tv_radio"]["adj_r_squared"], TOL)


@needs_octave
def test_advertising_vif_emulated_from_regress_equals_car_vif(octave, r_advertising):
    design, adapter = octave.use("advertising")
    result = answer(adapter, "vif", design, threshold=10)
    for name, expected in r_advertising["vif_full_model"].items():
        assert_rel(result["vif"][name], expected, TOL)
    assert_rel(1 / (1 - adapter.r_squared(["Newspaper"], "TV")), r_advertising["vif_tv_regressed_on_newspaper"], TOL)


@needs_octave
def test_intercept_only_model_is_the_t_test_of_the_mean(octave):
    design, adapter = octave.use("advertising")
    fit = adapter.ols([])
    y = design.y
    n = len(y)
    assert fit.terms == ["Intercept"] and fit.df_model == 0 and fit.df_resid == n - 1 and math.isnan(fit.f_statistic)
    assert_rel(fit.estimate[0], float(np.mean(y)), 1e-14)
    assert_rel(fit.std_error[0], float(np.std(y, ddof=1) / math.sqrt(n)), 1e-12)
    assert_rel(fit.rss, float(np.sum((y - y.mean()) ** 2)), 1e-12)


@needs_octave
def test_no_fit_through_the_origin(octave):
    _, adapter = octave.use("advertising")
    adapter.intercept = False
    try:
        with pytest.raises(UnsupportedStep, match="always fits an intercept"):
            adapter.ols(["TV"])
        tv = octave.designs["advertising"][0].frame["TV"].to_numpy()
        sales = octave.designs["advertising"][0].y
        slope = float(tv @ sales / (tv @ tv))  # the closed form of y ~ 0 + x
        assert_rel(adapter.rss(["TV"]), float(np.sum((sales - slope * tv) ** 2)), 1e-12)  # regress has no ones column
    finally:
        adapter.intercept = True


@needs_octave
def test_hitters_forward_stepwisefit_is_the_rss_path(octave):
    """stepwisefit by partial p-value ('p'), traced to the end, visits the truth's RSS-greedy forward path."""
    design, adapter = octave.use("hitters")
    got = procedures.subset(adapter, context(design, "native"), "forward", None, 20000)
    ref = procedures.subset(reference_fitter(design), context(design, "reference"), "forward", None, 20000)
    assert got["fits"] is None  # stepwisefit searched: mlbench drove no fits
    for size in SIZES:
        assert set(got["by_size"][size]["features"]) == set(ref["by_size"][size]["features"]), size
        assert_rel(got["by_size"][size]["rss"], ref["by_size"][size]["rss"], TOL)
    verdict = grade_subset(got, ref, 6)
    assert verdict["agrees"] and verdict["sizes_agree"] == 19 and verdict["chosen_same"], verdict["grade"]


@needs_octave
def test_hitters_stepwisefit_by_correlation_is_another_path(octave):
    """Octave's default method 'corr' ranks candidates by correlation with the residuals, not by partial F: on
    Hitters it leaves the RSS path at size 5 (Walks where the truth adds AtBat); its defaults stop there."""
    design, adapter = octave.use("hitters")
    ref = procedures.subset(reference_fitter(design), context(design, "reference"), "forward", None, 20000)
    columns = list(range(1, len(design.features) + 1))
    corr = [design.features[i - 1] for i in adapter._call("stepwise", features=columns, penter=0.999999,
                                                             premove=STEPWISE_PREMOVE, method="corr")["order"]]
    assert corr[:4] == ref["by_size"]["4"]["features"] or set(corr[:4]) == set(ref["by_size"]["4"]["features"])
    assert set(corr[:5]) != set(ref["by_size"]["5"]["features"]) and corr[4] == "Walks"
    defaults = adapter._call("stepwise", features=columns, penter=0.05, premove=0.1, method="corr")["order"]
    assert [design.features[i - 1] for i in defaults] == ["CRBI", "Hits", "PutOuts", "DivisionW", "Walks"]


@needs_octave
def test_hitters_backward_emulated_on_regress_equals_the_reference(octave):
    """Backward (and best: the conformance kit, on Advertising) are mlbench's searches over regress fits; best on
    Hitters is not run here (thousands of fits, one request each)."""
    method = "backward"
    design, adapter = octave.use("hitters")
    got = answer(adapter, "subset", design, method, methods=[method], max_fits=20000)
    ref = procedures.subset(reference_fitter(design), context(design, "reference"), method, None, 20000)
    with pytest.raises(UnsupportedStep, match="starts from the empty model"):
        adapter.subset(method, design.features, 19)
    verdict = grade_subset(got, ref, 6)
    assert verdict["agrees"] and verdict["sizes_agree"] == 19, verdict["grade"]


@needs_octave
def test_collinear_columns_are_answered_as_octave_does_and_its_warnings_logged(octave, tmp_path):
    """Octave has no aliasing: fitlm on an exactly collinear design warns ("matrix singular to machine precision")
    and answers what its singular triangular solve gives (estimates of 1e14 here); its warnings go to the platform
    log, never into the protocol, and the session goes on."""
    import pandas as pd

    rng = np.random.default_rng(7)
    a, b = np.round(rng.normal(size=(2, 40)) * 2**20) / 2**20  # dyadic: a + b is exact, so exactly collinear
    frame = pd.DataFrame({"a": a, "b": b, "s": a + b, "y": 1 + a - 2 * b + rng.normal(size=40)})
    frame.to_parquet(tmp_path / "c.parquet", index=False)
    source = DataSource("collinear", tmp_path / "c.parquet", tmp_path / "c.csv", "y", ["a", "b", "s"], 40)
    adapter = octave.use_source(source)
    fit = adapter.ols(["a", "b", "s"])
    assert fit.aliased == [] and max(map(abs, fit.estimate)) > 1e10  # the truth: b + s and a + s not identified
    assert "matrix singular to machine precision" in (octave.directory / "platform.log").read_text()
    assert_rel(adapter.ols(["a", "b"]).estimate[1], float(np.linalg.lstsq(
        np.column_stack([np.ones(40), a, b]), frame["y"].to_numpy(), rcond=None)[0][1]), 1e-10)
    with pytest.raises(ValueError, match="not a feature"):
        adapter.ols(["nope"])


@needs_octave
def test_training_equals_independent_fits(octave, tmp_path):
    """regress equals numpy's least squares; logistic_regression equals statsmodels' Logit (same MLE)."""
    import statsmodels.api as sm

    for task, family in (("regression", "linear"), ("classification", "logistic")):
        directory = tmp_path / task
        directory.mkdir()
        source, y_test = task_source(directory, task)
        adapter = octave.use_source(source)
        model = adapter.fit(TrainSpec(family, task))
        prediction = adapter.predict(model)
        import pandas as pd

        train, test = pd.read_parquet(source.parquet_path), pd.read_parquet(source.test_parquet_path)
        X, X_test = sm.add_constant(train[source.features]), sm.add_constant(test[source.features])
        if family == "linear":
            beta = np.linalg.lstsq(X.to_numpy(), train["y"].to_numpy(), rcond=None)[0]
            assert np.max(np.abs(prediction - X_test.to_numpy() @ beta)) < 1e-9
            assert metrics.r_squared(y_test, prediction) > 0.4
        else:
            expected = sm.Logit(train["y"], X).fit(disp=0, tol=1e-12).predict(X_test).to_numpy()
            assert np.max(np.abs(prediction - expected)) < 1e-8
            assert metrics.auc(y_test, prediction) > 0.7
        adapter.release(model)
        with pytest.raises(OctaveError, match="no model"):
            adapter.predict(model)
    with pytest.raises(UnsupportedStep, match="tree ensembles"):
        octave.adapter.fit(TrainSpec("gbm", "classification"))


@needs_octave
def test_a_killed_octave_is_noticed_and_closed(tmp_path):
    design, source = materialise("advertising", tmp_path / "data")
    adapter = started(OctaveAdapter, source, tmp_path)
    try:
        assert adapter.liveness() is None
        proc = adapter._proc
        assert proc is not None
        proc.kill()
        proc.wait(10)
        assert adapter.liveness() == f"Octave process (pid {proc.pid}) killed by signal 9 (SIGKILL: kill -9 or the " \
                                     "kernel's OOM killer)"
        with pytest.raises(RuntimeError, match="Octave process exited"):
            adapter.ols(design.features)
    finally:
        adapter.close()
        adapter.close()
    assert not list(tmp_path.glob("octave-*")) and not list(tmp_path.rglob("octave-workspace"))


@needs_octave
@pytest.mark.slow
def test_nist_accuracy_on_octave(tmp_path):
    """`mlbench run accuracy --adapters octave`: every case with an intercept passes 6 digits; the measured
    losses (README) are fitlm's own arithmetic: its SEs from ucov = R \\ Q' / X' (Pontius' intercept t: 9.5, R
    12.5), its estimates from (R \\ Q') * y (Wampler3: 7.8, R 9.3); Filip keeps all 11 coefficients (no aliasing
    in Octave) to 6 digits of its 7.7 ceiling; NoInt1/2 are unsupported (fitlm always fits an intercept)."""
    from tests.test_accuracy import _digits_rows, _run_dir

    proc = run_cli("run", "accuracy", "--adapters", "octave", "--out", str(tmp_path), timeout=900)
    assert proc.returncode == 0, proc.stderr
    rows = {r["nist_name"]: r for r in _digits_rows(_run_dir(tmp_path)) if r.get("nist_name")}  # not the GLM suite
    for case in ("NoInt1", "NoInt2"):
        assert rows[case]["status"] == "unsupported" and "always fits an intercept" in rows[case]["note"]
    graded = {name: r for name, r in rows.items() if name not in ("NoInt1", "NoInt2")}
    assert len(graded) == 9 and all(r["status"] == "ok" and r["agrees"] == "True" for r in graded.values())
    assert float(rows["Filip"]["min_digits"]) >= 6 and rows["Filip"]["worst_term"] == "Intercept"
    assert (rows["Pontius"]["worst_quantity"], rows["Pontius"]["worst_term"]) == ("t_value", "Intercept")
    assert 8.5 < float(rows["Pontius"]["min_digits"]) < 10.5
    assert 7 < float(rows["Wampler3"]["estimate"]) < 8.5 and float(rows["Longley"]["min_digits"]) >= 10
