"""A study's results: each run compared with its serial reference (`parbench verify`, the verify
parts of the workflow), the gate, and the collection of the verified runs into tidy tables
(`parbench collect`)."""
