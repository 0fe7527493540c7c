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
    """The static schema with the registry's names filled into its enums."""
    description = description or registry.describe()
    schema = copy.deepcopy(schema)
    defs = schema["$defs"]
    defs["variant"]["enum"] = list(description["variants"])
    defs["problem_name"]["enum"] = list(description["problems"])
    kernels = {k: None for p in description["problems"].values() for k in p["kernels"]}
    defs["kernel"]["enum"] = list(kernels)
    return schema


def problem_params(entry: dict) -> dict:
    """A problem's run parameters and, for problems that generate a dataset, its dataset's."""
    return {**entry.get("dataset_params", {}), **entry["params"]}


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


def errors_of(validator: Draft202012Validator, instance, prefix=()) -> list[str]:
    found = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    messages = []
    for error in found:
        # A bad key name (propertyNames) is reported at its parent, with the name as the value.
        error.path.extendleft(reversed(prefix))
        messages.append(explain(error))
    return messages


def semantic_errors(config: dict, description: dict) -> list[str]:
    """What a schema cannot say: per-problem kernels and parameters, and cross references."""
    messages = []
    problems = description["problems"]
    seen = set()
    for i, entry in enumerate(config["problems"]):
        name = entry["name"]
        info = problems[name]
        if name in seen:
            messages.append(f"problems[{i}].name: {name!r} is listed twice")
        seen.add(name)
        for j, kernel in enumerate(entry["kernels"]):
            if kernel not in info["kernels"]:
                messages.append(
                    f"problems[{i}].kernels[{j}]: {kernel!r} is not a kernel of {name}; "
                    f"choose from: {', '.join(info['kernels'])}"
                )
        validator = Draft202012Validator(size_schema(info))
        for size, values in entry["sizes"].items():
            messages += errors_of(validator, values, ("problems", i, "sizes", size))
        integer_params = [p for p, spec in problem_params(info).items() if spec["type"] == "int"]
        for j, param in enumerate(entry.get("scale_with_workers", [])):
            if param not in integer_params:
                messages.append(
                    f"problems[{i}].scale_with_workers[{j}]: {param!r} is not an integer parameter "
                    f"of {name}; choose from: {', '.join(integer_params)}"
                )
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
            for k, kernel in enumerate(override.get("kernels", [])):
                if kernel not in problems[name]["kernels"]:
                    messages.append(
                        f"overrides[{i}].kernels[{k}]: {kernel!r} is not a kernel of {name}; "
                        f"choose from: {', '.join(problems[name]['kernels'])}"
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
