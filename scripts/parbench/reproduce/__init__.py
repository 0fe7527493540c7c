"""Reproducing reported scaling results: reported-study files (`reported`), the study that re-runs
them (`plan`), the comparison and its verdicts (`compare`) and writing a finished study out as a
reported study (`export`); the report draws the comparison in its Reproduction section
(`parbench.report.reproduction`). docs/reproduce.md describes it all."""
