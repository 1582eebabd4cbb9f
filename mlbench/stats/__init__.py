"""The one home of mlbench's arithmetic: finishing OLS from raw platform outputs and emulating what a platform
lacks (`ols`, `emulate`), the statistical procedures every platform is driven through (`procedures`), the truth
reference (`exact`, `reference`), subset search (`subsets`) and the training metrics (`metrics`).

Nothing here imports a platform; adapters import from here, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable

# What the arithmetic imports only when first used, so `import mlbench`, `mlbench --help` and parsing a scenario
# stay fast (scipy.stats alone costs ~0.6 s, ~1.2 s on a loaded machine).
DEFERRED_IMPORTS = ("scipy.stats",)


def import_deferred() -> None:
    """Import now what the arithmetic would import on first use. Done before the first measured phase of this
    process: a first-use import here would otherwise land inside a platform's timed fit (an emulated step's
    arithmetic runs here), e.g. scikit-learn's first p-values taking 1.2 s of which 0.03 s computed."""
    import importlib

    for name in DEFERRED_IMPORTS:
        importlib.import_module(name)


def import_deferred_meanwhile() -> Callable[[], None]:
    """`import_deferred` on a thread, begun now; the function returned waits for it (and raises what it raised),
    at once once it has ended. The runner begins it where it would otherwise wait idle for the first platform's
    session (started early, in its worker) and waits for it before its first measured phase: the imports then
    cost no wall time while that session is the longer path, and never land inside a timed phase."""
    import threading

    failed: list[BaseException] = []

    def run() -> None:
        try:
            import_deferred()
        except BaseException as exc:  # noqa: BLE001 - raised by the wait, in the runner's thread
            failed.append(exc)

    thread = threading.Thread(target=run, name="mlbench-deferred-imports", daemon=True)
    thread.start()

    def wait() -> None:
        thread.join()
        if failed:
            raise failed[0]

    return wait
