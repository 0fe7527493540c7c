"""The group-by variants of its own: mpi (a reduction with a merging operator), dask
(`dask.dataframe`) and spark (Spark SQL), each with `run(job, ctx)`. The other variants are the
task farm's (`parbench.farm.variants`)."""
