"""The code's shape: imports run one way (no module or package imports one that imports it back,
lazy imports inside functions included), every top-level package sits in a layer by role and
imports only from its own layer or those below (docs/architecture.md), and a variant package
lists approaches only."""

from __future__ import annotations

import ast
from pathlib import Path

from parbench import registry

SOURCES = Path(__file__).resolve().parent.parent / "scripts"
PACKAGE = SOURCES / "parbench"

# parbench's top-level packages and modules by role, the top layer first (docs/architecture.md).
LAYERS = [
    {"__main__", "cli", "workflow_start"},  # the `parbench` command, the workflow's start
    {"reproduce"},  # re-running reported studies and judging them
    {"report"},  # the numbers, the answer, the figures and the page
    {"results"},  # verification, the gate, collection
    {"planning"},  # what the workflow needs when Snakemake parses it
    {"runner", "launch", "provenance", "requests", "plugins"},  # one run of one variant
    {"registry"},  # the problems and variants, with every fact of each
    {"problems"},  # each problem's definition
    {"farm", "heat", "groupby", "fetch", "launchers", "frameworks"},  # the programs
    {"contracts"},  # what every problem and task farm is written against
    {"kernels"},  # the numerical kernels every variant shares
    {"errors", "params", "context", "timing", "output", "memory", "stats"},  # the base
]


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCES).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path, known: set[str]) -> set[str]:
    """The parbench modules a file imports anywhere in it (`from parbench import x` names
    module x when x is one)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in known}


def package_of(module: str, known: dict[str, Path]) -> str:
    """The folder a module sits in, as a dotted name (a package's __init__ belongs to it)."""
    return module if known[module].name == "__init__.py" else module.rpartition(".")[0]


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the list of nodes along it, or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def module_graph() -> dict[str, set[str]]:
    known = modules()
    graph = {}
    for name, path in known.items():
        # A package's __init__ is imported with any of its modules; that edge is no dependency.
        graph[name] = {t for t in imported(path, set(known)) if t != name and not name.startswith(f"{t}.")}
    return graph


def test_modules_import_one_way():
    found = cycle(module_graph())
    assert found is None, "import cycle: " + " -> ".join(found)


def test_packages_import_one_way():
    """Folders too: parbench.kernels must not use parbench.groupby while groupby uses the kernels."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for source, targets in module_graph().items():
        here = package_of(source, known)
        for target in targets:
            there = package_of(target, known)
            if here != there and not here.startswith(f"{there}.") and not there.startswith(f"{here}."):
                graph.setdefault(here, set()).add(there)
    found = cycle(graph)
    assert found is None, "package import cycle: " + " -> ".join(found)


def top_level(module: str) -> str:
    """The top-level package or module a module belongs to: parbench.groupby.variants.mpi is in
    groupby."""
    return module.split(".")[1] if "." in module else module


def top_level_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Imports between top-level packages, their subpackages counted as part of them."""
    collapsed: dict[str, set[str]] = {}
    for source, targets in graph.items():
        for target in targets:
            if top_level(source) != top_level(target):
                collapsed.setdefault(top_level(source), set()).add(top_level(target))
    return collapsed


def layer_of(name: str) -> int:
    return next(index for index, layer in enumerate(LAYERS) if name in layer)


def test_top_level_packages_import_one_way():
    """Subpackages included: problems.groupby importing groupby.dataset while
    groupby.variants imported problems.task_farm was a loop between packages."""
    found = cycle(top_level_graph(module_graph()))
    assert found is None, "import cycle between top-level packages: " + " -> ".join(found)


def test_every_top_level_package_has_a_layer():
    names = {top_level(module) for module in modules()} - {"parbench"}
    placed = set().union(*LAYERS)
    assert not names - placed, f"place these in LAYERS (and docs/architecture.md): {sorted(names - placed)}"
    assert not placed - names, f"LAYERS names what does not exist: {sorted(placed - names)}"


def test_no_module_imports_from_a_layer_above_it():
    upward = sorted(
        f"{source} imports {target}"
        for source, targets in module_graph().items()
        for target in targets
        if top_level(source) != "parbench" and layer_of(top_level(target)) < layer_of(top_level(source))
    )
    assert not upward, "\n".join(upward)


def test_the_layer_checks_fail_on_the_old_groupby_loop():
    """The loop this file once missed, between problems and groupby through their subpackages."""
    old = {
        "parbench.problems.groupby": {"parbench.groupby.dataset"},
        "parbench.groupby.variants.mpi": {"parbench.problems.task_farm"},
    }
    assert cycle(top_level_graph(old)) == ["groupby", "problems", "groupby"]
    assert layer_of("groupby") > layer_of("problems")  # so groupby -> problems is upward


def test_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_variant_packages_hold_one_module_per_variant_and_nothing_else():
    variant_modules = {v.module for v in registry.VARIANTS.values()}
    packages = {
        registry.variant_module_name(problem, name).rpartition(".")[0]
        for problem in registry.PROBLEMS.values()
        for name in registry.variants_for(problem)
    }
    assert packages, "no variant packages found"
    for package in packages:
        folder = PACKAGE.parent.joinpath(*package.split("."))
        files = {path.stem for path in folder.glob("*.py")} - {"__init__"}
        others = sorted(files - variant_modules)
        assert not others, f"{package} holds modules that are no variant: {others}"
        assert not [p for p in folder.iterdir() if p.is_dir() and p.name != "__pycache__"], package


def test_every_variant_of_every_problem_has_a_module_with_run():
    """Read, not imported: importing mpi4py.MPI would start MPI in the test process."""
    known = modules()
    for problem in registry.PROBLEMS.values():
        for name in registry.variants_for(problem):
            module = registry.variant_module_name(problem, name)
            assert module in known, f"{problem.name} {name}: no module {module}"
            tree = ast.parse(known[module].read_text(encoding="utf-8"))
            defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
            assert "run" in defined, f"{problem.name} {name}: {module} defines no run()"
