"""The arithmetic every heat variant shares (parbench.heat.job): the rows each block owns, the
step segments between checkpoints, which steps are checkpoints, how a loop's wall time is split
into phases, and the workers' stopwatch. Expected values are worked out by hand in each test."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from heat_cases import job
from parbench.context import RunContext
from parbench.heat import job as heat_job


def test_a_job_cannot_be_changed_after_it_is_made():
    """A job travels to every worker (threads share one object): a frozen dataclass, so no
    worker can change the kernel or parameters the others run with."""
    one = job("numpy")
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.kernel = "python"


@pytest.mark.parametrize(
    "parts, owned",
    [
        (1, [(0, 23)]),
        # 21 interior rows 1..21 in 2 blocks of 11 and 10: (1, 12), (12, 22).
        (2, [(0, 12), (12, 23)]),
        # 21 interior rows in 3 blocks of 7: (1, 8), (8, 15), (15, 22).
        (3, [(0, 8), (8, 15), (15, 23)]),
        # 21 = 5 + 4 + 4 + 4 + 4: (1, 6), (6, 10), (10, 14), (14, 18), (18, 22).
        (5, [(0, 6), (6, 10), (10, 14), (14, 18), (18, 23)]),
    ],
)
def test_owned_rows_cover_every_row_once(parts, owned):
    """On the 23 x 19 grid (nx != ny), the first block also owns row 0 and the last row 22: a
    program that took ny as the row count, or extended the wrong block, gives other bounds."""
    assert job("numpy").owned_rows(parts) == owned


@pytest.mark.parametrize(
    "start, every, longest, segments",
    [
        (0, 0, None, [(0, 10)]),  # no checkpoints: one segment
        (0, 3, None, [(0, 3), (3, 6), (6, 9), (9, 10)]),  # cut at 3, 6, 9 and the end
        (4, 3, None, [(4, 6), (6, 9), (9, 10)]),  # resumed mid-way: the next multiple of 3 is 6
        (1, 0, 4, [(1, 5), (5, 9), (9, 10)]),  # at most 4 steps each
        (0, 3, 2, [(0, 2), (2, 3), (3, 5), (5, 6), (6, 8), (8, 9), (9, 10)]),  # both limits
        (7, 5, 2, [(7, 9), (9, 10)]),  # 5 steps apart: the checkpoint at 10 is the end
        (10, 3, None, []),  # resumed at the end: nothing left to do
        (11, 3, None, []),  # past the end: nothing either (not a step backwards)
    ],
)
def test_segments_end_at_checkpoints_and_are_at_most_longest(start, every, longest, segments):
    """Steps start..10 cut into [from, to) segments: a segment ends at every multiple of
    --checkpoint-every and is at most `longest` steps long; its bounds are step numbers (ints)."""
    got = job("numpy", steps=10, checkpoint_every=every).segments(start, longest)
    assert got == segments
    assert all(type(bound) is int for segment in got for bound in segment)


def test_checkpoints_fall_on_multiples_before_the_end():
    """Every 3rd step of 9 is a checkpoint, except the last (the end writes the result, not a
    checkpoint); with --checkpoint-every 0 there are none."""
    every_three = job("numpy", steps=9, checkpoint_every=3)
    assert [step for step in range(1, 13) if every_three.is_checkpoint(step)] == [3, 6]
    never = job("numpy", steps=9, checkpoint_every=0)
    assert not any(never.is_checkpoint(step) for step in range(1, 13))


def context_after_loop(wall: float) -> RunContext:
    """A run context whose loop of `wall` seconds has been counted as compute, as the variants
    do before calling charge_loop."""
    ctx = RunContext(workers=2)
    ctx.phases.seconds["compute"] = wall
    return ctx


def phases(ctx: RunContext) -> tuple[float, float, float]:
    return ctx.phases.seconds["compute"], ctx.phases.seconds["communicate"], ctx.phases.seconds["write"]


def test_charge_loop_splits_wall_time_into_compute_communicate_and_write():
    """10 s of loop, 1 s of it writing checkpoints, workers busy 3 s and 4 s: the busiest
    worker's 4 s stay compute, 1 s is write, the remaining 10 - 1 - 4 = 5 s communicate. The
    numbers are chosen so that no other combination of them gives 4, 5 and 1."""
    ctx = context_after_loop(10.0)
    heat_job.charge_loop(ctx, 10.0, {"node:1:a": 3.0, "node:1:b": 4.0}, writes=1.0)
    assert phases(ctx) == (4.0, 5.0, 1.0)
    assert ctx.busy == {"node:1:a": 3.0, "node:1:b": 4.0}


def test_charge_loop_without_writes_or_busy_workers():
    """No checkpoint writes (the default) and no busy times recorded: all 3 s were spent not
    computing, so they move to communicate."""
    ctx = context_after_loop(3.0)
    heat_job.charge_loop(ctx, 3.0, {})
    assert phases(ctx) == (0.0, 3.0, 0.0)


def test_charge_loop_never_charges_negative_waiting():
    """A worker's clock may show more busy time (2.5 s) than the loop's wall time (2 s): the
    waiting time is then 0, not negative, and compute keeps the whole 2 s."""
    ctx = context_after_loop(2.0)
    heat_job.charge_loop(ctx, 2.0, {"node:1:a": 2.5})
    assert phases(ctx) == (2.0, 0.0, 0.0)


def test_stopwatch_adds_up_the_time_inside(monkeypatch):
    """With a clock that reads 5, 12, 20, 20.5: two stretches of 7 and 0.5 seconds, 7.5 in all
    (from zero, by differences of the clock's readings)."""
    readings = iter([5.0, 12.0, 20.0, 20.5])
    monkeypatch.setattr(heat_job, "time", SimpleNamespace(perf_counter=lambda: next(readings)))
    watch = heat_job.Stopwatch()
    with watch:
        pass
    with watch:
        pass
    assert watch.seconds == 7.5
