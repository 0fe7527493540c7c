"""serial: the task-farm variant `parbench.farm.serial`, unchanged. Each task reads one
Parquet partition and returns its partial aggregate; the partials merge in task order."""

from parbench.farm.serial import run

__all__ = ["run"]
