"""parbench: one problem, many ways to parallelise it in Python, measured and verified."""

__version__ = "0.1.0"
