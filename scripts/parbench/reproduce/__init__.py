"""Reproducing reported scaling results: reported-study files (`reported`), the study that re-runs
them (`plan`), the comparison and its verdicts (`compare`), the report's section (`section`) and
writing a finished study out as a reported study (`export`). docs/reproduce.md describes it all."""
