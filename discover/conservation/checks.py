"""Functional independence of laws, matching against known ones, and the Lie-derivative check."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..findings import Equation, Invariant, expr_to_str, parse_expr, symbols_for

# ---------------------------------------------------------------------------
# Functional independence


def _gradient_rank_residual(base: list[np.ndarray], g: np.ndarray) -> float:
    """Median over points of |∇g⊥| / |∇g| after projecting onto span of base gradients.

    ``base`` items and ``g`` have shape ``(n_points, n_variables)``.
    """
    gn = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-300)
    if not base:
        ok = np.linalg.norm(g, axis=1) > 0
        return float(np.median(ok.astype(float)))
    Bm = np.stack([b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-300) for b in base], axis=2)
    U, s, _ = np.linalg.svd(Bm, full_matrices=False)  # batched over points: (P, d, k)
    keep = s > 1e-8 * np.maximum(s.max(axis=1, keepdims=True), 1e-300)
    coef = np.einsum("pdk,pd->pk", U, gn) * keep
    r = gn - np.einsum("pdk,pk->pd", U, coef)
    return float(np.median(np.linalg.norm(r, axis=1)))


def _expr_gradients(exprs, variables, points: np.ndarray) -> list[np.ndarray]:
    syms = symbols_for(variables)
    S = [syms[v] for v in variables]
    out = []
    for e in exprs:
        e = e.expression if isinstance(e, Invariant) else (e if isinstance(e, sp.Basic) else parse_expr(str(e), variables))
        e = e.xreplace({q: syms[q.name] for q in e.free_symbols if q.name in syms})
        f = sp.lambdify(S, [sp.diff(e, s) for s in S], "numpy")
        with np.errstate(all="ignore"):
            vals = f(*points.T)
        out.append(np.stack([np.broadcast_to(np.asarray(v, float), (len(points),)) for v in vals], axis=1))
    return out


def independent_count(exprs, variables, points: np.ndarray, *, tol: float = 0.1) -> int:
    """How many of ``exprs`` are functionally independent (rank of gradients at ``points``).

    Examples
    --------
    >>> pts = np.random.default_rng(0).normal(size=(50, 2))
    >>> independent_count(["x**2 + y**2", "(x**2 + y**2)**2", "3*x**2 + 3*y**2"], ["x", "y"], pts)
    1
    """
    grads = _expr_gradients(exprs, variables, np.asarray(points, float))
    kept: list[np.ndarray] = []
    for g in grads:
        if _gradient_rank_residual(kept, g) > tol:
            kept.append(g)
    return len(kept)


def match_invariants(found, truth, variables, points: np.ndarray, *, tol: float = 0.1) -> tuple[int, int]:
    """Compare laws up to equivalent forms: ``(n_truth_recovered, n_false_positives)``.

    A true law is recovered when its gradient lies in the span of the found
    laws' gradients (it is a function of them); a found law is false when it
    is not a function of the true laws.

    Examples
    --------
    >>> pts = np.random.default_rng(0).normal(size=(50, 2))
    >>> match_invariants(["2*x**2 + 2*y**2"], ["x**2 + y**2"], ["x", "y"], pts)
    (1, 0)
    """
    points = np.asarray(points, float)
    gf = _expr_gradients(found, variables, points)
    gt = _expr_gradients(truth, variables, points)
    recovered = sum(1 for g in gt if _gradient_rank_residual(gf, g) <= tol)
    false = sum(1 for g in gf if _gradient_rank_residual(gt, g) > tol)
    return recovered, false


# ---------------------------------------------------------------------------
# Lie-derivative check against equations


#: The Lie derivative is simplified (for display; its size is measured
#: numerically) only up to this many operations: sympy's ``simplify`` takes
#: seconds on a long fitted expression with trig terms.
SIMPLIFY_MAX_OPS = 40


def check_against_equations(invariants, equations, *, points: np.ndarray | None = None,
                            variables=None, tol: float = 1e-2) -> list[dict]:
    """Check conserved quantities against right-hand sides: is ``∇f·F`` zero?

    Parameters
    ----------
    invariants : sequence of Invariant, sympy.Expr or str
    equations : sequence of Equation, or dict ``{variable: rhs}``
        Only ``kind="ode"`` equations are used (``d variable/dt = rhs``).
    points : array, shape (n, len(variables)), optional
        States at which to measure the size of the Lie derivative numerically
        (recommended when coefficients are fitted). Without them the size is
        measured on the expanded coefficients.
    variables : sequence of str, optional
        Column order of ``points`` (default: sorted names of the equations).
    tol : float
        Relative size below which ``∇f·F`` counts as zero.

    Returns
    -------
    list of dict
        One per invariant: ``invariant`` (str), ``lie_derivative`` (sympy
        expression, simplified when short), ``relative`` (its size relative to the size
        of its terms before they cancel), ``consistent`` (bool, or ``None``
        when a variable of the law has no equation) and ``missing``.

    Examples
    --------
    >>> out = check_against_equations(["v**2 + 4*x**2"], {"x": "v", "v": "-4*x"})
    >>> out[0]["consistent"], out[0]["lie_derivative"]
    (True, 0)
    """
    if isinstance(equations, dict):
        rhs = {str(k): v for k, v in equations.items()}
    else:
        rhs = {}
        for eq in equations:
            if isinstance(eq, Equation):
                if eq.kind == "ode":
                    rhs[eq.variable] = eq.rhs
            else:  # (variable, rhs) pairs
                rhs[str(eq[0])] = eq[1]
    names = set(rhs)
    for v in rhs.values():
        if isinstance(v, sp.Basic):
            names |= {s.name for s in v.free_symbols}
    inv_exprs = []
    for inv in invariants:
        e = inv.expression if isinstance(inv, Invariant) else inv
        if not isinstance(e, sp.Basic):
            e = parse_expr(str(e), sorted(names))
        names |= {s.name for s in e.free_symbols if not isinstance(s, sp.Dummy)}
        inv_exprs.append(e)
    syms = symbols_for(sorted(names))

    def real(e):
        if not isinstance(e, sp.Basic):
            e = parse_expr(str(e), sorted(names))
        return e.xreplace({q: syms[q.name] for q in e.free_symbols if q.name in syms})

    F = {k: real(v) for k, v in rhs.items()}
    out = []
    for e in inv_exprs:
        e = real(e)
        if e.atoms(sp.core.function.AppliedUndef):
            out.append({"invariant": expr_to_str(e), "lie_derivative": None, "relative": float("nan"),
                        "consistent": None, "missing": []})
            continue
        used = sorted(s.name for s in e.free_symbols)
        missing = [v for v in used if v not in F]
        if missing:
            out.append({"invariant": expr_to_str(e), "lie_derivative": None, "relative": float("nan"),
                        "consistent": None, "missing": missing})
            continue
        parts = [sp.expand(sp.diff(e, syms[v]) * F[v]) for v in used]
        lie = sp.expand(sp.Add(*parts))
        if lie != 0 and sp.count_ops(lie) <= SIMPLIFY_MAX_OPS:  # sympy's simplify is slow on long expressions
            simp = sp.simplify(lie)
            lie = simp if sp.count_ops(simp) <= sp.count_ops(lie) else lie
        if lie == 0:
            rel = 0.0
        elif points is not None:
            order = list(variables) if variables is not None else sorted(F)
            S = [syms.get(v, sp.Symbol(v, real=True)) for v in order]
            P = np.asarray(points, float)
            with np.errstate(all="ignore"):
                fl = np.broadcast_to(np.asarray(sp.lambdify(S, lie, "numpy")(*P.T), float), (len(P),))
                scale = np.zeros(len(P))
                for part in parts:
                    for term in sp.Add.make_args(part):
                        scale += np.abs(np.broadcast_to(
                            np.asarray(sp.lambdify(S, term, "numpy")(*P.T), float), (len(P),)))
            rel = float(np.sqrt(np.mean(fl ** 2)) / max(np.sqrt(np.mean(scale ** 2)), 1e-300))
        else:
            def size(x):
                total = 0.0
                for term in sp.Add.make_args(sp.expand(x)):
                    c, _ = term.as_coeff_Mul()
                    try:
                        total += abs(float(c))
                    except TypeError:
                        total += 1.0
                return total

            rel = size(lie) / max(sum(size(p) for p in parts), 1e-300)
        out.append({"invariant": expr_to_str(e), "lie_derivative": lie, "relative": rel,
                    "consistent": bool(rel <= tol), "missing": []})
    return out
