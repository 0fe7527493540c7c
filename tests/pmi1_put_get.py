"""A PMI-1 client of its own, to run as one task of `srun --mpi=pmi2`: puts one value of a given
length into the step's key-value space, waits at the barrier and reads the value back, the way
MPICH exchanges its ranks' network addresses. Prints JSON: the value sent, the value read back.

    srun --mpi=pmi2 -n1 python tests/pmi1_put_get.py LINE_BYTES

LINE_BYTES is the length of the whole put request, newline included: MPICH's longest is about
1080 bytes (a 511-byte segment, hex-encoded, behind its key), and slurmstepd reads a PMI-1
request with one read() of at most 1024 bytes (src/plugins/mpi/pmi2/pmi1.c)."""

from __future__ import annotations

import json
import os
import socket
import sys
import time


def request(pmi: socket.socket, line: str) -> str:
    """Send one request line and return the response line (without its newline)."""
    pmi.sendall(line.encode())
    response = b""
    while not response.endswith(b"\n"):
        chunk = pmi.recv(4096)
        if not chunk:
            raise SystemExit(f"slurmstepd closed the PMI socket after {line[:40]!r}")
        response += chunk
    return response.decode().rstrip("\n")


def field(response: str, key: str) -> str | None:
    pairs = dict(part.split("=", 1) for part in response.split(" ") if "=" in part)
    return pairs.get(key)


def main() -> None:
    line_bytes = int(sys.argv[1])
    pmi = socket.socket(fileno=int(os.environ["PMI_FD"]))
    pmi.settimeout(30)  # a lost response fails the test instead of hanging it
    request(pmi, "cmd=init pmi_version=1 pmi_subversion=1\n")
    kvs = field(request(pmi, "cmd=get_my_kvsname\n"), "kvsname")
    key = "-allgather-1-0-seg-1/9"  # MPICH's key for a business card's first segment
    head = f"cmd=put kvsname={kvs} key={key} value="
    value = ("0123456789ABCDEF" * 100)[: line_bytes - len(head) - 1]  # dense hex: no zero runs
    put = request(pmi, f"{head}{value}\n")
    # slurmstepd reads what is left of the put once it has answered it; a barrier sent at that
    # moment can share that read and be refused with it (seen on a loaded machine): let it read.
    time.sleep(0.5)
    # The bytes slurmstepd did not read with the put arrive as a request of their own, which it
    # refuses without a response; the barrier's response comes next either way.
    barrier = request(pmi, "cmd=barrier_in\n")
    got = field(request(pmi, f"cmd=get kvsname={kvs} key={key}\n"), "value")
    print(json.dumps({"sent": value, "got": got, "put": put, "barrier": barrier}))


if __name__ == "__main__":
    main()
