"""The heat-equation variants: one module per approach (see `parbench.registry.VARIANTS`), each
with `run(job, ctx)`; the pieces they share are the modules of `parbench.heat`."""
