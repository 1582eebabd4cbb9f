"""The long-lived server process that the R and Octave adapters drive: one home for its plumbing.

Neither R nor Octave is a Python package, so each adapter starts its interpreter once per session on a server
script shipped beside the adapter (`r_server.R`, `octave_server.m`) and keeps it. The protocol is the same for
both: one JSON request line on the server's stdin, one JSON answer line `{"ok": ..., "result"|"error": ...}` on
its stdout; the server's stderr is the platform log, and any other line it prints while a request runs is kept
in that log and skipped. Models stay in the server: `fit` returns a handle (`ServerModel`) and `predict` has the
server write the prediction vector as little-endian float64 to a file that Python reads back.

What differs per platform stays in its adapter: how the interpreter is found and started (`_start_server`'s
argv), how the data are loaded, the primitives, and the names (`server_label`, `server_error`) its messages use.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mlbench import environment
from mlbench.adapter import Adapter, SessionOptions, TrainSpec
from mlbench.errors import UnsupportedStep
from mlbench.procs import close_log, close_streams, ended, open_log, stop

CLOSE_GRACE_S = 5.0  # after "quit" and closing its stdin, how long the server may take to exit before it is stopped


def tool_version(tool: str) -> str | None:
    """The x.y.z version `<tool> --version` prints ("... version 4.2.2 ..."), or None where the tool is missing.
    Rscript and octave-cli answer it without starting the interpreter's packages."""
    proc = environment.run_tool(tool, "--version", timeout=30)
    if proc is None:
        return None
    found = re.search(r"version (\d+\.\d+\.\d+)", proc.stdout + proc.stderr)
    return found.group(1) if found else None


class ServerError(RuntimeError):
    """The server answered a request with an error (the message is the platform's own)."""


@dataclass(frozen=True)
class ServerModel:
    """A model trained and kept in the server process."""

    key: str
    family: str


class ServerProcessAdapter(Adapter):
    """An adapter whose platform is a server process speaking JSON lines (see the module docstring)."""

    server_label = "server"  # "R", "Octave": how messages and the log name the process
    server_error: type[ServerError] = ServerError  # raised when the server answers with an error

    _proc: subprocess.Popen[str] | None = None
    _log: IO[str] | None = None
    _workdir: Path | None = None
    _index: dict[str, int]  # feature name -> its 1-based column in the server, set by `load`

    # ----- lifecycle -------------------------------------------------------------------------------

    def _start_server(self, options: SessionOptions, argv: list[str], prefix: str) -> None:
        """Start `argv` in a fresh work folder under the run's folder, its stderr into the platform log, and ask
        it "hello" (its facts, for `describe`)."""
        self.options = options
        options.run_dir.mkdir(parents=True, exist_ok=True)
        self._workdir = Path(tempfile.mkdtemp(prefix=prefix, dir=options.run_dir))
        self._log = open_log(options.log_path or options.run_dir / "platform.log", text=True)
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log, text=True, encoding="utf-8", cwd=self._workdir,
        )
        self._facts = self._call("hello")

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError, ValueError):  # the server may be gone already
                assert proc.stdin is not None
                proc.stdin.write(json.dumps({"task": "quit"}) + "\n")
            close_streams(proc.stdin)
            stop(proc, wait=CLOSE_GRACE_S)
            close_streams(proc.stdout)
        close_log(self._log)
        self._log = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def liveness(self) -> str | None:
        """The server process (its stderr is the platform log)."""
        proc = self._proc
        cause = ended(proc)
        return f"{self.server_label} process (pid {proc.pid}) {cause}" if cause and proc is not None else None

    # ----- the protocol ----------------------------------------------------------------------------

    def _call(self, task: str, **payload: Any) -> Any:
        label = self.server_label
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdout is None:
            raise RuntimeError(f"the {label} session is not running (start_session first)")
        try:
            proc.stdin.write(json.dumps({"task": task, **payload}) + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise RuntimeError(f"{label} process exited ({exc}); see {self._log_name()}") from None
        while True:
            line = proc.stdout.readline()
            if not line:
                code = proc.poll()
                raise RuntimeError(f"{label} process exited (code {code}) during {task!r}; see {self._log_name()}")
            try:
                reply = json.loads(line)
            except json.JSONDecodeError:
                reply = None
            if isinstance(reply, dict) and "ok" in reply:
                break
            if self._log is not None:  # printed past the server's capture: keep it, skip it
                self._log.write(f"[{label.lower()} stdout] {line}")
                self._log.flush()
        if not reply["ok"]:
            raise self.server_error(f"{label} {task}: {reply.get('error', 'unknown error')}")
        return reply["result"]

    def _log_name(self) -> str:
        return getattr(self._log, "name", "the platform log")

    def _cols(self, features: list[str]) -> list[int]:
        """1-based positions of `features` among the loaded ones (`self._index`, set by `load`), as R and Octave
        count: names never cross into the server."""
        try:
            return [self._index[f] for f in features]
        except KeyError as exc:
            raise ValueError(f"{exc.args[0]!r} is not a feature of the loaded data") from None

    # ----- training, kept in the server ------------------------------------------------------------

    def fit(self, spec: TrainSpec) -> Any:
        if spec.family not in ("linear", "logistic"):
            declared = self.declared("train", spec.family)
            raise UnsupportedStep((declared.reason if declared else "")
                                  or f"{self.server_label} cannot train {spec.family}")
        r = self._call("fit", family=spec.family)
        return ServerModel(r["model"], spec.family)

    def predict(self, model: Any) -> Any:
        import numpy as np

        assert self._workdir is not None
        out = self._workdir / f"{model.key}-prediction.f64"
        try:
            self._call("predict", model=model.key, out=str(out))
            return np.fromfile(out, dtype="<f8")
        finally:
            out.unlink(missing_ok=True)

    def release(self, model: Any) -> None:
        if self._proc is not None:
            self._call("release", model=model.key)
