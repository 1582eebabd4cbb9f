"""Errors that mean "the user asked for something we cannot do": the CLI prints them as one line, exit 2.

Also the one home of "did you mean ...?" for a mistyped name (adapter, scenario, dataset, column, scenario key,
step): `closest` and `unknown`.
"""

from __future__ import annotations

from collections.abc import Iterable

KNOWN_SHOWN = 20  # names listed after an unknown one, at most


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


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name a mistyped one most likely meant: the same but for case (`sales` -> `Sales`), else a near
    miss (difflib's ratio of at least 0.6, ignoring case), else None."""
    import difflib  # here: `mlbench --help` imports this module

    names = [str(k) for k in known]
    folded = {k.casefold(): k for k in reversed(names)}  # the first of names equal but for case
    if name.casefold() in folded:
        return folded[name.casefold()]
    close = difflib.get_close_matches(name.casefold(), list(folded), n=1)
    return folded[close[0]] if close else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """"; did you mean 'y'?" for the closest known name, or "" when nothing is close."""
    guess = closest(name, known)
    return "" if guess is None else f"; did you mean {guess!r}?"


def listing(known: Iterable[str]) -> str:
    """Known names for an error line: the first KNOWN_SHOWN, and how many more."""
    names = [str(k) for k in known]
    extra = len(names) - KNOWN_SHOWN
    return ", ".join(names[:KNOWN_SHOWN]) + (f" and {extra} more" if extra > 0 else "")


def unknown(what: str, name: str, known: Iterable[str]) -> str:
    """One line: "unknown WHAT 'x'; did you mean 'y'? (known: ...)", or "unknown WHAT 'x'; known: ..." when nothing
    is close."""
    names = [str(k) for k in known]
    hint = did_you_mean(name, names)
    if not names:
        return f"unknown {what} {name!r}"
    return f"unknown {what} {name!r}{hint} (known: {listing(names)})" if hint else \
        f"unknown {what} {name!r}; known: {listing(names)}"
