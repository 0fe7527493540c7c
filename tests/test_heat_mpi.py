"""The heat mpi variant through a real mpiexec: every kernel with 1, 2 and 3 ranks (3: a 3 x 1
process grid with uneven row blocks), 4 ranks (a 2 x 2 grid: column halos), and checkpoints
written by every rank into one file."""

from __future__ import annotations

import pytest

from conftest import run_mpi, workers_that_worked
from heat_cases import (
    KERNELS,
    THIN_BLOCKS,
    WORKERS,
    References,
    assert_textbook,
    field,
    option_args,
    thin_block_case,
)


@pytest.fixture(scope="module")
def heat_references(tmp_path_factory):
    return References(tmp_path_factory.mktemp("heat-references"))


@pytest.mark.parametrize("ranks", WORKERS)
@pytest.mark.parametrize("kernel", KERNELS)
def test_mpi_matches_serial(tmp_path, heat_references, kernel, ranks):
    out, log = tmp_path / "mpi.h5", tmp_path / "timing.jsonl"
    run_mpi(
        ranks, "run", "heat", "mpi", "--kernel", kernel, "--out", out, "--timing-log", log, *option_args()
    )
    record = heat_references.check(out, kernel)
    assert record["workers"] == ranks
    assert len(set(workers_that_worked(record).values())) == ranks  # a block per rank
    assert len(log.read_text().splitlines()) == 1
    if ranks > 1:
        assert record["phases"]["communicate"] > 0  # the halo exchange is timed


@pytest.mark.parametrize("ranks", [4])
def test_mpi_two_dimensional_grid_with_checkpoints(tmp_path, heat_references, ranks):
    out = tmp_path / "mpi.h5"
    run_mpi(ranks, "run", "heat", "mpi", "--kernel", "numba", "--out", out, *option_args(checkpoint_every=2))
    heat_references.check(out, "numba")


def test_mpi_grid_too_small(tmp_path):
    done = run_mpi(2, "run", "heat", "mpi", "--out", tmp_path / "x.h5", *option_args(nx=3), check=False)
    assert done.returncode == 2
    assert "--nx" in done.stderr and done.stderr.count("error") == 1
    assert not (tmp_path / "x.h5").exists()


@pytest.mark.parametrize(("ranks", "nx", "ny"), THIN_BLOCKS.values(), ids=THIN_BLOCKS)
def test_mpi_blocks_one_and_two_cells_thick(tmp_path, ranks, nx, ny):
    """Every process grid shape and block thickness at its edge, from a field with no symmetry,
    against the textbook scheme: a block whose last row or column is never updated, or a halo
    sent to the wrong neighbour, shows in the cells it owns."""
    overrides, want = thin_block_case(tmp_path, nx, ny)
    out = tmp_path / "mpi.h5"
    run_mpi(ranks, "run", "heat", "mpi", "--kernel", "numpy", "--out", out, *option_args(**overrides))
    assert_textbook(field(out), want)
