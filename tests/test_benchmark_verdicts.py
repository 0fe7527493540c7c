"""The benchmarks' target verdicts (benchmarks/runs.py): met only when the whole interval is on
the target's good side, missed only when it is wholly on the bad side, undecided on this host
when it straddles the target or there is no interval; both kinds of target (at least, at most)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from parbench.stats import Interval

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import runs  # noqa: E402


@pytest.mark.parametrize(
    ("measured", "at_least", "verdict"),
    [
        (Interval(0.95, 0.91, 0.99, 5), True, runs.MET),
        (Interval(0.95, 0.90, 0.99, 5), True, runs.MET),  # the target itself is on the good side
        (Interval(0.85, 0.80, 0.89, 5), True, runs.MISSED),
        (Interval(0.92, 0.87, 0.97, 5), True, runs.UNDECIDED),  # the estimate alone would say met
        (Interval(0.88, 0.83, 0.93, 5), True, runs.UNDECIDED),  # ... and here missed
        (Interval(0.95, None, None, 3), True, runs.UNDECIDED),
        (Interval(0.85, 0.80, 0.89, 5), False, runs.MET),  # at most 0.9
        (Interval(0.95, 0.91, 0.99, 5), False, runs.MISSED),
        (Interval(0.92, 0.87, 0.97, 5), False, runs.UNDECIDED),
    ],
)
def test_a_target_is_met_missed_or_undecided_by_its_interval(measured, at_least, verdict):
    found, line = runs.judge("the figure", measured, 0.9, at_least=at_least)
    assert found == verdict
    assert line.startswith(f"{verdict}: the figure {measured.estimate:.2f}")
    assert f"(target {'>=' if at_least else '<='} 0.9)" in line


def test_an_undecided_target_says_what_would_decide_it():
    _, straddling = runs.judge("x", Interval(0.92, 0.87, 0.97, 5), 0.9)
    # Half-width 0.05 over a distance of 0.02 to the target: 5 x (0.05 / 0.02)^2 = 31.25 repeats.
    assert "about 32 repeats might decide it" in straddling
    _, without = runs.judge("x", Interval(0.95, None, None, 2), 0.9)
    assert "no interval: 2 repeats" in without


def test_the_closing_line_counts_every_verdict():
    verdicts = [runs.MET, runs.MISSED, runs.MET, runs.UNDECIDED]
    assert runs.verdict_counts(verdicts) == "2 met, 1 MISSED, 1 UNDECIDED on this host"
