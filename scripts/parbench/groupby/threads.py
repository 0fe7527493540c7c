"""threads: the task-farm variant `parbench.farm.threads`, unchanged. Each task reads one
Parquet partition and returns its partial aggregate; the partials merge in task order."""

from parbench.farm.threads import run

__all__ = ["run"]
