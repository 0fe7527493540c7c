"""Fetch: N objects from a remote object store, each checked by its SHA-256 checksum. I/O-bound:
a task spends its time waiting for the store (a per-request latency, then the object at a per-
request bandwidth) and almost none computing, so threads (and asyncio) run in parallel despite the
GIL, as the course says; processes add nothing but memory.

Each run starts its own store (parbench.fetch.store), with a fresh secret, before its variant
starts: the store stands for a service that exists before the run, so its start is not timed.
The answer is every object's digest, in object order, which verifies against the serial run's."""

from __future__ import annotations

import copy
from contextlib import contextmanager

import numpy as np

from parbench.contracts.problem import TASK_BYTES, Memory, first_difference
from parbench.contracts.task_farm import TaskFarmProblem
from parbench.fetch import client, store
from parbench.params import Param

DIGEST = np.dtype(np.uint8), 32  # a SHA-256 digest as bytes
# A slow machine's cost of one request besides its latency and transfer (connect, headers, hash).
SLOW_REQUEST_S = 0.05


class Fetch(TaskFarmProblem):
    name = "fetch"
    summary = "fetching and checking objects from a remote store (I/O-bound: tasks mostly wait)"
    problem_class = "I/O-bound"
    params = (
        Param("objects", int, 64, "objects to fetch, one task each", minimum=1),
        Param("object_kib", int, 256, "size of each object in KiB", minimum=1, maximum=1 << 20),
        Param("latency_ms", float, 50.0, "the store's wait before it answers a request", minimum=0.0),
        Param("bandwidth_mib_s", float, 100.0, "MiB a second the store sends one request", minimum=0.001),
    )
    # The tasks wait in socket calls, which release the GIL (parbench.report.verdict).
    kernels = ("io",)
    default_kernel = "io"
    io_bound = True
    has_service = True
    variants_package = "parbench.fetch.variants"
    own_variants = ("asyncio",)
    # Set on the run's own copy once its store listens (see `serving`): it travels with the job
    # to every worker (pickled with it to processes, MPI ranks, Dask workers, Spark executors).
    endpoint: store.Endpoint | None = None

    def objects(self, p: dict) -> store.Objects:
        return store.Objects(
            seed=p["seed"],
            count=p["objects"],
            size=p["object_kib"] * 1024,
            latency_s=p["latency_ms"] / 1000,
            bandwidth=p["bandwidth_mib_s"] * 2**20,
        )

    @contextmanager
    def serving(self, p: dict, spans_nodes: bool):
        """A copy of the problem bound to a store started for this run, open while the block runs."""
        with store.serving(self.objects(p), spans_nodes) as running:
            yield self.bound_to(running.endpoint())

    def bound_to(self, endpoint: store.Endpoint) -> Fetch:
        bound = copy.copy(self)
        bound.endpoint = endpoint
        return bound

    def tasks(self, p):
        return list(range(p["objects"]))

    def partial_spec(self, task, p):
        dtype, size = DIGEST
        return (size,), dtype

    def compute(self, task, p, kernel):
        return as_array(client.fetch(self.bound_endpoint(), task))

    async def compute_async(self, task, p, kernel):
        return as_array(await client.fetch_async(self.bound_endpoint(), task))

    def bound_endpoint(self) -> store.Endpoint:
        if self.endpoint is None:
            raise RuntimeError("fetch: no store is running for this run (use Fetch.serving)")
        return self.endpoint

    def combine(self, p, partials):
        return {
            "digests": np.stack(partials),
            "bytes": np.array(np.int64(p["objects"] * p["object_kib"] * 1024)),
        }

    def compare(self, result, reference):
        return first_difference("bytes", result["bytes"], reference["bytes"]) or first_difference(
            "digests", result["digests"], reference["digests"]
        )

    def memory(self, p, workers):
        """The driver holds a task and a digest per object; a worker one object, and its copy as
        it arrives. The store, a thread of the driver, makes each object as it sends it."""
        size = p["object_kib"] * 1024
        return Memory(driver=(TASK_BYTES + 32) * p["objects"] + 2 * size * workers, worker=2 * size)

    def serial_seconds(self, p, kernel):
        transfer = p["object_kib"] / 1024 / p["bandwidth_mib_s"]
        return p["objects"] * (p["latency_ms"] / 1000 + transfer + SLOW_REQUEST_S)

    def summary_attrs(self, result):
        return {"mib": float(result["bytes"]) / 2**20}


def as_array(digest: bytes) -> np.ndarray:
    return np.frombuffer(digest, dtype=np.uint8).copy()
