"""An example parbench plug-in: see problem.py and parbench's docs/plugins.md."""
