"""The group-by problem: its dataset, the merge of partial aggregates, the answer against an
independent pandas computation, the single-machine variants against serial, and bad input."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import run_in_process, run_parbench, workers_that_worked
from groupby_cases import KERNELS, SIZE, WORKERS, dataset, generate, reference, run  # noqa: F401
from parbench import output, registry
from parbench.groupby import dataset as data
from parbench.kernels import aggregate
from parbench.kernels.groupby import PARTIAL
from parbench.results.verify import verify

LOCAL_VARIANTS = ("threads", "processes", "futures-threads", "futures-processes")


# --- the dataset -------------------------------------------------------------------------------


def test_generation_is_deterministic(tmp_path, dataset):  # noqa: F811
    again = generate(tmp_path / "again")
    other_seed = generate(tmp_path / "other", seed=12)
    names = sorted(p.name for p in dataset.iterdir())
    assert names == [f"part-{i:05d}.parquet" for i in range(SIZE["partitions"])]
    assert sorted(p.name for p in again.iterdir()) == names
    for name in names:
        assert (again / name).read_bytes() == (dataset / name).read_bytes(), name
        assert (other_seed / name).read_bytes() != (dataset / name).read_bytes(), name


def test_dataset_has_the_promised_schema_size_and_skew(dataset):  # noqa: F811
    table = pq.read_table(dataset)
    assert table.schema.remove_metadata() == data.SCHEMA
    assert table.num_rows == SIZE["rows"]
    sizes = [pq.ParquetFile(p).metadata.num_rows for p in sorted(dataset.glob("*.parquet"))]
    assert sizes == data.partition_rows(SIZE["rows"], SIZE["partitions"]) == [6000] * 5
    metadata = json.loads(pq.read_schema(dataset / "part-00000.parquet").metadata[b"parbench"])
    assert metadata == {"format": "parbench-groupby", **SIZE}
    counts = np.bincount(table["key"].to_numpy(), minlength=SIZE["keys"])
    top_share = np.sort(counts)[::-1][:10].sum() / SIZE["rows"]
    assert 0.2 < top_share < 0.6  # skewed: 0.5 % of the keys hold a large share of the rows
    assert (counts == 0).any() and (counts == 1).any()  # the long tail the NaN case needs
    assert (table["value"].to_numpy() > 0).all()
    assert set(table["category"].to_pylist()) <= set(data.CATEGORIES)


def test_generate_command_writes_atomically_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "data"
    size = ["--rows", "1000", "--keys", "10", "--partitions", "3", "--seed", "5"]
    assert run_in_process("generate", "groupby", *size, "--out", out) == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(first) == 3
    assert run_in_process("generate", "groupby", *size, "--out", out) == 2
    assert "--out" in capsys.readouterr().err
    assert run_in_process("generate", "groupby", *size[:-1], "6", "--out", out, "--force") == 0
    assert {p.name for p in out.iterdir()} == set(first)
    assert {p.name: p.read_bytes() for p in out.iterdir()} != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no temporary folder left


def test_registry_describes_the_dataset_and_spark_kernel():
    described = registry.describe()["problems"]["groupby"]
    assert set(described["dataset_params"]) == {"rows", "keys", "partitions", "seed"}
    assert described["variant_kernels"]["spark"] == ["jvm"]
    assert described["variant_kernels"]["dask"] == list(KERNELS)
    assert registry.describe()["problems"]["pi"]["dataset_params"] == {}


# --- partial aggregates -------------------------------------------------------------------------


def direct(keys: np.ndarray, values: np.ndarray, n_keys: int) -> dict:
    """The query by plain pandas over all rows at once: the independent check."""
    frame = pd.DataFrame({"key": keys, "value": values}).groupby("key")["value"]
    stats = frame.agg(["count", "sum", "mean", "std", "min", "max"])
    return {"keys": stats.index.to_numpy(), **{c: stats[c].to_numpy() for c in stats}}


def assert_matches_direct(answer: dict, want: dict, rtol=1e-12):
    for name in ("keys", "count", "min", "max"):
        np.testing.assert_array_equal(answer[name], want[name], err_msg=name)
    for name in ("sum", "mean", "std"):
        np.testing.assert_allclose(answer[name], want[name], rtol=rtol, err_msg=name)


def random_rows(rng, rows=5000, n_keys=40):
    return rng.integers(0, n_keys, rows).astype(np.int32), rng.lognormal(3, 1, rows), n_keys


# The histogram as docs/groupby.md defines it, written here rather than taken from the code: 64
# bins of width 8 over [0, 512), each closed below and open above, plus one count below 0 and one
# for 512 and above.
EDGES = np.array([8.0 * i for i in range(65)])


def histogram(values: np.ndarray) -> np.ndarray:
    bins = zip(EDGES[:-1], EDGES[1:], strict=True)
    inside = [np.count_nonzero((values >= low) & (values < high)) for low, high in bins]
    return np.array([np.count_nonzero(values < 0), *inside, np.count_nonzero(values >= 512)])


def test_histogram_bins_put_edge_values_in_the_bin_above():
    values = np.array([-0.5, 0.0, 7.999, 8.0, 511.9, 512.0, 1e6])
    want = np.zeros(66, np.int64)
    np.add.at(want, [0, 1, 1, 2, 64, 65, 65], 1)
    np.testing.assert_array_equal(histogram(values), want)
    for kernel in KERNELS:
        part = aggregate.Partial.of(PARTIAL[kernel](np.zeros(len(values), np.int32), values, 1), 1)
        np.testing.assert_array_equal(part.histogram, want, err_msg=kernel)


def test_histogram_clips_values_far_outside_the_bins_in_every_kernel():
    """Values several bin widths below 0 (bins -2, -3, ... before clipping) count below the first
    edge and huge ones above the last, in every kernel: an unclipped or wrongly clipped bin number
    lands in another bin (or, negative, wraps round to the last one)."""
    values = np.array([-1e6, -20.0, -9.0, -8.5, -8.0, 0.5, 600.0, 1e9])
    want = histogram(values)
    assert (want[0], want[1], want[-1], want.sum()) == (5, 1, 2, 8)
    for kernel in KERNELS:
        part = aggregate.Partial.of(PARTIAL[kernel](np.zeros(len(values), np.int32), values, 1), 1)
        np.testing.assert_array_equal(part.histogram, want, err_msg=kernel)


def test_arrow_and_numba_kernels_sum_each_key_in_row_order():
    """A worker is one core and a run's bits do not depend on the machine: the arrow kernel asks
    Arrow for one thread, so over a partition of more than a million rows (Arrow splits larger
    tables into batches that its threads would sum separately) it still adds each key's values in
    row order, bit for bit the sequential sum, as numba's loop does."""
    rng = np.random.default_rng(5)
    keys, values, n_keys = random_rows(rng, rows=1_200_000, n_keys=4)
    sequential = [np.cumsum(values[keys == k])[-1] for k in range(n_keys)]  # left to right
    for kernel in ("arrow", "numba"):
        part = aggregate.Partial.of(PARTIAL[kernel](keys, values, n_keys), n_keys)
        np.testing.assert_array_equal(part.sum, sequential, err_msg=kernel)


@pytest.mark.parametrize("trial", range(20))
def test_merge_gives_the_same_answer_in_any_order_and_any_number_of_parts(trial):
    rng = np.random.default_rng(trial)
    keys, values, n_keys = random_rows(rng)
    cuts = np.sort(rng.choice(np.arange(1, len(keys)), rng.integers(0, 30), replace=False))
    parts = [
        PARTIAL[rng.choice(KERNELS)](k, v, n_keys)
        for k, v in zip(np.split(keys, cuts), np.split(values, cuts), strict=True)
    ]
    parts += [aggregate.empty(n_keys)] * int(rng.integers(0, 3))  # empty parts change nothing
    order = random.Random(trial)
    order.shuffle(parts)
    merged = parts[0]
    for part in parts[1:]:  # a lopsided left fold, then a balanced tree: both must agree
        merged = (
            aggregate.merge(part, merged, n_keys)
            if order.random() < 0.5
            else aggregate.merge(merged, part, n_keys)
        )
    for result in (merged, aggregate.merge_all(parts, n_keys)):
        answer = aggregate.finish(result, n_keys)
        assert_matches_direct(answer, direct(keys, values, n_keys))
        np.testing.assert_array_equal(answer["histogram"], histogram(values))


def test_merge_stays_accurate_where_sums_of_squares_cancel():
    """Values near 1e9 that differ by thousandths: x2 - x^2/n loses every digit of the variance;
    the pairwise merge of many small parts keeps it to about 1e-9 relative at worst."""
    rng = np.random.default_rng(1)
    values = 1e9 + rng.normal(0.0, 1e-3, 10_000)
    keys = np.zeros(len(values), np.int32)
    parts = [
        PARTIAL["numba"](k, v, 1) for k, v in zip(np.split(keys, 100), np.split(values, 100), strict=True)
    ]
    answer = aggregate.finish(aggregate.merge_all(parts, 1), 1)
    exact = np.std(values - 1e9, ddof=1)  # shifted first: no cancellation
    assert abs(answer["std"][0] - exact) / exact < 1e-6
    naive = np.sqrt((np.sum(values**2) - np.sum(values) ** 2 / len(values)) / (len(values) - 1))
    assert not abs(naive - exact) / exact < 1e-2  # the textbook formula is useless here


def test_kernels_agree_on_one_partition(dataset):  # noqa: F811
    keys, values = data.read_partition(dataset / "part-00002.parquet")
    partials = [aggregate.Partial.of(PARTIAL[k](keys, values, SIZE["keys"]), SIZE["keys"]) for k in KERNELS]
    first = partials[0]
    for other in partials[1:]:
        for name in ("count", "min", "max", "histogram"):
            np.testing.assert_array_equal(getattr(other, name), getattr(first, name), err_msg=name)
        for name in ("sum", "m2"):
            np.testing.assert_allclose(getattr(other, name), getattr(first, name), rtol=1e-12, err_msg=name)


def test_top_keys_tolerate_only_near_ties():
    problem = registry.problem("groupby")
    base = {"keys": np.array([0, 1, 2]), "sum": np.array([5.0, 5.0 + 1e-13, 1.0])}
    want = {**base, "top_keys": np.array([1, 0, 2]), "top_sums": np.array([5.0 + 1e-13, 5.0, 1.0])}
    swapped = {**base, "top_keys": np.array([0, 1, 2]), "top_sums": np.array([5.0, 5.0, 1.0])}
    from parbench.problems.groupby import compare_top

    assert compare_top(swapped, want) is None
    wrong = {**base, "top_keys": np.array([1, 2, 0]), "top_sums": want["top_sums"]}
    assert "top_keys[1]" in compare_top(wrong, want)
    assert problem.kernels_for("spark") == ("jvm",)


# --- the answer and the variants ----------------------------------------------------------------


def test_serial_answer_matches_pandas_over_the_whole_dataset(reference, dataset):  # noqa: F811
    table = pq.read_table(dataset, columns=["key", "value"])
    keys, values = table["key"].to_numpy(), table["value"].to_numpy()
    record, answer = output.read_result(reference, "ref")
    want = direct(keys, values, SIZE["keys"])
    assert_matches_direct(answer, want)
    assert np.isnan(answer["std"][answer["count"] == 1]).all()
    np.testing.assert_array_equal(answer["histogram_edges"], EDGES)
    np.testing.assert_array_equal(answer["histogram"], histogram(values))
    assert answer["histogram"][-1] > 0  # the dataset has values above the last edge
    ranked = pd.Series(want["sum"], index=want["keys"]).sort_values(ascending=False)
    np.testing.assert_array_equal(answer["top_keys"], ranked.index[:10])
    assert record["params"]["seed"] == SIZE["seed"]  # the dataset's seed, not the --seed default
    assert record["params"]["rows"] == SIZE["rows"] and record["summary"]["rows"] == SIZE["rows"]


@pytest.mark.parametrize("kernel", KERNELS[1:])
def test_serial_kernels_match_serial_pandas(tmp_path, dataset, reference, kernel):  # noqa: F811
    assert verify(run(dataset, tmp_path / "r.h5", "serial", kernel, 1), reference)["kernel"] == kernel


@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", LOCAL_VARIANTS)
def test_local_variants_match_serial(tmp_path, dataset, reference, variant, kernel, workers):  # noqa: F811
    record = verify(run(dataset, tmp_path / "r.h5", variant, kernel, workers), reference)
    assert (record["variant"], record["kernel"], record["workers"]) == (variant, kernel, workers)
    worked = workers_that_worked(record)  # pools balance dynamically: any number of them
    assert 1 <= len(worked) <= workers, worked


def test_verify_catches_a_wrong_answer(tmp_path, dataset, reference):  # noqa: F811
    import h5py

    result = run(dataset, tmp_path / "r.h5", "threads", "arrow", 2)
    with h5py.File(result, "r+") as f:
        f["result/sum"][3] *= 1 + 1e-7
    with pytest.raises(Exception, match=r"sum\[3\].*beyond 1e-09 relative"):
        verify(result, reference)


# --- bad input ----------------------------------------------------------------------------------


def bad_dataset(tmp_path, fault: str):
    """A dataset folder with one fault; returns it and the file the error must name."""
    folder = generate(tmp_path / "data", rows=300, keys=5, partitions=3)
    victim = folder / "part-00001.parquet"
    if fault == "missing":
        return tmp_path / "nowhere", tmp_path / "nowhere"
    if fault == "empty":
        for path in folder.iterdir():
            path.unlink()
        return folder, folder
    if fault == "corrupt":
        victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    elif fault == "garbage":
        victim.write_bytes(b"this is not parquet at all" * 100)
    elif fault == "wrong type":
        table = pq.read_table(victim)
        pq.write_table(table.set_column(1, "value", table["value"].cast(pa.float32())), victim)
    elif fault == "missing column":
        pq.write_table(pq.read_table(victim).drop_columns(["key"]), victim)
    elif fault == "foreign":
        pq.write_table(pq.read_table(victim).replace_schema_metadata(None), victim)
    elif fault == "lost partition":
        victim.unlink()
        return folder, folder
    elif fault == "keys out of range":
        table = pq.read_table(victim)
        pq.write_table(table.set_column(0, "key", pa.array(np.full(len(table), 7, np.int32))), victim)
    return folder, victim


FAULTS = {
    "missing": "no such folder",
    "empty": "empty dataset",
    "corrupt": "corrupt or unreadable Parquet",
    "garbage": "corrupt or unreadable Parquet",
    "wrong type": "wrong schema, column 'value' is float",
    "missing column": "wrong schema, no column 'key'",
    "foreign": "not a parbench groupby dataset",
    "lost partition": "2 files with 200 rows",
    "keys out of range": "keys 7..7 outside 0..4",
}


@pytest.mark.parametrize("fault", FAULTS)
def test_bad_dataset_is_one_line_naming_the_file(tmp_path, capsys, fault):
    folder, named = bad_dataset(tmp_path, fault)
    out = tmp_path / "r.h5"
    status = run_in_process("run", "groupby", "threads", "--workers", "2", "--dataset", folder, "--out", out)
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1 and error.startswith("parbench: error: --dataset: "), error
    assert str(named) in error and FAULTS[fault] in error, error
    assert not out.exists()


def test_bad_input_from_the_command_line(tmp_path):
    folder, victim = bad_dataset(tmp_path, "garbage")
    out = tmp_path / "r.h5"
    done = run_parbench("run", "groupby", "serial", "--dataset", folder, "--out", out, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and str(victim) in done.stderr
    assert not out.exists()
    done = run_parbench("run", "groupby", "serial", "--out", out, check=False)
    assert done.returncode == 2 and "--dataset: is required" in done.stderr
    done = run_parbench(
        "run", "groupby", "spark", "--kernel", "pandas", "--dataset", folder, "--out", out, check=False
    )
    assert done.returncode == 2 and "unknown kernel 'pandas'; choose from jvm" in done.stderr
    done = run_parbench(
        "generate", "groupby", "--rows", "2", "--partitions", "3", "--out", tmp_path / "g", check=False
    )
    assert done.returncode == 2 and "--partitions" in done.stderr and not (tmp_path / "g").exists()
    assert not out.exists()


def damage_a_data_page(folder):
    """Overwrites bytes inside the first data page: the footer (metadata) stays intact, so only
    reading the data reveals the damage."""
    victim = folder / "part-00001.parquet"
    damaged = bytearray(victim.read_bytes())
    damaged[100:600] = b"U" * 500
    victim.write_bytes(bytes(damaged))
    return victim


@pytest.mark.parametrize("variant", ("serial", "processes"))
def test_damaged_data_page_is_one_line_naming_the_file(tmp_path, variant):
    folder = generate(tmp_path / "data", rows=3000, keys=5, partitions=3)
    victim = damage_a_data_page(folder)
    out = tmp_path / "r.h5"
    done = run_parbench(
        "run", "groupby", variant, "--workers", "1", "--dataset", folder, "--out", out, check=False
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"parbench: error: --dataset: {victim}: corrupt Parquet data"), line
    assert not out.exists()


def test_damaged_data_page_ends_every_mpi_rank(tmp_path):
    """One rank finds the damage while the other waits in the reduction: the job must end."""
    from conftest import run_mpi

    folder = generate(tmp_path / "data", rows=3000, keys=5, partitions=3)
    victim = damage_a_data_page(folder)
    out = tmp_path / "r.h5"
    done = run_mpi(2, "run", "groupby", "mpi", "--dataset", folder, "--out", out, check=False, timeout=60)
    assert done.returncode == 2
    assert f"parbench: error: --dataset: {victim}: corrupt Parquet data" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
