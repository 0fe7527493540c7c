"""The machinery of the shared-memory heat variants, beyond "the field matches serial": the
barrier loop's checkpoints (who writes them, at which step, which buffer), the fork-join loop's
checkpoints, a failing or slow worker (its error surfaces, the others are released, no process
is left behind, a slow one is not taken for dead), the shared-memory grid's life cycle, and the
timings a run records (no negative phase, no worker busier than the run was long)."""

from __future__ import annotations

import dataclasses
import multiprocessing
import threading
import time
from multiprocessing import shared_memory

import h5py
import numpy as np
import pytest

from heat_cases import field, job, run, textbook_heat
from parbench.heat import fork_join, shared_grid
from parbench.heat.barrier_loop import advance_block
from parbench.heat.checkpoint import Checkpoint
from parbench.heat.job import HeatJob
from parbench.heat.variants import processes
from parbench.results.verify import verify

# dx != dy and a field with no symmetry: a step on the wrong buffer or the wrong rows shows.
SIZE = {"nx": 9, "ny": 7, "steps": 5, "dx": 0.01, "dy": 0.013}


def random_field(nx: int = 9, ny: int = 7) -> np.ndarray:
    return np.random.default_rng(7).uniform(0.0, 100.0, (nx, ny))


def textbook(u: np.ndarray, steps: int) -> np.ndarray:
    return textbook_heat(u, steps, 0.5, SIZE["dx"], SIZE["dy"])


@pytest.fixture
def written(monkeypatch):
    """Every checkpoint a run writes, as (step, field, thread), instead of files."""
    calls = []

    def write(self, step, data):
        calls.append((step, np.array(data, copy=True), threading.current_thread().name))

    monkeypatch.setattr(Checkpoint, "write", write)
    return calls


class Barrier:
    """A barrier for one worker run alone: counts waits and remembers an abort."""

    def __init__(self):
        self.waits, self.aborted = 0, False

    def wait(self):
        self.waits += 1

    def abort(self):
        self.aborted = True


def fail_in_block(monkeypatch, error: BaseException, first_row: int, on_call: int = 1, slow_row=None):
    """Makes the kernel raise `error` on its `on_call`-th call for the block starting at
    `first_row` (and, with `slow_row`, sleep 0.5 s before each call for that block). Set on the
    class, so forked workers inherit it."""
    original = HeatJob.stepper

    def stepper(self):
        real, calls = original(self), [0]

        def step(src, dst, i0, i1, j0, j1):
            if i0 == slow_row:
                time.sleep(0.5)
            if i0 == first_row:
                calls[0] += 1
                if calls[0] == on_call:
                    raise error
            return real(src, dst, i0, i1, j0, j1)

        return step

    monkeypatch.setattr(HeatJob, "stepper", stepper)


def assert_sane_timings(record: dict) -> None:
    """No phase negative, the phases fit in the total, and no worker was busy longer than the
    run. Catches busy or write seconds that start at 1 instead of 0, and a loop's wall time
    charged twice."""
    phases = dict(record["phases"])
    total = phases.pop("total")
    assert all(seconds >= 0 for seconds in phases.values()), record["phases"]
    assert sum(phases.values()) <= total * 1.01 + 1e-3, record["phases"]
    assert all(0 < seconds <= total for seconds in record["worker_busy"].values()), record["worker_busy"]


# --- the barrier loop (threads and processes) ----------------------------------------------------


def test_barrier_loop_worker_0_writes_each_checkpoint_after_its_step(written):
    """checkpoint_every=3, 7 steps: worker 0 writes the field after steps 3 and 6 (an integer
    step, the buffer just written), never after step 7 (the result); a worker other than 0
    writes none. Catches `index == 0` changed (1, -1, !=, <, >, >=, not), `n + 1` changed in
    the test or the write (n - 1, n * 1, n / 1, n % 1, n + 2, n + 0)."""
    the_job = job("numpy", **{**SIZE, "steps": 7}, checkpoint_every=3)
    u = random_field()
    for index, blocks, want_steps in ((0, [(1, 8)], [3, 6]), (1, [(1, 1), (1, 8)], [])):
        written.clear()
        buffers = (u.copy(), u.copy())
        barrier = Barrier()
        kernel, _ = advance_block(the_job, index, blocks, buffers, 0, barrier, "unused.h5")
        assert [step for step, _, _ in written] == want_steps, index
        assert all(type(step) is int for step, _, _ in written)
        for step, data, _ in written:
            assert np.allclose(data, textbook(u, step), rtol=1e-12, atol=1e-9), step
        assert barrier.waits == 7 and not barrier.aborted
        assert np.allclose(buffers[1], textbook(u, 7), rtol=1e-12, atol=1e-9)  # 7 steps: ends in 1
        assert kernel > 0


def test_barrier_loop_times_checkpoint_writes_in_seconds(monkeypatch):
    """The write seconds are exactly 0 without checkpoints, and with two they are at most the
    call's own wall time. Catches the sum starting at +-1, and `perf_counter() - began` turned
    into +, *, / or // (seconds of about 1 or more for writes that take microseconds)."""
    monkeypatch.setattr(Checkpoint, "write", lambda self, step, data: None)
    u = random_field()
    for every, zero in ((0, True), (2, False)):
        buffers = (u.copy(), u.copy())
        began = time.perf_counter()
        _, writing = advance_block(
            job("numpy", **SIZE, checkpoint_every=every), 0, [(1, 8)], buffers, 0, Barrier(), "x"
        )
        elapsed = time.perf_counter() - began
        if zero:
            assert writing == 0.0
        else:
            assert 0 <= writing <= elapsed


def test_barrier_loop_failing_block_aborts_the_barrier(monkeypatch):
    """A kernel that raises must break the barrier (the other workers would wait for ever) and
    the error must reach the caller. Catches the `except BaseException` that aborts replaced."""
    fail_in_block(monkeypatch, ValueError("block broke"), first_row=1, on_call=2)
    barrier = Barrier()
    u = random_field()
    with pytest.raises(ValueError, match="block broke"):
        advance_block(job("numpy", **SIZE), 0, [(1, 8)], (u.copy(), u.copy()), 0, barrier, "x")
    assert barrier.aborted and barrier.waits == 1


# --- threads ---------------------------------------------------------------------------------------


def test_threads_surface_the_failing_workers_error(tmp_path, monkeypatch):
    """Block 1's kernel fails on its second step: block 0's thread, waiting at the barrier, gets
    BrokenBarrierError, but the run must raise the real error. Catches the error not caught in
    the thread (the run would end "successfully"), and the BrokenBarrierError picked instead."""
    fail_in_block(monkeypatch, ValueError("block 1 broke"), first_row=5, on_call=2)
    assert job("numpy", **SIZE).row_blocks(2)[1][0] == 5
    with pytest.raises(ValueError, match="block 1 broke"):
        run(tmp_path, "threads", "numpy", 2, **SIZE)


def test_threads_surface_the_first_broken_barrier(tmp_path, monkeypatch):
    """When every failure is a BrokenBarrierError (here block 1's kernel raises one itself, long
    before slow block 0 reaches the barrier), the run raises the first one, the cause, not
    the bare one block 0 got. Catches `failures[0]` changed to `failures[1]` or `[-1]`."""
    cause = threading.BrokenBarrierError("block 1 broke the barrier")
    fail_in_block(monkeypatch, cause, first_row=5, on_call=1, slow_row=1)
    with pytest.raises(threading.BrokenBarrierError) as raised:
        run(tmp_path, "threads", "numpy", 2, **SIZE)
    assert raised.value is cause


def test_threads_record_sane_timings(tmp_path):
    """A run without checkpoints: checkpoint seconds start at 0, not +-1 (that would make the
    compute or write phase negative)."""
    out = run(tmp_path, "threads", "numpy", 2, **SIZE)
    assert_sane_timings(verify(out, out))


# --- processes -------------------------------------------------------------------------------------


def heat_children() -> list:
    return [p for p in multiprocessing.active_children() if p.name.startswith("heat")]


def test_processes_report_the_failing_workers_error_and_leave_no_process(tmp_path, monkeypatch):
    """Block 1's kernel fails on its second step; block 0's process (its report slowed by 0.5 s)
    gets BrokenBarrierError. The run raises naming worker 1 and its error (not "died", not
    another field of the report), and only after every worker process has ended. Catches the
    worker's `except` replaced, the report's fields mixed up in the message, and the teardown
    that does not join the processes."""
    fail_in_block(monkeypatch, ValueError("block 1 broke"), first_row=5, on_call=2)
    slow_name(monkeypatch, "heat0")
    with pytest.raises(RuntimeError) as raised:
        run(tmp_path, "processes", "numpy", 2, **SIZE)
    assert str(raised.value) == "heat worker 1 failed: ValueError('block 1 broke')"
    assert not heat_children()


def slow_name(monkeypatch, process: str) -> None:
    """The worker process `process` takes 0.5 s (over 2 POLL_S) to send its report."""
    original = processes.worker_name

    def worker_name():
        if multiprocessing.current_process().name == process:
            time.sleep(0.5)
        return original()

    monkeypatch.setattr(processes, "worker_name", worker_name)


def test_processes_report_a_worker_that_fails_before_the_start(tmp_path, monkeypatch):
    """Worker 1's warm-up fails, before the workers and the parent meet at the start: the others
    are released from that meeting, and the run raises naming a worker (not a nameless broken
    barrier, not a wait for ever), after every worker process has ended."""
    original = HeatJob.warm_up

    def warm_up(self):
        if multiprocessing.current_process().name == "heat1":
            raise ValueError("warm-up broke")
        return original(self)

    monkeypatch.setattr(HeatJob, "warm_up", warm_up)
    with pytest.raises(RuntimeError) as raised:
        run(tmp_path, "processes", "numpy", 2, **SIZE)
    assert str(raised.value).startswith("heat worker "), repr(raised.value)
    assert multiprocessing.active_children() == []


def test_processes_wait_for_a_slow_worker(tmp_path, monkeypatch):
    """Worker 0 reports and exits; worker 1 takes 0.5 s more. The parent polls the queue in the
    meantime, finds it empty and a process exited with 0: that is not a death. The run succeeds
    with both workers' busy time. Catches the death test inverted or its exit codes changed,
    the empty queue's exception replaced, a poll given a negative timeout, and `continue`
    turned into `break` (one worker's report lost)."""
    slow_name(monkeypatch, "heat1")
    out = run(tmp_path, "processes", "numpy", 2, **SIZE)
    record = verify(out, out)
    assert len(record["worker_busy"]) == 2, record["worker_busy"]
    assert np.array_equal(field(out), field(run(tmp_path, "serial", "numpy", 1, **SIZE)))


# --- fork-join (both futures variants) -------------------------------------------------------------


@pytest.mark.parametrize("variant", ["futures-threads", "futures-processes"])
def test_futures_write_checkpoints_at_their_steps(tmp_path, written, variant):
    """checkpoint_every=2 over 5 steps: checkpoints of the fields after steps 2 and 4, nothing
    else (not the result after step 5). Catches the checkpoint test inverted."""
    init = tmp_path / "init.h5"
    u = random_field()
    with h5py.File(init, "w") as f:
        f["field"] = u
    run(tmp_path, variant, "numpy", 2, **SIZE, checkpoint_every=2, init=str(init))
    assert [step for step, _, _ in written] == [2, 4]
    for step, data, _ in written:
        assert np.allclose(data, textbook(u, step), rtol=1e-12, atol=1e-9), step


def test_futures_block_step_times_its_kernel_only():
    """One block's step returns the worker and seconds within the call's wall time. Catches
    `perf_counter() - began` turned into +, *, / or //."""
    the_job = job("numpy", **SIZE)
    u = random_field()
    grid = fork_join.LocalGrid((u.copy(), u.copy()))
    task = fork_join.BlockStep(the_job, the_job.row_blocks(2), grid)
    began = time.perf_counter()
    _, seconds = task((1, 0))
    elapsed = time.perf_counter() - began
    assert 0 <= seconds <= elapsed
    want = textbook(u, 1)
    assert np.allclose(grid.arrays[1][5:8], want[5:8], rtol=1e-12, atol=1e-9)  # block 1: rows 5..7


@pytest.mark.parametrize("variant", ["futures-threads", "futures-processes"])
def test_futures_record_sane_timings(tmp_path, variant):
    """No worker busy longer than the run (a busy sum starting at 1 s), no negative phase, and
    the loop's time outside the kernels (submitting futures, waiting for them) charged to
    `communicate`: it is never zero. Catches the loop's wall time starting at -1 s (all of it
    left in compute)."""
    out = run(tmp_path, variant, "numpy", 2, **SIZE)
    record = verify(out, out)
    assert_sane_timings(record)
    assert record["phases"]["communicate"] > 0


def test_futures_tasks_and_processes_grid_handles_are_frozen():
    """What travels to workers cannot be changed on the way: a BlockStep, a LocalGrid and a
    GridHandle are immutable (and hashable). Catches `frozen=True` dropped."""
    the_job = job("numpy", **SIZE)
    handle = shared_grid.GridHandle((9, 7), ("a", "b"))
    grid = fork_join.LocalGrid(())
    for value, name in (
        (fork_join.BlockStep(the_job, [], grid), "blocks"),
        (grid, "arrays"),
        (handle, "names"),
    ):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, name, None)
    assert hash(handle) == hash(shared_grid.GridHandle((9, 7), ("a", "b")))


# --- the shared grid -------------------------------------------------------------------------------


def test_processes_shared_grid_life_cycle():
    """Two buffers (no third copy of the field), each holding the field in its own pages; a
    handle attaches to the same pages once per process; close() removes both segments.
    Catches a third segment, an attachment per call (a new mapping each step), and close()
    not unlinking."""
    u = random_field()
    grid = shared_grid.SharedGrid(u)
    try:
        assert len(grid.segments) == len(grid.handle.names) == len(grid.buffers) == 2
        assert all(np.array_equal(b, u) for b in grid.buffers)
        attached = grid.handle.buffers()
        assert grid.handle.buffers() is attached  # attached once
        attached[1][3, 4] = -1.0
        assert grid.buffers[1][3, 4] == -1.0 and grid.buffers[0][3, 4] == u[3, 4]
    finally:
        names = grid.handle.names
        grid.close()
    for name in names:
        with pytest.raises(FileNotFoundError):
            shared_memory.SharedMemory(name=name)
