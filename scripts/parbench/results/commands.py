"""The results' subcommands of `parbench`. The workflow's verify, collect and gate rules call the
same functions inside Snakemake (their lists of files never reach a command line); these
commands serve a study's files by hand:

parbench gate STATUS... --out FILE                        fail naming every mismatched run
parbench collect STATUS... --timings CSV ...              tidy tables and the merged log

STATUS is a case's status file, results/verify/PROBLEM/SIZE/KERNEL.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from parbench.errors import UsageError


def add_commands(commands) -> dict:
    """Adds the subcommands to `parbench`'s parser; returns their handlers by name."""
    gate = commands.add_parser("gate", help="workflow: fail when any run did not match its reference")
    gate.add_argument("statuses", nargs="*", metavar="STATUS")
    gate.add_argument("--out", required=True, type=Path)

    collect = commands.add_parser("collect", help="workflow: collect verified runs into tidy tables")
    collect.add_argument("statuses", nargs="*", metavar="STATUS")
    collect.add_argument("--missing", nargs="*", default=[], metavar="RUN", help="runs that did not finish")
    add_table_options(collect)
    return {"gate": gate_command, "collect": collect_command}


def add_table_options(parser: argparse.ArgumentParser) -> None:
    """The collected tables' options, shared with `parbench report` (which reads them)."""
    parser.add_argument("--timings", required=True, type=Path, help="tidy CSV: one row per run and phase")
    parser.add_argument("--worker-busy", required=True, type=Path, help="CSV: busy seconds per worker")
    parser.add_argument("--runs", required=True, type=Path, help="CSV: one row per run with its status")
    parser.add_argument("--log", required=True, type=Path, help="the merged timing log (JSON lines)")


def gate_command(args) -> int:
    from parbench.results.check import gate, verdict_text

    failed, total = gate(args.statuses, args.out)
    print(verdict_text(failed, total), file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0


def collect_command(args) -> int:
    from parbench.results import collect

    try:
        # By hand the plan is not known: a missing run is named by its id only.
        collected = collect.collect(args.statuses, [{"run": run} for run in args.missing])
    except (collect.CollectError, OSError, KeyError, ValueError) as error:
        raise UsageError("STATUS", str(error)) from None
    collect.write(collected, args.timings, args.worker_busy, args.runs, args.log)
    print(collect.summary(collected, args.timings))
    return 0
