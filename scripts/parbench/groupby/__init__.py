"""The group-by problem: its dataset, its partial aggregates, and one module per variant.

serial, threads, processes, futures_threads and futures_processes are the task-farm variants of
`parbench.farm` unchanged (a task is one Parquet partition, its partial aggregate the result);
mpi, dask and spark do the query the way each of those tools does a reduction over a dataset.
"""
