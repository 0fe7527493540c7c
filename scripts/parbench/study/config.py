"""Validates a study config against workflow/schemas/config.schema.yaml, with the names of
problems, variants, kernels and parameters filled in from the registry. Every error names the key
and, where there is a choice, the allowed values, before any job runs."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from parbench import registry

JSON_TYPES = {"int": "integer", "float": "number", "str": "string", "bool": "boolean"}
# Sizes may set string parameters; they reach a shell command, so they get the same rule as names.
SAFE_STRING = "^[A-Za-z0-9_.,:=+-]*$"
DEFAULTS = {"overrides": [], "allow_missing": False}


class StudyConfigError(ValueError):
    """The config is invalid; the message lists every problem found, one per line."""


def load_schema(path) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def registry_schema(schema: dict, description: dict | None = None) -> dict:
    """The static schema with the registry's names filled in: the enums of variants, problems
    and kernels, and for each problem (if name is P, then ...) its own kernels, the parameters a
    size may set (typed, bounded) and the integer parameters weak scaling may grow."""
    description = description or registry.describe()
    schema = copy.deepcopy(schema)
    defs = schema["$defs"]
    defs["variant"]["enum"] = list(description["variants"])
    defs["problem_name"]["enum"] = list(description["problems"])
    kernels = {k: None for p in description["problems"].values() for k in problem_kernels(p)}
    defs["kernel"]["enum"] = list(kernels)
    defs["problem_entry"]["allOf"] = [
        {
            "if": {"properties": {"name": {"const": name}}, "required": ["name"]},
            "then": {"properties": problem_schema(problem)},
        }
        for name, problem in description["problems"].items()
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
        if spec.get("minimum") is not None:
            prop["minimum"] = spec["minimum"]
        if prop["type"] == "string":
            prop["pattern"] = SAFE_STRING
        properties[name] = prop
    return {"type": "object", "additionalProperties": False, "properties": properties}


def location(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "config"


def explain(error) -> str:
    """One line naming the key and what is allowed, for one jsonschema error."""
    where, kind, value = location(error.absolute_path), error.validator, error.instance
    schema = error.schema
    if kind == "enum":
        return f"{where}: {value!r} is not allowed; choose from: {', '.join(map(str, error.validator_value))}"
    if kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        extra = [key for key in value if key not in allowed]
        listed = ", ".join(allowed) or "none"
        return f"{where}: unknown key {', '.join(map(repr, extra))}; allowed keys: {listed}"
    if kind == "required":
        return f"{where}: {error.message}"
    if kind in ("minItems", "minProperties"):
        return f"{where}: must not be empty"
    if kind == "minimum":
        return f"{where}: must be >= {error.validator_value}, got {value!r}"
    if kind == "type":
        return f"{where}: must be of type {error.validator_value}, got {value!r}"
    if kind == "pattern":
        return (
            f"{where}: {value!r} has characters that are not allowed "
            f"(they could reach a shell); allowed pattern: {error.validator_value}"
        )
    if kind == "uniqueItems":
        return f"{where}: has repeated items {value!r}"
    return f"{where}: {error.message}"


def errors_of(validator: Draft202012Validator, instance) -> list[str]:
    # A bad key name (propertyNames) is reported at its parent, with the name as the value.
    found = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return list(dict.fromkeys(explain(error) for error in found))


def semantic_errors(config: dict, description: dict) -> list[str]:
    """What the schema cannot say: problems listed twice, nodes and workers_per_node set
    together, and overrides that name a problem, kernel or size the study does not have."""
    messages = []
    problems = description["problems"]
    seen = set()
    for i, entry in enumerate(config["problems"]):
        if entry["name"] in seen:
            messages.append(f"problems[{i}].name: {entry['name']!r} is listed twice")
        seen.add(entry["name"])
    # Both at one level would leave it unclear which one sets the nodes of a run.
    for where, level in [("config", config)] + [
        (f"overrides[{i}]", o) for i, o in enumerate(config.get("overrides", []))
    ]:
        if "nodes" in level and "workers_per_node" in level:
            messages.append(f"{where}: set nodes or workers_per_node, not both")
    selected = {entry["name"]: entry for entry in config["problems"]}
    for i, override in enumerate(config.get("overrides", [])):
        targets = override.get("problems", list(selected))
        for j, name in enumerate(targets):
            if name not in selected:
                messages.append(
                    f"overrides[{i}].problems[{j}]: {name!r} is not in this study's problems; "
                    f"choose from: {', '.join(selected)}"
                )
                continue
            allowed = problem_kernels(problems[name])
            for k, kernel in enumerate(override.get("kernels", [])):
                if kernel not in allowed:
                    messages.append(
                        f"overrides[{i}].kernels[{k}]: {kernel!r} is not a kernel of {name}; "
                        f"choose from: {', '.join(allowed)}"
                    )
            for k, size in enumerate(override.get("sizes", [])):
                if size not in selected[name]["sizes"]:
                    messages.append(
                        f"overrides[{i}].sizes[{k}]: {size!r} is not a size of {name}; "
                        f"choose from: {', '.join(selected[name]['sizes'])}"
                    )
    return messages


def validate(config: dict, schema_path, description: dict | None = None) -> dict:
    """Returns the config with defaults filled in, or raises StudyConfigError listing every error."""
    description = description or registry.describe()
    schema = registry_schema(load_schema(schema_path), description)
    messages = errors_of(Draft202012Validator(schema), config)
    if not messages:
        messages = semantic_errors(config, description)
    if messages:
        raise StudyConfigError("invalid study config:\n  " + "\n  ".join(messages))
    return {**copy.deepcopy(DEFAULTS), **copy.deepcopy(config)}


def load(config_path, schema_path) -> dict:
    """Reads and validates a config file (for tests and tools outside Snakemake)."""
    with open(Path(config_path), encoding="utf-8") as f:
        return validate(yaml.safe_load(f) or {}, schema_path)
