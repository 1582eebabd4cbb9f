"""The detail tables of a run report, each declared once (mlbench.reports.table.detail) and drawn by both the
console and the HTML report. Importing this package declares the built-ins, in the order the console prints
them: accuracy; the statistics steps' tables; training, the core sweep, scaling and deployability."""

# the order of these imports is the order of the tables
# isort: off
from mlbench.reports.details import accuracy  # noqa: F401
from mlbench.reports.details import glm_accuracy  # noqa: F401
from mlbench.reports.details import statistics  # noqa: F401
from mlbench.reports.details import models  # noqa: F401
from mlbench.reports.details import batches  # noqa: F401
from mlbench.reports.details import cores  # noqa: F401
# isort: on
from mlbench.reports.table import DETAILS, Detail


def details() -> list[Detail]:
    """Every declared detail table: the built-ins (declared by importing this package), then any added since."""
    return list(DETAILS)
