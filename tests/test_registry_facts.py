"""Everything about a variant lives in registry.Variant (issue 24): a variant that leaves out a
fact fails at import, and the study's requests, time limits, verdicts and synthetic studies take
each variant's facts from there, never from a table of their own with a default for the rest."""

from __future__ import annotations

import dataclasses

import pytest

from parbench import registry, requests
from parbench.errors import UsageError
from parbench.report import verdict


def test_every_fact_of_a_variant_is_required():
    fields = dataclasses.fields(registry.Variant)
    defaulted = [
        f.name
        for f in fields
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    ]
    assert not defaulted, f"facts with a default: {defaulted}"
    facts = dataclasses.asdict(registry.VARIANTS["threads"])
    facts["synthetic"] = registry.VARIANTS["threads"].synthetic
    del facts["startup_s"]
    with pytest.raises(TypeError, match="startup_s"):
        registry.Variant(**facts)


def test_one_baseline_and_the_thread_variants_by_their_facts():
    assert [v.name for v in registry.VARIANTS.values() if v.baseline] == ["serial"] == [registry.BASELINE]
    assert set(registry.THREAD_VARIANTS) == {"threads", "futures-threads"} == set(verdict.THREAD_VARIANTS)


def test_requests_take_the_variants_own_facts():
    """A changed fact changes the request: nothing keeps a copy (values by hand, from PROCESS_MIB
    = 150 MiB a Python process)."""
    pi = {"samples": 1000, "chunk_size": 100, "seed": 1}
    spark = requests.need("pi", pi, "spark", "numpy", workers=4, nodes=2)
    # Two workers a node plus the driver: 3 Python processes; the driver's JVM and two executors.
    assert spark.processes == (3 * 150 + 3 * 1500) * requests.MIB
    assert spark.processes_floor == (3 * 150 + 3 * 400) * requests.MIB
    threads = requests.need("pi", pi, "threads", "numpy", workers=4)
    assert threads.processes == 150 * requests.MIB  # one interpreter, no engine


def test_an_unknown_variant_is_refused_not_given_defaults():
    pi = {"samples": 1000, "chunk_size": 100, "seed": 1}
    with pytest.raises(UsageError, match="unknown variant 'openmp'"):
        requests.need("pi", pi, "openmp", "numpy", workers=2)
    with pytest.raises(UsageError, match="unknown variant 'openmp'"):
        requests.runtime_min("pi", pi, "openmp", "numpy", 2, 1)
