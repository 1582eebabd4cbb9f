"""mlbench: measure which ML platform does a statistics or training job right, fast and deployably.

Importing this package is cheap on purpose: it never imports numpy-heavy platforms (scikit-learn,
statsmodels, h2o, pyspark, xgboost). Those are imported by the adapter that needs them, when it runs.
"""

__version__ = "0.1.0"
# The record and run.json layout. 2: the truth grade (deviation in correct digits, run.json `truth` and `vs_r`).
SCHEMA_VERSION = 2

__all__ = ["SCHEMA_VERSION", "__version__"]
