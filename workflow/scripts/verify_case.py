"""The verify rule: every run of one case against its serial reference, in one process. Run by
Snakemake's `script:` directive, so the case's list of runs never reaches a command line."""

from parbench.study import check

snakemake = globals()["snakemake"]  # set by Snakemake's script directive

with open(snakemake.log[0], "w", encoding="utf-8") as log:
    check.check_case(snakemake.params.runs, snakemake.output[0], log=log)
