"""Peak memory per run (parbench.memory): every process of the run counted, pages shared between
forked processes counted once, and every variant's record carrying it, summed over MPI ranks and
over a Dask cluster's workers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import run_mpi, run_parbench, unavailable
from parbench import memory

MIB = 1024 * 1024
BLOCK_MIB = 200

# Run in a fresh interpreter: the test process may have children of its own (a module's Dask
# cluster or Spark JVM) that its tree would count.
CHILD_HOLDS_A_BLOCK = f"""
import json, multiprocessing, time
import numpy as np
from parbench import memory

def hold(ready, done):
    block = np.ones({BLOCK_MIB} * 1024 * 1024 // 8)
    ready.set()
    done.wait(30)

context = multiprocessing.get_context("fork")
ready, done = context.Event(), context.Event()
before = memory.tree_bytes(memory.psutil.Process())
with memory.PeakSampler(every_s=0.02) as sampler:
    child = context.Process(target=hold, args=(ready, done))
    child.start()
    ready.wait(30)
    time.sleep(0.1)
    done.set()
    child.join(30)
print(json.dumps({{"before": before, "peak": sampler.peak}}))
"""

FORKED_CHILDREN_SHARE = f"""
import json, multiprocessing, time
import numpy as np
from parbench import memory

block = np.ones({BLOCK_MIB} * 1024 * 1024 // 8)
context = multiprocessing.get_context("fork")
done = context.Event()
children = [context.Process(target=done.wait, args=(30,)) for _ in range(3)]
for child in children:
    child.start()
time.sleep(0.3)
root = memory.psutil.Process()
found = {{"pss": memory.tree_bytes(root), "method": memory.method(),
         "rss": sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])}}
done.set()
for child in children:
    child.join(30)
print(json.dumps(found))
"""


def in_a_fresh_interpreter(script: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_sampler_counts_a_child_process():
    """A child holding 200 MiB raises the peak of its parent's tree by as much: a sampler that
    read only its own process would miss every pool worker, rank child and JVM."""
    found = in_a_fresh_interpreter(CHILD_HOLDS_A_BLOCK)
    assert found["peak"] - found["before"] >= 0.9 * BLOCK_MIB * MIB, found


def test_pages_shared_by_forked_children_count_once():
    """Three forked children that never write their parent's 200 MiB share its pages: the tree's
    PSS stays near one copy (RSS would count four)."""
    found = in_a_fresh_interpreter(FORKED_CHILDREN_SHARE)
    if found["method"] != memory.PSS:
        unavailable("no /proc/PID/smaps_rollup: RSS stands in, and it counts shared pages per process")
    assert found["rss"] > 3.5 * BLOCK_MIB * MIB, found  # four processes each map the block
    assert BLOCK_MIB * MIB < found["pss"] < 1.6 * BLOCK_MIB * MIB, found


def run_memory(tmp_path, variant: str, workers: int = 1, ranks: int = 0) -> dict:
    """The `memory` of a real `parbench run pi VARIANT`'s timing record (`ranks`: under mpiexec)."""
    name = f"{variant}-{ranks or workers}"
    out, log = tmp_path / f"{name}.h5", tmp_path / f"{name}.jsonl"
    args = ("run", "pi", variant, "--samples", "2000000", "--chunk-size", "250000")
    args += ("--out", out, "--timing-log", log)
    if ranks:
        run_mpi(ranks, *args)
    else:
        run_parbench(*args, "--workers", workers)
    found = json.loads(log.read_text())["memory"]
    assert found["method"] in (memory.PSS, memory.RSS)
    assert found["peak_mib"] == pytest.approx(sum(found["per_node_mib"].values()), abs=0.2)
    return found


@pytest.mark.parametrize(
    "variant", ["serial", "threads", "processes", "futures-threads", "futures-processes", "dask", "spark"]
)
def test_every_variant_records_its_peak_memory(tmp_path, variant):
    """Positive, at least one interpreter's worth, and as much in total as per node."""
    workers = 1 if variant == "serial" else 2
    found = run_memory(tmp_path, variant, workers)
    assert found["peak_mib"] > 20, found  # a Python process with NumPy is 30 MiB or more
    engines = {"spark": 150, "dask": 60}  # a JVM; a scheduler and two worker processes
    assert found["peak_mib"] > 20 + engines.get(variant, 0), found


def test_mpi_memory_is_summed_over_the_ranks(tmp_path):
    """Two ranks are two interpreters: their sum is well above one rank's own."""
    one = run_memory(tmp_path, "mpi", ranks=1)
    two = run_memory(tmp_path, "mpi", ranks=2)
    assert two["peak_mib"] > 1.6 * one["peak_mib"], (one, two)
    assert "every MPI rank" in two["counted"]


def test_dask_memory_is_summed_over_its_workers(tmp_path):
    """Each Dask worker is a process of its own: a third worker adds at least an interpreter."""
    two = run_memory(tmp_path, "dask", workers=2)
    four = run_memory(tmp_path, "dask", workers=4)
    assert four["peak_mib"] > two["peak_mib"] + 40, (two, four)
