"""mlbench: measure which ML platform does a statistics or training job right, fast and deployably.

Importing this package is cheap on purpose: it never imports numpy-heavy platforms (scikit-learn,
statsmodels, h2o, pyspark, xgboost). Those are imported by the adapter that needs them, when it runs.
"""

__version__ = "0.1.0"
SCHEMA_VERSION = 1

__all__ = ["SCHEMA_VERSION", "__version__"]
