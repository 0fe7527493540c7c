"""The group-by problem at its edges: `compare`'s messages word for word (how many elements
differ, shapes either way round, a zero deviation against a zero, top keys swapped either way
round, an answer whose lists do not line up), and the key check a partition without column
statistics gets as it is read (the footer check cannot see its keys)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from groupby_cases import generate
from parbench import registry
from parbench.errors import UsageError
from parbench.problems.groupby import partial_of_file, relative_difference


def compare(result: dict, reference: dict) -> str | None:
    return registry.problem("groupby").compare(result, reference)


def answer() -> dict:
    """A hand-made answer for three keys: key 0 has rows 1, 2, 3, 4; key 1 has 2, 2 (all equal:
    a deviation of exactly 0); key 2 one row of 2.5 (no deviation: NaN)."""
    return {
        "keys": np.array([0, 1, 2]),
        "count": np.array([4, 2, 1]),
        "sum": np.array([10.0, 4.0, 2.5]),
        "mean": np.array([2.5, 2.0, 2.5]),
        "std": np.array([1.2909944487358056, 0.0, np.nan]),
        "min": np.array([1.0, 2.0, 2.5]),
        "max": np.array([4.0, 2.0, 2.5]),
        "histogram": np.array([0, 7, 0]),
        "histogram_edges": np.array([0.0, 8.0, 16.0, 24.0]),
        "top_keys": np.array([0, 1, 2]),
        "top_sums": np.array([10.0, 4.0, 2.5]),
    }


# --- relative_difference: the message a failed verify shows ------------------------------------


def test_the_message_counts_the_elements_that_differ():
    """Counting the elements that agree instead of those that differ (or a wrong total) shows here."""
    got, want = np.array([1.0, 2.5, 3.5]), np.array([1.0, 2.0, 3.0])
    assert relative_difference("sum", got, want) == (
        "sum[1] is 2.5 but the reference has 2.0, beyond 1e-09 relative (2 of 3 elements differ)"
    )
    assert relative_difference("mean", np.array([1.0, 2.0, 3.5]), want) == (
        "mean[2] is 3.5 but the reference has 3.0, beyond 1e-09 relative (1 of 3 elements differ)"
    )


def test_a_shape_differs_either_way_round():
    """A longer and a shorter array than the reference's both get the shape message (a check of
    only one way round lets the other fall through to arithmetic that cannot broadcast)."""
    assert relative_difference("std", np.zeros(4), np.zeros(3)) == (
        "std: shape (4,) differs from the reference's (3,)"
    )
    assert relative_difference("std", np.zeros(2), np.zeros(3)) == (
        "std: shape (2,) differs from the reference's (3,)"
    )


def test_zero_meets_zero():
    """A key whose rows are all equal has a deviation of exactly 0: 0 against 0 is no difference
    (a strict `<` against a tolerance of 0 x 1e-9 would refuse it)."""
    assert relative_difference("std", np.array([0.0, 1.0]), np.array([0.0, 1.0])) is None
    assert compare(answer(), answer()) is None


# --- compare_top ------------------------------------------------------------------------------


def test_top_keys_swapped_either_way_round_are_refused_when_the_sums_differ():
    """The first wrong key may be smaller or larger than the reference's: both are named (a check
    that only looks at a larger wrong key misses the other)."""
    reference = {**answer(), "sum": np.array([6.0, 10.0, 2.5]), "top_keys": np.array([1, 0, 2])}
    reference["top_sums"] = np.array([10.0, 6.0, 2.5])
    smaller = {**reference, "top_keys": np.array([0, 1, 2])}
    assert compare(smaller, reference) == ("top_keys[0] is 0 but the reference has 1 (sums 6.0 and 10.0)")
    larger = {**answer(), "top_keys": np.array([1, 0, 2])}
    assert compare(larger, answer()) == "top_keys[0] is 1 but the reference has 0 (sums 4.0 and 10.0)"


def outcome(result: dict, reference: dict) -> str | None:
    """compare's verdict, with an exception counted as a refusal (what the user sees then is an
    error, never a pass)."""
    try:
        return compare(result, reference)
    except ValueError as error:
        return f"refused: {error}"


def test_top_keys_longer_than_the_references_are_never_accepted():
    """An answer listing one more top key than the reference, the others equal: pairing them up to
    the shorter list would accept it."""
    longer = {**answer(), "top_keys": np.array([0, 1, 2, 2])}
    assert outcome(longer, answer()) is not None


def test_an_answer_whose_keys_and_sums_do_not_line_up_is_never_accepted():
    """Three keys but two sums (a broken result file), compared with itself: matching keys to sums
    up to the shorter list would pass it."""
    broken = {**answer(), "sum": np.array([10.0, 4.0]), "top_sums": np.array([10.0, 4.0, 2.5])}
    assert outcome(broken, {**broken}) is not None


# --- partial_of_file: keys checked as they are read ------------------------------------------------


@pytest.fixture(scope="module")
def no_statistics(tmp_path_factory):
    """A 5-key dataset whose files carry no column statistics: the footer check (dataset.inspect)
    cannot see their key range, so reading must check it. Returns a function that writes the given
    keys into one such file and returns its path."""
    folder = generate(tmp_path_factory.mktemp("nostats") / "data", rows=300, keys=5, partitions=3)
    template = pq.read_table(folder / "part-00000.parquet")

    def write(keys: list[int], name: str):
        table = template.slice(0, len(keys)).set_column(0, "key", pa.array(keys, pa.int32()))
        path = folder / f"{name}.parquet"
        pq.write_table(table, path, write_statistics=False)
        assert pq.ParquetFile(path).metadata.row_group(0).column(0).statistics is None
        return path

    return write


@pytest.mark.parametrize(
    ("keys", "says"),
    [
        ([7, 7, 7], "keys 7..7 outside 0..4"),  # far above
        ([0, 5, 2], "keys 0..5 outside 0..4"),  # one past the last key
        ([-1, 2, 4], "keys -1..4 outside 0..4"),  # one below the first
    ],
)
def test_keys_out_of_range_are_refused_naming_the_file_and_the_range(no_statistics, keys, says):
    """The compiled kernels index by key without bounds checks: a key outside 0..keys-1 must stop
    the read with a message naming the file, the keys found and the keys allowed."""
    path = no_statistics(keys, f"bad{keys[1]}")
    with pytest.raises(UsageError) as caught:  # the CLI's one-line message and exit 2
        partial_of_file(str(path), 5, "pandas")
    assert caught.value.argument == "--dataset" and f"{path}: {says}" in str(caught.value)


def test_the_first_and_last_keys_are_accepted(no_statistics):
    """Keys 0 and 4 of 5: both ends of the range are fine (a check off by one refuses one)."""
    path = no_statistics([0, 4, 4, 0], "ends")
    from parbench.kernels import aggregate

    part = aggregate.Partial.of(partial_of_file(str(path), 5, "pandas"), 5)
    np.testing.assert_array_equal(part.count, [2, 0, 0, 0, 2])
