"""Compute kernels, one module per problem, each with the same function in python, numpy and numba
flavours, so a reader can compare them side by side. Variants never look inside a kernel."""
