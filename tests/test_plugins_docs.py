"""docs/plugins.md says what it does: its minimal plug-in, copied from the page, counts the primes
below 20,000 (2,262, a number from any table of primes) with processes as with serial, and its
study config plans (a dry run) with the plug-in's bounds checked like a built-in problem's."""

from __future__ import annotations

import re
import subprocess

import yaml

from conftest import ROOT, parbench_command
from parbench import output
from plugin_cases import without_plugins
from workflow_cases import output_of, snakemake

PAGE = (ROOT / "docs" / "plugins.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE, re.S)


def minimal_plugin(where) -> str:
    plugin = where / "primes.py"
    plugin.write_text(blocks("python")[0])
    return str(plugin)


def test_the_minimal_plugin_is_about_twenty_lines_and_counts_primes(tmp_path):
    plugin = minimal_plugin(tmp_path)
    assert len(blocks("python")[0].splitlines()) <= 30
    counts = {}
    for variant, workers in (("serial", "1"), ("processes", "2")):
        out = tmp_path / f"{variant}.h5"
        done = subprocess.run(
            parbench_command("--plugin", plugin, "run", "primes", variant, "--workers", workers,
                             "--n", "20000", "--block", "3000", "--out", out),
            capture_output=True, text=True, timeout=120, env=without_plugins(),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        counts[variant] = int(output.read_result(out, "RESULT")[1]["result"])
    assert counts == {"serial": 2262, "processes": 2262}


def test_the_pages_study_config_plans_and_its_bounds_are_checked(tmp_path):
    plugin = minimal_plugin(tmp_path)
    config = yaml.safe_load(blocks("yaml")[0])
    config["plugins"] = [plugin]
    study = tmp_path / "my-study.yaml"
    study.write_text(yaml.safe_dump(config))
    done = snakemake(tmp_path / "work", "-n", configfile=study, timeout=300)
    assert done.returncode == 0, output_of(done)
    assert "run_mpi" in output_of(done) and "html_report" in output_of(done)
    config["problems"][0]["sizes"]["small"]["n"] = 1
    study.write_text(yaml.safe_dump(config))
    done = snakemake(tmp_path / "work", "-n", configfile=study, timeout=300)
    assert done.returncode != 0 and "problems[0].sizes.small.n: must be >= 2, got 1" in output_of(done)
