"""``sim sweep``: a grid of scenario variants, each replicated, run on Dask."""
