"""What the workflow does once, when Snakemake parses it, before any job: the study it plans
(the config checked, or the study that re-runs a reported one), the checks a plan allows before
any work (plug-ins probed, points too big for a node refused), and parbench's lock of the study.

workflow/rules/common.smk calls these with what Snakemake tells it; nothing here imports
Snakemake, so each step is a plain function a test can call.
"""

from __future__ import annotations

import atexit
import sys
from pathlib import Path

from parbench import requests
from parbench.errors import UsageError
from parbench.planning import locks, plan
from parbench.plugins import probe as plugin_probe
from parbench.reproduce import plan as reproduce_plan


class StudyRefused(Exception):
    """The study cannot start: the message says what is wrong and where (Snakemake shows it)."""


def planned_study(config: dict, check, local_cores: int | None, main_process: bool, log) -> plan.Study:
    """The validated config as a plan.Study; with `reproduce=FILE` in the config, the study that
    re-runs that reported study (parbench.reproduce). `check` validates a config (Snakemake's
    validation against the schema, then parbench's own checks) and returns it with its defaults;
    `local_cores` are the --cores of a local run (None on a cluster). Plug-ins are probed once,
    in Snakemake's main process only; `log` takes the notes a user should see."""
    from parbench.planning.config import StudyConfigError
    from parbench.reproduce.reported import ReportedStudyError

    reproduction = None
    try:
        if config.get("reproduce"):
            *reproduction, config = reproduce_plan.from_workflow_config(config, local_cores)
        checked = check(config)
    except (StudyConfigError, ReportedStudyError) as error:
        raise StudyRefused(str(error)) from None
    if reproduction:
        study = reproduce_plan.ReproductionStudy(checked, *reproduction)
    else:
        study = plan.Study(checked)
    if main_process:
        try:  # a plug-in's tasks and first result, once per size, before any job
            plugin_probe.probe_study(study)
        except UsageError as error:
            raise StudyRefused(f"parbench: error: {error}") from None
    too_big = requests.refused(study)
    if too_big:
        raise StudyRefused(
            "parbench: points of this study cannot fit a node's memory (config node_memory_mb; "
            "use smaller sizes, more nodes, or node_memory_mb of your nodes):\n  " + "\n  ".join(too_big)
        )
    for assumption in requests.assumed_estimates(study):
        log(f"parbench: {assumption} (docs/plugins.md)")
    skipped = list(study.skipped())
    if skipped:
        log(f"parbench: {len(skipped)} variant/kernel pairs left out (no such kernel): " + "; ".join(skipped))
    return study


def lock_study(main_process: bool, dryrun: bool, info, warning, argv=None) -> None:
    """One run of the study at a time, on whichever hosts share its directory: take parbench's
    lock before Snakemake takes its own, after removing the locks of a run that was killed on
    this host (so the same command resumes it), and release it when this process ends. A lock
    held elsewhere stops the run, saying how to check and release it (parbench.planning.locks).

    `--nolock` and `--unlock` are read from the command line (`argv`, default sys.argv): Snakemake
    sets its execution settings only after it parsed the workflow, and its `onstart` hook, which
    has them, runs after its own locks are taken and never for a workflow used as a module (as
    snakedeploy sets it up), so the lock cannot wait for either.
    """
    argv = sys.argv if argv is None else argv
    # --nolock: the user takes care that no other run uses the study.
    if not main_process or "--nolock" in argv:
        return
    if "--unlock" in argv:  # the user's word that no run of the study is left
        if locks.release():
            info("parbench: released the study's lock")
        return
    try:
        if dryrun:  # changes nothing: it only says who holds the lock
            holder = locks.holder()
            if holder is not None and locks.alive(holder):
                warning(locks.held_message(".", holder))
            return
        stale = locks.clear_stale()
        if stale is not None:
            warning(
                f"parbench: removed the locks of {stale.describe()}, which was killed; resuming the study"
            )
        me = locks.claim()
    except locks.StudyLocked as error:
        raise StudyRefused(str(error)) from None
    atexit.register(locks.release, Path.cwd(), me)
