"""The report of a study: the numbers behind it (speed-up, efficiency, overheads), the answer
and the course's claims, the Vega-Lite figures and the HTML page (`parbench report`), including
its Reproduction section, read from the comparisons `parbench compare` wrote."""
