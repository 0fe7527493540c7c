"""The `parbench` command: run a problem with a variant, verify a result, list what exists."""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from parbench import launch, registry
from parbench.errors import UsageError
from parbench.params import COMMON_PARAMS
from parbench.plugins import loader as plugin_loader
from parbench.report import commands as report_commands
from parbench.reproduce import commands as reproduce_commands
from parbench.results import commands as results_commands
from parbench.results.verify import Mismatch, verify
from parbench.runner import RunRequest, execute


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit 2), like every other bad input, and a
    mistyped option is one too: `--sample 10` must not pass for `--samples` (no abbreviations)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{"allow_abbrev": False, **kwargs})

    def error(self, message):
        raise UsageError(self.prog, message)


def add_run_options(parser: argparse.ArgumentParser, problem) -> None:
    parser.add_argument(
        "variant", metavar="VARIANT", help="one of: " + ", ".join(registry.variants_for(problem))
    )
    shared = parser.add_argument_group("every problem")
    shared.add_argument("--workers", type=int, help="workers (default 1; mpi: the number of ranks)")
    shared.add_argument("--kernel", help=f"{' | '.join(problem.kernels)} (default {problem.default_kernel})")
    shared.add_argument("--out", type=Path, required=True, help="the HDF5 result file to write")
    shared.add_argument("--timing-log", type=Path, help="JSON-lines file to append the timing record to")
    shared.add_argument("--force", action="store_true", help="overwrite an existing --out")
    shared.add_argument("--master", help="spark: a standalone master URL (default local[N])")
    shared.add_argument("--scheduler-file", help="dask: join the cluster of this scheduler file")
    own = parser.add_argument_group(f"{problem.name} parameters")
    for param in problem.params + COMMON_PARAMS:
        group = shared if param in COMMON_PARAMS else own
        group.add_argument(
            param.option,
            type=param.parse,
            default=param.default,
            help=f"{param.help} (default {param.default})",
        )


def add_generate_options(parser: argparse.ArgumentParser, problem) -> None:
    parser.add_argument("--out", type=Path, required=True, help="the dataset folder to write")
    parser.add_argument("--force", action="store_true", help="replace an existing --out")
    for param in problem.dataset_params + COMMON_PARAMS:
        parser.add_argument(
            param.option,
            type=param.parse,
            default=param.default,
            help=f"{param.help} (default {param.default})",
        )


def build_parser() -> Parser:
    parser = Parser(prog="parbench", description=__doc__)
    parser.add_argument(
        "--plugin",
        action="append",
        metavar="FILE|MODULE",
        help="also load the problems of this plug-in (docs/plugins.md); repeatable, and allowed "
        "anywhere on the command line. Installed plug-ins (entry points) load by themselves",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)
    problems = "\n".join(
        f"  {p.name:<11} {p.summary}\n{'':<14}options: {' '.join(q.option for q in p.params)}"
        for p in registry.PROBLEMS.values()
    )
    variants = "\n".join(f"  {v.name:<18} {v.summary}" for v in registry.VARIANTS.values())
    run = commands.add_parser(
        "run",
        help="run one problem with one variant",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run PROBLEM with VARIANT; `parbench run PROBLEM --help` lists its options.",
        epilog=f"problems:\n{problems}\n\nvariants:\n{variants}\n\n"
        "mpi runs start under a launcher: mpiexec -n N parbench run PROBLEM mpi ...",
    )
    per_problem = run.add_subparsers(dest="problem", metavar="PROBLEM", required=True, parser_class=Parser)
    for problem in registry.PROBLEMS.values():
        add_run_options(per_problem.add_parser(problem.name, help=problem.summary), problem)
    check = commands.add_parser("verify", help="compare a result with the serial reference")
    check.add_argument("result", metavar="RESULT")
    check.add_argument("reference", metavar="REFERENCE")
    commands.add_parser("list", help="print the problems, variants and kernels as JSON")
    generate = commands.add_parser("generate", help="write the input dataset of a problem that reads one")
    per_dataset = generate.add_subparsers(
        dest="problem", metavar="PROBLEM", required=True, parser_class=Parser
    )
    for problem in registry.PROBLEMS.values():
        if problem.dataset_params:
            add_generate_options(per_dataset.add_parser(problem.name, help=problem.summary), problem)
    parser.study_handlers = results_commands.add_commands(commands)
    parser.study_handlers.update(report_commands.add_commands(commands))
    parser.study_handlers.update(reproduce_commands.add_commands(commands))
    return parser


def run_command(args) -> int:
    problem = registry.problem(args.problem)
    request = RunRequest(
        problem=args.problem,
        variant=args.variant,
        out=args.out,
        params={p.name: getattr(args, p.name) for p in problem.params + COMMON_PARAMS},
        kernel=args.kernel,
        workers=args.workers,
        timing_log=args.timing_log,
        force=args.force,
        options={"master": args.master, "scheduler_file": args.scheduler_file},
    )
    record = execute(request)
    if record is not None:
        phases = record["phases"]
        print(
            f"{record['problem']} {record['variant']} kernel={record['kernel']} workers={record['workers']}: "
            f"compute {phases['compute']:.3f} s, total {phases['total']:.3f} s -> {record['output']}"
        )
    return 0


def verify_command(args) -> int:
    try:
        record = verify(args.result, args.reference)
    except Mismatch as mismatch:
        print(f"parbench: MISMATCH {args.result} vs {args.reference}: {mismatch}", file=sys.stderr)
        return 1
    run = f"{record['variant']}, {record['kernel']}, {record['workers']} workers"
    print(f"OK {args.result} ({run}) matches {args.reference}")
    return 0


def generate_command(args) -> int:
    problem = registry.problem(args.problem)
    values = {p.name: getattr(args, p.name) for p in problem.dataset_params + COMMON_PARAMS}
    summary = problem.generate(values, args.out, force=args.force)
    print(f"{problem.name} dataset: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    return 0


def list_command(args) -> int:
    print(json.dumps(registry.describe(), indent=2))
    return 0


def plugin_arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    """Takes every `--plugin WHERE` (or `--plugin=WHERE`) out of the arguments, wherever it
    stands: the plug-ins must load before the parser, whose choices of problem they extend."""
    named, rest, args = [], [], iter(argv)
    for arg in args:
        if arg == "--plugin":
            where = next(args, None)
            if where is None or where.startswith("-"):
                raise UsageError("--plugin", "needs a file or module name")
            named.append(where)
        elif arg.startswith("--plugin="):
            named.append(arg.partition("=")[2])
        else:
            rest.append(arg)
    return named, rest


def main(argv: list[str] | None = None) -> int:
    try:
        named, argv = plugin_arguments(sys.argv[1:] if argv is None else list(argv))
        plugin_loader.load(named)
        parser = build_parser()
        args = parser.parse_args(argv)
        return {
            **parser.study_handlers,
            "run": run_command,
            "verify": verify_command,
            "list": list_command,
            "generate": generate_command,
        }[args.command](args)
    except UsageError as error:
        if error.during_work and launch.mpi_job_size() > 1:
            # Found on one rank while the others may wait in a collective: end the whole job.
            launch.abort_mpi_job(f"parbench: error: {error}", 2)
        if launch.launcher_rank() == 0:
            print(f"parbench: error: {error}", file=sys.stderr)
        return 2
    except BaseException:
        if launch.mpi_job_size() > 1:
            launch.abort_mpi_job(traceback.format_exc(), 1)
        raise
