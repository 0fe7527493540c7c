"""Every single-machine variant (threads, processes, futures) of every task-farm problem, every
kernel, with 1, 2 and 3 workers, verified against serial."""

import os

import numpy as np
import pytest

from conftest import workers_that_worked
from farm_cases import KERNELS, SIZES, WORKERS, chunk_hits, escape_times, params, run
from parbench.runner import RunRequest, execute

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

    out = tmp_path / "known.h5"
    p = {"width": 3, "height": 3, "maxiter": 100, "xmin": -2.0, "xmax": 1.0, "ymin": -1.5, "ymax": 1.5}
    defaults = {"rows_per_task": 1, "seed": 0}
    execute(RunRequest("mandelbrot", "serial", out, {**defaults, **p}, kernel="python"))
    counts = output.read_result(out, "out")[1]["counts"]
    assert counts[1, 0] == 100 and counts[1, 1] == 100
    assert counts[1, 2] == 5


@pytest.mark.parametrize("kernel", KERNELS)
def test_mandelbrot_whole_grid_matches_the_escape_time_definition(references, kernel):
    """Every pixel of the serial result (the reference all variants are checked against), 29 rows
    in tasks of 3 so that the last task has 2, against escape_times()."""
    from parbench import output

    p = params("mandelbrot")
    assert p["height"] % p["rows_per_task"] != 0  # an uneven last row block
    counts = output.read_result(references("mandelbrot", kernel), "ref")[1]["counts"]
    want = escape_times(p)
    assert counts.shape == want.shape
    wrong = np.argwhere(counts != want)
    assert not len(wrong), f"{len(wrong)} pixels differ, first {tuple(wrong[0])}"
    assert 0 < (want == p["maxiter"]).sum() < want.size  # the grid has pixels in and out of the set
    # A flipped or mirrored image must not match: the region is symmetric in neither axis.
    assert (want != want[::-1]).any() and (want != want[:, ::-1]).any()


@pytest.mark.parametrize("kernel", KERNELS)
def test_pi_hits_recounted_chunk_by_chunk(tmp_path, references, kernel):
    """The serial total (23 457 samples in chunks of 4000: an uneven last chunk) is the sum of the
    chunks' hits recounted by chunk_hits(); a single chunk of more than one block, too."""
    from parbench import output

    p = params("pi")
    starts = range(0, p["samples"], p["chunk_size"])
    chunks = [(i, min(p["chunk_size"], p["samples"] - start)) for i, start in enumerate(starts)]
    assert chunks[-1][1] < p["chunk_size"]
    hits = output.read_result(references("pi", kernel), "ref")[1]["hits"]
    assert int(hits) == sum(chunk_hits(p["seed"], chunk, samples) for chunk, samples in chunks)
    out = tmp_path / "one-chunk.h5"
    execute(RunRequest("pi", "serial", out, {**p, "samples": 70_001, "chunk_size": 70_001}, kernel=kernel))
    assert int(output.read_result(out, "out")[1]["hits"]) == chunk_hits(p["seed"], 0, 70_001)


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


def test_guided_and_dealt_shares_worked_by_hand():
    """guided: each batch (what is left) // (2 x workers), at least 1; deal: round-robin."""
    from parbench.farm.schedule import deal, guided

    assert [len(b) for b in guided(list(range(10)), 2)] == [2, 2, 1, 1, 1, 1, 1, 1]
    assert [len(b) for b in guided(list(range(20)), 2)] == [5, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1]
    assert deal(list(range(7)), 3) == [[0, 3, 6], [1, 4], [2, 5]]
    assert deal([0, 1], 3) == [[0], [1], []]


@pytest.mark.parametrize("kernel", KERNELS)
def test_mandelbrot_escape_time_of_minus_two_which_stays_on_the_circle(kernel):
    """c = -2: z runs 0, -2, 2, 2, 2, ... with |z|^2 = 4 from the first step on, never > 4, so the
    pixel never escapes (count = maxiter). Catches an escape test |z|^2 >= 4 (count 1)."""
    from parbench.kernels import mandelbrot

    counts = mandelbrot.ROWS[kernel](np.array([-2.0]), np.array([0.0]), 20)
    assert counts.tolist() == [[20]]


def _real_axis_escape_time(c: float, maxiter: int) -> int:
    """Escape time of a real c (z stays real), straight from the definition."""
    z = 0.0
    for n in range(maxiter):
        if z * z > 4.0:
            return n
        z = z * z + c
    return maxiter


@pytest.mark.parametrize("kernel", KERNELS)
def test_mandelbrot_escape_time_of_the_last_pixel_left_in_a_block(kernel):
    """c = 1 escapes after 3 steps (0, 1, 2, 5), c = 0.3 only much later: once c = 1 has escaped
    one pixel is left and must still be iterated to its own escape. Catches a block that stops
    when one pixel is left (c = 0.3 would keep maxiter)."""
    from parbench.kernels import mandelbrot

    want = [_real_axis_escape_time(1.0, 50), _real_axis_escape_time(0.3, 50)]
    assert want[0] == 3 and 3 < want[1] < 50
    counts = mandelbrot.ROWS[kernel](np.array([1.0, 0.3]), np.array([0.0]), 50)
    assert counts.tolist() == [want]


def test_mandelbrot_escape_time_axis_of_a_block_from_a_first_pixel():
    """Pixel centres of [0, 1] in 4 pixels are 0.125, 0.375, 0.625, 0.875; from pixel 1 on, without
    a count, the rest of the axis: 3 centres. Catches a default count of n + first."""
    from parbench.kernels import mandelbrot

    assert mandelbrot.axis(0.0, 1.0, 4, first=1).tolist() == [0.375, 0.625, 0.875]
    assert mandelbrot.axis(0.0, 1.0, 4, first=1, count=2).tolist() == [0.375, 0.625]


@pytest.mark.parametrize("kernel", KERNELS)
def test_pi_hits_points_on_the_circle_count_as_inside(monkeypatch, kernel):
    """Points with x^2 + y^2 = 1 exactly, (1, 0) and (0, 1), lie in the closed quarter disc and
    count as hits, like (0.5, 0.5); (1, 0.5) does not: 3 hits. Random points never land exactly
    on the circle, so they are fed in here. Catches a test x^2 + y^2 < 1."""
    from parbench.kernels import pi

    def fixed_points(seed, chunk, samples):
        yield np.array([1.0, 0.0, 0.5, 1.0]), np.array([0.0, 1.0, 0.5, 0.5])

    monkeypatch.setattr(pi, "points", fixed_points)
    assert pi.HITS[kernel](0, 0, 4) == 3
