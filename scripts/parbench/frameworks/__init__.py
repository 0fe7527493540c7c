"""Starting and stopping the heavyweight frameworks (Dask clusters, Spark sessions), shared by
every problem's variants; a test may hand in one that is already running."""
