"""Start a Dask or Spark cluster across the nodes of a SLURM allocation, run one command against
it, and tear the cluster down again, whatever happens to the command.

    python -m parbench.launchers dask  --workers 4 -- parbench run pi dask --workers 4 --out r.h5
    python -m parbench.launchers spark --workers 4 -- parbench run pi spark --workers 4 --out r.h5

The command gets `--scheduler-file FILE` (dask) or `--master URL` (spark) appended. Run it inside
`salloc`/`sbatch`, or from a Snakemake rule on the SLURM executor: the workers are started with
srun on the allocation's nodes, the scheduler or master on the node that runs the launcher.
"""
