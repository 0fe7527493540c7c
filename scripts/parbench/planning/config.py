"""Checks a study config: against workflow/schemas/config.schema.yaml (generated from the registry
by parbench.planning.schema), then for what a schema cannot say. Every error names the key and,
where there is a choice, the allowed values, before any job runs. The workflow validates with
Snakemake's own `validate` on the same file and explains a failure with `explain_all`."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from parbench import registry
from parbench.planning.schema import problem_kernels


class StudyConfigError(ValueError):
    """The config is invalid; the message lists every problem found, one per line."""


def load_schema(path) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


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
    if kind == "maximum":
        return f"{where}: must be <= {error.validator_value}, got {value!r}"
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


# Names the schema's pattern allows that pandas reads back from a CSV as a missing value (its
# default NA strings): a size so named would lose its points' labels in every table.
READ_AS_MISSING = ("NA", "NULL", "NaN", "None", "nan", "null")


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
    for i, entry in enumerate(config["problems"]):
        for size in entry.get("sizes", {}):
            if size in READ_AS_MISSING:
                messages.append(
                    f"problems[{i}].sizes.{size}: a size named {size!r} reads back as a missing "
                    "value from the study's tables (pandas); choose another name"
                )
    for i, entry in enumerate(config["problems"]):
        messages += variants_it_cannot_run(i, entry, config, problems)
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


def variants_it_cannot_run(i: int, entry: dict, config: dict, problems: dict) -> list[str]:
    """A variant that does not apply to a problem (asyncio to a CPU-bound one) is refused, never
    quietly left out: it names where the variant was asked for and where it does run."""
    name = entry["name"]
    own = "variants" in entry
    messages = []
    for j, variant in enumerate(entry["variants"] if own else config["variants"]):
        if variant in problems[name].get("variants", [variant]):
            continue
        where = f"problems[{i}].variants[{j}]" if own else f"variants[{j}] (for problems[{i}], {name})"
        runs = [p for p, spec in problems.items() if variant in spec.get("variants", [variant])]
        messages.append(
            f"{where}: {variant} does not run {name}: it runs only I/O-bound problems "
            f"({', '.join(runs) or 'none'}); name it in their own entries' `variants` instead"
        )
    return messages


def failure(messages: list[str]) -> StudyConfigError:
    return StudyConfigError("invalid study config:\n  " + "\n  ".join(messages))


def explain_all(config: dict, schema: dict) -> StudyConfigError:
    """Every way `config` breaks `schema`, one line each naming the key (Snakemake's `validate`
    reports only the first, in jsonschema's words)."""
    return failure(errors_of(Draft202012Validator(schema), config) or ["does not match the schema"])


def defaults(schema: dict) -> dict:
    """The top-level keys the schema gives a default (what Snakemake's `validate` fills in)."""
    return {key: spec["default"] for key, spec in schema["properties"].items() if "default" in spec}


def check_semantics(config: dict, description: dict | None = None) -> None:
    """Raises StudyConfigError for what the schema cannot say (see semantic_errors)."""
    messages = semantic_errors(config, description or registry.describe())
    if messages:
        raise failure(messages)


def validate(config: dict, schema_path, description: dict | None = None) -> dict:
    """Returns the config with defaults filled in, or raises StudyConfigError listing every error."""
    schema = load_schema(schema_path)
    if errors_of(Draft202012Validator(schema), config):
        raise explain_all(config, schema)
    check_semantics(config, description)
    return {**copy.deepcopy(defaults(schema)), **copy.deepcopy(config)}


def load(config_path, schema_path) -> dict:
    """Reads and validates a config file (for tests and tools outside Snakemake)."""
    with open(Path(config_path), encoding="utf-8") as f:
        return validate(yaml.safe_load(f) or {}, schema_path)
