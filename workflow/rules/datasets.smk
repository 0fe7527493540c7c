# Input datasets of the problems that read one (registry `dataset_params`), once per size and
# scale; generated before the runs that read them and shared by them.


rule dataset:
    output:
        directory(plan.DATASET_DIR),
    log:
        plan.DATASET_LOG,
    benchmark:
        plan.DATASET_BENCHMARK
    conda:
        "../../envs/parbench.yaml"
    threads: 1
    resources:
        # Generating a dataset loads the machine: it never overlaps a measurement.
        timed=1,
        mem_mb=dataset_mem_mb,
    params:
        options=dataset_options,
    shell:
        "python -m parbench generate {wildcards.problem} {params.options} --out {output} > {log} 2>&1"
