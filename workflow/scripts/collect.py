"""The collect rule: every verified run into the tidy tables and the merged timing log. Run by
Snakemake's `script:` directive, so the list of status files never reaches a command line."""

from contextlib import redirect_stdout

from parbench.study import collect

snakemake = globals()["snakemake"]  # set by Snakemake's script directive

with open(snakemake.log[0], "w", encoding="utf-8") as log, redirect_stdout(log):
    collected = collect.collect(snakemake.input.statuses, snakemake.params.missing)
    out = snakemake.output
    collect.write(collected, out.timings, out.worker_busy, out.runs, out.log)
    print(collect.summary(collected, out.timings))
