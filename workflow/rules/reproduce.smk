# With --config reproduce=FILE: the reported study's figures against the measured runs, point by
# point (docs/reproduce.md). The report shows the result in its Reproduction section.


if reproduction_outputs():

    # Defined only with --config reproduce, so it says it is local here, not in localrules.
    rule reproduction:
        input:
            reported=config["reproduce"],
            timings="results/timings.csv",
            runs="results/runs.csv",
            log="results/timings.jsonl",
        output:
            **reproduction_outputs(),
        log:
            "logs/reproduction.log",
        localrule: True
        conda:
            "../../envs/report.yaml"
        params:
            cores=STUDY.place.cores,
            nodes=STUDY.place.nodes,
        shell:
            "python -m parbench compare {input.reported} --timings {input.timings} --runs {input.runs} "
            "--log {input.log} --cores {params.cores} --nodes {params.nodes} "
            "--out-dir results/reproduction > {log} 2>&1"
