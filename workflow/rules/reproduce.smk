# With --config reproduce=FILE: the reported study's figures against the measured runs, point by
# point (docs/reproduce.md). The report shows the result in its Reproduction section.


if reproduction_outputs():

    # Defined only with --config reproduce, so it says it is local here, not in localrules.
    rule reproduction:
        input:
            reported=config["reproduce"],
            timings=plan.TIMINGS,
            runs=plan.RUNS,
            log=plan.TIMINGS_LOG,
        output:
            **reproduction_outputs(),
        log:
            "logs/reproduction.log",
        localrule: True
        conda:
            "../../envs/report.yaml"
        params:
            out_dir=plan.REPRODUCTION_DIR,
            cores=STUDY.place.cores,
            nodes=STUDY.place.nodes,
            plugins=STUDY.plugin_options(),
        shell:
            "python -m parbench compare {input.reported} --timings {input.timings} --runs {input.runs} "
            "--log {input.log} --cores {params.cores} --nodes {params.nodes} "
            "--out-dir {params.out_dir}{params.plugins} > {log} 2>&1"
