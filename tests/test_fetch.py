"""The I/O-bound problem: every local variant and MPI fetch the objects serial fetches, the
objects are the ones docs/problems.md defines (checked by hand here, not by the store's code),
requests really overlap, a bad transfer fails the run, and asyncio is refused elsewhere. Dask and
Spark run it in test_farm_frameworks.py; a second user's attempts are in test_cluster_security.py."""

from __future__ import annotations

import hashlib
import importlib
import json
import time
from types import SimpleNamespace

import h5py
import numpy as np
import pytest

from conftest import run_mpi, run_parbench, workers_that_worked
from farm_cases import IO_SIZES, option_args, params, run
from parbench import registry
from parbench.context import RunContext
from parbench.errors import UsageError
from parbench.fetch import client, store
from parbench.launchers import network
from parbench.problems.fetch import Fetch
from parbench.results.verify import verify

SIZE = IO_SIZES["fetch"]
LOCAL = ("threads", "processes", "futures-threads", "futures-processes", "asyncio")


def digests_by_hand(seed: int, count: int, size: int) -> np.ndarray:
    """Object i is the first `size` bytes of NumPy's default generator seeded with [seed, i]
    (docs/problems.md); the answer is each object's SHA-256, in object order."""
    return np.array(
        [list(hashlib.sha256(np.random.default_rng([seed, i]).bytes(size)).digest()) for i in range(count)],
        dtype=np.uint8,
    )


def answer(path) -> dict:
    with h5py.File(path) as f:
        return {name: f["result"][name][()] for name in f["result"]}


def test_serial_fetches_every_object_defined_by_the_seed(references):
    got = answer(references("fetch", "io"))
    assert got["digests"].shape == (7, 32)
    assert (got["digests"] == digests_by_hand(7, 7, 3 * 1024)).all()
    assert int(got["bytes"]) == 7 * 3 * 1024


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("variant", LOCAL)
def test_every_local_variant_fetches_what_serial_fetches(tmp_path, references, variant, workers):
    record = references.check(run(tmp_path, "fetch", variant, "io", workers), "fetch", "io")
    assert 1 <= len(workers_that_worked(record)) <= workers
    assert record["memory"]["peak_mib"] > 20  # an interpreter with NumPy, whatever it waited for


@pytest.mark.parametrize("ranks", [2, 3])
def test_mpi_ranks_fetch_from_rank_0s_store(tmp_path, references, ranks):
    out = tmp_path / f"mpi{ranks}.h5"
    run_mpi(ranks, "run", "fetch", "mpi", *option_args("fetch"), "--out", out)
    record = verify(out, references("fetch", "io"))
    assert len(record["memory"]["per_node_mib"]) >= 1 and record["memory"]["peak_mib"] > 20 * ranks


def objects(latency_s=0.0, count=4, size=1024, bandwidth=1e9) -> store.Objects:
    return store.Objects(seed=3, count=count, size=size, latency_s=latency_s, bandwidth=bandwidth)


@pytest.mark.parametrize("variant", LOCAL)
def test_the_workers_requests_are_in_flight_at_once(tmp_path, variant):
    """With a latency far above any request's own work, every worker holds a request at the same
    moment: the store counts them. A variant that waits for one request at a time counts 1."""
    workers, problem = 3, registry.problem("fetch")
    p = {**params("fetch"), "objects": 2 * workers}
    with store.serving(objects(latency_s=0.4, count=2 * workers), spans_nodes=False) as running:
        module = importlib.import_module(registry.variant_module_name(problem, variant))
        ctx = RunContext(workers=workers)
        module.run(problem.bound_to(running.endpoint()).job(p, "io"), ctx)
        assert running.most_in_flight == workers and running.in_flight == 0
    # Six requests of 0.4 s: the workers' busy time is their waits, not a clock reading.
    assert len(ctx.busy) == workers and min(ctx.busy.values()) >= 0.4, ctx.busy
    assert 2.4 <= sum(ctx.busy.values()) < 3.9, ctx.busy


def test_each_request_waits_for_the_latency_and_the_bandwidth():
    """Lower bounds only (a busy machine is slower, never faster): 0.3 s of latency, then 256 KiB
    at 1 MiB/s, a quarter of a second more."""
    with store.serving(
        objects(latency_s=0.3, size=256 * 1024, bandwidth=2**20), spans_nodes=False
    ) as running:
        began = time.perf_counter()
        client.fetch(running.endpoint(), 0)
        assert time.perf_counter() - began >= 0.3 + 0.25


def test_the_store_refuses_a_request_without_the_runs_secret():
    with store.serving(objects(), spans_nodes=False) as running:
        endpoint = running.endpoint()
        assert endpoint.host == "127.0.0.1" and endpoint.secret not in repr(endpoint)
        wrong = store.Endpoint(endpoint.host, endpoint.port, "guessed")
        with pytest.raises(client.FetchError, match="object 0: the store answered 403"):
            client.fetch(wrong, 0)
        for beyond in (4, 5):  # objects 0 to 3 only
            with pytest.raises(client.FetchError, match=f"object {beyond}: the store answered 404"):
                client.fetch(endpoint, beyond)
        assert len(client.fetch(endpoint, 3)) == 32


@pytest.mark.parametrize(
    "status, body, checksum, message",
    [
        (200, b"abc", hashlib.sha256(b"abc").hexdigest(), None),
        (200, b"abd", hashlib.sha256(b"abc").hexdigest(), "checksum differs"),
        (200, b"ab", hashlib.sha256(b"ab").hexdigest(), "2 bytes arrived of 3"),
        (500, b"abc", hashlib.sha256(b"abc").hexdigest(), "answered 500"),
        (199, b"abc", hashlib.sha256(b"abc").hexdigest(), "answered 199"),
        (200, b"abcd", hashlib.sha256(b"abcd").hexdigest(), "4 bytes arrived of 3"),
        (200, b"abc", "0" * 64, "checksum differs"),  # below the real one: != is not <
        (200, b"abc", "f" * 64, "checksum differs"),
        (200, b"abc", None, "checksum differs"),
    ],
)
def test_a_corrupt_short_or_failed_transfer_is_an_error_naming_the_object(status, body, checksum, message):
    headers = {"content-length": "3", **({store.CHECKSUM_HEADER.lower(): checksum} if checksum else {})}
    if message is None:
        assert client.checked_digest(5, status, headers, body) == hashlib.sha256(b"abc").digest()
    else:
        with pytest.raises(client.FetchError, match=f"object 5: .*{message}"):
            client.checked_digest(5, status, headers, body)


def test_an_answer_without_a_length_is_refused():
    with pytest.raises(client.FetchError, match="object 2: the store sent no length"):
        client.checked_digest(2, 200, {store.CHECKSUM_HEADER.lower(): hashlib.sha256(b"").hexdigest()}, b"")


def test_the_store_is_made_from_the_parameters_in_seconds_and_bytes():
    p = {**params("fetch"), "latency_ms": 250.0, "bandwidth_mib_s": 3.0, "object_kib": 5, "objects": 9}
    assert Fetch().objects(p) == store.Objects(
        seed=7, count=9, size=5120, latency_s=0.25, bandwidth=3 * 1048576
    )


def test_two_stores_at_once_listen_on_ports_of_their_own_with_secrets_of_32_bytes():
    with store.serving(objects(), False) as one, store.serving(objects(), False) as two:
        assert one.endpoint().port != two.endpoint().port
        assert one.secret != two.secret and min(len(one.secret), len(two.secret)) >= 43  # base64 of 32


def test_a_run_fails_loudly_when_its_store_sends_corrupt_objects(tmp_path, monkeypatch):
    """A store whose objects arrive damaged fails the run, naming the object, and writes nothing."""
    # The store's checksum is of other bytes than it sends: as if they were damaged on the way.
    monkeypatch.setattr(store, "hashlib", SimpleNamespace(sha256=lambda data: hashlib.sha256(data[::-1])))
    with pytest.raises(client.FetchError, match="object 0: its checksum differs"):
        run(tmp_path, "fetch", "serial", "io", 1)
    assert not list(tmp_path.glob("*.h5"))


def test_the_store_listens_on_loopback_unless_the_workers_are_on_other_nodes(monkeypatch):
    monkeypatch.delenv(network.INTERFACE_VARIABLE, raising=False)
    assert store.listen_address(spans_nodes=False) == "127.0.0.1"
    assert store.listen_address(spans_nodes=True) not in ("", "0.0.0.0")
    monkeypatch.setenv(network.INTERFACE_VARIABLE, "lo")
    assert store.listen_address(spans_nodes=True) == "127.0.0.1"
    monkeypatch.setenv(network.INTERFACE_VARIABLE, "no-such-interface")
    with pytest.raises(network.NoSuchInterface, match="no-such-interface"):
        store.listen_address(spans_nodes=True)


def test_a_job_without_a_store_says_so():
    with pytest.raises(RuntimeError, match="no store is running"):
        Fetch().compute(0, params("fetch"), "io")


@pytest.mark.parametrize("problem", ["pi", "mandelbrot", "heat", "groupby", "amdahl"])
def test_asyncio_is_refused_on_every_problem_that_is_not_io_bound(tmp_path, problem):
    done = run_parbench("run", problem, "asyncio", "--workers", "2", "--out", tmp_path / "x.h5", check=False)
    assert done.returncode == 2
    assert (
        f"asyncio runs only I/O-bound problems (fetch), whose tasks wait rather than compute; {problem}"
        in (done.stderr)
    )
    assert not (tmp_path / "x.h5").exists()


def test_the_registry_offers_asyncio_to_fetch_only():
    offered = {name: registry.variants_for(p) for name, p in registry.PROBLEMS.items()}
    assert [name for name, variants in offered.items() if "asyncio" in variants] == ["fetch"]
    assert set(offered["fetch"]) == set(registry.VARIANTS)
    listed = json.loads(run_parbench("list").stdout)["problems"]
    assert "asyncio" in listed["fetch"]["variants"] and "asyncio" not in listed["pi"]["variants"]
    with pytest.raises(UsageError, match="--object-kib: must be >= 1"):
        registry.problem("fetch").check({**params("fetch"), "object_kib": 0})
