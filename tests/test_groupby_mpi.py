"""The group-by mpi variant through a real `mpiexec` (pip's MPICH): every kernel with 1, 2 and 3
ranks, verified against serial; the partials meet in one `Reduce` with a merging operator."""

import pytest

from conftest import run_mpi, workers_that_worked
from groupby_cases import KERNELS, WORKERS, dataset, generate, reference, run  # noqa: F401
from parbench.verify import verify


@pytest.mark.parametrize("ranks", WORKERS)
@pytest.mark.parametrize("kernel", KERNELS)
def test_mpi_matches_serial(tmp_path, dataset, reference, kernel, ranks):  # noqa: F811
    out = tmp_path / "mpi.h5"
    log = tmp_path / "timing.jsonl"
    args = ["run", "groupby", "mpi", "--kernel", kernel, "--dataset", dataset, "--out", out]
    run_mpi(ranks, *args, "--timing-log", log)
    record = verify(out, reference)
    assert (record["workers"], record["kernel"]) == (ranks, kernel)
    assert record["framework"]["mpi_vendor"].startswith("MPICH")
    # 5 partitions dealt round-robin by rank: every rank had a share and did work.
    assert len(set(workers_that_worked(record).values())) == ranks
    assert len(log.read_text().splitlines()) == 1  # only rank 0 writes


def test_mpi_bad_dataset_is_one_line_from_rank_0(tmp_path):
    out = tmp_path / "mpi.h5"
    done = run_mpi(2, "run", "groupby", "mpi", "--dataset", tmp_path / "nowhere", "--out", out, check=False)
    assert done.returncode == 2
    assert done.stderr.count("parbench: error: --dataset:") == 1 and "no such folder" in done.stderr
    assert not out.exists()


def test_mpi_ranks_without_a_partition(tmp_path):
    """Two partitions over 3 ranks: the rank with none must add nothing to the reduction (the
    merge's identity), and the answer is serial's."""
    data = generate(tmp_path / "two-partitions", partitions=2)
    serial = run(data, tmp_path / "serial.h5", "serial", "pandas", 1)
    out = tmp_path / "mpi.h5"
    run_mpi(3, "run", "groupby", "mpi", "--dataset", data, "--out", out)
    record = verify(out, serial)
    assert len(set(workers_that_worked(record).values())) == 2
