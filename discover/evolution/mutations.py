"""Mutations and crossover of expression trees (each returns a new tree; the parent is untouched).

The set is PySR's: change a constant, change an operator, change a feature,
swap the operands of a binary operator, add a node at a leaf, insert a node
above a subtree, delete a node, rotate the tree around a node, simplify
(fold constant subtrees), re-randomize; and crossover of two parents by
exchanging random subtrees.
"""

from __future__ import annotations

import numpy as np

from .expressions import Node, Operator

__all__ = ["random_leaf", "random_tree", "mutate", "crossover", "simplify", "MUTATIONS"]

#: mutation name -> default weight (PySR's relative frequencies, roughly)
MUTATIONS = {
    "constant": 0.048, "operator": 0.47, "feature": 0.1, "swap": 0.1, "rotate": 0.3, "add": 0.79,
    "insert": 5.1, "delete": 1.7, "simplify": 0.002, "randomize": 0.00023, "nothing": 0.21,
}


def _unary(ops):
    return [o for o in ops.values() if o.arity == 1]


def _binary(ops):
    return [o for o in ops.values() if o.arity == 2]


def random_leaf(n_features: int, rng: np.random.Generator) -> Node:
    if rng.random() < 0.5:
        return Node.const(float(rng.normal() * 2.0))
    return Node.var(int(rng.integers(n_features)))


def random_tree(n_nodes: int, n_features: int, ops: dict[str, Operator], rng) -> Node:
    """A random tree grown by ``n_nodes`` appends to random leaves."""
    tree = random_leaf(n_features, rng)
    for _ in range(n_nodes):
        tree = _add_node(tree, n_features, ops, rng)
    return tree


def _pick_op(ops, rng, arity=None) -> Operator:
    pool = list(ops.values()) if arity is None else [o for o in ops.values() if o.arity == arity]
    return pool[int(rng.integers(len(pool)))]


def _add_node(tree: Node, n_features, ops, rng) -> Node:
    tree = tree.copy()
    leaves = [n for n in tree.nodes() if n.is_leaf]
    leaf = leaves[int(rng.integers(len(leaves)))]
    op = _pick_op(ops, rng)
    old = Node(leaf.op, [], leaf.value)
    if op.arity == 1:
        children = [old]
    else:
        children = [old, random_leaf(n_features, rng)] if rng.random() < 0.5 else [random_leaf(n_features, rng), old]
    leaf.op, leaf.children, leaf.value = op.name, children, 0.0
    return tree


def _parent_map(tree: Node) -> dict[int, tuple[Node, int]]:
    parents = {}
    for n in tree.nodes():
        for i, c in enumerate(n.children):
            parents[id(c)] = (n, i)
    return parents


def _replace(tree: Node, target: Node, new: Node) -> Node:
    """Put ``new`` where ``target`` is (in place); returns the (possibly new) root."""
    if target is tree:
        return new
    parent, i = _parent_map(tree)[id(target)]
    parent.children[i] = new
    return tree


def _const_child(n: Node):
    """(constant value, other child) of a binary node with one constant child, else None."""
    a, b = n.children
    if a.op == "const" and b.op != "const":
        return a.value, b
    if b.op == "const" and a.op != "const":
        return b.value, a
    return None


def _rules(n: Node, ops) -> Node:
    """Fast algebraic rules on a node whose children are already simplified (values kept)."""
    if n.op == "*" and (cc := _const_child(n)) is not None:
        c, other = cc
        if c == 1.0:
            return other
        if c == 0.0:
            return Node.const(0.0)
        if other.op == "*" and (inner := _const_child(other)) is not None:  # c*(d*t) -> (c d)*t
            return Node("*", [Node.const(c * inner[0]), inner[1]])
        if other.op == "/" and other.children[0].op == "const":  # c*(d/t) -> (c d)/t
            return Node("/", [Node.const(c * other.children[0].value), other.children[1]])
        if other.op == "/" and other.children[1].op == "const" and other.children[1].value != 0:
            return Node("*", [Node.const(c / other.children[1].value), other.children[0]])  # c*(t/d)
        return Node("*", [Node.const(c), other])
    if n.op == "/" and "*" in ops and n.children[1].op == "const" and n.children[1].value not in (0.0, 1.0):
        return _rules(Node("*", [Node.const(1.0 / n.children[1].value), n.children[0]]), ops)
    if n.op == "/" and n.children[1].op == "const" and n.children[1].value == 1.0:
        return n.children[0]
    if n.op in ("+", "-"):
        a, b = n.children
        if b.op == "const" and b.value == 0.0:
            return a
        if n.op == "+" and a.op == "const" and a.value == 0.0:
            return b
        if n.op == "-" and a.key() == b.key():
            return Node.const(0.0)
        # a + (-c)*t -> a - c*t and a - (-c)*t -> a + c*t: the sign goes into the operator
        if not ("+" in ops and "-" in ops):
            return n
        if b.op == "*" and (cc := _const_child(b)) is not None and cc[0] < 0:
            flipped = "-" if n.op == "+" else "+"
            return Node(flipped, [a, _rules(Node("*", [Node.const(-cc[0]), cc[1]]), ops)])
        if n.op == "+" and a.op == "*" and (cc := _const_child(a)) is not None and cc[0] < 0:
            return Node("-", [b, _rules(Node("*", [Node.const(-cc[0]), cc[1]]), ops)])
    return n


def simplify(tree: Node, ops: dict[str, Operator]) -> Node:
    """Fold constant subtrees and apply fast algebraic rules (in a copy).

    Every subtree without features becomes one constant; products of
    constants merge (``c*(d*t)``, ``c*(d/t)``, ``c*(t/d)``), ``1*t``, ``t/1``,
    ``t+0`` and ``t-t`` go, a negative factor moves into the sign of the sum
    (``a + (-2)*t`` is ``a - 2*t``), so that a tree's complexity reflects its form.
    """
    def fold(n: Node) -> Node:
        if n.is_leaf:
            return Node(n.op, [], n.value)
        kids = [fold(c) for c in n.children]
        if all(k.op == "const" for k in kids):
            with np.errstate(all="ignore"):
                v = ops[n.op].func(*[np.float64(k.value) for k in kids])
            if np.isfinite(v):
                return Node.const(float(v))
        node = Node(n.op, kids, 0.0)
        return _rules(node, ops) if n.op in ("*", "/", "+", "-") and n.op in ops else node

    return fold(tree)


def mutate(tree: Node, kind: str, n_features: int, ops: dict[str, Operator], rng, *,
           temperature: float = 1.0) -> Node:
    """One mutation of ``kind`` (a key of :data:`MUTATIONS`) applied to a copy of ``tree``."""
    t = tree.copy()
    nodes = t.nodes()
    if kind == "constant":
        consts = [n for n in nodes if n.op == "const"]
        if not consts:
            return _add_node(t, n_features, ops, rng)
        c = consts[int(rng.integers(len(consts)))]
        factor = 1.0 + rng.random() * temperature + 0.1
        c.value = c.value * factor if rng.random() < 0.5 else c.value / factor
        if rng.random() < 0.1:
            c.value = -c.value
        return t
    if kind == "operator":
        inner = [n for n in nodes if not n.is_leaf]
        if not inner:
            return _add_node(t, n_features, ops, rng)
        n = inner[int(rng.integers(len(inner)))]
        n.op = _pick_op(ops, rng, arity=len(n.children)).name
        return t
    if kind == "feature":
        feats = [n for n in nodes if n.op == "var"]
        if not feats:
            return mutate(t, "add", n_features, ops, rng)
        f = feats[int(rng.integers(len(feats)))]
        f.value = int(rng.integers(n_features))
        return t
    if kind == "swap":
        bins = [n for n in nodes if len(n.children) == 2]
        if not bins:
            return t
        n = bins[int(rng.integers(len(bins)))]
        n.children.reverse()
        return t
    if kind == "rotate":
        # a binary node whose child is binary: (a op1 b) op2 c -> a op1 (b op2 c), the tree rotation of PySR
        cands = [n for n in nodes if len(n.children) == 2 and len(n.children[0].children) == 2]
        if not cands:
            return t
        root = cands[int(rng.integers(len(cands)))]
        pivot = root.children[0]
        a, b = pivot.children
        c = root.children[1]
        new = Node(pivot.op, [a, Node(root.op, [b, c])])
        return _replace(t, root, new)
    if kind == "add":
        return _add_node(t, n_features, ops, rng)
    if kind == "insert":
        target = nodes[int(rng.integers(len(nodes)))]
        op = _pick_op(ops, rng)
        if op.arity == 1:
            new = Node(op.name, [target])
        else:
            other = random_leaf(n_features, rng)
            new = Node(op.name, [target, other] if rng.random() < 0.5 else [other, target])
        return _replace(t, target, new)
    if kind == "delete":
        inner = [n for n in nodes if not n.is_leaf]
        if not inner:
            return t
        n = inner[int(rng.integers(len(inner)))]
        keep = n.children[int(rng.integers(len(n.children)))]
        return _replace(t, n, keep)
    if kind == "simplify":
        return simplify(t, ops)
    if kind == "randomize":
        return random_tree(int(rng.integers(1, max(2, len(nodes)) + 1)), n_features, ops, rng)
    return t  # "nothing"


def crossover(a: Node, b: Node, rng) -> tuple[Node, Node]:
    """Two children made by exchanging a random subtree of ``a`` with one of ``b``."""
    a, b = a.copy(), b.copy()
    na, nb = a.nodes(), b.nodes()
    sa, sb = na[int(rng.integers(len(na)))], nb[int(rng.integers(len(nb)))]
    ca, cb = sa.copy(), sb.copy()
    return _replace(a, sa, cb), _replace(b, sb, ca)
