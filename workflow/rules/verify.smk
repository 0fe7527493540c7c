# Every run against the serial reference of the same problem, size and kernel, one job per case
# (all the case's runs in one process: a reference is read once, and no Python starts per run).
# A mismatch is recorded in the run's status (the report lists it), then the gate fails the
# workflow naming it. Both are `script:` jobs: their lists of runs never reach a command line.


rule verify:
    input:
        unpack(case_inputs),
    output:
        plan.CASE_STATUS,
    log:
        plan.CASE_LOG,
    conda:
        "../../envs/parbench.yaml"
    params:
        runs=case_description,
    script:
        "../scripts/verify_case.py"


# Runs after the report, so the report (which lists the mismatches) exists when the study fails.
rule verification_gate:
    input:
        statuses=collected_cases(),
        report="results/report/index.html",
    output:
        "results/verification.txt",
    log:
        "logs/verification.log",
    conda:
        "../../envs/parbench.yaml"
    script:
        "../scripts/gate.py"
