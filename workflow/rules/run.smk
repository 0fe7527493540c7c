# The timed runs, one job per point, and the serial references they are verified against: one
# rule, `run`, and the three that differ from it only in how the program starts (run_mpi,
# run_cluster), or in what it runs (reference). Each job reserves as many cores as it has workers,
# and one slot of the global `timed` resource so that measurements never overlap (see limit_timed_jobs
# in common.smk).

# --force: Snakemake removes the outputs of a job before it reruns it; --force also replaces a
# result that Snakemake never recorded (a run killed between the rename and its bookkeeping).


# Threads, processes, futures, and Dask and Spark on one node: a plain process.
rule run:
    input:
        unpack(run_dataset),
    output:
        result=plan.RESULT,
        record=plan.RECORD,
    log:
        plan.RUN_LOG,
    benchmark:
        plan.RUN_BENCHMARK
    wildcard_constraints:
        variant=VARIANTS_BY_LAUNCHER["python"],
        span="(?:)",  # one node: runs across nodes are run_cluster's
    conda:
        "../../envs/parbench.yaml"
    threads: lambda wildcards: int(wildcards.workers)
    resources:
        timed=1,
        mem_mb=run_mem_mb,
        runtime=run_runtime,
    params:
        launcher="",
        variant="{variant} --workers {workers}",
        options=run_options,
    shell:
        "{params.launcher}python -m parbench run {wildcards.problem} {params.variant} "
        "--kernel {wildcards.kernel} {params.options} "
        "--out {output.result} --timing-log {output.record} --force > {log} 2>&1"


# MPI ranks are started by the `mpi` resource: config mpi_launcher (mpiexec) locally, srun in
# a SLURM profile. Rules with an `mpi` resource are not wrapped in srun, so the command calls it.
# A run across nodes (a -nN path) also asks for its `nodes`; srun spreads the ranks over them.
use rule run as run_mpi with:
    wildcard_constraints:
        variant=VARIANTS_BY_LAUNCHER["mpi"],
    resources:
        timed=1,
        mem_mb=run_mem_mb,
        runtime=run_runtime,
        mpi=STUDY.config["mpi_launcher"],
        # One task per rank; SLURM's plugin refuses MPI jobs of one task, so a 1-rank run
        # reserves 2 and starts 1 (the command passes -n WORKERS to the launcher).
        tasks=lambda wildcards: max(2, int(wildcards.workers)),
        nodes=run_nodes,
    params:
        launcher=lambda wildcards, resources: f"{resources.mpi} -n {wildcards.workers} ",


# Dask and Spark across nodes (config nodes or workers_per_node): parbench.launchers starts a
# scheduler or master in the job and one single-core worker per SLURM task with srun, then tears
# it all down. It runs its own srun steps, so the job has an `mpi` resource: the SLURM plugin
# wraps jobs without one in an srun of one task. Without SLURM (a local run) --or-local runs
# the command as it is, on a local cluster of this machine, and says so in the log.
use rule run as run_cluster with:
    wildcard_constraints:
        variant=CLUSTER_VARIANTS,
        span=r"-n[0-9]+",
    resources:
        timed=1,
        mem_mb=run_mem_mb,
        runtime=run_runtime,
        mpi="srun",
        nodes=run_nodes,
        tasks=lambda wildcards: int(wildcards.workers),
        cpus_per_task=1,
    params:
        launcher=lambda wildcards, resources: (
            f"python -m parbench.launchers {wildcards.variant} --workers {wildcards.workers} "
            f"--nodes {resources.nodes} {cluster_network()}--or-local --scratch logs/launchers -- "
        ),


# The serial reference of a problem, size and kernel (x{scale}: its size grown for weak scaling).
use rule run as reference with:
    output:
        result=plan.REFERENCE_RESULT,
        record=plan.REFERENCE_RECORD,
    log:
        plan.REFERENCE_LOG,
    benchmark:
        plan.REFERENCE_BENCHMARK
    wildcard_constraints:
        scale=r"[1-9][0-9]*",
    threads: 1
    resources:
        timed=1,
        mem_mb=reference_mem_mb,
        runtime=reference_runtime,
    params:
        variant=registry.BASELINE,
        options=reference_options,
