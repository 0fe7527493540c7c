# One tidy table of every verified run, phase and parameter, and the merged timing log. Only
# declared, finished inputs are read: a run killed half-way is rerun, never collected.


rule collect:
    input:
        statuses=collected(plan.STATUS),
        records=collected(plan.RECORD),
        benchmarks=collected(plan.RUN_BENCHMARK),
    output:
        timings="results/timings.csv",
        worker_busy="results/worker_busy.csv",
        runs="results/runs.csv",
        log="results/timings.jsonl",
    log:
        "logs/collect.log",
    conda:
        "../../envs/parbench.yaml"
    params:
        missing=lambda wildcards: " ".join(missing_runs()),
    shell:
        "python -m parbench collect {input.statuses} --missing {params.missing} --timings {output.timings} "
        "--worker-busy {output.worker_busy} --runs {output.runs} --log {output.log} > {log} 2>&1"
