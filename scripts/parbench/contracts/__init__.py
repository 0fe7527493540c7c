"""The contracts every problem and task farm is written against (`Problem`, the task-farm
`Job`/`TaskFarmProblem`, what a plug-in's pickled tasks may import): below everything that uses
them, importing nothing of parbench's but its base modules."""
