"""`python -m parbench.launchers dask|spark --workers N [--nodes M] -- COMMAND ...`"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from parbench.frameworks import security
from parbench.launchers import allocation, dask_cluster, network, spark_cluster, steps

CLUSTERS = {"dask": dask_cluster.cluster, "spark": spark_cluster.cluster}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m parbench.launchers",
        allow_abbrev=False,  # a mistyped option is an error, not a guess
        description="Start a Dask or Spark cluster on the nodes of this SLURM allocation, run COMMAND "
        "with the option that joins it appended (dask: --scheduler-file FILE, spark: --master URL), "
        "then stop the cluster.",
    )
    parser.add_argument("framework", choices=sorted(CLUSTERS))
    parser.add_argument("--workers", type=int, required=True, help="worker processes (one core each)")
    parser.add_argument("--nodes", type=int, help="spread the workers over this many nodes (default: all)")
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path.cwd(),
        help="a folder on a file system every node sees, for the scheduler file and logs (default: .)",
    )
    parser.add_argument(
        "--interface",
        metavar="IFACE",
        help="the network interface the cluster talks over on every node, e.g. ib0 for InfiniBand "
        "(default: the address the host name resolves to)",
    )
    parser.add_argument(
        "--or-local",
        action="store_true",
        help="outside a SLURM allocation, run COMMAND as it is (the framework then starts a local "
        "cluster on this machine) instead of failing",
    )
    parser.usage = (
        "%(prog)s {dask,spark} --workers N [--nodes M] [--scratch DIR] [--interface IFACE] [--or-local] "
        "-- COMMAND ..."
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Everything after the first `--` is the command, options that look like ours included.
    split = argv.index("--") if "--" in argv else len(argv)
    args, command = build_parser().parse_args(argv[:split]), argv[split + 1 :]
    if not command:
        build_parser().error("no COMMAND after --")
    if args.workers < 1:
        build_parser().error("--workers must be >= 1")
    try:
        where = allocation.current()
    except allocation.NoAllocation as error:
        if args.or_local:  # a workflow's study with nodes > 1, run without SLURM
            print(f"parbench.launchers: {error}; running on this machine only", file=sys.stderr, flush=True)
            return subprocess.run(command).returncode
        print(f"parbench.launchers: {error}", file=sys.stderr)
        return 2
    if args.interface:
        try:  # this node's; each worker's node checks its own as it starts
            network.address_of(args.interface)
        except network.NoSuchInterface as error:
            print(f"parbench.launchers: --interface: {error}", file=sys.stderr)
            return 2
    keep_scratch = os.environ.get("PARBENCH_KEEP_SCRATCH") == "1"
    args.scratch.mkdir(parents=True, exist_ok=True)
    # The scheduler file, the logs and the cluster's keys: the owner's alone (mode 0700).
    scratch = security.private_folder(args.scratch, prefix=f".parbench-{args.framework}-{where.job_id}-")

    def remove_scratch():
        if not keep_scratch:
            shutil.rmtree(scratch, ignore_errors=True)

    try:
        start_cluster = CLUSTERS[args.framework](where, args.workers, args.nodes, scratch, args.interface)
        with steps.terminated_on_sigterm(first=remove_scratch), start_cluster as join:
            print(f"parbench.launchers: {args.framework} ready on {','.join(where.nodes)}", file=sys.stderr)
            # The run's own services (fetch's object store) listen on the cluster's network too.
            env = {**os.environ, **({network.INTERFACE_VARIABLE: args.interface} if args.interface else {})}
            return subprocess.run([*command, *join], env=env).returncode
    except (RuntimeError, TimeoutError) as error:
        keep_scratch = True  # its logs say why (in a folder only its owner can enter)
        print(
            f"parbench.launchers: {args.framework} cluster failed: {error}; logs in {scratch}",
            file=sys.stderr,
        )
        return 1
    finally:
        remove_scratch()


if __name__ == "__main__":
    sys.exit(main())
