"""mpi4py through a real `mpiexec` (pip's MPICH): every task-farm problem and kernel, with 1, 2
and 3 ranks, verified against serial."""

import pytest

from conftest import run_mpi, run_parbench, workers_that_worked
from farm_cases import KERNELS, SIZES, WORKERS, option_args


@pytest.mark.parametrize("ranks", WORKERS)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("problem", SIZES)
def test_mpi_matches_serial(tmp_path, references, problem, kernel, ranks):
    out = tmp_path / "mpi.h5"
    log = tmp_path / "timing.jsonl"
    run_mpi(
        ranks,
        "run",
        problem,
        "mpi",
        "--kernel",
        kernel,
        "--out",
        out,
        "--timing-log",
        log,
        *option_args(problem),
    )
    record = references.check(out, problem, kernel)
    assert record["workers"] == ranks
    assert record["framework"]["mpi_vendor"].startswith("MPICH")
    # Tasks are dealt round-robin by rank and outnumber the ranks: every rank did work.
    assert len(set(workers_that_worked(record).values())) == ranks
    assert len(log.read_text().splitlines()) == 1  # only rank 0 writes


def test_mpi_workers_must_match_ranks(tmp_path):
    done = run_mpi(2, "run", "pi", "mpi", "--workers", "3", "--out", tmp_path / "x.h5", check=False)
    assert done.returncode == 2
    assert "--workers" in done.stderr and "2 ranks" in done.stderr
    assert done.stderr.count("error") == 1  # one line, from rank 0 only
    assert not (tmp_path / "x.h5").exists()


def test_mpi_without_launcher_is_refused(tmp_path):
    done = run_parbench("run", "pi", "mpi", "--out", tmp_path / "x.h5", check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "parbench: error: VARIANT: mpi must be started by a launcher: mpiexec -n N parbench run ..."
    )
    assert not (tmp_path / "x.h5").exists()
