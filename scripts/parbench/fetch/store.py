"""The object store a fetch run starts for itself, as a remote object store or web API behaves:
object i of a run is the same bytes everywhere (made from the seed), and each request is answered
after a fixed latency, then sent at a fixed bandwidth. Every request waits; almost none computes.

Only the run's owner gets in, as with the clusters parbench starts (docs/security.md): each
request must carry the run's secret, a fresh random token that lives only in the run's memory
(never on disk or on a command line), and the store listens on loopback unless the run's workers
are on other nodes, where it listens on the node's network address."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from parbench.launchers import network

SECRET_HEADER = "X-Parbench-Secret"
CHECKSUM_HEADER = "X-Checksum-Sha256"
CHUNK = 64 * 1024  # bytes sent between two pauses of the bandwidth limit
PATH = re.compile(r"/objects/(\d+)")


def object_bytes(seed: int, index: int, size: int) -> bytes:
    """Object `index` of a store made from `seed`: the same bytes on every node and in every run."""
    return np.random.default_rng([seed, index]).bytes(size)


@dataclass(frozen=True)
class Objects:
    """What the store serves and how fast: `count` objects of `size` bytes, each answered after
    `latency_s` and sent at `bandwidth` bytes a second (per request, as a remote store gives each
    connection its share)."""

    seed: int
    count: int
    size: int
    latency_s: float
    bandwidth: float


@dataclass(frozen=True)
class Endpoint:
    """Where a run's store listens, and the secret its requests carry (kept out of repr, so it
    never reaches a log or an error message)."""

    host: str
    port: int
    secret: str = field(repr=False)


class Handler(BaseHTTPRequestHandler):
    server: Store

    def do_GET(self):  # noqa: N802 (http.server's name)
        given = self.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.server.secret.encode()):
            self.send_error(403, "this store serves only the run that started it")
            return
        found = PATH.fullmatch(self.path)
        objects = self.server.objects
        if not found or int(found[1]) >= objects.count:
            self.send_error(404, f"no object {self.path}")
            return
        body = object_bytes(objects.seed, int(found[1]), objects.size)
        chunks = [body[start : start + CHUNK] for start in range(0, len(body), CHUNK)]
        with self.server.serving_one():
            time.sleep(objects.latency_s)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.send_header(CHECKSUM_HEADER, hashlib.sha256(body).hexdigest())
            self.end_headers()
            for chunk in chunks[:-1]:
                time.sleep(len(chunk) / objects.bandwidth)  # before: the chunk arrives once sent
                self.wfile.write(chunk)
            time.sleep(len(chunks[-1]) / objects.bandwidth)
        # The request stops counting before its last bytes leave: a client that starts its next
        # request the moment they arrive never finds this one still counted.
        self.wfile.write(chunks[-1])

    def log_message(self, *args):
        pass  # one line per request would drown the run's log


class Store(ThreadingHTTPServer):
    daemon_threads = True
    # Every worker connects at once: the default backlog of 5 would drop connections, and a
    # dropped one waits a second for its retry.
    request_queue_size = 1024

    def __init__(self, host: str, objects: Objects):
        self.objects = objects
        self.secret = secrets.token_urlsafe(32)
        # Requests being answered now, and the most at once: what shows that a variant's workers
        # really waited together (tests/test_fetch.py).
        self.in_flight = self.most_in_flight = 0
        self._counting = threading.Lock()
        super().__init__((host, 0), Handler)

    @contextmanager
    def serving_one(self):
        with self._counting:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._counting:
                self.in_flight -= 1

    def endpoint(self) -> Endpoint:
        host, port = self.server_address[:2]
        return Endpoint(host, port, self.secret)


def listen_address(spans_nodes: bool) -> str:
    """Loopback when every worker is on this node; otherwise this node's address on the cluster's
    network interface (PARBENCH_NETWORK_INTERFACE, set by parbench's launchers), or the address
    its host name resolves to, as Dask's and Spark's defaults use."""
    if not spans_nodes:
        return "127.0.0.1"
    interface = os.environ.get(network.INTERFACE_VARIABLE)
    if interface:
        return network.address_of(interface)
    return socket.gethostbyname(socket.gethostname())


@contextmanager
def serving(objects: Objects, spans_nodes: bool):
    """Runs a store in a thread of this process while the block runs; yields the Store."""
    store = Store(listen_address(spans_nodes), objects)
    thread = threading.Thread(target=store.serve_forever, name="parbench-store", daemon=True)
    thread.start()
    try:
        yield store
    finally:
        store.shutdown()
        store.server_close()
        thread.join()
