"""A real Spark session on local[2] for the dpkit.spark tests (pyspark from PyPI, Debian's
OpenJDK), shared by the whole test session. Its Python workers run this interpreter, so they
import the same dpkit (PYSPARK_PYTHON: a session built in Python reads the workers' interpreter
from the environment, not from spark.pyspark.python, which only spark-submit reads)."""

import os
import sys

import pytest


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (SparkSession.builder.master("local[2]").appName("dpkit-spark-tests")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.default.parallelism", "2")
               .config("spark.ui.enabled", "false")
               .config("spark.driver.memory", "1g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
