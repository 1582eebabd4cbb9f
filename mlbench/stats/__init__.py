"""The one home of mlbench's arithmetic: finishing OLS from raw platform outputs and emulating what a platform
lacks (`ols`, `emulate`), the statistical procedures every platform is driven through (`procedures`), the truth
reference (`exact`, `reference`), subset search (`subsets`) and the training metrics (`metrics`).

Nothing here imports a platform; adapters import from here, never the other way round.
"""

# What the arithmetic imports only when first used, so `import mlbench`, `mlbench --help` and parsing a scenario
# stay fast (scipy.stats alone costs ~0.6 s, ~1.2 s on a loaded machine).
DEFERRED_IMPORTS = ("scipy.stats",)


def import_deferred() -> None:
    """Import now what the arithmetic would import on first use. The runner calls this before the first measured
    phase: a first-use import in this process would otherwise land inside a platform's timed fit (an emulated
    step's arithmetic runs here), e.g. scikit-learn's first p-values taking 1.2 s of which 0.03 s computed."""
    import gc
    import importlib

    collecting = gc.isenabled()
    gc.disable()  # an import makes no garbage worth collecting; collections during it cost ~10% of its time
    try:
        for name in DEFERRED_IMPORTS:
            importlib.import_module(name)
    finally:
        if collecting:
            gc.enable()
