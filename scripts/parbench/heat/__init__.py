"""The heat equation's pieces that its variants share: the job and its decomposition (`job`), the
initial field (`initial`), checkpoints (`checkpoint`), shared-memory buffers (`shared_grid`), the
barrier-synchronised step loop of threads and processes (`barrier_loop`) and the per-step fork and
join of the futures variants (`fork_join`). The variants themselves, one module per approach, are
in `parbench.heat.variants`."""
