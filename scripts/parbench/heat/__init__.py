"""The heat-equation variants: one module per approach (see `parbench.registry.VARIANTS`), with
the pieces they share (the job, checkpoints, row blocks, shared memory) in helper modules."""
