"""A fork server for worker processes: numpy, pandas and scipy imported once per run, not once per platform.

Every platform runs in its own worker process (mlbench.worker), and each worker used to start a fresh
interpreter and import numpy, pandas, scipy and pyarrow again (about 1 s each, more on a loaded machine) where a
hand-written script imports them once: on the four-platform job that alone was most of mlbench's overhead. So a
run in process isolation starts this launcher first thing (`running`): a process that imports those modules
(`PRELOAD`) while the run is being prepared, then waits. Each worker is then a fork of it, with the modules
already in memory, started at its platform's turn as before. The command line starts it before typer parses the
command line, as a fork of the CLI process itself (`running(fork=True)`), not a second interpreter to start.

Isolation is unchanged: each worker is still its own process, in its own session (`setsid`), with its own
pipes; a crash in one kills that worker only (the launcher and the other workers are separate processes), its
exit status still reaches the runner (the launcher reaps it and reports the status on the worker's own status
socket, which `ForkedProcess.wait` reads, as Popen would), and a worker still watches the runner and ends with
it. The launcher holds no platform: it never imports one, and ends when the runner closes its socket or dies.

The pipes and the log are handed to the launcher as file descriptors over a Unix socket (SCM_RIGHTS); the
launcher forks, the child puts them on 0, 1 and 2 and runs `mlbench.worker.main` as `python -m mlbench.worker`
would. Where that is not possible (no fork, the launcher failed to start or died), `spawn` returns None and the
worker is started as a fresh interpreter, as before.
"""

from __future__ import annotations

import contextlib
import gc
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

# Imported once, in the launcher, before any worker is forked: what every worker needs whatever its platform
# (the data frames, the arithmetic, the Parquet reader, the worker's own modules). Never a platform.
PRELOAD = ("numpy", "pandas", "scipy.stats", "scipy.linalg", "pyarrow", "pyarrow.parquet", "psutil",
           "mlbench.worker", "mlbench.registry", "mlbench.run_data", "mlbench.platforms.frames")
_PID = struct.Struct("!q")
_STATUS = struct.Struct("!i")


class ForkedProcess:
    """A worker forked by the launcher, used as the runner uses a Popen: `pid`, `stdin`, `stdout`, `poll`,
    `wait(timeout)` and `returncode` (negative: killed by that signal)."""

    def __init__(self, pid: int, stdin: IO[bytes], stdout: IO[bytes], status: socket.socket) -> None:
        self.pid = pid
        self.stdin: IO[bytes] | None = stdin
        self.stdout: IO[bytes] | None = stdout
        self.returncode: int | None = None
        self._status = status

    def poll(self) -> int | None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.wait(timeout=0)
        return None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self._status], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0)
            data = self._status.recv(_STATUS.size)
            # no status: the launcher is gone without reaping it (it died); the worker ended with it or is
            # ending (it watches the runner, not the launcher): say so rather than wait forever
            self.returncode = _STATUS.unpack(data)[0] if len(data) == _STATUS.size else -signal.SIGKILL
            self._status.close()
        return self.returncode


class Launcher:
    """The runner's end of the launcher process (started by `running`): a fresh interpreter, or with `fork` a
    fork of this process (see `running`)."""

    def __init__(self, fork: bool = False) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._socket = ours
        try:
            self.process: subprocess.Popen[bytes] | ForkedLauncher = _fork(ours, theirs) if fork else subprocess.Popen(
                [sys.executable, "-m", "mlbench.launcher", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True,  # Ctrl-C reaches the runner only
            )
        finally:
            theirs.close()

    def spawn(self, argv: list[str], log: IO[bytes] | int) -> ForkedProcess | None:
        """`python -m argv[0] argv[1:]` forked by the launcher (stdin and stdout pipes to us, stderr to `log`), or
        None if it cannot fork one. Waits for the launcher's imports the first time (they are what the worker
        would otherwise do itself)."""
        if self.process.poll() is not None:
            return None
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        status_ours, status_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        log_fd = log if isinstance(log, int) else log.fileno()
        if log_fd == subprocess.DEVNULL:
            log_fd = os.open(os.devnull, os.O_WRONLY)
            opened = [log_fd]
        else:
            opened = []
        try:
            fds = [to_child, from_child, log_fd, status_theirs.fileno()]
            socket.send_fds(self._socket, ["\0".join(argv).encode()], fds)
        except OSError:
            pass
        finally:  # ours closed before waiting: if the launcher dies, the wait below ends (EOF)
            for fd in (to_child, from_child, *opened):
                os.close(fd)
            status_theirs.close()
        try:
            data = status_ours.recv(_PID.size)  # the child's pid; its exit status (shorter) if it failed to start
        except OSError:
            data = b""
        if len(data) != _PID.size:
            os.close(from_parent)
            os.close(to_parent)
            status_ours.close()
            return None
        return ForkedProcess(_PID.unpack(data)[0], os.fdopen(from_parent, "wb"), os.fdopen(to_parent, "rb"),
                             status_ours)

    def close(self) -> None:
        """End the launcher now, even mid-import (a run refused for bad input): it holds nothing of the run, and
        its workers are the runner's to stop, stopped before this."""
        self._socket.close()
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
            return
        self.process.kill()
        self.process.wait()


_current: list[Launcher] = []


def current() -> Launcher | None:
    """The launcher of the run in progress in this process, if one is running."""
    return _current[-1] if _current else None


@contextlib.contextmanager
def running(enabled: bool = True, fork: bool = False) -> Iterator[None]:
    """Start a launcher for the block (a run in process isolation): its imports overlap the run's preparation,
    and every worker of the run is forked from it. Linux only: macOS's system libraries (Accelerate, the
    Objective-C runtime) are not safe to use in a fork that does not exec; elsewhere workers start as before.

    `fork`: the launcher is a fork of this process rather than a fresh interpreter (which costs ~50 ms before its
    first import, on every run's critical path). Only for a process that has no other thread and has imported
    nothing but the command line (`mlbench.cli.main`, first thing): what it holds, the launcher and every worker
    would hold. Where forking fails, a fresh interpreter as without it."""
    if not enabled or not sys.platform.startswith("linux") or current() is not None:
        yield
        return
    try:
        launcher = Launcher(fork=fork)
    except OSError:
        yield
        return
    _current.append(launcher)
    try:
        yield
    finally:
        _current.remove(launcher)
        launcher.close()


class ForkedLauncher:
    """The launcher forked by `_fork`, used as `Launcher` uses a Popen: `pid`, `poll`, `wait(timeout)`,
    `terminate`, `kill` (it is this process's child, reaped here)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            with contextlib.suppress(ChildProcessError):
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid == 0:
                    return None
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"launcher {self.pid}", timeout or 0)
            time.sleep(0.001)
        assert self.returncode is not None
        return self.returncode

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, number: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, number)


def _fork(ours: socket.socket, theirs: socket.socket) -> ForkedLauncher:
    """The launcher as a fork of this process, set up as `Launcher`'s Popen sets up a fresh one: its own
    session, /dev/null on 0, 1 and 2 (and sys.stdin, stdout, stderr on them), no descriptor but its socket,
    default SIGTERM."""
    for stream in (sys.stdout, sys.stderr):  # nothing buffered here is ever written twice
        with contextlib.suppress(Exception):
            stream.flush()
    pid = os.fork()
    if pid:
        return ForkedLauncher(pid)
    try:
        ours.close()
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(null, target)
        # the standard streams of a fresh interpreter, on 0, 1 and 2 (what a worker reads and writes through)
        sys.stdin, sys.stdout, sys.stderr = (open(fd, mode, closefd=False)  # noqa: SIM115 - they live as long
                                             for fd, mode in ((0, "r"), (1, "w"), (2, "w")))
        keep = theirs.fileno()
        for fd in [int(name) for name in os.listdir("/proc/self/fd")]:  # the open ones (as Popen's close_fds)
            if fd > 2 and fd != keep:
                with contextlib.suppress(OSError):  # the listing's own, closed already
                    os.close(fd)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        serve(keep)
    finally:
        os._exit(1)


# ----- the launcher process ----------------------------------------------------------------------------------


def _child(argv: list[str], fds: list[int], status: socket.socket, keep_closed: list[Any]) -> None:
    """In the forked child: its own session, the pipes on 0/1/2, then module argv[0]'s `main` with argv[1:] as
    `python -m` would run it (never returns)."""
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for thing in keep_closed:
            thing.close()
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        status.send(_PID.pack(os.getpid()))  # the runner gets the pid once the worker is set up, as from Popen
        status.close()
        if "numpy" in sys.modules:  # a fresh process's entropy, as a freshly started worker had
            sys.modules["numpy"].random.seed()
        import importlib

        sys.argv = list(argv)
        importlib.import_module(argv[0]).main()  # what its `python -m` entry calls (mlbench.worker.main)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    except SystemExit as exc:
        sys.stderr.flush()
        os._exit(exc.code if isinstance(exc.code, int) else 1)
    except BaseException:  # noqa: BLE001 - a child must never return into the launcher's loop
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
    os._exit(1)


def _reap(children: dict[int, socket.socket]) -> None:
    """Report each worker that ended to its runner (its status socket), as Popen's returncode."""
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        sock = children.pop(pid, None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.send(_STATUS.pack(os.waitstatus_to_exitcode(status)))
            sock.close()


def main() -> None:
    """`python -m mlbench.launcher FD`: serve the runner on socket FD."""
    serve(int(sys.argv[1]))


def serve(fd: int) -> None:
    """Import PRELOAD, then fork a worker for each request on socket `fd` until the runner closes it (never
    returns)."""
    ctl = socket.socket(fileno=fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import importlib

    gc.disable()  # imports make no garbage worth collecting; collections during them cost ~5-10% of their time
    for name in PRELOAD:
        with contextlib.suppress(Exception):  # a module missing here is imported by the worker that needs it
            importlib.import_module(name)
    gc.collect()
    gc.freeze()  # what is loaded now stays shared with every worker: no collection of theirs touches (copies) it
    gc.enable()  # workers collect as fresh interpreters do
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    children: dict[int, socket.socket] = {}
    while True:
        try:
            ready = select.select([ctl.fileno(), wake_r], [], [])[0]
        except InterruptedError:
            continue
        if wake_r in ready:
            os.read(wake_r, 4096)
        if ctl.fileno() in ready:
            try:
                message, fds, _, _ = socket.recv_fds(ctl, 4096, 4)
            except InterruptedError:
                continue
            if not message:  # the runner closed its end or died: no more workers to start, and none left behind
                for pid in children:  # each stops its platform on SIGTERM (worker.main), as on its runner's death
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
                break
            status = socket.socket(fileno=fds[3])
            pid = os.fork()
            if pid == 0:
                _child(message.decode().split("\0"), fds[:3], status,
                       [ctl, *children.values(), _Fd(wake_r), _Fd(wake_w)])
            for fd in fds[:3]:
                os.close(fd)
            children[pid] = status  # the child sends its pid on it; we send its exit status when it ends
        _reap(children)
    os._exit(0)


class _Fd:
    """A raw descriptor the child closes, with the same `close` as a socket."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def close(self) -> None:
        os.close(self.fd)


if __name__ == "__main__":
    main()
