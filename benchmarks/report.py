"""How long the report takes for a study at cluster scale: a synthetic study (parbench.report.synthetic)
of 8 variants x 4 problems x 2 kernels x 10 worker counts (1 to 512, 32 to a node) x 3 repeats,
written as the collected tables, then `parbench report` as the workflow runs it, timed in its parts:
reading and analysing the tables, building the page, writing the page, and the SVG and CSV copies
for `snakemake --report`. The target is under a minute in all; the page's size is printed too.

    .venv/bin/python benchmarks/report.py [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from parbench.report import page as report_page
from parbench.report import synthetic
from parbench.results import collect

TARGET_S = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, help="keep the study's tables and report here")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="parbench-report-"))
    out.mkdir(parents=True, exist_ok=True)
    study = synthetic.study()
    paths = {name: out / f"{name}.csv" for name in ("timings", "worker_busy", "runs")}
    collect.write(study, paths["timings"], paths["worker_busy"], paths["runs"], out / "timings.jsonl")
    print(f"synthetic study: {len(study['runs'])} runs, {len(study['worker_busy'])} worker rows in {out}")

    report_page.vega_bundle()  # the first report on a machine bundles Vega's JavaScript once (cached)
    seconds, cpu = {}, {}
    began, began_cpu = time.perf_counter(), time.process_time()
    tables = collect.read_tables(paths["timings"], paths["worker_busy"], paths["runs"])
    log = [json.loads(line) for line in (out / "timings.jsonl").read_text().splitlines()]
    page = report_page.build(tables, log, weak=False, title="parbench study (synthetic, 512 workers)")
    seconds["read and analyse"] = time.perf_counter() - began
    cpu["read and analyse"] = time.process_time() - began_cpu
    began, began_cpu = time.perf_counter(), time.process_time()
    text = report_page.render(page)
    seconds["build the page"] = time.perf_counter() - began
    cpu["build the page"] = time.process_time() - began_cpu
    began, began_cpu = time.perf_counter(), time.process_time()
    (out / "index.html").write_text(text, encoding="utf-8")
    seconds["write the page"] = time.perf_counter() - began
    cpu["write the page"] = time.process_time() - began_cpu
    began, began_cpu = time.perf_counter(), time.process_time()
    written = report_page.write_items(page, out / "items")
    seconds[f"{len(written)} SVG and CSV items"] = time.perf_counter() - began
    cpu[f"{len(written)} SVG and CSV items"] = time.process_time() - began_cpu
    total = sum(seconds.values())
    # CPU seconds beside wall seconds: on a busy shared machine the wall time is mostly waiting.
    print(f"  {'part':32s} {'wall':>7s} {'CPU':>7s}")
    for part, value in seconds.items():
        print(f"  {part:32s} {value:6.1f}s {cpu[part]:6.1f}s")
    share = f"{total / TARGET_S:.2f} of the {TARGET_S:.0f} s target"
    print(f"  {'total':32s} {total:6.1f}s {sum(cpu.values()):6.1f}s  ({share})")
    size = (out / "index.html").stat().st_size
    print(f"page: {out / 'index.html'}, {size / 1e6:.2f} MB, {len(page.charts)} charts")
    return 0 if total < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
