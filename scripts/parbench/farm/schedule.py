"""How the task-farm variants split tasks into batches and time the framework call that runs them."""

from __future__ import annotations

import time

from parbench.context import RunContext
from parbench.contracts.task_farm import Done


def collect_timed(ctx: RunContext, call) -> list[Done]:
    """Runs `call`, one framework call that hands out the tasks, runs them and returns their Done
    records, and splits its time into distribute, compute and communicate by the workers' clocks,
    as MPI's phases are split: the compute phase is the workers' computing, not the framework's
    job launch before it or its result path after it."""
    called = time.time()
    done = call()
    returned = time.time()
    first_started = min((d.started for d in done), default=called)
    last_ended = max((d.ended for d in done), default=returned)
    ctx.phases.charge_call(called, returned, first_started, last_ended)
    return done


def deal(items: list, hands: int) -> list[list]:
    """Deals items round-robin into `hands` lists: a static split that still spreads neighbouring
    (similarly expensive) tasks over every worker."""
    return [items[h::hands] for h in range(hands)]


def guided(items: list, workers: int) -> list[list]:
    """Guided self-scheduling (OpenMP's `schedule(guided)`): consecutive batches, each a share
    1/(2 x workers) of the items still left, so they shrink to single items at the end. A pool
    pays per message it sends (a pickle, a pipe round trip, a wake-up of the parent's threads on
    the workers' cores), so the large early batches keep those few, while the small late ones
    still let whichever worker is idle even out the finish."""
    batches, start = [], 0
    while start < len(items):
        size = max(1, (len(items) - start) // (2 * workers))
        batches.append(items[start : start + size])
        start += size
    return batches
