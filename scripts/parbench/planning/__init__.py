"""Planning a study: what the workflow needs when Snakemake parses it. The config checked against
its schema (generated from the registry), the plan of runs and their files, and the lock that
keeps one run of a study at a time."""
