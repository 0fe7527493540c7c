"""Fetching one object from a run's store and checking it: the worker's whole task. The blocking
form serves every variant but asyncio, which awaits the same request on its event loop."""

from __future__ import annotations

import asyncio
import hashlib
import http.client

from parbench.fetch.store import CHECKSUM_HEADER, SECRET_HEADER, Endpoint

# A store that stops answering fails the run rather than hanging it.
TIMEOUT_S = 120


class FetchError(RuntimeError):
    pass


def checked_digest(index: int, status: int, headers: dict[str, str], body: bytes) -> bytes:
    """The SHA-256 digest of what arrived, after checking it is what the store sent: a refusal, a
    short body or a corrupt one is an error naming the object, never a result."""
    if status != 200:
        raise FetchError(f"object {index}: the store answered {status}")
    if "content-length" not in headers:
        raise FetchError(f"object {index}: the store sent no length")
    length = int(headers["content-length"])
    if len(body) != length:
        raise FetchError(f"object {index}: {len(body)} bytes arrived of {length}")
    digest = hashlib.sha256(body)
    if digest.hexdigest() != headers.get(CHECKSUM_HEADER.lower()):
        raise FetchError(f"object {index}: its checksum differs from the store's (a corrupt transfer)")
    return digest.digest()


def fetch(endpoint: Endpoint, index: int) -> bytes:
    """Object `index`'s digest, fetched with a blocking request (the thread waits in the kernel)."""
    connection = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=TIMEOUT_S)
    try:
        connection.request("GET", f"/objects/{index}", headers={SECRET_HEADER: endpoint.secret})
        response = connection.getresponse()
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return checked_digest(index, response.status, headers, body)
    finally:
        connection.close()


async def fetch_async(endpoint: Endpoint, index: int) -> bytes:
    """The same request awaited: while it waits, the event loop runs the other requests."""
    return await asyncio.wait_for(_fetch_async(endpoint, index), TIMEOUT_S)


async def _fetch_async(endpoint: Endpoint, index: int) -> bytes:
    reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port)
    try:
        request = (
            f"GET /objects/{index} HTTP/1.0\r\nHost: {endpoint.host}\r\n"
            f"{SECRET_HEADER}: {endpoint.secret}\r\n\r\n"
        )
        writer.write(request.encode())
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.read()  # HTTP/1.0: the store closes the connection after the body
        return checked_digest(index, status, headers, body)
    finally:
        writer.close()
        await writer.wait_closed()
