"""mpi4py through a real `mpiexec` (pip's MPICH): every task-farm problem and kernel, with 1, 2
and 3 ranks, verified against serial."""

import pytest

from conftest import run_mpi, run_parbench, workers_that_worked
from farm_cases import KERNELS, SIZES, WORKERS, chunk_hits, escape_times, option_args
from parbench import output


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


@pytest.mark.parametrize("ranks", [2, 3, 4])
def test_mpi_shares_at_their_edges(tmp_path, ranks):
    """Three row blocks of 3, 3 and 1 rows over 2 ranks (one holds two blocks), 3 (one each) and 4
    (one rank has none): the gathered image, off-centre in both axes, against the textbook
    escape times; then 2 and 1 Monte Carlo chunks over 3 ranks against the documented stream."""
    region = {"width": 11, "height": 7, "maxiter": 40, "xmin": -2.1, "xmax": 0.7, "ymin": -0.9, "ymax": 1.3}
    out = tmp_path / "m.h5"
    args = [item for name, value in region.items() for item in (f"--{name}", value)]
    run_mpi(ranks, "run", "mandelbrot", "mpi", "--rows-per-task", 3, "--out", out, *args)
    counts = output.read_result(out, "result")[1]["counts"]
    assert counts.shape == (7, 11) and (counts == escape_times(region)).all()
    for samples in (7_999, 4_000):
        out = tmp_path / f"pi-{samples}.h5"
        run_mpi(
            ranks, "run", "pi", "mpi", "--samples", samples, "--chunk-size", 4_000, "--seed", 7, "--out", out
        )
        hits = int(output.read_result(out, "result")[1]["hits"])
        chunks = [(0, min(samples, 4_000)), (1, samples - 4_000)][: -(-samples // 4_000)]
        assert hits == sum(chunk_hits(7, chunk, n) for chunk, n in chunks)
