"""Issue 28: every stated input limit is one line and exit 2 (mlbench/limits.py); names from the data cannot
drive the terminal; a password in a URL is never stored or shown; SIGTERM exits 143."""

from __future__ import annotations

import pytest

from tests.conftest import expect_usage_error, run_cli


def _rows(n: int) -> list[str]:
    return [f"{i},{(i * 7) % 11},{3 * i + (i % 5)}" for i in range(n)]


def test_a_csv_header_field_over_128_kib_is_a_usage_error(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("a" * 140_000 + ",b,y\n" + "\n".join(_rows(30)) + "\n")
    proc = run_cli("run", "pvalues", "--data", str(path), "--target", "y", "--adapters", "statsmodels",
                   "--out", str(tmp_path / "runs"))
    expect_usage_error(proc, "over the 128 KiB limit")


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_a_seed_outside_0_to_2_32_minus_1_is_a_usage_error(tmp_path, seed):
    proc = run_cli("run", "pvalues", "--dataset", "synthetic-linear:n=50,p=3,k=2", "--seed", seed,
                   "--adapters", "statsmodels", "--out", str(tmp_path / "runs"))
    expect_usage_error(proc, f"seed {seed} is out of range")


def test_sizes_past_the_machines_memory_are_refused_before_allocating(tmp_path):
    proc = run_cli("run", "train", "--sizes", "100000m", "--adapters", "sklearn", "--out", str(tmp_path / "runs"))
    expect_usage_error(proc, "of memory; this machine has")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_features_past_the_machines_memory_are_refused_before_allocating(tmp_path):
    path = tmp_path / "wide.yaml"
    path.write_text("name: wide\nsteps:\n  - step: train\n    features: 100000000\n")
    proc = run_cli("run", str(path), "--adapters", "sklearn", "--out", str(tmp_path / "runs"))
    expect_usage_error(proc, "100,000,000 features needs about")


def test_a_scenario_file_over_1_mib_is_refused_unread(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("name: big\nsteps: [{step: pvalues}]\ndescription: " + "x" * (2 * 1024 * 1024) + "\n")
    proc = run_cli("run", str(path), "--adapters", "statsmodels", "--out", str(tmp_path / "runs"))
    expect_usage_error(proc, "over the 1.0 MiB limit of a scenario file")


def test_nul_bytes_in_a_numeric_column_are_an_input_error_not_a_factor(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_text("a,b,y\n" + "\n".join(f"{i},{(i * 7) % 11}\0,{3 * i + i % 5}" for i in range(30)) + "\n")
    proc = run_cli("run", "pvalues", "--data", str(path), "--target", "y", "--adapters", "statsmodels",
                   "--out", str(tmp_path / "runs"))
    expect_usage_error(proc, "column 'b' contains NUL bytes")


def test_a_password_in_the_h2o_url_is_never_stored_or_shown(tmp_path):
    """Issue 28 item 6: run.json (request, command line), records, logs and the HTML report carry `***`."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://user:Zsecret42@127.0.0.1:{port}"
    proc = run_cli("run", "pvalues", "--adapters", "h2o,statsmodels", "--h2o-url", url, "--width", "200",
                   "--out", str(tmp_path / "runs"))
    assert "Traceback" not in proc.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    html = tmp_path / "report.html"
    assert run_cli("report", str(run_dir), "-f", "html", "-o", str(html)).returncode == 0
    manifest = (run_dir / "run.json").read_text()
    assert "http://***@127.0.0.1" in manifest
    for path in [*run_dir.rglob("*"), html]:
        if path.is_file():
            assert "Zsecret42" not in path.read_text(errors="replace"), path
    assert "Zsecret42" not in proc.stdout + proc.stderr


def test_control_characters_in_a_column_name_never_reach_the_terminal(tmp_path):
    """Issue 28 item 6: ESC sequences (clear screen, set title) and BEL in a name are stripped from output."""
    path = tmp_path / "esc.csv"
    name = "a\x1b[2J\x1b]0;owned\x07"
    path.write_text(f"{name},b,y\n" + "\n".join(_rows(30)) + "\n")
    proc = run_cli("run", "pvalues", "--data", str(path), "--target", "y", "--adapters", "statsmodels",
                   "--width", "200", "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "\x1b" not in proc.stdout + proc.stderr and "\x07" not in proc.stdout + proc.stderr
    assert "a[2J]0;owned" in proc.stdout  # the name, shown without its control characters


def test_redact_and_printable():
    from mlbench.sanitize import printable, redact

    assert redact(["x", "--h2o-url", "https://u:p@h:1/x?y=1", {"k": "spark://a@h"}]) == \
        ["x", "--h2o-url", "https://***@h:1/x?y=1", {"k": "spark://***@h"}]
    assert redact("mail me at a@b.c, http://h:1") == "mail me at a@b.c, http://h:1"
    assert printable("a\x1b[31mb\x00c\td\n") == "a[31mbc\td\n"


def test_numpy_runtime_warnings_never_reach_stderr(tmp_path):
    """Issue 28 item 6: 1e308 in the data overflowed in the emulation's arithmetic and printed a source path."""
    path = tmp_path / "huge.csv"
    path.write_text("a,b,y\n" + "\n".join(f"{1e308 if i == 3 else i},{(i * 7) % 11},{3 * i + (i % 5)}"
                                          for i in range(30)) + "\n")
    proc = run_cli("run", "pvalues", "--data", str(path), "--target", "y", "--adapters", "statsmodels,sklearn",
                   "--out", str(tmp_path / "runs"))
    assert "Warning" not in proc.stderr and ".py:" not in proc.stderr, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


@pytest.mark.h2o
def test_the_local_h2o_jvm_opens_no_udp_socket_and_listens_on_loopback_only(tmp_path):
    """Issue 28 item 6: -ip 127.0.0.1 left H2O's two UDP (cloud discovery) sockets on every interface."""
    import psutil

    from mlbench.adapter import SessionOptions
    from mlbench.platforms.h2o_cluster import H2OCluster

    cluster = H2OCluster("mlbench_test")
    cluster.start_local(SessionOptions(run_dir=tmp_path, seed=1, cores=1, memory="1G", log_path=tmp_path / "p.log"))
    try:
        sockets = psutil.Process(cluster.jvm.pid).net_connections(kind="inet")
        assert not [s for s in sockets if s.type == 2], sockets  # SOCK_DGRAM
        listening = [s for s in sockets if s.status == psutil.CONN_LISTEN]
        assert listening and all(s.laddr.ip in ("127.0.0.1", "::ffff:127.0.0.1") for s in listening), listening
    finally:
        cluster.close()
