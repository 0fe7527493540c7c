# Helpers shared by the rules: the validated study, its runs, their paths and options.
import copy
import functools
import re

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from parbench import registry, requests, workflow_start
from parbench.errors import UsageError
from parbench.planning import config as study_config
from parbench.planning import plan
from parbench.planning.verification import Verification
from parbench.planning import schema as config_schema
from parbench.plugins import loader as plugin_loader
from parbench.reproduce import outputs as reproduce_outputs
from parbench.results import check
from parbench.results import collect as study_collect

# The config's schema, generated from parbench's registry (parbench.planning.schema) and committed;
# found from this file, wherever the workflow is (a checkout, or a deploying project's module).
CONFIG_SCHEMA = workflow.source_path("../schemas/config.schema.yaml")

# The problems of the config's plug-ins (and of installed ones) join the registry first: the
# schema, the wildcards and every rule below know them as they know parbench's own.
try:
    PLUGINS = plugin_loader.load_configured(config)
except UsageError as error:
    raise WorkflowError(f"parbench: error: {error}") from None
if PLUGINS:
    CONFIG_SCHEMA = plugin_loader.schema_file(config_schema.text())


def checked_config(config):
    """`config` validated by Snakemake against the schema, defaults filled in, then checked for
    what a schema cannot say. A failure lists every error, each naming its key."""
    checked = copy.deepcopy(config)
    try:
        validate(checked, CONFIG_SCHEMA)
    except WorkflowError:
        raise study_config.explain_all(
            config, study_config.load_schema(CONFIG_SCHEMA)
        ) from None
    study_config.check_semantics(checked)
    return checked


def validated_study(config):
    """The study the config asks for (parbench.workflow_start.planned_study), or a WorkflowError
    that says what is wrong and where, before any job."""
    # --cores of a local run; a cluster profile sets --jobs instead, and its allocation is what
    # reproduce_cores says.
    local_cores = workflow.resource_settings.cores if workflow.nodes is None else None
    try:
        return workflow_start.planned_study(
            config, checked_config, local_cores, workflow.is_main_process, logger.info
        )
    except workflow_start.StudyRefused as error:
        raise WorkflowError(str(error)) from None


def lock_study():
    """parbench's lock of the study (parbench.workflow_start.lock_study)."""
    try:
        workflow_start.lock_study(
            workflow.is_main_process,
            workflow.output_settings.dryrun,
            logger.info,
            logger.warning,
        )
    except workflow_start.StudyRefused as error:
        raise WorkflowError(str(error)) from None


def alternatives(names):
    return "|".join(re.escape(name) for name in names)


ALL_KERNELS = {
    kernel: None
    for problem in registry.describe()["problems"].values()
    for kernel in config_schema.problem_kernels(problem)
}
VARIANTS_BY_LAUNCHER = {
    launcher: alternatives(
        v.name for v in registry.VARIANTS.values() if v.launcher == launcher
    )
    for launcher in ("python", "mpi")
}
# Variants whose runs across nodes start their cluster with parbench.launchers (dask, spark).
CLUSTER_VARIANTS = alternatives(
    v.name
    for v in registry.VARIANTS.values()
    if v.across_nodes and v.launcher == "python"
)


wildcard_constraints:
    problem=alternatives(registry.PROBLEMS),
    kernel=alternatives(ALL_KERNELS),
    variant=alternatives(registry.VARIANTS),
    size=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    workers=r"[1-9][0-9]*",
    # Empty on one node, -nN across N >= 2 nodes (plan.span): run_cluster and run_mpi only.
    span=r"(?:-n(?:[2-9]|[1-9][0-9]+))?",
    repeat=r"[1-9][0-9]*",
    scale=r"[1-9][0-9]*",
    part=r"[1-9][0-9]*",


def limit_timed_jobs():
    """Timed jobs (runs, references, datasets) each hold one slot of the global `timed`
    resource. Its limit is config max_timed_jobs (1: measurements never overlap), unless
    `--resources timed=N` set one."""
    if "timed" not in workflow.global_resources:
        workflow.register_resource("timed", STUDY.config["max_timed_jobs"])


def run_of(wildcards):
    return STUDY.run_from(wildcards)


def run_nodes(wildcards):
    """The nodes a run spans, for the SLURM `nodes` resource; None (not set) on one node, where
    SLURM places the tasks wherever they fit."""
    nodes = run_of(wildcards).nodes
    return nodes if nodes > 1 else None


def cluster_network():
    """The launcher's option for config network_interface (Dask and Spark across nodes)."""
    interface = STUDY.config.get("network_interface")
    return f"--interface {interface} " if interface else ""


def run_mem_mb(wildcards, attempt):
    """The run's memory request (sbatch --mem): its problem's need with headroom, growing with
    the retry attempt, at most a node (parbench.requests)."""
    need = requests.run_need(STUDY, run_of(wildcards))
    return requests.mem_mb(need, attempt, requests.node_mb(STUDY))


def run_runtime(wildcards, attempt):
    """The run's time limit in minutes (SLURM --time), from its problem's work (requests.py)."""
    return requests.run_runtime(STUDY, run_of(wildcards), attempt)


def reference_runtime(wildcards, attempt):
    w = wildcards
    return requests.reference_runtime(
        STUDY, w.problem, w.size, w.kernel, int(w.scale), attempt
    )


def serial_mem_mb(problem, size, kernel, scale, attempt):
    need = requests.reference_need(STUDY, problem, size, kernel, int(scale))
    return requests.mem_mb(need, attempt, requests.node_mb(STUDY))


def reference_mem_mb(wildcards, attempt):
    w = wildcards
    return serial_mem_mb(w.problem, w.size, w.kernel, w.scale, attempt)


def dataset_mem_mb(wildcards, attempt):
    """Generating a dataset holds about what the serial run holds: one partition at a time."""
    w = wildcards
    kernel = registry.problem(w.problem).default_kernel
    return serial_mem_mb(w.problem, w.size, kernel, w.scale, attempt)


def run_options(wildcards):
    run = run_of(wildcards)
    return STUDY.run_options(run.problem, run.size, run.scale)


def reference_options(wildcards):
    return STUDY.run_options(wildcards.problem, wildcards.size, int(wildcards.scale))


def dataset_options(wildcards):
    return STUDY.dataset_options(
        wildcards.problem, wildcards.size, int(wildcards.scale)
    )


def run_dataset(wildcards):
    """The generated dataset a run reads, for problems that have one."""
    if not STUDY.needs_dataset(wildcards.problem):
        return {}
    scale = (
        int(wildcards.scale) if "scale" in wildcards.keys() else run_of(wildcards).scale
    )
    return {"dataset": STUDY.dataset_dir(wildcards.problem, wildcards.size, scale)}


@functools.cache
def verification():
    """The study's verification plan (parbench.planning.verification), worked out once."""
    return Verification(STUDY)


def case_of(wildcards):
    return plan.CASE.format(
        problem=wildcards.problem, size=wildcards.size, kernel=wildcards.kernel
    )


def part_inputs(wildcards):
    return verification().part_inputs(case_of(wildcards), int(wildcards.part))


def part_description(wildcards):
    return verification().part_description(case_of(wildcards), int(wildcards.part))


def case_parts(wildcards):
    return verification().part_statuses(case_of(wildcards))


def collected_cases():
    return verification().case_statuses()


def missing_runs():
    return verification().missing_runs()


def reproduction_outputs():
    """With --config reproduce=FILE: the comparison's table, summary and figure."""
    reported = getattr(STUDY, "reported", None)
    if reported is None:
        return {}
    return {
        key: f"{plan.REPRODUCTION_DIR}/{template.format(name=reported.name)}"
        for key, template in reproduce_outputs.TEMPLATES.items()
    }


def final_targets():
    return [
        *reproduction_outputs().values(),
        plan.REPORT_HTML,
        plan.VERIFICATION,
        plan.REPORT_ITEMS,
    ]
