"""The heat problem on one machine: kernels, the serial solver against the analytic solution,
every shared-memory variant (threads, processes, futures) with every kernel and 1, 2, 3 workers
against serial, and bad input."""

from __future__ import annotations

import math

import h5py
import numpy as np
import pytest

from conftest import run_in_process, workers_that_worked
from heat_cases import (
    KERNELS,
    THIN_BLOCKS,
    WORKERS,
    References,
    assert_textbook,
    field,
    option_args,
    run,
    thin_block_case,
)
from parbench.heat import initial
from parbench.kernels import heat as kernels

LOCAL_VARIANTS = ("threads", "processes", "futures-threads", "futures-processes")


@pytest.fixture(scope="module")
def heat_references(tmp_path_factory):
    return References(tmp_path_factory.mktemp("heat-references"))


def test_kernels_give_identical_bits():
    """Same arithmetic, same order: python, numpy and numba agree exactly, on sub-rectangles too."""
    rng = np.random.default_rng(3)
    src = rng.random((13, 11))
    outputs = []
    for kernel in KERNELS:
        dst = np.full_like(src, -1.0)
        step = kernels.make(kernel, 0.21, 0.17)
        step(src, dst, 1, 12, 1, 10)
        step(src, dst, 1, 1, 1, 10)  # empty rectangles change nothing
        outputs.append(dst)
    assert (outputs[0][0] == -1).all() and (outputs[0][:, 10] == -1).all()  # the boundary is left alone
    for other in outputs[1:]:
        assert np.array_equal(outputs[0], other)
    partial = np.full_like(src, -1.0)
    kernels.make("numpy", 0.21, 0.17)(src, partial, 3, 7, 2, 5)
    assert np.array_equal(partial[3:7, 2:5], outputs[0][3:7, 2:5]) and (partial[:3] == -1).all()


@pytest.mark.parametrize(
    "nx, ny, dx, dy",
    [(41, 41, 0.01, 0.01), (41, 31, 0.01, 0.02)],  # rows run along x (spacing dx), columns along y
    ids=["square", "Lx-0.4-Ly-0.6"],
)
def test_serial_matches_the_analytic_sine_mode(tmp_path, nx, ny, dx, dy):
    """u0 = sin(pi x / Lx) sin(pi y / Ly), zero on the boundary. The grid's discrete Laplacian has
    it as an eigenvector, so each step multiplies it by g = 1 - 4 cx sin^2(pi dx / 2Lx)
    - 4 cy sin^2(pi dy / 2Ly) (cx = alpha dt / dx^2, cy = alpha dt / dy^2) to rounding; the
    continuum amplitude exp(-alpha pi^2 (1/Lx^2 + 1/Ly^2) t) agrees to discretisation error.
    With Lx != Ly and dx != dy, a kernel that swapped the axes, or their spacings, fails both.
    Read from the course's .dat format."""
    steps, alpha = 200, 0.5
    lx, ly = (nx - 1) * dx, (ny - 1) * dy
    x, y = np.arange(nx) * dx, np.arange(ny) * dy
    mode = np.outer(np.sin(math.pi * x / lx), np.sin(math.pi * y / ly))
    mode[0, :] = mode[-1, :] = mode[:, 0] = mode[:, -1] = 0.0
    init = tmp_path / "sine.dat"
    initial.write_dat(init, mode)
    out = tmp_path / "sine.h5"
    args = ["--nx", nx, "--ny", ny, "--steps", steps, "--init", init, "--alpha", alpha]
    args += ["--dx", dx, "--dy", dy]
    assert run_in_process("run", "heat", "serial", "--out", out, *args) == 0
    with h5py.File(out, "r") as f:
        dt = f["params"].attrs["dt"]
    assert dt == pytest.approx(dx**2 * dy**2 / (2 * alpha * (dx**2 + dy**2)))  # the stability limit
    cx, cy = alpha * dt / dx**2, alpha * dt / dy**2
    g = 1 - 4 * cx * math.sin(math.pi * dx / (2 * lx)) ** 2 - 4 * cy * math.sin(math.pi * dy / (2 * ly)) ** 2
    got = field(out)
    np.testing.assert_allclose(got, g**steps * mode, rtol=0, atol=1e-12)
    decay = math.exp(-alpha * math.pi**2 * (1 / lx**2 + 1 / ly**2) * steps * dt)
    assert decay < 0.9  # the mode has visibly decayed
    # The shape stays the sine mode and the amplitude is right to discretisation error.
    assert np.abs(got - decay * mode).max() < 2e-3 * decay
    centre = got[nx // 2, ny // 2] / mode[nx // 2, ny // 2]
    assert centre == pytest.approx(decay, rel=2e-3)


def test_numpy_kernel_over_several_row_chunks_matches_the_python_kernel():
    """The NumPy stepper works through a rectangle in chunks of NUMPY_CHUNK_CELLS cells (whole
    rows), the default kernel's path at study sizes: 30 rows of 2048 interior columns take two
    chunks, the second shorter; on sub-rectangles the chunks start elsewhere."""
    rng = np.random.default_rng(5)
    src = rng.random((32, 2050))
    rows_per_chunk = kernels.NUMPY_CHUNK_CELLS // 2048
    assert rows_per_chunk < 30 < 2 * rows_per_chunk  # two chunks, the last one partial
    for i0, i1, j0, j1 in [(1, 31, 1, 2049), (3, 29, 100, 2049), (1, 31, 1, 1100)]:
        want, got = np.full_like(src, -1.0), np.full_like(src, -1.0)
        kernels.step_python(src, want, i0, i1, j0, j1, 0.21, 0.17)
        kernels.make("numpy", 0.21, 0.17)(src, got, i0, i1, j0, j1)
        assert np.array_equal(got, want), (i0, i1, j0, j1)


def test_numpy_runs_over_several_row_chunks_match_numba(tmp_path):
    """Whole runs whose row blocks each span more than one NumPy chunk, serial and threads,
    against the numba kernel (which has no chunks)."""
    size = {"nx": 60, "ny": 2050, "steps": 3}
    assert size["nx"] - 2 > kernels.NUMPY_CHUNK_CELLS // (size["ny"] - 2)
    want = field(run(tmp_path, "serial", "numba", 1, **size))
    for variant, workers in (("serial", 1), ("threads", 2)):
        assert np.array_equal(field(run(tmp_path, variant, "numpy", workers, **size)), want), variant


def test_serial_kernels_agree(heat_references):
    results = [field(heat_references(k)) for k in KERNELS]
    for other in results[1:]:
        assert np.array_equal(results[0], other)


@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", LOCAL_VARIANTS)
def test_matches_serial(tmp_path, heat_references, variant, kernel, workers):
    record = heat_references.check(run(tmp_path, variant, kernel, workers), kernel)
    assert (record["variant"], record["kernel"], record["workers"]) == (variant, kernel, workers)
    worked = workers_that_worked(record)
    if variant.startswith("futures"):  # an idle pool thread or process may take two blocks
        assert 1 <= len(worked) <= workers, worked
    else:
        assert len(worked) == workers, worked  # a thread or process per block
    assert record["phases"]["compute"] > 0


def test_hdf5_init_and_default_field(tmp_path, heat_references):
    """A result file is a valid --init: running 2 + 3 steps equals running 5."""
    first = run(tmp_path, "serial", "numpy", 1, "-first", steps=2)
    second = run(tmp_path, "threads", "numpy", 2, "-second", steps=3, init=str(first))
    assert np.array_equal(field(second), field(heat_references("numpy")))


# --- bad input: one line naming the argument, exit 2, nothing written ---------------------------


def bad(tmp_path, capsys, argument, *args, variant="serial"):
    out = tmp_path / "bad.h5"
    code = run_in_process("run", "heat", variant, "--out", out, *args)
    error = capsys.readouterr().err
    assert code == 2, error
    assert error.count("\n") == 1 and argument in error, error
    assert not out.exists() and not (tmp_path / "bad.checkpoint.h5").exists()
    return error


def test_bad_steps(tmp_path, capsys):
    bad(tmp_path, capsys, "--steps", *option_args(steps=0))


def test_unstable_dt(tmp_path, capsys):
    assert "unstable" in bad(tmp_path, capsys, "--dt", *option_args(dt=1e-4))


@pytest.mark.parametrize("variant", ["threads", "processes", "futures-processes", "dask", "spark"])
def test_grid_too_small_for_workers(tmp_path, capsys, variant):
    bad(tmp_path, capsys, "--nx", *option_args(nx=4), "--workers", "3", variant=variant)


def test_grid_too_small_for_exchange_depth(tmp_path, capsys):
    bad(tmp_path, capsys, "--nx", *option_args(steps_per_exchange=8), "--workers", "3", variant="dask")


def test_python_kernel_refuses_big_grids(tmp_path, capsys):
    assert "small grids" in bad(
        tmp_path, capsys, "--kernel", "--kernel", "python", *option_args(nx=300, ny=300)
    )


def write_file(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "contents, message",
    [
        ("# 23 18\n" + "1.0 " * 18 + "\n", "header says"),  # header and data disagree
        ("# 23 18\n" + ("1.0 " * 18 + "\n") * 23, "ask for 23 x 19"),  # wrong shape
        ("23 19\n" + ("1.0 " * 19 + "\n") * 23, "first line"),  # no '#'
        ("# twenty three\n", "first line"),
        ("# 23 19\n" + ("1.0 " * 19 + "\n") * 22 + "nan " * 19 + "\n", "NaN"),
        ("# 23 19\n" + ("x " * 19 + "\n") * 23, "unreadable"),
    ],
)
def test_bad_dat_init(tmp_path, capsys, contents, message):
    init = write_file(tmp_path / "init.dat", contents)
    assert message in bad(tmp_path, capsys, "--init", *option_args(init=init))


def test_bad_hdf5_init(tmp_path, capsys):
    corrupt = write_file(tmp_path / "corrupt.h5", "not HDF5 at all")
    assert "corrupt" in bad(tmp_path, capsys, "--init", *option_args(init=corrupt))
    wrong = tmp_path / "wrong.h5"
    with h5py.File(wrong, "w") as f:
        f["field"] = np.zeros((5, 5))
    assert "5 x 5" in bad(tmp_path, capsys, "--init", *option_args(init=wrong))
    nan = tmp_path / "nan.h5"
    with h5py.File(nan, "w") as f:
        f["field"] = np.full((23, 19), np.nan)
    assert "NaN" in bad(tmp_path, capsys, "--init", *option_args(init=nan))
    bad(tmp_path, capsys, "--init", *option_args(init=tmp_path / "absent.h5"))


@pytest.mark.parametrize(("workers", "nx", "ny"), THIN_BLOCKS.values(), ids=THIN_BLOCKS)
@pytest.mark.parametrize("variant", LOCAL_VARIANTS)
def test_blocks_one_and_two_rows_thick(tmp_path, variant, workers, nx, ny):
    """The row-splitting variants at the edges of their split, from a field with no symmetry,
    against the textbook scheme."""
    overrides, want = thin_block_case(tmp_path, nx, ny)
    out = tmp_path / "out.h5"
    code = run_in_process(
        "run",
        "heat",
        variant,
        "--kernel",
        "numpy",
        "--workers",
        workers,
        "--out",
        out,
        *option_args(**overrides),
    )
    assert code == 0
    assert_textbook(field(out), want)
