"""`parbench compare` and `parbench export`: the reproduction's subcommands.

parbench compare REPORTED --timings CSV --runs CSV --log JSONL --out-dir DIR [--cores N --nodes N]
    judge a finished study's runs against a reported study (the workflow's `reproduction` rule;
    also any two studies: export one, compare the other's tables with it)
parbench export --runs CSV --log JSONL --name NAME --out FILE.yaml
    write a finished study out as a reported study
"""

from __future__ import annotations

import os
from pathlib import Path

from parbench.errors import UsageError
from parbench.planning import plan


def add_commands(commands) -> dict:
    compare = commands.add_parser("compare", help="judge a finished study against a reported study")
    compare.add_argument("reported", type=Path, metavar="REPORTED", help="the reported-study file (YAML)")
    compare.add_argument("--timings", required=True, type=Path, help=f"{plan.TIMINGS} of the study")
    compare.add_argument("--runs", required=True, type=Path, help=f"{plan.RUNS} of the study")
    compare.add_argument("--log", required=True, type=Path, help=f"{plan.TIMINGS_LOG} of the study")
    compare.add_argument("--out-dir", required=True, type=Path, help="where NAME.csv, .json and .png go")
    compare.add_argument("--cores", type=int, default=os.cpu_count(), help="cores the study could use")
    compare.add_argument("--nodes", type=int, default=1, help="nodes the study could use")

    export = commands.add_parser("export", help="write a finished study out as a reported study")
    export.add_argument("--runs", required=True, type=Path, help=f"{plan.RUNS} of the study")
    export.add_argument("--log", required=True, type=Path, help=f"{plan.TIMINGS_LOG} of the study")
    export.add_argument("--name", required=True, help="the reported study's name (letters, digits, _ and -)")
    export.add_argument("--title", default=None, help="one line for the report (default: the name)")
    export.add_argument(
        "--tolerance",
        nargs=2,
        type=float,
        metavar=("LOWER", "UPPER"),
        default=None,
        help="relative bounds of every exported figure (default -0.25 0.25)",
    )
    export.add_argument("--out", required=True, type=Path, help="the YAML file to write")
    return {"compare": compare_command, "export": export_command}


def need_files(*paths: Path) -> None:
    for path in paths:
        if not path.is_file():
            raise UsageError(str(path), "no such file (a finished study's results/ has it)")


def compare_command(args) -> int:
    from parbench.reproduce import outputs, plan, reported

    try:
        study = reported.load(args.reported)
    except reported.ReportedStudyError as error:
        raise UsageError("REPORTED", str(error)) from None
    need_files(args.timings, args.runs)
    if args.cores < 1 or args.nodes < 1:
        raise UsageError("--cores", "cores and nodes must be >= 1")
    place = plan.Place(args.cores, args.nodes)
    result = outputs.comparison(study, place, args.timings, args.runs, args.log)
    paths = outputs.write(result, study, args.out_dir)
    headline = result["summary"]["headline"]
    for warning in result["summary"]["warnings"]:
        print(f"parbench: warning: {warning}")
    print(
        f"{study.name}: {headline['verdict']} "
        f"({headline['not_comparable']} points not comparable here) -> {paths['table']}"
    )
    if headline["changes"]:
        counts = ", ".join(f"{n} {change}" for change, n in headline["changes"].items())
        print(f"{study.name}: against its repeats, this study's points are {counts} (docs/statistics.md)")
    return 0


def export_command(args) -> int:
    from parbench.reproduce import export, reported

    need_files(args.runs, args.log)
    tolerance = None
    if args.tolerance:
        lower, upper = args.tolerance
        if not (-1 <= lower <= 0 <= upper):
            raise UsageError("--tolerance", f"needs -1 <= LOWER <= 0 <= UPPER, got {lower} {upper}")
        tolerance = {"lower": lower, "upper": upper}
    data = export.export(args.log, args.runs, args.name, args.title or args.name, tolerance)
    reported.validate(data, args.out)  # what is written must load again
    export.write(data, args.out)
    print(f"exported {len(data['series'])} series to {args.out}")
    return 0
