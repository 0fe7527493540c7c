"""PySpark: the tasks are dealt round-robin into one RDD partition per worker; each Spark task
runs its partition's list of tasks in a Python worker and the driver collects the partials.
By default `local[N]`; with `--master URL`, a standalone cluster."""

from parbench.context import RunContext
from parbench.contracts.task_farm import Job
from parbench.farm.schedule import collect_timed, deal


def warm_up(context, job: Job, workers: int) -> int:
    """A session's first jobs run while the JVM loads and JIT-compiles its code, on the same cores
    as the workers (less with C1 only, which the session uses: see spark_session). A warm-up job
    that loads the kernel and returns as many bytes as each worker's share of the results moves
    the part spent on the result path into start-up, as a long-lived session would. Returns the
    bytes it brought back."""
    share = job.result_bytes() // workers
    replies = context.parallelize(range(workers), workers).map(lambda _: (job.warm_up(), bytes(share)))
    return sum(len(reply) for _, reply in replies.collect())


def run(job: Job, ctx: RunContext, session=None) -> dict:
    from parbench.frameworks import spark_session

    with ctx.phases.phase("startup"):
        spark = spark_session.connect(ctx, session)
        context = spark.session.sparkContext
        warm_up(context, job, ctx.workers)
    try:
        with ctx.phases.phase("distribute"):
            hands = deal(job.tasks(), ctx.workers)
            rdd = context.parallelize(hands, len(hands)).flatMap(job.run_tasks)
        # collect() launches the job (shipping the pickled function and the tasks to the Python
        # workers), runs it and brings the partials back through the JVM: time beyond the tasks
        # that the workers' clocks charge to distribute and communicate (docs/benchmarks.md).
        serial = job.run_serial_part(ctx)
        done = collect_timed(ctx, rdd.collect)
        with ctx.phases.phase("communicate"):
            return job.finish(done, ctx, serial)
    finally:
        with ctx.phases.phase("teardown"):
            spark.close()
