"""The group-by dask variant (dask.dataframe on a real LocalCluster) with every kernel and the
spark variant (Spark SQL in a real JVM), with 1, 2 and 3 workers, verified against serial. One
cluster and one session serve the module."""

import pytest

from conftest import dask_worker_pids, workers_that_worked
from groupby_cases import KERNELS, WORKERS, dataset, reference, run  # noqa: F401
from parbench.verify import verify


@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("kernel", KERNELS)
def test_dask_matches_serial(tmp_path, dataset, reference, dask_client, kernel, workers):  # noqa: F811
    record = verify(run(dataset, tmp_path / "r.h5", "dask", kernel, workers, client=dask_client), reference)
    assert record["framework"]["distributed"]
    # The partitions were aggregated on exactly the Dask workers the run asked for.
    pids = set(workers_that_worked(record).values())  # a worker process may name several threads
    assert 1 <= len(pids) <= workers and pids <= dask_worker_pids(dask_client), pids


@pytest.mark.parametrize("workers", WORKERS)
def test_spark_matches_serial(tmp_path, dataset, reference, spark_session, workers):  # noqa: F811
    record = verify(run(dataset, tmp_path / "r.h5", "spark", None, workers, session=spark_session), reference)
    assert record["kernel"] == "jvm"
    assert record["framework"]["spark"].startswith("4.")


def test_dask_busy_times_are_each_workers_own_seconds(tmp_path, dataset, reference, dask_client):  # noqa: F811
    """Every worker's busy seconds are more than none and no more than the run's wall time: a
    clock read the wrong way round (perf_counter() + began), a tally that never adds up the
    partitions' pieces, or a default of a second instead of none would break it."""
    record = verify(run(dataset, tmp_path / "r.h5", "dask", "pandas", 2, client=dask_client), reference)
    busy, total = record["worker_busy"], record["phases"]["total"]
    assert busy and all(0 < seconds <= total for seconds in busy.values()), (busy, total)
