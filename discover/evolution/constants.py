"""Constants of a tree: Levenberg–Marquardt with restarts, pruning of tiny terms, snapping to simple values."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp
from scipy.optimize import least_squares

from .expressions import Node, Operator, evaluate, freeze, from_sympy, linear_fit, to_sympy

__all__ = ["optimize_constants", "snap_constants", "prune", "materialize", "projected_loss",
           "normalise_fractions", "readable"]


def _predict(tree, X, ops, W=None):
    with np.errstate(all="ignore"):
        pred = evaluate(tree, X, ops)
        return pred if W is None else W @ pred


def _residual_loss(tree, X, y, ops, loss, W=None):
    with np.errstate(all="ignore"):
        pred = _predict(tree, X, ops, W)
    if not np.all(np.isfinite(pred)):
        return np.inf
    if loss is None:
        return float(np.mean((pred - y) ** 2))
    return float(loss(pred, y))


def projected_loss(tree: Node, X, y, ops, loss=None, W=None) -> float:
    """The loss of the tree with its outer linear coefficients fitted (:func:`~.expressions.linear_fit`)."""
    pred, _, _ = linear_fit(tree, X, y, ops, W)
    if not np.all(np.isfinite(pred)):
        return np.inf
    return float(np.mean((pred - y) ** 2)) if loss is None else float(loss(pred, y))


def materialize(tree: Node, X, y, ops, W=None) -> Node:
    """The tree with its fitted outer linear coefficients written in: ``c0 + c1*t1 + ... + ck*tk``.

    Needs ``+`` and ``*`` among the operators (else the tree comes back as it is).
    """
    if "+" not in ops or "*" not in ops:
        return tree.copy()
    pred, coef, terms = linear_fit(tree, X, y, ops, W)
    if not np.all(np.isfinite(pred)):
        return tree.copy()
    out = Node.const(float(coef[0]))
    for c, t in zip(coef[1:], terms):
        out = Node("+", [out, Node("*", [Node.const(float(c)), t.copy()])])
    return out


def optimize_constants(tree: Node, X: np.ndarray, y: np.ndarray, ops: dict[str, Operator], rng, *,
                       restarts: int = 2, loss=None, max_nfev: int = 60, fixed=(),
                       project: bool = False, W=None, cache=None) -> tuple[Node, float]:
    """Fit the tree's constants (in a copy) by Levenberg–Marquardt on the squared error.

    With ``project``, the outer linear coefficients are solved by linear least
    squares at every step (variable projection) and only the constants inside
    the additive terms are optimized; the loss returned is the projected one.
    ``W`` (weak form) maps predictions over the samples to the rows of ``y``.

    Starts from the current values and from ``restarts`` perturbed copies of
    them (each value times ``1 + N(0, 1)``, as PySR does); keeps the best. With a user
    ``loss``, the least-squares optimum is kept only if it also lowers that loss.
    ``fixed`` holds positions (in :meth:`Node.constants` order) of constants left as they are.
    The subtrees without constants are computed once (:func:`~.expressions.freeze`, from
    ``cache`` when given, a :class:`~.expressions.SubtreeCache` over ``X``).
    Returns the new tree and its loss.
    """
    t = tree.copy()
    consts = [c for i, c in enumerate(t.constants()) if i not in fixed]
    frozen = freeze(t, X, ops, cache)  # shares t's constants: moving them moves it
    score = projected_loss if project else _residual_loss
    base_loss = score(frozen, X, y, ops, loss, W)
    if not consts:
        return t, base_loss

    def resid(p):
        for c, v in zip(consts, p):
            c.value = float(v)
        r = (linear_fit(frozen, X, y, ops, W)[0] if project else _predict(frozen, X, ops, W)) - y
        return np.where(np.isfinite(r), r, 1e10)

    return t, multistart_lm(consts, resid, lambda: score(frozen, X, y, ops, loss, W), base_loss, rng,
                            restarts=restarts, max_nfev=max_nfev)


def multistart_lm(consts, resid, score, base: float, rng, *, restarts: int, max_nfev: int) -> float:
    """Levenberg–Marquardt on ``resid(values)`` from the constants' current values and ``restarts``
    perturbed copies (each value times ``1 + N(0, 1)``); the constants keep the values of the best
    ``score()`` (their start when none beats ``base``), which is returned."""
    x0 = np.array([c.value for c in consts])
    best_p, best = x0, base
    starts = [x0] + [x0 * (1 + rng.normal(size=x0.size)) for _ in range(restarts)]
    for s in starts:
        try:
            with np.errstate(all="ignore"):
                sol = least_squares(resid, s, method="lm", max_nfev=max_nfev * (len(s) + 1))
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            continue
        for c, v in zip(consts, sol.x):
            c.value = float(v)
        val = score()
        if val < best:
            best, best_p = val, sol.x.copy()
    for c, v in zip(consts, best_p):
        c.value = float(v)
    return best


def snap_constant(tree: Node, i: int, accept) -> Node:
    """``tree`` with its ``i``-th constant set to the first simple value (:func:`_simple_values`, up to
    the value itself) that ``accept(trial)`` takes; ``accept`` returns the tree to keep (e.g. after
    refitting the other constants) or None. ``tree`` itself when none is taken."""
    value = tree.constants()[i].value
    for cand in _simple_values(value):
        if cand == value:
            break
        trial = tree.copy()
        trial.constants()[i].value = cand
        kept = accept(trial)
        if kept is not None:
            return kept
    return tree


def _simple_values(v: float) -> list[float]:
    # a phase inside sin/cos may sit any number of turns away, and quarter turns give cos from sin:
    # the loss check decides whether such a value is right where it stands
    turn = float(np.round((v % (2 * np.pi)) / (np.pi / 2)) * (np.pi / 2))
    out = [float(round(v)), turn - 2 * np.pi if turn > np.pi else turn, float(np.round(v / (np.pi / 2)) * (np.pi / 2))]
    fr = Fraction(v).limit_denominator(10)
    out.append(float(fr))
    for digits in (1, 2, 3):
        out.append(float(f"{v:.{digits}g}"))
    return list(dict.fromkeys(out))


def snap_constants(tree: Node, X, y, ops, *, tolerance: float = 1e-3, floor: float = 1e-6, loss=None,
                   rng=None, W=None) -> tuple[Node, float]:
    """Replace each constant by a simpler value (integer, small fraction, fewer digits) when the loss allows.

    After a constant is snapped, the constants not yet snapped are refitted
    (``c1 * (x / c2)`` snaps to ``2 * (x / 1)``, not nowhere). A value is taken
    when the loss stays within ``(1 + tolerance)`` of the loss before snapping,
    or below ``floor`` times the target's variance (so that a fit at the
    round-off of estimated derivatives may snap ``2.0005`` to ``2``).
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    t = tree.copy()
    ref = _residual_loss(t, X, y, ops, loss, W)
    allow = ref * (1 + tolerance) + floor * float(np.var(y))
    done: set[int] = set()
    n = len(t.constants())
    for i in range(n):
        keep_tree = t
        value = t.constants()[i].value

        def refit(trial, i=i):
            trial, val = optimize_constants(trial, X, y, ops, rng, restarts=0, loss=loss, fixed=done | {i}, W=W)
            return trial if val <= allow else None

        t = snap_constant(t, i, refit)
        if t is keep_tree and t.constants()[i].value != value:
            t = keep_tree
        done.add(i)
    return t, _residual_loss(t, X, y, ops, loss, W)


def _terms(tree: Node) -> list[Node]:
    """The additive terms of a tree (through + and -)."""
    if tree.op in ("+", "-"):
        return _terms(tree.children[0]) + _terms(tree.children[1])
    return [tree]


def prune(tree: Node, X, y, ops, rng, *, tolerance: float = 1e-3, floor: float = 1e-6,
          loss=None, W=None) -> tuple[Node, float]:
    """Drop additive terms and zero constants whose removal costs at most ``tolerance`` of the loss.

    After each removal the remaining constants are refitted.
    """
    t, cur = tree.copy(), _residual_loss(tree, X, y, ops, loss, W)
    floor = floor * float(np.var(y))
    changed = True
    while changed:
        changed = False
        for n in t.nodes():
            if n.op not in ("+", "-"):
                continue
            for i in (0, 1):
                other = n.children[1 - i]
                keep = (n.op, list(n.children), n.value)
                if n.op == "-" and i == 0:
                    n.op, n.children = "*", [Node.const(-1.0), other]
                else:
                    n.op, n.children, n.value = other.op, other.children, other.value
                cand, val = optimize_constants(t, X, y, ops, rng, restarts=0, loss=loss, W=W)
                if val <= cur * (1 + tolerance) + floor:
                    t, cur, changed = cand, val, True
                    break
                n.op, n.children, n.value = keep
            if changed:
                break
    return t, cur


def _scaled_fraction(e):
    """A product with a sum in its denominator, written so that the denominator's constant term is 1.

    ``c * P / D`` has a flat direction (``P`` and ``D`` times the same
    number, or ``c`` and ``P``), along which a fit may drift to 10-digit
    numbers. ``D`` (expanded) is divided by its constant term (else by the
    coefficient of its first term), and the factor is moved into the
    numerator's one sum when there is one, so ``2e9*x/(1e9 + 1e9*x)`` reads
    ``2*x/(x + 1)``. Returns the product unchanged when nothing is to be done.
    """
    coeff, factors = sp.S.One, []
    moved = False
    for f in sp.Mul.make_args(e):
        if f.is_Number:
            coeff *= f
            continue
        if f.is_Pow and f.exp.is_Integer and f.exp < 0 and f.base.is_Add:
            den = sp.expand(f.base)
            if den.is_Add:
                numbers = [a for a in den.args if a.is_Number]
                if numbers:
                    s = sp.Add(*numbers)
                else:
                    first = min(den.args, key=lambda a: sp.default_sort_key(a.as_coeff_Mul()[1]))
                    s = first.as_coeff_Mul()[0]
                if s != 0 and s != 1:
                    den = sp.expand(den / s)
                    coeff *= s ** f.exp
                    moved = True
                factors.append(den ** f.exp)
                continue
        factors.append(f)
    if not moved and coeff == 1:
        return e
    sums = [i for i, f in enumerate(factors) if f.is_Add]
    if len(sums) == 1 and coeff != 1:
        factors[sums[0]] = sp.expand(coeff * factors[sums[0]])
        coeff = sp.S.One
    return sp.Mul(coeff, *factors, evaluate=False) if coeff != 1 else sp.Mul(*factors)


def normalise_fractions(tree: Node, ops: dict[str, Operator], n_features: int) -> Node | None:
    """The tree with every fraction's denominator scaled to a constant term of 1 (see :func:`_scaled_fraction`).

    The result is the same function, up to round-off; ``None`` when the tree
    has no fraction to normalise or cannot be rewritten with ``ops``.
    """
    if not any(n.op == "/" for n in tree.nodes()):
        return None
    names = [f"x{i}" for i in range(n_features)]
    try:
        expr = to_sympy(tree, names, ops)
        new = expr.replace(lambda e: e.is_Mul and any(f.is_Pow and f.exp.is_Integer and f.exp < 0
                                                      and f.base.is_Add for f in e.args), _scaled_fraction)
        if new == expr:
            return None
        return from_sympy(new, names, ops)
    except (ValueError, TypeError, AttributeError, sp.SympifyError):
        return None


def readable(tree: Node, X, y, ops, *, tolerance: float = 1e-3, floor: float = 0.0, loss=None, rng=None,
             W=None) -> tuple[Node, float]:
    """Normalise the tree's fractions, refit and snap their constants, when the loss allows.

    The normalised tree (:func:`normalise_fractions`) has its constants
    refitted and snapped (:func:`snap_constants`, with the same
    ``tolerance`` and ``floor``) and is taken when its loss stays within
    ``(1 + tolerance)`` of the tree's loss plus ``floor`` times the target's
    variance; else the tree comes back as it was.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    ref = _residual_loss(tree, X, y, ops, loss, W)
    new = normalise_fractions(tree, ops, X.shape[1])
    if new is None:
        return tree, ref
    new, _ = optimize_constants(new, X, y, ops, rng, restarts=0, loss=loss, W=W)
    new, val = snap_constants(new, X, y, ops, tolerance=tolerance, floor=floor, loss=loss, rng=rng, W=W)
    if np.isfinite(val) and val <= ref * (1 + tolerance) + floor * float(np.var(y)):
        return new, val
    return tree, ref
