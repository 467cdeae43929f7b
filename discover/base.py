"""Estimator base class and the small parameter validator every method uses.

Methods follow scikit-learn's conventions: ``__init__`` only stores its
keyword arguments, ``fit`` validates them against the class's
``_parameter_constraints`` table, learns, sets attributes ending in ``_`` and
returns ``self``. ``get_params``/``set_params``/``sklearn.base.clone`` work.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, ClassVar

from sklearn.base import BaseEstimator

from .errors import ParameterError

__all__ = ["Interval", "Options", "Method", "validate_params", "check_is_fitted"]


@dataclass(frozen=True)
class Interval:
    """A numeric range constraint, e.g. ``Interval(float, 0, None, closed="left")``.

    ``kind`` is ``int`` or ``float`` (a float interval also accepts ints; bools are
    never numbers here). ``closed`` is one of "both", "left", "right", "neither".
    """

    kind: type
    left: float | None
    right: float | None
    closed: str = "both"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int:
            if not isinstance(value, numbers.Integral):
                return False
        elif not isinstance(value, numbers.Real):
            return False
        if value != value:  # NaN
            return False
        lo_ok = self.left is None or (
            value >= self.left if self.closed in ("both", "left") else value > self.left
        )
        hi_ok = self.right is None or (
            value <= self.right if self.closed in ("both", "right") else value < self.right
        )
        return lo_ok and hi_ok

    def describe(self) -> str:
        name = "an int" if self.kind is int else "a float"
        lb = "[" if self.closed in ("both", "left") and self.left is not None else "("
        rb = "]" if self.closed in ("both", "right") and self.right is not None else ")"
        lo = "-inf" if self.left is None else f"{self.left:g}"
        hi = "inf" if self.right is None else f"{self.right:g}"
        return f"{name} in the range {lb}{lo}, {hi}{rb}"


@dataclass(frozen=True)
class Options:
    """A constraint to a fixed set of values (typically strings)."""

    values: tuple

    def __init__(self, *values: Any):
        object.__setattr__(self, "values", tuple(values))

    def accepts(self, value: Any) -> bool:
        try:
            return value in self.values
        except TypeError:
            return False

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


def _accepts(constraint: Any, value: Any) -> bool:
    if constraint is None:
        return value is None
    if constraint == "callable":
        return callable(value)
    if constraint == "random_state":
        import numpy as np

        return value is None or isinstance(value, (numbers.Integral, np.random.Generator, np.random.RandomState)) and not isinstance(value, bool)
    if isinstance(constraint, type):
        return isinstance(value, constraint) and not (constraint is not bool and isinstance(value, bool))
    return constraint.accepts(value)


def _describe(constraint: Any) -> str:
    if constraint is None:
        return "None"
    if constraint == "callable":
        return "a callable"
    if constraint == "random_state":
        return "an int, a numpy Generator or None"
    if isinstance(constraint, type):
        article = "an" if constraint.__name__[0] in "aeiou" else "a"
        return f"{article} {constraint.__name__}"
    return constraint.describe()


def validate_params(owner: str, params: dict, constraints: dict) -> None:
    """Check ``params`` against ``constraints``; raise :class:`ParameterError`.

    The message has one shape everywhere: "The 'threshold' parameter of SINDy
    must be a float in the range [0, inf). Got -1 instead."
    """
    for name, allowed in constraints.items():
        if name not in params:
            continue
        value = params[name]
        if any(_accepts(c, value) for c in allowed):
            continue
        options = [_describe(c) for c in allowed]
        text = options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]
        raise ParameterError(
            f"The {name!r} parameter of {owner} must be {text}. Got {value!r} instead."
        )


def check_is_fitted(estimator: Any, attribute: str) -> None:
    """Raise a clear error when a fitted attribute is asked for before ``fit``."""
    if not hasattr(estimator, attribute):
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet. "
            "Call 'fit' with a Series first."
        )


class Method(BaseEstimator):
    """Base class of the methods of :func:`discover.fit`.

    Subclasses set ``name`` (the registry name, e.g. ``"sindy"``), a
    ``_parameter_constraints`` table, and implement ``fit(series)`` and
    ``findings()``. They call ``self._validate_params()`` first in ``fit``.
    """

    name: ClassVar[str] = ""
    _parameter_constraints: ClassVar[dict] = {}

    def _validate_params(self) -> None:
        validate_params(type(self).__name__, self.get_params(deep=False), self._parameter_constraints)

    def fit(self, series, y=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def findings(self) -> list:  # pragma: no cover - abstract
        raise NotImplementedError
