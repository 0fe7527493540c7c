"""mpi4py: a 2-D Cartesian decomposition. `Compute_dims` picks the process grid for any rank
count, `Create_cart` numbers the ranks on it, and each rank owns a block of interior cells
(uneven remainders go to the first rows and columns of blocks), stored with a one-cell halo.

Every step each rank posts non-blocking receives and sends of its four edges (rows are contiguous
already; columns are packed into contiguous buffers), updates the inner cells that need no halo
while the messages travel, waits, and then updates its edge cells. Only buffers travel (upper-case
`Isend`/`Irecv`, no pickling).

Nothing funnels the field through one rank until the very end: each rank reads its own window of
the initial field (or checkpoint), and checkpoints are written by every rank into its own
hyperslab of one HDF5 file, in turn (PyPI's h5py has no MPI driver, so ranks cannot write it at
the same time). Only the final result is received by rank 0, straight into place through subarray
datatypes, because the runner writes the result file from one process.
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

from parbench.context import RunContext, worker_name
from parbench.errors import UsageError
from parbench.heat import job as grid
from parbench.heat.checkpoint import Checkpoint
from parbench.heat.job import HeatJob, Stopwatch, result
from parbench.output import temporary_name

# Message tags by the direction the data moves.
DOWN, UP, RIGHT, LEFT = range(4)


class Block:
    """This rank's part of the grid: interior rows [r0, r1) and columns [c0, c1) (global)."""

    def __init__(self, job: HeatJob, dims, coords):
        nx, ny = job.shape
        self.rows = grid.split(1, nx - 1, dims[0])[coords[0]]
        self.cols = grid.split(1, ny - 1, dims[1])[coords[1]]
        if self.rows[0] == self.rows[1] or self.cols[0] == self.cols[1]:
            raise UsageError(
                "--nx", f"a {nx} x {ny} grid is too small for a {dims[0]} x {dims[1]} process grid"
            )
        self.owned_rows = self._own(self.rows, nx)
        self.owned_cols = self._own(self.cols, ny)
        self.m, self.n = self.rows[1] - self.rows[0], self.cols[1] - self.cols[0]

    @staticmethod
    def _own(span, size):
        """The span, plus the fixed boundary line next to it: owned spans tile the whole grid."""
        return (0 if span[0] == 1 else span[0], size if span[1] == size - 1 else span[1])

    def window(self) -> tuple[slice, slice]:
        """Interior plus halo, in global indices."""
        return slice(self.rows[0] - 1, self.rows[1] + 1), slice(self.cols[0] - 1, self.cols[1] + 1)

    def owned_local(self) -> tuple[slice, slice]:
        r, c = self.rows[0] - 1, self.cols[0] - 1
        return slice(self.owned_rows[0] - r, self.owned_rows[1] - r), slice(
            self.owned_cols[0] - c, self.owned_cols[1] - c
        )

    def owned_global(self) -> tuple[slice, slice]:
        return slice(*self.owned_rows), slice(*self.owned_cols)


class Halo:
    """Non-blocking exchange of a block's four edges with its Cartesian neighbours."""

    def __init__(self, cart, m: int, n: int):
        self.cart, self.m, self.n = cart, m, n
        self.up, self.down = cart.Shift(0, 1)
        self.left, self.right = cart.Shift(1, 1)
        self.send_left, self.send_right = np.empty(m), np.empty(m)
        self.recv_left, self.recv_right = np.empty(m), np.empty(m)
        self.requests = []

    def start(self, u: np.ndarray) -> None:
        m, n, cart = self.m, self.n, self.cart
        np.copyto(self.send_left, u[1 : m + 1, 1])
        np.copyto(self.send_right, u[1 : m + 1, n])
        # A neighbour of MPI.PROC_NULL (the grid's edge) makes these no-ops: the fixed boundary
        # values already sit in the halo.
        self.requests = [
            cart.Irecv(u[0, 1 : n + 1], self.up, DOWN),
            cart.Irecv(u[m + 1, 1 : n + 1], self.down, UP),
            cart.Irecv(self.recv_left, self.left, RIGHT),
            cart.Irecv(self.recv_right, self.right, LEFT),
            cart.Isend(u[1, 1 : n + 1], self.up, UP),
            cart.Isend(u[m, 1 : n + 1], self.down, DOWN),
            cart.Isend(self.send_left, self.left, LEFT),
            cart.Isend(self.send_right, self.right, RIGHT),
        ]

    def finish(self, u: np.ndarray) -> None:
        MPI.Request.Waitall(self.requests)
        if self.left != MPI.PROC_NULL:
            u[1 : self.m + 1, 0] = self.recv_left
        if self.right != MPI.PROC_NULL:
            u[1 : self.m + 1, self.n + 1] = self.recv_right


def run(job: HeatJob, ctx: RunContext) -> dict | None:
    world = MPI.COMM_WORLD
    with ctx.phases.phase("startup"):
        job.warm_up()
        dims = MPI.Compute_dims(world.Get_size(), 2)
        cart = world.Create_cart(dims, periods=[False, False], reorder=True)
        rank = cart.Get_rank()
        block = Block(job, dims, cart.Get_coords(rank))
        step = job.stepper()
        cart.Barrier()
    with ctx.phases.phase("distribute"):
        checkpoint = Checkpoint(job, ctx.out)
        start, src = checkpoint.start(*block.window())  # only this rank's window is read
        dst = src.copy()
        halo = Halo(cart, block.m, block.n)
    m, n = block.m, block.n
    kernel = Stopwatch()
    for first, stop in job.segments(start):
        for _ in range(first, stop):
            with ctx.phases.phase("communicate"):
                halo.start(src)
            with ctx.phases.phase("compute"), kernel:
                step(src, dst, 2, m, 2, n)  # cells whose neighbours are all this rank's
            with ctx.phases.phase("communicate"):
                halo.finish(src)
            with ctx.phases.phase("compute"), kernel:
                update_edges(step, src, dst, m, n)
            src, dst = dst, src
        if job.is_checkpoint(stop):
            with ctx.phases.phase("write"):
                write_checkpoint(cart, checkpoint, stop, block, src)
    with ctx.phases.phase("communicate"):
        busy = cart.gather((worker_name(), kernel.seconds), root=0)
        field = gather_field(cart, job, dims, block, src)
    if rank != 0:
        return None
    for worker, seconds in busy:
        ctx.add_busy(worker, seconds)
    checkpoint.remove()
    return result(field, start)


def update_edges(step, src, dst, m, n) -> None:
    """The cells next to the halo: the first and last rows, then the first and last columns
    between them (each cell exactly once, also for blocks one or two cells thick)."""
    step(src, dst, 1, 2, 1, n + 1)
    if m > 1:
        step(src, dst, m, m + 1, 1, n + 1)
    step(src, dst, 2, m, 1, 2)
    if n > 1:
        step(src, dst, 2, m, n, n + 1)


def write_checkpoint(cart, checkpoint: Checkpoint, step: int, block: Block, u: np.ndarray) -> None:
    """Every rank writes its owned hyperslab into one temporary file, one rank at a time; rank 0
    then renames it into place (atomic)."""
    rank = cart.Get_rank()
    temporary = cart.bcast(temporary_name(checkpoint.path) if rank == 0 else None, root=0)
    if rank == 0:
        checkpoint.create(temporary, step)
    mine = np.ascontiguousarray(u[block.owned_local()])
    for turn in range(cart.Get_size()):
        if turn == rank:
            checkpoint.write_window(temporary, *block.owned_global(), mine)
        cart.Barrier()
    if rank == 0:
        checkpoint.commit(temporary)


def gather_field(cart, job: HeatJob, dims, block: Block, u: np.ndarray) -> np.ndarray | None:
    """Rank 0 receives every rank's owned block directly into its place in the whole field (a
    subarray datatype per sender: no staging copy, no pickling)."""
    if cart.Get_rank() != 0:
        cart.Send(np.ascontiguousarray(u[block.owned_local()]), dest=0, tag=0)
        return None
    field = np.empty(job.shape)
    field[block.owned_global()] = u[block.owned_local()]
    for sender in range(1, cart.Get_size()):
        theirs = Block(job, dims, cart.Get_coords(sender))
        rows, cols = theirs.owned_rows, theirs.owned_cols
        place = MPI.DOUBLE.Create_subarray(
            list(job.shape), [rows[1] - rows[0], cols[1] - cols[0]], [rows[0], cols[0]]
        ).Commit()
        cart.Recv([field, 1, place], source=sender, tag=0)
        place.Free()
    return field
