"""The task farm: the variants that run any task-farm problem (mandelbrot, pi, groupby's
per-partition query) are in `parbench.farm.variants`; the pieces they share are here: how tasks
are split into batches and a framework call timed (`schedule`), and one loop over a
`concurrent.futures` executor (`futures_pool`)."""
