"""The study's subcommands of `parbench`, called by the workflow's rules:

parbench check RESULT REFERENCE --run JSON --status OUT   verify one run, record its status
parbench gate STATUS... --out FILE                        fail naming every mismatched run
parbench collect STATUS... --timings CSV ...              tidy tables and the merged log
parbench report --timings CSV ... --html FILE             figures, tables and the HTML report
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from parbench.errors import UsageError


def add_commands(commands) -> dict:
    """Adds the subcommands to `parbench`'s parser; returns their handlers by name."""
    check = commands.add_parser("check", help="workflow: verify one run and write its status file")
    check.add_argument("result", metavar="RESULT")
    check.add_argument("reference", metavar="REFERENCE")
    check.add_argument("--run", required=True, type=json.loads, help="the run's labels and files, as JSON")
    check.add_argument("--status", required=True, type=Path, help="the status file to write")

    gate = commands.add_parser("gate", help="workflow: fail when any run did not match its reference")
    gate.add_argument("statuses", nargs="*", metavar="STATUS")
    gate.add_argument("--out", required=True, type=Path)

    collect = commands.add_parser("collect", help="workflow: collect verified runs into tidy tables")
    collect.add_argument("statuses", nargs="*", metavar="STATUS")
    collect.add_argument("--missing", nargs="*", default=[], metavar="RUN", help="runs that did not finish")
    add_table_options(collect)

    report = commands.add_parser("report", help="workflow: figures, tables and the HTML report")
    add_table_options(report)
    report.add_argument("--scaling", choices=("strong", "weak"), default="strong")
    report.add_argument("--html", required=True, type=Path)
    report.add_argument("--figures-dir", required=True, type=Path)
    report.add_argument("--tables-dir", required=True, type=Path)
    report.add_argument("--title", default="parbench study")
    return {
        "check": check_command,
        "gate": gate_command,
        "collect": collect_command,
        "report": report_command,
    }


def add_table_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timings", required=True, type=Path, help="tidy CSV: one row per run and phase")
    parser.add_argument("--worker-busy", required=True, type=Path, help="CSV: busy seconds per worker")
    parser.add_argument("--runs", required=True, type=Path, help="CSV: one row per run with its status")
    parser.add_argument("--log", required=True, type=Path, help="the merged timing log (JSON lines)")


def check_command(args) -> int:
    from parbench.study.check import check_run

    status = check_run(args.result, args.reference, args.run, args.status)
    print(f"{status['status']}: {status.get('id', args.result)} {status['message']}".rstrip())
    return 0


def gate_command(args) -> int:
    from parbench.study.check import gate

    failed = gate(args.statuses, args.out)
    if failed:
        print(
            f"parbench: {len(failed)} of {len(args.statuses)} runs do not match their serial reference:",
            file=sys.stderr,
        )
        for status in failed:
            print(f"  {status['id']}: {status['message']}", file=sys.stderr)
        return 1
    print(f"all {len(args.statuses)} verified runs match their serial reference")
    return 0


def collect_command(args) -> int:
    from parbench.study import collect

    try:
        collected = collect.collect(args.statuses, args.missing)
    except (collect.CollectError, OSError, KeyError, ValueError) as error:
        raise UsageError("STATUS", str(error)) from None
    collect.write(collected, args.timings, args.worker_busy, args.runs, args.log)
    counts = collected["runs"]["status"].value_counts().to_dict() if len(collected["runs"]) else {}
    print(f"collected {len(collected['log'])} runs ({counts}) into {args.timings}")
    return 0


def report_command(args) -> int:
    from parbench.study import report

    tables = {"timings": args.timings, "worker_busy": args.worker_busy, "runs": args.runs}
    report.write(
        tables, args.log, args.scaling == "weak", args.html, args.figures_dir, args.tables_dir, args.title
    )
    print(f"report: {args.html}")
    return 0
