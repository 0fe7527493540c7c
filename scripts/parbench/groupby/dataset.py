"""The group-by problem's input: a synthetic, deterministic, partitioned Parquet dataset.

`parbench generate groupby` writes it once per size, so generation is never timed with the query.
Each partition is one file, `part-NNNNN.parquet`, of the columns

    key        int32      a skewed (Zipf-like) choice among `keys` keys
    value      float64    a positive amount: the key's typical size times a log-normal factor
    category   string     one of a few labels, dictionary-encoded (not read by the query)
    timestamp  timestamp  microseconds within the partition's day (not read by the query)

and every file carries the same JSON in its schema metadata (`parbench`: rows, keys, partitions,
seed), which `inspect` checks before any run. Same parameters, same bytes: every random draw comes
from a stream derived from the seed (the key table's, then one per partition), and pyarrow writes
no time stamps of its own.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from parbench import output
from parbench.errors import UsageError

FORMAT = "parbench-groupby"
METADATA_KEY = b"parbench"
SCHEMA = pa.schema(
    [
        ("key", pa.int32()),
        ("value", pa.float64()),
        ("category", pa.dictionary(pa.int8(), pa.string())),
        ("timestamp", pa.timestamp("us")),
    ]
)
QUERY_COLUMNS = ("key", "value")  # what the query reads; the other columns are left on disk
CATEGORIES = ("food", "fuel", "travel", "books", "music", "games", "tools", "other")
ZIPF_EXPONENT = 1.1  # key popularity falls as 1 / rank^1.1: a few hot keys, a long tail
FIRST_DAY = np.datetime64("2026-01-01T00:00:00", "us")
DAY_US = 86_400_000_000
FILE_PATTERN = "part-{:05d}.parquet"


@dataclass(frozen=True)
class DatasetInfo:
    """What `inspect` found: the partition files in order and the generation parameters."""

    files: tuple[Path, ...]
    rows: int
    keys: int
    partitions: int
    seed: int


def partition_rows(rows: int, partitions: int) -> list[int]:
    """Rows per partition: as even as possible, the first ones one row longer."""
    base, extra = divmod(rows, partitions)
    return [base + (i < extra) for i in range(partitions)]


def key_table(keys: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The cumulative popularity of each key and each key's typical value. Popularity ranks are
    shuffled over the key numbers, so the hot keys are not simply 0, 1, 2..."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    weights = 1.0 / np.arange(1, keys + 1, dtype=np.float64) ** ZIPF_EXPONENT
    weights = weights[rng.permutation(keys)]
    cumulative = np.cumsum(weights) / weights.sum()
    typical = np.exp(rng.uniform(np.log(5.0), np.log(100.0), keys))  # 5 to 100, log-uniform
    return cumulative, typical


def partition_table(index: int, rows: int, keys: int, seed: int) -> pa.Table:
    cumulative, typical = key_table(keys, seed)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, index)))
    key = np.minimum(np.searchsorted(cumulative, rng.random(rows), side="right"), keys - 1).astype(np.int32)
    value = typical[key] * rng.lognormal(0.0, 0.5, rows)
    category = rng.integers(0, len(CATEGORIES), rows, dtype=np.int8)
    timestamp = (
        FIRST_DAY + np.timedelta64(index * DAY_US, "us") + rng.integers(0, DAY_US, rows).astype("m8[us]")
    )
    return pa.table(
        [
            pa.array(key),
            pa.array(value),
            pa.DictionaryArray.from_arrays(pa.array(category), pa.array(CATEGORIES)),
            pa.array(timestamp),
        ],
        schema=SCHEMA,
    )


def generate(out: Path, rows: int, keys: int, partitions: int, seed: int, force: bool = False) -> DatasetInfo:
    """Writes the dataset to the folder `out`, atomically: into a temporary sibling folder that is
    renamed into place once every file is complete (an existing `out` is replaced only with
    `force`)."""
    out = Path(out)
    check_generate(out, rows, keys, partitions, force)
    metadata = {"format": FORMAT, "rows": rows, "keys": keys, "partitions": partitions, "seed": seed}
    schema = SCHEMA.with_metadata({METADATA_KEY: json.dumps(metadata, sort_keys=True)})
    temporary = output.temporary_name(out)
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir()
    try:
        for index, count in enumerate(partition_rows(rows, partitions)):
            table = partition_table(index, count, keys, seed).replace_schema_metadata(schema.metadata)
            pq.write_table(table, temporary / FILE_PATTERN.format(index), compression="snappy")
        replace_folder(temporary, out)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return DatasetInfo(tuple(sorted(out.glob("*.parquet"))), rows, keys, partitions, seed)


def replace_folder(new: Path, target: Path) -> None:
    """Renames `new` to `target`; an existing target is moved aside first and removed after, so
    `target` is never a half-written folder."""
    old = target.with_name(f".{target.name}.old.{os.getpid()}")
    if target.exists():
        os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)


def check_generate(out: Path, rows: int, keys: int, partitions: int, force: bool) -> None:
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError("--out", f"folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError("--out", f"folder {folder} is not writable")
    if out.exists() and not force:
        raise UsageError("--out", f"{out} exists; pass --force to replace it")
    if out.exists() and not out.is_dir():
        raise UsageError("--out", f"{out} exists and is not a folder")
    if partitions > rows:
        raise UsageError("--partitions", f"must be at most --rows ({rows}), got {partitions}")
    if keys > np.iinfo(np.int32).max:
        raise UsageError("--keys", f"must fit in int32, got {keys}")


def inspect(folder) -> DatasetInfo:
    """Checks a dataset before any work, reading only the footer of every file: the folder
    exists and holds Parquet files, each readable, with the query's columns and types, the same
    parbench metadata, keys within range, and together the rows and partitions the metadata
    promises. Any fault is a UsageError naming the file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError("--dataset", f"{folder}: no such folder")
    files = tuple(sorted(folder.glob("*.parquet")))
    if not files:
        raise UsageError("--dataset", f"{folder}: empty dataset (no .parquet files)")
    metadata, rows = None, 0
    for path in files:
        found, count = inspect_file(path)
        if metadata is None:
            metadata = found
        elif found != metadata:
            raise UsageError("--dataset", f"{path}: belongs to another dataset ({found} vs {metadata})")
        rows += count
    if rows == 0:
        raise UsageError("--dataset", f"{folder}: empty dataset (0 rows)")
    if len(files) != metadata["partitions"] or rows != metadata["rows"]:
        raise UsageError(
            "--dataset",
            f"{folder}: {len(files)} files with {rows} rows, but the dataset was generated with "
            f"{metadata['partitions']} partitions of {metadata['rows']} rows in all",
        )
    return DatasetInfo(files, rows, metadata["keys"], metadata["partitions"], metadata["seed"])


def inspect_file(path: Path) -> tuple[dict, int]:
    """One file's parbench metadata and row count (UsageError naming the file otherwise)."""
    try:
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
        meta = parquet.metadata
    except (OSError, pa.ArrowException) as error:
        raise UsageError("--dataset", f"{path}: corrupt or unreadable Parquet ({error})") from None
    for name in QUERY_COLUMNS:
        wanted = SCHEMA.field(name).type
        if schema.get_field_index(name) < 0:
            raise UsageError("--dataset", f"{path}: wrong schema, no column {name!r} ({wanted})")
        if schema.field(name).type != wanted:
            raise UsageError(
                "--dataset",
                f"{path}: wrong schema, column {name!r} is {schema.field(name).type}, not {wanted}",
            )
    try:
        metadata = json.loads((schema.metadata or {})[METADATA_KEY])
        keys = int(metadata["keys"])
        assert metadata["format"] == FORMAT and {"rows", "partitions", "seed"} <= set(metadata)
    except (KeyError, ValueError, TypeError, AssertionError):
        raise UsageError(
            "--dataset", f"{path}: not a parbench groupby dataset (no parbench metadata)"
        ) from None
    low, high = key_range(meta, schema.get_field_index("key"))
    if meta.num_rows and not (0 <= low and high < keys):
        raise UsageError("--dataset", f"{path}: keys {low}..{high} outside 0..{keys - 1}")
    return metadata, meta.num_rows


def key_range(meta: pq.FileMetaData, column: int) -> tuple[int, int]:
    """The smallest and largest key in a file, from its row-group statistics (no data read);
    (0, -1), an empty range, when a row group has none (the kernels then check as they read)."""
    lows, highs = [], []
    for group in range(meta.num_row_groups):
        if meta.row_group(group).num_rows == 0:
            continue
        stats = meta.row_group(group).column(column).statistics
        if stats is None or not stats.has_min_max:
            return 0, -1
        lows.append(stats.min)
        highs.append(stats.max)
    return (min(lows), max(highs)) if lows else (0, -1)


def read_partition(path) -> tuple[np.ndarray, np.ndarray]:
    """The query's columns of one partition as NumPy arrays. One thread: a worker is one core."""
    try:
        table = pq.read_table(path, columns=list(QUERY_COLUMNS), use_threads=False)
    except (OSError, pa.ArrowException) as error:
        # Damage inside a data page passes the metadata check and only shows here.
        raise UsageError("--dataset", f"{path}: corrupt Parquet data ({error})") from None
    return table.column("key").to_numpy(), table.column("value").to_numpy()
