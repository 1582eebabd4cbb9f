"""The Python warnings a platform raised during one call, as the record keeps them.

A GLM that only warns on separation or non-convergence (statsmodels' PerfectSeparationWarning, scikit-learn's
ConvergenceWarning) and one that says nothing must be told apart, so the adapters record what was raised
instead of letting it scroll past on stderr.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def recorded() -> Iterator[list[str]]:
    """Collect every warning raised in the block (none is shown): on exit the yielded list holds each distinct
    one once, as "Category: message", in the order first raised (iterative solvers repeat them every step)."""
    found: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield found
        finally:
            seen: dict[str, None] = {}
            for w in caught:
                seen.setdefault(f"{w.category.__name__}: {w.message}", None)
            found.extend(seen)
