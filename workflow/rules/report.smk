# The self-contained HTML report; its figures and tables are also marked for `snakemake --report`.


rule html_report:
    input:
        timings="results/timings.csv",
        worker_busy="results/worker_busy.csv",
        runs="results/runs.csv",
        log="results/timings.jsonl",
    output:
        html="results/report/index.html",
        wall_time=report(
            "results/report/figures/wall_time.png",
            caption="../report/wall_time.rst",
            category="Scaling",
        ),
        speedup_efficiency=report(
            "results/report/figures/speedup_efficiency.png",
            caption="../report/speedup_efficiency.rst",
            category="Scaling",
        ),
        overheads=report(
            "results/report/figures/overheads.png",
            caption="../report/overheads.rst",
            category="Overheads",
        ),
        worker_busy=report(
            "results/report/figures/worker_busy.png",
            caption="../report/worker_busy.rst",
            category="Overheads",
        ),
        gil=report(
            "results/report/figures/gil.png",
            caption="../report/gil.rst",
            category="Threads and the GIL",
        ),
        serial_fraction=report(
            "results/report/figures/serial_fraction.png",
            caption="../report/serial_fraction.rst",
            category="Scaling",
        ),
        fastest=report(
            "results/report/tables/fastest.csv",
            caption="../report/fastest.rst",
            category="Summary",
        ),
        serial_fraction_table=report(
            "results/report/tables/serial_fraction.csv",
            caption="../report/serial_fraction_table.rst",
            category="Scaling",
        ),
        crossover=report(
            "results/report/tables/crossover.csv",
            caption="../report/crossover.rst",
            category="Overheads",
        ),
        points="results/report/tables/points.csv",
        problems=report(
            "results/report/tables/problems.csv",
            caption="../report/problems.rst",
            category="Summary",
        ),
    log:
        "logs/report.log",
    conda:
        "../../envs/report.yaml"
    params:
        scaling=STUDY.config["scaling"],
    shell:
        "python -m parbench report --timings {input.timings} --worker-busy {input.worker_busy} "
        "--runs {input.runs} --log {input.log} --scaling {params.scaling} "
        "--title 'parbench study ({params.scaling} scaling)' --html {output.html} "
        "--figures-dir results/report/figures --tables-dir results/report/tables > {log} 2>&1"
