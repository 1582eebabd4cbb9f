"""Adapter work in a worker subprocess: crashes, hangs and JVMs stay contained.

The runner talks to a `WorkerAdapter` exactly as to an adapter; each call is forwarded to a child process
(`python -m mlbench.worker ADAPTER`) that holds the real adapter. Why a process per adapter:

- A JVM crash, an out-of-memory kill or a hung native call takes down only the worker; the runner records the
  cell as `error` or `timeout` (per-cell deadline), kills the worker's process tree, and starts a new worker
  for the next cell.
- A platform that dies while a call runs (its JVM killed, its R process gone, its cluster unreachable) is noticed
  within `PLATFORM_POLL_S` seconds: a watcher thread polls the adapter's `liveness` while a call is in flight,
  answers the call with the one-line cause (`PlatformDied`) and ends the worker, rather than leaving the call to
  a client's retries (H2O's take about 80 s). The runner then starts a fresh worker for the next call.
- Memory is measured on the worker's tree (worker + its JVMs), so one platform's imports never inflate
  another's numbers.
- No orphans: the worker watches its parent and, when the parent dies (even by `kill -9`), closes the adapter
  and kills its own children (the JVMs) before exiting.
- Platform chatter cannot corrupt `--json` output: the worker keeps the original stdout pipe for the protocol
  and points file descriptor 1 at stderr, which the runner sends to the run's platform log.

Protocol: length-prefixed pickle frames over the worker's stdin/stdout. Both ends are this module, started by
this process, so the pickles never come from an untrusted source. Models returned by `fit` stay in the worker;
the runner gets an opaque `ModelRef`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psutil

from mlbench.adapter import primitives
from mlbench.errors import PlatformDied, PlatformError, SkippedCell, UnsupportedStep
from mlbench.launcher import ForkedProcess
from mlbench.launcher import current as current_launcher
from mlbench.procs import (
    KILL_GRACE_S,
    close_log,
    exit_cause,
    kill_tree,
    open_log,
    remember,
    running,
    terminate_then_kill,
)
from mlbench.sanitize import redact

HEADER = struct.Struct("!Q")
PARENT_POLL_S = 0.25
PLATFORM_POLL_S = 1.0  # a death is answered within this plus one liveness check (the issue asks for 5 s)


class CellTimeout(Exception):
    """The cell ran past its deadline; the worker (and its JVMs) were killed."""


class WorkerDied(PlatformDied):
    """The worker process exited unexpectedly (crash, OOM kill, kill -9)."""


class RemoteError(PlatformError):
    """An exception raised inside the worker; the message starts with its original type name."""

    def __init__(self, message: str, remote_traceback: str = "") -> None:
        super().__init__(message)
        self.remote_traceback = remote_traceback


@dataclass(frozen=True)
class ModelRef:
    """A model that lives in the worker process."""

    key: int


def _write_frame(stream: IO[bytes], obj: Any) -> None:
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(payload)) + payload)
    stream.flush()


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, remaining = [], size
    while remaining:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise CellTimeout("deadline passed")
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, deadline: float | None = None) -> Any:
    (size,) = HEADER.unpack(_read_exact(fd, HEADER.size, deadline))
    return pickle.loads(_read_exact(fd, size, deadline))  # our own worker's frames (see module doc)


class WorkerAdapter:
    """The handle (mlbench.handle.PlatformHandle) on an adapter that lives in a worker process: every primitive
    runs there; `pid` is the worker, whose tree (its JVMs too) is measured and killed."""

    def __init__(self, adapter_name: str, log_path: Path | None) -> None:
        self.adapter_name = adapter_name
        self.deadline: float | None = None
        log = open_log(log_path)  # closed in kill()
        self._log = log
        launcher = current_launcher()  # the run's fork server (mlbench.launcher): numpy & co. already imported
        argv = ["mlbench.worker", adapter_name, str(os.getpid())]
        forked = launcher.spawn(argv, log) if launcher is not None else None
        self.process: subprocess.Popen[bytes] | ForkedProcess = forked or subprocess.Popen(
            [sys.executable, "-m", *argv],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            start_new_session=True,  # Ctrl-C reaches the runner, which stops workers in order
        )
        self.pid: int | None = self.process.pid
        self.alive = True
        self._tree: list[tuple[int, float]] = []  # the worker and what it started (JVMs), for after its death
        self._pending = ""  # the call `begin` sent, whose answer `finish` reads
        self._pending_error = False

    def _call(self, method: str, *args: Any) -> Any:
        self.begin(method, *args)
        return self.finish()

    def begin(self, method: str, *args: Any) -> None:
        """Send a call and return at once; `finish` waits for its answer (the runner starts the first platform's
        session this way while it prepares the run)."""
        if not self.alive:
            raise WorkerDied(f"{self.adapter_name} worker is not running")
        assert self.process.stdin is not None
        self._pending = method
        try:
            _write_frame(self.process.stdin, (method, args))
        except (BrokenPipeError, OSError):
            self._pending_error = True

    def finish(self) -> Any:
        """The answer to the call `begin` sent (or raise what it raised, a timeout, or the worker's death)."""
        method = self._pending
        assert self.process.stdout is not None
        try:
            if self._pending_error:
                self._pending_error = False
                raise BrokenPipeError(method)
            status, value = _read_frame(self.process.stdout.fileno(), self.deadline)
        except CellTimeout:
            self.kill()
            raise CellTimeout(f"{method} still running at the --timeout deadline; worker and JVMs killed") from None
        except (EOFError, BrokenPipeError, OSError):
            code = self.process.wait(timeout=KILL_GRACE_S)
            self.kill()
            raise WorkerDied(f"{self.adapter_name} worker died during {method} ({exit_cause(code)})") from None
        if self.pid is not None and method in ("start_session", "load"):
            remember(self.pid, self._tree)  # e.g. the JVM `start_session` started: it must not outlive the worker
        if status == "ok":
            return value
        kind, message, remote_tb = value
        if kind == "PlatformDied":  # the worker's watcher answered and the worker is ending
            self.kill()
            raise PlatformDied(message)
        if kind == "UnsupportedStep":
            raise UnsupportedStep(message)
        if kind == "SkippedCell":
            raise SkippedCell(message)
        raise RemoteError(f"{kind}: {message}" if message else kind, remote_tb)

    def __getattr__(self, name: str) -> Any:
        if name in primitives():
            return lambda *args: self._call(name, *args)
        raise AttributeError(name)

    def close(self) -> None:
        """Ask the worker to close the adapter (stopping JVMs) and exit; kill the tree if it does not."""
        if self.alive:
            self.deadline = time.monotonic() + 60
            with contextlib.suppress(Exception):
                self._call("close")
            with contextlib.suppress(Exception):
                assert self.process.stdin is not None
                self.process.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=KILL_GRACE_S * 2)
        self.kill()

    def kill(self) -> None:
        self.alive = False
        if self.pid is not None:
            kill_tree(self.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=KILL_GRACE_S)
        # a worker killed by signal 9 could not stop its JVMs, and the tree of a dead pid is empty: stop what
        # it was last seen to have started
        terminate_then_kill(running(self._tree))
        close_log(self._log)


# ----- the worker side ---------------------------------------------------------------------------------------


class _Server:
    def __init__(self, adapter_name: str) -> None:
        from mlbench.registry import get

        self.adapter = get(adapter_name)()
        self.models: dict[int, Any] = {}
        self.next_key = 0
        self.closed = False

    def handle(self, method: str, args: tuple[Any, ...]) -> Any:
        if method == "close":
            self.shutdown()
            return None
        if method in ("predict", "export"):
            return getattr(self.adapter, method)(self.models[args[0].key], *args[1:])
        if method == "release":
            return self.adapter.release(self.models.pop(args[0].key))
        value = getattr(self.adapter, method)(*args)
        if method == "fit":
            self.next_key += 1
            self.models[self.next_key] = value
            return ModelRef(self.next_key)
        return value

    def shutdown(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                self.adapter.close()


class _Replies:
    """One answer per call on the protocol stream: the main thread's, or the platform watcher's when the platform
    dies first (then the main thread's late answer is dropped, and the worker ends)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.lock = threading.Lock()
        self.calls = 0  # calls received
        self.answered = 0  # calls answered
        self.method = ""

    def begin(self, method: str) -> int:
        with self.lock:
            self.calls += 1
            self.method = method
            return self.calls

    def in_flight(self) -> int | None:
        with self.lock:
            return self.calls if self.calls > self.answered else None

    def send(self, call: int, reply: tuple[str, Any]) -> bool:
        with self.lock:
            if self.answered >= call:
                return False
            self.answered = call
            try:
                _write_frame(self.stream, reply)
            except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable result
                _write_frame(self.stream, ("error", (type(exc).__name__, f"cannot send the result back: {exc}", "")))
            return True


def _watch_platform(server_box: list[_Server | None], replies: _Replies) -> None:
    """While a call runs, ask the adapter whether its platform is still up; when it is not, answer the call with
    the cause and end the worker (its children with it; a cluster joined by URL is not ours to stop)."""
    while True:
        time.sleep(PLATFORM_POLL_S)
        server, call = server_box[0], replies.in_flight()
        if server is None or call is None or replies.method in ("close", "liveness"):
            continue
        try:
            cause = server.adapter.liveness()
        except Exception:  # noqa: BLE001 - a check that fails says nothing about the platform
            continue
        if cause:
            sys.stderr.write(f"mlbench: the platform died during {replies.method}: {cause}\n")
            sys.stderr.flush()
            if replies.send(call, ("error", ("PlatformDied", cause, ""))):
                _kill_children_and_exit(None, 4)


def _kill_children_and_exit(server: _Server | None, code: int) -> None:
    if server is not None:
        server.shutdown()
    for child in psutil.Process().children(recursive=True):
        kill_tree(child.pid, grace=2.0)
    os._exit(code)


def _watch_parent(parent_pid: int, server_box: list[_Server | None]) -> None:
    """Exit (taking the JVMs along) as soon as the runner that started us is gone, even after kill -9. The runner
    is known by its pid and start time: on a busy machine (pid_max 32768, JVMs using thread ids by the hundred) a
    dead runner's pid can soon belong to another process or thread, which a bare pid check would take for it."""
    try:
        born = psutil.Process(parent_pid).create_time()
    except psutil.Error:
        born = None
    while True:
        time.sleep(PARENT_POLL_S)
        if os.getppid() == parent_pid:
            continue
        try:
            alive = born is not None and psutil.Process(parent_pid).create_time() == born
        except psutil.Error:
            alive = False
        if not alive:
            _kill_children_and_exit(server_box[0], 3)


def main() -> None:
    adapter_name, parent_pid = sys.argv[1], int(sys.argv[2])
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a platform prints goes to the platform log, never into the protocol
    sys.stdout = sys.stderr
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides when to stop
    box: list[_Server | None] = [None]
    signal.signal(signal.SIGTERM, lambda *_: _kill_children_and_exit(box[0], 143))
    threading.Thread(target=_watch_parent, args=(parent_pid, box), daemon=True).start()
    replies = _Replies(protocol_out)
    threading.Thread(target=_watch_platform, args=(box, replies), daemon=True).start()
    try:
        _serve(adapter_name, box, replies)
    except BaseException:  # noqa: BLE001 - e.g. a reply to a runner that is gone (BrokenPipeError)
        # never end without stopping the platform: a worker forked by the launcher ends with os._exit, so the
        # platform's own atexit clean-up (h2o's, which stops the JVM it started) would not run
        sys.stderr.write(traceback.format_exc())
        _kill_children_and_exit(box[0], 1)


def _serve(adapter_name: str, box: list[_Server | None], replies: _Replies) -> None:
    """Answer the runner's calls, one at a time, until it says close or goes away."""
    stdin_fd = sys.stdin.buffer.fileno()
    server: _Server | None = None
    while True:
        try:
            method, args = _read_frame(stdin_fd)
        except EOFError:
            _kill_children_and_exit(server, 0)
        call = replies.begin(method)
        try:
            if server is None:
                server = box[0] = _Server(adapter_name)
            reply: tuple[str, Any] = ("ok", server.handle(method, args))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the runner
            remote_tb = redact(traceback.format_exc())  # the platform log keeps no URL's password
            sys.stderr.write(remote_tb)
            reply = ("error", (type(exc).__name__, redact(str(exc)).strip(), remote_tb))
        if not replies.send(call, reply):
            time.sleep(3600)  # the watcher answered (the platform died) and is ending this process
        if method == "close":
            _kill_children_and_exit(server, 0)


if __name__ == "__main__":
    # Run the copy imported as `mlbench.worker`, not this `__main__` one, so pickled classes (ModelRef)
    # resolve to the same module on both ends of the pipe.
    from mlbench.worker import main as module_main

    module_main()
