"""The HDF5 result and the timing log: provenance, timing, atomic writes, verification."""

import json
import os
import signal
import socket
import subprocess

import h5py
import numpy as np

from conftest import STOPPED, parbench_command, parbench_stopping, run_parbench
from parbench.output import read_result, remove_stale_temporaries
from parbench.timing import PHASES


def test_provenance_and_timing_are_complete(tmp_path):
    out, log = tmp_path / "r.h5", tmp_path / "t.jsonl"
    env = {**os.environ, "SLURM_JOB_ID": "4242", "SLURM_JOB_NODELIST": "n[1-2]"}
    args = ["run", "mandelbrot", "processes", "--workers", "2", "--kernel", "numba", "--seed", "7"]
    size = ["--width", "370", "--height", "290", "--maxiter", "600", "--rows-per-task", "2"]
    subprocess.run(
        parbench_command(*args, *size, "--out", out, "--timing-log", log),
        env=env,
        check=True,
        capture_output=True,
    )
    record, result = read_result(out, "out")
    assert (record["problem"], record["variant"], record["kernel"], record["workers"]) == (
        "mandelbrot",
        "processes",
        "numba",
        2,
    )
    assert record["params"]["width"] == 370 and record["params"]["maxiter"] == 600 and record["seed"] == 7
    assert set(record["versions"]) >= {"python", "numpy", "h5py", "numba", "parbench"}
    assert record["slurm"] == {"job_id": "4242", "nodelist": "n[1-2]"}
    assert record["machine"]["host"] and json.loads(record["hosts"]) == [record["machine"]["host"]]
    assert len(record["git_commit"]) >= 7
    assert record["start_utc"] < record["end_utc"]
    phases = record["phases"]
    assert set(phases) == {*PHASES, "total"}
    assert all(seconds >= 0 for seconds in phases.values())
    assert phases["compute"] > 0 and phases["write"] > 0
    assert sum(v for k, v in phases.items() if k != "total") <= phases["total"]
    busy = record["worker_busy"]
    # Only the pool's workers that took tasks (one may have taken them all), each busy for part
    # of the compute phase.
    assert 1 <= len(busy) <= 2 and all(0 < s <= phases["compute"] for s in busy.values()), busy
    assert {int(name.split(":")[1]) for name in busy}.isdisjoint({os.getpid()}), busy
    assert result["counts"].shape == (290, 370) and record["summary"]["iterations"] == result["counts"].sum()
    # The timing log holds the same record as one JSON line.
    (line,) = log.read_text().splitlines()
    logged = json.loads(line)
    assert logged["phases"] == phases and logged["worker_busy"] == busy and logged["output"] == str(out)


def test_timing_log_appends_one_line_per_run(tmp_path):
    log = tmp_path / "t.jsonl"
    for variant in ("serial", "threads"):
        run_parbench(
            "run",
            "pi",
            variant,
            "--samples",
            "5000",
            "--out",
            tmp_path / f"{variant}.h5",
            "--timing-log",
            log,
        )
    assert [json.loads(line)["variant"] for line in log.read_text().splitlines()] == ["serial", "threads"]


def test_a_run_killed_while_writing_leaves_no_result_and_the_next_run_removes_its_temporary(tmp_path):
    out = tmp_path / "r.h5"
    args = ["run", "mandelbrot", "serial", "--width", "64", "--height", "48", "--out", str(out)]
    # Stopped inside the write of its result (the write phase begins once the temporary is open).
    stopping = parbench_stopping("parbench.timing:Phases.phase", "before", *args, only="write")
    child = subprocess.Popen(stopping, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == STOPPED, child.communicate(timeout=60)
        (temporary,) = tmp_path.iterdir()  # the result is being written under its temporary name
        assert temporary.name == f".r.h5.tmp.{socket.gethostname()}.{child.pid}"
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    # The dead run's half-written file stays under its temporary name: nothing looks like a result.
    assert not out.exists() and temporary.exists()
    # The next run of the same output finishes and removes what the killed one left behind.
    run_parbench("run", "mandelbrot", "serial", "--width", "16", "--height", "16", "--out", out)
    assert [p.name for p in tmp_path.iterdir()] == ["r.h5"]


def test_only_temporaries_of_dead_processes_on_this_host_are_removed(tmp_path):
    """A temporary of a live process is a write in progress (another run of the same output); one
    from another host sharing the file system cannot be checked from here: both stay."""
    host = socket.gethostname()
    ended = subprocess.Popen(["true"])
    ended.wait()
    running = subprocess.Popen(["sleep", "300"])
    try:
        kept = {
            f".r.h5.tmp.{host}.{ended.pid}": False,
            f".r.h5.tmp.{host}.{running.pid}": True,
            f".r.h5.tmp.elsewhere.{ended.pid}": True,
            f".other.h5.tmp.{host}.{ended.pid}": True,  # another output's
        }
        for name in kept:
            (tmp_path / name).write_bytes(b"half a file")
        remove_stale_temporaries(tmp_path / "r.h5")
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            name for name, stays in kept.items() if stays
        )
    finally:
        running.kill()
        running.wait()


def test_verify_names_the_first_difference(tmp_path, references):
    tampered = tmp_path / "tampered.h5"
    tampered.write_bytes(references("mandelbrot", "numpy").read_bytes())
    with h5py.File(tampered, "r+") as f:
        counts = f["result/counts"][()]
        want = int(counts[4, 9])
        counts[4, 9] += 1
        counts[7, 1] += 1
        f["result/counts"][...] = counts
    done = run_parbench("verify", tampered, references("mandelbrot", "numpy"), check=False)
    assert done.returncode == 1
    # Plain numbers, as docs/formats.md shows the message (not numpy's `np.int32(13)`).
    expected = f"counts[4, 9] is {want + 1} but the reference has {want} (2 of {counts.size} elements differ)"
    assert expected in done.stderr, done.stderr
    ok = run_parbench("verify", references("mandelbrot", "numpy"), references("mandelbrot", "numpy"))
    assert ok.stdout.startswith("OK")


def test_verify_refuses_different_parameters(tmp_path):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    run_parbench("run", "pi", "serial", "--samples", "1000", "--seed", "1", "--out", a)
    run_parbench("run", "pi", "threads", "--workers", "2", "--samples", "1000", "--seed", "2", "--out", b)
    done = run_parbench("verify", b, a, check=False)
    assert done.returncode == 1 and "--seed" in done.stderr


def test_pi_hits_do_not_depend_on_worker_count_or_task_order(tmp_path):
    """Seeds belong to chunks: any variant with any workers draws the same points."""
    hits = set()
    for variant, workers in (("serial", 1), ("threads", 3), ("futures-processes", 2)):
        out = tmp_path / f"{variant}.h5"
        run_parbench(
            "run",
            "pi",
            variant,
            "--workers",
            workers,
            "--samples",
            "50000",
            "--chunk-size",
            "7000",
            "--out",
            out,
        )
        hits.add(int(read_result(out, "out")[1]["hits"]))
    assert len(hits) == 1
    assert np.isclose(4 * hits.pop() / 50000, np.pi, atol=0.05)


def test_one_framework_call_splits_by_the_workers_clocks():
    """A call that hands out tasks, runs them and gathers them (Spark's collect) is split at the
    first task's start and the last task's end; clocks off by a little never make a phase negative."""
    from parbench.timing import Phases

    phases = Phases()
    phases.charge_call(called=100.0, returned=101.0, first_started=100.2, last_ended=100.9)
    assert [round(phases.seconds[p], 9) for p in ("distribute", "compute", "communicate")] == [0.2, 0.7, 0.1]
    skewed = Phases()  # a worker whose clock runs ahead and one whose clock lags
    skewed.charge_call(called=100.0, returned=101.0, first_started=99.5, last_ended=101.3)
    assert [skewed.seconds[p] for p in ("distribute", "compute", "communicate")] == [0.0, 1.0, 0.0]


def test_kernels_run_with_steady_malloc_thresholds_on_glibc():
    """Every process that runs a kernel sets the same thresholds (they made up to 17 % difference
    between variants' kernels); this machine's glibc must accept them."""
    from parbench.kernels import malloc

    assert malloc.use_steady_thresholds()
