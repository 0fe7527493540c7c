# Every run against the serial reference of the same problem, size and kernel, one job per case
# (all the case's runs in one process: a reference is read once, and no Python starts per run).
# A mismatch is recorded in the run's status (the report lists it), then the gate fails the
# workflow naming it. Both run inside Snakemake (`run:`): their lists of runs never reach a
# command line, and with the profiles' force-use-threads no process starts per job. (Not
# `script:`: Snakemake 9 cannot resolve a script's path in a workflow used as a module from a git
# source, as snakedeploy sets it up.)


rule verify:
    input:
        unpack(case_inputs),
    output:
        plan.CASE_STATUS,
    log:
        plan.CASE_LOG,
    params:
        runs=case_description,
    run:
        with open(log[0], "w", encoding="utf-8") as handle:
            check.check_case(params.runs, output[0], log=handle)


# Runs after the report, so the report (which lists the mismatches) exists when the study fails.
rule verification_gate:
    input:
        statuses=collected_cases(),
        report=plan.REPORT_HTML,
    output:
        plan.VERIFICATION,
    log:
        "logs/verification.log",
    run:
        check.gate_job(input.statuses, output[0], log[0])
