"""processes: the task-farm variant `parbench.farm.processes`, unchanged. Each task reads one
Parquet partition and returns its partial aggregate; the partials merge in task order."""

from parbench.farm.processes import run

__all__ = ["run"]
