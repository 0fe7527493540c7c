# Every run against the serial reference of the same problem, size and kernel (a case), in parts
# of plan.VERIFY_PART runs: each part job checks its runs in one process (a reference is read
# once, and no Python starts per run). A mismatch is recorded in the run's status (the report
# lists it), then the gate fails the workflow naming it. These run inside Snakemake (`run:`):
# their lists of runs never reach a command line, and with the profile's force-use-threads no
# process starts per job. (Not `script:`: Snakemake 9 cannot resolve a script's path in a
# workflow used as a module from a git source, as snakedeploy sets it up.)


# A case's parts run one after another (each waits for the previous part's status): Snakemake
# sizes every input of every ready job at each scheduling round, so parts all ready at once
# would cost it parts x runs file checks a round.
rule verify_part:
    input:
        unpack(part_inputs),
    output:
        plan.PART_STATUS,
    log:
        plan.PART_LOG,
    params:
        runs=part_description,
    run:
        with open(log[0], "w", encoding="utf-8") as handle:
            check.check_part(params.runs, output[0], log=handle)


# The case's status: its parts' joined (`--until verify` verifies every case).
rule verify:
    input:
        case_parts,
    output:
        plan.CASE_STATUS,
    log:
        plan.CASE_LOG,
    run:
        with open(log[0], "w", encoding="utf-8") as handle:
            check.join_parts(input, output[0], log=handle)


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
