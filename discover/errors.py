"""Exceptions and warnings raised by :mod:`discover`.

One root, :class:`DiscoverError`; every subclass also inherits the builtin it
refines, so ``except ValueError`` and ``except DiscoverError`` both work.
"""

from __future__ import annotations

__all__ = [
    "DiscoverError",
    "DataError",
    "ParameterError",
    "MethodError",
    "NumericalError",
    "DataWarning",
]


class DiscoverError(Exception):
    """Root of every error raised on purpose by :mod:`discover`."""


class DataError(DiscoverError, ValueError):
    """The data given cannot be used: it names the file, row and column at fault.

    Parameters
    ----------
    message : str
        What is wrong.
    file, row, column : optional
        Where it is wrong. ``row`` is 1-based and counts the header as row 1
        (the line number an editor shows) when the data came from a file.
    """

    def __init__(self, message: str, *, file=None, row=None, column=None):
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.reason = message
        where = []
        if self.file is not None:
            where.append(self.file)
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class ParameterError(DiscoverError, ValueError):
    """A hyperparameter has an invalid value (raised at ``fit``)."""


class MethodError(DiscoverError, LookupError):
    """An unknown method name, or a method that cannot run on the data given."""


class NumericalError(DiscoverError, ArithmeticError):
    """Numerical trouble inside a method: divergence, singular system, NaN."""


class DataWarning(UserWarning):
    """Data that can be used but probably not as the user meant (a constant column)."""
