"""The report's subcommand of `parbench`, which the workflow's html_report rule runs:

parbench report --timings CSV ... --html FILE             the HTML report (and --items-dir: its items)
"""

from __future__ import annotations

from pathlib import Path

from parbench.results.commands import add_table_options


def add_commands(commands) -> dict:
    """Adds the subcommand to `parbench`'s parser; returns its handler by name."""
    report = commands.add_parser("report", help="workflow: figures, tables and the HTML report")
    add_table_options(report)
    report.add_argument("--scaling", choices=("strong", "weak"), default="strong")
    report.add_argument("--html", required=True, type=Path)
    report.add_argument(
        "--items-dir", type=Path, help="each figure (SVG) and table (CSV) as a file, for snakemake --report"
    )
    report.add_argument("--title", default="parbench study")
    report.add_argument(
        "--reproduction", type=Path, help="folder of comparisons with reported studies (parbench compare)"
    )
    return {"report": report_command}


def report_command(args) -> int:
    from parbench.report import page

    tables = {"timings": args.timings, "worker_busy": args.worker_busy, "runs": args.runs}
    page.write(
        tables, args.log, args.scaling == "weak", args.html, args.items_dir, args.title, args.reproduction
    )
    print(f"report: {args.html}")
    return 0
