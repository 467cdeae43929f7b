"""The candidate library of conservation laws: terms as sympy expressions, evaluated fast."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from ..errors import ParameterError
from ..findings import parse_expr, symbols_for

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
