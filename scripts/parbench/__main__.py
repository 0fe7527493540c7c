"""`python -m parbench ...` is the same as the `parbench` command."""

from parbench.cli import main

# The guard matters: Dask and multiprocessing may start workers that import this module again.
if __name__ == "__main__":
    raise SystemExit(main())
