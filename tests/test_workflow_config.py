"""The study config: the shipped configs validate, bad ones fail before any job runs, naming the
key and the allowed values."""

from __future__ import annotations

import copy

import pytest
import yaml

from parbench import registry
from parbench.errors import UsageError
from parbench.planning import config as study_config
from parbench.planning import schema as config_schema
from parbench.planning.plan import Study
from workflow_cases import DEFAULT, PRESETS, ROOT, output_of, snakemake

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def load(path) -> dict:
    return yaml.safe_load(path.read_text())


def test_committed_schema_is_the_one_the_registry_generates():
    assert SCHEMA.read_text(encoding="utf-8") == config_schema.text(), (
        "workflow/schemas/config.schema.yaml is out of date: run `make schema`"
    )
    defs = load(SCHEMA)["$defs"]
    assert defs["variant"]["enum"] == list(registry.VARIANTS)
    assert defs["problem_name"]["enum"] == list(registry.PROBLEMS)


def test_snakemakes_validate_accepts_the_shipped_configs_and_fills_the_defaults():
    """The workflow validates with snakemake.utils.validate on the committed file: its $refs
    resolve there, and the defaults (overrides, allow_missing) come from the schema."""
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    for path in [DEFAULT, *PRESETS]:
        config = load(path)
        config.pop("allow_missing", None)
        validate(config, str(SCHEMA))
        assert config["allow_missing"] is False and "overrides" in config, path
    bad = load(DEFAULT) | {"variants": ["openmp"]}
    with pytest.raises(WorkflowError, match="openmp"):
        validate(bad, str(SCHEMA))


@pytest.mark.parametrize("path", [DEFAULT, *PRESETS], ids=lambda p: p.stem)
def test_shipped_configs_validate_and_plan_runs(path):
    study = Study(study_config.load(path, SCHEMA))
    runs = study.runs()
    assert runs
    assert {r.variant for r in runs} <= set(registry.VARIANTS)
    assert all(r.workers == 1 for r in runs if r.variant == "serial")


def test_default_study_covers_every_variant_and_the_gil_panel():
    runs = Study(study_config.load(DEFAULT, SCHEMA)).runs()
    assert {r.variant for r in runs} == set(registry.VARIANTS)
    threads = {r.kernel for r in runs if r.variant == "threads" and r.problem == "mandelbrot"}
    assert {"python", "numba"} <= threads
    assert {r.repeat for r in runs if r.variant == "spark"} == {1}  # the override


def test_a_problem_runs_its_own_variants_and_asyncio_only_the_io_bound_one():
    runs = Study(study_config.load(DEFAULT, SCHEMA)).runs()
    per_problem = {}
    for r in runs:
        per_problem.setdefault(r.problem, set()).add(r.variant)
    assert per_problem.pop("fetch") == {"serial", "threads", "processes", "asyncio"}
    cpu_bound = set(registry.VARIANTS) - {"asyncio"}
    assert all(variants == cpu_bound for variants in per_problem.values()), per_problem
    assert {r.workers for r in runs if r.problem == "fetch" and r.variant == "asyncio"} == {2, 8}


def test_weak_scaling_grows_the_size_with_the_workers():
    study = Study(study_config.load(ROOT / "config" / "presets" / "weak-scaling.yaml", SCHEMA))
    four = next(r for r in study.runs() if r.problem == "pi" and r.workers == 4)
    assert four.scale == 4
    assert "--samples 200000000" in study.run_options("pi", four.size, four.scale)
    assert study.reference(four).endswith("/x4.h5")


def test_runs_across_nodes_are_planned_for_mpi_dask_and_spark_only():
    config = load(DEFAULT) | {
        "variants": ["threads", "mpi", "dask", "spark"],
        "workers": [1, 2, 4],
        "nodes": 2,
    }
    config["overrides"] = [{"variants": ["spark"], "workers_per_node": 1}]
    study = Study(study_config.validate(config, SCHEMA))
    nodes = {(r.variant, r.workers): r.nodes for r in study.runs() if r.problem == "pi"}
    assert {w: nodes["threads", w] for w in (1, 2, 4)} == {1: 1, 2: 1, 4: 1}  # threads: one node
    assert {w: nodes["dask", w] for w in (1, 2, 4)} == {1: 1, 2: 2, 4: 2}  # never more nodes than workers
    assert {w: nodes["spark", w] for w in (1, 2, 4)} == {1: 1, 2: 2, 4: 4}  # workers_per_node 1
    run = next(r for r in study.runs() if r.problem == "pi" and r.variant == "mpi" and r.workers == 4)
    assert run.id == "pi/small/numpy/mpi/w4-n2-r1" and study.run_from({**vars(run), "span": "-n2"}) == run
    # A path this study does not plan (4 ranks on 3 nodes) is refused, never run as asked.
    with pytest.raises(UsageError, match="pi/small/numpy/mpi/w4-n3-r1 is not a run of this study"):
        study.run_from({**vars(run), "span": "-n3"})


BAD = {
    # (what is changed, the key that must be named, words of the allowed values)
    "unknown problem": (lambda c: c["problems"][0].update(name="fft"), "problems[0].name", "mandelbrot"),
    "unknown variant": (lambda c: c["variants"].append("openmp"), "variants[", "futures-threads"),
    "unknown kernel": (
        lambda c: c["problems"][0].update(kernels=["cuda"]),
        "problems[0].kernels[0]",
        "numba",
    ),
    "workers zero": (lambda c: c.update(workers=[0, 2]), "workers[0]", ">= 1"),
    "workers negative": (lambda c: c.update(workers=[-2]), "workers[0]", ">= 1"),
    "empty variants": (lambda c: c.update(variants=[]), "variants", "must not be empty"),
    "empty workers": (lambda c: c.update(workers=[]), "workers", "must not be empty"),
    "repeats a string": (lambda c: c.update(repeats="two"), "repeats", "integer"),
    "workers a string": (lambda c: c.update(workers="1,2"), "workers", "array"),
    "unknown key": (lambda c: c.update(cores=4), "config", "allowed keys"),
    "size name with shell characters": (
        lambda c: c["problems"][0].update(sizes={"a;rm -rf x": {"width": 8}}),
        "problems[0].sizes",
        "not allowed",
    ),
    "launcher with shell characters": (
        lambda c: c.update(mpi_launcher="mpiexec; rm -rf ~"),
        "mpi_launcher",
        "not allowed",
    ),
    "unknown parameter": (
        lambda c: c["problems"][0]["sizes"]["small"].update(depth=3),
        "problems[0].sizes.small",
        "width",
    ),
    "parameter below its minimum": (
        lambda c: c["problems"][0]["sizes"]["small"].update(width=0),
        "problems[0].sizes.small.width",
        ">= 1",
    ),
    "parameter of the wrong type": (
        lambda c: c["problems"][0]["sizes"]["small"].update(width="wide"),
        "problems[0].sizes.small.width",
        "integer",
    ),
    "override naming an unknown size": (
        lambda c: c["overrides"].append({"variants": ["dask"], "sizes": ["huge"]}),
        "overrides[3].sizes[0]",
        "small",
    ),
    "nodes zero": (lambda c: c.update(nodes=0), "nodes", ">= 1"),
    "asyncio for every problem": (
        lambda c: c["variants"].append("asyncio"),
        "variants[8] (for problems[0], mandelbrot)",
        "asyncio does not run mandelbrot: it runs only I/O-bound problems (fetch)",
    ),
    "asyncio in a CPU-bound problem's own variants": (
        lambda c: c["problems"][1].update(variants=["serial", "asyncio"]),
        "problems[1].variants[1]",
        "asyncio does not run pi",
    ),
    "unknown variant in a problem's own variants": (
        lambda c: c["problems"][4].update(variants=["serial", "trio"]),
        "problems[4].variants[1]",
        "asyncio",
    ),
    "nodes and workers_per_node together": (
        lambda c: c["overrides"].append({"variants": ["mpi"], "nodes": 2, "workers_per_node": 4}),
        "overrides[3]",
        "set nodes or workers_per_node, not both",
    ),
    "unknown key in an override": (
        lambda c: c["overrides"].append({"variants": ["dask"], "threads": 4}),
        "overrides[3]",
        "allowed keys",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_config_names_the_key_and_the_allowed_values(case):
    change, key, allowed = BAD[case]
    config = copy.deepcopy(load(DEFAULT))
    change(config)
    with pytest.raises(study_config.StudyConfigError) as error:
        study_config.validate(config, SCHEMA)
    message = str(error.value)
    assert key in message and allowed in message, message


def test_snakemake_stops_on_a_bad_config_before_any_job(tmp_path):
    config = load(DEFAULT)
    config["problems"][0]["kernels"] = ["numpy", "fortran"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    done = snakemake(tmp_path / "study", "--cores", "1", configfile=bad)
    assert done.returncode != 0
    text = output_of(done)
    assert "problems[0].kernels[1]: 'fortran' is not allowed; choose from: python, numpy, numba" in text
    assert not (tmp_path / "study" / "results").exists()


@pytest.mark.parametrize("name", ["NA", "null", "None", "nan"])
def test_a_size_named_like_a_missing_value_is_refused(name):
    """pandas reads these back from results/runs.csv as NaN: the points would lose their size."""
    config = load(DEFAULT)
    entry = config["problems"][0]
    entry["sizes"] = {name: next(iter(entry["sizes"].values()))}
    with pytest.raises(study_config.StudyConfigError, match=rf"problems\[0\]\.sizes\.{name}: a size named"):
        study_config.validate(config, SCHEMA)
