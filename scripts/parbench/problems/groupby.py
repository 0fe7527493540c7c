"""Group-by: the data-analytics problem, where Dask and Spark are at home.

The query, over a partitioned Parquet dataset (`parbench generate groupby`): per key the count,
sum, mean, standard deviation, min and max of the value; a histogram of the value over fixed bins;
the 10 keys with the largest sums. Every partition file is one task whose partial aggregate
(`parbench.kernels.aggregate`) merges with the others in any order and any grouping, so the
task-farm variants run it unchanged, while mpi, dask and spark have their own modules in
`parbench.groupby.variants` (a reduction with a merging operator, dask.dataframe, Spark SQL).
"""

from __future__ import annotations

import numpy as np

from parbench.contracts.problem import TASK_BYTES, Memory, first_difference
from parbench.contracts.task_farm import TaskFarmProblem
from parbench.errors import UsageError
from parbench.groupby import dataset
from parbench.kernels import aggregate
from parbench.params import COMMON_PARAMS, Param, validate

RELATIVE_TOLERANCE = 1e-9  # sums, means and deviations: rounding differs with the merge order
# Rows a second read and aggregated on a slow core, any kernel (Spark's JVM included): a tenth
# of docs/benchmarks.md's.
SLOW_ROWS_PER_S = 5e6
EXACT = ("keys", "count", "min", "max", "histogram", "histogram_edges")
ROUNDED = ("sum", "mean", "std")


class GroupBy(TaskFarmProblem):
    name = "groupby"
    summary = "per-key statistics, histogram and top keys over a partitioned Parquet dataset"
    problem_class = "data analytics"
    params = (Param("dataset", str, None, "the dataset folder written by `parbench generate groupby`"),)
    dataset_params = (
        Param("rows", int, 1_000_000, "rows in all", minimum=1),
        Param("keys", int, 1000, "distinct keys (skewed: a few keys hold most rows)", minimum=1),
        Param("partitions", int, 8, "Parquet files, one task each", minimum=1),
    )
    kernels = ("pandas", "arrow", "numba")
    default_kernel = "pandas"
    # Its own mpi, dask and spark (a merging MPI reduction, dask.dataframe, Spark SQL); the task
    # farm's other variants run it unchanged.
    variants_package = "parbench.groupby.variants"
    own_variants = ("mpi", "dask", "spark")
    # Dask runs pandas inside its workers; Spark runs the query in its own JVM engine.
    variant_kernels = {"spark": ("jvm",)}

    def kernels_for(self, variant: str) -> tuple[str, ...]:
        return self.variant_kernels.get(variant, self.kernels)

    def generate(self, values: dict, out, force: bool = False) -> dict:
        p = validate(self.dataset_params + COMMON_PARAMS, values)
        info = dataset.generate(out, p["rows"], p["keys"], p["partitions"], p["seed"], force)
        return {
            "folder": str(out),
            "files": len(info.files),
            "bytes": sum(f.stat().st_size for f in info.files),
        }

    def check(self, values):
        """Reads the footer of every dataset file (nothing else) so that a bad dataset fails before
        any work. The run's seed and size are the dataset's, recorded with the parameters."""
        p = super().check(values)
        if not p["dataset"]:
            raise UsageError("--dataset", "is required: the folder written by `parbench generate groupby`")
        info = dataset.inspect(p["dataset"])
        return {**p, "seed": info.seed, "rows": info.rows, "keys": info.keys, "partitions": info.partitions}

    def tasks(self, p):
        return [str(path.resolve()) for path in dataset.inspect(p["dataset"]).files]

    def partial_spec(self, task, p):
        return (aggregate.partial_length(p["keys"]),), np.dtype(np.float64)

    def compute(self, task, p, kernel):
        return partial_of_file(task, p["keys"], kernel)

    def combine(self, p, partials):
        return aggregate.finish(aggregate.merge_all(list(partials), p["keys"]), p["keys"])

    def warm_up(self, kernel):
        import pyarrow.dataset  # noqa: F401  (the first Parquet read imports it, slowly: start-up)

        from parbench.kernels.groupby import PARTIAL

        keys, values = np.zeros(1, np.int32), np.ones(1)
        PARTIAL[kernel](keys, values, 1)
        # Arrow hands out read-only arrays, which numba compiles separately: warm that one up too.
        keys.flags.writeable = values.flags.writeable = False
        PARTIAL[kernel](keys, values, 1)

    def memory(self, p, workers):
        """A worker reads one partition (a 4-byte key and an 8-byte value a row) and aggregates it
        through copies in Arrow and the kernel: about 64 bytes a row of the partition. The driver
        holds the tasks and a partial aggregate per partition."""
        rows = -(-p["rows"] // p["partitions"])
        partial = 8 * aggregate.partial_length(p["keys"])
        return Memory(driver=(TASK_BYTES + partial) * (p["partitions"] + 1), worker=64 * rows)

    def serial_seconds(self, p, kernel):
        """Reading and aggregating every row, on a slow core."""
        return p["rows"] / SLOW_ROWS_PER_S

    def compare(self, result, reference):
        for name in EXACT:
            difference = first_difference(name, result[name], reference[name])
            if difference:
                return difference
        for name in ROUNDED:
            difference = relative_difference(name, result[name], reference[name])
            if difference:
                return difference
        return compare_top(result, reference)

    def summary_attrs(self, result):
        return {"rows": int(result["count"].sum()), "keys_present": int(len(result["keys"]))}


def partial_of_file(path: str, n_keys: int, kernel: str) -> np.ndarray:
    from parbench.kernels.groupby import PARTIAL

    keys, values = dataset.read_partition(path)
    if len(keys) and (keys.min() < 0 or keys.max() >= n_keys):  # the compiled kernel trusts them
        raise UsageError("--dataset", f"{path}: keys {keys.min()}..{keys.max()} outside 0..{n_keys - 1}")
    return PARTIAL[kernel](keys, values, n_keys)


def relative_difference(name: str, got: np.ndarray, want: np.ndarray) -> str | None:
    """Names the first element further than RELATIVE_TOLERANCE from the reference (NaN must meet
    NaN: a key with one row has no standard deviation)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return f"{name}: shape {got.shape} differs from the reference's {want.shape}"
    with np.errstate(invalid="ignore"):
        close = np.abs(got - want) <= RELATIVE_TOLERANCE * np.maximum(np.abs(got), np.abs(want))
    close |= np.isnan(got) & np.isnan(want)
    if close.all():
        return None
    i = int(np.argmin(close))
    return (
        f"{name}[{i}] is {got[i].item()!r} but the reference has {want[i].item()!r}, "
        f"beyond {RELATIVE_TOLERANCE:g} relative ({int((~close).sum())} of {close.size} elements differ)"
    )


def compare_top(result, reference) -> str | None:
    """The top keys by sum: the sums must agree within the tolerance, and so must the keys, except
    that two keys whose sums are equal within the tolerance may come in either order."""
    difference = relative_difference("top_sums", result["top_sums"], reference["top_sums"])
    if difference:
        return difference
    sums = dict(zip(reference["keys"].tolist(), reference["sum"].tolist(), strict=True))
    for i, (got, want) in enumerate(
        zip(result["top_keys"].tolist(), reference["top_keys"].tolist(), strict=True)
    ):
        if got != want and relative_difference("", np.array([sums[got]]), np.array([sums[want]])):
            return (
                f"top_keys[{i}] is {got} but the reference has {want} (sums {sums[got]!r} and {sums[want]!r})"
            )
    return None
