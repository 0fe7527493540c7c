"""The group-by mpi variant through a real `mpiexec` (pip's MPICH): every kernel with 1, 2 and 3
ranks, verified against serial; the partials meet in one `Reduce` with a merging operator."""

import json
import subprocess
import sys

import pytest

from conftest import run_mpi, workers_that_worked
from groupby_cases import KERNELS, WORKERS, dataset, generate, reference, run  # noqa: F401
from parbench.results.verify import verify


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


# One process, no launcher (MPI's singleton start), kept out of pytest's own process: the operator
# on two partials by hand, and whether MPI may swap its operands.
OPERATOR = """
import json
from parbench.groupby.variants.mpi import merging_operator
from parbench.kernels import aggregate

incoming, inout = aggregate.empty(1), aggregate.empty(1)
low, high = aggregate.Partial.of(incoming, 1), aggregate.Partial.of(inout, 1)
low.count[:], low.sum[:], low.m2[:], low.min[:], low.max[:] = 2, 4.0, 2.0, 1.0, 3.0  # rows 1, 3
high.count[:], high.sum[:], high.m2[:], high.min[:], high.max[:] = 1, 5.0, 0.0, 5.0, 5.0  # row 5
low.histogram[1], high.histogram[1] = 2, 1
operator = merging_operator(1)
operator.Reduce_local(incoming, inout)
print(json.dumps({"commutative": operator.Is_commutative(), "merged": inout.tolist()}))
operator.Free()
"""


def test_merging_operator_is_non_commutative_and_merges_into_the_second_partial():
    """Declared commutative, the operator lets MPI combine the partials in any order, and a
    floating-point merge's bits depend on the order: declared non-commutative, MPI combines them
    in rank order, the same bits every run. Applied (as MPI does) to a lower rank's partial and a
    higher one's, it leaves their merge in the second: rows 1, 3 and 5 give count 3, sum 9, M2 8
    (squared deviations from the mean 3: 4 + 0 + 4), min 1, max 5, three values in bin [0, 8)."""
    done = subprocess.run([sys.executable, "-c", OPERATOR], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["commutative"] is False
    histogram = [0.0] * 66
    histogram[1] = 3.0
    assert got["merged"] == [3.0, 9.0, 8.0, 1.0, 5.0, *histogram]
