"""Expression trees of the evolutionary search: operators, vectorised evaluation, sympy printing.

A tree is made of :class:`Node` objects: a constant (``op="const"``), a
feature (``op="var"``, ``value`` = column index) or an operator applied to one
or two children. :func:`evaluate` computes a tree over all samples at once
(one numpy call per node, never a Python loop over samples); constants stay
scalars until they meet an array. :func:`freeze` replaces every largest
subtree without constants by a leaf holding its values, taken from a
:class:`SubtreeCache` when one is given: such a subtree (``x*y``,
``sin(x)``) is computed once per data set, not once per candidate, and
Levenberg–Marquardt re-evaluates only the part of a tree its constants reach. :func:`to_sympy` prints a tree as a sympy
expression over the user's column names.

Examples
--------
>>> import numpy as np
>>> from discover.evolution.expressions import Node, evaluate, to_sympy, default_operators
>>> ops = default_operators()
>>> tree = Node("+", [Node("*", [Node.var(0), Node.var(1)]), Node("sin", [Node.var(0)])])
>>> X = np.array([[0.0, 1.0], [1.0, 2.0]])
>>> np.round(evaluate(tree, X, ops), 4)
array([0.    , 2.8415])
>>> to_sympy(tree, ["x", "y"], ops)
x*y + sin(x)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..findings import symbols_for

__all__ = ["Operator", "Node", "default_operators", "operator_table", "evaluate", "to_sympy", "complexity",
           "count_nesting", "additive_terms", "has_feature", "linear_fit", "from_sympy", "freeze", "SubtreeCache",
           "BINARY", "UNARY"]


@dataclass(frozen=True)
class Operator:
    """One operator of the search.

    Parameters
    ----------
    name : str
        Its name in the tree and in ``operators=`` options.
    arity : int
        1 or 2.
    func : callable
        The numpy function on whole arrays (``func(a)`` or ``func(a, b)``);
        an invalid value gives nan or inf, which makes the candidate's loss infinite.
    sympy : callable
        The same function on sympy expressions.
    complexity : int, default=1
        What one use of it adds to an expression's complexity.
    """

    name: str
    arity: int
    func: Callable
    sympy: Callable
    complexity: int = 1


def _div(a, b):
    return a / b


def _pow(a, b):
    return np.abs(a) ** b


def _log(a):
    return np.log(a)


def _sqrt(a):
    return np.sqrt(a)


def _square(a):
    return a * a


def _cube(a):
    return a * a * a


def _neg(a):
    return -a


def _inv(a):
    return 1.0 / a


BINARY = {
    "+": Operator("+", 2, np.add, lambda a, b: a + b),
    "-": Operator("-", 2, np.subtract, lambda a, b: a - b),
    "*": Operator("*", 2, np.multiply, lambda a, b: a * b),
    "/": Operator("/", 2, _div, lambda a, b: a / b),
    "pow": Operator("pow", 2, _pow, lambda a, b: sp.Abs(a) ** b, 2),
}
# the transcendental functions count 2: with noise, a scaled ``sin`` or ``cos`` imitates a low-order
# polynomial over the sampled range (``2.43*sin(1.04*x) - 2*x*y`` for ``3*x - 2*x*y - x**2``, ODE-Strogatz
# Lotka-Volterra at 1 % noise) at one node less than the polynomial, and the choice on the front then takes
# the imitation; at 2 the polynomial is the simpler reading (the same data, seeds 0 and 1: dx/dt exact)
UNARY = {
    "sin": Operator("sin", 1, np.sin, sp.sin, 2),
    "cos": Operator("cos", 1, np.cos, sp.cos, 2),
    "exp": Operator("exp", 1, np.exp, sp.exp, 2),
    "log": Operator("log", 1, _log, sp.log, 2),
    "sqrt": Operator("sqrt", 1, _sqrt, sp.sqrt),
    "tanh": Operator("tanh", 1, np.tanh, sp.tanh, 2),
    "square": Operator("square", 1, _square, lambda a: a ** 2),
    "cube": Operator("cube", 1, _cube, lambda a: a ** 3),
    "neg": Operator("neg", 1, _neg, lambda a: -a),
    "inv": Operator("inv", 1, _inv, lambda a: 1 / a),
}


def default_operators() -> dict[str, Operator]:
    """The default operator set: ``+ - * /`` and ``sin``, ``cos``."""
    return operator_table(["+", "-", "*", "/", "sin", "cos"])


def operator_table(operators: Iterable) -> dict[str, Operator]:
    """Operators by name, from names of the built-in ones and :class:`Operator` objects."""
    table: dict[str, Operator] = {}
    for op in operators:
        if isinstance(op, Operator):
            if op.arity not in (1, 2):
                raise ValueError(f"Operator {op.name!r} must have arity 1 or 2, not {op.arity}.")
            table[op.name] = op
        elif op in BINARY:
            table[op] = BINARY[op]
        elif op in UNARY:
            table[op] = UNARY[op]
        else:
            known = ", ".join(sorted(BINARY) + sorted(UNARY))
            raise ValueError(f"Unknown operator {op!r}: use one of {known}, or an Operator object.")
    if not any(o.arity == 2 for o in table.values()):
        raise ValueError("The operators must include at least one binary operator (such as '+').")
    return table


class Node:
    """A node of an expression tree (mutable; mutations work on copies)."""

    __slots__ = ("op", "children", "value")

    def __init__(self, op: str, children: list | None = None, value: float = 0.0):
        self.op = op
        self.children = children or []
        self.value = value

    @classmethod
    def const(cls, value: float) -> Node:
        return cls("const", [], float(value))

    @classmethod
    def var(cls, index: int) -> Node:
        return cls("var", [], int(index))

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def copy(self) -> Node:
        return Node(self.op, [c.copy() for c in self.children], self.value)

    def nodes(self) -> list[Node]:
        """All nodes, depth first (this node first)."""
        out: list[Node] = []
        self._collect(out)
        return out

    def _collect(self, out: list) -> None:
        out.append(self)
        for c in self.children:
            c._collect(out)

    def constants(self) -> list[Node]:
        out: list[Node] = []
        self._collect_const(out)
        return out

    def _collect_const(self, out: list) -> None:
        if self.op == "const":
            out.append(self)
        for c in self.children:
            c._collect_const(out)

    def depth(self) -> int:
        return 1 + max((c.depth() for c in self.children), default=0)

    def key(self) -> str:
        """A text that identifies the tree (constants to full precision)."""
        if self.op == "const":
            return repr(self.value)
        if self.op == "var":
            return f"x{self.value}"
        return self.op + "(" + ",".join(c.key() for c in self.children) + ")"

    def shape(self) -> str:
        """Like :meth:`key` with every constant written ``c``."""
        if self.op == "const":
            return "c"
        if self.op == "var":
            return f"x{self.value}"
        return self.op + "(" + ",".join(c.shape() for c in self.children) + ")"

    def __repr__(self) -> str:
        return f"Node({self.key()})"


def complexity(tree: Node, operators: dict[str, Operator]) -> int:
    """Number of nodes, an operator counting its ``complexity``."""
    op = operators.get(tree.op)
    return (op.complexity if op is not None else 1) + sum(complexity(c, operators) for c in tree.children)


def count_nesting(tree: Node, outer: str, inner: str) -> int:
    """The most ``inner`` operators found under one ``outer`` operator on a path of the tree."""
    best = 0

    def depth_of(n: Node) -> int:
        below = max((depth_of(c) for c in n.children), default=0)
        return below + (n.op == inner)

    for n in tree.nodes():
        if n.op == outer:
            best = max(best, max((depth_of(c) for c in n.children), default=0))
    return best


def evaluate(tree: Node, X: np.ndarray, operators: dict[str, Operator]) -> np.ndarray:
    """The tree's values over all rows of ``X`` (shape ``(n_samples, n_features)``), as one array.

    Each node is one numpy operation on whole columns; invalid values are
    returned as nan/inf (no warning) for the caller to reject.
    """
    with np.errstate(all="ignore"):
        out = _eval(tree, X, operators)
    if np.ndim(out) == 0:
        out = np.full(X.shape[0], float(out))
    return out


def _eval(n: Node, X, ops):
    if n.op == "const":
        return np.float64(n.value)  # numpy scalar: 1/0 is inf (rejected), not a ZeroDivisionError
    if n.op == "var":
        return X[:, n.value]
    if n.op == "col":  # a frozen subtree (:func:`freeze`): its values over X
        return n.value
    f = ops[n.op].func
    if len(n.children) == 1:
        return f(_eval(n.children[0], X, ops))
    return f(_eval(n.children[0], X, ops), _eval(n.children[1], X, ops))


class SubtreeCache:
    """Values of subtrees without constants over one data set, by their :meth:`Node.key` (bounded, oldest out).

    One cache serves every target searched over the same features, so a
    subtree such as ``x*y`` is computed once for all of them. It holds at
    most ``max_bytes`` of columns. A copy sent to another process starts
    empty (the values are cheaper to recompute than to send).
    """

    __slots__ = ("store", "max_items", "hits", "misses")

    def __init__(self, n_samples: int, max_bytes: float = 64 * 2**20):
        self.store: dict = {}
        self.max_items = max(64, int(max_bytes // (8 * max(int(n_samples), 1))))
        self.hits = self.misses = 0

    def __getstate__(self):
        return {"max_items": self.max_items}

    def __setstate__(self, state):
        self.store, self.max_items, self.hits, self.misses = {}, state["max_items"], 0, 0

    def column(self, n: Node, key: str, X, ops) -> np.ndarray:
        """The values of subtree ``n`` (whose key is ``key``) over ``X``, computed on a miss."""
        v = self.store.get(key)
        if v is not None:
            self.hits += 1
            return v
        self.misses += 1
        v = _eval(n, X, ops)
        if len(self.store) >= self.max_items:
            del self.store[next(iter(self.store))]
        self.store[key] = v
        return v


def freeze(tree: Node, X: np.ndarray, operators: dict[str, Operator], cache: SubtreeCache | None = None) -> Node:
    """The tree with each largest subtree without constants replaced by a leaf holding its values over ``X``.

    The result shares the constant nodes of ``tree``: setting their values
    changes it too, so an optimizer can evaluate the frozen tree while it
    moves the constants, and only the nodes above a constant are computed.
    It is meant for :func:`_eval`, :func:`evaluate` and :func:`linear_fit`
    over the same ``X``, and gives exactly their values for ``tree``; the
    additive terms (``+``, ``-``, ``neg`` at the top) stay apart, as
    :func:`linear_fit` fits a coefficient to each.
    """
    if tree.op in ("+", "-", "neg"):
        return Node(tree.op, [freeze(c, X, operators, cache) for c in tree.children])
    with np.errstate(all="ignore"):
        node, key = _freeze(tree, X, operators, cache)
        if key is not None and tree.op != "var":
            return _frozen(tree, key, X, operators, cache)
    return node


def _frozen(n: Node, key: str, X, ops, cache) -> Node:
    return Node("col", [], cache.column(n, key, X, ops) if cache is not None else _eval(n, X, ops))


def _freeze(n: Node, X, ops, cache):
    """``(node, key)``: the node itself and its key when it has no constant; else a copy of it whose
    largest constant-free subtrees are frozen, and None."""
    if n.op == "const":
        return n, None
    if n.op == "var":
        return n, f"x{n.value}"
    kids = [_freeze(c, X, ops, cache) for c in n.children]
    if all(k is not None for _, k in kids):
        return n, n.op + "(" + ",".join(k for _, k in kids) + ")"
    return Node(n.op, [c if k is None or c.op == "var" else _frozen(c, k, X, ops, cache) for c, k in kids]), None


def has_feature(tree: Node) -> bool:
    """Whether any leaf of the tree is a feature (or a frozen subtree of features)."""
    if tree.op in ("var", "col"):
        return True
    return any(has_feature(c) for c in tree.children)


def additive_terms(tree: Node) -> list[Node]:
    """The additive terms of a tree (through ``+``, ``-`` and ``neg``), the nodes themselves, not copies."""
    if tree.op in ("+", "-"):
        return additive_terms(tree.children[0]) + additive_terms(tree.children[1])
    if tree.op == "neg":
        return additive_terms(tree.children[0])
    return [tree]


def linear_fit(tree: Node, X: np.ndarray, y: np.ndarray, operators: dict[str, Operator], W=None):
    """Variable projection of the tree's outer linear coefficients.

    The tree is read as ``c0 + c1 t1 + ... + ck tk`` over its additive terms
    ``t1..tk`` that contain a feature (terms without one are absorbed in
    ``c0``); the ``c`` are fitted by linear least squares, so the search and
    the nonlinear optimizer only ever deal with the constants *inside* the
    terms. Returns ``(prediction, coefficients, terms)``; a non-finite column
    gives a prediction of nan. With a matrix ``W`` (weak form: rows of
    test-function quadrature weights over the samples), the columns are
    ``W @ t(X)`` and the prediction is in the rows of ``W``.
    """
    terms = [t for t in additive_terms(tree) if has_feature(t)]
    T = np.empty((len(terms) + 1, X.shape[0]))  # one row per column of the design: contiguous writes
    T[0] = 1.0
    with np.errstate(all="ignore"):
        for i, t in enumerate(terms):
            T[i + 1] = _eval(t, X, operators)
        if W is not None:
            T = (W @ T.T).T
        G = np.einsum("in,jn->ij", T, T)  # not BLAS: its sums depend on memory alignment
        scale = np.sqrt(np.diag(G))
    bad = np.full(T.shape[1], np.nan), np.zeros(len(terms) + 1), terms
    if not (np.all(np.isfinite(scale)) and scale.max() < 1e150):
        return bad
    # normal equations of the column-scaled design with a tiny ridge: a few microseconds for the
    # handful of terms of a tree, and a rank-deficient design (two equal terms) still solves
    scale[scale == 0] = 1.0
    G = G / np.outer(scale, scale)
    G[np.diag_indices_from(G)] += 1e-12
    try:
        coef = np.linalg.solve(G, (T @ y) / scale) / scale
    except np.linalg.LinAlgError:
        return bad
    return coef @ T, coef, terms


def to_sympy(tree: Node, names, operators: dict[str, Operator], *, digits: int | None = None) -> sp.Expr:
    """The tree as a sympy expression over the column ``names`` (constants as floats)."""
    syms = list(symbols_for(names).values())

    def conv(n: Node):
        if n.op == "const":
            v = n.value if digits is None else float(f"{n.value:.{digits}g}")
            if float(v).is_integer() and abs(v) < 1e15:
                return sp.Integer(int(v))
            quarter = v / (np.pi / 2)
            if abs(quarter - round(quarter)) < 1e-12 and 0 < abs(round(quarter)) <= 16:
                return sp.pi * sp.Rational(int(round(quarter)), 2)  # a snapped phase: sin(y + pi/2) is cos(y)
            return sp.Float(v)
        if n.op == "var":
            return syms[n.value]
        args = [conv(c) for c in n.children]
        return operators[n.op].sympy(*args)

    return sp.sympify(conv(tree))


def from_sympy(expr, names, operators: dict[str, Operator]) -> Node:
    """A tree for a sympy expression over the column ``names`` (the inverse of :func:`to_sympy`).

    Sums, products, quotients, integer powers (as products), numbers, the
    columns and the unary operators of ``operators`` by their sympy name
    (``sin``, ``cos``, ``exp``, ``log``, ``tanh``; ``sqrt`` for a power 1/2).
    Raises ``ValueError`` for anything else or for an operator the search
    does not have, so a caller can keep the tree it had.

    Examples
    --------
    >>> import sympy as sp
    >>> from discover.evolution.expressions import default_operators, from_sympy, to_sympy
    >>> ops = default_operators()
    >>> x, y = sp.symbols("x y", real=True)
    >>> to_sympy(from_sympy(4 * x * y / (1 + x), ["x", "y"], ops), ["x", "y"], ops)
    4*x*y/(x + 1)
    """
    index = {str(n): i for i, n in enumerate(names)}

    def need(op: str) -> None:
        if op not in operators:
            raise ValueError(f"operator {op!r} is not among the search's operators")

    def power(base: Node, k: int) -> Node:
        need("*")
        out = base
        for _ in range(k - 1):
            out = Node("*", [out, base.copy()])
        return out

    def conv(e) -> Node:
        if e.is_Number:
            v = float(e)
            if not np.isfinite(v):
                raise ValueError(f"the number {e} is not finite")
            return Node.const(v)
        if e.is_Symbol:
            if e.name not in index:
                raise ValueError(f"{e.name!r} is not a column")
            return Node.var(index[e.name])
        if e.is_Add:
            args = list(e.as_ordered_terms())
            out = conv(args[0])
            for a in args[1:]:
                coeff, rest = a.as_coeff_Mul()
                if coeff < 0 and "-" in operators:
                    out = Node("-", [out, conv(-a)])
                else:
                    need("+")
                    out = Node("+", [out, conv(a)])
            return out
        if e.is_Mul or (e.is_Pow and e.exp.is_Integer and e.exp < 0):
            top, bottom = [], []
            for f in sp.Mul.make_args(e):
                if f.is_Pow and f.exp.is_Integer and f.exp < 0:
                    bottom.append(f.base ** (-f.exp))
                else:
                    top.append(f)
            num = conv_product(top) if top else Node.const(1.0)
            if not bottom:
                return num
            need("/")
            return Node("/", [num, conv_product(bottom)])
        if e.is_Pow:
            if e.exp.is_Integer and e.exp > 0:
                return power(conv(e.base), int(e.exp))
            if e.exp == sp.Rational(1, 2):
                need("sqrt")
                return Node("sqrt", [conv(e.base)])
            raise ValueError(f"the power {e} is not an integer power or a square root")
        name = type(e).__name__.lower()
        if name in operators and operators[name].arity == 1 and len(e.args) == 1:
            return Node(name, [conv(e.args[0])])
        raise ValueError(f"{type(e).__name__} cannot be written with the search's operators")

    def conv_product(factors) -> Node:
        nodes = [conv(f) for f in factors]
        out = nodes[0]
        for n in nodes[1:]:
            need("*")
            out = Node("*", [out, n])
        return out

    return conv(sp.sympify(expr))
