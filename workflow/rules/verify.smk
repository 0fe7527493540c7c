# Every run against the serial reference of the same problem, size and kernel. A mismatch is
# recorded in the run's status (the report lists it), then the gate fails the workflow naming it.


rule verify:
    input:
        result=plan.RESULT,
        reference=reference_of,
    output:
        plan.STATUS,
    log:
        plan.STATUS_LOG,
    conda:
        "../../envs/parbench.yaml"
    params:
        run=run_description,
    shell:
        "python -m parbench check {input.result} {input.reference} --run {params.run:q} --status {output} "
        "> {log} 2>&1"


# Runs after the report, so the report (which lists the mismatches) exists when the study fails.
rule verification_gate:
    input:
        statuses=collected(plan.STATUS),
        report="results/report/index.html",
    output:
        "results/verification.txt",
    log:
        "logs/verification.log",
    conda:
        "../../envs/parbench.yaml"
    shell:
        "python -m parbench gate {input.statuses} --out {output} 2>&1 | tee {log}"
