"""The variants of the task-farm problems: one module per approach, each showing how that
approach hands independent tasks to workers and brings the partial results back. Every module has
`run(job, ctx)`, returning the combined result (None on non-root MPI ranks)."""
