# The report: results/report/index.html (interactive, opens offline), and every figure (SVG) and
# table (CSV) as results/report/items/PROBLEM/ITEM for `snakemake --report`, one category per
# problem. Titles, captions and groups come from one list, parbench.report.items.
from parbench.report import items as report_items


rule html_report:
    input:
        **reproduction_outputs(),
        # With --config reproduce=FILE: the comparison, for the Reproduction section.
        **plan.COLLECTED,
    output:
        html=plan.REPORT_HTML,
        figures_and_tables=report(
            directory(plan.REPORT_ITEMS),
            patterns=["{problem}/{item}.svg", "{problem}/{item}.csv"],
            caption="../report/item.rst",
            category=report_items.category,
            subcategory=report_items.subcategory,
            labels=report_items.labels,
        ),
    log:
        "logs/report.log",
    conda:
        "../../envs/report.yaml"
    params:
        scaling=STUDY.config["scaling"],
        captions=report_items.captions(),
        plugins=STUDY.plugin_options(),
        reproduction=(
            f"--reproduction {plan.REPRODUCTION_DIR}" if reproduction_outputs() else ""
        ),
    shell:
        "python -m parbench report --timings {input.timings} --worker-busy {input.worker_busy} "
        "--runs {input.runs} --log {input.log} --scaling {params.scaling} "
        "--title 'parbench study ({params.scaling} scaling)' --html {output.html} "
        "--items-dir {output.figures_and_tables} {params.reproduction}{params.plugins} > {log} 2>&1"
