"""Physical units of the evolution search: dimensions as exponent vectors, inferred over trees.

A unit (``"m"``, ``"m/s"``, ``"kg*m/s^2"``, ``"1/s"``, ``"1"``, or a
:mod:`sympy.physics.units` expression) is parsed by sympy and reduced to its
dimension in the SI system: a tuple of exponents over the base dimensions
(mass, length, time, …). :func:`tree_dimension` infers a tree's dimension
bottom-up, the way PySR's dimensional analysis does with
``dimensionless_constants_only`` off:

- a constant is a *wildcard*: it takes whatever dimension makes the
  expression consistent (so ``c * x`` may have any dimension);
- ``+`` and ``-`` need equal dimensions (a wildcard adopts the other's);
- ``*`` and ``/`` add and subtract exponents (a wildcard factor makes the
  product a wildcard);
- ``pow`` with a number as exponent multiplies the base's exponents by it;
  an exponent that varies must be dimensionless, and so must its base;
- ``sin``, ``cos``, ``exp``, ``log``, ``tanh`` and every user-defined
  operator need dimensionless arguments and give a dimensionless value;
  ``sqrt``, ``square``, ``cube``, ``inv``, ``neg`` scale the exponents.

A tree that breaks a rule has no dimension (``None``).

Examples
--------
>>> from discover.evolution.expressions import Node, default_operators
>>> from discover.evolution.units import parse_unit, tree_dimension, unit_text
>>> ops = default_operators()
>>> dims = [parse_unit("m"), parse_unit("s")]
>>> unit_text(tree_dimension(Node("/", [Node.var(0), Node.var(1)]), dims, ops))
'm/s'
>>> tree_dimension(Node("sin", [Node.var(0)]), dims, ops) is None
True
>>> unit_text(tree_dimension(Node("sin", [Node("*", [Node.const(2.0), Node.var(0)])]), dims, ops))
'1'
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import sympy as sp

from .expressions import Node, Operator, additive_terms, has_feature

__all__ = ["Dimension", "WILDCARD", "DIMENSIONLESS", "parse_unit", "unit_text", "tree_dimension",
           "consistent"]

#: The SI base dimensions, in the order of a :data:`Dimension`'s exponents, with their base units.
BASE = (("mass", "kg"), ("length", "m"), ("time", "s"), ("current", "A"), ("temperature", "K"),
        ("amount_of_substance", "mol"), ("luminous_intensity", "cd"))

#: A dimension: one exponent per base dimension of :data:`BASE`.
Dimension = tuple

DIMENSIONLESS: Dimension = tuple(Fraction(0) for _ in BASE)


class _Wildcard:
    """The dimension of a constant: any."""

    def __repr__(self) -> str:
        return "WILDCARD"


WILDCARD = _Wildcard()

_SCALE = {"neg": 1, "square": 2, "cube": 3, "sqrt": Fraction(1, 2), "inv": -1}


def _namespace() -> dict:
    from sympy.physics import units

    return {k: getattr(units, k) for k in dir(units) if not k.startswith("_")}


def parse_unit(unit) -> Dimension:
    """The dimension of a unit given as text (``"kg*m/s^2"``, ``"1"``) or a sympy.physics.units expression.

    Only the dimension counts: ``"km/h"`` and ``"m/s"`` are the same. Raises
    ``ValueError`` for a name sympy does not know as a unit.

    Examples
    --------
    >>> from discover.evolution.units import parse_unit, unit_text
    >>> unit_text(parse_unit("kg*m/s^2")), unit_text(parse_unit("N")), unit_text(parse_unit("rad"))
    ('kg*m/s**2', 'kg*m/s**2', '1')
    """
    from sympy.physics.units import Quantity
    from sympy.physics.units.systems.si import SI, dimsys_SI

    if isinstance(unit, str):
        text = unit.strip() or "1"
        try:
            expr = sp.sympify(text.replace("^", "**"), locals=_namespace())
        except (sp.SympifyError, SyntaxError, TypeError) as exc:
            raise ValueError(f"{unit!r} is not a unit sympy can read ({type(exc).__name__})") from None
    else:
        expr = sp.sympify(unit)
    unknown = sorted(str(s) for s in expr.free_symbols if not isinstance(s, Quantity))
    if unknown:
        raise ValueError(f"{unit!r} names {', '.join(unknown)}, which sympy.physics.units does not know as a unit")
    deps = dimsys_SI.get_dimensional_dependencies(SI.get_dimensional_expr(expr))
    by_name = {str(d.name): p for d, p in deps.items()}
    names = [b for b, _ in BASE]
    extra = [n for n in by_name if n not in names]
    if extra:
        raise ValueError(f"{unit!r} has dimensions outside SI's base dimensions: {extra}")
    exps = [sp.Rational(by_name.get(n, 0)) for n in names]
    return tuple(Fraction(int(e.p), int(e.q)) for e in exps)


def unit_text(dim) -> str:
    """A dimension written in SI base units (``"m/s**2"``; ``"1"`` when dimensionless, ``"any"`` for a wildcard)."""
    if dim is WILDCARD:
        return "any"
    if dim is None:
        return "inconsistent"
    def power(symbol, p):
        return symbol if p == 1 else f"{symbol}**{p}" if p.denominator == 1 else f"{symbol}**({p})"

    top = [power(symbol, p) for (_, symbol), p in zip(BASE, dim) if p > 0]
    bottom = [power(symbol, -p) for (_, symbol), p in zip(BASE, dim) if p < 0]
    text = "*".join(top) or "1"
    if bottom:
        text += "/" + (bottom[0] if len(bottom) == 1 else "(" + "*".join(bottom) + ")")
    return text


def _add(a, b):
    return tuple(x + y for x, y in zip(a, b))


def _scale(a, k):
    return tuple(x * k for x in a)


def _number(n: Node, ops) -> float | None:
    """The value of a subtree without features (``None`` when it has one or is not finite)."""
    if has_feature(n):
        return None
    import numpy as np

    from .expressions import evaluate

    v = float(evaluate(n, np.zeros((1, 1)), ops)[0])
    return v if np.isfinite(v) else None


def tree_dimension(tree: Node, dims: Sequence[Dimension], operators: dict[str, Operator]):
    """The dimension of ``tree`` given each feature's dimension ``dims``: a :data:`Dimension`,
    :data:`WILDCARD` (free to take any), or ``None`` when the tree is inconsistent."""
    op = tree.op
    if op == "const":
        return WILDCARD
    if op == "var":
        return dims[tree.value]
    kids = [tree_dimension(c, dims, operators) for c in tree.children]
    if any(k is None for k in kids):
        return None
    if op in ("+", "-"):
        a, b = kids
        if a is WILDCARD:
            return b
        if b is WILDCARD or a == b:
            return a
        return None
    if op in ("*", "/"):
        a, b = kids
        if a is WILDCARD or b is WILDCARD:
            return WILDCARD
        return _add(a, b if op == "*" else _scale(b, -1))
    if op == "pow":
        base, power = kids
        value = _number(tree.children[1], operators)
        if value is not None:
            if base is WILDCARD:
                return WILDCARD
            return _scale(base, Fraction(value).limit_denominator(10**6))
        if power not in (WILDCARD, DIMENSIONLESS) or base not in (WILDCARD, DIMENSIONLESS):
            return None
        return DIMENSIONLESS
    if op in _SCALE:
        (a,) = kids
        return a if a is WILDCARD else _scale(a, _SCALE[op])
    # sin, cos, exp, log, tanh and user-defined operators: dimensionless in, dimensionless out
    if any(k not in (WILDCARD, DIMENSIONLESS) for k in kids):
        return None
    return DIMENSIONLESS if has_feature(tree) else WILDCARD


def consistent(tree: Node, dims: Sequence[Dimension], target: Dimension, operators: dict[str, Operator], *,
               project: bool = False) -> bool:
    """Whether ``tree`` is dimensionally consistent and has the ``target``'s dimension (or can take it).

    With ``project``, the tree stands for ``c0 + c1 t1 + ... + ck tk`` over its
    additive terms (the search's outer coefficients, solved by least squares):
    those coefficients are constants, so each term need only be consistent
    inside.
    """
    if project:
        return all(tree_dimension(t, dims, operators) is not None for t in additive_terms(tree) if has_feature(t))
    dim = tree_dimension(tree, dims, operators)
    return dim is WILDCARD or (dim is not None and dim == target)
