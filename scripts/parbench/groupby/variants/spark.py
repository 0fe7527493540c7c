"""PySpark: the query in Spark SQL over the Parquet dataset, run by the JVM's engine (no Python
workers). One scan feeds both groupings through GROUPING SETS: per key the count, sum, population
variance, min and max (Spark merges its partial variances with the same pairwise formula as
parbench, so they stay stable), and per histogram bin the count. The driver collects the two small
tables (one row per key and per bin) and ranks the top keys itself.

Spark's tasks run in the JVM, so no per-worker busy time is recorded. By default `local[N]`; with
`--master URL`, a standalone cluster.
"""

from __future__ import annotations

import numpy as np

from parbench.context import RunContext
from parbench.contracts.task_farm import Job
from parbench.kernels import aggregate

# The histogram bin as in aggregate.bin_index: floor(value / width), clipped to [-1, bins], plus one.
QUERY = f"""
SELECT grouping_id() AS grouping, key, bin,
       count(value) AS count, sum(value) AS sum, var_pop(value) AS variance,
       min(value) AS min, max(value) AS max
FROM (
    SELECT key, value,
           CAST(least(greatest(floor(value * {1.0 / aggregate.HISTOGRAM_WIDTH!r}), -1),
                      {aggregate.HISTOGRAM_BINS}) + 1 AS INT) AS bin
    FROM dataset
)
GROUP BY GROUPING SETS ((key), (bin))
"""


def run(job: Job, ctx: RunContext, session=None) -> dict:
    from parbench.frameworks import spark_session

    with ctx.phases.phase("startup"):
        spark = spark_session.connect(ctx, session, jvm_computes=True)  # Spark SQL runs the query
        # Spark's first job pays for class loading and code generation: start-up, not the query.
        spark.session.range(ctx.workers).selectExpr("sum(id)").collect()
    try:
        with ctx.phases.phase("distribute"):
            # A handed-in session may have more cores: shuffle into as many parts as workers asked.
            spark.session.conf.set("spark.sql.shuffle.partitions", str(ctx.workers))
            files = [task for _, task in job.tasks()]
            spark.session.read.parquet(*files).select("key", "value").createOrReplaceTempView("dataset")
            query = spark.session.sql(QUERY)
        with ctx.phases.phase("compute"):
            rows = query.collect()
        with ctx.phases.phase("communicate"):
            partial = partial_from_rows(rows, job.params["keys"])
            return job.problem.combine(job.params, [partial])
    finally:
        with ctx.phases.phase("teardown"):
            spark.session.catalog.dropTempView("dataset")
            spark.close()


def partial_from_rows(rows, keys: int) -> np.ndarray:
    """Spark's two result tables as one partial aggregate (grouping 1: per key, 2: per bin)."""
    partial = aggregate.empty(keys)
    part = aggregate.Partial.of(partial, keys)
    for row in rows:
        if row["grouping"] == 1:  # the `bin` column is aggregated away: a per-key row
            k = row["key"]
            part.count[k], part.sum[k], part.m2[k] = row["count"], row["sum"], row["variance"] * row["count"]
            part.min[k], part.max[k] = row["min"], row["max"]
        else:
            part.histogram[row["bin"]] = row["count"]
    return partial
