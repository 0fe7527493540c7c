"""Every single-machine variant (threads, processes, futures) of every task-farm problem, every
kernel, with 1, 2 and 3 workers, verified against serial."""

import os

import pytest

from conftest import workers_that_worked
from farm_cases import KERNELS, SIZES, WORKERS, run

LOCAL_VARIANTS = ("threads", "processes", "futures-threads", "futures-processes")


@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", LOCAL_VARIANTS)
@pytest.mark.parametrize("problem", SIZES)
def test_matches_serial(tmp_path, references, problem, variant, kernel, workers):
    record = references.check(run(tmp_path, problem, variant, kernel, workers), problem, kernel)
    assert (record["variant"], record["kernel"], record["workers"]) == (variant, kernel, workers)
    # The pools balance dynamically: any number of their workers may have taken the tasks.
    worked = workers_that_worked(record)
    assert 1 <= len(worked) <= workers, worked
    in_this_process = {pid == os.getpid() for pid in worked.values()}
    assert in_this_process == {variant.endswith("threads")}, worked


@pytest.mark.parametrize("problem", SIZES)
def test_kernels_agree(references, problem):
    """The three kernels do the same arithmetic in the same order: identical answers."""
    from parbench import output

    results = [output.read_result(references(problem, k), "ref")[1] for k in KERNELS]
    for name in results[0]:
        for other in results[1:]:
            assert (results[0][name] == other[name]).all(), name


def test_pi_estimate_is_close_to_pi(references):
    from parbench import output

    record, result = output.read_result(references("pi", "numpy"), "ref")
    assert abs(float(result["estimate"]) - 3.14159) < 0.05
    assert int(result["hits"]) == round(float(result["estimate"]) * SIZES["pi"]["samples"] / 4)


def test_mandelbrot_counts_known_points(tmp_path):
    """A 3x3 grid over [-2, 1] x [-1.5, 1.5] has centres -1.5, -0.5, 0.5 (real) and -1, 0, 1:
    c = -0.5 and c = -1.5 stay bounded; for c = 0.5, z runs 0.5, 0.75, 1.06, 1.63, 3.15: five
    iterations until |z|^2 > 4."""
    from parbench import output
    from parbench.runner import RunRequest, execute

    out = tmp_path / "known.h5"
    p = {"width": 3, "height": 3, "maxiter": 100, "xmin": -2.0, "xmax": 1.0, "ymin": -1.5, "ymax": 1.5}
    defaults = {"rows_per_task": 1, "seed": 0}
    execute(RunRequest("mandelbrot", "serial", out, {**defaults, **p}, kernel="python"))
    counts = output.read_result(out, "out")[1]["counts"]
    assert counts[1, 0] == 100 and counts[1, 1] == 100
    assert counts[1, 2] == 5


@pytest.mark.parametrize(("items", "workers"), [(128, 2), (100, 3), (5, 3), (1, 1), (0, 2)])
def test_guided_batches_cover_every_task_once_and_shrink_to_single_tasks(items, workers):
    """Guided self-scheduling: each batch a share of what is left, so few batches but an even finish."""
    from parbench.farm.schedule import guided

    batches = guided(list(range(items)), workers)
    assert [task for batch in batches for task in batch] == list(range(items))
    sizes = [len(batch) for batch in batches]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-workers:] == [1] * min(workers, items)
    assert not sizes or sizes[0] == max(1, items // (2 * workers))
    if items >= 100:  # far fewer messages than tasks
        assert len(batches) <= items // 4
