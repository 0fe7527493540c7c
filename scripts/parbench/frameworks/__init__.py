"""The frameworks shared by every problem's variants: starting and stopping the heavyweight ones
(Dask clusters, Spark sessions; a test may hand in one that is already running) and which MPI
library an mpi run used."""
