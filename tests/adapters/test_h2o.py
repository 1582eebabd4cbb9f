"""The H2O adapter on a real H2O JVM: p-values, VIFs and subset searches equal R's; sessions stay on loopback and
never leave a JVM behind; a cluster given by URL is used as is (no second JVM) and left running. Training and
MOJO deployability: test_h2o_models.py.

One local cluster is started for all H2O tests (tests/adapters/conftest.py: h2o_session; a JVM start takes
~10 s); the hand-started standalone cluster of the URL tests is a second, separate JVM that the test kills itself.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pytest

from mlbench.adapter import DataSource
from mlbench.datasets import load_builtin
from mlbench.design import Design, build_design
from mlbench.errors import UnsupportedStep
from mlbench.platforms.h2o import H2OAdapter
from mlbench.platforms.h2o_cluster import free_loopback_port
from mlbench.stats import procedures
from tests.adapters.conftest import java_descendants, skip_unless_h2o
from tests.conftest import assert_rel, run_cli

pytestmark = pytest.mark.h2o

FEATURES = ["TV", "Radio", "Newspaper"]
REL_TOL = 1e-6  # the scenarios' grading tolerance


def _source(design: Design, name: str, directory: Path) -> DataSource:
    design.frame.to_parquet(directory / "design.parquet", index=False)
    design.frame.to_csv(directory / "design.csv", index=False)
    return DataSource(name, directory / "design.parquet", directory / "design.csv", design.target,
                      design.features, len(design.frame))


def _r_name(term: str) -> str:
    return "Intercept" if term == "(Intercept)" else term


def _listening_addresses(pid: int) -> list[str]:
    return [c.laddr.ip for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]


def _is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _cloud_answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/3/Cloud", timeout=timeout) as response:
            return bool(json.load(response).get("cloud_healthy"))
    except (OSError, ValueError):
        return False


@pytest.fixture(scope="module")
def advertising(tmp_path_factory) -> DataSource:
    design = build_design(load_builtin("advertising").frame, "Sales")
    return _source(design, "advertising", tmp_path_factory.mktemp("advertising"))


@pytest.fixture(scope="module")
def hitters_design() -> Design:
    return build_design(load_builtin("hitters").frame, "Salary")


@pytest.fixture(scope="module")
def hitters(hitters_design, tmp_path_factory) -> DataSource:
    return _source(hitters_design, "hitters", tmp_path_factory.mktemp("hitters"))


# ----- the session ----------------------------------------------------------------------------------------


def test_session_is_a_local_loopback_cluster_we_own(h2o_session):
    facts = h2o_session.adapter.describe()
    assert facts["started_by_mlbench"] is True
    assert facts["cluster_version"] == H2OAdapter.platform_version()  # the JVM of the installed h2o package
    assert facts["url"].startswith("http://127.0.0.1:")
    jvm = java_descendants()[facts["jvm_pid"]]  # a child JVM of this process
    addresses = _listening_addresses(jvm.pid)
    assert addresses, "the JVM listens on nothing?"
    assert all(_is_loopback(a) for a in addresses), f"JVM listens beyond loopback: {addresses}"
    # ice root, H2O's logs and the JVM's own stdout/stderr all live in the run directory
    root = h2o_session.run_dir / "h2o"
    assert (root / "ice").is_dir()
    assert list((root / "logs").glob("*.log"))
    assert list((root / "jvm").rglob("*.out")) and list((root / "jvm").rglob("*.err"))
    # h2o's chatter went to the platform log (it prints a version-age warning even with verbose=False)
    assert (h2o_session.run_dir / "platform.log").exists()


def test_session_is_quiet_on_stdout(h2o_session, advertising, capfd):
    adapter = h2o_session.use(advertising)
    capfd.readouterr()
    adapter.ols(FEATURES)
    adapter.vif(FEATURES)
    adapter.rss(["TV"])
    out, _err = capfd.readouterr()
    assert out == ""


def test_load_reads_parquet_with_h2o_reader(h2o_session, advertising):
    adapter = h2o_session.use(advertising)
    assert adapter.describe()["reader"] == "parquet"
    assert adapter.frame.nrows == 200
    assert set(adapter.frame.columns) == {*FEATURES, "Sales"}
    assert all(adapter.frame.types[c] in ("real", "int") for c in adapter.frame.columns)


# ----- p-values and VIF against R ---------------------------------------------------------------------


def test_full_model_equals_r(h2o_session, advertising, r_advertising):
    adapter = h2o_session.use(advertising)
    result = procedures.pvalues(adapter, FEATURES, alpha=0.05)
    r_full = r_advertising["full_model"]
    assert set(result["coefficients"]) == {_r_name(t) for t in r_full["coefficients"]}
    for r_term, expected in r_full["coefficients"].items():
        got = result["coefficients"][_r_name(r_term)]
        for key in ("estimate", "std_error", "t_value", "p_value"):
            assert_rel(got[key], expected[key], REL_TOL)
    for key in ("r_squared", "adj_r_squared", "f_statistic", "rss"):
        assert_rel(result[key], r_full[key], REL_TOL)
    assert result["f_df"] == [3, 196]
    assert result["n_obs"] == 200
    assert result["aliased"] == []


def test_newspaper_dropped_and_refit_equals_r(h2o_session, advertising, r_advertising):
    adapter = h2o_session.use(advertising)
    result = procedures.pvalues(adapter, FEATURES, alpha=0.05)
    assert result["dropped"] == ["Newspaper"]
    assert result["kept"] == ["TV", "Radio"]
    r_reduced = r_advertising["reduced_model_tv_radio"]
    assert_rel(result["refit"]["adj_r_squared"], r_reduced["adj_r_squared"], REL_TOL)
    for r_term, expected in r_reduced["coefficients"].items():
        got = result["refit"]["coefficients"][_r_name(r_term)]
        for key in ("estimate", "std_error", "p_value"):
            assert_rel(got[key], expected[key], REL_TOL)


def test_vif_equals_r(h2o_session, advertising, r_advertising):
    adapter = h2o_session.use(advertising)
    vif = adapter.vif(FEATURES)
    assert list(vif) == FEATURES
    for name, expected in r_advertising["vif_full_model"].items():
        assert_rel(vif[name], expected, REL_TOL)


def test_rss_is_the_residual_deviance(h2o_session, advertising, r_advertising):
    adapter = h2o_session.use(advertising)
    assert_rel(adapter.rss(FEATURES), r_advertising["full_model"]["rss"], REL_TOL)
    # the intercept-only model (H2O's GLM refuses no predictors): the total sum of squares
    r_full = r_advertising["full_model"]
    tss = r_full["rss"] / (1 - r_full["r_squared"])
    assert_rel(adapter.rss([]), tss, REL_TOL)
    empty = adapter.ols([])
    assert empty.terms == ["Intercept"] and empty.df_resid == 199
    assert_rel(empty.rss, tss, REL_TOL)


def test_collinear_column_is_aliased_like_r(h2o_session, hitters_design, tmp_path):
    from mlbench.stats.reference import ReferenceFitter

    frame = hitters_design.frame.copy()
    frame.insert(2, "Hits2", frame["Hits"] * 2.0)  # exactly collinear with Hits, and later in the column order
    features = [c for c in frame.columns if c != "Salary"]
    design = Design(frame, "Salary", features, len(frame), 0)
    adapter = h2o_session.use(_source(design, "hitters_collinear", tmp_path))
    fit = adapter.ols(features)
    expected = ReferenceFitter(frame, "Salary").ols(features)
    assert fit.aliased == expected.aliased == ["Hits2"]
    assert fit.terms == expected.terms
    for got, want in zip(fit.estimate + fit.p_value, expected.estimate + expected.p_value, strict=True):
        assert_rel(got, want, REL_TOL)
    assert (fit.df_model, fit.df_resid) == (expected.df_model, expected.df_resid)


# ----- subsets on Hitters -----------------------------------------------------------------------------------


def test_best_subsets_sizes_1_to_6_equal_leaps(h2o_session, hitters, r_hitters_subsets):
    adapter = h2o_session.use(hitters)
    started = time.perf_counter()
    chosen = adapter.subset("best", hitters.features, 6)
    h2o_session.timings["maxrsweep sizes 1-6"] = time.perf_counter() - started
    assert sorted(chosen) == [1, 2, 3, 4, 5, 6]
    for row in r_hitters_subsets["best_by_size"]:
        assert set(chosen[row["size"]]) == set(row["variables"]), f"size {row['size']}"


def test_backward_path_equals_reference(h2o_session, hitters, hitters_design):
    adapter = h2o_session.use(hitters)
    started = time.perf_counter()
    chosen = adapter.subset("backward", hitters.features, len(hitters.features))
    h2o_session.timings["backward all sizes"] = time.perf_counter() - started
    p = len(hitters.features)
    assert sorted(chosen) == list(range(1, p + 1))
    assert chosen[p] == hitters.features
    from mlbench.stats.subsets import backward_path

    reference = backward_path(hitters_design.X, hitters_design.y, hitters_design.features)
    for size, (names, _rss) in reference.items():
        assert set(chosen[size]) == set(names), f"size {size}"


def test_subset_methods_without_native_mode_are_unsupported(h2o_session, hitters):

    adapter = h2o_session.use(hitters)
    with pytest.raises(UnsupportedStep):
        adapter.subset("forward", hitters.features, 3)


def test_capabilities_are_declared_honestly():
    caps = H2OAdapter.capabilities
    assert caps["pvalues"].support.value == "native"
    assert caps["vif"].support.value == "native" and "numeric" in caps["vif"].reason
    assert caps["subset:best"].support.value == "native" and "maxrsweep" in caps["subset:best"].how
    assert "heuristic" in caps["subset:best"].how
    assert caps["subset:backward"].support.value == "native"
    assert caps["subset:forward"].support.value == "emulated"


SATURATED = [[7, 3, 0, -4, -4, 8], [-9, -6, 6, 3, 8, -15], [9, 4, 3, 1, 1, 11], [6, 3, -9, -2, 7, 10],
             [5, 4, 7, -6, -8, 6], [1, -8, -4, 0, -1, 11]]  # 6 rows, 5 features: n = p + 1


def test_backward_on_a_saturated_design_is_a_skipped_cell_with_the_shape_note(h2o_session, tmp_path):
    """H2O's backward mode drops the smallest |z|: on n = p + 1 it has no residual degrees of freedom and raises
    a raw Java NotStrictlyPositiveException. The run skips that cell with the shape condition (as the pvalues step
    does) and exits 0; its best and forward searches still run. On the session's own cluster, by URL."""
    frame = pd.DataFrame(np.array(SATURATED, dtype=float), columns=["x1", "x2", "x3", "x4", "x5", "y"])
    adapter = h2o_session.use(_source(build_design(frame, "y"), "saturated", tmp_path))
    with pytest.raises(Exception, match="degrees of freedom"):  # the condition is real: H2O's own refusal
        adapter.subset("backward", ["x1", "x2", "x3", "x4", "x5"], 5)
    frame.to_csv(tmp_path / "saturated.csv", index=False)
    (tmp_path / "subset.yaml").write_text("name: saturated\ndescription: subsets on n = p + 1\nadapters: [h2o]\n"
                                          "steps:\n  - step: subset\n    methods: [best, forward, backward]\n")
    proc = run_cli("run", str(tmp_path / "subset.yaml"), "--data", str(tmp_path / "saturated.csv"), "--target",
                   "y", "--h2o-url", h2o_session.adapter.describe()["url"], "--json", "--out", str(tmp_path / "out"),
                   timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    fits = {r["variant"]: r for r in json.loads(proc.stdout) if r["phase"] == "fit"}
    assert fits["backward"]["status"] == "skipped"
    assert "needs more rows than coefficients (n > p + 1)" in fits["backward"]["error"]
    assert "6 complete rows for 5 features" in fits["backward"]["error"]
    assert fits["best"]["status"] == fits["forward"]["status"] == "ok"


# ----- an existing cluster, by URL, through the real CLI -------------------------------------------------


@pytest.fixture
def standalone_cluster(tmp_path) -> Iterator[tuple[str, psutil.Process]]:
    """A standalone H2O JVM started by hand, on loopback only; killed by the fixture."""
    skip_unless_h2o()
    import h2o

    jar = Path(h2o.__file__).parent / "backend" / "bin" / "h2o.jar"
    java = shutil.which("java")
    assert java and jar.is_file()
    port = free_loopback_port()  # H2O listens on port and port + 1
    url = f"http://127.0.0.1:{port}"
    (tmp_path / "ice").mkdir()
    with open(tmp_path / "jvm.out", "w") as out, open(tmp_path / "jvm.err", "w") as err:
        popen = subprocess.Popen(
            [java, "-Xmx1g", "-jar", str(jar), "-ip", "127.0.0.1", "-web_ip", "127.0.0.1", "-port", str(port),
             "-name", f"mlbench-test-{port}", "-ice_root", str(tmp_path / "ice"), "-log_dir", str(tmp_path / "logs")],
            stdout=out, stderr=err, start_new_session=True,
        )
    jvm = psutil.Process(popen.pid)
    try:
        deadline = time.monotonic() + 120
        while not _cloud_answers(url):
            assert popen.poll() is None, (tmp_path / "jvm.err").read_text()
            assert time.monotonic() < deadline, "standalone H2O did not answer within 120 s"
            time.sleep(0.5)
        yield url, jvm
    finally:
        popen.terminate()
        try:
            popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(timeout=15)


def test_cli_uses_an_existing_cluster_by_url(standalone_cluster, tmp_path, r_advertising):
    url, jvm = standalone_cluster
    assert all(_is_loopback(a) for a in _listening_addresses(jvm.pid))
    before = set(java_descendants())
    seen: set[int] = set()
    done = threading.Event()

    def watch() -> None:  # any JVM the CLI starts is a descendant of this test process
        while not done.is_set():
            for pid, proc in java_descendants().items():
                if pid in before:
                    continue
                # the CLI's Java check runs `java -version` (~60 ms, longer on a busy host): not a cluster
                with contextlib.suppress(psutil.Error):
                    if "-version" not in proc.cmdline():
                        seen.add(pid)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out = tmp_path / "results"
    try:
        proc = run_cli("run", "pvalues", "--dataset", "advertising", "--adapters", "h2o", "--h2o-url", url,
                       "--json", "--out", str(out), timeout=300)
    finally:
        done.set()
        watcher.join()
    assert proc.returncode == 0, proc.stderr
    assert not seen, f"the CLI started JVM(s) {sorted(seen)} although a cluster URL was given"
    records: list[dict[str, Any]] = json.loads(proc.stdout)  # stdout is the JSON and nothing else
    assert {(r["phase"], r["status"]) for r in records} == {("session", "ok"), ("load", "ok"), ("fit", "ok")}
    (fit,) = [r for r in records if r["phase"] == "fit"]
    assert fit["adapter"] == "h2o" and fit["support"] == "native"
    assert fit["deviation"]["agrees"] is True, fit["deviation"]
    assert fit["result"]["dropped"] == ["Newspaper"]
    expected = r_advertising["full_model"]["coefficients"]["Newspaper"]["p_value"]
    assert_rel(fit["result"]["coefficients"]["Newspaper"]["p_value"], expected, REL_TOL)
    (run_dir,) = out.iterdir()
    assert not (run_dir / "h2o").exists()  # no local ice root / logs: nothing was started
    # the cluster is still up, and our frame is gone from it
    assert jvm.is_running() and _cloud_answers(url)
    with urllib.request.urlopen(f"{url}/3/Frames", timeout=10) as response:
        frames = [f["frame_id"]["name"] for f in json.load(response)["frames"]]
    with urllib.request.urlopen(f"{url}/3/Models", timeout=10) as response:
        models = [m["model_id"]["name"] for m in json.load(response)["models"]]
    assert not [k for k in frames + models if k.startswith("mlbench_")], (frames, models)


# ----- last: closing ---------------------------------------------------------------------------------------


@pytest.mark.closes_h2o_session
def test_close_stops_the_jvm_and_is_idempotent(h2o_session):
    adapter = h2o_session.adapter
    pid = adapter.describe()["jvm_pid"]
    jvm = java_descendants()[pid]
    started = time.perf_counter()
    adapter.close()
    h2o_session.timings["close"] = time.perf_counter() - started
    adapter.close()  # safe to call twice
    assert not jvm.is_running()
    assert pid not in java_descendants()
    print("\nh2o timings (s):", {"session": round(h2o_session.start_s, 2),
                                 **{k: round(v, 2) for k, v in h2o_session.timings.items()}})


def test_a_lost_cluster_fails_the_remaining_cells_quickly_with_the_reason(standalone_cluster, tmp_path):
    """A cluster joined by URL dies during a cell: mlbench notices in seconds, never starts a JVM of its own in
    its place, and every remaining cell says why it did not run."""
    from tests.fake_adapters import kill_mid_cell

    url, jvm = standalone_cluster
    t0 = time.monotonic()
    run = kill_mid_cell(tmp_path, "h2o-mortal", jvm.pid, "--h2o-url", url)
    assert time.monotonic() - t0 < 120
    assert run["seconds"] < 5, run["seconds"]
    assert run["failed"]["error"].startswith(f"platform died: H2O cluster at {url}"), run["failed"]["error"]
    records = run["records"]
    sessions = [(r["restart"], r["status"]) for r in records if r["phase"] == "session"]
    assert sessions == [(0, "ok"), (1, "error")]  # it tried to reconnect, and did not start a cluster
    later = [r for r in records if r["phase"] == "fit"][1:]
    assert later and all(r["status"] == "error" and "not reachable" in r["error"] for r in later), later
    assert run["code"] == 1
    assert not (run["run_dir"] / "h2o").exists()  # no local ice root: nothing was started
