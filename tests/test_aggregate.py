"""The group-by partial aggregate on its own (kernels/aggregate.py): the bin of a value, the checks
on a partial's vector, and the Chan et al. merge on tiny hand-made partials whose merged count,
sum, M2 and standard deviation are worked out by hand in each test."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from parbench.kernels import aggregate

KEYS = 2
LENGTH = 5 * KEYS + 66  # count, sum, m2, min, max per key, then 64 bins and one below, one above


def partial(rows: dict[int, list[float]]) -> np.ndarray:
    """The partial of `rows` (key -> its values) over KEYS keys, laid out as the module promises:
    per-field blocks of KEYS numbers (count, sum, M2, min, max), then the histogram (left empty)."""
    vector = np.zeros(LENGTH)
    fields = vector[: 5 * KEYS].reshape(5, KEYS)
    fields[3], fields[4] = np.inf, -np.inf
    for key, values in rows.items():
        mean = sum(values) / len(values)
        fields[:, key] = (
            len(values),
            sum(values),
            sum((v - mean) ** 2 for v in values),
            min(values),
            max(values),
        )
    return vector


def fields(vector: np.ndarray) -> np.ndarray:
    return vector[: 5 * KEYS].reshape(5, KEYS)


def test_bin_index_by_hand():
    """Bins of width 8: below 0 is position 0 however far below (a clip at -2, or none, gives -1
    or less, which wraps round to the last bin), [0, 8) is 1, [504, 512) is 64, 512 and above 65."""
    values = np.array([-1e9, -8.0, -0.5, 0.0, 7.999, 8.0, 511.9, 512.0, 1e9])
    want = [0, 0, 0, 1, 1, 2, 64, 65, 65]
    np.testing.assert_array_equal(aggregate.bin_index(values), want)


def test_merge_of_one_row_each_adds_the_correction():
    """Key 0: a row of 1.0 on one side and a row of 3.0 on the other; by hand: mean 2, M2
    (1-2)^2 + (3-2)^2 = 2, sample std sqrt(2). A merge that skips the correction for a side of a
    single row (count > 1 instead of > 0, in `both` or in the mean) leaves M2 at 0.
    Key 1: rows 2, 4 on one side and 6 on the other: mean 4, M2 4 + 0 + 4 = 8, std 2."""
    merged = aggregate.merge(partial({0: [1.0], 1: [2.0, 4.0]}), partial({0: [3.0], 1: [6.0]}), KEYS)
    np.testing.assert_allclose(fields(merged)[:3], [[2, 3], [4, 12], [2, 8]], rtol=1e-15)
    answer = aggregate.finish(merged, KEYS)
    np.testing.assert_allclose(answer["std"], [np.sqrt(2), 2.0], rtol=1e-15)


def test_merge_of_a_key_seen_on_one_side_only_keeps_its_m2_even_when_the_mean_is_huge():
    """Key 0 only in the first part, key 1 only in the second, each with two rows of 1e200: the
    merged M2 is that side's own, 0. The correction term squares the difference of the means,
    1e400, which overflows to inf; a merge that computes it for a one-sided key (count >= 0, or
    'either side' instead of 'both') multiplies inf by the other side's count 0 and writes NaN."""
    first, second = partial({0: [1e200, 1e200]}), partial({1: [1e200, 1e200]})
    with np.errstate(over="ignore", invalid="ignore"):
        merged = aggregate.merge(first, second, KEYS)
    np.testing.assert_array_equal(fields(merged)[:3], [[2, 2], [2e200, 2e200], [0, 0]])
    answer = aggregate.finish(merged, KEYS)
    np.testing.assert_array_equal(answer["std"], [0.0, 0.0])


def test_two_rows_have_a_standard_deviation():
    """Rows 1 and 3: sample std sqrt(2), not NaN (NaN is for keys of a single row only)."""
    answer = aggregate.finish(partial({0: [1.0, 3.0], 1: [5.0]}), KEYS)
    np.testing.assert_array_equal(answer["count"], [2, 1])
    assert answer["std"][0] == pytest.approx(np.sqrt(2), rel=1e-15)
    assert np.isnan(answer["std"][1])


@pytest.mark.parametrize(
    "vector",
    [
        np.zeros(LENGTH + 1),  # one too long
        np.zeros(LENGTH - 1),  # one too short
        np.zeros((LENGTH, 1)),
        np.zeros(LENGTH, np.float32),  # narrower than float64
        np.zeros(LENGTH, np.complex128),  # wider than float64
    ],
    ids=["long", "short", "column", "float32", "complex"],
)
def test_a_vector_of_the_wrong_length_or_type_is_refused(vector):
    """Exactly LENGTH float64 numbers, no more, no fewer, no other type (a check by < or > on the
    shape or dtype, or with 'and', lets some of these through), with a message saying what a
    partial is and what came instead."""
    with pytest.raises(ValueError) as error:
        aggregate.Partial.of(vector, KEYS)
    assert str(error.value) == f"a partial over 2 keys is 76 float64, got {vector.shape}"


def test_merge_with_a_key_absent_from_both_sides_gives_no_warning():
    """Key 1 has no rows on either side: its mean must not be computed as 0 / 0, which NumPy
    reports as 'RuntimeWarning: invalid value encountered in divide' on every merge (a mean taken
    where count >= 0 instead of > 0). Its merged count, sum and M2 stay 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        merged = aggregate.merge(partial({0: [1.0]}), partial({0: [3.0]}), KEYS)
    np.testing.assert_array_equal(fields(merged)[:3, 1], [0, 0, 0])
