"""Errors that mean "the user asked for something we cannot do": the CLI prints them as one line, exit 2."""


class MlbenchError(Exception):
    """Bad input or usage (missing file, unknown adapter, malformed scenario...).

    Raised anywhere in the core; the CLI turns it into a single stderr line and exit code 2. Errors that only
    affect one platform are not raised: the runner records them on that platform's cells instead.
    """


class UnsupportedStep(Exception):
    """Raised by an adapter for a step or variant it cannot do; the runner records `unsupported`."""


class SkippedCell(Exception):
    """Raised when a cell is deliberately not run (e.g. an emulation over the fit budget); recorded `skipped`."""


class PlatformDied(Exception):
    """The platform (its JVM, its R process, its cluster or the worker holding it) died during or before a call.

    The message is one line saying how (killed by signal 9, exited with code 137, connection refused). The runner
    starts a fresh session for the next call and retries the cell that was running (`--retries`)."""


class PlatformError(Exception):
    """An exception raised by an adapter's primitive: the platform's own call failed (a solver refusing a
    singular design, a converter failing). A measurement of the platform, recorded on its cell; the message starts
    with the original exception's type name. (In a worker: `worker.RemoteError`.)"""


class RunInterrupted(Exception):
    """Ctrl-C or SIGTERM stopped a run; its records so far are valid and `--resume` finishes it."""

    def __init__(self, run_dir: object) -> None:
        super().__init__(f"interrupted; records so far are in {run_dir}; finish with: mlbench run --resume {run_dir}")
        self.run_dir = run_dir
