"""Every bad input gets one line naming the argument, exit status 2, no traceback, no file."""

import h5py
import pytest

from conftest import run_parbench
from farm_cases import References

BAD_RUNS = {
    "unknown problem": (["run", "fractal", "serial"], "PROBLEM", "invalid choice: 'fractal'"),
    "unknown variant": (["run", "pi", "openmp"], "VARIANT", "unknown variant 'openmp'"),
    "unknown kernel": (["run", "pi", "serial", "--kernel", "cuda"], "--kernel", "unknown kernel 'cuda'"),
    "zero workers": (["run", "pi", "threads", "--workers", "0"], "--workers", "must be >= 1"),
    "negative workers": (["run", "pi", "processes", "--workers", "-2"], "--workers", "must be >= 1"),
    "serial on two": (["run", "pi", "serial", "--workers", "2"], "--workers", "runs on 1 worker"),
    "zero width": (["run", "mandelbrot", "serial", "--width", "0"], "--width", "must be >= 1"),
    "negative height": (["run", "mandelbrot", "serial", "--height", "-5"], "--height", "must be >= 1"),
    "zero maxiter": (["run", "mandelbrot", "serial", "--maxiter", "0"], "--maxiter", "must be >= 1"),
    "empty region": (["run", "mandelbrot", "serial", "--xmin", "1", "--xmax", "0"], "--xmin", "less than"),
    "zero samples": (["run", "pi", "serial", "--samples", "0"], "--samples", "must be >= 1"),
    "not a number": (["run", "pi", "serial", "--samples", "many"], "--samples", "invalid int value"),
    "fractional count": (["run", "pi", "serial", "--samples", "2.5"], "--samples", "invalid int value"),
    "negative seed": (["run", "pi", "serial", "--seed", "-1"], "--seed", "must be >= 0"),
    "abbreviated option": (["run", "pi", "serial", "--sample", "10"], "--sample", "unrecognized arguments"),
    "missing scheduler file": (
        ["run", "pi", "dask", "--scheduler-file", "/nonexistent/scheduler.json"],
        "--scheduler-file",
        "no such file",
    ),
    "scheduler file for spark": (
        ["run", "pi", "spark", "--scheduler-file", "s.json"],
        "--scheduler-file",
        "dask",
    ),
    "malformed master": (
        ["run", "pi", "spark", "--master", "spark:/nohost"],
        "--master",
        "spark://HOST:PORT",
    ),
    "master for threads": (
        ["run", "pi", "threads", "--master", "spark://a:7077"],
        "--master",
        "spark variant",
    ),
}


def assert_one_line_error(done, argument, words):
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("parbench: error:") and argument in lines[0] and words in lines[0], lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("case", BAD_RUNS)
def test_bad_run_arguments(tmp_path, case):
    args, argument, words = BAD_RUNS[case]
    out = tmp_path / "result.h5"
    done = run_parbench(*args, "--out", out, check=False)
    assert_one_line_error(done, argument, words)
    assert list(tmp_path.iterdir()) == []


def test_output_folder_missing(tmp_path):
    done = run_parbench("run", "pi", "serial", "--out", tmp_path / "nowhere" / "r.h5", check=False)
    assert_one_line_error(done, "--out", "does not exist")


# /proc and /sys refuse new files even to root (to whom the permission bits say yes), so this
# holds in CI too.
@pytest.mark.parametrize("out", ["/proc/self/r.h5", "/proc/r.h5", "/sys/r.h5"])
def test_output_folder_not_writable(out):
    done = run_parbench("run", "pi", "serial", "--out", out, check=False)
    assert_one_line_error(done, "--out", "not writable")


def test_timing_log_folder_missing(tmp_path):
    out = tmp_path / "r.h5"
    done = run_parbench(
        "run", "pi", "serial", "--out", out, "--timing-log", tmp_path / "no" / "t.jsonl", check=False
    )
    assert_one_line_error(done, "--timing-log", "does not exist")
    assert not out.exists()


def test_existing_output_is_kept_unless_forced(tmp_path):
    out = tmp_path / "r.h5"
    out.write_bytes(b"precious")
    done = run_parbench("run", "pi", "serial", "--samples", "1000", "--out", out, check=False)
    assert_one_line_error(done, "--out", "pass --force")
    assert out.read_bytes() == b"precious"
    run_parbench("run", "pi", "serial", "--samples", "1000", "--out", out, "--force")
    with h5py.File(out) as f:
        assert int(f["result/samples"][()]) == 1000


def test_verify_missing_reference(tmp_path, references: References):
    done = run_parbench("verify", references("pi", "numpy"), tmp_path / "absent.h5", check=False)
    assert_one_line_error(done, "REFERENCE", "no such file")


def test_verify_corrupt_reference(tmp_path, references: References):
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(references("pi", "numpy").read_bytes()[:300])
    done = run_parbench("verify", references("pi", "numpy"), corrupt, check=False)
    assert_one_line_error(done, "REFERENCE", "corrupt")


def test_verify_a_file_that_is_not_a_result(tmp_path, references: References):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = 1
    done = run_parbench("verify", other, references("pi", "numpy"), check=False)
    assert_one_line_error(done, "RESULT", "not a parbench result")


def test_whole_numbers_may_be_written_as_sizes_often_are(tmp_path):
    """1e5 and 100_000 are the integer 100000; the run records it as that integer."""
    for text in ("1e5", "100_000"):
        out = tmp_path / f"pi-{text}.h5"
        result = run_parbench("run", "pi", "serial", "--samples", text, "--chunk-size", "25000", "--out", out)
        assert result.returncode == 0, result.stderr
        with h5py.File(out) as f:
            assert f["params"].attrs["samples"] == 100_000
