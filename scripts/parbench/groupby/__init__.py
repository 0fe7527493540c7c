"""The group-by problem's input dataset (`dataset`); its own variants are in `parbench.groupby.variants`.

A task is one Parquet partition, its partial aggregate (`parbench.kernels.aggregate`) the result,
so the task-farm variants of `parbench.farm.variants` run the query unchanged (the registry maps
them there); mpi, dask and spark do it the way each of those tools does a reduction over a dataset.
"""
