"""``SparkTrials``: one Spark task per trial on a Spark cluster.

Importing this package does not import pyspark; creating a ``SparkTrials`` does.
"""

from .trials import SparkTrials

__all__ = ["SparkTrials"]
