"""Bring your own problem (docs/plugins.md). What a plug-in imports:

    from parbench.plugins import Param, SimpleProblem

`SimpleProblem` for the common case (a function that makes the tasks, one that computes a task);
`TaskFarmProblem` for the full task-farm contract, `Problem` and `Memory` for a problem with
variants of its own (as heat has). parbench.plugins.loader finds and checks them.
"""

from parbench.contracts.problem import Memory, Problem
from parbench.contracts.task_farm import TaskFarmProblem
from parbench.params import Param
from parbench.plugins.simple import SimpleProblem

__all__ = ["Memory", "Param", "Problem", "SimpleProblem", "TaskFarmProblem"]
