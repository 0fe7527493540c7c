"""Synthetic work for the `amdahl` problem: a stretch of work of a set length, done by sleeping or
by stepping a random-number generator, whose final state proves the work was done.

The generator is the Park-Miller "minimal standard" (state * 48271 mod 2**31 - 1): the product
fits in 64 bits, so Python integers and numba's int64 give the same states. After `steps` steps
the state is state * 48271**steps mod M, which the `sleep` kernel computes at once with `pow`:
every kernel ends in the same state, whatever it spent its time on.
"""

from __future__ import annotations

import time

from parbench.kernels.jit import njit

MODULUS = 2**31 - 1
MULTIPLIER = 48271


def first_state(seed: int, index: int) -> int:
    """A task's starting state, never 0 (0 is the generator's fixed point)."""
    return 1 + (seed * 1_000_003 + index * 7_919 + 12_345) % (MODULUS - 1)


def work_sleep(state: int, steps: int, seconds: float) -> int:
    """Sleeps (as hpc-intro's `amdahl` program does): releases the GIL, uses no core."""
    time.sleep(seconds)
    return state * pow(MULTIPLIER, steps, MODULUS) % MODULUS


def _steps(state, steps):
    for _ in range(steps):
        state = state * 48271 % 2147483647
    return state


def work_python(state: int, steps: int, seconds: float) -> int:
    """A plain Python loop: holds the GIL, so threads take turns."""
    return _steps(state, steps)


def work_numba(state: int, steps: int, seconds: float) -> int:
    """The same loop compiled with `nogil=True`: threads run it truly in parallel."""
    return int(njit(_steps)(state, steps))


WORK = {"sleep": work_sleep, "python": work_python, "numba": work_numba}
