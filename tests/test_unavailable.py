"""conftest.unavailable(): the one switch between "skip, saying why" (a developer's machine) and
"fail, saying why" (CI, PARBENCH_REQUIRE_ALL=1) for a real part a test cannot have; CI turns it
on, and no test skips any other way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import REQUIRE_ALL, ROOT, unavailable


def outcome_of(reason: str) -> BaseException | None:
    """What unavailable() raised, caught whatever it is: a skip where a failure was due must fail
    these tests, not skip them (pytest.raises would let a skip through and skip the test)."""
    try:
        unavailable(reason)
    except BaseException as outcome:  # noqa: BLE001 - pytest's outcomes are BaseExceptions
        return outcome
    return None


def test_a_missing_part_skips_a_developers_test(monkeypatch):
    monkeypatch.delenv(REQUIRE_ALL, raising=False)
    outcome = outcome_of("no SLURM here")
    assert type(outcome) is pytest.skip.Exception, repr(outcome)
    assert str(outcome) == "no SLURM here"


@pytest.mark.parametrize("value", ["0", "", "yes"])
def test_only_1_requires_every_part(monkeypatch, value):
    monkeypatch.setenv(REQUIRE_ALL, value)
    assert type(outcome_of("no browser here")) is pytest.skip.Exception


def test_a_missing_part_fails_in_ci_with_the_reason(monkeypatch):
    monkeypatch.setenv(REQUIRE_ALL, "1")
    outcome = outcome_of("no second user here")
    assert type(outcome) is pytest.fail.Exception, f"{outcome!r}: CI would skip what it must fail"
    assert "no second user here" in str(outcome)


def test_ci_turns_the_switch_on_and_runs_readmes_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(rf"^export {REQUIRE_ALL}=1$", ci, re.MULTILINE), ci
    assert re.search(r"^make test$", ci, re.MULTILINE), ci
    assert re.search(r"^make test\b", (ROOT / "README.md").read_text(), re.MULTILINE)


def skips_in(path: Path) -> list[str]:
    """Every way a test file could skip or expect failure by itself: pytest.skip / importorskip /
    xfail calls and skip / skipif / xfail marks (naming an outcome's type, `pytest.skip.Exception`,
    is neither)."""
    tree = ast.parse(path.read_text(), str(path))
    types = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "Exception"}
    return [
        f"{path.name}: {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in {"skip", "skipif", "importorskip", "xfail"}
        and ast.unparse(node.value) in {"pytest", "pytest.mark"}
        and id(node) not in types
    ]


def test_every_skip_goes_through_the_switch():
    found = [skip for path in sorted(ROOT.glob("tests/**/*.py")) for skip in skips_in(path)]
    assert found == ["conftest.py: pytest.skip"], found  # the one in unavailable()
