"""The problems parbench measures. Each module defines one problem; `parbench.registry` lists them."""
