"""How the runner holds one platform: a typed handle, the same whether the adapter lives in this process
(`InlineHandle`, --isolation inline) or in a worker subprocess (`mlbench.worker.WorkerAdapter`).

The runner measures the process tree of `pid`, sets `deadline` for a cell (only a worker can be stopped
mid-call), asks `alive` after a failure and `kill`s on Ctrl-C; every adapter primitive (mlbench.adapter.primitives)
is called through the handle. It never probes attributes of the adapter itself.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Protocol

from mlbench.adapter import Adapter, SessionOptions, primitives
from mlbench.errors import PlatformDied, PlatformError, SkippedCell, UnsupportedStep


class PlatformHandle(Protocol):
    pid: int | None  # the process whose tree is measured; None: this process
    alive: bool  # False once the platform's process is gone (a killed or crashed worker)
    deadline: float | None  # time.monotonic() after which the current call is stopped (workers only)

    def kill(self) -> None: ...
    def close(self) -> None: ...
    def __getattr__(self, name: str) -> Any: ...  # the adapter primitives


class InlineHandle:
    """The adapter in this process: measured as this process, no deadline, `kill` is `close`."""

    def __init__(self, cls: type[Adapter]) -> None:
        self.adapter = cls()
        self.pid: int | None = None
        self.alive = True
        self.deadline: float | None = None

    def __getattr__(self, name: str) -> Any:
        if name in primitives():
            return _as_platform_error(getattr(self.adapter, name))
        raise AttributeError(name)

    def kill(self) -> None:
        self.close()

    def close(self) -> None:
        if self.alive:
            self.alive = False
            self.adapter.close()


def _as_platform_error(call: Any) -> Any:
    """The primitive, raising what it raises as a worker's handle does: an unexpected exception becomes a
    PlatformError (the platform's failure, a measurement), so the runner tells it from its own."""

    def forward(*args: Any) -> Any:
        try:
            return call(*args)
        except (UnsupportedStep, SkippedCell, PlatformDied, PlatformError):
            raise
        except Exception as exc:  # re-raised, classified
            message = str(exc).strip()
            raise PlatformError(f"{type(exc).__name__}: {message}" if message else type(exc).__name__) from exc

    return forward


def new_handle(cls: type[Adapter], isolation: str, log_path: Path | None) -> PlatformHandle:
    """A handle on a fresh instance of the adapter, in a worker process (isolation "process") or here."""
    if isolation == "process":
        from mlbench.worker import WorkerAdapter

        return WorkerAdapter(cls.name, log_path)
    return InlineHandle(cls)


class EarlySession:
    """The first platform's session, begun in its worker process while the parent prepares the run (loading and
    checking the data, writing it, the truth reference, the manifest: the harness's own work, the only thing
    allowed beside a measured phase). Measured as every phase: wall from the request to the answer, CPU and peak
    memory of the worker's process tree. Later sessions start when their platform's turn comes, alone.

    The worker is started, and the session requested, on a thread: a worker forked by the run's launcher
    (mlbench.launcher) exists only once the launcher has done its imports, and the parent's preparation must
    not wait for that. The measurement starts when the worker exists, as it does for a later session."""

    def __init__(self, cls: type[Adapter], options: SessionOptions) -> None:
        import threading

        self.name = cls.name
        self._stack = contextlib.ExitStack()
        self._started: BaseException | None = None
        self._thread = threading.Thread(target=self._begin, args=(options,), name="mlbench-early-session",
                                        daemon=True)
        self._thread.start()

    def _begin(self, options: SessionOptions) -> None:
        from mlbench.measure import measure
        from mlbench.worker import WorkerAdapter

        try:
            self._handle = WorkerAdapter(self.name, options.log_path)
            self._measurement = self._stack.enter_context(measure(self._handle.pid))
            self._handle.begin("start_session", options)
        except BaseException as exc:  # noqa: BLE001 - raised where the session is awaited
            self._started = exc

    @property
    def handle(self) -> Any:
        """The worker (a WorkerAdapter), once it is started; raises what starting it raised."""
        self._thread.join()
        if self._started is not None:
            raise self._started
        return self._handle

    def complete(self) -> tuple[Any, Exception | None]:
        handle = self.handle
        try:
            handle.finish()
            error: Exception | None = None
        except Exception as exc:  # noqa: BLE001 - recorded on the session record
            error = exc
        finally:
            self._stack.close()
        return self._measurement, error

    def cancel(self) -> None:
        """The run will not happen (bad input found while preparing it): stop the platform."""
        self._thread.join()
        self._stack.close()
        if self._started is None:
            self._handle.kill()


# ----- what a handle's platform says about itself, asked without ever failing a cell -----------------------


def with_ran(result: dict[str, Any] | None, cls: type[Adapter], handle: PlatformHandle) -> dict[str, Any] | None:
    """The phase's result with what the platform says actually ran in it (`Adapter.ran`) as `ran`. Asked only of
    an adapter that answers it (no extra call to any other platform, so a platform's death is still found by the
    next primitive as before), after every phase of a live platform, so a failed phase's paths do not reach the
    next one; asking never fails a cell (provenance is best effort)."""
    if cls.ran is Adapter.ran or not handle.alive:
        return result
    try:
        ran = handle.ran()
    except Exception:  # noqa: BLE001
        return result
    return {**result, "ran": ran} if result is not None and ran else result


def platform_death(handle: PlatformHandle) -> str | None:
    """How the handle's platform died, or None while it is up (or when asking fails: that says nothing)."""
    if not handle.alive:
        return None
    try:
        cause = handle.liveness()
    except PlatformDied as exc:  # the worker's watcher answered first, or the worker itself is gone
        return str(exc)
    except Exception:  # noqa: BLE001
        return None
    return str(cause) if cause else None
