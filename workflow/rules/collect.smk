# One tidy table of every verified run, phase and parameter, and the merged timing log. Only
# declared, finished inputs are read (the case status files name each run's files, which were
# the verify jobs' inputs): a run killed half-way is rerun, never collected. It runs inside
# Snakemake (`run:`, see verify.smk), so the list of files never reaches a command line.


rule collect:
    input:
        statuses=collected_cases(),
    output:
        **plan.COLLECTED,
    log:
        "logs/collect.log",
    params:
        missing=lambda wildcards: missing_runs(),
    run:
        study_collect.collect_job(input.statuses, params.missing, output, log[0])
