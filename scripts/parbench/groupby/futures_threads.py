"""futures_threads: the task-farm variant `parbench.farm.futures_threads`, unchanged. Each task reads one
Parquet partition and returns its partial aggregate; the partials merge in task order."""

from parbench.farm.futures_threads import run

__all__ = ["run"]
