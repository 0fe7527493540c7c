"""The study around the programs: config validation, the plan of runs the workflow expands, and
collection, figures and the HTML report of the results (`parbench collect`, `parbench report`),
including its Reproduction section, read from the comparisons `parbench compare` wrote."""
