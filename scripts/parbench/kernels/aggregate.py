"""The group-by query's partial aggregates, how two of them merge, and the final answer.

A partial aggregate summarises some rows: per key the count, sum, M2 (the sum of squared
deviations from that key's mean), min and max of the value, and a histogram of the values over
fixed bins. It is one flat float64 vector (counts are exact in float64 up to 2^53 rows), so MPI
can reduce it as a single buffer and every variant passes the same thing around.

Two partials merge with the pairwise formula of Chan, Golub and LeVeque (1979):

    n = n_a + n_b,  delta = mean_b - mean_a,  M2 = M2_a + M2_b + delta^2 * n_a * n_b / n

which stays accurate however the rows were split, unlike averaging means or the textbook
"sum of squares minus square of sums" that cancels catastrophically when the mean dominates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIELDS = ("count", "sum", "m2", "min", "max")

# Fixed histogram bins: HISTOGRAM_BINS bins of HISTOGRAM_WIDTH from 0, plus one bin below and one
# above. Width is a power of two and the low edge 0, so the bin of a value, floor(value / width),
# is exact: every engine (NumPy, Arrow, numba, the JVM) puts every value in the same bin.
HISTOGRAM_WIDTH = 8.0
HISTOGRAM_BINS = 64
HISTOGRAM_SIZE = HISTOGRAM_BINS + 2  # [below 0, the bins..., at or above the last edge]
TOP = 10  # how many keys the "top keys by sum" answer lists


def histogram_edges() -> np.ndarray:
    return np.arange(HISTOGRAM_BINS + 1, dtype=np.float64) * HISTOGRAM_WIDTH


def bin_index(values: np.ndarray) -> np.ndarray:
    """Position of each value in the histogram vector (0: below the first edge, last: above)."""
    scaled = np.floor(values * (1.0 / HISTOGRAM_WIDTH))
    return (np.clip(scaled, -1, HISTOGRAM_BINS) + 1).astype(np.intp)


def partial_length(keys: int) -> int:
    return len(FIELDS) * keys + HISTOGRAM_SIZE


@dataclass
class Partial:
    """Named views into one partial's flat vector (writing to a view writes the vector)."""

    count: np.ndarray
    sum: np.ndarray
    m2: np.ndarray
    min: np.ndarray
    max: np.ndarray
    histogram: np.ndarray

    @classmethod
    def of(cls, vector: np.ndarray, keys: int) -> Partial:
        if vector.shape != (partial_length(keys),) or vector.dtype != np.float64:
            raise ValueError(
                f"a partial over {keys} keys is {partial_length(keys)} float64, got {vector.shape}"
            )
        fields = vector[: len(FIELDS) * keys].reshape(len(FIELDS), keys)
        return cls(*fields, histogram=vector[len(FIELDS) * keys :])


def empty(keys: int) -> np.ndarray:
    """The partial of no rows: the identity of `merge`."""
    vector = np.zeros(partial_length(keys))
    part = Partial.of(vector, keys)
    part.min[:] = np.inf
    part.max[:] = -np.inf
    return vector


def from_columns(count, total, m2, low, high, histogram, keys: int) -> np.ndarray:
    """Packs per-key columns (indexed by key, length `keys`) and a histogram into a partial."""
    vector = np.empty(partial_length(keys))
    part = Partial.of(vector, keys)
    part.count[:], part.sum[:], part.m2[:] = count, total, m2
    part.min[:], part.max[:], part.histogram[:] = low, high, histogram
    return vector


def mean_of(part: Partial) -> np.ndarray:
    return np.divide(part.sum, part.count, out=np.zeros_like(part.sum), where=part.count > 0)


def merge(first: np.ndarray, second: np.ndarray, keys: int) -> np.ndarray:
    """The partial of both parts' rows (Chan et al.); neither input changes."""
    a, b = Partial.of(first, keys), Partial.of(second, keys)
    merged = np.empty_like(first)
    out = Partial.of(merged, keys)
    n = a.count + b.count
    both = (a.count > 0) & (b.count > 0)  # a key seen on one side only needs no correction
    delta = mean_of(b) - mean_of(a)
    correction = np.divide(delta * delta * a.count * b.count, n, out=np.zeros_like(n), where=both)
    out.m2[:] = a.m2 + b.m2 + correction
    out.count[:] = n
    out.sum[:] = a.sum + b.sum
    np.minimum(a.min, b.min, out=out.min)
    np.maximum(a.max, b.max, out=out.max)
    np.add(a.histogram, b.histogram, out=out.histogram)
    return merged


def merge_all(partials: list[np.ndarray], keys: int) -> np.ndarray:
    """Merges any number of partials as a balanced tree: halves merge, then their results, so
    rounding grows with log(parts), not with parts. The order is fixed by the list's order."""
    if not partials:
        return empty(keys)
    while len(partials) > 1:
        pairs = [merge(partials[i], partials[i + 1], keys) for i in range(0, len(partials) - 1, 2)]
        partials = pairs + ([partials[-1]] if len(partials) % 2 else [])
    return partials[0]


def finish(partial: np.ndarray, keys: int) -> dict[str, np.ndarray]:
    """The answer of the query from the partial of all rows: the keys that occur, in order, with
    count, sum, mean, sample standard deviation (NaN for a single row, as pandas and Spark give),
    min and max; the histogram; and the TOP keys by sum (ties: smaller key first)."""
    part = Partial.of(partial, keys)
    present = np.flatnonzero(part.count > 0)
    count = part.count[present]
    total = part.sum[present]
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.sqrt(part.m2[present] / (count - 1))
    std[count < 2] = np.nan
    ranked = np.lexsort((present, -total))[:TOP]
    return {
        "keys": present.astype(np.int64),
        "count": count.astype(np.int64),
        "sum": total,
        "mean": total / count,
        "std": std,
        "min": part.min[present],
        "max": part.max[present],
        "histogram": part.histogram.astype(np.int64),
        "histogram_edges": histogram_edges(),
        "top_keys": present[ranked].astype(np.int64),
        "top_sums": total[ranked],
    }
