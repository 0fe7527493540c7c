"""The verification gate: fails the workflow, naming every run that did not match its reference.
Runs after the report, so the report (which lists them too) exists when the study fails."""

import sys

from parbench.study import check

snakemake = globals()["snakemake"]  # set by Snakemake's script directive

failed, total = check.gate(snakemake.input.statuses, snakemake.output[0])
text = check.failure_text(failed, total) if failed else f"all {total} verified runs match their serial reference"
with open(snakemake.log[0], "w", encoding="utf-8") as log:
    print(text, file=log)
print(text, file=sys.stderr)
sys.exit(1 if failed else 0)
