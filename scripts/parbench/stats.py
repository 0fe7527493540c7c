"""How sure a measured figure is, and judgements that say so: the interval of a median time and of
a speed-up from a point's repeats, a change between two samples of times (faster, slower, same or
unknown), and a measured interval against a tolerance band (reproduced, not reproduced or
undecided, with the repeats that would decide it). docs/statistics.md states the methods.

Methods (SciPy): intervals are percentile bootstraps at LEVEL, the speed-up's that of the ratio
of the two medians (serial and parallel repeats resampled apart), never two intervals put side by
side. With fewer than MIN_REPEATS repeats there is no interval: a bootstrap of three numbers
covers the true median three times in four, not 95 in 100. A change is real only when a
Mann-Whitney U test finds it (p < ALPHA) and it is at least MIN_EFFECT (asv's rule, whose
p < 0.002 suits its many samples: with parbench's ten repeats and 10 % noise it finds a 30 %
slow-down only 91 times in 100; p < 0.01 finds 98.5 while calling 0.6 % of equal pairs a change,
measured in tests/test_stats.py); it is "same" only when the ratio's whole interval lies within
MIN_EFFECT either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95
MIN_REPEATS = 5
RESAMPLES = 2000
ALPHA = 0.01
MIN_EFFECT = 1.1
# Resampling from a fixed seed: the same repeats give the same interval in every report.
SEED = 20261203

FASTER, SLOWER, SAME, UNKNOWN = "faster", "slower", "same", "unknown"
REPRODUCED, NOT_REPRODUCED, UNDECIDED = "reproduced", "not reproduced", "undecided"


@dataclass(frozen=True)
class Interval:
    """An estimate with its interval at LEVEL; low and high are None when there were too few
    repeats for one (`why` says so)."""

    estimate: float
    low: float | None
    high: float | None
    repeats: int

    @property
    def known(self) -> bool:
        return self.low is not None

    @property
    def why(self) -> str:
        if self.known:
            return ""
        return f"{self.repeats} repeats: too few for an interval (at least {MIN_REPEATS})"

    def scaled(self, factor: float) -> Interval:
        """The interval of estimate * factor (factor > 0): an efficiency from a speed-up."""
        if not self.known:
            return Interval(self.estimate * factor, None, None, self.repeats)
        return Interval(self.estimate * factor, self.low * factor, self.high * factor, self.repeats)

    def overlaps(self, other: Interval) -> bool:
        """Whether the two could be the same value; without both intervals nobody can tell them
        apart, so they overlap."""
        if not (self.known and other.known):
            return True
        return self.low <= other.high and other.low <= self.high


def _sample(values) -> np.ndarray:
    sample = np.asarray(values, dtype=float)
    return sample[np.isfinite(sample)]


def _median(*samples, axis=-1):
    return np.median(samples[0], axis=axis)


def _ratio_of_medians(numerator, denominator, axis=-1):
    return np.median(numerator, axis=axis) / np.median(denominator, axis=axis)


def _bootstrap(samples: tuple[np.ndarray, ...], statistic) -> tuple[float, float]:
    if all(np.ptp(s) == 0 for s in samples):  # no spread at all: the bootstrap has nothing to resample
        value = float(statistic(*samples))
        return value, value
    found = stats.bootstrap(
        samples,
        statistic,
        vectorized=True,
        paired=False,
        n_resamples=RESAMPLES,
        confidence_level=LEVEL,
        method="percentile",
        rng=np.random.default_rng(SEED),
    ).confidence_interval
    return float(found.low), float(found.high)


def median_interval(times) -> Interval:
    """The median of a point's repeated times, with its interval."""
    sample = _sample(times)
    if sample.size == 0:
        raise ValueError("no times to summarise")
    estimate = float(np.median(sample))
    if sample.size < MIN_REPEATS:
        return Interval(estimate, None, None, int(sample.size))
    low, high = _bootstrap((sample,), _median)
    return Interval(estimate, low, high, int(sample.size))


def speedup_interval(baseline_times, times) -> Interval:
    """median(baseline) / median(times), with the interval of that ratio; `repeats` counts the
    smaller of the two samples, which limits it."""
    baseline, sample = _sample(baseline_times), _sample(times)
    if baseline.size == 0 or sample.size == 0:
        raise ValueError("a speed-up needs baseline times and times")
    estimate = float(np.median(baseline) / np.median(sample))
    repeats = int(min(baseline.size, sample.size))
    if repeats < MIN_REPEATS:
        return Interval(estimate, None, None, repeats)
    low, high = _bootstrap((baseline, sample), _ratio_of_medians)
    return Interval(estimate, low, high, repeats)


@dataclass(frozen=True)
class Change:
    """Two samples of times of one point compared: `ratio` is median(after) / median(before)."""

    verdict: str
    ratio: float
    p_value: float
    interval: Interval  # of the ratio

    @property
    def reason(self) -> str:
        if self.verdict in (FASTER, SLOWER):
            return f"{self.ratio:.3g}x, p = {self.p_value:.2g} (Mann-Whitney U)"
        if self.verdict == SAME:
            return f"within {MIN_EFFECT}x either way ({self.interval.low:.3g}..{self.interval.high:.3g})"
        return (
            f"{self.ratio:.3g}x, p = {self.p_value:.2g}: not decided; more repeats "
            f"(a change must be {MIN_EFFECT}x or more with p < {ALPHA})"
        )


def change(before, after) -> Change:
    """Whether `after` is faster, slower, the same as `before`, or unknown: faster or slower only
    when the rank test finds a difference (p < ALPHA) and the medians differ by MIN_EFFECT or
    more; the same only when the ratio's interval lies within MIN_EFFECT either way."""
    a, b = _sample(before), _sample(after)
    if a.size == 0 or b.size == 0:
        raise ValueError("a change needs times before and after")
    ratio = float(np.median(b) / np.median(a))
    p_value = float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    interval = speedup_interval(b, a)  # median(after) / median(before)
    big = ratio >= MIN_EFFECT or ratio <= 1 / MIN_EFFECT
    if p_value < ALPHA and big:
        verdict = SLOWER if ratio > 1 else FASTER
    elif interval.known and 1 / MIN_EFFECT <= interval.low and interval.high <= MIN_EFFECT:
        verdict = SAME
    else:
        verdict = UNKNOWN
    return Change(verdict, ratio, p_value, interval)


@dataclass(frozen=True)
class BandVerdict:
    verdict: str
    # Undecided: the repeats that would shrink the interval inside or outside the band (None:
    # the estimate sits on an edge, no number of repeats decides it).
    repeats_needed: int | None = None


def against_band(measured: Interval, low: float, high: float) -> BandVerdict:
    """A measured interval against a tolerance band [low, high]: reproduced when it lies inside,
    not reproduced when it lies outside, undecided when it straddles an edge, or when there were
    too few repeats for an interval (then it needs MIN_REPEATS). The repeats an undecided point
    needs assume the interval shrinks as 1/sqrt(repeats) around its estimate."""
    if not measured.known:
        return BandVerdict(UNDECIDED, MIN_REPEATS)
    if low <= measured.low and measured.high <= high:
        return BandVerdict(REPRODUCED)
    if measured.high < low or measured.low > high:
        return BandVerdict(NOT_REPRODUCED)
    value = measured.estimate
    edge = min(abs(value - low), abs(value - high))
    half = max(value - measured.low, measured.high - value)
    if edge == 0 or half == 0:
        return BandVerdict(UNDECIDED, None)
    return BandVerdict(UNDECIDED, max(measured.repeats + 1, math.ceil(measured.repeats * (half / edge) ** 2)))
