"""The ``discover`` command line (installed as ``discover.cli``)."""

import click


@click.group()
def main():
    """discover: equations, graphs, invariants and spectra from time series."""


if __name__ == "__main__":  # pragma: no cover
    main()
