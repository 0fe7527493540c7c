"""conftest.unavailable(): the one switch between "skip, saying why" (a developer's machine) and
"fail, saying why" (CI, PARBENCH_REQUIRE_ALL=1) for a real part a test cannot have."""

from __future__ import annotations

import pytest

from conftest import REQUIRE_ALL, unavailable


def test_a_missing_part_skips_a_developers_test(monkeypatch):
    monkeypatch.delenv(REQUIRE_ALL, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no SLURM here"):
        unavailable("no SLURM here")


@pytest.mark.parametrize("value", ["0", ""])
def test_only_1_requires_every_part(monkeypatch, value):
    monkeypatch.setenv(REQUIRE_ALL, value)
    with pytest.raises(pytest.skip.Exception):
        unavailable("no browser here")


def test_a_missing_part_fails_in_ci_with_the_reason(monkeypatch):
    monkeypatch.setenv(REQUIRE_ALL, "1")
    with pytest.raises(pytest.fail.Exception, match="no second user here"):
        unavailable("no second user here")
