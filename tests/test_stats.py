"""The uncertainty of parbench's figures (parbench.stats), on synthetic samples whose truth is
known: noise of 10 % (log-normal, sigma 0.1), as on a busy shared machine."""

from __future__ import annotations

import numpy as np
import pytest

from parbench import stats

NOISE = 0.1
SEEDS = range(200)


def times(rng, median: float, n: int) -> np.ndarray:
    return median * np.exp(rng.normal(0.0, NOISE, n))


def test_one_distribution_is_never_called_faster_or_slower():
    """Two samples of the same times: same or unknown in at least 95 % of seeds, never a change
    (a single threshold on medians would call about a third of them one)."""
    verdicts = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        verdicts.append(stats.change(times(rng, 2.0, 10), times(rng, 2.0, 10)).verdict)
    wrong = sum(v in (stats.FASTER, stats.SLOWER) for v in verdicts)
    assert wrong <= 0.05 * len(verdicts), f"{wrong} of {len(verdicts)} called a change"
    assert stats.SAME in verdicts  # 10 repeats of 10 % noise can show a sameness within 1.1x


def test_a_thirty_percent_slowdown_with_ten_repeats_is_found():
    slower = faster = 0
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        verdict = stats.change(times(rng, 2.0, 10), times(rng, 2.6, 10)).verdict
        slower += verdict == stats.SLOWER
        faster += verdict == stats.FASTER
    assert slower >= 0.95 * len(SEEDS) and faster == 0, (slower, faster)
    rng = np.random.default_rng(0)
    speedup = stats.change(times(rng, 2.6, 10), times(rng, 2.0, 10))
    assert speedup.verdict == stats.FASTER and speedup.ratio < 1 / stats.MIN_EFFECT


def test_a_small_difference_is_not_a_change_however_significant():
    """5 % slower, with little noise: significant, but below the 1.1x a change must reach."""
    before, after = np.full(20, 2.0) + np.linspace(0, 0.01, 20), np.full(20, 2.1) + np.linspace(0, 0.01, 20)
    found = stats.change(before, after)
    assert found.p_value < stats.ALPHA and found.verdict == stats.SAME, found


@pytest.mark.parametrize("n", [5, 10])
def test_intervals_cover_the_truth_at_their_level(n):
    """Coverage by simulation: the 95 % intervals of a median and of a speed-up (true value 2)
    hold the truth in 95 % of samples, within a stated margin of 5 points."""
    median_hits = speedup_hits = 0
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        serial, parallel = times(rng, 10.0, n), times(rng, 5.0, n)
        median = stats.median_interval(serial)
        speedup = stats.speedup_interval(serial, parallel)
        median_hits += median.low <= 10.0 <= median.high
        speedup_hits += speedup.low <= 2.0 <= speedup.high
    for hits in (median_hits, speedup_hits):
        assert 0.90 <= hits / len(SEEDS) <= 1.0, (median_hits, speedup_hits)


def test_an_interval_is_of_the_ratio_and_its_estimate_the_ratio_of_medians():
    serial, parallel = [10.0, 11.0, 9.0, 10.5, 9.5], [5.0, 5.5, 4.5, 5.2, 4.8]
    speedup = stats.speedup_interval(serial, parallel)
    assert speedup.estimate == pytest.approx(10.0 / 5.0)  # medians by hand: 10 and 5
    # Every resample's ratio lies between the extremes: 9 / 5.5 and 11 / 4.5.
    assert 9 / 5.5 <= speedup.low < 2.0 < speedup.high <= 11 / 4.5
    efficiency = speedup.scaled(1 / 4)
    assert (efficiency.estimate, efficiency.low, efficiency.high) == pytest.approx(
        (0.5, speedup.low / 4, speedup.high / 4)
    )
    assert stats.median_interval([3.0] * 6) == stats.Interval(3.0, 3.0, 3.0, 6)


def test_too_few_repeats_give_no_interval_and_say_so():
    three = stats.median_interval([1.0, 1.2, 0.9])
    assert (three.estimate, three.low, three.high, three.repeats) == (1.0, None, None, 3)
    assert "3 repeats: too few for an interval (at least 5)" == three.why
    # The smaller sample limits a ratio.
    assert not stats.speedup_interval([1.0] * 10, [0.5] * 4).known
    assert stats.speedup_interval([1.0] * 5, [0.5] * 5).known
    assert three.overlaps(stats.Interval(100.0, 99.0, 101.0, 5))  # unknown: cannot tell apart


def test_overlap_is_checked_at_both_ends():
    a = stats.Interval(1.0, 0.9, 1.1, 5)
    assert a.overlaps(stats.Interval(1.2, 1.1, 1.3, 5)) and a.overlaps(stats.Interval(0.8, 0.7, 0.9, 5))
    assert not a.overlaps(stats.Interval(1.3, 1.11, 1.4, 5))
    assert not a.overlaps(stats.Interval(0.7, 0.6, 0.89, 5))


@pytest.mark.parametrize(
    "measured, verdict, needed",
    [
        (stats.Interval(1.8, 1.7, 1.9, 5), stats.REPRODUCED, None),  # inside [1.5, 2.0]
        (stats.Interval(1.5, 1.5, 2.0, 5), stats.REPRODUCED, None),  # touching both edges: inside
        (stats.Interval(2.3, 2.1, 2.5, 5), stats.NOT_REPRODUCED, None),  # above
        (stats.Interval(1.2, 1.1, 1.4, 5), stats.NOT_REPRODUCED, None),  # below
        # Straddles 2.0: the estimate is 0.1 from the edge, the half-width 0.2: 4 times the
        # repeats halve it (5 * (0.2 / 0.1)^2 = 20).
        (stats.Interval(1.9, 1.7, 2.1, 5), stats.UNDECIDED, 20),
        (stats.Interval(1.6, 1.4, 1.8, 5), stats.UNDECIDED, 20),  # straddles 1.5
        (stats.Interval(2.0, 1.9, 2.1, 5), stats.UNDECIDED, None),  # on the edge: no repeats decide
        (stats.Interval(1.8, None, None, 3), stats.UNDECIDED, stats.MIN_REPEATS),
    ],
)
def test_a_measured_interval_against_a_tolerance_band(measured, verdict, needed):
    found = stats.against_band(measured, 1.5, 2.0)
    assert (found.verdict, found.repeats_needed) == (verdict, needed)
