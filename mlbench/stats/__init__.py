"""The one home of mlbench's arithmetic: finishing OLS from raw platform outputs and emulating what a platform
lacks (`ols`, `emulate`), the statistical procedures every platform is driven through (`procedures`), the truth
reference (`exact`, `reference`), subset search (`subsets`) and the training metrics (`metrics`).

Nothing here imports a platform; adapters import from here, never the other way round.
"""
