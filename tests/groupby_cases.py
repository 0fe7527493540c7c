"""A tiny group-by dataset and its serial reference, shared by the group-by test modules.

2000 keys over 30 000 rows with a 1.1 Zipf skew: hot keys with thousands of rows and a tail of
keys with two, one or no rows (a single row has no standard deviation: NaN). Five partitions, so
1, 2 and 3 workers all get uneven shares.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parbench.runner import RunRequest, execute

SIZE = {"rows": 30_000, "keys": 2000, "partitions": 5, "seed": 11}
KERNELS = ("pandas", "arrow", "numba")
WORKERS = (1, 2, 3)


def generate(folder: Path, **size) -> Path:
    from parbench import registry

    registry.problem("groupby").generate({**SIZE, **size}, folder)
    return folder


def run(dataset: Path, out: Path, variant: str, kernel: str | None, workers: int | None, **handles) -> Path:
    params = {"dataset": str(dataset), "seed": 0}
    execute(RunRequest("groupby", variant, out, params, kernel=kernel, workers=workers), **handles)
    return out


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("groupby") / "data")


@pytest.fixture(scope="module")
def reference(dataset) -> Path:
    """The serial pandas result: what every variant and kernel must match."""
    return run(dataset, dataset.parent / "serial-pandas.h5", "serial", "pandas", 1)
