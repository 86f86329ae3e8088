"""The ``skstc`` command line: from a file to a result without writing Python.

``skstc tiles``, ``skstc regimes`` and ``skstc objects fit|apply`` read a file, fit one of the
estimators through its public API and write the results (netCDF, CSV, PNG, JSON) with the
parameters and the skstc version in their attributes (:mod:`skstc.io`). ``skstc demo`` runs
the quickstart. ``python -m skstc`` is the same program. Heavy libraries (torch, xarray,
matplotlib) are imported only when a command runs, so ``--help`` answers at once.
"""

import click

from .. import __version__

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="skstc")
def main():
    """Deep spatiotemporal clustering from the command line.

    Each command reads one file (netCDF, zarr, or GeoTIFF with rioxarray), fits an skstc
    estimator and writes its results to the folder OUT. Run `skstc COMMAND --help` for a
    command's options. Training budgets (--epochs, --triplets ...) default to the
    estimator's defaults; lower them for a first look.
    """


from ._commands import demo, objects, regimes, tiles  # noqa: E402

main.add_command(tiles)
main.add_command(regimes)
main.add_command(objects)
main.add_command(demo)
