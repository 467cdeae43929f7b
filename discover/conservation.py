"""Conserved quantities: every independent one over a symbolic library, and nothing else.

A quantity ``f(x) = Σ_k c_k θ_k(x)`` built from a library of candidate terms
``θ_k`` (monomials up to a degree, ``sin``/``cos`` and ``log`` of the
variables, terms the user writes as sympy strings) is conserved when it keeps
one value along each trajectory; different trajectories may keep different
values. :class:`ConservationLaws` finds the whole space of such coefficient
vectors ``c`` from the data alone, without estimating derivatives, and reports
a sparse, readable basis of functionally independent laws as
:class:`~discover.findings.Invariant` findings.

How it works (details in ``docs/methods/conservation.rst``):

1. *Increments, not derivatives.* Along a trajectory ``f`` is constant, so
   every increment ``f(x_i) - f(x_j)`` between two samples of the same
   trajectory vanishes. Summed over all pairs these increments are the
   deviations of ``Θ(x)`` from the trajectory's mean, so the candidates ``c``
   are the near-null directions of ``A = Σ_traj Θ_cᵀ Θ_c / n`` (``Θ_c``:
   library columns centred per trajectory). Optionally one-step increments
   ``Θ(x_{k+1}) - Θ(x_k)`` are used instead (``formulation="increments"``).
2. *Threshold relative to noise.* The measurement noise of each variable is
   estimated from high-order differences of the data and propagated through
   the library's Jacobian into a covariance ``B`` of library terms. A direction
   ``c`` is a law when its variation along trajectories is what noise alone
   would give: the generalized eigenvalue ``λ = cᵀAc / cᵀBc`` is below
   ``threshold`` (1 means "exactly the noise"). A floor ``tol`` (relative
   variation) stands in for noise on clean data.
3. *Identities are not laws.* Directions that barely vary even on points
   scattered around the data (``sin²+cos²``, ``sin x ≈ x - x³/6`` on a small
   range) are projected out first.
4. *Sparse readable basis.* Sparse vectors of the law space are found by one
   small ℓ1 linear programme per term, pruned backwards, refitted on their
   support, snapped to simple rationals (or to the fewest significant digits)
   only where the data still accept the rounded law.
5. *Independence.* A law is reported only when its gradient is not in the
   span of the gradients of the laws already kept (rank test at sample
   points): a square, product or rescaling of found laws is not reported twice.
6. *No false laws.* Every candidate is re-checked on held-out data (the last
   part of each trajectory, which must keep the *same* value as the first
   part) before it is reported, with its residual and a confidence.

:func:`neural_detector` (PyTorch, imported only when used) learns a quantity
that is constant along trajectories and differs between them, to say whether
an invariant exists outside the library. :func:`check_against_equations`
checks laws symbolically against right-hand sides (the Lie derivative ∇f·F).

Examples
--------
>>> from discover.systems import simulate
>>> from discover.conservation import ConservationLaws
>>> series = simulate("harmonic_oscillator", n=2000, dt=0.01)
>>> laws = ConservationLaws(degree=2, trig=False).fit(series)
>>> [str(inv.expression) for inv in laws.invariants_]
['v**2 + 4*x**2']
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from scipy import linalg

from .base import Interval, Method, Options, check_is_fitted
from .data import Series, load
from .errors import DataError, DataWarning, ParameterError
from .findings import Equation, Invariant, expr_to_str, parse_expr, symbols_for

__all__ = [
    "ConservationLaws",
    "Library",
    "build_library",
    "estimate_noise",
    "check_against_equations",
    "match_invariants",
    "independent_count",
    "neural_detector",
]


# ---------------------------------------------------------------------------
# The candidate library


@dataclass
class Library:
    """Candidate terms ``θ_k(x)`` as sympy expressions, with fast numeric evaluation.

    Monomials are evaluated from an exponent table; the other terms (trig,
    log, user terms) through one ``lambdify`` for values and one for the
    Jacobian. Build one with :func:`build_library`.
    """

    variables: tuple
    terms: list  #: sympy expressions, one per column
    exponents: np.ndarray  #: (n_monomials, n_variables) integer exponents of the first columns
    kinds: tuple = ()  #: per term: "poly", "log", "user" or "trig"
    _other_f: Any = None
    _other_j: Any = None

    @property
    def n_terms(self) -> int:
        return len(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        """Values ``Θ(x)``, shape ``(n_samples, n_terms)``."""
        x = np.asarray(x, float)
        n = len(x)
        out = np.empty((n, self.n_terms))
        m = len(self.exponents)
        if m:
            out[:, :m] = self._monomials(x)
        if self._other_f is not None:
            vals = self._other_f(*x.T)
            for k, v in enumerate(vals):
                out[:, m + k] = np.broadcast_to(np.asarray(v, float), (n,))
        return out

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """``∂θ_k/∂x_i``, shape ``(n_samples, n_terms, n_variables)``."""
        x = np.asarray(x, float)
        n, d = x.shape
        out = np.zeros((n, self.n_terms, d))
        m = len(self.exponents)
        if m:
            E = self.exponents
            deg = int(E.max()) if E.size else 0
            powers = np.ones((n, d, deg + 1))
            for k in range(1, deg + 1):
                powers[:, :, k] = powers[:, :, k - 1] * x
            G = powers[:, np.arange(d)[None, :], E]  # (n, m, d): x_i^E_ji
            pre = np.ones((n, m, d + 1))
            suf = np.ones((n, m, d + 1))
            for i in range(d):  # products of the factors before / after factor i
                pre[:, :, i + 1] = pre[:, :, i] * G[:, :, i]
                suf[:, :, d - 1 - i] = suf[:, :, d - i] * G[:, :, d - 1 - i]
            for i in range(d):
                e = E[:, i]
                dG = e[None, :] * powers[:, i, np.maximum(e - 1, 0)]
                out[:, :m, i] = dG * pre[:, :, i] * suf[:, :, i + 1]
        if self._other_j is not None:
            vals = self._other_j(*x.T)
            for k, row in enumerate(vals):
                for i, v in enumerate(row):
                    out[:, m + k, i] = np.broadcast_to(np.asarray(v, float), (n,))
        return out

    def _monomials(self, x: np.ndarray) -> np.ndarray:
        n, d = x.shape
        E = self.exponents
        deg = int(E.max()) if E.size else 0
        powers = np.ones((n, d, deg + 1))
        for k in range(1, deg + 1):
            powers[:, :, k] = powers[:, :, k - 1] * x
        return np.prod(powers[:, np.arange(d)[None, :], E], axis=2)


def build_library(variables, *, degree: int = 3, trig: bool = True, log: bool | str = "auto",
                  terms=(), x: np.ndarray | None = None) -> Library:
    """The candidate terms over ``variables`` (constants excluded).

    Parameters
    ----------
    variables : sequence of str
        Column names; expressions are written over them.
    degree : int
        Monomials of total degree 1 to ``degree``.
    trig : bool
        Add ``sin(v)`` and ``cos(v)`` for each variable ``v``.
    log : bool or "auto"
        Add ``log(v)``; with ``"auto"`` only for variables positive on all of ``x``.
    terms : sequence of str or sympy.Expr
        Extra terms written over the variable names, e.g. ``"1/sqrt(x**2 + y**2)"``.
    x : array, shape (n_samples, n_variables), optional
        The data (needed for ``log="auto"``).

    Returns
    -------
    Library

    Examples
    --------
    >>> lib = build_library(["x", "v"], degree=2, trig=False, log=False)
    >>> [str(t) for t in lib.terms]
    ['x', 'v', 'x**2', 'v*x', 'v**2']
    """
    variables = tuple(str(v) for v in variables)
    syms = symbols_for(variables)
    S = [syms[v] for v in variables]
    d = len(S)
    exps, polys = [], []
    for k in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(d), k):
            e = np.bincount(combo, minlength=d)
            exps.append(e)
            polys.append(sp.Mul(*[S[i] ** int(e[i]) for i in range(d)]))
    other, kinds = [], []
    if trig:
        other += [sp.sin(s) for s in S] + [sp.cos(s) for s in S]
        kinds += ["trig"] * (2 * d)
    if log is True or log == "auto":
        for i, s in enumerate(S):
            if log is True or (x is not None and np.all(np.asarray(x)[:, i] > 0)):
                other.append(sp.log(s))
                kinds.append("log")
    for t in terms or ():
        e = t if isinstance(t, sp.Basic) else parse_expr(str(t), variables)
        e = e.xreplace({q: syms[q.name] for q in e.free_symbols if q.name in syms})
        unknown = {q.name for q in e.free_symbols} - set(variables)
        if unknown:
            raise ParameterError(
                f"The term {str(t)!r} of ConservationLaws uses names that are not variables: "
                f"{', '.join(sorted(unknown))}. Variables: {', '.join(variables)}."
            )
        if e.is_number:
            continue
        other.append(e)
        kinds.append("user")
    # no duplicates (a user term that is already a monomial)
    seen = {sp.srepr(p) for p in polys}
    uniq, ukinds = [], []
    for e, kd in zip(other, kinds):
        key = sp.srepr(e)
        if key not in seen:
            seen.add(key)
            uniq.append(e)
            ukinds.append(kd)
    lib = Library(variables, polys + uniq, np.array(exps, dtype=int).reshape(-1, d),
                  tuple(["poly"] * len(polys) + ukinds))
    if uniq:
        lib._other_f = sp.lambdify(S, uniq, "numpy")
        lib._other_j = sp.lambdify(S, [[sp.diff(e, s) for s in S] for e in uniq], "numpy")
    return lib


def _library_size(d: int, degree: int, trig: bool, n_other: int) -> int:
    """Terms of :func:`build_library`: monomials of degree 1..``degree`` in ``d`` variables, trig, others."""
    return math.comb(d + degree, degree) - 1 + (2 * d if trig else 0) + n_other


def _fit_library_size(d: int, n_samples: int, degree: int, trig: bool, log, x, n_user: int):
    """The largest library (degree, then trig terms) with ``2 p + 2`` samples at most.

    Returns ``(degree, trig, note)``: ``note`` says what was lowered ("" when
    nothing was); ``degree`` 0 means not even the linear terms fit.
    """
    n_log = d if log is True else (int(np.sum(np.all(x > 0, axis=0))) if log == "auto" else 0)
    n_other = n_log + n_user
    k = degree
    while k > 1 and 2 * _library_size(d, k, trig, n_other) + 2 > n_samples:
        k -= 1
    t = trig
    if t and 2 * _library_size(d, k, t, n_other) + 2 > n_samples:
        t = False
    p = _library_size(d, k, t, n_other)
    if 2 * p + 2 > n_samples:
        return 0, t, (f"{n_samples} samples are too few to test even the {p} linear terms of {d} variables "
                      f"(needs {2 * p + 2}): no conservation law can be checked")
    notes = []
    if k < degree:
        notes.append(f"degree lowered from {degree} to {k}")
    if trig and not t:
        notes.append("sin/cos terms left out")
    if not notes:
        return k, t, ""
    full = _library_size(d, degree, trig, n_other)
    return k, t, (f"{' and '.join(notes)}: the full library has {full} terms and needs {2 * full + 2} samples, "
                  f"the data have {n_samples} (library now {p} terms)")


# ---------------------------------------------------------------------------
# Noise


def estimate_noise(xs, *, max_order: int = 4) -> np.ndarray:
    """Standard deviation of additive white noise per variable, from differences.

    For each order ``m`` in 1..``max_order`` the ``m``-th differences of a
    trajectory are noise times ``sqrt(binom(2m, m))`` plus a smooth part that
    shrinks with ``m`` on finely sampled data; a robust (MAD) scale of each is
    taken and the smallest over orders kept. Trajectories are combined by their
    median.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = np.linspace(0, 20, 4001)
    >>> x = np.c_[np.sin(t)] + 0.01 * rng.standard_normal((4001, 1))
    >>> float(np.round(estimate_noise([x])[0], 3))
    0.01
    """
    per = []
    for x in xs:
        x = np.asarray(x, float)
        if x.ndim == 1:
            x = x[:, None]
        best = np.full(x.shape[1], np.inf)
        for m in range(1, max_order + 1):
            if len(x) <= m + 4:
                break
            D = np.diff(x, m, axis=0)
            mad = 1.4826 * np.median(np.abs(D - np.median(D, axis=0)), axis=0)
            best = np.minimum(best, mad / math.sqrt(math.comb(2 * m, m)))
        per.append(np.where(np.isfinite(best), best, 0.0))
    return np.median(np.array(per), axis=0) if per else np.zeros(0)


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
        expression, simplified), ``relative`` (its size relative to the size
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
        if lie != 0:
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


# ---------------------------------------------------------------------------
# Small numerical helpers


def _gen_eig(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Generalized symmetric eigenproblem ``A v = λ B v``, ascending λ."""
    A = (A + A.T) / 2
    B = (B + B.T) / 2
    try:
        w, V = linalg.eigh(A, B)
    except (linalg.LinAlgError, ValueError):
        L = np.linalg.cholesky(B + 1e-14 * np.trace(B) * np.eye(len(B)))
        Li = np.linalg.inv(L)
        w, U = np.linalg.eigh(Li @ A @ Li.T)
        V = Li.T @ U
    return np.maximum(w, 0.0), V


def _rayleigh(c: np.ndarray, A: np.ndarray, B: np.ndarray) -> float:
    den = float(c @ B @ c)
    return float(c @ A @ c) / den if den > 0 else float("inf")


def _sparse_candidates(N: np.ndarray, max_lp: int = 24) -> list[np.ndarray]:
    """Sparse vectors in the column span of ``N`` (p × k): one ℓ1 LP per coordinate."""
    from scipy.optimize import linprog

    p, k = N.shape
    Qn, _ = np.linalg.qr(N)
    rows = np.linalg.norm(Qn, axis=1)
    coords = [j for j in np.argsort(-rows) if rows[j] > 1e-3 * rows.max()][:max_lp]
    cands = [Qn[:, j] for j in range(k)]
    cost = np.r_[np.zeros(k), np.ones(p)]
    eye = np.eye(p)
    A_ub = np.block([[Qn, -eye], [-Qn, -eye]])
    b_ub = np.zeros(2 * p)
    bounds = [(None, None)] * k + [(0, None)] * p
    for j in coords:
        A_eq = np.r_[Qn[j], np.zeros(p)][None, :]
        try:
            res = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
        except ValueError:  # pragma: no cover - solver refused
            continue
        if res.status == 0:
            cands.append(Qn @ res.x[:k])
    return cands


def _rational(x: float, max_den: int) -> Fraction:
    return Fraction(x).limit_denominator(max_den)


def _round_sig(x: float, digits: int) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


# ---------------------------------------------------------------------------
# The estimator


class ConservationLaws(Method):
    """Conserved quantities over a symbolic library, checked on held-out data.

    Parameters
    ----------
    degree : int, default 3
        Monomials of total degree 1..``degree`` in the library. The library
        must have fewer than half as many terms as there are samples; when
        it would not, the degree is lowered (down to 1), then the ``sin``/
        ``cos`` terms are left out, with a :class:`~discover.errors.DataWarning`
        and ``degree_``/``library_note_`` (and the laws' metrics) saying so.
        Data too few even for the linear terms give no laws (and the warning).
    trig : bool, default True
        Add ``sin`` and ``cos`` of each variable.
    log : bool or "auto", default "auto"
        Add ``log`` of each variable (``"auto"``: those positive on all data).
    terms : list of str, optional
        Extra library terms as sympy strings over the column names, e.g.
        ``["1/sqrt(x**2 + y**2)"]`` (also from ``--config``).
    noise : "auto" or float, default "auto"
        Measurement noise: estimated from the data, or a standard deviation
        given as a fraction of each variable's standard deviation.
    threshold : float, default 2.0
        A direction is a law when its variance along trajectories is at most
        ``threshold`` times what the noise alone explains.
    holdout_threshold : float, default 1.2
        The same ratio on the held-out data (not used to fit, so not biased
        low), which every reported law must pass.
    tol : float, default 1e-6
        Relative variation treated as zero on clean data (numerical floor
        added to the noise model).
    formulation : {"pairs", "increments"}, default "pairs"
        ``"pairs"``: increments between all pairs of samples of a trajectory
        (deviations from its mean); ``"increments"``: one-step increments
        ``Θ(x_{k+1}) − Θ(x_k)``. Neither needs derivatives.
    validation_fraction : float, default 0.25
        Last part of each trajectory held out; a law must keep the same value
        there as on the first part.
    max_denominator : int, default 12
        Largest denominator when snapping coefficients to rationals.
    independence_tol : float, default 0.1
        Median relative residual of a law's gradient off the span of the kept
        laws' gradients above which it counts as independent.
    neural : bool, default False
        Also run :func:`neural_detector` (PyTorch) to say whether an invariant
        exists outside the library.
    neural_epochs : int, default 400
    random_state : int, Generator or None
        Seeds the scattered test points and the neural detector.

    Attributes
    ----------
    library_ : Library or None
        None when the data were too few for any library.
    degree_, trig_ : int, bool
        The degree and trig setting used (lower than asked on few samples).
    library_note_ : str
        What was lowered and why ("" when nothing was).
    invariants_ : list of Invariant
        The independent laws, sparse and simplified.
    n_invariants_ : int
        Number of functionally independent laws found.
    null_dimension_ : int
        Dimension of the space of conserved library combinations (before
        independence: a law and its square both count here).
    eigenvalues_ : ndarray
        Generalized eigenvalues λ (variance along trajectories / noise
        variance), ascending; laws have ``λ < threshold``.
    noise_ : ndarray
        Noise standard deviation used, per variable.
    rejected_ : list of dict
        Candidates not reported and why (``"dependent"``, ``"held-out"``, ``"trivial"``).
    neural_ : dict or None
        The neural detector's verdict when ``neural=True``.

    Examples
    --------
    >>> from discover.systems import simulate
    >>> s = simulate("lotka_volterra", n=3000, dt=0.01)
    >>> laws = ConservationLaws(degree=2).fit(s)
    >>> print(laws.invariants_[0].expression)
    5*predator/2 + prey - 5*log(predator) - 3*log(prey)
    """

    name = "conservation"
    _parameter_constraints = {
        "degree": [Interval(int, 1, 8)],
        "trig": [bool],
        "log": [bool, Options("auto")],
        "terms": [None, list, tuple],
        "noise": [Options("auto"), Interval(float, 0, None)],
        "threshold": [Interval(float, 1, None, closed="neither")],
        "holdout_threshold": [Interval(float, 1, None, closed="neither")],
        "tol": [Interval(float, 0, 1, closed="neither")],
        "formulation": [Options("pairs", "increments")],
        "validation_fraction": [Interval(float, 0, 0.5, closed="left")],
        "max_denominator": [Interval(int, 1, None)],
        "independence_tol": [Interval(float, 0, 1, closed="neither")],
        "neural": [bool],
        "neural_epochs": [Interval(int, 1, None)],
        "random_state": ["random_state"],
    }

    def __init__(self, *, degree: int = 3, trig: bool = True, log="auto", terms=None, noise="auto",
                 threshold: float = 2.0, holdout_threshold: float = 1.2, tol: float = 1e-6, formulation: str = "pairs",
                 validation_fraction: float = 0.25, max_denominator: int = 12,
                 independence_tol: float = 0.1, neural: bool = False, neural_epochs: int = 400,
                 random_state=None):
        self.degree = degree
        self.trig = trig
        self.log = log
        self.terms = terms
        self.noise = noise
        self.threshold = threshold
        self.holdout_threshold = holdout_threshold
        self.tol = tol
        self.formulation = formulation
        self.validation_fraction = validation_fraction
        self.max_denominator = max_denominator
        self.independence_tol = independence_tol
        self.neural = neural
        self.neural_epochs = neural_epochs
        self.random_state = random_state

    # -- fitting -----------------------------------------------------------
    def fit(self, series, y=None) -> ConservationLaws:
        """Find the conserved quantities of ``series`` (a Series or anything :func:`discover.load` takes)."""
        self._validate_params()
        from threadpoolctl import threadpool_limits

        # Many small dense problems: one BLAS thread is fastest (and does not fight other work).
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(series)

    def _fit(self, series) -> ConservationLaws:
        if self.terms is not None:
            for t in self.terms:
                if not isinstance(t, (str, sp.Basic)):
                    raise ParameterError(
                        f"The 'terms' parameter of ConservationLaws must be a list of sympy strings. "
                        f"Got {t!r} instead."
                    )
        series = series if isinstance(series, Series) else load(series)
        rng = self.random_state if isinstance(self.random_state, np.random.Generator) else \
            np.random.default_rng(self.random_state if not isinstance(self.random_state, np.random.RandomState)
                                  else self.random_state.randint(2**31))
        names = series.variables
        xs = [np.asarray(tr.x, float) for tr in series.trajectories]
        X = np.concatenate(xs)
        d = X.shape[1]
        if not np.all(np.isfinite(X)):
            raise DataError("ConservationLaws needs finite data (NaN or inf found)")
        min_len = 3 if self.formulation == "pairs" else 2
        n_usable = sum(len(x) for x in xs if len(x) >= min_len)
        degree, trig, note = _fit_library_size(d, n_usable, self.degree, self.trig, self.log, X,
                                               len(self.terms or ()))
        self.degree_, self.trig_, self.library_note_ = degree, trig, note
        if note:
            warnings.warn(f"ConservationLaws: {note}", DataWarning, stacklevel=3)
        if degree == 0:  # not even the linear terms can be tested on so few samples
            return self._nothing_testable()
        lib = build_library(names, degree=degree, trig=trig, log=self.log, terms=list(self.terms or ()), x=X)
        self.library_ = lib
        p = lib.n_terms

        # -- noise per variable (absolute) ------------------------------
        std = X.std(axis=0)
        if self.noise == "auto":
            pooled = estimate_noise(xs)
            # per trajectory (noise levels may differ between recordings); short ones use the pooled value
            sigmas = [estimate_noise([x]) if len(x) >= 50 else pooled for x in xs]
            cap = 0.1 * std
            if any(np.any(sg > cap) for sg in sigmas):
                warnings.warn(
                    "ConservationLaws: the estimated noise exceeds 10% of a variable's spread "
                    "(coarse sampling or very noisy data); capped at 10%.", DataWarning, stacklevel=2)
            sigmas = [np.minimum(sg, cap) for sg in sigmas]
            sigma = np.minimum(pooled, cap)
        else:
            sigma = float(self.noise) * std
            sigmas = [sigma] * len(xs)
        self.noise_ = sigma

        # -- library values, jacobians, scaling ---------------------------
        thetas = [lib.evaluate(x) for x in xs]
        Th = np.concatenate(thetas)
        if not np.all(np.isfinite(Th)):
            bad = [str(lib.terms[j]) for j in np.where(~np.all(np.isfinite(Th), axis=0))[0]]
            raise DataError(f"library terms are not finite on the data: {', '.join(bad)}")
        scale = Th.std(axis=0)
        keep = scale > 1e-12 * (1 + np.abs(Th).max(axis=0))  # a term that never varies says nothing
        cols = np.where(keep)[0]
        scale = scale[cols]
        thetas = [t[:, cols] / scale for t in thetas]
        p = len(cols)
        self._cols, self._scale = cols, scale

        # -- train / held-out split ----------------------------------------
        vf = self.validation_fraction
        cuts = [len(t) if vf == 0 or len(t) < 20 else int(round(len(t) * (1 - vf))) for t in thetas]
        train = [t[:c] for t, c in zip(thetas, cuts)]
        hold = [t[c:] if c < len(t) else None for t, c in zip(thetas, cuts)]
        A_tr = self._spread(train)
        self._A_all = self._spread(thetas)

        # -- noise covariance of the library terms (Jacobian × noise), per part
        def noise_cov(parts):
            """Mean of Jᵀ Σ J over the samples (an average: a random subset of them is enough)."""
            Bm, n = np.zeros((p, p)), 0
            for x, sg in zip(parts, sigmas):
                if x is None or len(x) == 0:
                    continue
                w = len(x)
                if len(x) > 1500:
                    x = x[np.sort(rng.choice(len(x), 1500, replace=False))]
                Jx = self.library_.jacobian(x)[:, cols, :] * (sg[None, None, :] / scale[:, None])
                Jx = Jx.transpose(0, 2, 1).reshape(-1, p)
                Bm += (w / len(x)) * (Jx.T @ Jx)
                n += w
            Bm /= max(n, 1)
            return (2 * Bm if self.formulation == "increments" else Bm), n

        (B_tr, n_tr), (B_ho, n_ho) = noise_cov([x[:c] for x, c in zip(xs, cuts)]), \
            noise_cov([x[c:] for x, c in zip(xs, cuts)])
        B_all = (n_tr * B_tr + n_ho * B_ho) / max(n_tr + n_ho, 1)

        # -- points scattered around the data: how much each law varies off it
        idx = rng.integers(0, len(X), size=min(2000, max(200, len(X))))
        Xs = X[idx] + 0.25 * std * rng.standard_normal((len(idx), d))
        for i, v in enumerate(self.library_.variables):
            if any(str(t) == f"log({v})" for t in lib.terms):
                Xs[:, i] = np.maximum(Xs[:, i], 0.5 * X[:, i].min())
        with np.errstate(all="ignore"):
            Ts = self.library_.evaluate(Xs)[:, cols] / scale
        Ts = Ts[np.all(np.isfinite(Ts), axis=1)]
        A_box = np.cov(Ts, rowvar=False).reshape(p, p) if len(Ts) > 2 else np.eye(p)
        self._A_box = A_box
        # Noise model plus a floor: on clean data a law may still vary by ``tol``
        # relative to how much it varies around the data.
        floor = (self.tol ** 2) * A_box + 1e-14 * np.eye(p)
        B_tr, B_ho, B_all = B_tr + floor, B_ho + floor, B_all + floor
        self._B = B_tr

        # -- tiers: simplest terms first (Occam); later tiers only add what is new
        kinds = np.array([self.library_.kinds[j] for j in cols])
        tiers = [np.flatnonzero(kinds == "poly"), np.flatnonzero(kinds != "trig"), np.arange(p)]
        tiers = [t for i, t in enumerate(tiers) if len(t) and (i == 0 or len(t) > len(tiers[i - 1]))]
        pts = X[rng.choice(len(X), size=min(200, len(X)), replace=False)]
        Jp = self.library_.jacobian(pts)[:, cols, :] / scale[None, :, None]
        kept, grads, rejected = [], [], []
        max_laws = d - 1
        pool = {}
        for tier in tiers:
            pool.update(self._search(tier, A_tr, B_tr, A_box)[2])
        # Rank: fit first (noise ratios below the best one, or below 1/threshold, count as equal),
        # then fewer terms, then fewer non-polynomial terms.
        lam_floor = max(min((cl[1] for cl in pool.values()), default=1.0), 1.0 / self.threshold)

        def score(cl):
            c, lam = cl
            return (math.log(max(lam, lam_floor) / lam_floor)
                    + 0.05 * (np.count_nonzero(c) + self._n_special(c)), lam)

        for c, lam in sorted(pool.values(), key=score):
            if len(kept) >= max_laws:  # a flow in d dimensions has at most d - 1 independent laws
                rejected.append({"coefficients": c, "reason": "dependent"})
                continue
            g = np.einsum("npi,p->ni", Jp, c)
            if grads and _gradient_rank_residual(grads, g) <= self.independence_tol:
                rejected.append({"coefficients": c, "reason": "dependent"})
                continue
            lam_hold = self._holdout_lambda(c, train, hold, B_ho)
            if self.holdout_threshold < lam_hold < 3 * self.holdout_threshold:
                # pruning may have dropped a small true term: try adding terms back
                c2 = self._grow(c, A_tr, B_tr)
                if c2 is not None:
                    lam_hold2 = self._holdout_lambda(c2, train, hold, B_ho)
                    if lam_hold2 < lam_hold:
                        c, lam, lam_hold = c2, _rayleigh(c2, A_tr, B_tr), lam_hold2
                        g = np.einsum("npi,p->ni", Jp, c)
            if lam_hold > self.holdout_threshold or lam > self.holdout_threshold:
                # on held-out data, and on the data it was fitted to, at the noise level
                rejected.append({"coefficients": c, "reason": "held-out", "lambda_holdout": lam_hold})
                continue
            lam_box = _rayleigh(c, A_box, B_tr)
            if lam_box < 10 * self.threshold:
                rejected.append({"coefficients": c, "reason": "trivial"})
                continue
            if _gradient_rank_residual(grads, g) <= self.independence_tol:
                rejected.append({"coefficients": c, "reason": "dependent"})
                continue
            kept.append((c, lam, lam_hold, lam_box))
            grads.append(g)
        self.rejected_ = rejected

        # the whole law space over the full library, for the record
        w, _ = self._law_space(np.arange(p), A_tr, B_tr, A_box)
        self.eigenvalues_ = w
        self.null_dimension_ = int(np.sum(w < self.threshold))

        invariants = []
        for c, _lam, lam_hold, lam_box in kept:
            expr, c_final = self._readable(c, A_tr, B_tr)
            lam_all = _rayleigh(c_final, self._A_all, B_all)
            resid = math.sqrt(max(float(c_final @ self._A_all @ c_final), 0.0)) / max(
                math.sqrt(max(float(c_final @ A_box @ c_final), 0.0)), 1e-300)
            h = self.holdout_threshold
            s_hold = 1.0 if not math.isfinite(lam_hold) or lam_hold <= 1 else float(
                np.clip((h - lam_hold) / (h - 1), 0, 1))
            s_sig = float(np.clip(math.log10(max(lam_box, 1e-300) / self.threshold) / 3, 0, 1))
            conf = s_hold * s_sig
            invariants.append(Invariant(
                expr, residual=resid, confidence=conf, method=self.name,
                metrics={"terms": int(np.count_nonzero(c_final)), "noise_ratio": lam_all, "degree": degree,
                         **({"library_note": note} if note else {}),
                         "noise_ratio_holdout": lam_hold, "signal_to_noise": math.sqrt(max(lam_box, 0.0)),
                         "null_dimension": self.null_dimension_, "n_independent": len(kept),
                         "in_library": True},
            ))
        self.invariants_ = invariants
        self.n_invariants_ = len(invariants)

        self.neural_ = None
        if self.neural:
            self.neural_ = neural_detector(series, laws=[inv.expression for inv in invariants],
                                           epochs=self.neural_epochs, random_state=rng.integers(2**31),
                                           validation_fraction=max(vf, 0.2))
        return self

    def _nothing_testable(self) -> ConservationLaws:
        """The fitted state when the data are too few for any library: no laws, said why."""
        self.library_ = None
        self.noise_ = None
        self._cols = np.arange(0)
        self.eigenvalues_ = np.empty(0)
        self.null_dimension_ = 0
        self.invariants_, self.n_invariants_, self.rejected_, self.neural_ = [], 0, [], None
        return self

    # -- pieces --------------------------------------------------------------
    def _law_space(self, sub, A, B, A_box):
        """Generalized eigenvalues/vectors of (A, B) restricted to ``sub``, identities removed."""
        As, Bs, Ab = A[np.ix_(sub, sub)], B[np.ix_(sub, sub)], A_box[np.ix_(sub, sub)]
        wb, Vb = np.linalg.eigh((Ab + Ab.T) / 2)
        n_id = int(np.sum(wb < 1e-10 * max(wb.max(), 1e-300)))
        Q = Vb[:, n_id:] if n_id else np.eye(len(sub))
        w, V = _gen_eig(Q.T @ As @ Q, Q.T @ Bs @ Q)
        return w, Q @ V

    def _search(self, sub, A, B, A_box):
        """Sparse law candidates using only the terms ``sub``: ``(k, λ_next, {support: (c, λ)})``."""
        w, V = self._law_space(sub, A, B, A_box)
        k = int(np.sum(w < self.threshold))
        lam_next = float(w[k]) if k < len(w) else float("inf")
        raw = []
        if k:
            N = V[:, :k]
            raw = [N[:, 0]] if k == 1 else _sparse_candidates(N)
            raw = [self._embed(sub, a) for a in raw]
            raw += self._small_supports(sub, A, B)
        cands, supports = {}, set()
        for a in raw:
            sup = tuple(np.flatnonzero(np.abs(a) > 1e-2 * np.abs(a).max()))
            if sup in supports:
                continue
            supports.add(sup)
            for c in self._prune(a, A, B):
                key = tuple(np.flatnonzero(c))
                lam = _rayleigh(c, A, B)
                if key not in cands or lam < cands[key][1]:
                    cands[key] = (c, lam)
        return k, lam_next, cands

    def _embed(self, sub, a):
        v = np.zeros(len(self._cols))
        v[sub] = a
        return v

    def _small_supports(self, sub, A, B, max_terms: int = 4, budget: int = 6000) -> list[np.ndarray]:
        """Every law with at most ``max_terms`` terms (minimal supports), while the count stays in budget."""
        out, found = [], []
        for size in range(1, max_terms + 1):
            if math.comb(len(sub), size) > budget:
                break
            combos = np.array(list(itertools.combinations(sub, size)), dtype=int).reshape(-1, size)
            if found:
                mask = np.ones(len(combos), bool)
                for f in found:  # keep minimal supports only
                    contains = np.ones(len(combos), bool)
                    for e in f:
                        contains &= np.any(combos == e, axis=1)
                    mask &= ~contains
                combos = combos[mask]
            if not len(combos):
                continue
            As = A[combos[:, :, None], combos[:, None, :]]
            Bs = B[combos[:, :, None], combos[:, None, :]]
            try:
                L = np.linalg.cholesky(Bs)
            except np.linalg.LinAlgError:
                continue
            Li = np.linalg.inv(L)
            M = Li @ As @ np.swapaxes(Li, 1, 2)
            lam = np.linalg.eigvalsh((M + np.swapaxes(M, 1, 2)) / 2)[:, 0]
            for comb in combos[lam < self.threshold]:
                c, _ = self._refit(comb, A, B)
                found.append(comb)
                out.append(c)
        return out

    def _spread(self, parts: list[np.ndarray]) -> np.ndarray:
        """``Σ_traj Δᵀ Δ / n`` with Δ the (all-pairs or one-step) increments."""
        p = parts[0].shape[1]
        A = np.zeros((p, p))
        n = 0
        for t in parts:
            if t is None or len(t) < 2:
                continue
            D = np.diff(t, axis=0) if self.formulation == "increments" else t - t.mean(axis=0)
            A += D.T @ D
            n += len(D)
        return A / max(n, 1)

    def _holdout_lambda(self, c, train, hold, B) -> float:
        """Noise-normalized deviation of the law on held-out data from its training value."""
        num, n = 0.0, 0
        for tr, ho in zip(train, hold):
            if ho is None or len(ho) == 0:
                continue
            if self.formulation == "increments":
                r = np.diff(ho @ c)
            else:
                r = ho @ c - (tr @ c).mean()
            num += float(r @ r)
            n += len(r)
        if n == 0:
            return float("nan")
        den = float(c @ B @ c)
        return (num / n) / den if den > 0 else float("inf")

    def _refit(self, support, A, B) -> tuple[np.ndarray, float]:
        S = list(support)
        w, V = _gen_eig(A[np.ix_(S, S)], B[np.ix_(S, S)])
        c = np.zeros(len(A))
        c[S] = V[:, 0]
        return c, float(w[0])

    def _prune(self, a: np.ndarray, A, B) -> list[np.ndarray]:
        """Threshold small entries, refit on the support, then drop terms while still a law.

        Backward elimination: at each step the terms whose removal costs least
        (t-statistic of the regression of the largest term on the others) are
        tried with an exact refit; a removal is kept when the law's noise ratio
        stays within ``max(1.5 λ0, λ0 + 0.5)`` and under the threshold.
        """
        a = np.asarray(a, float)
        if not np.any(a):
            return []
        for rel in (1e-2, 1e-5):
            S = list(np.flatnonzero(np.abs(a) > rel * np.abs(a).max()))
            c, lam = self._refit(S, A, B)
            if lam < self.threshold:
                break
        else:
            return []
        limit = min(self.threshold, max(1.5 * lam, lam + 0.5))
        while len(S) > 1:
            j = max(S, key=lambda i: abs(c[i]))
            others = [i for i in S if i != j]
            H = A[np.ix_(others, others)] - lam * B[np.ix_(others, others)]
            try:
                Hinv = np.diag(np.linalg.pinv(H, hermitian=True))
            except np.linalg.LinAlgError:  # pragma: no cover
                Hinv = np.ones(len(others))
            cost = (c[others] / c[j]) ** 2 / np.maximum(np.abs(Hinv), 1e-300)
            order = [others[t] for t in np.argsort(cost)]
            # drop as many of the cheapest terms at once as the data allow (halving), else one of the cheapest few
            done = False
            m = len(order) // 2
            while m >= 1 and not done:
                S2 = [i for i in S if i not in set(order[:m])]
                c2, lam2 = self._refit(S2, A, B)
                if lam2 <= limit:
                    S, c, done = S2, c2, True
                m //= 2
            for t in order[1:3] if not done else ():
                S2 = [i for i in S if i != t]
                c2, lam2 = self._refit(S2, A, B)
                if lam2 <= limit:
                    S, c, done = S2, c2, True
                    break
            if not done:
                break
        return [c]

    def _grow(self, c: np.ndarray, A, B, max_add: int = 3) -> np.ndarray | None:
        """Add back, one at a time, the terms that lower the noise ratio most (at most ``max_add``)."""
        S = list(np.flatnonzero(c))
        lam = _rayleigh(c, A, B)
        best_c = None
        rank = {"poly": 0, "log": 1, "user": 1, "trig": 2}
        kinds = [rank[self.library_.kinds[j]] for j in self._cols]
        top = max(kinds[j] for j in S)  # stay within the law's own library tier
        for _ in range(max_add):
            trials = []
            for j in range(len(c)):
                if j in S or kinds[j] > top:
                    continue
                c2, lam2 = self._refit(S + [j], A, B)
                trials.append((lam2, j, c2))
            if not trials:
                break
            lam2, j, c2 = min(trials, key=lambda t: t[0])
            if lam2 > lam - 0.02 * max(lam, 1.0):
                break
            S, lam, best_c = S + [j], lam2, c2
        return best_c

    def _n_special(self, c: np.ndarray) -> int:
        """How many non-polynomial terms a law uses (polynomial laws are preferred)."""
        m = len(self.library_.exponents)
        return int(sum(1 for j in np.flatnonzero(c) if self._cols[j] >= m))

    def _readable(self, c: np.ndarray, A, B) -> tuple[sp.Expr, np.ndarray]:
        """Rescale, snap to rationals / few digits where the data accept it, build the sympy law."""
        raw = c / self._scale  # coefficients of the unscaled terms
        S = list(np.flatnonzero(c))
        lam0 = _rayleigh(c, A, B)
        limit = min(self.threshold, lam0 + 0.05 * max(lam0, 1.0))  # snapping may cost 5 % of the noise

        def lam_of(coefs: dict) -> float:
            v = np.zeros(len(c))
            for j, q in coefs.items():
                v[j] = float(q) * self._scale[j]
            return _rayleigh(v, A, B)

        best = None
        for j in S:
            r = raw / raw[j]
            snapped = {i: _rational(r[i], self.max_denominator) for i in S}
            close = [i for i in S if abs(float(snapped[i]) - r[i]) <= 0.02 * abs(r[i])]
            score = (-len(close), sum(snapped[i].denominator for i in close), self._term_rank(j))
            if best is None or score < best[0]:
                best = (score, j, r, snapped, close)
        _, j, r, snapped, close = best
        coefs = {i: r[i] for i in S}
        # snap the close ones together; if refused, one at a time by closeness
        trial = dict(coefs)
        trial.update({i: snapped[i] for i in close})
        if lam_of(trial) <= limit:
            coefs = trial
        else:
            for i in sorted(close, key=lambda i: abs(float(snapped[i]) - r[i]) / abs(r[i])):
                t2 = dict(coefs)
                t2[i] = snapped[i]
                if lam_of(t2) <= limit:
                    coefs = t2
        floats = [i for i in S if not isinstance(coefs[i], Fraction)]
        if floats:
            for digits in range(2, 12):
                t2 = dict(coefs)
                for i in floats:
                    t2[i] = _round_sig(float(coefs[i]), digits)
                if lam_of(t2) <= limit:
                    coefs = t2
                    break
        terms = self.library_.terms
        cols = self._cols
        expr = sp.Add(*[
            (sp.Rational(q.numerator, q.denominator) if isinstance(q, Fraction) else sp.Float(q, 15))
            * terms[cols[i]] for i, q in coefs.items()
        ])
        v = np.zeros(len(c))
        for i, q in coefs.items():
            v[i] = float(q) * self._scale[i]
        return expr, v

    def _term_rank(self, j: int) -> tuple:
        t = self.library_.terms[self._cols[j]]
        poly = t.is_polynomial()
        return (0 if poly else 1, sp.Poly(t).total_degree() if poly else 0, j)

    # -- findings ---------------------------------------------------------
    def findings(self) -> list:
        """The independent laws found, plus an honest note from the neural detector."""
        check_is_fitted(self, "invariants_")
        out = list(self.invariants_)
        nd = self.neural_
        if nd and nd.get("verdict") == "invariant" and nd.get("outside_library"):
            syms = [symbols_for(self.library_.variables)[v] for v in self.library_.variables]
            g = sp.Function("g_neural")(*syms)
            out.append(Invariant(
                g, residual=nd["score"], confidence=nd["confidence"], method=self.name,
                metrics={"in_library": False, "kind": "neural",
                         "note": "a conserved quantity exists but the library has no term for it"},
            ))
        return out

    def summary(self) -> str:
        """A short text: how many independent laws and which."""
        check_is_fitted(self, "invariants_")
        lines = [f"{self.n_invariants_} independent conserved quantit{'y' if self.n_invariants_ == 1 else 'ies'}"
                 f" (law space of dimension {self.null_dimension_}, library of {len(self._cols)} terms)"]
        lines += [f"  {inv}" for inv in self.invariants_]
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# Neural detector


def neural_detector(series, *, laws=(), hidden: int = 32, epochs: int = 400, threshold: float = 0.05,
                    validation_fraction: float = 0.25, max_points: int = 400, random_state=0) -> dict:
    """Does a non-trivial conserved quantity exist, inside the library or not?

    A small network ``g: R^d → R`` is trained (contrastively, in the spirit of
    ConCerNet) to be constant along each trajectory while differing between
    trajectories: the loss is the within-trajectory variance of ``g`` over its
    total variance. It is then checked on the held-out last part of each
    trajectory, which must keep the value learned on the first part:
    ``score`` = held-out deviation² / between-trajectory variance. An
    invariant exists when ``score < threshold``. When ``laws`` (sympy
    expressions) are given, ``outside_library`` says whether ``g`` is *not*
    a function of them (gradient rank test).

    It needs at least two trajectories from different initial conditions
    (the verdict is ``"undetermined"`` otherwise). PyTorch is imported here only.

    Returns
    -------
    dict
        ``verdict`` (``"invariant"``, ``"none"`` or ``"undetermined"``),
        ``score``, ``confidence``, ``outside_library`` (bool or None), ``reason``.
    """
    series = series if isinstance(series, Series) else load(series)
    if series.n_trajectories < 2:
        return {"verdict": "undetermined", "score": float("nan"), "confidence": 0.0, "outside_library": None,
                "reason": "the neural detector needs at least two trajectories from different initial conditions"}
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny network: one thread is fastest
    try:
        return _neural_fit(torch, series, laws, hidden, epochs, threshold, validation_fraction, max_points,
                           random_state)
    finally:
        torch.set_num_threads(threads)


def _neural_fit(torch, series, laws, hidden, epochs, threshold, validation_fraction, max_points, random_state):
    gen = torch.Generator().manual_seed(int(random_state) if random_state is not None else 0)
    torch.manual_seed(int(random_state) if random_state is not None else 0)
    rng = np.random.default_rng(random_state)
    X = series.x
    mu, sd = X.mean(axis=0), X.std(axis=0) + 1e-12
    trains, holds = [], []
    for tr in series.trajectories:
        x = (np.asarray(tr.x) - mu) / sd
        cut = int(round(len(x) * (1 - validation_fraction)))
        tx = x[:cut]
        if len(tx) > max_points:
            tx = tx[np.sort(rng.choice(len(tx), max_points, replace=False))]
        trains.append(torch.tensor(tx, dtype=torch.float32))
        holds.append(torch.tensor(x[cut:], dtype=torch.float32))
    d = X.shape[1]
    net = torch.nn.Sequential(torch.nn.Linear(d, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, hidden),
                              torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
    for prm in net.parameters():  # deterministic init from our generator
        with torch.no_grad():
            prm.copy_(torch.randn(prm.shape, generator=gen) * (1.0 / math.sqrt(prm.shape[-1])))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    allx = torch.cat(trains)
    sizes = [len(t) for t in trains]
    for _ in range(epochs):
        opt.zero_grad()
        g = net(allx).squeeze(1)
        parts = torch.split(g, sizes)
        within = torch.stack([p.var(unbiased=False) for p in parts]).mean()
        loss = within / (g.var(unbiased=False) + 1e-8)
        loss.backward()
        opt.step()
    with torch.no_grad():
        means = torch.stack([net(t).squeeze(1).mean() for t in trains])
        between = float(means.var(unbiased=False))
        dev, n = 0.0, 0
        for m, h in zip(means, holds):
            if len(h):
                r = net(h).squeeze(1) - m
                dev += float((r ** 2).sum())
                n += len(h)
    score = (dev / max(n, 1)) / max(between, 1e-30)
    exists = bool(score < threshold)
    conf = float(np.clip(1 - score / threshold, 0, 1)) if exists else float(np.clip(1 - threshold / score, 0, 1))
    outside = None
    if exists:
        outside = True
        if laws:
            idx = rng.choice(len(X), size=min(200, len(X)), replace=False)
            xp = torch.tensor((X[idx] - mu) / sd, dtype=torch.float32, requires_grad=True)
            net(xp).sum().backward()
            gg = xp.grad.numpy().astype(float) / sd  # chain rule back to raw units
            base = _expr_gradients(list(laws), series.variables, X[idx])
            outside = bool(_gradient_rank_residual(base, gg) > 0.3)
    return {"verdict": "invariant" if exists else "none", "score": float(score), "confidence": conf,
            "outside_library": outside,
            "reason": ("held-out parts keep the learned value" if exists else
                       "no learned quantity stays constant on held-out data")}
