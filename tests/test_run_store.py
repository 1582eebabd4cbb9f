"""The run store: one writer per run directory, reads that verify themselves, writes that fail in one line.

Full disks are injected in-process (ENOSPC raised by the write itself) and, where `unshare` may mount a tmpfs,
made real; a read-only folder is a read-only bind mount in a user namespace (skipped where that is not allowed).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest

from mlbench import cli, results
from tests.conftest import run_cli
from tests.fake_adapters import ENV

RUN = ("run", "pvalues", "--adapters", "statsmodels,sklearn", "--isolation", "inline")
ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def mlbench(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """The real command line, in this process (so a write can be made to fail): (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["mlbench", *args])
    capsys.readouterr()
    code = cli._run_app()
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, *words: str) -> None:
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("· ")]  # not progress
    assert len(lines) == 1 and lines[0].startswith("mlbench: error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], err


def only_run(out: Path) -> Path:
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return run_dir


def cells(run_dir: Path) -> Counter:
    """The measured cells of a run (not its session/load records, which a resumed run repeats on purpose)."""
    records = [json.loads(line) for line in (run_dir / "records.jsonl").read_text().splitlines()]
    return Counter((r["adapter"], r["dataset"], r["step"], r["variant"], r["phase"], r["repeat"], r["is_warmup"])
                   for r in records if r["step"] is not None)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    proc = run_cli(*RUN, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return only_run(out)


@pytest.fixture
def copy_of(clean_run, tmp_path) -> Path:
    run_dir = tmp_path / clean_run.name
    shutil.copytree(clean_run, run_dir)
    return run_dir


# ---- one writer ----------------------------------------------------------------------------------------------


def test_a_second_writer_is_refused_and_a_dead_ones_lock_is_taken_over(tmp_path):
    """A run and a resume at once, then (after kill -9) two resumes at once: exactly one writer each time, and the
    finished run holds exactly the cells of a clean one."""
    pid_file = tmp_path / "child.pid"
    env = {**os.environ, "MLBENCH_ADAPTERS": ENV, "SLOW_OLS_S": "600", "FAKE_JVM_PID_FILE": str(pid_file)}
    out = tmp_path / "runs"
    cmd = [sys.executable, "-m", "mlbench", "run", "pvalues", "--adapters", "statsmodels,slow,sklearn",
           "--isolation", "inline", "--out", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert pid_file.exists(), "the slow adapter never started"
        time.sleep(1.0)  # inside the slow fit
        run_dir = only_run(out)
        before = (run_dir / "records.jsonl").read_bytes()

        second = run_cli("run", "--resume", str(run_dir), env={"MLBENCH_ADAPTERS": ENV, "SLOW_OLS_S": "0"})
        assert second.returncode == 2, second.stderr
        one_line_error(second.stderr, "being written by another mlbench", f"pid {proc.pid}")
        assert (run_dir / "records.jsonl").read_bytes() == before  # it wrote nothing
        live = run_cli("report", str(run_dir), "--format", "json")
        assert results.read_run(run_dir).status == "running" and live.returncode == 0
    finally:
        proc.kill()  # kill -9: no chance to say anything
        proc.wait(timeout=30)
        if pid_file.exists():  # its platform's child (which holds the pipes open)
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(int(pid_file.read_text())).kill()
        proc.communicate(timeout=30)

    assert json.loads((run_dir / "run.json").read_text())["status"] == "running"  # what it last wrote
    assert results.read_run(run_dir).status == "interrupted"  # ... but nobody holds it: interrupted
    shown = run_cli("report", str(run_dir), "--width", "200")
    assert shown.returncode == 0 and "status interrupted" in shown.stdout, shown.stdout + shown.stderr

    env = {**os.environ, "MLBENCH_ADAPTERS": ENV, "SLOW_OLS_S": "2"}
    resume = [sys.executable, "-m", "mlbench", "run", "--resume", str(run_dir), "--width", "200"]
    both = [subprocess.Popen(resume, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    ended = [(p.wait(timeout=300), p.communicate()[1]) for p in both]
    codes = sorted(code for code, _ in ended)
    assert codes == [0, 2], ended
    winner = next(err for code, err in ended if code == 0)
    loser = next(err for code, err in ended if code == 2)
    assert f"took over the lock of a writer that is gone (pid {proc.pid}" in winner
    assert "being written by another mlbench" in loser or "nothing to resume" in loser
    one_line_error(loser)

    clean = run_cli("run", "pvalues", "--adapters", "statsmodels,slow,sklearn", "--isolation", "inline",
                    "--out", str(tmp_path / "clean"), env={"MLBENCH_ADAPTERS": ENV, "SLOW_OLS_S": "0"})
    assert clean.returncode == 0, clean.stderr
    assert cells(run_dir) == cells(only_run(tmp_path / "clean"))
    assert set(cells(run_dir).values()) == {1}
    assert json.loads((run_dir / "run.json").read_text())["status"] == "complete"
    assert (run_dir / results.LOCK_NAME).read_text() == ""  # let go cleanly: nothing to take over


# ---- writes that fail ----------------------------------------------------------------------------------------


class FullAfter:
    """A records.jsonl whose disk fills up after `n` records: the n+1-th write puts half a line and fails."""

    def __init__(self, fh, n: int) -> None:
        self.fh, self.n = fh, n

    def write(self, data: bytes) -> int:
        if self.n == 0:
            self.fh.write(data[: len(data) // 2])
            raise ENOSPC
        self.n -= 1
        return self.fh.write(data)

    def close(self) -> None:
        self.fh.close()


def fill_disk_after(monkeypatch, n: int) -> None:
    real_init = results.RunStore.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self._fh = FullAfter(self._fh, n)

    monkeypatch.setattr(results.RunStore, "__init__", init)


def test_a_full_disk_while_appending_records_is_one_line_and_run_json_says_failed(monkeypatch, capsys, tmp_path):
    fill_disk_after(monkeypatch, 2)
    code, _, err = mlbench(monkeypatch, capsys, *RUN, "--out", str(tmp_path))
    assert code == 2
    one_line_error(err, "cannot write a record to", "records.jsonl", "No space left on device")
    run_dir = only_run(tmp_path)
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "failed" and "No space left on device" in manifest["error"]
    assert not (run_dir / "run.json.tmp").exists()
    stored = results.read_run(run_dir)  # the half line is counted, not skipped
    assert len(stored.records) == 2 and stored.status == "damaged: 1 of 3 lines unreadable"
    assert results.holder(run_dir) is None


def test_a_disk_full_for_every_write_leaves_run_json_whole_and_not_running(monkeypatch, capsys, tmp_path):
    fill_disk_after(monkeypatch, 1)
    real_write = Path.write_bytes

    def write_bytes(self, data):
        if self.name == "run.json.tmp" and (self.parent / "records.jsonl").stat().st_size:  # the first is written
            real_write(self, b"")  # an empty run.json.tmp, as a full disk leaves it
            raise ENOSPC
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    code, _, err = mlbench(monkeypatch, capsys, *RUN, "--out", str(tmp_path))
    assert code == 2
    one_line_error(err, "No space left on device")
    run_dir = only_run(tmp_path)
    assert not (run_dir / "run.json.tmp").exists()
    manifest = json.loads((run_dir / "run.json").read_text())  # whole, and no longer claiming to run
    assert manifest["status"] == "failed"
    assert results.read_run(run_dir).stored_status == "failed"


def test_a_full_disk_while_copying_the_data_is_one_line_and_leaves_nothing(monkeypatch, capsys, tmp_path):
    def copyfile(source, target, *args, **kwargs):
        Path(target).write_bytes(b"half")
        raise ENOSPC

    monkeypatch.setattr(shutil, "copyfile", copyfile)
    code, _, err = mlbench(monkeypatch, capsys, *RUN, "--out", str(tmp_path))
    assert code == 2
    one_line_error(err, "cannot copy the data into", "No space left on device")
    assert list(tmp_path.iterdir()) == []  # a new run that never started leaves nothing behind


def test_a_full_disk_while_a_resume_copies_the_data_keeps_the_data_and_run_json(monkeypatch, capsys, copy_of):
    manifest = json.loads((copy_of / "run.json").read_text())
    manifest["status"] = "interrupted"
    (copy_of / "run.json").write_text(json.dumps(manifest))
    data_before = {p: p.read_bytes() for p in (copy_of / "data").rglob("*") if p.is_file()}
    run_json = (copy_of / "run.json").read_bytes()

    def copyfile(source, target, *args, **kwargs):
        Path(target).write_bytes(b"half")
        raise ENOSPC

    monkeypatch.setattr(shutil, "copyfile", copyfile)
    code, _, err = mlbench(monkeypatch, capsys, "run", "--resume", str(copy_of))
    assert code == 2
    one_line_error(err, "cannot copy the data into", "No space left on device")
    assert {p: p.read_bytes() for p in (copy_of / "data").rglob("*") if p.is_file()} == data_before
    assert (copy_of / "run.json").read_bytes() == run_json


@pytest.mark.parametrize("where", ["missing/dir/report.txt", "a-directory", "/proc/version"])
@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_report_to_a_path_it_cannot_write_is_one_line(monkeypatch, capsys, clean_run, tmp_path, where, fmt):
    (tmp_path / "a-directory").mkdir()
    target = where if where.startswith("/") else str(tmp_path / where)
    code, _, err = mlbench(monkeypatch, capsys, "report", str(clean_run), "-f", fmt, "-o", target)
    assert code == 2
    one_line_error(err, f"cannot write {target}")


def _unshare(script: str) -> subprocess.CompletedProcess:
    if shutil.which("unshare") is None:
        pytest.skip("no unshare")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("user namespaces are not allowed here")
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})


def test_resume_and_report_on_a_read_only_folder(copy_of, tmp_path):
    manifest = json.loads((copy_of / "run.json").read_text())
    manifest["status"] = "interrupted"
    (copy_of / "run.json").write_text(json.dumps(manifest))
    run_json = (copy_of / "run.json").read_bytes()
    parent = copy_of.parent
    py = sys.executable
    proc = _unshare(f"mount --bind {parent} {parent} && mount -o remount,bind,ro {parent} && "
                    f"{py} -m mlbench run --resume {copy_of}; echo \"resume=$?\"; "
                    f"{py} -m mlbench report {copy_of} -o {parent}/report.txt; echo \"report=$?\"")
    assert "resume=2" in proc.stdout and "report=2" in proc.stdout, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 2 and all(line.startswith("mlbench: error: ") for line in errors), proc.stderr
    assert all("Read-only file system" in line for line in errors), proc.stderr
    assert (copy_of / "run.json").read_bytes() == run_json


def test_a_real_full_disk_during_a_run(tmp_path):
    """A tmpfs too small for the run: one line, exit 2, and a run.json that is whole and does not say running."""
    disk = tmp_path / "disk"
    disk.mkdir()
    py = sys.executable
    # after the mount, fill it but for a few kilobytes: the run starts, then a write fails
    proc = _unshare(f"mount -t tmpfs -o size=256k tmpfs {disk} && "
                    f"{py} -m mlbench {' '.join(RUN)} --out {disk}/runs 2>{tmp_path}/err & "
                    f"pid=$!; while [ ! -e {disk}/runs/*/run.json ]; do sleep 0.05; done; "
                    f"dd if=/dev/zero of={disk}/filler bs=1k count=1000 2>/dev/null; wait $pid; echo \"run=$?\"; "
                    f"cat {tmp_path}/err >&2; cat {disk}/runs/*/run.json | {py} -c "
                    "'import json,sys; print(\"status=\" + json.load(sys.stdin)[\"status\"])'; "
                    f"ls {disk}/runs/*/")
    if "run=0" in proc.stdout:
        pytest.skip("the run finished before the disk filled up")
    assert "run=2" in proc.stdout, proc.stdout + proc.stderr
    one_line_error(proc.stderr, "No space left on device")
    assert "status=failed" in proc.stdout, proc.stdout
    assert "run.json.tmp" not in proc.stdout


# ---- reads that verify themselves ----------------------------------------------------------------------------


def damage(run_dir: Path, line_number: int, replacement: bytes | None) -> bytes:
    lines = (run_dir / "records.jsonl").read_bytes().split(b"\n")
    lost = lines[line_number]
    if replacement is None:
        del lines[line_number]
    else:
        lines[line_number] = replacement
    (run_dir / "records.jsonl").write_bytes(b"\n".join(lines))
    return lost


@pytest.mark.parametrize("replacement, status", [
    (b"\x00" * 40, "damaged: 1 of 6 lines unreadable"),  # NUL bytes after a crash
    (b'{"run_id": "x", "adapter": "statsm', "damaged: 1 of 6 lines unreadable"),  # torn
    (b"[1, 2, 3]", "damaged: 1 of 6 lines unreadable"),  # JSON, not an object
    (b'"a string"', "damaged: 1 of 6 lines unreadable"),
    (b'{"note": "not a record"}', "damaged: 1 of 6 lines unreadable"),  # an object without the record fields
    (None, "damaged: 1 of 6 records missing"),  # a whole line lost
])
def test_a_damaged_run_is_reported_as_damaged_and_repaired_by_resume(monkeypatch, capsys, clean_run, copy_of,
                                                                     replacement, status):
    assert results.read_run(clean_run).lines == 6
    damage(copy_of, 2, replacement)  # statsmodels' fit
    code, out, err = mlbench(monkeypatch, capsys, "report", str(copy_of), "--width", "200")
    assert code == 0, err
    assert f"status {status}" in out and "None None None" not in out
    assert f"is {status}" in err and "Traceback" not in err
    code, _, err = mlbench(monkeypatch, capsys, "report", str(copy_of), "-f", "json")
    assert code == 0 and f"is {status}" in err

    code, _, err = mlbench(monkeypatch, capsys, "run", "--resume", str(copy_of), "--width", "200")
    assert code == 0, err
    assert "run again" in err
    assert cells(copy_of) == cells(clean_run)
    stored = results.read_run(copy_of)
    assert stored.status == "complete" and not stored.bad_lines
    if replacement is not None:
        assert (copy_of / "records.damaged").read_bytes() == replacement + b"\n"  # kept, never thrown away
    code, _, err = mlbench(monkeypatch, capsys, "run", "--resume", str(copy_of))
    assert code == 2 and "nothing to resume" in err


def test_a_line_of_another_schema_is_refused_in_one_line(monkeypatch, capsys, copy_of):
    record = json.loads((copy_of / "records.jsonl").read_text().splitlines()[0])
    with (copy_of / "records.jsonl").open("a") as fh:
        fh.write(json.dumps({**record, "schema_version": 99, "mlbench_version": "9.9"}) + "\n")
    run_json = (copy_of / "run.json").read_bytes()
    for command in (("report", str(copy_of)), ("run", "--resume", str(copy_of))):
        code, _, err = mlbench(monkeypatch, capsys, *command)
        assert code == 2
        one_line_error(err, "result schema 99 (mlbench 9.9) (records.jsonl line 7)")
    assert (copy_of / "run.json").read_bytes() == run_json  # resume refused before touching it


def test_a_non_object_line_in_an_interrupted_run_is_one_line_for_resume_not_a_type_error(monkeypatch, capsys,
                                                                                         copy_of):
    manifest = json.loads((copy_of / "run.json").read_text())
    manifest["status"] = "interrupted"
    (copy_of / "run.json").write_text(json.dumps(manifest))
    with (copy_of / "records.jsonl").open("a") as fh:
        fh.write("42\n")
    code, _, err = mlbench(monkeypatch, capsys, "run", "--resume", str(copy_of))
    assert code == 0, err
    assert "TypeError" not in err and "Traceback" not in err
    assert json.loads((copy_of / "run.json").read_text())["status"] == "complete"


def test_stale_lock_text_is_taken_over_with_a_note(monkeypatch, capsys, copy_of):
    manifest = json.loads((copy_of / "run.json").read_text())
    manifest["status"] = "running"
    (copy_of / "run.json").write_text(json.dumps(manifest))
    (copy_of / results.LOCK_NAME).write_text("pid 999999, started 2026-01-01T00:00:00Z\n")
    assert results.read_run(copy_of).status == "interrupted"
    code, _, err = mlbench(monkeypatch, capsys, "run", "--resume", str(copy_of))
    assert code == 0, err
    assert "note: took over the lock of a writer that is gone (pid 999999" in err
