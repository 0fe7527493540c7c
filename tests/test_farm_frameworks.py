"""Dask (a real LocalCluster) and Spark (a real JVM) on every task-farm problem and kernel, with
1, 2 and 3 workers, verified against serial. One cluster and one session serve the module."""

import os

import pytest

from conftest import dask_worker_pids, workers_that_worked
from farm_cases import KERNELS, SIZES, WORKERS, run


@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("problem", SIZES)
def test_dask_matches_serial(tmp_path, references, dask_client, problem, kernel, workers):
    record = references.check(
        run(tmp_path, problem, "dask", kernel, workers, client=dask_client), problem, kernel
    )
    assert record["framework"]["distributed"]
    # The tasks ran on Dask workers, no more of them than the run asked for (the scheduler
    # balances dynamically: fewer may have taken every batch).
    worked = workers_that_worked(record)
    assert 1 <= len(worked) <= workers and set(worked.values()) <= dask_worker_pids(dask_client), worked


@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("problem", SIZES)
def test_spark_matches_serial(tmp_path, references, spark_session, problem, kernel, workers):
    out = run(tmp_path, problem, "spark", kernel, workers, session=spark_session)
    record = references.check(out, problem, kernel)
    assert record["framework"]["spark"].startswith("4.")
    # One partition per worker, each run by a Python worker process of Spark's (one may run more
    # than one partition).
    worked = workers_that_worked(record)
    assert 1 <= len(worked) <= workers and os.getpid() not in worked.values(), worked


# The module's shared cluster already holds Dask's default HTTP port; this one moves to another.
@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")
def test_dask_workers_get_parbench_malloc_thresholds_and_no_profiler():
    """parbench's own LocalCluster overrides the nanny's MALLOC_TRIM_THRESHOLD_ (64 KiB), which made
    the NumPy and pandas kernels fault their arrays in afresh on every task, and switches off the
    statistical profiler, whose 10 ms samples took the GIL from the computing thread."""
    import dask

    from parbench.context import RunContext
    from parbench.frameworks import dask_client

    session = dask_client.connect(RunContext(workers=1))
    try:
        seen = session.client.run(lambda: {k: os.environ.get(k) for k in dask_client.WORKER_ENVIRONMENT})
        assert list(seen.values()) == [dask_client.WORKER_ENVIRONMENT]
        profiling = session.client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
        assert list(profiling.values()) == [False]
    finally:
        session.close()


def test_srun_dask_workers_get_the_same_dask_settings_through_their_environment():
    """Workers that `python -m parbench.launchers dask` starts with srun read WORKER_CONFIG from
    their environment."""
    import dask

    from parbench.frameworks import dask_client

    parsed = dask.config.collect_env(dask_client.WORKER_ENVIRONMENT)
    for key, value in dask_client.WORKER_CONFIG.items():
        assert dask.config.get(key, config=parsed) == value


def test_spark_jvm_compiles_with_c1_only_when_python_computes(spark_session):
    """The driver JVM of a task farm only schedules: its C2 compiler's bursts took the workers'
    cores. A group-by session, where Spark SQL computes, keeps C2."""
    from parbench.frameworks import spark_session as spark

    jvm = spark_session.sparkContext._jvm
    arguments = list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    assert spark.SCHEDULING_JVM_OPTIONS in arguments
    sql_options = spark.builder("local[1]", 1, jvm_computes=True)._options
    assert not any(name.endswith("extraJavaOptions") for name in sql_options)


@pytest.mark.parametrize("workers", WORKERS)
def test_dask_fetches_what_serial_fetches(tmp_path, references, dask_client, workers):
    """The I/O-bound problem: the run's object store (in this process) reached from Dask's worker
    processes with the secret the pickled job carries."""
    record = references.check(
        run(tmp_path, "fetch", "dask", "io", workers, client=dask_client), "fetch", "io"
    )
    worked = workers_that_worked(record)
    assert 1 <= len(worked) <= workers and set(worked.values()) <= dask_worker_pids(dask_client), worked
    assert record["memory"]["peak_mib"] > 0


@pytest.mark.parametrize("workers", WORKERS)
def test_spark_fetches_what_serial_fetches(tmp_path, references, spark_session, workers):
    record = references.check(
        run(tmp_path, "fetch", "spark", "io", workers, session=spark_session), "fetch", "io"
    )
    worked = workers_that_worked(record)
    assert 1 <= len(worked) <= workers and os.getpid() not in worked.values(), worked
    assert record["memory"]["peak_mib"] > 0


def test_dask_deals_two_fresh_batches_a_worker(tmp_path, dask_client):
    """Two batches a worker (10 Mandelbrot tasks on 3 workers: 6 futures): few futures for the
    scheduler, yet a second one per worker that an idle worker can take from a slow one
    (docs/benchmarks.md). Each run's batches are new keys (pure=False): a repeat of the same
    run is computed again, never handed a result Dask still holds from the one before."""
    from distributed import get_task_stream

    (tmp_path / "again").mkdir()

    def batch_keys(stream) -> set[str]:
        return {str(task["key"]) for task in stream.data if "run_tasks" in str(task["key"])}

    with get_task_stream(dask_client) as first:
        run(tmp_path, "mandelbrot", "dask", "numpy", 3, client=dask_client)
    with get_task_stream(dask_client) as second:
        run(tmp_path / "again", "mandelbrot", "dask", "numpy", 3, client=dask_client)
    assert len(batch_keys(first)) == len(batch_keys(second)) == 6, (batch_keys(first), batch_keys(second))
    assert batch_keys(first).isdisjoint(batch_keys(second))


def test_spark_warm_up_brings_back_each_workers_share_of_the_result(spark_session):
    """The warm-up job returns as many bytes as the real job will, split evenly over the workers
    (rounded down): the result path is warmed before the timed work. Mandelbrot 37 x 29 counts
    of 4 bytes are 4292 bytes, which 3 workers do not divide: 3 x 1430."""
    from farm_cases import params
    from parbench import registry
    from parbench.farm.variants import spark

    job = registry.problem("mandelbrot").job(params("mandelbrot"), "numpy")
    assert job.result_bytes() == 37 * 29 * 4
    assert spark.warm_up(spark_session.sparkContext, job, 3) == 3 * 1430
