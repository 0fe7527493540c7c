"""The mutation-testing set-up (`make mutants`) stays true to the code: every module it names
exists, every function it limits a module to is defined there (a renamed one would silently
leave the function unmutated), every test it runs exists, and every survivor written down as
equivalent still names a line of its module."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib

import pytest

from conftest import ROOT

MUTATION = ROOT / "tests" / "mutation"
MODULES = tomllib.loads((MUTATION / "modules.toml").read_text())["module"]
EQUIVALENT = tomllib.loads((MUTATION / "equivalent.toml").read_text()).get("mutant", [])


def defined_names(path) -> set[str]:
    """Functions, classes and module-level constants."""
    tree = ast.parse(path.read_text())
    names = {
        n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    constants = {
        t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)
    }
    return names | constants | {"<module>"}


@pytest.mark.parametrize("module", MODULES, ids=[m["path"] for m in MODULES])
def test_each_module_its_functions_and_its_tests_exist(module):
    path = ROOT / module["path"]
    assert path.is_file(), module["path"]
    missing = set(module.get("functions") or ()) - defined_names(path)
    assert not missing, f"{module['path']} defines no {sorted(missing)}"
    files = [t.split("::")[0] for t in module["tests"] if t.startswith("tests/")]
    assert files and all((ROOT / f).is_file() for f in files), files


def test_no_module_is_listed_twice():
    paths = [m["path"] for m in MODULES]
    assert len(paths) == len(set(paths))


@pytest.mark.parametrize("entry", EQUIVALENT, ids=[f"{e['module']}:{e['operator']}" for e in EQUIVALENT])
def test_each_equivalent_survivor_names_a_line_of_its_module_and_a_reason(entry):
    lines = {line.strip() for line in (ROOT / entry["module"]).read_text().splitlines()}
    assert entry["line"] in lines, f"{entry['module']} has no line {entry['line']!r}: update the entry"
    assert re.fullmatch(r"core/\S+", entry["operator"]) and len(entry["reason"]) > 20


def survivors_again(tmp_path, page) -> subprocess.CompletedProcess:
    """`make mutants SURVIVORS=1` on verify.py, with the test's own work folder, page and records."""
    return subprocess.run(
        [sys.executable, str(MUTATION / "mutants.py"), "scripts/parbench/results/verify.py", "--survivors"]
        + ["--lanes", "1", "--work", str(tmp_path / "work"), "--page", str(page)]
        + ["--records", str(tmp_path / "results")],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_make_mutants_runs_and_reports_a_module(tmp_path):
    """The tool itself, on the smallest module: a copy of the tree, cosmic-ray's run, the page with
    the kill rate (verify.py's tests kill every mutant) and the modules not run yet."""
    page = tmp_path / "mutation.md"
    done = subprocess.run(
        [sys.executable, str(MUTATION / "mutants.py"), "scripts/parbench/results/verify.py", "--lanes", "1"]
        + ["--work", str(tmp_path / "work"), "--page", str(page), "--records", str(tmp_path / "results")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"scripts/parbench/results/verify.py: (\d+) of \1 killed \(100.0%\)", done.stdout), (
        done.stdout
    )
    text = page.read_text()
    row = r"^\| `scripts/parbench/results/verify.py` \| (\d+) \| \1 \| 0 \| 0 \| 100.0% \| [\d.]+ "
    row += r"\| \d{4}-\d\d-\d\d "
    assert re.search(row + r"\d\d:\d\d, [0-9a-f]+\+? \|$", text, re.M), text
    assert "| `scripts/parbench/kernels/heat.py` | not run yet | | | | | | |" in text
    assert not list((tmp_path / "work").glob("tree-*")), "the tree copy is removed after the run"
    kept = json.loads((tmp_path / "results" / "results.verify.json").read_text())
    assert kept["module"] == "scripts/parbench/results/verify.py" and kept["killed"] == kept["total"] > 0, (
        kept
    )
    # Only the last run's survivors again (none here): its kills stand, and the row says so.
    again = survivors_again(tmp_path, page)
    assert again.returncode == 0, again.stdout + again.stderr
    rerun = json.loads((tmp_path / "results" / "results.verify.json").read_text())
    assert (rerun["total"], rerun["killed"]) == (kept["total"], kept["total"]), rerun
    assert f"survivors of the full run of {kept['when']}" in page.read_text()
    # A survivor whose line now reads otherwise (the module changed since) is refused, never
    # counted as killed without a test run, and the last run's record stays as it was.
    kept["survivors"] = [
        {"operator": "core/NumberReplacer", "line": 1, "line_text": "since rewritten", "diff": ""}
    ]
    kept["killed"] -= 1
    (tmp_path / "results" / "results.verify.json").write_text(json.dumps(kept))
    refused = survivors_again(tmp_path, page)
    assert "a survivor of its last run is no longer in it ('since rewritten')" in refused.stderr, (
        refused.stderr
    )
    assert json.loads((tmp_path / "results" / "results.verify.json").read_text()) == kept
