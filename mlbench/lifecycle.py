"""One adapter's platform across a run (the runner's `Lifecycle`): its session started once and timed, the data
unit loaded and timed (with the data footprint's baseline), a dead platform restarted, a session that died while
starting started again. Measuring stays the runner's (`Runner._timed`); this only decides what to start when."""

from __future__ import annotations

import functools
from typing import Any

from mlbench.adapter import Adapter
from mlbench.errors import PlatformDied, PlatformError
from mlbench.handle import PlatformHandle, platform_death
from mlbench.measure import tree_rss_mb
from mlbench.plan import DataUnit
from mlbench.sanitize import redact
from mlbench.worker import CellTimeout


def one_line(exc: BaseException) -> str:
    """An exception as a record's one-line error (a URL's password never stored)."""
    text = redact(str(exc)).strip().splitlines()
    first = text[0] if text else ""
    if isinstance(exc, PlatformDied):
        return f"platform died: {first}"
    if isinstance(exc, PlatformError | CellTimeout):
        return first  # already says what happened, with the remote exception's type name
    return f"{type(exc).__name__}: {first}".rstrip(": ")


class Lifecycle:
    """One adapter's platform across a run: started once, reloaded per data unit, restarted after its platform
    died (`died`, or found dead before a cell) or a cell killed its worker (timeout). A failed session is not
    retried for every cell: `session_error` says why there is none."""

    def __init__(self, runner: Any, cls: type[Adapter]) -> None:
        """`runner`: the Runner whose `_timed` measures each start and load, and whose records they become."""
        self.runner, self.cls = runner, cls
        self.adapter: PlatformHandle | None = None
        self.loaded: DataUnit | None = None
        self.base_mb: float | None = None  # the tree's MB after the session started, before its first load
        self.session_error: str | None = None
        self.fault = "environment"  # whose fault it is when `ready` fails (see FAULTS)
        # sessions of this platform before the current one: restarts after a death, and, in a resumed run, the
        # sessions of the invocations it continues (so a resumed start is timed apart, never as a second repeat)
        before = runner.sessions_before.get((cls.name, runner._cores), 0)
        self.restarts = max(before - 1, 0)  # `ready` counts the session it starts after them
        self.death: str | None = None  # what the last session died of, for the restarted session's record
        if before:
            self.death = "the run was interrupted (this session is its resumption's)"

    def _alive(self) -> bool:
        if self.adapter is None or not self.adapter.alive:
            return False
        cause = platform_death(self.adapter)  # died between cells: restart before this one, no cell lost
        if cause:
            self.died(cause)
            return False
        return True

    def died(self, cause: str) -> None:
        """The platform is gone: let go of it (stopping whatever is left), so the next `ready` starts afresh."""
        self.runner.progress(f"{self.cls.name}: the platform died: {cause}")
        self.death = cause
        if self.adapter is not None:
            self.adapter.kill()
        self.close()

    def ready(self, unit: DataUnit) -> bool:
        """Session started and `unit` loaded; starts or restarts what is missing, each a timed phase."""
        runner, cls = self.runner, self.cls
        if self.session_error:
            return False
        if not self._alive() and not self._start(unit):
            return False
        if self.loaded is not unit:
            runner.progress(f"{cls.name}: loading {unit.label}")
            handle = self.handle()
            if self.base_mb is None:
                self.base_mb = tree_rss_mb(handle.pid)
            error, fault = runner._timed(cls, handle, unit, "load", functools.partial(handle.load, unit.source),
                                         restart=self.restarts, base_mb=self.base_mb)
            if error:
                self.loaded, self.fault = None, fault
                return False
            self.loaded = unit
        return True

    def _start(self, unit: DataUnit) -> bool:
        """Start (or restart) the session, a timed phase. A platform that dies while its session starts is
        started again, up to `--retries` times, as a cell whose platform died is retried; any other failure to
        start (or a second death) is `session_error`, and no cell of this platform runs."""
        runner, cls = self.runner, self.cls
        for attempt in range(1, runner.plan.retries + 2):
            restart = 0
            if self.adapter is not None or self.death is not None:
                self.restarts += 1
                restart = self.restarts
                runner.progress(f"{cls.name}: restarting the platform (restart {restart})")
                self.close()
            self.loaded = self.base_mb = None
            runner.session_death = None
            early = runner.take_early_session(cls)
            if early is not None:
                self.adapter = early.handle
                error = runner._record_early_session(cls, unit, early)
            else:
                self.adapter = adapter = runner._new_handle(cls)
                runner.progress(f"{cls.name}: starting session")
                error, _ = runner._timed(cls, adapter, unit, "session",
                                         functools.partial(adapter.start_session, runner.plan.options),
                                         restart=restart,
                                         after=self.death)
            self.death = None
            if not error:
                return True
            death = runner.session_death
            if death is not None and attempt <= runner.plan.retries:
                runner.progress(f"{cls.name}: the platform died while its session started ({death}); starting it "
                                "again")
                self.died(death)
                continue
            self.session_error, self.fault = error, "environment"
            self.close()
            return False
        return False  # unreachable: the last attempt returns above

    def handle(self) -> PlatformHandle:
        """The platform's handle, once `ready` said it is started."""
        assert self.adapter is not None, "ready() first"
        return self.adapter

    def kill(self) -> None:
        if self.adapter is not None:
            self.adapter.kill()
        self.close()

    def close(self) -> None:
        if self.adapter is not None:
            try:
                self.adapter.close()
            except Exception as exc:  # noqa: BLE001
                self.runner.progress(f"{self.cls.name}: close failed: {one_line(exc)}")
            self.adapter = None
