"""The network interface the Dask and Spark launchers bind to (config network_interface): found
by name, or refused naming the interfaces this node has. tests/test_slurm.py runs clusters on it."""

from __future__ import annotations

import pytest

from parbench.launchers import network


def test_an_interface_is_found_by_name():
    assert network.address_of("lo") == "127.0.0.1"


def test_a_missing_interface_is_refused_naming_those_there_are():
    with pytest.raises(network.NoSuchInterface) as refused:
        network.address_of("ib0-not-here")
    assert "'ib0-not-here' does not exist" in str(refused.value)
    assert "lo (127.0.0.1)" in str(refused.value)


def test_the_command_prints_the_address_for_the_spark_workers(capsys):
    assert network.main(["lo"]) == 0
    assert capsys.readouterr().out == "127.0.0.1\n"
    assert network.main(["ib0-not-here"]) == 2
