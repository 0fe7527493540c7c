"""The heat mpi variant through a real mpiexec: every kernel with 1, 2 and 3 ranks (3: a 3 x 1
process grid with uneven row blocks), 4 ranks (a 2 x 2 grid: column halos), and checkpoints
written by every rank into one file."""

from __future__ import annotations

from types import SimpleNamespace

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
from parbench.errors import UsageError


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


def test_mpi_blocks_by_hand():
    """A 9 x 5 grid (interior rows 1..7, columns 1..3) on a 3 x 2 process grid, worked out by hand:
    rows split 3, 2, 2 and columns 2, 1 (the first blocks take the remainder). A block's owned
    span adds the fixed boundary line next to it (only at the grid's edge), its window adds a halo
    of one cell on each side, and owned_local is the owned span inside the window."""
    from parbench.heat.variants.mpi import Block

    job = SimpleNamespace(shape=(9, 5))
    want = {  # coords: rows, cols, owned rows, owned cols, window, owned part of the window
        (0, 0): ((1, 4), (1, 3), (0, 4), (0, 3), ((0, 5), (0, 4)), ((0, 4), (0, 3))),
        (1, 1): ((4, 6), (3, 4), (4, 6), (3, 5), ((3, 7), (2, 5)), ((1, 3), (1, 3))),
        (2, 1): ((6, 8), (3, 4), (6, 9), (3, 5), ((5, 9), (2, 5)), ((1, 4), (1, 3))),
    }
    for coords, (rows, cols, owned_rows, owned_cols, window, local) in want.items():
        block = Block(job, (3, 2), coords)
        assert (block.rows, block.cols, block.m, block.n) == (
            rows,
            cols,
            rows[1] - rows[0],
            cols[1] - cols[0],
        )
        assert (block.owned_rows, block.owned_cols) == (owned_rows, owned_cols)
        assert block.window() == (slice(*window[0]), slice(*window[1]))
        assert block.owned_local() == (slice(*local[0]), slice(*local[1]))
        assert block.owned_global() == (slice(*owned_rows), slice(*owned_cols))


@pytest.mark.parametrize(("shape", "dims", "coords"), [((3, 9), (2, 1), (1, 0)), ((9, 3), (1, 2), (0, 1))])
def test_mpi_block_too_small_by_hand(shape, dims, coords):
    """One interior row (or column) for two blocks: the second block would be empty, which the
    variant refuses with a message naming both grids (the CLI's check_for_workers refuses such runs
    first, so this is only reachable by calling Block)."""
    from parbench.heat.variants.mpi import Block

    with pytest.raises(UsageError) as error:
        Block(SimpleNamespace(shape=shape), dims, coords)
    nx, ny = shape
    assert str(error.value).endswith(
        f"a {nx} x {ny} grid is too small for a {dims[0]} x {dims[1]} process grid"
    )


def test_mpi_one_rank_checkpoints_leave_only_the_result(tmp_path, heat_references):
    """A single rank writes each checkpoint into a temporary file and must rename it into place
    itself (rank 0 commits, whatever the rank count); a run whose checkpoints are never committed
    leaves its temporary files next to the result. The finished run removes its checkpoint."""
    out = tmp_path / "mpi.h5"
    run_mpi(1, "run", "heat", "mpi", "--kernel", "numpy", "--out", out, *option_args(checkpoint_every=2))
    heat_references.check(out, "numpy")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mpi.h5"]
