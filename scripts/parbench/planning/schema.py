"""The study config's JSON schema, generated from the registry: the names of problems, variants
and kernels, and for each problem the parameters a size may set (typed, bounded) and the integer
parameters weak scaling may grow. The workflow validates against the committed copy,
workflow/schemas/config.schema.yaml, which a test keeps equal to this; after adding a problem,
variant, kernel or parameter, or changing the structure below, write it again:

    python -m parbench.planning.schema > workflow/schemas/config.schema.yaml   # or: make schema
"""

from __future__ import annotations

import copy
import sys

import yaml

from parbench import registry

JSON_TYPES = {"int": "integer", "float": "number", "str": "string", "bool": "boolean"}
# Sizes may set string parameters; they reach a shell command, so they get the same rule as names.
SAFE_STRING = "^[A-Za-z0-9_.,:=+-]*$"
HEADER = (
    "# Generated from parbench's registry by `python -m parbench.planning.schema` (make schema): do not\n"
    "# edit; change parbench/planning/schema.py or the registry and write it again. The keys are\n"
    "# documented in config/README.md.\n"
)


def non_empty_list(items: dict) -> dict:
    return {"type": "array", "minItems": 1, "uniqueItems": True, "items": items}


def at_least_one(description: str | None = None) -> dict:
    schema = {"type": "integer", "minimum": 1}
    return {"description": description, **schema} if description else schema


STRUCTURE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "description": "A parbench study (config/README.md documents every key).",
    "type": "object",
    "additionalProperties": False,
    "required": ["scaling", "variants", "workers", "repeats", "problems", "mpi_launcher", "max_timed_jobs"],
    "properties": {
        "plugins": {
            "description": "plug-ins whose problems the study may run: files (sweep.py) or modules "
            "(docs/plugins.md); installed plug-ins (entry points) need no entry",
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "pattern": "^[A-Za-z0-9_./:+-]+$"},
            "default": [],
        },
        "scaling": {
            "description": "strong (fixed size, workers grow) or weak (the problem grows with the workers)",
            "type": "string",
            "enum": ["strong", "weak"],
        },
        "variants": {"description": "the variants to run", **non_empty_list({"$ref": "#/$defs/variant"})},
        "workers": {
            "description": "worker counts (serial always runs on 1)",
            **non_empty_list({"$ref": "#/$defs/workers"}),
        },
        "repeats": at_least_one("repetitions of every point, for the spread"),
        "problems": {
            "description": "the problems to run, with their kernels and sizes",
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/$defs/problem_entry"},
        },
        "overrides": {
            "description": "per-variant (and per-problem) changes to workers, repeats, kernels or sizes",
            "type": "array",
            "items": {"$ref": "#/$defs/override"},
            "default": [],
        },
        "nodes": {
            "description": "on SLURM, the nodes each mpi, dask and spark run spans (at most one a worker)",
            "$ref": "#/$defs/nodes",
        },
        "workers_per_node": {
            "description": "on SLURM, instead of nodes - a run of W workers spans ceil(W / this) nodes",
            "$ref": "#/$defs/workers_per_node",
        },
        "network_interface": {
            "description": "on SLURM, the network Dask and Spark clusters across nodes use (e.g. ib0)",
            "type": "string",
            "pattern": "^[A-Za-z0-9_.:-]+$",
        },
        "node_memory_mb": at_least_one(
            "memory of one node in MiB (default this machine's); points that need more are refused"
        ),
        "mpi_launcher": {
            "description": "how MPI ranks start locally; a profile's `mpi` resource replaces it",
            "type": "string",
            "pattern": "^[A-Za-z0-9_./=:, +-]+$",
        },
        "max_timed_jobs": at_least_one(
            "timed jobs allowed at once on this machine (1: measurements never overlap)"
        ),
        "allow_missing": {
            "description": "build the report from the runs that finished, listing the others as missing",
            "type": "boolean",
            "default": False,
        },
    },
    "$defs": {
        "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]*$"},
        "workers": at_least_one(),
        "nodes": at_least_one(),
        "workers_per_node": at_least_one(),
        "problem_entry": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "kernels", "sizes"],
            "properties": {
                "name": {"$ref": "#/$defs/problem_name"},
                "kernels": {
                    "description": "the problem's kernels (each problem's own are listed below)",
                    **non_empty_list({"type": "string"}),
                },
                "sizes": {
                    "description": "named parameter sets (each problem's parameters are listed below)",
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"$ref": "#/$defs/name"},
                    "additionalProperties": {"type": "object"},
                },
                "variants": {
                    "description": "the variants this problem runs, instead of the study's variants "
                    "(asyncio runs only I/O-bound problems, such as fetch)",
                    **non_empty_list({"$ref": "#/$defs/variant"}),
                },
                "scale_with_workers": {
                    "description": "weak scaling only - integer parameters multiplied by the worker count",
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"type": "string"},
                },
            },
        },
        "override": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "variants": non_empty_list({"$ref": "#/$defs/variant"}),
                "problems": non_empty_list({"$ref": "#/$defs/problem_name"}),
                "workers": non_empty_list({"$ref": "#/$defs/workers"}),
                "repeats": at_least_one(),
                "nodes": {"$ref": "#/$defs/nodes"},
                "workers_per_node": {"$ref": "#/$defs/workers_per_node"},
                "kernels": non_empty_list({"$ref": "#/$defs/kernel"}),
                "sizes": non_empty_list({"$ref": "#/$defs/name"}),
            },
        },
    },
}


def generate(description: dict | None = None) -> dict:
    """The whole schema: the structure above with the registry's names filled in, and for each
    problem (if name is P, then ...) its own kernels, size parameters and scalable parameters."""
    description = description or registry.describe()
    schema = copy.deepcopy(STRUCTURE)
    defs = schema["$defs"]
    problems = description["problems"]
    kernels = {k: None for p in problems.values() for k in problem_kernels(p)}
    defs["variant"] = {"type": "string", "enum": list(description["variants"])}
    defs["problem_name"] = {"type": "string", "enum": list(problems)}
    # Every problem's kernels; overrides are checked against each problem's own after validation.
    defs["kernel"] = {"type": "string", "enum": list(kernels)}
    defs["problem_entry"]["allOf"] = [
        {
            "if": {"properties": {"name": {"const": name}}, "required": ["name"]},
            "then": {"properties": problem_schema(problem)},
        }
        for name, problem in problems.items()
    ]
    return schema


def problem_kernels(problem: dict) -> list[str]:
    """A problem's kernels, and those of variants that bring their own (Spark's `jvm`)."""
    found = dict.fromkeys(problem["kernels"])
    for kernels in problem.get("variant_kernels", {}).values():
        found.update(dict.fromkeys(kernels))
    return list(found)


def problem_params(problem: dict) -> dict:
    """The parameters a size may set: a problem's run parameters and, for problems that
    generate a dataset, its dataset's (the workflow passes `--dataset` itself)."""
    params = {**problem.get("dataset_params", {}), **problem["params"]}
    if problem.get("dataset_params"):
        params.pop("dataset", None)
    return params


def problem_schema(problem: dict) -> dict:
    integers = [name for name, spec in problem_params(problem).items() if spec["type"] == "int"]
    return {
        "kernels": {"items": {"enum": problem_kernels(problem)}},
        "sizes": {"additionalProperties": size_schema(problem)},
        "scale_with_workers": {"items": {"enum": integers}},
    }


def size_schema(problem: dict) -> dict:
    """The schema of one named size of `problem`: only its own parameters, typed and bounded."""
    properties = {}
    for name, spec in problem_params(problem).items():
        prop = {"type": JSON_TYPES.get(spec["type"], "string")}
        for bound in ("minimum", "maximum"):
            if spec.get(bound) is not None:
                prop[bound] = spec[bound]
        if prop["type"] == "string":
            prop["pattern"] = SAFE_STRING
        properties[name] = prop
    return {"type": "object", "additionalProperties": False, "properties": properties}


def text(description: dict | None = None) -> str:
    """The schema as the committed YAML file."""
    body = yaml.safe_dump(generate(description), sort_keys=False, width=100, allow_unicode=True)
    return HEADER + body


def main() -> None:
    sys.stdout.write(text())


if __name__ == "__main__":
    main()
