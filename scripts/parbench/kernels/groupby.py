"""Group-by kernels: one partition's rows (key and value arrays) to its partial aggregate (see
`parbench.kernels.aggregate`). Three engines a data analyst might reach for:

- pandas: `groupby(...).agg(...)`, hash grouping in Cython; what most analysis code looks like.
- arrow: pyarrow's `Table.group_by(...).aggregate(...)`, C++ that releases the GIL throughout
  (asked to use one thread, so a worker stays one core).
- numba: one compiled pass for count, sum, min, max and histogram and a second for M2 (two-pass:
  the exact deviations from each key's mean, never a difference of large sums); no GIL.

All three give identical counts, minima, maxima and histograms; sums and M2 differ only by
rounding (pandas sums with Kahan compensation, the others plainly).
"""

from __future__ import annotations

import numpy as np

from parbench.kernels import aggregate
from parbench.kernels.jit import njit


def partial_pandas(keys: np.ndarray, values: np.ndarray, n_keys: int) -> np.ndarray:
    import pandas as pd

    grouped = pd.DataFrame({"key": keys, "value": values}).groupby("key", sort=False)["value"]
    stats = grouped.agg(["count", "sum", "min", "max"])
    stats["m2"] = grouped.var(ddof=0) * stats["count"]
    full = stats.reindex(pd.RangeIndex(n_keys))  # keys absent here: NaN, filled below
    histogram = np.bincount(aggregate.bin_index(values), minlength=aggregate.HISTOGRAM_SIZE)
    return aggregate.from_columns(
        full["count"].fillna(0).to_numpy(np.float64),
        full["sum"].fillna(0.0).to_numpy(np.float64),
        full["m2"].fillna(0.0).to_numpy(np.float64),
        full["min"].fillna(np.inf).to_numpy(np.float64),
        full["max"].fillna(-np.inf).to_numpy(np.float64),
        histogram,
        n_keys,
    )


def partial_arrow(keys: np.ndarray, values: np.ndarray, n_keys: int) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    table = pa.table({"key": keys, "value": values})
    stats = table.group_by("key", use_threads=False).aggregate(
        [
            ("value", "count"),
            ("value", "sum"),
            ("value", "variance", pc.VarianceOptions(ddof=0)),
            ("value", "min"),
            ("value", "max"),
        ]
    )
    where = stats["key"].to_numpy()
    count = stats["value_count"].to_numpy().astype(np.float64)
    columns = {
        "count": (count, 0.0),
        "sum": (stats["value_sum"].to_numpy(), 0.0),
        "m2": (stats["value_variance"].to_numpy() * count, 0.0),
        "min": (stats["value_min"].to_numpy(), np.inf),
        "max": (stats["value_max"].to_numpy(), -np.inf),
    }
    scattered = {}
    for name, (column, absent) in columns.items():
        scattered[name] = np.full(n_keys, absent)
        scattered[name][where] = column
    # The bin of each value, as in aggregate.bin_index, computed by Arrow: floor(value / width),
    # clipped to [-1, bins], plus one.
    scaled = pc.floor(pc.multiply(table["value"], 1.0 / aggregate.HISTOGRAM_WIDTH))
    clipped = pc.min_element_wise(pc.max_element_wise(scaled, -1.0), float(aggregate.HISTOGRAM_BINS))
    bins = pc.add(pc.cast(clipped, pa.int64()), 1)
    counted = pc.value_counts(bins).flatten()
    histogram = np.zeros(aggregate.HISTOGRAM_SIZE)
    histogram[counted[0].to_numpy()] = counted[1].to_numpy()
    return aggregate.from_columns(
        scattered["count"],
        scattered["sum"],
        scattered["m2"],
        scattered["min"],
        scattered["max"],
        histogram,
        n_keys,
    )


def _one_pass(keys, values, count, total, low, high, histogram, inverse_width, bins):
    for i in range(keys.shape[0]):
        k = keys[i]
        v = values[i]
        count[k] += 1.0
        total[k] += v
        if v < low[k]:
            low[k] = v
        if v > high[k]:
            high[k] = v
        scaled = np.floor(v * inverse_width)  # the same arithmetic as aggregate.bin_index
        if scaled < -1.0:
            scaled = -1.0
        elif scaled > bins:
            scaled = bins
        histogram[int(scaled) + 1] += 1.0


def _squared_deviations(keys, values, count, total, m2):
    for i in range(keys.shape[0]):
        k = keys[i]
        deviation = values[i] - total[k] / count[k]
        m2[k] += deviation * deviation


def partial_numba(keys: np.ndarray, values: np.ndarray, n_keys: int) -> np.ndarray:
    vector = aggregate.empty(n_keys)
    part = aggregate.Partial.of(vector, n_keys)
    njit(_one_pass)(
        keys,
        values,
        part.count,
        part.sum,
        part.min,
        part.max,
        part.histogram,
        1.0 / aggregate.HISTOGRAM_WIDTH,
        float(aggregate.HISTOGRAM_BINS),
    )
    njit(_squared_deviations)(keys, values, part.count, part.sum, part.m2)
    return vector


PARTIAL = {"pandas": partial_pandas, "arrow": partial_arrow, "numba": partial_numba}
