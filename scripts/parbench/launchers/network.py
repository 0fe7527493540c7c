"""The network the clusters talk over: a named interface (config network_interface, e.g.
InfiniBand's `ib0`) instead of whatever the host name resolves to, which on many clusters is the
slow management Ethernet.

`python -m parbench.launchers.network IFACE` prints this node's IPv4 address on IFACE: the Spark
workers, started by srun on every node, ask it for their own address."""

from __future__ import annotations

import socket
import sys

import psutil

# Set by the launchers for the run they start, when given an interface: a run's own services
# (fetch's object store) listen on it too.
INTERFACE_VARIABLE = "PARBENCH_NETWORK_INTERFACE"


class NoSuchInterface(ValueError):
    pass


def address_of(interface: str) -> str:
    """This node's IPv4 address on `interface`; NoSuchInterface names the ones it has."""
    addresses = psutil.net_if_addrs()
    ipv4 = [a.address for a in addresses.get(interface, ()) if a.family == socket.AF_INET]
    if not ipv4:
        having = ", ".join(
            f"{name} ({a.address})"
            for name, entries in sorted(addresses.items())
            for a in entries
            if a.family == socket.AF_INET
        )
        problem = "has no IPv4 address" if interface in addresses else "does not exist"
        raise NoSuchInterface(
            f"network interface {interface!r} {problem} on {socket.gethostname()} "
            f"(interfaces with IPv4 addresses: {having or 'none'})"
        )
    return ipv4[0]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m parbench.launchers.network IFACE", file=sys.stderr)
        return 2
    try:
        print(address_of(argv[0]))
    except NoSuchInterface as error:
        print(f"parbench.launchers: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
