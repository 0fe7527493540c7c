"""The group-by dask variant (dask.dataframe on a real LocalCluster) with every kernel and the
spark variant (Spark SQL in a real JVM), with 1, 2 and 3 workers, verified against serial. One
cluster and one session serve the module."""

import os
from types import SimpleNamespace

import pytest

from conftest import dask_worker_pids, workers_that_worked
from groupby_cases import KERNELS, WORKERS, dataset, reference, run  # noqa: F401
from parbench.results.verify import verify


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
    """Every worker that aggregated a partition is in the record, and each one's busy seconds are
    more than none and no more than the compute phase's wall time: a clock read the wrong way
    round (perf_counter() + began), a tally that keeps only the merging worker's own seconds, or a
    default of a second (or minus one) instead of none would break it."""
    from distributed import get_task_stream

    with get_task_stream(dask_client) as stream:
        out = run(dataset, tmp_path / "r.h5", "dask", "pandas", 3, client=dask_client)
    record = verify(out, reference)
    busy, compute = record["worker_busy"], record["phases"]["compute"]
    assert busy and all(0 < seconds <= compute for seconds in busy.values()), (busy, compute)
    pid_of = dask_client.run(os.getpid)
    aggregated = {pid_of[task["worker"]] for task in stream.data if "aggregate_partition" in str(task["key"])}
    assert aggregated and aggregated <= set(workers_that_worked(record).values()), (aggregated, busy)


@pytest.mark.parametrize("leaves, fan_ins", [(1, []), (2, [2]), (17, [1, 3, 8, 8])])
def test_dask_merges_the_partitions_eight_at_a_time_into_one(monkeypatch, leaves, fan_ins):
    """The partials merge in a tree, 8 at a time (dask's own split_every default) until one is
    left: 17 partitions take merges of 8, 8 and 1, then one of those 3; 2 partitions take one
    merge (a tree that stopped at two pieces would return half the data)."""
    import dask

    from parbench.groupby.variants import dask as variant

    seen = []

    def merge_pieces(pieces, keys):
        seen.append(len(pieces))
        assert keys == 5
        return sum(pieces)

    monkeypatch.setattr(variant, "merge_pieces", merge_pieces)
    tree = variant.merge_tree([dask.delayed(i) for i in range(leaves)], SimpleNamespace(params={"keys": 5}))
    assert dask.compute(tree, scheduler="sync")[0] == sum(range(leaves))
    assert sorted(seen) == fan_ins


def test_dask_merge_adds_up_each_workers_seconds_and_its_own():
    """A merge sums the seconds its pieces carry, worker by worker, and adds its own worker's
    merging time, from none: here the merging worker made none of the pieces."""
    from parbench.context import worker_name
    from parbench.groupby.variants.dask import Piece, merge_pieces
    from parbench.kernels import aggregate

    pieces = [
        Piece(aggregate.empty(3), {"a:1:1": 0.25}),
        Piece(aggregate.empty(3), {"a:1:1": 0.5, "b:2:1": 1.0}),
    ]
    busy = merge_pieces(pieces, 3).busy
    assert (busy["a:1:1"], busy["b:2:1"]) == (0.75, 1.0)
    assert set(busy) == {"a:1:1", "b:2:1", worker_name()} and 0 <= busy[worker_name()] < 0.5, busy
