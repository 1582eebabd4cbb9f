"""Child processes and JVMs: finding the ones mlbench started, stopping them, and the log they write to.

Every process mlbench starts (a worker, a platform's JVM, Rscript, a MOJO server, a deploy scorer) ends the same
way, through `stop` (a process we hold: ask, wait, terminate, kill) or `kill_tree` (a pid that must go now). The
platform modules keep only what is special to their platform: H2O's REST shutdown, Spark's py4j gateway, the R
server's quit request; then they hand the process to `stop`.

psutil is imported inside the functions that need it: this module is imported on the way to loading a MOJO in a
deploy scorer, whose load time is measured, and nothing there needs psutil until a process is stopped.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    import psutil

KILL_GRACE_S = 5.0
DEVNULL = subprocess.DEVNULL

# ----- the platform log ---------------------------------------------------------------------------------------


@overload
def open_log(path: None, *, text: bool = False) -> int: ...
@overload
def open_log(path: str | Path, *, text: Literal[True]) -> IO[str]: ...
@overload
def open_log(path: str | Path, *, text: Literal[False] = False) -> IO[bytes]: ...
@overload
def open_log(path: str | Path | None, *, text: Literal[False] = False) -> IO[bytes] | int: ...
def open_log(path: str | Path | None, *, text: bool = False) -> IO[Any] | int:
    """Open the run's platform log for appending, creating its directory; `subprocess.DEVNULL` when there is none.

    Appending, because the workers and platforms of a run (and a `--resume` of it) all write into one file.
    Binary (the default) for a child process's stdout/stderr; `text=True` (UTF-8) for Python code that writes
    to it or redirects its own output there. The caller owns the file and gives it to `close_log` when done.
    """
    if path is None:
        return DEVNULL
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if text:
        return open(path, "a", encoding="utf-8")
    return open(path, "ab")


def close_log(log: IO[Any] | int | None) -> None:
    """Close what `open_log` returned (DEVNULL and None need nothing). A log that fails to close at shutdown
    must not hide why the session ended, so an OSError is ignored."""
    if log is None or isinstance(log, int):
        return
    with contextlib.suppress(OSError):
        log.close()


def close_streams(*streams: IO[Any] | None) -> None:
    """Close a child's pipes, ignoring ones that are missing, closed or broken. Closing its stdin is how mlbench
    asks a server child to exit (Spark's gateway, Rscript, the MOJO server): the child may be gone already, and
    flushing into its dead pipe must not stop the rest of the shutdown."""
    for stream in streams:
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.close()


# ----- watching ---------------------------------------------------------------------------------------------


def child_pids() -> set[int]:
    """The pids of this process's children now; with `new_children`, finds what a library started without
    giving us a handle on it (H2O's `H2OLocalServer.start` when it fails or is interrupted)."""
    import psutil

    return {child.pid for child in psutil.Process().children()}


def new_children(before: set[int]) -> dict[int, psutil.Process]:
    """This process's children that were not in `before` (from `child_pids`), by pid."""
    import psutil

    return {child.pid: child for child in psutil.Process().children() if child.pid not in before}


def tree(process: int | psutil.Process) -> list[psutil.Process]:
    """A process and all its descendants, descendants first; empty when it is gone.

    List it while the root is alive: once the root exits its children are re-parented and cannot be found
    from it any more, which is why `stop` lists the tree before it waits."""
    import psutil

    try:
        root = psutil.Process(process) if isinstance(process, int) else process
        return [*root.children(recursive=True), root]
    except psutil.Error:
        return []


def remember(pid: int, seen: list[tuple[int, float]]) -> None:
    """Add a process and its current descendants to `seen`, as (pid, start time), skipping those already there.

    For a process that starts helpers over its life (Spark's driver starts Python workers): remembering them as
    they appear lets `running` find them after the process that started them is gone. The start time makes the
    entry name one process, not a pid that the system may give to another one later."""
    import psutil

    known = set(seen)
    for proc in reversed(tree(pid)):  # the root first
        with contextlib.suppress(psutil.Error):
            key = (proc.pid, proc.create_time())
            if key not in known:
                seen.append(key)
                known.add(key)


def running(seen: Iterable[tuple[int, float]]) -> list[psutil.Process]:
    """The processes of `seen` (from `remember`) still running: same pid and start time, and not a zombie."""
    import psutil

    alive = []
    for pid, created in seen:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            if proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
    return alive


# ----- deaths -----------------------------------------------------------------------------------------------


def exit_cause(returncode: int) -> str:
    """How a process ended, in words: "killed by signal 9 (SIGKILL: kill -9 or the kernel's OOM killer)" for a
    negative return code (Popen's, psutil's), "exited with code 3" otherwise."""
    import signal

    if returncode < 0 or returncode in (128 + signal.SIGKILL, 128 + signal.SIGTERM):
        number = -returncode if returncode < 0 else returncode - 128
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown signal"
        hint = ": kill -9 or the kernel's OOM killer" if number == signal.SIGKILL else ""
        return f"killed by signal {number} ({name}{hint})"
    return f"exited with code {returncode}"


def ended(process: subprocess.Popen[Any] | psutil.Process | None) -> str | None:
    """None while the process runs (or was never started); once it has ended, how (`exit_cause`), reaping it
    when it is our child."""
    import psutil

    if process is None:
        return None
    if isinstance(process, subprocess.Popen):
        code = process.poll()
        return None if code is None else exit_cause(code)
    try:
        code = process.wait(timeout=0)
    except psutil.TimeoutExpired:
        return None
    except psutil.Error:
        return "exited"
    return exit_cause(int(code)) if code is not None else "exited"


def log_tail(paths: Iterable[Path], lines: int = 20) -> str:
    """The last `lines` lines of each existing file, under its name: what a platform said before it died."""
    out = []
    for path in paths:
        with contextlib.suppress(OSError):
            text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            if text:
                out.append(f"--- last lines of {path}\n" + "\n".join(text))
    return "\n".join(out)


# ----- stopping ---------------------------------------------------------------------------------------------


def terminate_then_kill(procs: Iterable[psutil.Process], grace: float = KILL_GRACE_S) -> None:
    """SIGTERM every process, SIGKILL those still alive `grace` seconds later, then wait up to `grace` for them.

    Terminate first, so a worker can stop its own JVMs (its SIGTERM handler does) and a JVM can run its shutdown
    hooks; kill after, because a process that hangs must never outlive its run. psutil checks each process's
    identity (pid and start time) before signalling it, so a pid reused by another program is never hit; and
    waiting reaps our own children, so none is left a zombie."""
    procs = list(procs)
    if not procs:
        return
    import psutil

    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=grace)


def kill_tree(pid: int, grace: float = KILL_GRACE_S) -> None:
    """Terminate a process and all its descendants; kill what is still alive after `grace` seconds.

    For a tree that must go now, known only by pid: a worker past its deadline or whose runner is gone (its
    JVMs with it), a deploy scorer that timed out, a worker's children when the worker exits."""
    terminate_then_kill(tree(pid), grace)


def stop(process: subprocess.Popen[Any] | psutil.Process, *, wait: float = 0.0, grace: float = KILL_GRACE_S) -> None:
    """Stop a child process we started and everything under it, and reap it.

    `wait`: seconds to let it exit by itself first, after the caller asked it to (closed its stdin, sent R a
    quit request, sent H2O a REST shutdown); then whatever is left of the tree is terminated and, `grace`
    seconds later, killed (`terminate_then_kill`). The tree is listed before the wait, while the root can still
    name its children. A Popen that has already exited is left alone (its pid may be another program's by
    now), which makes a second call harmless; one that exits by itself is reaped through Popen, so its
    returncode is right."""
    import psutil

    if isinstance(process, subprocess.Popen):
        if process.poll() is not None:
            return  # exited already: its pid, and so its tree, may be another program's by now
        members = tree(process.pid)
    else:
        members = tree(process)
    if wait > 0:
        with contextlib.suppress(subprocess.TimeoutExpired, psutil.Error):  # psutil.TimeoutExpired is an Error
            process.wait(timeout=wait)
    terminate_then_kill(members, grace)
    if isinstance(process, subprocess.Popen):
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)  # reap it (if psutil reaped it first, Popen records returncode 0)
