"""Private helpers at the edges: validation, xarray/dask conversion, random state."""
