"""The study's lock across hosts: a killed holder on this host is stale, a holder in another pid
namespace or on another host (simulated with `unshare --uts --pid`) is left in place with a message
saying how to check and release it, and runs claiming at the same moment cannot both proceed."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import unavailable
from parbench.planning import locks
from workflow_cases import command, environment, output_of, snakemake


@pytest.fixture(autouse=True)
def another_host_can_be_simulated():
    """Simulating another host needs root and unshare (util-linux): without them, the switch
    (conftest.unavailable) skips these tests on a developer's machine and fails them in CI."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        unavailable("simulating another host needs root and unshare (util-linux)")


# Claims the lock of the directory argv[1], says so, then waits for stdin to close.
HOLD = (
    "import sys; from parbench.planning import locks; me = locks.claim(sys.argv[1]); "
    "print(me.pid, flush=True); sys.stdin.read()"
)


def elsewhere(argv, host=None, **popen) -> subprocess.Popen:
    """ARGV in a new pid namespace (its own /proc) and, with `host`, a new host name: what a
    second login node sharing the study directory looks like from here."""
    prefix = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]
    if host:
        prefix = [*prefix, "--uts", "sh", "-c", f'hostname {host} && exec "$@"', "sh"]
    return subprocess.Popen([*prefix, *argv], env=environment(), **popen)


def hold_elsewhere(root, host=None) -> subprocess.Popen:
    holder = elsewhere(
        [sys.executable, "-c", HOLD, str(root)],
        host,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip(), "the other host never took the lock"
    return holder


REFERENCE = "results/references/pi/tiny/numpy/x1.h5"  # one cheap job of the smoke study


def snakemake_locks(root):
    (root / locks.LOCKS).mkdir(parents=True, exist_ok=True)
    (root / locks.LOCKS / "0.output.lock").write_text("results/runs.csv\n")


def test_the_record_names_the_host_process_boot_and_pid_namespace(tmp_path):
    me = locks.claim(tmp_path)
    record = locks.holder(tmp_path)
    assert record == me
    assert (record.host, record.pid) == (os.uname().nodename, os.getpid())
    assert record.start == locks.process_start(os.getpid())
    assert record.boot_id == open("/proc/sys/kernel/random/boot_id").read().strip()
    assert record.pid_namespace == os.readlink("/proc/self/ns/pid")
    assert locks.release(tmp_path, me) and locks.holder(tmp_path) is None


def test_the_locks_of_a_killed_holder_on_this_host_are_removed(tmp_path):
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        locks.claim(tmp_path, locks.this_process(sleeper.pid))
        snakemake_locks(tmp_path)
        assert locks.clear_stale(tmp_path) is None  # it runs: its locks stay
        with pytest.raises(locks.StudyLocked, match="on this host"):
            locks.claim(tmp_path)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert locks.clear_stale(tmp_path).pid == sleeper.pid
    assert not locks.lock_files(tmp_path) and locks.holder(tmp_path) is None
    assert locks.claim(tmp_path).pid == os.getpid()


def test_a_holder_in_another_pid_namespace_is_never_taken_for_gone(tmp_path):
    holder = hold_elsewhere(tmp_path)
    try:
        record = locks.holder(tmp_path)
        # Its pid means another process here (pid 1 of its namespace): the old check, pid and
        # start time in this /proc, would have called it gone.
        assert record.pid_namespace != os.readlink("/proc/self/ns/pid")
        snakemake_locks(tmp_path)
        assert locks.clear_stale(tmp_path) is None
        with pytest.raises(locks.StudyLocked, match="another pid namespace"):
            locks.claim(tmp_path)
    finally:
        holder.kill()  # kill -9: its lock stays behind, and from here it cannot be told gone
        holder.wait()
    assert locks.clear_stale(tmp_path) is None
    assert locks.lock_files(tmp_path) and locks.holder(tmp_path) == record


def test_a_holder_on_another_host_is_left_in_place_with_how_to_check_and_release(tmp_path):
    holder = hold_elsewhere(tmp_path, host="login2")
    holder.kill()
    holder.wait()
    snakemake_locks(tmp_path)
    assert locks.holder(tmp_path).host == "login2"
    assert locks.clear_stale(tmp_path) is None
    with pytest.raises(locks.StudyLocked) as refused:
        locks.claim(tmp_path)
    message = str(refused.value)
    assert "on host login2" in message and f"pid {locks.holder(tmp_path).pid}" in message
    assert "ssh login2 ps -o pid,lstart,args -p" in message
    assert "snakemake --unlock" in message
    assert locks.lock_files(tmp_path)


def claim_at_the_same_moment(root, start, results):
    start.wait()
    try:
        locks.claim(root)
        results.put("took")
    except locks.StudyLocked:
        results.put("refused")


@pytest.mark.parametrize("round", range(10))
def test_runs_claiming_at_the_same_moment_cannot_both_proceed(tmp_path, round):
    context = multiprocessing.get_context("fork")
    runs = 6
    start, results = context.Barrier(runs), context.Queue()
    claimers = [
        context.Process(target=claim_at_the_same_moment, args=(tmp_path, start, results)) for _ in range(runs)
    ]
    for claimer in claimers:
        claimer.start()
    outcomes = sorted(results.get(timeout=60) for _ in claimers)
    for claimer in claimers:
        claimer.join(timeout=60)
    assert outcomes == ["refused"] * (runs - 1) + ["took"]
    assert [path.name for path in (tmp_path / ".snakemake").iterdir()] == ["parbench-lock"]


def test_a_study_running_on_another_host_is_not_touched_until_unlocked(tmp_path):
    """The issue's reproduction: a real study on "login2" (its own pid namespace and host name),
    and a second `snakemake` of the same directory here."""
    workdir = tmp_path / "study"
    first = elsewhere(
        command(workdir, "--cores", "1"),
        host="login2",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while locks.holder(workdir) is None or not locks.lock_files(workdir):
            assert first.poll() is None, "the study on login2 ended before it locked anything"
            time.sleep(0.1)
        held = locks.holder(workdir)
        second = snakemake(workdir, "--cores", "1")
        assert second.returncode != 0
        assert "locked by the run started" in output_of(second)
        assert "on host login2" in output_of(second) and "snakemake --unlock" in output_of(second)
        assert locks.holder(workdir) == held and locks.lock_files(workdir)
        dry = snakemake(workdir, "-n")
        assert dry.returncode == 0 and "on host login2" in output_of(dry)
    finally:
        os.kill(first.pid, signal.SIGKILL)  # unshare's child and the study die with it
        first.wait()
    unlocked = snakemake(workdir, "--unlock")
    assert unlocked.returncode == 0, output_of(unlocked)
    assert locks.holder(workdir) is None and not locks.lock_files(workdir)
    resumed = snakemake(workdir, "--cores", "1", REFERENCE)
    assert resumed.returncode == 0, output_of(resumed)[-3000:]
    assert locks.holder(workdir) is None, "a finished run releases the lock"
